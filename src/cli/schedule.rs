//! `blotter schedule`: the planned slices of an order, without executing it.

use super::{CliError, OrderArgs, group};
use crate::engine::Engine;
use crate::market::session;
use clap::Args;
use serde_json::json;
use std::sync::Arc;

/// Flags of `blotter schedule`.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    #[command(flatten)]
    order: OrderArgs,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    json: bool,
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

pub fn schedule(a: &ScheduleArgs) -> Result<(), CliError> {
    let r = a.order.resolve()?;
    let coeffs = coefficients(&a.impact)?;
    let engine = Engine::new(Arc::new(r.universe), r.config)?;
    let plan = engine.preview(&r.request)?;
    let estimate = engine.estimate(&r.request, &coeffs)?;
    let tz = session::tz_of(r.inst.calendar);
    if a.json {
        let slices: Vec<_> = plan
            .iter()
            .map(|s| json!({"time": s.at.in_tz(tz).to_rfc3339(), "ts": s.at, "qty": s.qty, "cum": s.cum}))
            .collect();
        let doc = json!({
            "symbol": r.inst.symbol,
            "side": r.request.side,
            "qty": r.request.qty,
            "algo": r.request.algo,
            "date": r.date.to_string(),
            "timezone": tz.name(),
            "seed": a.order.seed,
            "slices": slices,
            "estimate": estimate,
        });
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
    println!("{:>4}  {:<8}  {:>14}  {:>14}  {:>6}", "#", "time", "qty", "cumulative", "%");
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
    Ok(())
}
