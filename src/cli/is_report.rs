//! The Almgren-Chriss side of `blotter schedule --algo is`: model figures in
//! JSON and tables, the multi-day horizon (`--horizon 5d`, the paper's own
//! setting) and the efficient frontier.

use super::order_args::Resolved;
use super::{CliError, group};
use crate::algo::Params;
use crate::algo::is::{AcParams, AcSchedule, FrontierPoint, frontier, solve, taker_fee_per_unit};
use crate::algo::split_in_lots;
use crate::market::session;
use crate::model::{AlgoKind, Duration, Qty};
use chrono::{Days, NaiveDate};
use serde_json::{Map, Value, json};

/// A parsed `--horizon`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Horizon {
    /// Trading days (the model only).
    Days(f64),
    /// A window from the start.
    Intraday(Duration),
}

/// Parses `5d`, `0.5d`, `90m`, `2h`.
pub fn parse_horizon(s: &str) -> Result<Horizon, CliError> {
    let t = s.trim();
    let bad = || {
        CliError::usage(format!(
            "--horizon: '{t}' is not a horizon; allowed: trading days like 5d (0 < days <= 250) or a duration like 90m or 2h"
        ))
    };
    if let Some(days) = t.strip_suffix('d') {
        let d: f64 = days.trim().parse().map_err(|_| bad())?;
        if !(d.is_finite() && d > 0.0 && d <= 250.0) {
            return Err(bad());
        }
        return Ok(Horizon::Days(d));
    }
    let d = Duration::parse(t).ok_or_else(bad)?;
    if d < super::schedule::MIN_INTRADAY || d > Duration::mins(24 * 60) {
        return Err(bad());
    }
    Ok(Horizon::Intraday(d))
}

/// Adds the model's figures (and the frontier) to a schedule document.
pub fn merge_model(
    doc: &mut Map<String, Value>,
    model: Map<String, Value>,
    qty: f64,
    with_frontier: bool,
    unit: &str,
) -> Result<(), CliError> {
    let sched = schedule_of(&model)?;
    for (k, v) in model {
        doc.insert(k, v);
    }
    doc.insert("std_dev".into(), json!(sched.variance.sqrt()));
    doc.insert("time_unit".into(), json!(unit));
    if with_frontier {
        doc.insert("frontier".into(), json!(frontier(qty, &sched.params)));
    }
    Ok(())
}

fn schedule_of(model: &Map<String, Value>) -> Result<AcSchedule, CliError> {
    let params: AcParams = serde_json::from_value(model.get("params").cloned().unwrap_or(Value::Null))
        .map_err(|e| CliError::runtime(format!("model: {e}")))?;
    Ok(solve(model_qty(model), &params))
}

fn model_qty(model: &Map<String, Value>) -> f64 {
    model.get("holdings").and_then(|h| h.get(0)).and_then(Value::as_f64).unwrap_or(0.0)
}

/// Prints the model lines for a model in JSON form.
pub fn print_model_from(model: &Map<String, Value>, unit: &str) -> Result<(), CliError> {
    print_model(&schedule_of(model)?, unit);
    Ok(())
}

/// Prints the frontier table for a model in JSON form.
pub fn print_frontier_from(model: &Map<String, Value>, qty: f64, unit: &str) -> Result<(), CliError> {
    let s = schedule_of(model)?;
    print_frontier(&frontier(qty, &s.params), unit);
    Ok(())
}

fn print_frontier(points: &[FrontierPoint], unit: &str) {
    println!("efficient frontier (E against sqrt(V)):");
    println!("{:>12}  {:>10}  {:>12}  {:>16}  {:>16}", "lambda", "kappa", "half-life", "E", "sqrt(V)");
    for p in points {
        println!(
            "{:>12.3e}  {:>10.4}  {:>12}  {:>16.2}  {:>16.2}",
            p.lambda,
            p.kappa,
            p.half_life.map_or("-".to_string(), |h| format!("{h:.4} {unit}")),
            p.expected_cost,
            p.std_dev
        );
    }
}

/// The first `n` trading days from `from` (inclusive) on the instrument's calendar.
fn trading_days(r: &Resolved, from: NaiveDate, n: usize) -> Vec<NaiveDate> {
    let mut out = Vec::with_capacity(n);
    let mut d = from;
    for _ in 0..(n * 3 + 15) {
        if out.len() >= n {
            break;
        }
        if session::session(r.inst.calendar, &r.inst.listing, d).is_ok() {
            out.push(d);
        }
        d = d.checked_add_days(Days::new(1)).unwrap_or(d);
    }
    out
}

