//! Pre-trade cost estimate of an order, without submitting it.
//!
//! An interim model over what the engine knows (spread, daily volatility, ADV,
//! the volume curve): half the quoted spread plus square-root market impact
//! `g * sigma * sqrt(q / ADV)`, and the timing risk of working the order over
//! its window. The impact models of `src/impact` replace `model_costs` when
//! they land; the request validation (the engine's own) and the response stay.

use super::ClientError;
use crate::engine::{Engine, OrderRequest};
use crate::model::{AlgoKind, Name, Qty, Side, Timestamp};
use serde::{Deserialize, Serialize};

/// Square-root impact coefficient (the `g` of Almgren et al.; order of one).
const IMPACT_COEFF: f64 = 0.7;

/// A pre-trade estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Estimate {
    /// Instrument.
    #[schema(value_type = String)]
    pub symbol: Name,
    /// Buy or sell.
    pub side: Side,
    /// Quantity.
    pub qty: Qty,
    /// Algorithm.
    pub algo: AlgoKind,
    /// Window start as the engine would clamp it.
    pub start: Timestamp,
    /// Window end.
    pub end: Timestamp,
    /// Mid now (NBBO mid, or the latent mid when a side is empty).
    pub mid: f64,
    /// Quoted spread now, in bps of the mid.
    pub spread_bps: f64,
    /// Market volume expected in the window (continuous session, from the volume curve).
    pub expected_volume: f64,
    /// Quantity over expected window volume.
    pub participation: Option<f64>,
    /// Number of planned slices.
    pub slices: usize,
    /// Cost of crossing half the spread, bps.
    pub spread_cost_bps: f64,
    /// Market impact, bps.
    pub impact_bps: f64,
    /// Expected cost (spread plus impact), bps; positive = worse.
    pub expected_cost_bps: f64,
    /// Expected cost in the instrument's currency.
    pub expected_cost: f64,
    /// One-sigma price risk of working the order over the window, bps.
    pub timing_risk_bps: f64,
    /// Which model produced the figures.
    pub model: String,
}

/// The estimate of `req` on `engine` now. Refuses exactly what a submit would.
pub fn estimate(engine: &Engine, req: &OrderRequest) -> Result<Estimate, ClientError> {
    let plan = engine.preview(req)?;
    let m = engine
        .market(&req.symbol)
        .ok_or_else(|| ClientError::not_found(format!("no market for '{}' today", req.symbol)))?;
    let now = engine.now();
    let s = &m.session;
    let start = req.start.unwrap_or(now).max(now).max(s.open);
    let end = req.end.unwrap_or(s.close).max(start);
    let nbbo = m.nbbo();
    let mid = nbbo.mid().unwrap_or_else(|| m.mid(now));
    let spread_bps = match (nbbo.bid, nbbo.ask) {
        (Some(b), Some(a)) if mid > 0.0 => (a.px.to_f64() - b.px.to_f64()) / mid * 1e4,
        _ => m.inst.spread_bps,
    };
    let qty = req.qty.to_f64();
    let expected_volume = m.expected_volume(start, end);
    let (spread_cost_bps, impact_bps, timing_risk_bps) =
        model_costs(spread_bps, m.inst.daily_vol, qty, m.inst.adv.to_f64(), m.curve.share_between(start, end));
    let expected_cost_bps = spread_cost_bps + impact_bps;
    Ok(Estimate {
        symbol: m.inst.symbol.clone(),
        side: req.side,
        qty: req.qty,
        algo: req.algo,
        start,
        end,
        mid,
        spread_bps,
        expected_volume,
        participation: (expected_volume > 0.0).then(|| qty / expected_volume),
        slices: plan.len(),
        spread_cost_bps,
        impact_bps,
        expected_cost_bps,
        expected_cost: expected_cost_bps / 1e4 * m.inst.notional_f64(mid, qty),
        timing_risk_bps,
        model: "half spread + square-root impact (interim)".into(),
    })
}

/// Spread cost, impact and timing risk in bps, from the spread (bps), the
/// daily volatility (fraction), the quantity, ADV and the share of the day's
/// volume the window covers.
fn model_costs(spread_bps: f64, daily_vol: f64, qty: f64, adv: f64, window_share: f64) -> (f64, f64, f64) {
    let sigma_bps = daily_vol * 1e4;
    let impact = if adv > 0.0 { IMPACT_COEFF * sigma_bps * (qty / adv).sqrt() } else { 0.0 };
    // Linear liquidation over T (in days of volume time): sigma * sqrt(T / 3).
    let risk = sigma_bps * (window_share.max(0.0) / 3.0).sqrt();
    (spread_bps / 2.0, impact, risk)
}

#[cfg(test)]
mod tests {
    use super::model_costs;

    #[test]
    fn impact_grows_with_the_square_root_of_size_and_risk_with_the_window() {
        let (s, i1, r1) = model_costs(2.0, 0.02, 10_000.0, 1_000_000.0, 0.25);
        let (_, i4, r4) = model_costs(2.0, 0.02, 40_000.0, 1_000_000.0, 1.0);
        assert_eq!(s, 1.0);
        assert!((i4 / i1 - 2.0).abs() < 1e-9, "4x the size, 2x the impact");
        assert!((r4 / r1 - 2.0).abs() < 1e-9, "4x the window, 2x the risk");
        assert!((i1 - 0.7 * 200.0 * 0.1).abs() < 1e-9);
        assert_eq!(model_costs(2.0, 0.02, 1.0, 0.0, 0.0).1, 0.0, "no ADV, no impact figure");
    }
}
