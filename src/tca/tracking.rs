//! How a VWAP order tracked the volume, bucket by bucket of its window (the
//! intraday curve's buckets): the share of the order the curve planned in
//! each, the share of the window's volume the dynamic forecast expected in it
//! as it stood when the bucket began (replayed from the tape with the forecast
//! the order made: `market::forecast::ForecastPlan`, its half-life, prior
//! weight and look-back), the share the market actually printed, and the
//! share of the order executed. Planned against market shows how good the
//! profile was; forecast against market how much the re-forecast recovered;
//! executed against market how well the order followed.

use crate::market::forecast::ForecastPlan;
use crate::market::tracking::TrackingState;
use crate::market::{InstrumentMarket, Tape, VolumeCurve};
use crate::model::{AlgoKind, Fill, ParentOrder, Timestamp};

/// One bucket of the window: the running tracking's shares, reported as they are.
pub use crate::market::tracking::BucketShares as BucketTracking;

/// What the tracking is computed from.
#[derive(Clone, Copy)]
pub struct TrackingInput<'a> {
    /// The curve the order planned on.
    pub curve: &'a VolumeCurve,
    /// Its forecast's window, prior and settings ([`ForecastPlan::for_order`]).
    pub plan: &'a ForecastPlan,
    /// The order's fills.
    pub fills: &'a [Fill],
    /// The tape (ours flagged).
    pub tape: &'a Tape,
}

/// The tracking of an engine's VWAP order from its running state (`None` for other algorithms).
pub fn for_parent(order: &ParentOrder, state: Option<&TrackingState>) -> Option<Vec<BucketTracking>> {
    if order.algo != AlgoKind::Vwap {
        return None;
    }
    state.map(TrackingState::shares)
}

/// The running tracking of a VWAP order on its market, to be fed from its start.
pub fn start_for(order: &ParentOrder, m: &InstrumentMarket) -> Option<TrackingState> {
    (order.algo == AlgoKind::Vwap).then(|| TrackingState::new(&m.curve, &ForecastPlan::for_order(order, m)))
}

/// The tracking of a window, bucket by bucket, in one pass over its tape and fills.
pub fn tracking(i: &TrackingInput<'_>) -> Vec<BucketTracking> {
    let mut s = TrackingState::new(i.curve, i.plan);
    // As the running tracking: the level once a print at or after the start is on the tape.
    if let Some(f) = i.tape.window(i.plan.start, Timestamp(i64::MAX)).first().and_then(|p| s.level_due(p.ts, i.tape)) {
        s.set_level(f);
    }
    for p in i.tape.window(i.plan.start, i.plan.end) {
        s.on_print(p);
    }
    for f in i.fills {
        s.on_fill(f.ts, f.qty);
    }
    s.shares()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::Print;
    use crate::market::forecast::ForecastSettings;
    use crate::model::{ChildId, Duration, FillId, Liquidity, Money, ParentId, Price, Qty, Side, Timestamp};

    fn min(m: i64) -> Timestamp {
        Timestamp(m * 60_000_000_000)
    }

    fn print(m: i64, q: i64, ours: bool) -> Print {
        Print { ts: min(m), px: Price::from_int(100), qty: Qty::from_int(q), venue: 0, aggressor: Side::Buy, ours }
    }

    fn fill(m: i64, q: i64) -> Fill {
        Fill {
            id: FillId(m as u64),
            child: ChildId { parent: ParentId::local(1), seq: 1 },
            venue: "X".into(),
            side: Side::Buy,
            px: Price::from_int(100),
            qty: Qty::from_int(q),
            fee: Money::ZERO,
            liquidity: Liquidity::Taker,
            ts: min(m),
        }
    }

    /// Two hours in four half-hour buckets, a flat curve expecting 100 a half
    /// hour; the market prints 100, 100, 300, 100 (600 in all) and the order
    /// fills 10, 10, 20, 10.
    #[test]
    fn shares_per_bucket_are_worked_out_by_hand() {
        let curve = VolumeCurve::new(min(0), min(120), &[1.0; 4]);
        let mut tape = Tape::new(true);
        let mut fills = Vec::new();
        for (b, (q, ours)) in [(100, 10), (100, 10), (300, 20), (100, 10)].into_iter().enumerate() {
            let m = b as i64 * 30;
            tape.push(print(m + 1, q, false));
            tape.push(print(m + 2, ours, true));
            fills.push(fill(m + 2, ours));
        }
        let mut settings = ForecastSettings::default_for(min(0), min(120));
        settings.half_life = Duration::mins(60);
        let plan =
            ForecastPlan { settings, start: min(0), end: min(120), prior: 400.0, daily: 400.0, lookback_from: None };
        let t = tracking(&TrackingInput { curve: &curve, plan: &plan, fills: &fills, tape: &tape });
        assert_eq!(t.len(), 4);
        let market: Vec<f64> = t.iter().map(|b| b.market).collect();
        assert_eq!(market, [1.0 / 6.0, 1.0 / 6.0, 0.5, 1.0 / 6.0]);
        let executed: Vec<f64> = t.iter().map(|b| b.executed).collect();
        assert_eq!(executed, [0.2, 0.2, 0.4, 0.2]);
        assert!(t.iter().all(|b| (b.planned - 0.25).abs() < 1e-12));
        // Nothing seen yet: the forecast is the curve's.
        assert!((t[0].forecast - 0.25).abs() < 1e-12);
        // After the busy third half hour (300 against 100 expected) the pace is above 1: the last
        // half hour is forecast above the 100 / (500 + 100) it would get at the prior's pace.
        assert!(t[3].forecast > 100.0 / 600.0 + 0.01, "{}", t[3].forecast);
        assert!(t.iter().all(|b| b.forecast > 0.0 && b.forecast < 1.0));
    }
}
