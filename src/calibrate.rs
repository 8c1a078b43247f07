//! Calibration of the pre-trade estimate against the simulator: a sweep of
//! orders (algorithms x sizes x seeds), each run on its own engine, with the
//! estimate taken before it starts and its realised cost split into spread,
//! impact and timing against the same market without it
//! (`compare::cost_split`); then the fit of the estimate's coefficients and
//! the comparison, cell by cell, of estimate against realised.
//!
//! What the estimate predicts is spread + impact: the timing part (the
//! market's own drift, sigma sqrt(T) of noise per order) has no expected
//! value to predict and is reported beside it.

use crate::compare::cost_split;
use crate::engine::{Actor, Command, Engine, EngineConfig, OrderRequest, Reject};
use crate::impact::{Coefficients, Estimate};
use crate::market::{MarketParams, Universe};
use crate::model::{AlgoKind, Liquidity, Qty, Role, Side, Timestamp};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What to sweep.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// Instruments and venues.
    pub universe: Arc<Universe>,
    /// The instrument.
    pub symbol: String,
    /// The trading day (each order runs over its whole session).
    pub date: NaiveDate,
    /// The simulated market's coefficients.
    pub market: MarketParams,
    /// Algorithms with their parameters.
    pub algos: Vec<(AlgoKind, BTreeMap<String, String>)>,
    /// Order sizes as fractions of ADV.
    pub sizes: Vec<f64>,
    /// Seeds of the simulated market.
    pub seeds: Vec<u64>,
    /// Coefficients the estimates are taken with.
    pub coefficients: Coefficients,
    /// Threads to run on.
    pub threads: usize,
    /// Orders over the session's first this many minutes instead of all of
    /// it, each size scaled by the share of the day's volume expected in
    /// that window (so the participation is a full-day order's).
    pub window_minutes: Option<u32>,
}

/// The estimate of one order as the fit needs it: its models at unit
/// coefficients, and what they were given.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct EstimateParts {
    /// The total with the sweep's coefficients, bps.
    pub total_bps: f64,
    /// The simulator's impact model along the schedule at scale 1, bps.
    pub propagator_bps: f64,
    /// `sigma sqrt(qty / ADV)`, bps (the linear model at alpha 1).
    pub linear_unit_bps: f64,
    /// The square-root schedule model at gamma 1, bps.
    pub sqrt_unit_bps: f64,
    /// Half the expected spread, bps of the price.
    pub half_spread_bps: f64,
    /// One standard deviation of the timing cost, bps.
    pub timing_risk_bps: f64,
    /// Latency model, bps.
    pub latency_bps: f64,
    /// Order quantity over the volume expected in its window.
    pub participation: f64,
    /// Whether the algorithm crosses first.
    pub crosses: bool,
}

/// What one order realised, bps of the arrival price per filled unit (positive = cost).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Realised {
    /// Fill against the mid with us at the fill.
    pub spread_bps: f64,
    /// The mid with us against the mid without us.
    pub impact_bps: f64,
    /// The mid without us against arrival.
    pub timing_bps: f64,
    /// Share of the filled quantity that crossed.
    pub taker_share: f64,
    /// Spread paid by the crossing fills, bps of their own notional.
    pub taker_spread_bps: f64,
    /// Spread paid by the passive fills (negative = earned), bps of their own notional.
    pub maker_spread_bps: f64,
    /// Filled over ordered quantity.
    pub filled_share: f64,
}

impl Realised {
    /// What the estimate predicts: spread + impact.
    pub fn cost_bps(&self) -> f64 {
        self.spread_bps + self.impact_bps
    }
}

/// One order of the sweep.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Run {
    /// Algorithm.
    pub algo: AlgoKind,
    /// Size as a fraction of ADV.
    pub size: f64,
    /// Seed.
    pub seed: u64,
    /// The estimate taken before the order started.
    pub estimate: EstimateParts,
    /// What it realised.
    pub realised: Realised,
}

