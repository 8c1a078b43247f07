//! Pre-trade slippage models (`models`), adverse selection learned from the
//! session's own passive fills (`adverse`), and the estimate of an order's
//! schedule that combines them.
//!
//! The estimate's total is spread + latency + adverse selection + ONE impact
//! model (`impact_model`, by default `propagator`: the simulator's own model
//! along the schedule): the linear, square-root and propagator models are
//! views of the same market impact and are all shown, never added up.

pub mod adverse;
pub mod fit;
pub mod models;
pub mod schedule;

pub use adverse::{VenueMarkout, expected_markout, venue_markouts};
pub use models::ModelCost;
pub use schedule::Schedule;

use crate::model::{Qty, Timestamp};
use crate::tca::PreTrade;

use serde::{Deserialize, Serialize};

/// Which impact model enters the estimate's total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImpactModel {
    /// The simulator's own model along the schedule (default).
    Propagator,
    /// Square-root (Almgren) slice by slice.
    Sqrt,
    /// Linear (Kissell-Glantz).
    Linear,
}

impl ImpactModel {
    /// The model's name in `Estimate::models`.
    pub fn name(self) -> &'static str {
        match self {
            ImpactModel::Propagator => "propagator",
            ImpactModel::Sqrt => "sqrt",
            ImpactModel::Linear => "linear",
        }
    }
}

/// Coefficients of the models. The defaults are fitted by `blotter calibrate
/// --simulated` (the command and its figures are in docs/market-model.md):
/// with them the estimate's mean error against the simulator's realised
/// spread + impact is within 1 bp or 20% for TWAP, VWAP, POV and IS at 1, 5
/// and 10% of ADV.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Coefficients {
    /// Linear (Kissell-Glantz) scale `alpha`.
    pub alpha: f64,
    /// Square-root (Almgren) scale `gamma`.
    pub gamma: f64,
    /// Multiplier on the simulator's own impact model (`propagator`).
    pub impact_scale: f64,
    /// Share of a passive-first schedule expected to cross, at zero participation.
    pub aggressive_base: f64,
    /// Added to that share per unit of participation (order over the window's volume).
    pub aggressive_slope: f64,
    /// Half-spreads paid per unit crossed (above 1 when crossing walks the book).
    pub taker_spread_mult: f64,
    /// Markout horizon for adverse selection, seconds (0: against the mid at the fill).
    pub adverse_horizon_s: f64,
    /// Markout assumed for passive fills at venues without passive history, bps.
    pub adverse_prior_bps: f64,
    /// Which impact model enters the total.
    pub impact_model: ImpactModel,
}

impl Default for Coefficients {
    fn default() -> Self {
        CALIBRATED
    }
}

/// The defaults, from `blotter calibrate --simulated` (docs/market-model.md).
pub const CALIBRATED: Coefficients = Coefficients {
    alpha: 0.5,
    gamma: 0.5,
    impact_scale: 1.0,
    aggressive_base: 0.04,
    aggressive_slope: 1.0,
    taker_spread_mult: 1.0,
    adverse_horizon_s: 0.0,
    adverse_prior_bps: 0.5,
    impact_model: ImpactModel::Propagator,
};

/// The coefficient names `Coefficients::set` accepts.
pub const COEFFICIENT_KEYS: &str = "alpha, gamma, impact_scale, aggressive_base, aggressive_slope, \
taker_spread_mult, impact_model, adverse_horizon_s, adverse_prior_bps";

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
        let non_negative = || -> Result<f64, String> {
            let v = num()?;
            if v < 0.0 { Err(format!("{key}: {v} must not be negative")) } else { Ok(v) }
        };
        match key.trim() {
            "alpha" => self.alpha = non_negative()?,
            "gamma" => self.gamma = non_negative()?,
            "impact_scale" => self.impact_scale = non_negative()?,
            "aggressive_base" => self.aggressive_base = non_negative()?,
            "aggressive_slope" => self.aggressive_slope = non_negative()?,
            "taker_spread_mult" => self.taker_spread_mult = non_negative()?,
            "adverse_horizon_s" => self.adverse_horizon_s = non_negative()?,
            "adverse_prior_bps" => self.adverse_prior_bps = num()?,
            "impact_model" => {
                self.impact_model = match value.trim() {
                    "propagator" => ImpactModel::Propagator,
                    "sqrt" => ImpactModel::Sqrt,
                    "linear" => ImpactModel::Linear,
                    other => {
                        return Err(format!(
                            "impact_model: '{other}' is not a model; allowed: propagator, sqrt, linear"
                        ));
                    }
                }
            }
            other => return Err(format!("'{other}' is not a coefficient; allowed: {COEFFICIENT_KEYS}")),
        }
        Ok(())
    }

    /// The share of an order expected to cross: all of it when the algorithm
    /// crosses first, else the calibrated share at its participation.
    pub fn aggressive_fraction(&self, crosses: bool, participation: f64) -> f64 {
        if crosses {
            return 1.0;
        }
        (self.aggressive_base + self.aggressive_slope * participation.max(0.0)).clamp(0.0, 1.0)
    }
}

