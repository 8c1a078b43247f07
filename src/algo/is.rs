//! Implementation Shortfall: the Almgren-Chriss (2000) optimal trajectory.
//!
//! R. Almgren and N. Chriss, "Optimal Execution of Portfolio Transactions",
//! Journal of Risk 3 (2000). With linear permanent impact `gamma`, linear
//! temporary impact `eta`, fixed cost `epsilon` per share and volatility
//! `sigma`, the trajectory minimising `E + lambda V` over N periods of length
//! `tau = T / N` holds
//!
//! `x_k = X sinh(kappa (T - t_k)) / sinh(kappa T)`
//!
//! where `2 (cosh(kappa tau) - 1) / tau^2 = lambda sigma^2 / eta~` and
//! `eta~ = eta - gamma tau / 2` (the paper's eqs. for the discrete solution).
//! Its expected cost and variance are
//! `E = gamma X^2 / 2 + epsilon sum|n_k| + (eta~ / tau) sum n_k^2` and
//! `V = sigma^2 tau sum x_k^2`. `lambda -> 0` gives the straight line (TWAP);
//! larger `lambda` front-loads. `1 / kappa` is what the paper calls the
//! trade's half-life.
//!
//! Units follow the horizon: with the default intraday window the unit of time
//! is one trading session (a "day"), so `sigma` is in price per share per
//! sqrt(day), `eta` in price per share per (share/day) and `lambda` per unit
//! of currency. Defaults come from the instrument with the paper's own rules
//! of thumb: `sigma = daily_vol * ref_price`; one bid-ask spread of temporary
//! impact per 1% of ADV traded per day (`eta = spread / (0.01 ADV)`); one
//! spread of permanent impact per 10% of ADV (`gamma = spread / (0.1 ADV)`);
//! `epsilon` = half the spread plus the average taker fee. The default
//! `lambda` is the risk aversion whose half-life is half the window
//! (`kappa T = 2`), a clear front-load without a rush at the open.
//!
//! Execution is the shared [`Slicer`]: the trajectory's trades are the slice
//! sizes (exactly summing to the parent quantity), posted passively and
//! crossed when behind. A re-plan after an amend rescales the remaining slices,
//! which is exactly the re-solved trajectory: the static optimum is time
//! consistent.

use super::slicer::{Slicer, default_slices, equal_times, plan_from};
use super::{AlgoSpec, ExecAlgo, ParamError, Params};
use crate::model::{AlgoKind, Instrument};
use serde::{Deserialize, Serialize};

/// Inputs of the Almgren-Chriss model, in units of the horizon.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AcParams {
    /// Risk aversion (per unit of currency).
    pub lambda: f64,
    /// Volatility (price per share per sqrt(time unit)).
    pub sigma: f64,
    /// Temporary impact (price per share per share-per-time-unit).
    pub eta: f64,
    /// Permanent impact (price per share per share).
    pub gamma: f64,
    /// Fixed cost per share (half-spread plus fees).
    pub epsilon: f64,
    /// Number of periods N.
    pub slices: usize,
    /// Horizon T in time units.
    pub horizon: f64,
}

/// The optimal trajectory and its cost statistics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AcSchedule {
    /// The inputs.
    pub params: AcParams,
    /// Period length tau = T / N.
    pub tau: f64,
    /// Holdings still to trade x_0 = X, ..., x_N = 0.
    pub holdings: Vec<f64>,
    /// Trades n_k = x_{k-1} - x_k, k = 1..N.
    pub trades: Vec<f64>,
    /// kappa (per time unit).
    pub kappa: f64,
    /// kappa~ with kappa~^2 = lambda sigma^2 / eta~.
    pub kappa_tilde: f64,
    /// eta~ = eta - gamma tau / 2.
    pub eta_tilde: f64,
    /// Expected cost E (currency).
    pub expected_cost: f64,
    /// Variance of the cost V (currency squared).
    pub variance: f64,
    /// 1 / kappa in time units (`None` when kappa = 0: the straight line).
    pub half_life: Option<f64>,
}