/// The full-session buy order of `size` x ADV of `symbol` with `algo`.
pub fn order(
    universe: &Universe,
    symbol: &str,
    algo: AlgoKind,
    params: &BTreeMap<String, String>,
    size: f64,
) -> Option<OrderRequest> {
    let inst = universe.instrument(symbol)?;
    let qty = Qty::from_f64(inst.adv.to_f64() * size)?.round_down_to(inst.lot_size).max(inst.lot_size);
    Some(OrderRequest {
        symbol: inst.symbol.to_string(),
        side: Side::Buy,
        qty,
        algo,
        params: params.clone(),
        start: None,
        end: None,
        limit_px: None,
        decision_px: None,
        acknowledge_warnings: true,
    })
}

fn parts(e: &Estimate) -> EstimateParts {
    let c = &e.context;
    let bps = |name: &str| e.models.iter().find(|m| m.model == name).map_or(0.0, |m| m.bps);
    let notional = c.price * c.qty;
    let k = &e.coefficients;
    let unit = |v: f64, coeff: f64| if coeff > 0.0 { v / coeff } else { 0.0 };
    EstimateParts {
        total_bps: e.total_bps,
        propagator_bps: if notional > 0.0 { c.propagator_cost / notional * 1e4 } else { 0.0 },
        linear_unit_bps: if c.adv > 0.0 { c.sigma * (c.qty / c.adv).sqrt() * 1e4 } else { 0.0 },
        sqrt_unit_bps: unit(bps("sqrt"), k.gamma),
        half_spread_bps: if c.price > 0.0 { 0.5 * c.spread / c.price * 1e4 } else { 0.0 },
        timing_risk_bps: e.timing_risk_bps,
        latency_bps: bps("latency"),
        participation: if c.window_volume > 0.0 { c.qty / c.window_volume } else { 0.0 },
        crosses: c.crosses,
    }
}

/// Runs one order of the sweep on a fresh engine.
pub fn run_one(
    s: &Sweep,
    algo: AlgoKind,
    params: &BTreeMap<String, String>,
    size: f64,
    seed: u64,
) -> Result<Run, Reject> {
    let mut cfg = EngineConfig::new(seed, s.date);
    cfg.symbols = Some(vec![s.symbol.clone()]);
    cfg.market = s.market.clone();
    let mut e = Engine::new(s.universe.clone(), cfg)?;
    let mut req = order(&s.universe, &s.symbol, algo, params, size)
        .ok_or_else(|| Reject::new(crate::engine::RejectCode::UnknownSymbol, s.universe.unknown_symbol(&s.symbol)))?;
    if let Some(minutes) = s.window_minutes {
        let m = e.market(&s.symbol).ok_or_else(|| Reject::new(crate::engine::RejectCode::MarketClosed, "no market"))?;
        let (open, close) = (m.session.open, m.session.close);
        let end = Timestamp(open.0 + i64::from(minutes) * 60_000_000_000).min(close);
        let share = m.curve.share_between(open, end);
        let lot = m.inst.lot_size;
        req.qty = Qty::from_f64(req.qty.to_f64() * share).map(|q| q.round_down_to(lot).max(lot)).ok_or_else(|| {
            Reject::field(crate::engine::RejectCode::InvalidQty, "qty", "the window's share is not a quantity")
        })?;
        (req.start, req.end) = (Some(open), Some(end));
    }
    let est = e.estimate(&req, &s.coefficients)?;
    let id = e
        .apply(&Actor::local(Role::Advisor), Command::Submit(req.clone()))?
        .ok_or_else(|| Reject::new(crate::engine::RejectCode::StateConflict, "submit returned no order id"))?;
    e.run_until_idle();
    let split = cost_split(&e, id);
    let p = e.parent(id).ok_or_else(|| Reject::new(crate::engine::RejectCode::StateConflict, "order vanished"))?;
    let m = e.market(&req.symbol).ok_or_else(|| Reject::new(crate::engine::RejectCode::MarketClosed, "no market"))?;
    // Spread paid by each kind of fill, against the mid with us at the fill.
    let (mut tq, mut tc, mut mq, mut mc) = (0.0, 0.0, 0.0, 0.0);
    let side = req.side.sign() as f64;
    for f in e.fills(id) {
        let (px, q) = (f.px.to_f64(), f.qty.to_f64());
        let mid = m.mids.at(f.ts).unwrap_or(px);
        let c = side * (px - mid) / px * 1e4 * q;
        if f.liquidity == Liquidity::Taker {
            (tq, tc) = (tq + q, tc + c);
        } else {
            (mq, mc) = (mq + q, mc + c);
        }
    }
    let filled = p.filled.to_f64();
    let (spread_bps, impact_bps, timing_bps) =
        split.map_or((0.0, 0.0, 0.0), |c| (c.spread_bps, c.impact_bps, c.timing_bps));
    Ok(Run {
        algo,
        size,
        seed,
        estimate: parts(&est),
        realised: Realised {
            spread_bps,
            impact_bps,
            timing_bps,
            taker_share: if filled > 0.0 { tq / filled } else { 0.0 },
            taker_spread_bps: if tq > 0.0 { tc / tq } else { 0.0 },
            maker_spread_bps: if mq > 0.0 { mc / mq } else { 0.0 },
            filled_share: filled / req.qty.to_f64().max(1e-12),
        },
    })
}

