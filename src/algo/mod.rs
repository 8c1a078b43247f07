//! Execution algorithms: one module each, behind one trait.
//!
//! An algorithm is a deterministic state machine. The engine calls it on
//! start, timers, fills, closed children, tape prints and quote updates (the
//! last two only if it asks for them) and it answers with actions: send an
//! intent to the router, cancel its working children, set a timer. It never
//! touches venues or the clock itself, and it can never overfill: the engine
//! clips every intent to the parent's unworked quantity.

pub mod display;
pub mod iceberg;
pub mod is;
pub mod moc;
pub mod params;
pub mod pov;
pub mod slicer;
pub mod sniper;
pub mod tracker;
pub mod twap;
pub mod vwap;

use crate::market::rng::SimRng;
use crate::market::{InstrumentMarket, Session, VolumeCurve};
use crate::model::{AlgoKind, Fill, Instrument, ParentOrder, Price, Qty, Side, Timestamp};
use crate::router::{Intent, Urgency};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use params::{ParamError, Params};

/// One planned slice of a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlannedSlice {
    /// When the slice starts.
    pub at: Timestamp,
    /// Quantity of the slice.
    pub qty: Qty,
    /// Cumulative quantity due by the end of the slice.
    pub cum: Qty,
}

/// Quantity a plan has due by `now`: each slice's quantity accrues linearly
/// from its start to the next slice's start (the last one to `end`), so an
/// order is not "behind" by a whole slice the instant that slice begins.
pub fn due_by(plan: &[PlannedSlice], end: Timestamp, now: Timestamp) -> f64 {
    let mut prev = 0.0;
    for (i, s) in plan.iter().enumerate() {
        if now < s.at {
            break;
        }
        let until = plan.get(i + 1).map_or(end, |n| n.at);
        let cum = s.cum.to_f64();
        if now >= until || until <= s.at {
            prev = cum;
            continue;
        }
        let f = (now.0 - s.at.0) as f64 / (until.0 - s.at.0) as f64;
        return prev + (cum - prev) * f;
    }
    prev
}

/// Everything an algorithm needs to build itself.
#[derive(Debug, Clone, Copy)]
pub struct AlgoSpec<'a> {
    /// Buy or sell.
    pub side: Side,
    /// Parent quantity.
    pub qty: Qty,
    /// Parent limit price.
    pub limit: Option<Price>,
    /// Window start (already clamped to the session).
    pub start: Timestamp,
    /// Window end.
    pub end: Timestamp,
    /// The instrument.
    pub inst: &'a Instrument,
    /// Today's session.
    pub session: &'a Session,
    /// Today's volume curve.
    pub curve: &'a VolumeCurve,
    /// Average taker fee per unit across the instrument's venues, in price units.
    pub fee_per_unit: f64,
}

/// What an algorithm asks the engine to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Route and send child orders for this intent.
    Send(Intent),
    /// An aggressive intent that takes only from venues displaying at least
    /// this quantity at or inside its limit.
    Sweep(Intent, Qty),
    /// Cancel every working child.
    CancelAll,
    /// Call `on_timer(token)` at this time.
    Timer(Timestamp, u64),
}

/// The engine's view handed to an algorithm on every call.
pub struct AlgoCtx<'a> {
    /// Current simulated time.
    pub now: Timestamp,
    /// The parent order (filled quantity, limit, window, ...).
    pub parent: &'a ParentOrder,
    /// Unfilled quantity of live children, including those with a cancel in flight.
    pub working: Qty,
    /// The instrument's market: books, tape, session, curve.
    pub market: &'a InstrumentMarket,
    /// The algorithm's own random stream.
    pub rng: &'a mut SimRng,
    /// Expected volume of the instrument's closing auction (0 where none).
    pub auction_volume: f64,
    actions: &'a mut Vec<Action>,
}

