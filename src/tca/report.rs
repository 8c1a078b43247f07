//! The full post-trade report of one order: benchmarks, implementation
//! shortfall and its decomposition, slippage, markouts, venue and algo
//! attribution. The same function serves orders run by the engine and
//! executions imported from elsewhere.

use super::attribution::{self, AlgoAttribution, VenueAttribution};
use super::cost_bps;
use super::fold::FillFold;
use super::markout::{Direction, Markouts, fill_markouts};
use super::mids::MidSource;
use super::shortfall::{Shortfall, ShortfallInput, shortfall};
use crate::market::Tape;
use crate::market::tape::WindowStats;
use crate::model::{AlgoKind, Fill, Money, ParentOrder, Price, Qty, Side, Timestamp};
use serde::{Deserialize, Serialize};

/// Everything TCA reads about one order.
#[derive(Clone, Copy)]
pub struct TcaInput<'a> {
    /// Buy or sell.
    pub side: Side,
    /// Ordered quantity.
    pub qty: Qty,
    /// Decision price (defaults to arrival).
    pub decision_px: Option<Price>,
    /// Mid at arrival.
    pub arrival_px: Option<Price>,
    /// Start of the order's active window.
    pub start: Timestamp,
    /// End of the window (inclusive): when it finished or was cancelled.
    pub end: Timestamp,
    /// The algorithm, when known.
    pub algo: Option<AlgoKind>,
    /// Prices are per this many units of quantity (bonds: 100).
    pub quote_per: i64,
    /// The order's fills in time order.
    pub fills: &'a [Fill],
    /// The market tape (our prints flagged `ours`).
    pub tape: &'a Tape,
    /// Mid prices over time.
    pub mids: &'a dyn MidSource,
}

/// The post-trade report of one order. Costs are positive when they hurt the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TcaReport {
    /// Buy or sell.
    pub side: Side,
    /// Ordered quantity.
    pub order_qty: Qty,
    /// Filled quantity.
    pub filled_qty: Qty,
    /// Average fill price.
    pub avg_px: Option<Price>,
    /// Mid at arrival.
    pub arrival_px: Option<Price>,
    /// Decision price (arrival unless given).
    pub decision_px: Option<Price>,
    /// Mid at the end of the window (values the unfilled quantity).
    pub end_px: Option<Price>,
    /// Market VWAP over the window, excluding our fills.
    pub interval_vwap: Option<Price>,
    /// Market VWAP over the window, including our fills.
    pub interval_vwap_incl_ours: Option<Price>,
    /// Others' volume in the window.
    pub interval_volume: Qty,
    /// Our share of all volume in the window.
    pub participation: f64,
    /// Average price against arrival, bps (positive = cost).
    pub arrival_slippage_bps: Option<f64>,
    /// Average price against the interval VWAP excluding ours, bps (positive = cost).
    pub vwap_slippage_bps: Option<f64>,
    /// Implementation shortfall and its decomposition (needs a decision price).
    pub implementation_shortfall: Option<Shortfall>,
    /// Quantity-weighted markouts after the fills, bps (positive = price moved against us).
    pub markouts_bps: Markouts,
    /// Quantity-weighted markouts before the fills (negative windows), bps.
    pub markouts_before_bps: Markouts,
    /// Per-venue attribution, largest first.
    pub venues: Vec<VenueAttribution>,
    /// Impact versus timing versus opportunity.
    pub algo: Option<AlgoAttribution>,
    /// A VWAP order's tracking per bucket of its window (planned, forecast, market and executed shares).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vwap_tracking: Option<Vec<super::BucketTracking>>,
    /// The pre-trade estimate the order was submitted with, beside what it realised (absent without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_trade: Option<super::EstimateVsRealised>,
    /// Why the engine ended the order with quantity left (its `Done` event's
    /// reason: `window ended at 16:00 America/New_York`, `venue closed: ...`);
    /// absent while it works, once filled, when the user cancelled it, and
    /// for executions analysed outside the engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<String>,
}

/// What the market said about one order, however it was found: from a tape
/// and mids held in memory (`analyse`) or from one pass over recorded files
/// (`tca::batch`).
#[derive(Clone, Copy)]
pub struct Measured<'a> {
    /// Buy or sell.
    pub side: Side,
    /// Ordered quantity.
    pub qty: Qty,
    /// Decision price (defaults to arrival).
    pub decision_px: Option<Price>,
    /// Price at arrival.
    pub arrival_px: Option<Price>,
    /// Price when the order ended: values the unfilled quantity.
    pub end_px: Option<Price>,
    /// The algorithm, when known.
    pub algo: Option<AlgoKind>,
    /// Prices are per this many units of quantity (bonds: 100).
    pub quote_per: i64,
    /// The order's fills, folded with their markouts.
    pub fills: &'a FillFold,
    /// Others' volume and notional over the window.
    pub market: WindowStats,
    /// The same including our fills.
    pub market_incl_ours: WindowStats,
}

