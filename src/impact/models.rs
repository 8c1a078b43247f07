//! The pre-trade slippage models. Each returns its cost in basis points of
//! the order's notional and in currency, with the inputs it used, so a UI can
//! show why.
//!
//! | model | formula (cost as a fraction of price, or in currency) |
//! |---|---|
//! | linear (Kissell-Glantz) | `alpha * sigma * sqrt(qty / ADV)` |
//! | square-root (Almgren) | `gamma * sigma * (qty / V)^0.5`, V = volume expected over the order's window; over a schedule, summed slice by slice |
//! | propagator (the simulator's own) | `scale * sum over the schedule of q * Y sigma P sqrt(J / ADV)`, J our decaying net quantity (`market::impact`) |
//! | spread cross | `0.5 * spread * aggressive_qty` (currency) |
//! | latency | `latency_ms * volatility_per_ms * aggressive_qty` (currency) |
//! | adverse selection | `markout_bps / 1e4 * price * passive_qty` (currency) |

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One model's estimate and the inputs behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCost {
    /// Model name (`linear`, `sqrt`, `spread`, `latency`, `adverse_selection`).
    pub model: String,
    /// The formula, as documented.
    pub formula: String,
    /// Cost in basis points of the order's notional (positive = cost).
    pub bps: f64,
    /// Cost in the instrument's currency.
    pub cost: f64,
    /// Every input by name.
    pub inputs: BTreeMap<String, f64>,
}

