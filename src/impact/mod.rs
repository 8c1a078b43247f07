//! Pre-trade slippage models (`models`), adverse selection learned from the
//! session's own passive fills (`adverse`), and the estimate of an order's
//! schedule that combines them.
//!
//! The estimate's total is spread + latency + adverse selection + ONE impact
//! model (`impact_model`, square-root by default): the linear and square-root
//! models are two views of the same market impact and are both shown, never
//! both added.

pub mod adverse;
pub mod fit;
pub mod models;

pub use adverse::{VenueMarkout, expected_markout, venue_markouts};
pub use models::ModelCost;

use serde::{Deserialize, Serialize};

/// Coefficients of the models, with documented defaults (docs/market-model.md).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Coefficients {
    /// Linear (Kissell-Glantz) scale `alpha`.
    pub alpha: f64,
    /// Square-root (Almgren) scale `gamma`.
    pub gamma: f64,
    /// Markout horizon for adverse selection, seconds.
    pub adverse_horizon_s: f64,
    /// Markout assumed at venues without passive history, bps.
    pub adverse_prior_bps: f64,
    /// Which impact model enters the total: true = square-root, false = linear.
    pub sqrt_in_total: bool,
}

impl Default for Coefficients {
    fn default() -> Self {
        // alpha and gamma match the simulator's own impact scale (0.5 daily sigma).
        Coefficients { alpha: 0.5, gamma: 0.5, adverse_horizon_s: 5.0, adverse_prior_bps: 0.0, sqrt_in_total: true }
    }
}

impl Coefficients {
    /// Sets one coefficient from `key=value` text; the error names the key and what is allowed.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let num = || -> Result<f64, String> {
            value
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("{key}: '{value}' is not a number"))
        };
        match key.trim() {
            "alpha" | "gamma" | "adverse_horizon_s" => {
                let v = num()?;
                if v < 0.0 {
                    return Err(format!("{key}: {v} must not be negative"));
                }
                match key.trim() {
                    "alpha" => self.alpha = v,
                    "gamma" => self.gamma = v,
                    _ => self.adverse_horizon_s = v,
                }
            }
            "adverse_prior_bps" => self.adverse_prior_bps = num()?,
            "impact_model" => {
                self.sqrt_in_total = match value.trim() {
                    "sqrt" => true,
                    "linear" => false,
                    other => return Err(format!("impact_model: '{other}' is not a model; allowed: sqrt, linear")),
                }
            }
            other => {
                return Err(format!(
                    "'{other}' is not a coefficient; allowed: alpha, gamma, impact_model, adverse_horizon_s, adverse_prior_bps"
                ));
            }
        }
        Ok(())
    }
}

/// The facts about an order and its market that the models need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderContext {
    /// Order quantity.
    pub qty: f64,
    /// Reference price (current mid, else the instrument's reference price).
    pub price: f64,
    /// Daily volatility as a fraction.
    pub sigma: f64,
    /// Average daily volume.
    pub adv: f64,
    /// Market volume expected over the order's window.
    pub window_volume: f64,
    /// The schedule as (slice qty, market volume expected while it trades); empty = one slice.
    pub slices: Vec<(f64, f64)>,
    /// Quoted spread in price units.
    pub spread: f64,
    /// Fraction of the quantity expected to cross the spread.
    pub aggressive_fraction: f64,
    /// Expected one-way latency to the venues, milliseconds.
    pub latency_ms: f64,
    /// Standard deviation of the price over one millisecond, price units.
    pub vol_per_ms: f64,
    /// Expected markout of passive fills, bps, and how many fills it rests on.
    pub markout_bps: f64,
    /// Fills the markout was learned from.
    pub markout_samples: usize,
}

/// Per-model costs and the total for one order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// linear, sqrt, spread, latency, adverse_selection.
    pub models: Vec<ModelCost>,
    /// Sum of the models that enter the total, bps of the order's notional.
    pub total_bps: f64,
    /// The same in currency.
    pub total_cost: f64,
    /// The models added up in the total.
    pub total_of: Vec<String>,
    /// The inputs.
    pub context: OrderContext,
    /// The coefficients.
    pub coefficients: Coefficients,
}