/// Runs every order of the sweep, on `threads` threads; the result is in
/// sweep order (algorithms, then sizes, then seeds) whatever the threads did.
pub fn sweep(s: &Sweep) -> Result<Vec<Run>, (AlgoKind, Reject)> {
    let jobs: Vec<(usize, f64, u64)> = (0..s.algos.len())
        .flat_map(|a| s.sizes.iter().flat_map(move |&z| s.seeds.iter().map(move |&seed| (a, z, seed))))
        .collect();
    let next = AtomicUsize::new(0);
    let threads = s.threads.clamp(1, jobs.len().max(1));
    let mut results: Vec<Option<Result<Run, (AlgoKind, Reject)>>> = vec![None; jobs.len()];
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&(a, size, seed)) = jobs.get(i) else { break };
                        let (algo, params) = &s.algos[a];
                        done.push((i, run_one(s, *algo, params, size, seed).map_err(|r| (*algo, r))));
                    }
                    done
                })
            })
            .collect();
        for h in handles {
            // A panicking run is a bug: let it surface as one.
            for (i, r) in h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)) {
                results[i] = Some(r);
            }
        }
    });
    results.into_iter().map(|r| r.unwrap_or_else(|| unreachable!("every job ran"))).collect()
}

/// The estimate's coefficients fitted to a sweep.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Fit {
    /// The coefficients with the fitted values (others as given).
    pub coefficients: Coefficients,
    /// Runs fitted on.
    pub runs: usize,
}

fn through_origin(pairs: impl Iterator<Item = (f64, f64)>) -> Option<f64> {
    let (mut xy, mut xx) = (0.0, 0.0);
    for (x, y) in pairs {
        xy += x * y;
        xx += x * x;
    }
    (xx > 0.0).then(|| xy / xx)
}

/// Ordinary least squares `y = a + b x`; `None` with fewer than two distinct x.
pub fn line(pairs: &[(f64, f64)]) -> Option<(f64, f64)> {
    let n = pairs.len() as f64;
    let mx = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pairs.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let sxy: f64 = pairs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| (my - sxy / sxx * mx, sxy / sxx))
}