/// The facts about an order and its market that the models need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderContext {
    /// The quantity the schedule expects to fill: the order's, or what the
    /// algorithm's plan reaches in its window when that is less (POV at its
    /// rate); every figure is per unit of it, as the realised cost is per
    /// filled unit.
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
    /// Whether the algorithm crosses first (else it posts first).
    pub crosses: bool,
    /// Expected one-way latency to the venues, milliseconds.
    pub latency_ms: f64,
    /// Standard deviation of the price over one millisecond, price units.
    pub vol_per_ms: f64,
    /// Expected markout of passive fills, bps, and how many fills it rests on.
    pub markout_bps: f64,
    /// Fills the markout was learned from.
    pub markout_samples: usize,
    /// The simulator's impact model along the schedule, currency, at scale 1.
    pub propagator_cost: f64,
    /// Its coefficient `Y` and transient half-life (seconds), for the record.
    pub impact_y: f64,
    /// Half-life of the transient impact, seconds.
    pub impact_half_life_s: f64,
    /// The day's variance the position still to trade is exposed to along the
    /// schedule, as a fraction of a day's: the integral of `(remaining /
    /// qty)^2` over the intraday variance (so `sigma sqrt(timing_variance)` is
    /// the timing cost's standard deviation as a fraction of price; a
    /// day-long even schedule with flat volatility gives 1/3).
    #[serde(default)]
    pub timing_variance: f64,
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
    /// One standard deviation of the timing cost (the market's own moves while
    /// the schedule trades; no expected value, not in the total), bps.
    #[serde(default)]
    pub timing_risk_bps: f64,
    /// The same in currency.
    #[serde(default)]
    pub timing_risk: f64,
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
        models::propagator(k.impact_scale, c.propagator_cost, c.impact_y, c.impact_half_life_s, c.qty, c.price),
        models::spread_cross(k.taker_spread_mult, c.spread, aggressive, c.qty, c.price),
        models::latency(c.latency_ms, c.vol_per_ms, aggressive, c.qty, c.price),
        models::adverse_selection(c.markout_bps, c.markout_samples as f64, passive, c.qty, c.price),
    ];
    let impact = k.impact_model.name();
    let total_of: Vec<String> = [impact, "spread", "latency", "adverse_selection"].map(String::from).to_vec();
    let in_total = models.iter().filter(|m| total_of.contains(&m.model));
    let (total_bps, total_cost) = in_total.fold((0.0, 0.0), |(b, c), m| (b + m.bps, c + m.cost));
    let timing = c.sigma * c.timing_variance.max(0.0).sqrt();
    Estimate {
        models,
        total_bps,
        total_cost,
        total_of,
        timing_risk_bps: timing * 1e4,
        timing_risk: timing * c.price * c.qty,
        context: c.clone(),
        coefficients: *k,
    }
}