/// `schedule --algo is --horizon Nd`: the model over N trading days (every
/// `--param` in per-day units); printed, not simulated.
pub fn multi_day(r: &Resolved, days: f64, as_json: bool, with_frontier: bool) -> Result<(), CliError> {
    let lot = r.inst.lot_size;
    let qty = r.request.qty;
    if !qty.is_multiple_of(lot) {
        return Err(CliError::usage(format!(
            "--qty: {qty} is not a multiple of the lot size {lot} of {}",
            r.inst.symbol
        )));
    }
    let lots = (qty.raw() / lot.raw().max(1)).max(1);
    let uidx = r.universe.instrument_index(&r.inst.symbol).ok_or_else(|| CliError::runtime("instrument vanished"))?;
    let fee = taker_fee_per_unit(&r.universe, uidx);
    let mut p = Params::new(AlgoKind::Is, &r.request.params);
    let params = AcParams::from_params(&r.inst, fee, days, days.ceil() as i64, lots, &mut p)
        .map_err(|e| CliError::usage(format!("--param {}: {}", e.param, e.message)))?;
    p.choice("urgency", "passive", &["passive", "aggressive"])
        .map_err(|e| CliError::usage(format!("--param {}: {}", e.param, e.message)))?;
    p.finish().map_err(|e| CliError::usage(format!("--param {}: {}", e.param, e.message)))?;
    let model = solve(qty.to_f64(), &params);
    // Exact lots per period, summing to the order.
    let weights: Vec<f64> =
        if model.kappa == 0.0 { vec![1.0; params.slices] } else { model.trades.iter().map(|t| t.max(0.0)).collect() };
    let n = params.slices;
    let dates = trading_days(r, r.date, days.ceil() as usize + 1);
    let period_day = |k: usize| ((k as f64 * model.tau) + 1e-9).floor() as usize;
    let sizes = split_in_lots(qty, &weights, lot);
    let left: Vec<Qty> = sizes
        .iter()
        .scan(qty, |x, q| {
            *x -= *q;
            Some(*x)
        })
        .collect();
    let periods: Vec<Value> = (0..n)
        .map(|k| {
            json!({
                "k": k + 1,
                "t": k as f64 * model.tau,
                "date": dates.get(period_day(k)).map(|d| d.to_string()),
                "qty": sizes[k],
                "holdings_after": left[k],
            })
        })
        .collect();
    if as_json {
        let mut doc = json!({
            "symbol": r.inst.symbol,
            "side": r.request.side,
            "qty": qty,
            "algo": "is",
            "date": r.date.to_string(),
            "horizon_days": days,
            "slices": periods,
        });
        if let (Value::Object(d), Ok(Value::Object(m))) = (&mut doc, serde_json::to_value(&model)) {
            merge_model(d, m, qty.to_f64(), with_frontier, "day")?;
        }
        println!("{}", serde_json::to_string_pretty(&doc).map_err(|e| CliError::runtime(e.to_string()))?);
        return Ok(());
    }
    println!(
        "IS {} {} {} over {days} trading days from {} ({n} periods of {:.4} day; model only, not simulated)",
        r.request.side,
        group(qty),
        r.inst.symbol,
        r.date,
        model.tau
    );
    print_model(&model, "day");
    println!("{:>4}  {:>8}  {:<10}  {:>16}  {:>14}", "k", "t (day)", "date", "holdings x_k", "trade n_k");
    println!("{:>4}  {:>8.3}  {:<10}  {:>16}  {:>14}", 0, 0.0, "", group(qty), "");
    for k in 0..n {
        println!(
            "{:>4}  {:>8.3}  {:<10}  {:>16}  {:>14}",
            k + 1,
            (k + 1) as f64 * model.tau,
            dates.get(period_day(k)).map(|d| d.to_string()).unwrap_or_default(),
            group(left[k]),
            group(sizes[k])
        );
    }
    if with_frontier {
        print_frontier(&frontier(qty.to_f64(), &params), "day");
    }
    Ok(())
}

/// The model's headline figures, one per line.
pub fn print_model(m: &AcSchedule, unit: &str) {
    let p = &m.params;
    println!(
        "  lambda {:.4e}  sigma {:.6}  eta {:.4e}  gamma {:.4e}  epsilon {:.6}  (per {unit})",
        p.lambda, p.sigma, p.eta, p.gamma, p.epsilon
    );
    println!(
        "  kappa {:.6}/{unit}  half-life {}  E {:.2}  V {:.6e}  sqrt(V) {:.2}",
        m.kappa,
        m.half_life.map_or("- (straight line)".to_string(), |h| format!("{h:.4} {unit}")),
        m.expected_cost,
        m.variance,
        m.variance.sqrt()
    );
}