/// Fits the coefficients the estimate's total depends on:
/// - `impact_scale`, `alpha`, `gamma`: realised impact against each impact
///   model at unit coefficient, least squares through the origin;
/// - `aggressive_base`, `aggressive_slope`: the crossing share of
///   passive-first orders against their participation, a straight line;
/// - `taker_spread_mult`: spread paid by crossing fills over half the spread;
/// - `adverse_prior_bps`: spread paid by passive fills (quantity-weighted).
pub fn fit(runs: &[Run], start: Coefficients) -> Fit {
    let mut k = start;
    let imp =
        |f: fn(&EstimateParts) -> f64| through_origin(runs.iter().map(|r| (f(&r.estimate), r.realised.impact_bps)));
    if let Some(v) = imp(|e| e.propagator_bps) {
        k.impact_scale = v;
    }
    if let Some(v) = imp(|e| e.linear_unit_bps) {
        k.alpha = v;
    }
    if let Some(v) = imp(|e| e.sqrt_unit_bps) {
        k.gamma = v;
    }
    let passive: Vec<(f64, f64)> = runs
        .iter()
        .filter(|r| !r.estimate.crosses)
        .map(|r| (r.estimate.participation, r.realised.taker_share))
        .collect();
    if let Some((a, b)) = line(&passive) {
        (k.aggressive_base, k.aggressive_slope) = (a.max(0.0), b.max(0.0));
    }
    let (mut paid, mut half, mut mq, mut mc) = (0.0, 0.0, 0.0, 0.0);
    for r in runs {
        let (t, m) = (
            r.realised.taker_share * r.realised.filled_share,
            (1.0 - r.realised.taker_share) * r.realised.filled_share,
        );
        paid += t * r.realised.taker_spread_bps;
        half += t * r.estimate.half_spread_bps;
        mq += m;
        mc += m * r.realised.maker_spread_bps;
    }
    if half > 0.0 {
        k.taker_spread_mult = paid / half;
    }
    if mq > 0.0 {
        k.adverse_prior_bps = mc / mq;
    }
    Fit { coefficients: k, runs: runs.len() }
}

/// The estimate's total of a run under other coefficients (what the
/// engine's estimate would have said, from the run's unit models).
pub fn estimate_with(e: &EstimateParts, k: &Coefficients) -> f64 {
    let impact = match k.impact_model {
        crate::impact::ImpactModel::Propagator => k.impact_scale * e.propagator_bps,
        crate::impact::ImpactModel::Sqrt => k.gamma * e.sqrt_unit_bps,
        crate::impact::ImpactModel::Linear => k.alpha * e.linear_unit_bps,
    };
    let aggressive = k.aggressive_fraction(e.crosses, e.participation);
    impact
        + k.taker_spread_mult * e.half_spread_bps * aggressive
        + k.adverse_prior_bps * (1.0 - aggressive)
        + e.latency_bps
}

/// One (algorithm, size) cell: estimate against realised over its seeds.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// Algorithm.
    pub algo: AlgoKind,
    /// Size as a fraction of ADV.
    pub size: f64,
    /// Seeds.
    pub n: usize,
    /// Mean estimate, bps.
    pub estimate_bps: f64,
    /// Mean realised spread + impact, bps.
    pub realised_bps: f64,
    /// Standard error of that mean, bps.
    pub realised_se_bps: f64,
    /// Mean realised impact, bps.
    pub impact_bps: f64,
    /// Mean realised spread, bps.
    pub spread_bps: f64,
    /// Standard deviation of the timing part across seeds, bps.
    pub timing_sd_bps: f64,
    /// The estimate's timing risk (one standard deviation), mean over the seeds, bps.
    pub timing_risk_bps: f64,
    /// Mean crossing share.
    pub taker_share: f64,
    /// Estimate minus realised, bps.
    pub error_bps: f64,
    /// The same relative to realised.
    pub error_pct: f64,
    /// Within 1 bp or 20%, whichever is larger.
    pub unbiased: bool,
}

fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len().max(1) as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = if x.len() > 1 { x.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    (m, v.sqrt())
}

