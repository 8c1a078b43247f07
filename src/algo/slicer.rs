//! The executor shared by the schedule-following algorithms (TWAP, VWAP, IS).
//!
//! They differ only in *what* the schedule is (equal slices, the volume curve,
//! the Almgren-Chriss trajectory); *how* a schedule is worked is the same:
//! each slice is first worked passively at the near touch, showing at most
//! the display size (`display` times the instrument's touch depth, one touch
//! by default) and re-posting the next piece as each fills; whatever is
//! behind schedule when the next slice starts is cancelled and crossed, so
//! the order never falls more than one slice behind. The display bound is
//! what a real algorithm does: a bid many times the touch is not shown whole
//! (it would advertise the order and, resting whole, take a share of the
//! contra flow no single order gets). A final sweep shortly before `end`
//! crosses any residual; what still cannot fill by `end` is the residual.
//!
//! Options that serve VWAP: `rebalance` spreads a lead or an unrecoverable lag
//! over the remaining slices in proportion to their weights (instead of idling
//! or chasing); a participation cap bounds every slice by a share of the
//! volume others have traded plus what is expected next (the curve's
//! expectation, or a forecast the algorithm hands over with
//! `set_expected_next`), and a floor keeps every slice at a minimum share of
//! it; `retarget` moves what is due by a slice when a dynamic schedule
//! re-forecasts. By default the cap holds to the end and what it stops
//! expires; `finish_on_time` lifts it for the final sweep instead.

use super::{AlgoCtx, PlannedSlice, split_in_lots};

/// The `ExecAlgo` hooks of an algorithm whose whole behaviour is a `Slicer`
/// in its `slicer` field (TWAP, VWAP, IS differ only in how they plan).
macro_rules! delegate_to_slicer {
    () => {
        fn plan(&self) -> Vec<$crate::algo::PlannedSlice> {
            self.slicer.plan().to_vec()
        }

        fn on_start(&mut self, ctx: &mut $crate::algo::AlgoCtx<'_>) {
            self.slicer.on_start(ctx);
        }

        fn on_timer(&mut self, ctx: &mut $crate::algo::AlgoCtx<'_>, token: u64) {
            self.slicer.on_timer(ctx, token);
        }

        fn on_child_closed(&mut self, ctx: &mut $crate::algo::AlgoCtx<'_>) {
            self.slicer.on_child_closed(ctx);
        }

        fn on_amend(&mut self, ctx: &mut $crate::algo::AlgoCtx<'_>) {
            self.slicer.on_amend(ctx);
        }

        fn on_resume(&mut self, ctx: &mut $crate::algo::AlgoCtx<'_>) {
            self.slicer.on_resume(ctx);
        }

        fn crosses(&self) -> bool {
            self.slicer.crosses()
        }
    };
}
use crate::model::{Duration, Qty, Timestamp};
use crate::router::Urgency;
pub(crate) use delegate_to_slicer;

const FINAL: u64 = u64::MAX;
const RETRY: u64 = u64::MAX - 1;
/// Crosses again what a catch-up could not take from the displayed book.
const CATCH_UP: u64 = u64::MAX - 2;
/// How long a short catch-up waits for the book to refill before crossing again.
const CATCH_UP_AFTER: Duration = Duration::secs(2);

/// Builds a plan from slice start times and weights, summing exactly to `qty`.
pub fn plan_from(times: &[Timestamp], weights: &[f64], qty: Qty, lot: Qty) -> Vec<PlannedSlice> {
    let sizes = split_in_lots(qty, weights, lot);
    let mut cum = Qty::ZERO;
    times
        .iter()
        .zip(sizes)
        .map(|(&at, qty)| {
            cum += qty;
            PlannedSlice { at, qty, cum }
        })
        .collect()
}

/// Equally spaced slice start times over [start, end).
pub fn equal_times(start: Timestamp, end: Timestamp, n: usize) -> Vec<Timestamp> {
    let interval = (end - start).0 as f64 / n.max(1) as f64;
    (0..n).map(|k| Timestamp(start.0 + (k as f64 * interval).round() as i64)).collect()
}