/// One point of the efficient frontier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FrontierPoint {
    /// Risk aversion.
    pub lambda: f64,
    /// kappa.
    pub kappa: f64,
    /// Half-life 1 / kappa.
    pub half_life: Option<f64>,
    /// Expected cost E.
    pub expected_cost: f64,
    /// Standard deviation sqrt(V).
    pub std_dev: f64,
}

impl AcParams {
    /// The model's defaults for an instrument, overridden by `--param`
    /// (`lambda`, `sigma`, `eta`, `gamma`, `epsilon`, `slices`). `horizon` is T
    /// in days (sessions); `default_slices` and `max_slices` bound N.
    pub fn from_params(
        inst: &Instrument,
        fee_per_unit: f64,
        horizon: f64,
        default_slices: i64,
        max_slices: i64,
        p: &mut Params<'_>,
    ) -> Result<AcParams, ParamError> {
        let px = inst.ref_price.to_f64();
        let spread = px * inst.spread_bps / 1e4;
        let adv = inst.adv.to_f64().max(1e-12);
        let slices = p.int_in("slices", default_slices.min(max_slices), 1, max_slices.min(10_000))? as usize;
        let sigma = p.f64_in("sigma", inst.daily_vol * px, 0.0, 1e12, true)?;
        let eta = p.f64_in("eta", spread / (0.01 * adv), 0.0, 1e12, true)?;
        let gamma = p.f64_in("gamma", spread / (0.1 * adv), 0.0, 1e12, false)?;
        let epsilon = p.f64_in("epsilon", spread / 2.0 + fee_per_unit.max(0.0), 0.0, 1e12, false)?;
        let tau = horizon / slices as f64;
        let eta_tilde = eta - gamma * tau / 2.0;
        if eta_tilde <= 0.0 {
            return Err(ParamError::new(
                "eta",
                format!(
                    "{eta:e} must exceed gamma * tau / 2 = {:e} (the paper's eta - gamma tau / 2 must stay positive); \
                     raise eta or slices, or lower gamma",
                    gamma * tau / 2.0
                ),
            ));
        }
        let lambda = match p.opt_f64_in("lambda", 0.0, 1e12, false)? {
            Some(l) => l,
            None => lambda_for_kappa(2.0 / horizon, sigma, eta_tilde, tau),
        };
        Ok(AcParams { lambda, sigma, eta, gamma, epsilon, slices, horizon })
    }
}

/// The lambda whose optimal trajectory has this kappa.
pub fn lambda_for_kappa(kappa: f64, sigma: f64, eta_tilde: f64, tau: f64) -> f64 {
    let kt2 = 2.0 * ((kappa * tau).cosh() - 1.0) / (tau * tau);
    kt2 * eta_tilde / (sigma * sigma)
}

/// Solves the model for `x` shares (the sign does not matter: costs are symmetric).
pub fn solve(x: f64, p: &AcParams) -> AcSchedule {
    let n = p.slices.max(1);
    let tau = p.horizon / n as f64;
    let eta_tilde = p.eta - p.gamma * tau / 2.0;
    let kt2 = (p.lambda * p.sigma * p.sigma / eta_tilde).max(0.0);
    let kappa_tilde = kt2.sqrt();
    // 2 (cosh(kappa tau) - 1) / tau^2 = kappa~^2.
    let kappa = (1.0 + kt2 * tau * tau / 2.0).acosh() / tau;
    let t_total = p.horizon;
    let holdings: Vec<f64> = (0..=n)
        .map(|k| {
            let t = k as f64 * tau;
            if k == n {
                0.0
            } else if kappa * t_total < 1e-12 {
                x * (t_total - t) / t_total
            } else {
                // sinh(k (T - t)) / sinh(k T) written without overflow.
                let num = 1.0 - (-2.0 * kappa * (t_total - t)).exp();
                let den = 1.0 - (-2.0 * kappa * t_total).exp();
                x * (-kappa * t).exp() * num / den
            }
        })
        .collect();
    let trades: Vec<f64> = holdings.windows(2).map(|w| w[0] - w[1]).collect();
    let expected_cost = 0.5 * p.gamma * x * x
        + p.epsilon * trades.iter().map(|t| t.abs()).sum::<f64>()
        + eta_tilde / tau * trades.iter().map(|t| t * t).sum::<f64>();
    let variance = p.sigma * p.sigma * tau * holdings[1..].iter().map(|h| h * h).sum::<f64>();
    AcSchedule {
        params: *p,
        tau,
        holdings,
        trades,
        kappa,
        kappa_tilde,
        eta_tilde,
        expected_cost,
        variance,
        half_life: (kappa > 0.0).then(|| 1.0 / kappa),
    }
}

