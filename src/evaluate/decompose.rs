//! Where one order's slippage against the interval VWAP came from, split
//! three ways that add up to it exactly (bps of the interval VWAP, positive
//! = cost):
//!
//! - **schedule**: our executed curve priced at the recording: each fill
//!   valued at the VWAP of the recorded prints of its own minute (the last
//!   recorded price when that minute printed nothing), against the interval
//!   VWAP. Zero when we trade exactly with the volume, minute by minute;
//!   what trading ahead of or behind the market's volume cost while the
//!   price moved.
//! - **impact**: the shift our own trading had put on the replayed prices
//!   and book when each fill happened (`InstrumentMarket::replay_shifts_at`):
//!   what we paid for having moved the market.
//! - **execution**: the rest: our fill prices against the same minute's
//!   prints once shifted by our impact, i.e. the spread paid by crossing,
//!   what resting at the touch captured, and where within the minute's
//!   range we traded.
//!
//! Beside it, the tracking error of the schedule: the largest distance, at
//! any minute boundary of the window, between the share of the order we had
//! filled and the share of the window's recorded volume that had printed.

use crate::model::{Duration, Price, Qty, Side, Timestamp};
use serde::Serialize;

/// The decomposition of one order's slippage (bps, positive = cost).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Decomposition {
    /// Our executed curve priced at each minute's recorded VWAP, against the interval VWAP.
    pub schedule_bps: f64,
    /// Our fills against the prints of their minute shifted by our impact.
    pub execution_bps: f64,
    /// The shift of our own impact at our fills.
    pub impact_bps: f64,
    /// Largest |filled share of the order - printed share of the window's
    /// recorded volume| at any minute boundary, percentage points.
    pub tracking_max_pp: f64,
}

/// One of our fills: when, at what price, how much, and the shift our
/// impact had put on the replayed prices then (price units).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OurFill {
    /// When.
    pub ts: Timestamp,
    /// Price.
    pub px: Price,
    /// Quantity.
    pub qty: Qty,
    /// Our impact in force, price units.
    pub shift: f64,
}

/// The order a decomposition is of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Order {
    /// Window start.
    pub start: Timestamp,
    /// Window end.
    pub end: Timestamp,
    /// Buy or sell.
    pub side: Side,
    /// Ordered quantity.
    pub qty: Qty,
    /// The interval VWAP of the recorded prints.
    pub benchmark: Price,
}