/// Default number of slices: one per five minutes of the window, at least one
/// and never more slices than lots.
pub fn default_slices(start: Timestamp, end: Timestamp, qty: Qty, lot: Qty) -> (i64, i64) {
    let window = end - start;
    let by_time = ((window.0 as f64 / Duration::mins(5).0 as f64).round() as i64).max(1);
    let lots = (qty.raw() / lot.raw().max(1)).max(1);
    (by_time.min(lots), lots)
}

/// Works a planned schedule on behalf of an algorithm.
#[derive(Debug, Clone)]
pub struct Slicer {
    plan: Vec<PlannedSlice>,
    weights: Option<Vec<f64>>,
    end: Timestamp,
    final_at: Timestamp,
    aggressive: bool,
    current: Option<usize>,
    final_phase: bool,
    awaiting_cancels: bool,
    rebalance: bool,
    max_pct: Option<f64>,
    min_pct: Option<f64>,
    finish_on_time: bool,
    /// Others' volume expected until the next slice, when the algorithm forecasts it.
    expected_next: Option<f64>,
    vol_at_start: Option<Qty>,
    /// The slice timer we are waiting for: an amend re-acts at once, and the
    /// timer it replaced must not fire a second slice on top.
    armed: Option<u64>,
    /// The current slice's passive quantity: shown at most the display size at once.
    shown: Shown,
    /// A catch-up retry is armed.
    catch_up_armed: bool,
}

use super::display::Shown;
pub use super::display::{DEFAULT_DISPLAY, display_param, display_qty};

impl Slicer {
    /// An executor for `plan` over [start, end]. `weights` (one per slice)
    /// shape any re-plan; without them the current slice sizes do.
    pub fn new(
        plan: Vec<PlannedSlice>,
        weights: Option<Vec<f64>>,
        start: Timestamp,
        end: Timestamp,
        aggressive: bool,
    ) -> Slicer {
        let window = end - start;
        let interval = window.0 as f64 / plan.len().max(1) as f64;
        // Long enough before `end` for a sweep and a retry or two.
        let grace = Duration(((interval / 4.0) as i64).clamp(Duration::secs(1).0, Duration::secs(30).0))
            .min(Duration(window.0 / 2));
        Slicer {
            plan,
            weights,
            end,
            final_at: end - grace,
            aggressive,
            current: None,
            final_phase: false,
            awaiting_cancels: false,
            rebalance: false,
            max_pct: None,
            min_pct: None,
            finish_on_time: false,
            expected_next: None,
            vol_at_start: None,
            armed: None,
            shown: Shown::new(DEFAULT_DISPLAY),
            catch_up_armed: false,
        }
    }

    /// Show at most `display` times the touch depth passively at once.
    pub fn with_display(mut self, display: f64) -> Slicer {
        self.shown = Shown::new(display);
        self
    }

    /// Spread leads and unrecoverable lags over the remaining slices.
    pub fn with_rebalance(mut self) -> Slicer {
        self.rebalance = true;
        self
    }

    /// Never exceed `pct` of the volume traded (ours included).
    pub fn with_max_pct(mut self, pct: Option<f64>) -> Slicer {
        self.max_pct = pct;
        self
    }

    /// Never less than `pct` of the volume traded in a slice, while quantity is left.
    pub fn with_min_pct(mut self, pct: Option<f64>) -> Slicer {
        self.min_pct = pct;
        self
    }

    /// Lift the participation cap for the final sweep, so the order finishes on time.
    pub fn with_finish_on_time(mut self, on: bool) -> Slicer {
        self.finish_on_time = on;
        self
    }

    /// Others' volume expected until the next slice (replaces the curve's expectation).
    pub fn set_expected_next(&mut self, volume: f64) {
        self.expected_next = Some(volume);
    }