/// E against sqrt(V) for lambda = 0 and `lambda * 10^(k/2)`, k = -6..=6.
pub fn frontier(x: f64, p: &AcParams) -> Vec<FrontierPoint> {
    let centre = if p.lambda > 0.0 { p.lambda } else { 1e-6 };
    let mut lambdas = vec![0.0];
    lambdas.extend((-6..=6).map(|k| centre * 10f64.powf(k as f64 / 2.0)));
    lambdas
        .into_iter()
        .map(|lambda| {
            let s = solve(x, &AcParams { lambda, ..*p });
            FrontierPoint {
                lambda,
                kappa: s.kappa,
                half_life: s.half_life,
                expected_cost: s.expected_cost,
                std_dev: s.variance.sqrt(),
            }
        })
        .collect()
}

/// Average taker fee per unit of an instrument's venues, weighted by volume share.
pub fn taker_fee_per_unit(universe: &crate::market::Universe, uidx: usize) -> f64 {
    let inst = &universe.instruments()[uidx];
    let px = inst.ref_price.to_f64();
    universe
        .routes(uidx)
        .iter()
        .map(|&(v, share)| share * universe.venue(v).taker_fee.per_unit_in_px(px, inst.quote_per))
        .sum()
}

/// The IS algorithm: the Almgren-Chriss trajectory worked by the slicer.
#[derive(Debug, Clone)]
pub struct Is {
    model: AcSchedule,
    slicer: Slicer,
}

impl Is {
    /// Solves the trajectory over the order's window and plans its slices.
    pub fn new(spec: &AlgoSpec<'_>, p: &mut Params<'_>) -> Result<Is, ParamError> {
        let lot = spec.inst.lot_size;
        let (default_n, lots) = default_slices(spec.start, spec.end, spec.qty, lot);
        let session = (spec.session.close - spec.session.open).0.max(1) as f64;
        let horizon = (spec.end - spec.start).0 as f64 / session;
        let aggressive = p.choice("urgency", "passive", &["passive", "aggressive"])? == "aggressive";
        let display = super::slicer::display_param(p)?;
        let params = AcParams::from_params(spec.inst, spec.fee_per_unit, horizon, default_n, lots, p)?;
        let model = solve(spec.qty.to_f64(), &params);
        // lambda = 0 is exactly TWAP: equal weights, not float-noisy equal trades.
        let weights = if model.kappa == 0.0 { vec![1.0; params.slices] } else { model.trades.clone() };
        let times = equal_times(spec.start, spec.end, params.slices);
        let plan = plan_from(&times, &weights, spec.qty, lot);
        Ok(Is {
            model,
            slicer: Slicer::new(plan, Some(weights), spec.start, spec.end, aggressive).with_display(display),
        })
    }

    /// The solved model behind the plan.
    pub fn model(&self) -> &AcSchedule {
        &self.model
    }
}

impl ExecAlgo for Is {
    fn kind(&self) -> AlgoKind {
        AlgoKind::Is
    }

    super::slicer::delegate_to_slicer!();

    fn model(&self) -> Option<serde_json::Value> {
        serde_json::to_value(&self.model).ok()
    }

    fn summary(&self) -> Option<String> {
        let m = &self.model;
        Some(format!(
            "Almgren-Chriss: lambda {:.3e}, kappa {:.4}/day, half-life {}, E {:.2}, sqrt(V) {:.2}",
            m.params.lambda,
            m.kappa,
            m.half_life.map_or("-".into(), |h| format!("{h:.4} day")),
            m.expected_cost,
            m.variance.sqrt()
        ))
    }
}

#[cfg(test)]
mod tests;
