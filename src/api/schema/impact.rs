//! Mirrors of the pre-trade estimate (`crate::impact`).

use super::mirrored;
use crate::impact::{Coefficients, Estimate, ModelCost, OrderContext};
use serde::Serialize;
use std::collections::BTreeMap;

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ModelCost)]
/// One model's estimate and the inputs behind it.
struct ModelCostDoc {
    /// Model name (`linear`, `sqrt`, `propagator`, `spread`, `latency`, `adverse_selection`).
    model: String,
    /// The formula.
    formula: String,
    /// Cost in bps of the order's notional (positive = cost).
    bps: f64,
    /// Cost in the instrument's currency.
    cost: f64,
    /// Every input by name.
    inputs: BTreeMap<String, f64>,
}

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = OrderContext)]
/// The facts the models were given.
struct OrderContextDoc {
    /// Quantity the schedule expects to fill: the order's, or less when the
    /// algorithm's plan cannot reach it in its window (POV at its rate).
    qty: f64,
    /// Mid price.
    price: f64,
    /// Daily volatility (fraction).
    sigma: f64,
    /// Average daily volume.
    adv: f64,
    /// Market volume expected in the window.
    window_volume: f64,
    /// Per slice: quantity and the market volume expected while it trades.
    slices: Vec<(f64, f64)>,
    /// Quoted spread, price units.
    spread: f64,
    /// Fraction expected to cross the spread.
    aggressive_fraction: f64,
    /// Whether the algorithm crosses first (else it posts first).
    crosses: bool,
    /// Share-weighted one-way latency, ms.
    latency_ms: f64,
    /// Price volatility per ms.
    vol_per_ms: f64,
    /// Expected markout of passive fills, bps.
    markout_bps: f64,
    /// Fills behind that markout.
    markout_samples: usize,
    /// The simulator's impact model along the schedule, currency, at scale 1.
    propagator_cost: f64,
    /// The instrument's square-root-law coefficient Y.
    impact_y: f64,
    /// Half-life of the transient impact, seconds.
    impact_half_life_s: f64,
    /// Share of a day's variance the position still to trade is exposed to along the schedule.
    timing_variance: f64,
}

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Coefficients)]
/// The models' coefficients.
struct CoefficientsDoc {
    /// Linear (Kissell-Glantz) coefficient.
    alpha: f64,
    /// Square-root (Almgren) coefficient.
    gamma: f64,
    /// Multiplier on the simulator's own impact model.
    impact_scale: f64,
    /// Share of a passive-first schedule expected to cross at zero participation.
    aggressive_base: f64,
    /// Added to that share per unit of participation.
    aggressive_slope: f64,
    /// Half-spreads paid per unit crossed.
    taker_spread_mult: f64,
    /// Markout horizon for adverse selection, seconds.
    adverse_horizon_s: f64,
    /// Prior markout before any fill, bps.
    adverse_prior_bps: f64,
    /// Which impact model enters the total: `propagator`, `sqrt` or `linear`.
    impact_model: String,
}

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Estimate)]
/// Per-model pre-trade costs and the total for one order.
struct EstimateDoc {
    /// linear, sqrt, propagator, spread, latency, adverse_selection.
    models: Vec<ModelCost>,
    /// Sum of the models in the total, bps of the order's notional.
    total_bps: f64,
    /// The same in currency.
    total_cost: f64,
    /// The models added up in the total.
    total_of: Vec<String>,
    /// One standard deviation of the timing cost (not in the total), bps.
    timing_risk_bps: f64,
    /// The same in currency.
    timing_risk: f64,
    /// The inputs.
    context: OrderContext,
    /// The coefficients.
    coefficients: Coefficients,
}

mirrored!(ModelCost, ModelCostDoc);
mirrored!(OrderContext, OrderContextDoc);
mirrored!(Coefficients, CoefficientsDoc);
mirrored!(Estimate, EstimateDoc);
