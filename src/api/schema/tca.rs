//! Mirrors of the post-trade report (`crate::tca`).

use super::mirrored;
use crate::model::{AlgoKind, Money, Price, Qty, Side};
use crate::tca::{
    AlgoAttribution, BucketTracking, CostDifference, EstimateVsRealised, ImpactSplit, Markouts, PreTrade, RealisedCost,
    Shortfall, TcaReport, VenueAttribution, VenueShare,
};
use serde::Serialize;
use std::collections::BTreeMap;

// Only the schemas of these are used; Serialize makes their serde attributes legal.
#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = VenueShare)]
/// Executions at one venue.
struct VenueShareDoc {
    /// Venue.
    venue: String,
    /// Quantity executed there.
    qty: Qty,
    /// Fraction of the order's executed quantity.
    share: f64,
    /// Average price there.
    avg_px: Option<Price>,
    /// Sum of price times quantity there (before any quote_per).
    notional: Money,
    /// Fees paid there (negative = rebates earned).
    fees: Money,
    /// Number of fills.
    fills: usize,
}

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Markouts)]
/// Quantity-weighted markouts in bps at the standard horizons (null where no fill had a mid that far away).
struct MarkoutsDoc {
    /// One second.
    #[serde(rename = "1s")]
    s1: Option<f64>,
    /// Five seconds.
    #[serde(rename = "5s")]
    s5: Option<f64>,
    /// Thirty seconds.
    #[serde(rename = "30s")]
    s30: Option<f64>,
    /// Five minutes.
    #[serde(rename = "5m")]
    m5: Option<f64>,
}

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Shortfall)]
/// Implementation shortfall in currency and in bps of the paper portfolio.
struct ShortfallDoc {
    /// Decision price times ordered quantity.
    paper_notional: Money,
    /// delay + trading + opportunity + fees.
    total: Money,
    /// Total in bps of the paper portfolio.
    total_bps: f64,
    /// Cost of the move between decision and arrival, on the filled quantity.
    delay: Money,
    /// Delay in bps.
    delay_bps: f64,
    /// Cost of executing against the arrival mid (impact + timing).
    trading: Money,
    /// Trading in bps.
    trading_bps: f64,
    /// Cost of not filling.
    opportunity: Money,
    /// Opportunity in bps.
    opportunity_bps: f64,
    /// Fees paid (negative = net rebate).
    fees: Money,
    /// Fees in bps.
    fees_bps: f64,
    /// Quantity never filled.
    unfilled: Qty,
    /// The mid that valued the unfilled quantity.
    end_px: Price,
}

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = VenueAttribution)]
/// One venue's part in an order's cost.
struct VenueAttributionDoc {
    /// Quantity, share, average price, fees and fill count.
    #[serde(flatten)]
    exec: VenueShare,
    /// Fraction of the venue's quantity that was passive (maker).
    passive_share: f64,
    /// The venue's contribution to trading cost plus fees.
    cost: Option<Money>,
    /// The contribution in bps of the paper portfolio.
    cost_bps: Option<f64>,
    /// Quantity-weighted markouts of the venue's fills.
    markouts_bps: Markouts,
}

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = AlgoAttribution)]
/// The algorithm's part: impact, timing and opportunity.
struct AlgoAttributionDoc {
    /// The algorithm, when known.
    algo: Option<AlgoKind>,
    /// Cost against the interval VWAP.
    impact: Money,
    /// Impact in bps of the paper portfolio.
    impact_bps: f64,
    /// The market's drift over the window.
    timing: Money,
    /// Timing in bps.
    timing_bps: f64,
    /// The unfilled quantity's cost.
    opportunity: Money,
    /// Opportunity in bps.
    opportunity_bps: f64,
}

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = TcaReport)]
/// The post-trade report of one order; costs are positive when they hurt the order.
struct TcaReportDoc {
    /// Buy or sell.
    side: Side,
    /// Ordered quantity.
    order_qty: Qty,
    /// Filled quantity.
    filled_qty: Qty,
    /// Average fill price.
    avg_px: Option<Price>,
    /// Mid at arrival.
    arrival_px: Option<Price>,
    /// Decision price (arrival unless given).
    decision_px: Option<Price>,
    /// Mid at the end of the window.
    end_px: Option<Price>,
    /// Market VWAP over the window, excluding our fills.
    interval_vwap: Option<Price>,
    /// Market VWAP over the window, including our fills.
    interval_vwap_incl_ours: Option<Price>,
    /// Others' volume in the window.
    interval_volume: Qty,
    /// Our share of all volume in the window.
    participation: f64,
    /// Average price against arrival, bps.
    arrival_slippage_bps: Option<f64>,
    /// Average price against the interval VWAP, bps.
    vwap_slippage_bps: Option<f64>,
    /// Implementation shortfall and its decomposition.
    implementation_shortfall: Option<Shortfall>,
    /// Markouts after the fills, bps.
    markouts_bps: Markouts,
    /// Markouts before the fills, bps.
    markouts_before_bps: Markouts,
    /// Per-venue attribution, largest first.
    venues: Vec<VenueAttribution>,
    /// Impact versus timing versus opportunity.
    algo: Option<AlgoAttribution>,
    /// A VWAP order's tracking per bucket of its window (absent for other algorithms).
    #[serde(skip_serializing_if = "Option::is_none")]
    vwap_tracking: Option<Vec<BucketTracking>>,
    /// The pre-trade estimate made at submission beside the realised cost (absent without an estimate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pre_trade: Option<EstimateVsRealised>,
    /// Why the engine ended the order with quantity left (its `done` event's
    /// reason: `window ended at 16:00 America/New_York`, `venue closed: ...`);
    /// absent while it works, once filled, or when the user cancelled it.
    #[serde(skip_serializing_if = "Option::is_none")]
    end_reason: Option<String>,
}

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PreTrade)]
/// The pre-trade estimate an order was submitted with (positive = cost).
struct PreTradeDoc {
    /// When it was estimated: the order's submission.
    at: crate::model::Timestamp,
    /// The quantity estimated (an amend keeps the estimate made at submission).
    qty: Qty,
    /// Reference price: the mid at submission.
    price: f64,
    /// Paid against the mid at each fill (crossing, latency, adverse selection), bps of the reference notional.
    spread_bps: f64,
    /// The same in currency.
    spread: f64,
    /// Market impact of the schedule, bps.
    impact_bps: f64,
    /// The same in currency.
    impact: f64,
    /// One standard deviation of the timing cost along the schedule, bps.
    timing_risk_bps: f64,
    /// The same in currency.
    timing_risk: f64,
    /// Expected cost: spread + impact, bps.
    total_bps: f64,
    /// The same in currency.
    total: f64,
    /// The impact model in the total (`propagator`, `sqrt` or `linear`).
    model: String,
    /// What the models were given and the coefficients, by name.
    inputs: BTreeMap<String, f64>,
}

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ImpactSplit)]
#[serde(rename_all = "snake_case")]
/// How impact was separated from timing: against the simulated market without our orders, or not at all.
enum ImpactSplitDoc {
    /// Against the simulated market's mid without our orders.
    WithoutUs,
    /// Not separated: timing holds both.
    None,
}

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RealisedCost)]
/// What an order realised, bps of arrival per filled unit and currency on the filled quantity (positive = cost).
struct RealisedCostDoc {
    /// How impact was separated from timing.
    split: ImpactSplit,
    /// Quantity the figures are over.
    filled: Qty,
    /// Fills against the mid at each fill, bps.
    spread_bps: f64,
    /// The same in currency.
    spread: f64,
    /// The mid with us against the mid without us, bps (null when not separated).
    impact_bps: Option<f64>,
    /// The same in currency.
    impact: Option<f64>,
    /// The mid without us against arrival, bps (impact included when not separated).
    timing_bps: f64,
    /// The same in currency.
    timing: f64,
    /// The fills against arrival, bps.
    total_bps: f64,
    /// The same in currency.
    total: f64,
}

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CostDifference)]
/// Realised minus estimated (positive = it cost more than estimated).
struct CostDifferenceDoc {
    /// Spread, bps.
    spread_bps: f64,
    /// Impact, bps (null when impact was not separated from timing).
    impact_bps: Option<f64>,
    /// Spread + impact against the estimate's total, bps.
    cost_bps: Option<f64>,
    /// Everything (timing included) against the estimate's total, bps.
    total_bps: f64,
    /// The same in currency, on the filled quantity.
    total: f64,
    /// Realised timing over the estimated timing risk.
    timing_sd: Option<f64>,
}

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = EstimateVsRealised)]
/// An order's pre-trade estimate beside its realised cost.
struct EstimateVsRealisedDoc {
    /// The estimate made at submission.
    estimate: PreTrade,
    /// What the order realised so far (null before its first fill).
    realised: Option<RealisedCost>,
    /// Realised minus estimated (null before the first fill).
    difference: Option<CostDifference>,
}

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = BucketTracking)]
/// One bucket of a VWAP order's window: shares planned, forecast, printed by the market and executed.
struct BucketTrackingDoc {
    /// Bucket start.
    start: crate::model::Timestamp,
    /// Bucket end.
    end: crate::model::Timestamp,
    /// Share of the order the curve planned here.
    planned: f64,
    /// Share of the window's volume the forecast expected here when the bucket began.
    forecast: f64,
    /// Share of the window's volume (others') printed here.
    market: f64,
    /// Share of the filled quantity executed here.
    executed: f64,
}

mirrored!(VenueShare, VenueShareDoc);
mirrored!(Markouts, MarkoutsDoc);
mirrored!(Shortfall, ShortfallDoc);
mirrored!(VenueAttribution, VenueAttributionDoc);
mirrored!(AlgoAttribution, AlgoAttributionDoc);
mirrored!(TcaReport, TcaReportDoc);
mirrored!(BucketTracking, BucketTrackingDoc);
mirrored!(PreTrade, PreTradeDoc);
mirrored!(ImpactSplit, ImpactSplitDoc);
mirrored!(RealisedCost, RealisedCostDoc);
mirrored!(CostDifference, CostDifferenceDoc);
mirrored!(EstimateVsRealised, EstimateVsRealisedDoc);