impl<'a> AlgoCtx<'a> {
    /// A context; the engine builds these.
    pub fn new(
        now: Timestamp,
        parent: &'a ParentOrder,
        working: Qty,
        market: &'a InstrumentMarket,
        rng: &'a mut SimRng,
        auction_volume: f64,
        actions: &'a mut Vec<Action>,
    ) -> Self {
        AlgoCtx { now, parent, working, market, rng, auction_volume, actions }
    }
    /// Sends an intent at the parent's limit.
    pub fn send(&mut self, qty: Qty, urgency: Urgency) {
        self.send_limited(qty, urgency, self.parent.limit_px);
    }
    /// Sends an intent at an explicit limit (tightened by the parent's limit).
    pub fn send_limited(&mut self, qty: Qty, urgency: Urgency, limit: Option<Price>) {
        let side = self.parent.side;
        let limit = match (limit, self.parent.limit_px) {
            (Some(a), Some(b)) => Some(if side.better(a, b) { a } else { b }),
            (a, b) => a.or(b),
        };
        if qty.is_positive() {
            self.actions.push(Action::Send(Intent::new(side, qty, limit, urgency)));
        }
    }
    /// Sends an aggressive sweep at the parent's limit that takes only from
    /// venues displaying at least `min_size` at or inside it.
    pub fn sweep(&mut self, qty: Qty, min_size: Qty) {
        if qty.is_positive() {
            let intent = Intent::new(self.parent.side, qty, self.parent.limit_px, Urgency::Aggressive);
            self.actions.push(Action::Sweep(intent, min_size));
        }
    }
    /// Cancels every working child.
    pub fn cancel_all(&mut self) {
        self.actions.push(Action::CancelAll);
    }
    /// Asks for `on_timer(token)` at `at`.
    pub fn timer(&mut self, at: Timestamp, token: u64) {
        self.actions.push(Action::Timer(at, token));
    }
    /// Quantity neither filled nor working.
    pub fn unworked(&self) -> Qty {
        self.parent.leaves().saturating_sub(self.working)
    }
}

