//! `blotter calibrate --simulated`: fits the pre-trade estimate to the
//! simulated market. It sweeps full-session orders (algorithms x sizes x
//! seeds), fits the estimate's coefficients to what they realised and
//! prints estimate against realised, cell by cell, with the current
//! defaults and with the fitted values (`calibrate::fit`).

use super::super::CliError;
use crate::calibrate::{self, Cell, Sweep};
use crate::compare::params_per_algo;
use crate::impact::Coefficients;
use crate::market::{MarketParams, Universe, session};
use crate::model::AlgoKind;
use chrono::NaiveDate;
use clap::Args;
use serde::Serialize;
use std::sync::Arc;

/// Flags of `blotter calibrate --simulated` (beside `--symbol`, `--date`,
/// `--universe` and `--json`, which it shares with the recording mode).
#[derive(Debug, Args)]
pub struct SimulatedArgs {
    /// Comma-separated algorithms (with --simulated).
    #[arg(long, default_value = "twap,vwap,pov,is")]
    algos: String,
    /// Comma-separated order sizes in percent of ADV (with --simulated).
    #[arg(long, default_value = "1,5,10")]
    sizes: String,
    /// Seeds per algorithm and size, 1..=N (with --simulated).
    #[arg(long, default_value_t = 50)]
    seeds: u64,
    /// Algorithm parameter as key=value, or algo.key=value for one algorithm (repeatable; with --simulated).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Estimate coefficient as key=value over the defaults (repeatable; with --simulated).
    #[arg(long = "impact", value_name = "KEY=VALUE")]
    impact: Vec<String>,
    /// Queue-position model of the venues (see `run --queue`; with --simulated).
    #[arg(long, value_name = "NAME")]
    queue: Option<String>,
    /// Threads (default: the machine's cores; with --simulated).
    #[arg(long)]
    threads: Option<usize>,
    /// Orders over the session's first N minutes instead of all of it, sizes scaled to the
    /// window's share of the day's volume (the same participation; with --simulated).
    #[arg(long = "window-minutes", value_name = "N")]
    window_minutes: Option<u32>,
}

/// What the shared flags say, for the sweep.
pub struct Common<'a> {
    /// `--symbol`.
    pub symbol: &'a str,
    /// `--date`.
    pub date: Option<&'a str>,
    /// `--universe`.
    pub universe: Option<&'a std::path::Path>,
    /// `--json`.
    pub json: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    symbol: &'a str,
    date: String,
    seeds: u64,
    runs: usize,
    defaults: Coefficients,
    fitted: Coefficients,
    cells_with_defaults: Vec<Cell>,
    cells_with_fitted: Vec<Cell>,
    /// Exponent of spread + impact in size for each algorithm with two sizes or more.
    exponents: Vec<(AlgoKind, f64)>,
}

fn usage(field: &str, msg: impl std::fmt::Display) -> CliError {
    CliError::usage(format!("--{field}: {msg}"))
}

fn sweep_of(c: &Common<'_>, a: &SimulatedArgs) -> Result<Sweep, CliError> {
    let universe = match c.universe {
        Some(p) => Universe::with_overrides(p).map_err(|e| usage("universe", e))?,
        None => Universe::builtin(),
    };
    let inst = universe.instrument(c.symbol).ok_or_else(|| usage("symbol", universe.unknown_symbol(c.symbol)))?;
    let date = match c.date {
        Some(d) => NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
            .map_err(|_| usage("date", format!("'{d}' is not a date; allowed: YYYY-MM-DD")))?,
        None => crate::bench::bench_date(),
    };
    session::session(inst.calendar, &inst.listing, date).map_err(|e| usage("date", format!("{}: {e}", inst.symbol)))?;
    let mut algos = Vec::new();
    for part in a.algos.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let k: AlgoKind = part.parse().map_err(|e| usage("algos", e))?;
        if matches!(k, AlgoKind::Iceberg | AlgoKind::Sniper | AlgoKind::Moc) {
            return Err(usage("algos", format!("{k} has no schedule to calibrate; allowed: twap, vwap, pov, is")));
        }
        if !algos.contains(&k) {
            algos.push(k);
        }
    }
    if algos.is_empty() {
        return Err(usage("algos", "give at least one of twap, vwap, pov, is"));
    }
    let mut sizes = Vec::new();
    for part in a.sizes.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.parse::<f64>() {
            Ok(p) if p.is_finite() && p > 0.0 && p <= 100.0 => sizes.push(p / 100.0),
            _ => return Err(usage("sizes", format!("'{part}' is not a percentage of ADV in (0, 100]"))),
        }
    }
    if sizes.is_empty() {
        return Err(usage("sizes", "give at least one size in percent of ADV, e.g. 1,5,10"));
    }
    if a.seeds == 0 || a.seeds > 10_000 {
        return Err(usage("seeds", format!("{} is outside 1..=10000", a.seeds)));
    }
    let params = super::super::parse_params(&a.params)?;
    let per = params_per_algo(&algos, &params).map_err(|e| usage("param", e))?;
    let coefficients = super::super::schedule::coefficients(&a.impact)?;
    let market =
        MarketParams { queue: super::super::order_args::parse_queue(a.queue.as_deref())?, ..MarketParams::default() };
    let threads = a.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if threads == 0 {
        return Err(usage("threads", "must be at least 1"));
    }
    if a.window_minutes == Some(0) {
        return Err(usage("window-minutes", "must be at least 1 minute"));
    }
    Ok(Sweep {
        symbol: inst.symbol.to_string(),
        universe: Arc::new(universe),
        date,
        market,
        algos: algos.into_iter().zip(per).collect(),
        sizes,
        seeds: (1..=a.seeds).collect(),
        coefficients,
        threads,
        window_minutes: a.window_minutes,
    })
}