/// The cells of a sweep with the estimate recomputed under `k`.
pub fn cells(runs: &[Run], k: &Coefficients) -> Vec<Cell> {
    let mut keys: Vec<(AlgoKind, f64)> = Vec::new();
    for r in runs {
        if !keys.iter().any(|&(a, z)| a == r.algo && z == r.size) {
            keys.push((r.algo, r.size));
        }
    }
    keys.into_iter()
        .map(|(algo, size)| {
            let rs: Vec<&Run> = runs.iter().filter(|r| r.algo == algo && r.size == size).collect();
            let col = |f: &dyn Fn(&Run) -> f64| rs.iter().map(|r| f(r)).collect::<Vec<f64>>();
            let (est, _) = mean_sd(&col(&|r| estimate_with(&r.estimate, k)));
            let (real, sd) = mean_sd(&col(&|r| r.realised.cost_bps()));
            let (impact, _) = mean_sd(&col(&|r| r.realised.impact_bps));
            let (spread, _) = mean_sd(&col(&|r| r.realised.spread_bps));
            let (_, timing_sd) = mean_sd(&col(&|r| r.realised.timing_bps));
            let (timing_risk, _) = mean_sd(&col(&|r| r.estimate.timing_risk_bps));
            let (taker, _) = mean_sd(&col(&|r| r.realised.taker_share));
            let err = est - real;
            Cell {
                algo,
                size,
                n: rs.len(),
                estimate_bps: est,
                realised_bps: real,
                realised_se_bps: sd / (rs.len().max(1) as f64).sqrt(),
                impact_bps: impact,
                spread_bps: spread,
                timing_sd_bps: timing_sd,
                timing_risk_bps: timing_risk,
                taker_share: taker,
                error_bps: err,
                error_pct: if real != 0.0 { err / real.abs() * 100.0 } else { 0.0 },
                unbiased: err.abs() <= 1.0_f64.max(0.2 * real.abs()),
            }
        })
        .collect()
}

/// The exponent `b` of `cost = a size^b`, least squares on logs (sizes and
/// costs must be positive).
pub fn exponent(points: &[(f64, f64)]) -> Option<f64> {
    let logs: Vec<(f64, f64)> =
        points.iter().filter(|p| p.0 > 0.0 && p.1 > 0.0).map(|p| (p.0.ln(), p.1.ln())).collect();
    line(&logs).map(|(_, b)| b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// y = 2 + 3x exactly; log-log of cost = 5 size^0.5 gives 0.5.
    #[test]
    fn fits_by_hand() {
        let (a, b) = line(&[(0.0, 2.0), (1.0, 5.0), (2.0, 8.0)]).unwrap();
        assert!((a - 2.0).abs() < 1e-12 && (b - 3.0).abs() < 1e-12);
        let pts: Vec<(f64, f64)> = [0.005, 0.01, 0.2].iter().map(|&s| (s, 5.0 * f64::sqrt(s))).collect();
        assert!((exponent(&pts).unwrap() - 0.5).abs() < 1e-12);
        assert!(line(&[(1.0, 1.0)]).is_none());
        // Through the origin: y = 2x plus symmetric noise.
        assert!((through_origin([(1.0, 2.5), (2.0, 3.5)].into_iter()).unwrap() - (2.5 + 7.0) / 5.0).abs() < 1e-12);
    }

    /// A cell passes within 1 bp when small and within 20% when large.
    #[test]
    fn the_unbiasedness_rule() {
        let run = |est: f64, real: f64| Run {
            algo: AlgoKind::Twap,
            size: 0.01,
            seed: 1,
            estimate: EstimateParts {
                total_bps: est,
                propagator_bps: est,
                linear_unit_bps: 0.0,
                sqrt_unit_bps: 0.0,
                half_spread_bps: 0.0,
                timing_risk_bps: 0.0,
                latency_bps: 0.0,
                participation: 0.0,
                crosses: false,
            },
            realised: Realised {
                spread_bps: 0.0,
                impact_bps: real,
                timing_bps: 0.0,
                taker_share: 0.0,
                taker_spread_bps: 0.0,
                maker_spread_bps: 0.0,
                filled_share: 1.0,
            },
        };
        let k =
            Coefficients { impact_scale: 1.0, adverse_prior_bps: 0.0, aggressive_base: 0.0, ..Coefficients::default() };
        let c = cells(&[run(3.9, 3.0)], &k);
        assert!(c[0].unbiased, "0.9 bp off a 3 bp cost is within 1 bp");
        let c = cells(&[run(36.5, 30.0)], &k);
        assert!(!c[0].unbiased, "6.5 bp off 30 is over 20%");
        assert!((c[0].error_pct - 21.6667).abs() < 1e-3);
    }
}