/// An execution algorithm.
pub trait ExecAlgo: Send + std::fmt::Debug {
    /// Which algorithm this is.
    fn kind(&self) -> AlgoKind;
    /// The planned schedule, for previews (may be empty for purely reactive algorithms).
    fn plan(&self) -> Vec<PlannedSlice>;
    /// The parent's window has started.
    fn on_start(&mut self, ctx: &mut AlgoCtx<'_>);
    /// A timer it set has fired.
    fn on_timer(&mut self, ctx: &mut AlgoCtx<'_>, token: u64);
    /// One of its children filled.
    fn on_fill(&mut self, _ctx: &mut AlgoCtx<'_>, _fill: &Fill) {}
    /// One of its children reached a final state (filled, cancelled, rejected).
    fn on_child_closed(&mut self, _ctx: &mut AlgoCtx<'_>) {}
    /// Someone else traded `qty` at `px` (only if `wants_trades`).
    fn on_trade(&mut self, _ctx: &mut AlgoCtx<'_>, _px: Price, _qty: Qty) {}
    /// The venues re-quoted (only if `wants_quotes`).
    fn on_quote(&mut self, _ctx: &mut AlgoCtx<'_>) {}
    /// The parent's quantity or limit was amended.
    fn on_amend(&mut self, ctx: &mut AlgoCtx<'_>) {
        self.on_resume(ctx);
    }
    /// The parent was resumed after a pause (timers set before the pause are void).
    fn on_resume(&mut self, ctx: &mut AlgoCtx<'_>);
    /// Whether to call `on_trade`.
    fn wants_trades(&self) -> bool {
        false
    }
    /// Whether to call `on_quote`.
    fn wants_quotes(&self) -> bool {
        false
    }
    /// One line on how the algorithm will behave (for previews).
    fn summary(&self) -> Option<String> {
        None
    }
    /// Whether it takes liquidity first rather than posting (pre-trade
    /// estimates cross all of it then).
    fn crosses(&self) -> bool {
        false
    }
    /// The model behind the plan, for previews (IS: the Almgren-Chriss solution).
    fn model(&self) -> Option<serde_json::Value> {
        None
    }
}

/// Builds the algorithm for a parent, validating its parameters. Parameters
/// every algorithm shares (`on_pause`) are checked by the engine.
pub fn build(
    kind: AlgoKind,
    spec: &AlgoSpec<'_>,
    params: &BTreeMap<String, String>,
    rng: &mut SimRng,
) -> Result<Box<dyn ExecAlgo>, ParamError> {
    let mut p = Params::new(kind, params);
    let algo: Box<dyn ExecAlgo> = match kind {
        AlgoKind::Twap => Box::new(twap::Twap::new(spec, &mut p, rng)?),
        AlgoKind::Vwap => Box::new(vwap::Vwap::new(spec, &mut p)?),
        AlgoKind::Pov => Box::new(pov::Pov::new(spec, &mut p)?),
        AlgoKind::Iceberg => Box::new(iceberg::Iceberg::new(spec, &mut p)?),
        AlgoKind::Is => Box::new(is::Is::new(spec, &mut p)?),
        AlgoKind::Sniper => Box::new(sniper::Sniper::new(spec, &mut p)?),
        AlgoKind::Moc => Box::new(moc::Moc::new(spec, &mut p)?),
    };
    p.finish()?;
    Ok(algo)
}

/// Splits `total` into lots proportionally to `weights`, summing exactly to
/// `total` (largest remainder). `total` should be a multiple of `lot`; any
/// sub-lot remainder goes to the last piece.
pub fn split_in_lots(total: Qty, weights: &[f64], lot: Qty) -> Vec<Qty> {
    if weights.is_empty() {
        return Vec::new();
    }
    let lots_total = total.raw() / lot.raw().max(1);
    let wsum: f64 = weights.iter().map(|w| w.max(0.0)).sum();
    let n = weights.len();
    let exact: Vec<f64> = if wsum > 0.0 {
        weights.iter().map(|w| w.max(0.0) / wsum * lots_total as f64).collect()
    } else {
        vec![lots_total as f64 / n as f64; n]
    };
    let mut lots: Vec<i64> = exact.iter().map(|x| x.floor() as i64).collect();
    let mut short = lots_total - lots.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..n).collect();
    // Largest fractional part first; earlier slices win ties.
    order.sort_by(|&a, &b| {
        let fa = exact[a] - exact[a].floor();
        let fb = exact[b] - exact[b].floor();
        fb.partial_cmp(&fa).unwrap_or(std::cmp::Ordering::Equal).then(a.cmp(&b))
    });
    for &i in order.iter().cycle() {
        if short <= 0 {
            break;
        }
        lots[i] += 1;
        short -= 1;
    }
    let mut out: Vec<Qty> = lots.iter().map(|l| Qty::from_raw(l * lot.raw().max(1))).collect();
    let rem = total - out.iter().copied().sum::<Qty>();
    if let Some(last) = out.last_mut() {
        *last += rem;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn split_is_exact() {
        let parts = split_in_lots(Qty::from_int(200_000), &[1.0; 78], Qty::from_int(1));
        assert_eq!(parts.iter().copied().sum::<Qty>(), Qty::from_int(200_000));
        let parts = split_in_lots(Qty::from_int(10), &[1.0, 1.0, 1.0], Qty::from_int(1));
        assert_eq!(parts, vec![Qty::from_int(4), Qty::from_int(3), Qty::from_int(3)]);
    }

    #[test]
    fn due_accrues_through_each_slice() {
        let t = |s: i64| Timestamp(s * 1_000_000_000);
        let slice = |at, cum| PlannedSlice { at: t(at), qty: Qty::from_int(100), cum: Qty::from_int(cum) };
        let plan = [slice(100, 100), slice(200, 200), slice(300, 300)];
        let due = |now| due_by(&plan, t(400), t(now));
        assert_eq!(due(50), 0.0, "nothing before the first slice");
        assert_eq!(due(100), 0.0, "a slice is not all due the instant it starts");
        assert_eq!(due(150), 50.0);
        assert_eq!(due(200), 100.0);
        assert_eq!(due(350), 250.0);
        assert_eq!(due(400), 300.0);
        assert_eq!(due(999), 300.0);
        // A one-instant plan (a market-on-close) is due at once.
        assert_eq!(due_by(&[slice(100, 100)], t(100), t(100)), 100.0);
    }

    proptest! {
        #[test]
        fn split_sums_to_total(total in 1i64..5_000_000, n in 1usize..400, lot in 1i64..500) {
            let lot = Qty::from_int(lot);
            let total = Qty::from_int(total).round_down_to(lot).max(lot);
            let weights: Vec<f64> = (0..n).map(|i| 1.0 + (i % 7) as f64).collect();
            let parts = split_in_lots(total, &weights, lot);
            prop_assert_eq!(parts.iter().copied().sum::<Qty>(), total);
            prop_assert!(parts.iter().all(|p| !p.is_negative() && p.is_multiple_of(lot)));
        }
    }
}