/// Runs `blotter calibrate --simulated`.
pub fn calibrate(c: &Common<'_>, a: &SimulatedArgs) -> Result<(), CliError> {
    let s = sweep_of(c, a)?;
    let runs = calibrate::sweep(&s).map_err(|(algo, r)| {
        let e = CliError::from(r);
        CliError { message: format!("{algo}: {}", e.message), code: e.code }
    })?;
    let fitted = calibrate::fit(&runs, s.coefficients).coefficients;
    let with_defaults = calibrate::cells(&runs, &s.coefficients);
    let with_fitted = calibrate::cells(&runs, &fitted);
    let exponents: Vec<(AlgoKind, f64)> = s
        .algos
        .iter()
        .filter_map(|(algo, _)| {
            let pts: Vec<(f64, f64)> =
                with_defaults.iter().filter(|c| c.algo == *algo).map(|c| (c.size, c.realised_bps)).collect();
            (pts.len() > 1).then(|| calibrate::exponent(&pts).map(|b| (*algo, b))).flatten()
        })
        .collect();
    let report = Report {
        symbol: &s.symbol,
        date: s.date.to_string(),
        seeds: a.seeds,
        runs: runs.len(),
        defaults: s.coefficients,
        fitted,
        cells_with_defaults: with_defaults,
        cells_with_fitted: with_fitted,
        exponents,
    };
    if c.json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| CliError::runtime(e.to_string()))?);
        return Ok(());
    }
    print_report(&report);
    Ok(())
}

fn print_report(r: &Report<'_>) {
    println!(
        "calibration: {} on {}, full-session buys, {} seeds per cell, {} runs; costs in bps of arrival, positive = cost",
        r.symbol, r.date, r.seeds, r.runs
    );
    println!("realised = spread + impact against the same market without the order (timing reported apart)");
    type Field = fn(&Coefficients) -> f64;
    let coeff_rows: [(&str, Field); 8] = [
        ("impact_scale", |k| k.impact_scale),
        ("alpha", |k| k.alpha),
        ("gamma", |k| k.gamma),
        ("aggressive_base", |k| k.aggressive_base),
        ("aggressive_slope", |k| k.aggressive_slope),
        ("taker_spread_mult", |k| k.taker_spread_mult),
        ("adverse_prior_bps", |k| k.adverse_prior_bps),
        ("adverse_horizon_s", |k| k.adverse_horizon_s),
    ];
    println!("\n{:<20} {:>10} {:>10}", "coefficient", "default", "fitted");
    for (name, f) in coeff_rows {
        println!("{:<20} {:>10.4} {:>10.4}", name, f(&r.defaults), f(&r.fitted));
    }
    for (title, cells) in
        [("with the defaults", &r.cells_with_defaults), ("with the fitted values", &r.cells_with_fitted)]
    {
        println!("\nestimate against realised, {title}:");
        println!(
            "{:<6} {:>6} {:>9} {:>9} {:>7} {:>8} {:>8} {:>8} {:>7} {:>8} {:>6}",
            "algo", "% ADV", "estimate", "realised", "+-se", "impact", "spread", "timing", "cross", "error", "ok"
        );
        for c in cells.iter() {
            println!(
                "{:<6} {:>6.1} {:>9.2} {:>9.2} {:>7.2} {:>8.2} {:>8.2} {:>8.1} {:>6.0}% {:>+8.2} {:>6}",
                c.algo.to_string(),
                c.size * 100.0,
                c.estimate_bps,
                c.realised_bps,
                c.realised_se_bps,
                c.impact_bps,
                c.spread_bps,
                c.timing_sd_bps,
                c.taker_share * 100.0,
                c.error_bps,
                if c.unbiased { "yes" } else { "NO" }
            );
        }
    }
    println!("\n(timing: standard deviation across seeds; ok: mean error within 1 bp or 20%, whichever is larger)");
    for (algo, b) in &r.exponents {
        println!("{algo}: spread + impact grows with size^{b:.3}");
    }
}
