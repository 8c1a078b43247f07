//! The executor of the dynamic VWAP: keeps the filled quantity on a target
//! that moves with the volume as it prints (a volume clock), rather than on
//! a timetable.
//!
//! The algorithm hands it two targets on every print and every step: what
//! is due now, and what will be due one step ahead. The tracker
//! - keeps a passive child resting at the near touch for what will be due a
//!   step ahead, so the prints that trade through it fill it, in step with
//!   the volume; it shows at most the display size (`display` times the
//!   touch depth, as the slicer) and the next piece is posted once it has
//!   filled, so a large order is not shown whole;
//! - crosses at once whenever filled plus working falls behind what is due
//!   now by at least `min_child` (a burst of volume outran the resting
//!   child): the resting child is cancelled first and the whole shortfall
//!   crossed in one sweep, so a sweep never works beside a resting child;
//! - at every step cancels a resting child that did not deliver what was
//!   due (the market moved away from it) and crosses the shortfall, and
//!   re-posts a child the touch has moved away from for `PEG_AFTER`;
//! - caps filled plus working at `max_pct` of all volume traded since the
//!   start (ours included), and keeps at least `min_pct` of it;
//! - in the final phase (shortly before `end`) crosses whatever is left:
//!   within the cap, or, when told to finish on time, regardless of it.

use super::AlgoCtx;
use super::pov::PEG_AFTER;
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
    /// Where and since when the resting child rests.
    posted: Option<(Price, Timestamp)>,
    /// Cancels sent; act again once they are confirmed.
    refreshing: bool,
    /// What was due at the last step.
    due_at_step: Qty,
    final_phase: bool,
    /// The one timer token that counts (an amend or a resume re-arms; the old timer is void).
    armed: u64,
    /// The most a resting child shows, in multiples of the touch depth.
    display: f64,
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
            display: super::slicer::DEFAULT_DISPLAY,
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
        self.act(ctx, t);
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
        let t = self.bounded(ctx, t);
        let stale = self.posted.is_some_and(|_| ctx.parent.filled < self.due_at_step);
        self.due_at_step = t.now;
        if (stale || self.final_phase) && ctx.working.is_positive() && self.in_flight.is_none() {
            // The resting child did not keep up (or time is up): cancel it and cross the shortfall.
            self.refresh(ctx);
            return;
        }
        self.act_at(ctx, t, true);
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
        self.act_at(ctx, t, false);
    }

    /// Acts on new targets; at a step a resting child may be topped up.
    fn act_at(&mut self, ctx: &mut AlgoCtx<'_>, t: Targets, stepping: bool) {
        if self.refreshing {
            return;
        }
        if self.in_flight.is_some() {
            if ctx.working.is_positive() {
                return;
            }
            self.in_flight = None;
        }
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
        let behind = t.now.saturating_sub(committed).round_down_to(lot);
        if behind >= self.min_child.min(ctx.unworked()) && behind.is_positive() {
            if ctx.working.is_positive() {
                // Cross the whole shortfall at once, the resting child's part included.
                self.refresh(ctx);
            } else {
                ctx.send(behind, Urgency::Aggressive);
                self.in_flight = Some(ctx.parent.filled + behind);
            }
            return;
        }
        // One resting child at a time, posted at a step or once the last one has filled.
        if !stepping && ctx.working.is_positive() {
            return;
        }
        let shown = super::slicer::display_qty(&ctx.market.inst, self.display);
        let post = t.ahead.saturating_sub(committed).round_down_to(lot).min(shown);
        if post >= self.min_child.min(ctx.unworked()) && post.is_positive() {
            let px = passive_price(ctx.market, ctx.parent.side, ctx.parent.limit_px, ctx.now);
            ctx.send(post, Urgency::Passive);
            self.posted = Some((px, ctx.now));
        }
    }

    /// Cancels what rests, to act again once the cancels are confirmed.
    fn refresh(&mut self, ctx: &mut AlgoCtx<'_>) {
        self.refreshing = true;
        self.posted = None;
        ctx.cancel_all();
    }

    /// A child closed: once nothing works, act again.
    pub fn on_child_closed(&mut self, ctx: &mut AlgoCtx<'_>, t: Targets) {
        if ctx.working.is_positive() {
            return;
        }
        self.in_flight = None;
        self.refreshing = false;
        self.posted = None;
        self.act(ctx, t);
    }

    /// Re-posts a resting child the touch has moved away from.
    pub fn on_quote(&mut self, ctx: &mut AlgoCtx<'_>) {
        if self.refreshing || self.in_flight.is_some() || !ctx.working.is_positive() {
            return;
        }
        let Some((px, since)) = self.posted else { return };
        let side = ctx.parent.side;
        let touch = passive_price(ctx.market, side, ctx.parent.limit_px, ctx.now);
        if side.better(touch, px) && ctx.now - since >= PEG_AFTER {
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
        self.act(ctx, t);
    }
}