/// Splits the slippage of `fills` (order `o`) against its benchmark, the
/// VWAP of `prints` (the recording's trades in the window), into schedule,
/// execution and impact, `bucket` by `bucket` (a minute). `None` without
/// fills or prints.
pub fn decompose(
    prints: &[(Timestamp, Price, Qty)],
    fills: &[OurFill],
    o: &Order,
    bucket: Duration,
) -> Option<Decomposition> {
    let Order { start, end, side, qty, benchmark } = *o;
    let b = benchmark.to_f64();
    let filled: f64 = fills.iter().map(|f| f.qty.to_f64()).sum();
    if fills.is_empty() || prints.is_empty() || b <= 0.0 || filled <= 0.0 || bucket.0 <= 0 || end <= start {
        return None;
    }
    let n = ((end - start).0 + bucket.0 - 1) / bucket.0;
    let n = n.max(1) as usize;
    let index = |t: Timestamp| (((t - start).0.max(0) / bucket.0) as usize).min(n - 1);
    // Recorded volume and notional per minute.
    let mut vol = vec![0.0; n];
    let mut notional = vec![0.0; n];
    for &(t, px, q) in prints {
        if t < start || t >= end {
            continue;
        }
        let k = index(t);
        vol[k] += q.to_f64();
        notional[k] += px.to_f64() * q.to_f64();
    }
    // Each minute's VWAP; a silent minute takes the last one that printed
    // (before the first print, the first).
    let first = (0..n).find(|&k| vol[k] > 0.0)?;
    let mut vwap = vec![0.0; n];
    let mut last = notional[first] / vol[first];
    for k in 0..n {
        if vol[k] > 0.0 {
            last = notional[k] / vol[k];
        }
        vwap[k] = last;
    }
    let sign = side.sign() as f64;
    let (mut at_minute, mut shifted, mut paid) = (0.0, 0.0, 0.0);
    let mut ours = vec![0.0; n];
    for f in fills {
        let q = f.qty.to_f64();
        let k = index(f.ts);
        ours[k] += q;
        at_minute += q * vwap[k];
        shifted += q * f.shift;
        paid += q * f.px.to_f64();
    }
    let (at_minute, shifted, paid) = (at_minute / filled, shifted / filled, paid / filled);
    let bps = |x: f64| sign * x / b * 1e4 + 0.0;
    let total_vol: f64 = vol.iter().sum();
    let order = qty.to_f64().max(filled);
    let (mut cum_ours, mut cum_vol, mut worst) = (0.0f64, 0.0f64, 0.0f64);
    for k in 0..n {
        cum_ours += ours[k];
        cum_vol += vol[k];
        worst = worst.max((cum_ours / order - cum_vol / total_vol.max(f64::MIN_POSITIVE)).abs());
    }
    Some(Decomposition {
        schedule_bps: bps(at_minute - b),
        execution_bps: bps(paid - at_minute - shifted),
        impact_bps: bps(shifted),
        tracking_max_pp: worst * 100.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64, sec: i64) -> Timestamp {
        Timestamp((min * 60 + sec) * 1_000_000_000)
    }

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }

    #[test]
    fn the_three_parts_add_up_and_are_computed_by_hand() {
        // Three minutes of recorded prints: minute 0 100 at 100 and 100 at 102
        // (VWAP 101), minute 1 nothing, minute 2 200 at 110. Interval VWAP:
        // (10,000 + 10,200 + 22,000) / 400 = 105.5.
        let prints = [
            (at(0, 10), p("100"), Qty::from_int(100)),
            (at(0, 40), p("102"), Qty::from_int(100)),
            (at(2, 30), p("110"), Qty::from_int(200)),
        ];
        let bench = p("105.5");
        // A buy of 20: 10 in minute 0 at 101.5 with our impact 0.5 in force,
        // 10 in minute 1 at 102 with 1.0 (a silent minute: valued at
        // minute 0's 101). Nothing in minute 2.
        let fills = [
            OurFill { ts: at(0, 20), px: p("101.5"), qty: Qty::from_int(10), shift: 0.5 },
            OurFill { ts: at(1, 20), px: p("102"), qty: Qty::from_int(10), shift: 1.0 },
        ];
        let mut o = Order { start: at(0, 0), end: at(3, 0), side: Side::Buy, qty: Qty::from_int(20), benchmark: bench };
        let d = decompose(&prints, &fills, &o, Duration::mins(1)).unwrap();
        // Schedule: valued at 101 both, against 105.5: -4.5 / 105.5 = -426.54 bps
        // (bought before the price rose: a gain).
        assert!((d.schedule_bps - (-4.5 / 105.5 * 1e4)).abs() < 1e-9, "{d:?}");
        // Impact: mean shift 0.75 -> +71.09 bps.
        assert!((d.impact_bps - 0.75 / 105.5 * 1e4).abs() < 1e-9, "{d:?}");
        // Execution: paid 101.75, minus 101 valued, minus 0.75 shift = 0.
        assert!(d.execution_bps.abs() < 1e-9, "{d:?}");
        // Tracking: after minute 0 we hold 50% of the order, the tape 50% of its
        // volume; after minute 1 100% against 50%: 50 points.
        assert!((d.tracking_max_pp - 50.0).abs() < 1e-9, "{d:?}");
        // A sell of the same fills: every part changes sign.
        o.side = Side::Sell;
        let s = decompose(&prints, &fills, &o, Duration::mins(1)).unwrap();
        assert!((s.schedule_bps + d.schedule_bps).abs() < 1e-9 && (s.impact_bps + d.impact_bps).abs() < 1e-9);
        // Without fills there is nothing to split.
        assert!(decompose(&prints, &[], &o, Duration::mins(1)).is_none());
    }
}