    /// Makes `due_now` the quantity due by the start of slice `k` and spreads
    /// the rest of `total` over slices `k..` in proportion to the weights.
    pub fn retarget(&mut self, k: usize, due_now: Qty, total: Qty, lot: Qty) {
        if k >= self.plan.len() {
            return;
        }
        let due_now = due_now.min(total);
        if k > 0 {
            let before = if k > 1 { self.plan[k - 2].cum } else { Qty::ZERO };
            self.plan[k - 1].cum = due_now;
            self.plan[k - 1].qty = due_now.saturating_sub(before);
        }
        self.replan_from(k, due_now, total, lot);
    }

    /// The current plan.
    pub fn plan(&self) -> &[PlannedSlice] {
        &self.plan
    }

    /// Whether each slice crosses at once (`urgency=aggressive`) instead of posting first.
    pub fn crosses(&self) -> bool {
        self.aggressive
    }

    fn due_before(&self, k: usize) -> Qty {
        if k == 0 { Qty::ZERO } else { self.plan[k - 1].cum }
    }

    /// Others' volume expected from now until `until`.
    fn expected(&self, ctx: &AlgoCtx<'_>, until: Timestamp) -> f64 {
        self.expected_next.unwrap_or_else(|| ctx.market.expected_volume(ctx.now, until))
    }

    /// Quantity the participation cap still allows up to `until`, if capped.
    fn cap_room(&self, ctx: &AlgoCtx<'_>, until: Timestamp) -> Option<Qty> {
        let pct = self.max_pct?;
        let base = self.vol_at_start.unwrap_or(ctx.market.market_volume);
        let others = (ctx.market.market_volume - base).to_f64() + self.expected(ctx, until);
        // Our share of all volume <= pct  <=>  ours <= pct / (1 - pct) * others.
        let allowed = Qty::from_f64(others * pct / (1.0 - pct)).unwrap_or(Qty::ZERO);
        Some(allowed.saturating_sub(ctx.parent.filled + ctx.working))
    }

    /// The least a slice ending at `until` sends under the participation floor.
    fn floor(&self, ctx: &AlgoCtx<'_>, until: Timestamp, lot: Qty) -> Qty {
        let Some(pct) = self.min_pct else { return Qty::ZERO };
        Qty::from_f64(self.expected(ctx, until) * pct / (1.0 - pct)).unwrap_or(Qty::ZERO).round_down_to(lot)
    }

    fn act(&mut self, ctx: &mut AlgoCtx<'_>) {
        let lot = ctx.market.inst.lot_size;
        self.shown.clear();
        if self.final_phase {
            let mut left = ctx.unworked();
            if !self.finish_on_time
                && let Some(room) = self.cap_room(ctx, self.end)
            {
                left = left.min(room);
            }
            if left.is_positive() {
                ctx.send(left, Urgency::Aggressive);
                let retry = ctx.now + Duration::secs(2);
                if retry < self.end {
                    ctx.timer(retry, RETRY);
                }
            }
            return;
        }
        let Some(k) = self.current else { return };
        let filled = ctx.parent.filled;
        if self.rebalance && filled > self.due_before(k) {
            // Ahead: shrink the rest of the schedule rather than idle.
            self.replan_from(k, filled, ctx.parent.qty, lot);
        }
        let next_at = self.plan.get(k + 1).map_or(self.end, |s| s.at);
        let mut room = self.cap_room(ctx, next_at);
        let behind = self.due_before(k).saturating_sub(filled);
        let catch_up = room.map_or(behind, |r| behind.min(r));
        ctx.send(catch_up, Urgency::Aggressive);
        if let Some(r) = room.as_mut() {
            *r = r.saturating_sub(catch_up);
        }
        if self.rebalance && catch_up < behind {
            // The cap stops us catching up: spread the lag over what is left.
            self.replan_from(k, filled + catch_up, ctx.parent.qty, lot);
        }
        let this_slice = self.plan[k].cum.saturating_sub(self.due_before(k).max(filled + catch_up));
        let this_slice = this_slice.max(self.floor(ctx, next_at, lot).saturating_sub(catch_up));
        let this_slice = room.map_or(this_slice, |r| this_slice.min(r));
        if self.aggressive {
            ctx.send(this_slice, Urgency::Aggressive);
        } else {
            self.shown.post(ctx, this_slice);
        }
        let (at, token) = match self.plan.get(k + 1) {
            Some(next) if next.at < self.final_at => (next.at, (k + 1) as u64),
            _ => (self.final_at.max(ctx.now), FINAL),
        };
        self.arm(ctx, at, token);
    }