impl Estimate {
    /// The estimate as an order records it at submission: spread (crossing,
    /// latency and adverse selection: what fills pay against the mid), the
    /// impact model in the total, the timing risk, with the inputs.
    pub fn record(&self, at: Timestamp, qty: Qty) -> PreTrade {
        let part = |names: &[&str]| {
            self.models
                .iter()
                .filter(|m| names.contains(&m.model.as_str()) && self.total_of.contains(&m.model))
                .fold((0.0, 0.0), |(b, c), m| (b + m.bps, c + m.cost))
        };
        let (spread_bps, spread) = part(&["spread", "latency", "adverse_selection"]);
        let model = self.coefficients.impact_model.name();
        let (impact_bps, impact) = part(&[model]);
        let c = &self.context;
        let k = &self.coefficients;
        let participation = if c.window_volume > 0.0 { c.qty / c.window_volume } else { 0.0 };
        let inputs = [
            ("price", c.price),
            ("qty", c.qty),
            ("sigma", c.sigma),
            ("adv", c.adv),
            ("window_volume", c.window_volume),
            ("participation", participation),
            ("slices", c.slices.len() as f64),
            ("spread", c.spread),
            ("aggressive_fraction", c.aggressive_fraction),
            ("crosses", if c.crosses { 1.0 } else { 0.0 }),
            ("latency_ms", c.latency_ms),
            ("markout_bps", c.markout_bps),
            ("markout_samples", c.markout_samples as f64),
            ("impact_y", c.impact_y),
            ("impact_half_life_s", c.impact_half_life_s),
            ("timing_variance", c.timing_variance),
            ("impact_scale", k.impact_scale),
            ("alpha", k.alpha),
            ("gamma", k.gamma),
            ("taker_spread_mult", k.taker_spread_mult),
            ("aggressive_base", k.aggressive_base),
            ("aggressive_slope", k.aggressive_slope),
            ("adverse_prior_bps", k.adverse_prior_bps),
        ];
        PreTrade {
            at,
            qty,
            price: c.price,
            spread_bps,
            spread,
            impact_bps,
            impact,
            timing_risk_bps: self.timing_risk_bps,
            timing_risk: self.timing_risk,
            total_bps: self.total_bps,
            total: self.total_cost,
            model: model.to_string(),
            inputs: inputs.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }
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
            crosses: false,
            latency_ms: 1.0,
            vol_per_ms: 0.002,
            markout_bps: 2.0,
            markout_samples: 7,
            propagator_cost: 1_500.0,
            impact_y: 0.6,
            impact_half_life_s: 600.0,
            timing_variance: 1.0 / 3.0,
        }
    }

    fn coeffs() -> Coefficients {
        Coefficients { alpha: 0.5, gamma: 0.5, impact_scale: 1.0, taker_spread_mult: 1.0, ..CALIBRATED }
    }

    /// Notional 1,000,000. linear 0.5 x 0.02 x sqrt(0.01) = 0.001 = 10 bps;
    /// sqrt 0.5 x 0.02 x sqrt(0.04) = 0.002 = 20 bps; propagator 1,500 = 15
    /// bps; spread 0.5 x 0.02 x 4,000 = 40 = 0.4 bps; latency 1 x 0.002 x 4,000
    /// = 8 = 0.08 bps; adverse 2 bps on 6,000 at 100 = 120 = 1.2 bps. Total
    /// (propagator) = 15 + 0.4 + 0.08 + 1.2 = 16.68 bps.
    #[test]
    fn total_adds_one_impact_model() {
        let e = estimate(&ctx(), &coeffs());
        let bps: Vec<f64> = e.models.iter().map(|m| m.bps).collect();
        let want = [10.0, 20.0, 15.0, 0.4, 0.08, 1.2];
        for (a, b) in bps.iter().zip(want) {
            assert!((a - b).abs() < 1e-9, "{bps:?}");
        }
        assert!((e.total_bps - 16.68).abs() < 1e-9);
        assert!((e.total_cost - 1_668.0).abs() < 1e-6);
        let mut k = coeffs();
        k.set("impact_model", "linear").unwrap();
        assert!((estimate(&ctx(), &k).total_bps - 11.68).abs() < 1e-9);
        k.set("impact_model", "sqrt").unwrap();
        assert!((estimate(&ctx(), &k).total_bps - 21.68).abs() < 1e-9);
    }

    /// The record splits the total: spread 0.4 + latency 0.08 + adverse 1.2
    /// = 1.68 bps (168.00) and the propagator's 15 bps (1,500.00); timing
    /// risk 0.02 x sqrt(1/3) = 115.47 bps of the 1,000,000 notional.
    #[test]
    fn the_record_splits_the_total_into_spread_and_impact() {
        let r = estimate(&ctx(), &coeffs()).record(Timestamp(7), Qty::from_int(10_000));
        assert!((r.spread_bps - 1.68).abs() < 1e-9 && (r.spread - 168.0).abs() < 1e-6, "{r:?}");
        assert!((r.impact_bps - 15.0).abs() < 1e-9 && (r.impact - 1_500.0).abs() < 1e-6, "{r:?}");
        assert!((r.spread_bps + r.impact_bps - r.total_bps).abs() < 1e-9);
        assert!((r.timing_risk_bps - 115.470_053_8).abs() < 1e-6, "{}", r.timing_risk_bps);
        assert!((r.timing_risk - 11_547.005_38).abs() < 1e-4, "{}", r.timing_risk);
        assert_eq!((r.model.as_str(), r.at, r.inputs["impact_y"]), ("propagator", Timestamp(7), 0.6));
        let mut k = coeffs();
        k.set("impact_model", "sqrt").unwrap();
        let r = estimate(&ctx(), &k).record(Timestamp(7), Qty::from_int(10_000));
        assert_eq!(r.model, "sqrt");
        assert!((r.impact_bps - 20.0).abs() < 1e-9);
    }

    #[test]
    fn coefficients_are_configurable_with_clear_errors() {
        let mut k = Coefficients::default();
        k.set("alpha", "0.7").unwrap();
        assert_eq!(k.alpha, 0.7);
        assert!(k.set("alpha", "x").unwrap_err().contains("alpha: 'x' is not a number"));
        assert!(k.set("gamma", "-1").unwrap_err().contains("must not be negative"));
        assert!(k.set("beta", "1").unwrap_err().contains("allowed: alpha, gamma"));
        assert!(k.set("impact_model", "cubic").unwrap_err().contains("allowed: propagator, sqrt, linear"));
    }

    /// Crossing-first algorithms cross everything; passive-first ones the
    /// calibrated share: 0.04 + 1.0 x 0.1 = 0.14 at 10% participation.
    #[test]
    fn aggressive_share_by_urgency_and_participation() {
        let k = Coefficients { aggressive_base: 0.04, aggressive_slope: 1.0, ..CALIBRATED };
        assert_eq!(k.aggressive_fraction(true, 0.01), 1.0);
        assert!((k.aggressive_fraction(false, 0.1) - 0.14).abs() < 1e-12);
        assert_eq!(k.aggressive_fraction(false, 5.0), 1.0);
    }
}
