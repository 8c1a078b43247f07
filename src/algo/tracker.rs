//! The executor of the dynamic VWAP: keeps the filled quantity on a target
//! that moves with the volume as it prints (a volume clock), rather than on
//! a timetable.
//!
//! The algorithm hands it two targets on every print and every step: what
//! is due now, and what will be due one step ahead. The tracker
//! - keeps a passive child resting at the near touch for what will be due a
//!   step ahead, so the prints that trade through it fill it, in step with
//!   the volume; it shows at most the display size (the rule the slicer
//!   shows its slices by, `display::show`) and the next piece is posted once
//!   it has filled, so a large order is not shown whole;
//! - between steps lets the order trail what is due now by up to one step's
//!   quantity (what the step's forecast volume brings at the order's
//!   participation: what the resting child is there to fill), and crosses
//!   the whole shortfall once it trails by more (a burst of volume outran
//!   the resting child): the resting child is cancelled first and the
//!   shortfall crossed in one sweep, so a sweep never works beside a resting
//!   child;
//! - at every step, like the slicer at every slice, crosses whatever is
//!   behind; a resting child that did not deliver what was due at the last
//!   step is cancelled for it;
//! - when the near touch moves through the resting child's price (for a
//!   buy, the best bid falls below it: others' bids have left it, so it
//!   would be filled alone at the top or by an offer re-quoted through it,
//!   just as the price moves against it), cancels it at once and, once the
//!   cancel is confirmed, acts as at a step: crosses what is behind and
//!   rests what a step ahead owes at the new touch;
//! - caps filled plus working at `max_pct` of all volume traded since the
//!   start (ours included), and keeps at least `min_pct` of it;
//! - in the final phase (shortly before `end`) crosses whatever is left:
//!   within the cap, or, when told to finish on time, regardless of it.
//!
//! The lag allowed between steps and the re-peg at once bound the passive
//! exposure: a child is no longer re-posted at the touch after every small
//! catch-up, nor left for 5 s above a falling market to be filled there.
//! With both, 80% of a 20%-of-ADV VWAP filled passively on the simulated
//! AAPL, against 26% for TWAP and IS; now 43% (docs/market-model.md,
//! "Passive share at 20% of ADV").

use super::AlgoCtx;
use super::display::{DEFAULT_DISPLAY, show};
use crate::model::{Duration, Price, Qty, Timestamp};
use crate::router::{Urgency, passive_price};

/// What is due, in quantity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Targets {
    /// Due now.
    pub now: Qty,
    /// Due one step from now.
    pub ahead: Qty,
    /// Others' volume expected over the next step.
    pub step_volume: f64,
}

/// Why the tracker acts.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Why {
    /// A step, or nothing works after a sweep or a cancel: cross whatever is
    /// behind, set the step's quantity, rest what a step ahead owes.
    Step,
    /// A print: cross a lag past the step's quantity; rest a child if none does.
    Print,
    /// A resting child closed: as a print, and show the next piece.
    Closed,
}

/// Keeps an order's fills on a moving target.
#[derive(Debug, Clone)]
pub struct Tracker {
    step: Duration,
    end: Timestamp,
    final_at: Timestamp,
    min_child: Qty,
    max_pct: Option<f64>,
    min_pct: Option<f64>,
    finish_on_time: bool,
    vol_at_start: Option<Qty>,
    /// A sweep in flight: what it should bring `filled` to.
    in_flight: Option<Qty>,
    /// The price the resting child was posted at.
    posted: Option<Price>,
    /// Cancels sent; act again once they are confirmed.
    refreshing: bool,
    /// What was due at the last step.
    due_at_step: Qty,
    final_phase: bool,
    /// The one timer token that counts (an amend or a resume re-arms; the old timer is void).
    armed: u64,
    /// The most a resting child shows, in multiples of the touch depth.
    display: f64,
    /// What the last step's forecast volume brings at the order's
    /// participation: how far the order may trail what is due between steps.
    step_qty: Qty,
}

impl Tracker {
    /// A tracker over [start, end] stepping every `step`, crossing no less than `min_child` at a time.
    pub fn new(start: Timestamp, end: Timestamp, step: Duration, min_child: Qty) -> Tracker {
        let window = end - start;
        // Long enough before `end` for a sweep and a retry or two.
        let grace = Duration((step.0 / 2).clamp(Duration::secs(1).0, Duration::secs(30).0)).min(Duration(window.0 / 2));
        Tracker {
            step,
            end,
            final_at: end - grace,
            min_child,
            max_pct: None,
            min_pct: None,
            finish_on_time: false,
            vol_at_start: None,
            in_flight: None,
            posted: None,
            refreshing: false,
            due_at_step: Qty::ZERO,
            final_phase: false,
            armed: 0,
            display: DEFAULT_DISPLAY,
            step_qty: Qty::ZERO,
        }
    }