    fn arm(&mut self, ctx: &mut AlgoCtx<'_>, at: Timestamp, token: u64) {
        self.armed = Some(token);
        ctx.timer(at, token);
    }

    /// Cancels what is working, then acts once every cancel is confirmed.
    fn refresh(&mut self, ctx: &mut AlgoCtx<'_>) {
        if ctx.working.is_positive() {
            ctx.cancel_all();
            self.awaiting_cancels = true;
        } else {
            self.act(ctx);
        }
    }

    /// Re-plans slices `from..` so the plan reaches `total`, starting from
    /// `done` already due by slice `from`, in proportion to the weights.
    fn replan_from(&mut self, from: usize, done: Qty, total: Qty, lot: Qty) {
        if from >= self.plan.len() {
            return;
        }
        let done = done.min(total);
        let weights: Vec<f64> = match &self.weights {
            Some(w) => w[from..].to_vec(),
            None => self.plan[from..].iter().map(|s| s.qty.to_f64().max(1.0)).collect(),
        };
        let sizes = split_in_lots(total - done, &weights, lot);
        let mut cum = done;
        for (s, q) in self.plan[from..].iter_mut().zip(sizes) {
            cum += q;
            s.qty = q;
            s.cum = cum;
        }
    }

    /// The window has started.
    pub fn on_start(&mut self, ctx: &mut AlgoCtx<'_>) {
        self.vol_at_start = Some(ctx.market.market_volume);
        let first = self.plan.first().map_or(ctx.now, |s| s.at).max(ctx.now);
        self.arm(ctx, first, 0);
    }

    /// A timer set by `act` or `on_start` fired.
    pub fn on_timer(&mut self, ctx: &mut AlgoCtx<'_>, token: u64) {
        if token != RETRY && token != CATCH_UP && self.armed != Some(token) {
            return;
        }
        match token {
            CATCH_UP => {
                self.catch_up_armed = false;
                if !self.final_phase && !self.awaiting_cancels {
                    self.catch_up(ctx);
                }
            }
            FINAL => {
                self.final_phase = true;
                self.refresh(ctx);
            }
            RETRY => {
                if self.final_phase && !ctx.working.is_positive() {
                    self.act(ctx);
                }
            }
            k => {
                self.current = Some(k as usize);
                self.refresh(ctx);
            }
        }
    }

    /// A child closed: act once the cancels we waited for are all confirmed;
    /// otherwise show the next piece of the slice (the display refreshes as
    /// it fills, at the back of the queue like any new order).
    pub fn on_child_closed(&mut self, ctx: &mut AlgoCtx<'_>) {
        if self.awaiting_cancels {
            if !ctx.working.is_positive() {
                self.awaiting_cancels = false;
                self.act(ctx);
            }
        } else if !self.final_phase {
            self.shown.refill(ctx);
            if !self.catch_up_armed && self.behind(ctx).is_positive() {
                // A catch-up took what the book showed and came back short:
                // cross the rest once the book has refilled, not at the next slice.
                self.catch_up_armed = true;
                ctx.timer(ctx.now + CATCH_UP_AFTER, CATCH_UP);
            }
        }
    }

    /// What was due by the current slice's start and is neither filled nor working.
    fn behind(&self, ctx: &AlgoCtx<'_>) -> Qty {
        self.current.map_or(Qty::ZERO, |k| self.due_before(k).saturating_sub(ctx.parent.filled + ctx.working))
    }

