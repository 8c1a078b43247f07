//! `blotter bench`: engine throughput on one full simulated equity day.

use super::CliError;
use crate::bench::{DayRun, bench_date, equity_day};
use crate::market::session;
use clap::Args;
use serde::Serialize;

/// Flags of `blotter bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Repetitions (the best is reported; all are listed).
    #[arg(long, default_value_t = 3)]
    runs: u32,
    /// Seed of the simulated market.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(Serialize)]
struct Report {
    scenario: &'static str,
    events_per_sec: f64,
    day_wall_ms: f64,
    market_events: u64,
    engine_events: u64,
    runs: Vec<DayRun>,
    seed: u64,
    date: String,
    timezone: &'static str,
}

pub fn bench(a: &BenchArgs) -> Result<(), CliError> {
    if a.runs == 0 {
        return Err(CliError::usage("--runs: must be at least 1"));
    }
    let runs: Vec<DayRun> = (0..a.runs).map(|_| equity_day(a.seed)).collect();
    let best = runs
        .iter()
        .min_by(|x, y| x.wall_ms.total_cmp(&y.wall_ms))
        .cloned()
        .ok_or_else(|| CliError::runtime("no run"))?;
    let report = Report {
        scenario: "AAPL full day 09:30-16:00 ET, 5 venues, TWAP buy 200,000 running",
        events_per_sec: best.market_events as f64 / (best.wall_ms / 1e3),
        day_wall_ms: best.wall_ms,
        market_events: best.market_events,
        engine_events: best.engine_events,
        runs,
        seed: a.seed,
        date: bench_date().to_string(),
        timezone: session::tz_of(crate::model::Calendar::UsEquity).name(),
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| CliError::runtime(e.to_string()))?);
    } else {
        println!("{}", report.scenario);
        println!("  market events     {}", report.market_events);
        println!("  day wall time     {:.1} ms (best of {})", report.day_wall_ms, report.runs.len());
        println!("  events per second {:.2} million", report.events_per_sec / 1e6);
    }
    Ok(())
}