/// Runs every model for one order.
pub fn estimate(c: &OrderContext, k: &Coefficients) -> Estimate {
    let aggressive = c.qty * c.aggressive_fraction.clamp(0.0, 1.0);
    let passive = c.qty - aggressive;
    let models = vec![
        models::linear(k.alpha, c.sigma, c.qty, c.adv, c.price),
        if c.slices.is_empty() {
            models::square_root(k.gamma, c.sigma, c.qty, c.window_volume, c.price)
        } else {
            models::square_root_schedule(k.gamma, c.sigma, &c.slices, c.window_volume, c.price)
        },
        models::spread_cross(c.spread, aggressive, c.qty, c.price),
        models::latency(c.latency_ms, c.vol_per_ms, aggressive, c.qty, c.price),
        models::adverse_selection(c.markout_bps, c.markout_samples as f64, passive, c.qty, c.price),
    ];
    let impact = if k.sqrt_in_total { "sqrt" } else { "linear" };
    let total_of: Vec<String> = [impact, "spread", "latency", "adverse_selection"].map(String::from).to_vec();
    let in_total = models.iter().filter(|m| total_of.contains(&m.model));
    let (total_bps, total_cost) = in_total.fold((0.0, 0.0), |(b, c), m| (b + m.bps, c + m.cost));
    Estimate { models, total_bps, total_cost, total_of, context: c.clone(), coefficients: *k }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> OrderContext {
        OrderContext {
            qty: 10_000.0,
            price: 100.0,
            sigma: 0.02,
            adv: 1_000_000.0,
            window_volume: 250_000.0,
            slices: Vec::new(),
            spread: 0.02,
            aggressive_fraction: 0.4,
            latency_ms: 1.0,
            vol_per_ms: 0.002,
            markout_bps: 2.0,
            markout_samples: 7,
        }
    }

    /// Notional 1,000,000. linear 0.5 x 0.02 x sqrt(0.01) = 0.001 = 10 bps;
    /// sqrt 0.5 x 0.02 x sqrt(0.04) = 0.002 = 20 bps; spread 0.5 x 0.02 x 4,000 =
    /// 40 = 0.4 bps; latency 1 x 0.002 x 4,000 = 8 = 0.08 bps; adverse 2 bps on
    /// 6,000 at 100 = 120 = 1.2 bps. Total (sqrt) = 20 + 0.4 + 0.08 + 1.2 = 21.68 bps.
    #[test]
    fn total_adds_one_impact_model() {
        let e = estimate(&ctx(), &Coefficients::default());
        let bps: Vec<f64> = e.models.iter().map(|m| m.bps).collect();
        let want = [10.0, 20.0, 0.4, 0.08, 1.2];
        for (a, b) in bps.iter().zip(want) {
            assert!((a - b).abs() < 1e-9, "{bps:?}");
        }
        assert!((e.total_bps - 21.68).abs() < 1e-9);
        assert!((e.total_cost - 2_168.0).abs() < 1e-6);
        let mut k = Coefficients::default();
        k.set("impact_model", "linear").unwrap();
        assert!((estimate(&ctx(), &k).total_bps - 11.68).abs() < 1e-9);
    }

    #[test]
    fn coefficients_are_configurable_with_clear_errors() {
        let mut k = Coefficients::default();
        k.set("alpha", "0.7").unwrap();
        assert_eq!(k.alpha, 0.7);
        assert!(k.set("alpha", "x").unwrap_err().contains("alpha: 'x' is not a number"));
        assert!(k.set("gamma", "-1").unwrap_err().contains("must not be negative"));
        assert!(k.set("beta", "1").unwrap_err().contains("allowed: alpha, gamma"));
        assert!(k.set("impact_model", "cubic").unwrap_err().contains("allowed: sqrt, linear"));
    }
}