    /// Crosses what is behind, within the participation cap.
    fn catch_up(&mut self, ctx: &mut AlgoCtx<'_>) {
        let Some(k) = self.current else { return };
        let next_at = self.plan.get(k + 1).map_or(self.end, |s| s.at);
        let behind = self.behind(ctx);
        let q = self.cap_room(ctx, next_at).map_or(behind, |r| behind.min(r));
        ctx.send(q, Urgency::Aggressive);
    }

    /// Amended: the engine has already fitted working children to the new
    /// quantity and limit (keeping their queue priority), so re-plan the
    /// remaining slices and top up the current one without cancelling anything.
    pub fn on_amend(&mut self, ctx: &mut AlgoCtx<'_>) {
        let lot = ctx.market.inst.lot_size;
        let k = self.plan.iter().rposition(|s| s.at <= ctx.now).unwrap_or(0);
        let done = self.due_before(k);
        self.replan_from(k, done, ctx.parent.qty, lot);
        if self.final_phase {
            if !ctx.working.is_positive() {
                self.act(ctx);
            }
        } else if self.current == Some(k) && !self.awaiting_cancels {
            let top_up = self.plan[k].cum.saturating_sub(ctx.parent.filled + ctx.working + self.shown.pending());
            if self.aggressive {
                ctx.send(top_up, Urgency::Aggressive);
            } else {
                let pending = self.shown.pending();
                self.shown.post(ctx, pending + top_up);
            }
        }
    }

