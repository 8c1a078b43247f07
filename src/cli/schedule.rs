//! `blotter schedule`: the planned slices of an order, without executing it.
//! For `--algo is` also the Almgren-Chriss model (holdings, trades, expected
//! cost, variance, kappa, half-life), optionally over several days
//! (`--horizon 5d`) and with the efficient frontier (`--frontier`).

use super::is_report::{self, Horizon};
use super::{CliError, OrderArgs, group};
use crate::engine::Engine;
use crate::market::session;
use crate::model::{AlgoKind, Duration};
use clap::Args;
use serde_json::{Value, json};
use std::sync::Arc;

/// Flags of `blotter schedule`.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    #[command(flatten)]
    order: OrderArgs,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    json: bool,
    /// IS only: the horizon, in trading days (`5d`: the model over five
    /// sessions, with every --param in per-day units; not simulated) or as a
    /// duration from --start (`90m`, `2h`) instead of --end.
    #[arg(long, value_name = "5d|2h")]
    horizon: Option<String>,
    /// IS only: also print the efficient frontier (expected cost against its
    /// standard deviation for lambda = 0 and a range around the chosen lambda).
    #[arg(long)]
    frontier: bool,
    /// Impact model coefficient as key=value (repeatable): alpha, gamma, impact_model, adverse_horizon_s, adverse_prior_bps.
    #[arg(long = "impact", value_name = "KEY=VALUE")]
    impact: Vec<String>,
}

/// Parses repeated `--impact key=value` flags over the defaults.
pub fn coefficients(raw: &[String]) -> Result<crate::impact::Coefficients, CliError> {
    let mut k = crate::impact::Coefficients::default();
    for kv in raw {
        let (key, value) = kv
            .split_once('=')
            .ok_or_else(|| CliError::usage(format!("--impact: '{kv}' is not key=value (e.g. --impact alpha=0.7)")))?;
        k.set(key, value).map_err(|e| CliError::usage(format!("--impact: {e}")))?;
    }
    Ok(k)
}

/// Runs `blotter schedule`.
pub fn schedule(a: &ScheduleArgs) -> Result<(), CliError> {
    let mut r = a.order.resolve()?;
    let coeffs = coefficients(&a.impact)?;
    let is = r.request.algo == AlgoKind::Is;
    if !is && (a.horizon.is_some() || a.frontier) {
        let flag = if a.horizon.is_some() { "horizon" } else { "frontier" };
        return Err(CliError::usage(format!("--{flag}: only --algo is has a model horizon and frontier")));
    }
    match a.horizon.as_deref().map(is_report::parse_horizon).transpose()? {
        Some(Horizon::Days(days)) => {
            if a.order.end.is_some() {
                return Err(CliError::usage("--horizon: give --end or --horizon, not both"));
            }
            return is_report::multi_day(&r, days, a.json, a.frontier);
        }
        Some(Horizon::Intraday(d)) => {
            if a.order.end.is_some() {
                return Err(CliError::usage("--horizon: give --end or --horizon, not both"));
            }
            r.request.end = r.request.start.map(|s| s + d);
        }
        None => {}
    }
    let engine = Engine::new(Arc::new(r.universe.clone()), r.config.clone())?;
    let algo = engine.preview_algo(&r.request)?;
    let plan = algo.plan();
    let estimate = engine.estimate(&r.request, &coeffs)?;
    let tz = session::tz_of(r.inst.calendar);
    let model = algo.model();
    if a.json {
        let slices: Vec<_> = plan
            .iter()
            .map(|s| json!({"time": s.at.in_tz(tz).to_rfc3339(), "ts": s.at, "qty": s.qty, "cum": s.cum}))
            .collect();
        let mut doc = json!({
            "symbol": r.inst.symbol,
            "side": r.request.side,
            "qty": r.request.qty,
            "algo": r.request.algo,
            "date": r.date.to_string(),
            "timezone": tz.name(),
            "seed": a.order.seed,
            "limit": r.request.limit_px,
            "summary": algo.summary(),
            "slices": slices,
            "estimate": estimate,
        });
        if let (Some(Value::Object(m)), Value::Object(d)) = (model.clone(), &mut doc) {
            is_report::merge_model(d, m, r.request.qty.to_f64(), a.frontier, "day")?;
        }
        println!("{}", serde_json::to_string_pretty(&doc).map_err(|e| CliError::runtime(e.to_string()))?);
        return Ok(());
    }
    println!(
        "{} {} {} {} on {} ({} slices, times {})",
        r.request.algo.as_str().to_uppercase(),
        r.request.side,
        group(r.request.qty),
        r.inst.symbol,
        r.date,
        plan.len(),
        tz.name()
    );
    if let Some(s) = algo.summary() {
        println!("{s}");
    }
    if let Some(Value::Object(m)) = &model {
        is_report::print_model_from(m, "day")?;
    }
    if !plan.is_empty() {
        println!("{:>4}  {:<8}  {:>14}  {:>14}  {:>6}", "#", "time", "qty", "cumulative", "%");
    }
    for (i, s) in plan.iter().enumerate() {
        println!(
            "{:>4}  {:<8}  {:>14}  {:>14}  {:>5.1}%",
            i + 1,
            s.at.in_tz(tz).format("%H:%M:%S"),
            group(s.qty),
            group(s.cum),
            s.cum.ratio(r.request.qty) * 100.0
        );
    }
    println!("pre-trade estimate (positive = cost; total = {}):", estimate.total_of.join(" + "));
    for m in &estimate.models {
        println!("  {:<18} {:>9.2} bps {:>14.2}   {}", m.model, m.bps, m.cost, m.formula);
    }
    println!("  {:<18} {:>9.2} bps {:>14.2}", "total", estimate.total_bps, estimate.total_cost);
    if a.frontier
        && let Some(Value::Object(m)) = algo.model()
    {
        is_report::print_frontier_from(&m, r.request.qty.to_f64(), "day")?;
    }
    Ok(())
}

/// A horizon shorter than a minute is surely a typo.
pub(super) const MIN_INTRADAY: Duration = Duration::mins(1);