    /// Show at most `display` times the touch depth in a resting child.
    pub fn with_display(mut self, display: f64) -> Self {
        self.display = display;
        self
    }

    fn arm(&mut self, ctx: &mut AlgoCtx<'_>, at: Timestamp) {
        self.armed += 1;
        ctx.timer(at, self.armed);
    }

    /// Participation bounds (ours over all volume) and whether the final sweep may exceed the cap.
    pub fn with_participation(mut self, min_pct: Option<f64>, max_pct: Option<f64>, finish_on_time: bool) -> Self {
        self.min_pct = min_pct;
        self.max_pct = max_pct;
        self.finish_on_time = finish_on_time;
        self
    }

    /// Others' volume since the start.
    fn others(&self, ctx: &AlgoCtx<'_>) -> f64 {
        let base = self.vol_at_start.unwrap_or(ctx.market.market_volume);
        (ctx.market.market_volume - base).to_f64()
    }

    /// The targets bounded by the participation limits.
    fn bounded(&self, ctx: &AlgoCtx<'_>, t: Targets) -> Targets {
        let lot = ctx.market.inst.lot_size;
        let q = |x: f64| Qty::from_f64(x).unwrap_or(Qty::ZERO).round_down_to(lot);
        let others = self.others(ctx);
        let mut t = t;
        if let Some(p) = self.min_pct {
            let r = p / (1.0 - p);
            t.now = t.now.max(q(r * others));
            t.ahead = t.ahead.max(q(r * (others + t.step_volume)));
        }
        if let Some(p) = self.max_pct
            && !(self.final_phase && self.finish_on_time)
        {
            let r = p / (1.0 - p);
            t.now = t.now.min(q(r * others));
            t.ahead = t.ahead.min(q(r * (others + t.step_volume)));
        }
        let total = ctx.parent.qty;
        Targets { now: t.now.min(total), ahead: t.ahead.min(total).max(t.now.min(total)), ..t }
    }

    /// The window has started: step from now on.
    pub fn on_start(&mut self, ctx: &mut AlgoCtx<'_>, t: Targets) {
        self.vol_at_start = Some(ctx.market.market_volume);
        self.due_at_step = Qty::ZERO;
        let first = (ctx.now + self.step).min(self.final_at);
        self.arm(ctx, first);
        self.act_at(ctx, t, Why::Step);
    }

    /// A timer fired: a step when it is the armed one.
    pub fn on_timer(&mut self, ctx: &mut AlgoCtx<'_>, token: u64, t: Targets) {
        if token != self.armed {
            return;
        }
        if ctx.now >= self.final_at {
            self.final_phase = true;
            // Retry the final sweep while time is left (liquidity may come back).
            let retry = ctx.now + Duration::secs(2);
            if retry < self.end {
                self.arm(ctx, retry);
            }
        } else {
            let next = (ctx.now + self.step).min(self.final_at);
            self.arm(ctx, next);
        }
        if !self.reads_targets(ctx) {
            // Acts once the cancels are confirmed or the sweep is done.
            return;
        }
        let t = self.bounded(ctx, t);
        let stale = self.posted.is_some() && ctx.parent.filled < self.due_at_step;
        self.due_at_step = t.now;
        if (stale || self.final_phase || self.passed(ctx)) && ctx.working.is_positive() {
            // The resting child did not keep up, the touch moved through it
            // (or time is up): cancel it and cross the shortfall.
            self.refresh(ctx);
            return;
        }
        self.act_at(ctx, t, Why::Step);
    }

    /// Whether the near touch has moved through the resting child's price
    /// (is better for us than it: for a buy, below it).
    fn passed(&self, ctx: &AlgoCtx<'_>) -> bool {
        let Some(px) = self.posted else { return false };
        let side = ctx.parent.side;
        side.better(passive_price(ctx.market, side, ctx.parent.limit_px, ctx.now), px)
    }

    /// Whether [`Tracker::act`] now would read the targets at all: not while
    /// cancels are outstanding or a sweep is still working (it waits for
    /// them). A print then only feeds the forecast.
    pub fn reads_targets(&self, ctx: &AlgoCtx<'_>) -> bool {
        !(self.refreshing || (self.in_flight.is_some() && ctx.working.is_positive()))
    }