    /// Resumed: re-plan the remaining slices to the parent's quantity and
    /// carry on from the current slice (timers set before the pause are void).
    pub fn on_resume(&mut self, ctx: &mut AlgoCtx<'_>) {
        let lot = ctx.market.inst.lot_size;
        let k = self.plan.iter().rposition(|s| s.at <= ctx.now).unwrap_or(0);
        let done = self.due_before(k);
        self.replan_from(k, done, ctx.parent.qty, lot);
        if ctx.now >= self.final_at {
            self.final_phase = true;
        } else if self.plan.first().is_some_and(|s| s.at > ctx.now) {
            // Not started yet: wait for the first slice.
            self.arm(ctx, self.plan[0].at, 0);
            return;
        }
        self.current = Some(k);
        self.refresh(ctx);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::algo::Action;
    use crate::market::rng::{Stream, stream};
    use crate::market::session::session;
    use crate::market::{InstrumentMarket, MarketParams, Universe};
    use crate::model::{AlgoKind, Money, Owner, ParentId, ParentOrder, ParentStatus, Side};
    use chrono::NaiveDate;

    pub(crate) fn market() -> InstrumentMarket {
        let u = Universe::builtin();
        let i = u.instrument_index("AAPL").unwrap();
        let s = session(u.instruments()[i].calendar, "NASDAQ", NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()).unwrap();
        let mut m = InstrumentMarket::new(&u, i, s, s.open, 1, MarketParams::default());
        m.on_tick(s.open);
        m
    }

    pub(crate) fn parent(qty: i64, start: Timestamp, end: Timestamp) -> ParentOrder {
        ParentOrder {
            id: ParentId::local(1),
            owner: Owner::default(),
            symbol: "AAPL".into(),
            side: Side::Buy,
            qty: Qty::from_int(qty),
            limit_px: None,
            algo: AlgoKind::Twap,
            params: Default::default(),
            start,
            end,
            status: ParentStatus::Working,
            filled: Qty::ZERO,
            notional: Money::ZERO,
            fees: Money::ZERO,
            arrival_px: None,
            decision_px: None,
            created_at: start,
            done_at: None,
            children: 0,
        }
    }

    /// Calls `f` with a context at `now` (nothing working) and returns the actions.
    fn call(m: &InstrumentMarket, p: &ParentOrder, now: Timestamp, f: impl FnOnce(&mut AlgoCtx<'_>)) -> Vec<Action> {
        let mut rng = stream(1, Stream::Algo, 1);
        let mut actions = Vec::new();
        let mut ctx = AlgoCtx::new(now, p, Qty::ZERO, m, &mut rng, 0.0, &mut actions);
        f(&mut ctx);
        actions
    }

    fn sends(a: &[Action]) -> usize {
        a.iter().filter(|a| matches!(a, Action::Send(_))).count()
    }

    #[test]
    fn a_superseded_slice_timer_does_not_fire_a_second_slice() {
        let m = market();
        let open = m.session.open;
        let end = open + Duration::mins(60);
        let plan = plan_from(&equal_times(open, end, 12), &[1.0; 12], Qty::from_int(12_000), Qty::from_int(1));
        let mut s = Slicer::new(plan, None, open, end, false);
        let mut p = parent(12_000, open, end);
        assert!(call(&m, &p, open, |c| s.on_start(c)).contains(&Action::Timer(open, 0)));
        let a = call(&m, &p, open, |c| s.on_timer(c, 0));
        assert_eq!(sends(&a), 1);
        let t1 = open + Duration::mins(5);
        assert!(a.contains(&Action::Timer(t1, 1)));
        // The first slice filled; a re-plan two minutes in re-acts and re-arms slice 1.
        p.filled = Qty::from_int(1_000);
        p.qty = Qty::from_int(15_000);
        let a = call(&m, &p, open + Duration::mins(2), |c| s.on_resume(c));
        assert!(a.contains(&Action::Timer(t1, 1)), "{a:?}");
        // Both timers for slice 1 fire: only one slice goes out.
        assert!(sends(&call(&m, &p, t1, |c| s.on_timer(c, 1))) >= 1);
        assert_eq!(call(&m, &p, t1, |c| s.on_timer(c, 1)), Vec::new(), "a superseded timer acted");
    }

    #[test]
    fn an_amend_tops_up_the_current_slice_without_cancelling() {
        let m = market();
        let open = m.session.open;
        let end = open + Duration::mins(60);
        let plan = plan_from(&equal_times(open, end, 12), &[1.0; 12], Qty::from_int(12_000), Qty::from_int(1));
        let mut s = Slicer::new(plan, None, open, end, false);
        let mut p = parent(12_000, open, end);
        call(&m, &p, open, |c| s.on_start(c));
        call(&m, &p, open, |c| s.on_timer(c, 0));
        // 12,000 -> 24,000 with the first 1,000-share slice still working (not filled).
        p.qty = Qty::from_int(24_000);
        let mut rng = stream(1, Stream::Algo, 1);
        let mut actions = Vec::new();
        let mut ctx = AlgoCtx::new(open + Duration::mins(1), &p, Qty::from_int(1_000), &m, &mut rng, 0.0, &mut actions);
        s.on_amend(&mut ctx);
        assert_eq!(actions.len(), 1, "{actions:?}");
        assert!(matches!(&actions[0], Action::Send(i) if i.qty == Qty::from_int(1_000)), "{actions:?}");
        assert_eq!(s.plan().last().unwrap().cum, Qty::from_int(24_000));
        assert!(s.plan().iter().all(|x| x.qty == Qty::from_int(2_000)));
    }

    pub(crate) fn sent(a: &[Action]) -> Vec<Qty> {
        a.iter()
            .filter_map(|a| match a {
                Action::Send(i) => Some(i.qty),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_passive_slice_shows_at_most_the_display_size_and_refreshes_as_it_fills() {
        let m = market();
        let open = m.session.open;
        let end = open + Duration::mins(60);
        // 120,000 in 12 slices: 10,000 a slice against AAPL's 3,000-share touch depth.
        let plan = plan_from(&equal_times(open, end, 12), &[1.0; 12], Qty::from_int(120_000), Qty::from_int(1));
        let mut s = Slicer::new(plan, None, open, end, false);
        let mut p = parent(120_000, open, end);
        call(&m, &p, open, |c| s.on_start(c));
        assert_eq!(sent(&call(&m, &p, open, |c| s.on_timer(c, 0))), vec![Qty::from_int(3_000)]);
        // 1,000 of the 3,000 shown filled and closed one child: 2,000 still show, 1,000 more go up.
        p.filled = Qty::from_int(1_000);
        let mut rng = stream(1, Stream::Algo, 1);
        let mut actions = Vec::new();
        let mut ctx =
            AlgoCtx::new(open + Duration::secs(30), &p, Qty::from_int(2_000), &m, &mut rng, 0.0, &mut actions);
        s.on_child_closed(&mut ctx);
        assert_eq!(sent(&actions), vec![Qty::from_int(1_000)]);
        // Everything shown filled (4,000 in all): 3,000 of the 6,000 still to show go up, then the last 3,000.
        p.filled = Qty::from_int(4_000);
        assert_eq!(
            sent(&call(&m, &p, open + Duration::secs(60), |c| s.on_child_closed(c))),
            vec![Qty::from_int(3_000)]
        );
        p.filled = Qty::from_int(7_000);
        assert_eq!(
            sent(&call(&m, &p, open + Duration::secs(90), |c| s.on_child_closed(c))),
            vec![Qty::from_int(3_000)]
        );
        // The slice's 10,000 are all shown: nothing more until the next slice.
        p.filled = Qty::from_int(10_000);
        assert!(sent(&call(&m, &p, open + Duration::secs(120), |c| s.on_child_closed(c))).is_empty());
        // The next slice starts 4,000 behind (6,000 filled): 4,000 cross, 3,000 of the new 10,000 show.
        p.filled = Qty::from_int(6_000);
        let mut s2 = s.clone();
        let a = call(&m, &p, open + Duration::mins(5), |c| s2.on_timer(c, 1));
        assert_eq!(sent(&a), vec![Qty::from_int(4_000), Qty::from_int(3_000)], "{a:?}");
        assert!(matches!(&a[0], Action::Send(i) if i.urgency == Urgency::Aggressive));
        assert!(matches!(&a[1], Action::Send(i) if i.urgency == Urgency::Passive));
    }

    #[test]
    fn the_display_parameter_scales_the_shown_size() {
        let m = market();
        let open = m.session.open;
        let end = open + Duration::mins(60);
        let plan = plan_from(&equal_times(open, end, 12), &[1.0; 12], Qty::from_int(120_000), Qty::from_int(1));
        let p = parent(120_000, open, end);
        let mut s = Slicer::new(plan.clone(), None, open, end, false).with_display(0.5);
        call(&m, &p, open, |c| s.on_start(c));
        assert_eq!(sent(&call(&m, &p, open, |c| s.on_timer(c, 0))), vec![Qty::from_int(1_500)]);
        let mut s = Slicer::new(plan, None, open, end, false).with_display(1000.0);
        call(&m, &p, open, |c| s.on_start(c));
        assert_eq!(sent(&call(&m, &p, open, |c| s.on_timer(c, 0))), vec![Qty::from_int(10_000)], "the whole slice");
    }

    #[test]
    fn the_participation_cap_bounds_what_a_slice_sends() {
        let m = market();
        let open = m.session.open;
        let end = open + Duration::mins(60);
        let plan = plan_from(&equal_times(open, end, 12), &[1.0; 12], Qty::from_int(1_200_000), Qty::from_int(1));
        let mut s = Slicer::new(plan, None, open, end, false).with_max_pct(Some(0.05)).with_rebalance();
        let p = parent(1_200_000, open, end);
        call(&m, &p, open, |c| s.on_start(c));
        let a = call(&m, &p, open, |c| s.on_timer(c, 0));
        // 5% of all volume = 5/95 of what others are expected to trade in the first 5 minutes.
        let expected = m.expected_volume(open, open + Duration::mins(5)) * 0.05 / 0.95;
        let sent: f64 = a
            .iter()
            .filter_map(|a| match a {
                Action::Send(i) => Some(i.qty.to_f64()),
                _ => None,
            })
            .sum();
        assert!(sent > 0.0 && sent <= expected + 1.0, "sent {sent}, cap {expected}");
        assert!(sent < 100_000.0, "the uncapped slice would be 100,000");
    }
}