fn from_fraction(
    model: &'static str,
    formula: &'static str,
    frac: f64,
    notional: f64,
    inputs: &[(&'static str, f64)],
) -> ModelCost {
    ModelCost {
        model: model.into(),
        formula: formula.into(),
        bps: frac * 1e4,
        cost: frac * notional,
        inputs: inputs.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
    }
}

fn from_currency(
    model: &'static str,
    formula: &'static str,
    cost: f64,
    notional: f64,
    inputs: &[(&'static str, f64)],
) -> ModelCost {
    let bps = if notional > 0.0 { cost / notional * 1e4 } else { 0.0 };
    ModelCost {
        model: model.into(),
        formula: formula.into(),
        bps,
        cost,
        inputs: inputs.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
    }
}

/// Linear (Kissell-Glantz) impact: `alpha * sigma * sqrt(qty / adv)` of the price.
pub fn linear(alpha: f64, sigma: f64, qty: f64, adv: f64, price: f64) -> ModelCost {
    let frac = if adv > 0.0 { alpha * sigma * (qty / adv).sqrt() } else { 0.0 };
    from_fraction(
        "linear",
        "alpha * sigma * sqrt(qty / adv)",
        frac,
        price * qty,
        &[("alpha", alpha), ("sigma", sigma), ("qty", qty), ("adv", adv), ("price", price)],
    )
}

/// Square-root (Almgren) impact: `gamma * sigma * (qty / volume)^0.5` of the price.
pub fn square_root(gamma: f64, sigma: f64, qty: f64, volume: f64, price: f64) -> ModelCost {
    let frac = if volume > 0.0 { gamma * sigma * (qty / volume).powf(0.5) } else { 0.0 };
    from_fraction(
        "sqrt",
        "gamma * sigma * (qty / volume)^0.5",
        frac,
        price * qty,
        &[("gamma", gamma), ("sigma", sigma), ("qty", qty), ("volume", volume), ("price", price)],
    )
}

/// Square-root impact of a schedule: each slice `(qty, volume expected while it
/// trades)` costs `gamma * sigma * (qty / volume)^0.5 * price * qty`; slices
/// without expected volume use `window_volume`.
pub fn square_root_schedule(
    gamma: f64,
    sigma: f64,
    slices: &[(f64, f64)],
    window_volume: f64,
    price: f64,
) -> ModelCost {
    let qty: f64 = slices.iter().map(|s| s.0).sum();
    let cost: f64 = slices
        .iter()
        .map(|&(q, v)| {
            let v = if v > 0.0 { v } else { window_volume };
            if v > 0.0 { gamma * sigma * (q / v).sqrt() * price * q } else { 0.0 }
        })
        .sum();
    let volume: f64 = slices.iter().map(|s| s.1.max(0.0)).sum();
    from_currency(
        "sqrt",
        "sum over slices of gamma * sigma * (slice_qty / slice_volume)^0.5 * price * slice_qty",
        cost,
        price * qty,
        &[
            ("gamma", gamma),
            ("sigma", sigma),
            ("qty", qty),
            ("volume", volume),
            ("slices", slices.len() as f64),
            ("price", price),
        ],
    )
}

/// The simulator's own impact model integrated along the schedule
/// (`market::impact::schedule_cost`, in currency at `scale` 1), times `scale`.
pub fn propagator(scale: f64, schedule_cost: f64, y: f64, half_life_s: f64, qty: f64, price: f64) -> ModelCost {
    from_currency(
        "propagator",
        "scale * sum over the schedule of q * Y * sigma * P * sqrt(J / ADV)",
        scale * schedule_cost,
        price * qty,
        &[
            ("scale", scale),
            ("schedule_cost", schedule_cost),
            ("y", y),
            ("half_life_s", half_life_s),
            ("qty", qty),
            ("price", price),
        ],
    )
}

/// Crossing the spread with the aggressive part: `mult * 0.5 * spread *
/// aggressive_qty` (`mult` > 1 when crossing walks past the touch).
pub fn spread_cross(mult: f64, spread: f64, aggressive_qty: f64, qty: f64, price: f64) -> ModelCost {
    from_currency(
        "spread",
        "mult * 0.5 * spread * aggressive_qty",
        mult * 0.5 * spread * aggressive_qty,
        price * qty,
        &[("mult", mult), ("spread", spread), ("aggressive_qty", aggressive_qty), ("qty", qty), ("price", price)],
    )
}

/// Price drift while orders travel: `latency_ms * volatility_per_ms * aggressive_qty`.
pub fn latency(latency_ms: f64, vol_per_ms: f64, aggressive_qty: f64, qty: f64, price: f64) -> ModelCost {
    from_currency(
        "latency",
        "latency_ms * volatility_per_ms * aggressive_qty",
        latency_ms * vol_per_ms * aggressive_qty,
        price * qty,
        &[
            ("latency_ms", latency_ms),
            ("volatility_per_ms", vol_per_ms),
            ("aggressive_qty", aggressive_qty),
            ("qty", qty),
            ("price", price),
        ],
    )
}

/// Adverse selection of passive fills: the expected markout (bps, positive =
/// the price moves against a fill) applied to the passive quantity.
pub fn adverse_selection(markout_bps: f64, samples: f64, passive_qty: f64, qty: f64, price: f64) -> ModelCost {
    from_currency(
        "adverse_selection",
        "markout_bps / 1e4 * price * passive_qty",
        markout_bps / 1e4 * price * passive_qty,
        price * qty,
        &[
            ("markout_bps", markout_bps),
            ("samples", samples),
            ("passive_qty", passive_qty),
            ("qty", qty),
            ("price", price),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9 * b.abs().max(1.0), "{a} vs {b}");
    }

    /// alpha 0.5, sigma 2%, 100,000 of an ADV of 4,000,000 at 50.00:
    /// sqrt(0.025) = 0.158114; 0.5 x 0.02 x 0.158114 = 0.00158114 = 15.8114 bps;
    /// notional 5,000,000 -> 7,905.69.
    #[test]
    fn linear_by_hand() {
        let m = linear(0.5, 0.02, 100_000.0, 4_000_000.0, 50.0);
        close(m.bps, 15.811388300841896);
        close(m.cost, 7_905.694150420948);
        assert_eq!(m.inputs["adv"], 4_000_000.0);
    }

    /// gamma 0.8, sigma 1.5%, 250,000 against 1,000,000 expected in the window at
    /// 20.00: (0.25)^0.5 = 0.5; 0.8 x 0.015 x 0.5 = 0.006 = 60 bps; notional
    /// 5,000,000 -> 30,000.
    #[test]
    fn square_root_by_hand() {
        let m = square_root(0.8, 0.015, 250_000.0, 1_000_000.0, 20.0);
        close(m.bps, 60.0);
        close(m.cost, 30_000.0);
        assert_eq!(square_root(0.8, 0.015, 1.0, 0.0, 20.0).cost, 0.0);
    }

    /// gamma 0.5, sigma 2%, at 10.00: 100 against 10,000 and 300 against 30,000
    /// each cost sqrt(0.01) x 0.5 x 0.02 = 0.001 of the price: 1.00 + 3.00 = 4.00
    /// on a notional of 4,000 = 10 bps. All 400 against 10,000 in one slice cost
    /// 0.5 x 0.02 x sqrt(0.04) = 0.002: 8.00 = 20 bps.
    #[test]
    fn square_root_over_a_schedule_by_hand() {
        let m = square_root_schedule(0.5, 0.02, &[(100.0, 10_000.0), (300.0, 30_000.0)], 40_000.0, 10.0);
        close(m.cost, 4.0);
        close(m.bps, 10.0);
        assert_eq!(m.inputs["slices"], 2.0);
        let one = square_root_schedule(0.5, 0.02, &[(400.0, 10_000.0)], 10_000.0, 10.0);
        close(one.bps, 20.0);
        close(one.bps, square_root(0.5, 0.02, 400.0, 10_000.0, 10.0).bps);
        // A slice with no expected volume (after the close) is priced against the window.
        let late = square_root_schedule(0.5, 0.02, &[(400.0, 0.0)], 10_000.0, 10.0);
        close(late.bps, 20.0);
    }

    /// Spread 0.02, 6,000 of 10,000 crossing at 100.00: 0.5 x 0.02 x 6,000 = 60.00;
    /// notional 1,000,000 -> 0.6 bps; walking the book at 1.5 half-spreads: 90.00.
    #[test]
    fn spread_cross_by_hand() {
        let m = spread_cross(1.0, 0.02, 6_000.0, 10_000.0, 100.0);
        close(m.cost, 60.0);
        close(m.bps, 0.6);
        close(spread_cross(1.5, 0.02, 6_000.0, 10_000.0, 100.0).cost, 90.0);
    }

    /// A schedule costing 1,200.00 through the simulator's model, scaled by
    /// 0.9, on 10,000 at 100.00: 1,080.00 = 10.8 bps.
    #[test]
    fn propagator_by_hand() {
        let m = propagator(0.9, 1_200.0, 0.6, 600.0, 10_000.0, 100.0);
        close(m.cost, 1_080.0);
        close(m.bps, 10.8);
        assert_eq!(m.inputs["y"], 0.6);
    }

    /// 2 ms at 0.001 per ms on 5,000 aggressive of 10,000 at 100.00: 2 x 0.001 x
    /// 5,000 = 10.00 -> 0.1 bps.
    #[test]
    fn latency_by_hand() {
        let m = latency(2.0, 0.001, 5_000.0, 10_000.0, 100.0);
        close(m.cost, 10.0);
        close(m.bps, 0.1);
    }

    /// A 3 bps markout on 4,000 passive of 10,000 at 100.00: 3e-4 x 100 x 4,000 =
    /// 120.00 -> 1.2 bps of the order.
    #[test]
    fn adverse_selection_by_hand() {
        let m = adverse_selection(3.0, 12.0, 4_000.0, 10_000.0, 100.0);
        close(m.cost, 120.0);
        close(m.bps, 1.2);
        assert_eq!(m.inputs["samples"], 12.0);
    }
}