    /// Whether [`Tracker::act`] now would read `ahead` and `step_volume`
    /// besides `now`: only to post a new resting child (nothing works) or to
    /// bound them by participation. Otherwise they may be left out (`ahead`
    /// at `now`, no step volume) and it acts the same.
    pub fn reads_ahead(&self, ctx: &AlgoCtx<'_>) -> bool {
        self.min_pct.is_some() || self.max_pct.is_some() || !ctx.working.is_positive()
    }

    /// The least `now` target at which [`Tracker::act`] would do anything,
    /// when it reads nothing else: a resting child works, no sweep or
    /// cancel is in flight, no participation bound and not the final phase
    /// (`None` otherwise). Then `act` crosses only when `now` is at least
    /// `filled + working` plus the smallest catch-up (`min_child`, or what
    /// is left when less; a whole lot at least, since the shortfall is
    /// counted in lots), and otherwise leaves everything as it is: below
    /// this target a print may skip working the target out.
    pub fn acts_from(&self, ctx: &AlgoCtx<'_>) -> Option<Qty> {
        let quiet = !self.refreshing
            && self.in_flight.is_none()
            && !self.final_phase
            && self.min_pct.is_none()
            && self.max_pct.is_none()
            && ctx.working.is_positive();
        let catch_up = self.min_child.min(ctx.unworked()).max(ctx.market.inst.lot_size);
        quiet.then(|| ctx.parent.filled + ctx.working + catch_up)
    }

    /// Acts on new targets after a print or a confirmed cancel.
    pub fn act(&mut self, ctx: &mut AlgoCtx<'_>, t: Targets) {
        self.act_at(ctx, t, Why::Print);
    }

    /// Acts on new targets: at a step anything behind is crossed, the step's
    /// quantity is set and a resting child may be topped up.
    fn act_at(&mut self, ctx: &mut AlgoCtx<'_>, t: Targets, why: Why) {
        if self.refreshing {
            return;
        }
        let mut why = why;
        if self.in_flight.is_some() {
            if ctx.working.is_positive() {
                return;
            }
            // The sweep is done: carry on as at a step.
            self.in_flight = None;
            why = Why::Step;
        }
        let stepping = why == Why::Step;
        let t = self.bounded(ctx, t);
        let lot = ctx.market.inst.lot_size;
        let committed = ctx.parent.filled + ctx.working;
        if self.final_phase {
            let goal = if self.max_pct.is_some() && !self.finish_on_time { t.now } else { ctx.parent.qty };
            let q = goal.saturating_sub(committed).round_down_to(lot);
            if q.is_positive() && ctx.working.is_positive() {
                self.refresh(ctx);
            } else if q.is_positive() {
                ctx.send(q, Urgency::Aggressive);
                self.in_flight = Some(ctx.parent.filled + q);
            }
            return;
        }
        if stepping {
            self.step_qty = t.ahead.saturating_sub(t.now);
        }
        // At a step anything behind crosses; between steps, only a lag past the step's quantity.
        let behind = t.now.saturating_sub(committed).round_down_to(lot);
        let allowed = if stepping { Qty::ZERO } else { self.step_qty };
        if behind > allowed && behind >= self.min_child.min(ctx.unworked()) && behind.is_positive() {
            if ctx.working.is_positive() {
                // Cross the whole shortfall at once, the resting child's part included.
                self.refresh(ctx);
            } else {
                ctx.send(behind, Urgency::Aggressive);
                self.in_flight = Some(ctx.parent.filled + behind);
            }
            return;
        }
        // One resting child at a time, posted at a step or once a piece has
        // closed (the next piece beside what still works, within the display size).
        if why == Why::Print && ctx.working.is_positive() {
            return;
        }
        let post = t.ahead.saturating_sub(committed).round_down_to(lot);
        if post >= self.min_child.min(ctx.unworked()) && post.is_positive() {
            let px = passive_price(ctx.market, ctx.parent.side, ctx.parent.limit_px, ctx.now);
            if show(ctx, self.display, post).is_positive() {
                self.posted = Some(px);
            }
        }
    }

    /// Cancels what rests, to act again once the cancels are confirmed.
    fn refresh(&mut self, ctx: &mut AlgoCtx<'_>) {
        self.refreshing = true;
        self.posted = None;
        ctx.cancel_all();
    }

    /// A child closed: once a sweep or the cancels are done, act as at a
    /// step (what is behind crosses before anything rests again); a resting
    /// piece that closed makes way for the next.
    pub fn on_child_closed(&mut self, ctx: &mut AlgoCtx<'_>, t: Targets) {
        if self.refreshing || self.in_flight.is_some() {
            if ctx.working.is_positive() {
                return;
            }
            self.in_flight = None;
            self.refreshing = false;
            self.posted = None;
            self.act_at(ctx, t, Why::Step);
            return;
        }
        if !ctx.working.is_positive() {
            self.posted = None;
        }
        self.act_at(ctx, t, Why::Closed);
    }