/// Computes the report from the order's tape and mids.
pub fn analyse(i: &TcaInput<'_>) -> TcaReport {
    // The window includes prints stamped exactly at its end (the last fill).
    let end_excl = Timestamp(i.end.0.max(i.start.0) + 1);
    let (excl, incl) = i.tape.between(i.start, end_excl).unwrap_or_else(|| window_stats(i.tape, i.start, end_excl));
    let after: Vec<_> = i.fills.iter().map(|f| fill_markouts(f, Direction::After, i.mids)).collect();
    let before: Vec<_> = i.fills.iter().map(|f| fill_markouts(f, Direction::Before, i.mids)).collect();
    let fold = FillFold::of(i.fills, &after, &before);
    assemble(&Measured {
        side: i.side,
        qty: i.qty,
        decision_px: i.decision_px,
        arrival_px: i.arrival_px,
        end_px: i.mids.mid_at(i.end).and_then(Price::from_f64),
        algo: i.algo,
        quote_per: i.quote_per,
        fills: &fold,
        market: excl,
        market_incl_ours: incl,
    })
}

/// The report from what was measured.
pub fn assemble(m: &Measured<'_>) -> TcaReport {
    let (filled, notional, fees) = (m.fills.filled, m.fills.notional, m.fills.fees);
    let avg = m.fills.avg_px();
    let interval_vwap = m.market.vwap();
    let arrival = m.arrival_px;
    let decision = m.decision_px.or(arrival);
    // Fall back along end price -> arrival -> decision so the unfilled part is always valued.
    let end_px = m.end_px;
    let sf = decision.map(|d| {
        shortfall(&ShortfallInput {
            side: m.side,
            order_qty: m.qty,
            filled,
            notional,
            fees,
            decision: d,
            arrival: arrival.unwrap_or(d),
            end_px: end_px.or(arrival).unwrap_or(d),
            quote_per: m.quote_per,
        })
    });
    let paper = sf.map(|s| s.paper_notional).unwrap_or(Money::ZERO);
    let algo = sf.map(|s| {
        attribution::algo(
            m.algo,
            m.side,
            filled,
            arrival.or(decision).unwrap_or_default(),
            interval_vwap,
            s.trading,
            s.opportunity,
            paper,
            m.quote_per,
        )
    });
    TcaReport {
        side: m.side,
        order_qty: m.qty,
        filled_qty: filled,
        avg_px: avg,
        arrival_px: arrival,
        decision_px: decision,
        end_px,
        interval_vwap,
        interval_vwap_incl_ours: m.market_incl_ours.vwap(),
        interval_volume: m.market.qty,
        participation: filled.ratio(m.market.qty + filled),
        arrival_slippage_bps: avg.zip(arrival).map(|(a, b)| cost_bps(m.side, a, b)),
        vwap_slippage_bps: avg.zip(interval_vwap).map(|(a, b)| cost_bps(m.side, a, b)),
        implementation_shortfall: sf,
        markouts_bps: m.fills.markouts_after(),
        markouts_before_bps: m.fills.markouts_before(),
        venues: m.fills.venue_attribution(m.side, arrival, paper, m.quote_per),
        algo,
        vwap_tracking: None,
        pre_trade: None,
        end_reason: None,
    }
}

/// Volume and notional over [t0, t1) excluding and including our prints, in
/// one pass over the prints held (a window a bounded tape no longer sums whole).
fn window_stats(tape: &Tape, t0: Timestamp, t1: Timestamp) -> (WindowStats, WindowStats) {
    let (mut excl, mut ours) = (WindowStats::default(), WindowStats::default());
    for p in tape.window(t0, t1) {
        let s = if p.ours { &mut ours } else { &mut excl };
        s.qty += p.qty;
        s.notional += Money::notional(p.px, p.qty);
    }
    let incl = WindowStats { qty: excl.qty + ours.qty, notional: excl.notional + ours.notional };
    (excl, incl)
}

/// The report of an engine parent order over its instrument's tape and mids;
/// `now` closes the window of an order still running.
pub fn for_parent(
    order: &ParentOrder,
    fills: &[Fill],
    tape: &Tape,
    mids: &dyn MidSource,
    quote_per: i64,
    now: Timestamp,
) -> TcaReport {
    analyse(&TcaInput {
        side: order.side,
        qty: order.qty,
        decision_px: order.decision_px,
        arrival_px: order.arrival_px,
        start: order.start,
        end: order.done_at.unwrap_or(now).max(order.start),
        algo: Some(order.algo),
        quote_per,
        fills,
        tape,
        mids,
    })
}

#[cfg(test)]
mod tests;
