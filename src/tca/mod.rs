//! Post-trade transaction cost analysis, kept apart the way tcapy does it:
//! benchmarks (`mids`, interval VWAP in `report`), metrics (`shortfall`,
//! `markout`, `attribution`) and the result form (`report::TcaReport`).
//!
//! Sign convention: a cost is positive when it hurt the order (a buy paid
//! above the benchmark, a sell received below it).

pub mod attribution;
pub mod batch;
pub mod fix;
pub mod fold;
pub mod group;
pub mod html;
pub mod impact_fit;
pub mod import;
pub mod markout;
pub mod mids;
pub mod pretrade;
pub mod report;
pub mod review;
pub mod shortfall;
pub mod tracking;

pub use attribution::{AlgoAttribution, VenueAttribution, VenueShare, venue_shares};
pub use markout::{HORIZONS, Markouts};
pub use mids::{LastTrade, MidSource, QuoteMids};
pub use pretrade::{CostDifference, EstimateVsRealised, ImpactSplit, PreTrade, RealisedCost};
pub use report::{TcaInput, TcaReport, analyse, for_parent};
pub use shortfall::{Shortfall, ShortfallInput, shortfall};
pub use tracking::BucketTracking;

use crate::market::Tape;
use crate::market::tape::WindowStats;
use crate::model::{Fill, ParentOrder, Price, Side, Timestamp};
use serde::{Deserialize, Serialize};

/// Signed cost in basis points of `px` against `benchmark` for `side`.
pub fn cost_bps(side: Side, px: Price, benchmark: Price) -> f64 {
    // `+ 0.0` turns the -0.0 of a sell at its benchmark into 0.
    px.bps_from(benchmark) * side.sign() as f64 + 0.0
}

/// The headline figures of one order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Mid at arrival.
    pub arrival_px: Option<Price>,
    /// Market VWAP over the order's active window, excluding our own fills.
    pub interval_vwap: Option<Price>,
    /// Same, including our own fills.
    pub interval_vwap_incl_ours: Option<Price>,
    /// Cost against arrival in bps (positive = worse).
    pub arrival_slippage_bps: Option<f64>,
    /// Cost against interval VWAP in bps (positive = worse).
    pub vwap_slippage_bps: Option<f64>,
    /// Our share of the volume traded in the window.
    pub participation: f64,
    /// Per-venue executions.
    pub venues: Vec<VenueShare>,
}

/// Headline figures for an order from its fills and the instrument's tape.
pub fn summary(order: &ParentOrder, fills: &[Fill], tape: &Tape, window_end: Timestamp) -> Summary {
    let end = order.done_at.unwrap_or(window_end).max(order.start);
    // Include prints stamped exactly at the end (the last fill, an auction).
    let end = Timestamp(end.0 + 1);
    let (excl, incl) = tape
        .between(order.start, end)
        .unwrap_or_else(|| (tape.stats(order.start, end, false), tape.stats(order.start, end, true)));
    summary_of(order, &excl, &incl, venue_shares(fills))
}

/// Headline figures from the window's volume (others', everyone's) and the venues.
pub fn summary_of(order: &ParentOrder, excl: &WindowStats, incl: &WindowStats, venues: Vec<VenueShare>) -> Summary {
    let avg = order.avg_px();
    let iv = excl.vwap();
    Summary {
        arrival_px: order.arrival_px,
        interval_vwap: iv,
        interval_vwap_incl_ours: incl.vwap(),
        arrival_slippage_bps: avg.zip(order.arrival_px).map(|(a, b)| cost_bps(order.side, a, b)),
        vwap_slippage_bps: avg.zip(iv).map(|(a, b)| cost_bps(order.side, a, b)),
        participation: order.filled.ratio(incl.qty),
        venues,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_convention() {
        let p = |s: &str| s.parse::<Price>().unwrap();
        assert!((cost_bps(Side::Buy, p("100.10"), p("100")) - 10.0).abs() < 1e-9);
        assert!((cost_bps(Side::Sell, p("100.10"), p("100")) + 10.0).abs() < 1e-9);
        assert!((cost_bps(Side::Sell, p("99.90"), p("100")) - 10.0).abs() < 1e-9);
        assert!((cost_bps(Side::Buy, p("99.90"), p("100")) + 10.0).abs() < 1e-9);
    }
}