    /// The near touch moved through the resting child's price: cancel it at
    /// once, then cross what is behind and rest again at the new touch.
    pub fn on_quote(&mut self, ctx: &mut AlgoCtx<'_>) {
        if self.refreshing || self.in_flight.is_some() || !ctx.working.is_positive() {
            return;
        }
        if self.passed(ctx) {
            self.refresh(ctx);
        }
    }

    /// Resumed after a pause or amended: timers set before are void; carry on from here.
    pub fn on_resume(&mut self, ctx: &mut AlgoCtx<'_>, t: Targets) {
        if !ctx.working.is_positive() {
            self.in_flight = None;
            self.refreshing = false;
            self.posted = None;
        }
        if ctx.now >= self.final_at {
            self.final_phase = true;
        }
        self.arm(ctx, ctx.now);
        self.act_at(ctx, t, Why::Step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::Action;
    use crate::algo::slicer::tests::{market, parent, sent};
    use crate::market::InstrumentMarket;
    use crate::market::rng::{Stream, stream};
    use crate::model::ParentOrder;

    /// Calls `f` with a context at `now` with `working` resting and returns the actions.
    fn call(
        m: &InstrumentMarket,
        p: &ParentOrder,
        now: Timestamp,
        working: i64,
        f: impl FnOnce(&mut AlgoCtx<'_>),
    ) -> Vec<Action> {
        let mut rng = stream(1, Stream::Algo, 1);
        let mut actions = Vec::new();
        let mut ctx = AlgoCtx::new(now, p, Qty::from_int(working), m, &mut rng, 0.0, &mut actions);
        f(&mut ctx);
        actions
    }

    fn targets(now: i64, ahead: i64) -> Targets {
        Targets { now: Qty::from_int(now), ahead: Qty::from_int(ahead), step_volume: 0.0 }
    }

    fn urgencies(a: &[Action]) -> Vec<Urgency> {
        a.iter()
            .filter_map(|a| match a {
                Action::Send(i) => Some(i.urgency),
                _ => None,
            })
            .collect()
    }

    /// A tracker over the first hour of AAPL (3,000-share touch depth: the
    /// display size), one-minute steps, catch-ups of at least 100.
    fn tracker(m: &InstrumentMarket) -> (Tracker, Timestamp, Timestamp) {
        let open = m.session.open;
        let end = open + Duration::mins(60);
        (Tracker::new(open, end, Duration::mins(1), Qty::from_int(100)), open, end)
    }

    #[test]
    fn a_child_rests_what_a_step_ahead_owes_shown_at_most_the_display_size() {
        let m = market();
        let (mut tr, open, end) = tracker(&m);
        let mut p = parent(600_000, open, end);
        // 10,000 due a step ahead: 3,000 (the display size) shown.
        let a = call(&m, &p, open, 0, |c| tr.on_start(c, targets(0, 10_000)));
        assert_eq!(sent(&a), vec![Qty::from_int(3_000)]);
        assert_eq!(urgencies(&a), vec![Urgency::Passive]);
        assert!(a.contains(&Action::Timer(open + Duration::mins(1), 1)), "{a:?}");
        let s = |x: i64| open + Duration::secs(x);
        // A print while it rests: nothing more goes up beside it.
        assert!(call(&m, &p, s(5), 3_000, |c| tr.act(c, targets(1_000, 11_000))).is_empty());
        // It filled: the next piece, for what a step ahead now owes (13,000 - 3,000), at most 3,000.
        p.filled = Qty::from_int(3_000);
        let a = call(&m, &p, s(10), 0, |c| tr.on_child_closed(c, targets(3_000, 13_000)));
        assert_eq!(sent(&a), vec![Qty::from_int(3_000)]);
        assert_eq!(urgencies(&a), vec![Urgency::Passive]);
        // Filled to 12,000 of the 13,000 a step ahead owes: 1,000 rest.
        p.filled = Qty::from_int(12_000);
        let a = call(&m, &p, s(20), 0, |c| tr.on_child_closed(c, targets(12_000, 13_000)));
        assert_eq!(sent(&a), vec![Qty::from_int(1_000)]);
        // 13,000 filled, as far ahead as a step owes: nothing rests until the target moves on.
        p.filled = Qty::from_int(13_000);
        assert!(call(&m, &p, s(25), 0, |c| tr.on_child_closed(c, targets(12_500, 13_000))).is_empty());
        // Between steps, trailing what is due by 4,000 (within the step's 10,000) does not cross ...
        let a = call(&m, &p, s(50), 0, |c| tr.act(c, targets(17_000, 27_000)));
        assert_eq!(urgencies(&a), vec![Urgency::Passive], "{a:?}");
        // ... at the step it does: 1,000 behind counting the 3,000 resting; the
        // resting child is cancelled and, once it is, the whole 4,000 crossed.
        let a = call(&m, &p, s(60), 3_000, |c| tr.on_timer(c, 1, targets(17_000, 27_000)));
        assert_eq!(a.last(), Some(&Action::CancelAll), "{a:?}");
        let a = call(&m, &p, s(60), 0, |c| tr.on_child_closed(c, targets(17_000, 27_000)));
        assert_eq!(sent(&a), vec![Qty::from_int(4_000)]);
        assert_eq!(urgencies(&a), vec![Urgency::Aggressive]);
    }

    #[test]
    fn between_steps_a_lag_past_the_steps_quantity_is_crossed_whole() {
        let m = market();
        let (mut tr, open, end) = tracker(&m);
        let mut p = parent(600_000, open, end);
        call(&m, &p, open, 0, |c| tr.on_start(c, targets(0, 10_000)));
        let s = |x: i64| open + Duration::secs(x);
        // 3,000 rest; the target is 12,000 on: 9,000 behind counting what rests, within the step's 10,000.
        assert!(call(&m, &p, s(20), 3_000, |c| tr.act(c, targets(12_000, 22_000))).is_empty());
        // 14,000: 11,000 behind, past it: cancel what rests, then cross the whole 14,000 shortfall.
        let a = call(&m, &p, s(21), 3_000, |c| tr.act(c, targets(14_000, 24_000)));
        assert_eq!(a, vec![Action::CancelAll]);
        assert!(call(&m, &p, s(21), 0, |c| tr.act(c, targets(14_500, 24_500))).is_empty(), "waits for the cancel");
        let a = call(&m, &p, s(22), 0, |c| tr.on_child_closed(c, targets(14_500, 24_500)));
        assert_eq!(sent(&a), vec![Qty::from_int(14_500)]);
        assert_eq!(urgencies(&a), vec![Urgency::Aggressive]);
        // The sweep filled: rest what the next step owes from there.
        p.filled = Qty::from_int(14_500);
        let a = call(&m, &p, s(23), 0, |c| tr.on_child_closed(c, targets(14_500, 24_500)));
        assert_eq!(sent(&a), vec![Qty::from_int(3_000)]);
        assert_eq!(urgencies(&a), vec![Urgency::Passive]);
    }

    #[test]
    fn a_child_the_touch_moved_through_is_cancelled_and_the_lag_crossed() {
        let m = market();
        let (mut tr, open, end) = tracker(&m);
        let mut p = parent(600_000, open, end);
        call(&m, &p, open, 0, |c| tr.on_start(c, targets(0, 10_000)));
        // On schedule and at the touch: the step keeps the resting child and
        // shows nothing beside it (the display size already rests).
        p.filled = Qty::from_int(8_000);
        let a = call(&m, &p, open + Duration::mins(1), 3_000, |c| tr.on_timer(c, 1, targets(10_000, 20_000)));
        assert!(sent(&a).is_empty() && !a.contains(&Action::CancelAll), "{a:?}");
        // The best bid fell a tick below the child: at the next step it is cancelled ...
        let touch = tr.posted.unwrap();
        tr.posted = Some(touch + m.inst.tick_size);
        let a = call(&m, &p, open + Duration::mins(2), 3_000, |c| tr.on_timer(c, 2, targets(20_000, 30_000)));
        assert!(a.contains(&Action::CancelAll), "{a:?}");
        assert!(sent(&a).is_empty());
        // (A quote that shows the touch below it does the same at once, between steps.)
        let mut again = tr.clone();
        again.refreshing = false;
        again.posted = Some(touch + m.inst.tick_size);
        assert_eq!(call(&m, &p, open + Duration::secs(130), 3_000, |c| again.on_quote(c)), vec![Action::CancelAll]);
        // ... and once it is, the 12,000 behind cross and the next step's 10,000 rest.
        let a = call(&m, &p, open + Duration::mins(2), 0, |c| tr.on_child_closed(c, targets(20_000, 30_000)));
        assert_eq!(sent(&a), vec![Qty::from_int(12_000)]);
        assert_eq!(urgencies(&a), vec![Urgency::Aggressive]);
    }
}
