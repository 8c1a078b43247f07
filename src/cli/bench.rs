//! `blotter bench`: engine throughput on one full simulated equity day, and
//! the algorithm day (1,000 parents over 50 symbols, every algorithm).

use super::CliError;
use crate::bench::algos::{AlgoDayRun, algo_day};
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
    /// Which scenarios: `all`, `day` (one symbol, TWAP) or `algos` (1,000
    /// parents over 50 symbols and every algorithm, run once).
    #[arg(long, default_value = "all")]
    scenario: String,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    algos_day: Option<AlgosReport>,
}

#[derive(Serialize)]
struct AlgosReport {
    scenario: &'static str,
    #[serde(flatten)]
    run: AlgoDayRun,
}

const ALGOS_SCENARIO: &str = "1,000 parents over 50 generated US equities, every algorithm, 09:30-16:00 ET";

pub fn bench(a: &BenchArgs) -> Result<(), CliError> {
    if a.runs == 0 {
        return Err(CliError::usage("--runs: must be at least 1"));
    }
    let (day, algos) = match a.scenario.trim() {
        "all" => (true, true),
        "day" => (true, false),
        "algos" => (false, true),
        other => return Err(CliError::usage(format!("--scenario: '{other}' is not one of: all, day, algos"))),
    };
    let runs: Vec<DayRun> = if day { (0..a.runs).map(|_| equity_day(a.seed)).collect() } else { Vec::new() };
    let best = runs.iter().min_by(|x, y| x.wall_ms.total_cmp(&y.wall_ms)).cloned();
    let algos_day = algos.then(|| AlgosReport { scenario: ALGOS_SCENARIO, run: algo_day(a.seed) });
    let report = Report {
        scenario: "AAPL full day 09:30-16:00 ET, 5 venues, TWAP buy 200,000 running",
        events_per_sec: best.as_ref().map_or(0.0, |b| b.market_events as f64 / (b.wall_ms / 1e3)),
        day_wall_ms: best.as_ref().map_or(0.0, |b| b.wall_ms),
        market_events: best.as_ref().map_or(0, |b| b.market_events),
        engine_events: best.as_ref().map_or(0, |b| b.engine_events),
        runs,
        seed: a.seed,
        date: bench_date().to_string(),
        timezone: session::tz_of(crate::model::Calendar::UsEquity).name(),
        algos_day,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| CliError::runtime(e.to_string()))?);
        return Ok(());
    }
    if day {
        println!("{}", report.scenario);
        println!("  market events     {}", report.market_events);
        println!("  day wall time     {:.1} ms (best of {})", report.day_wall_ms, report.runs.len());
        println!("  events per second {:.2} million", report.events_per_sec / 1e6);
    }
    if let Some(r) = &report.algos_day {
        let run = &r.run;
        println!("{}", r.scenario);
        println!("  symbols / parents {} / {}", run.symbols, run.parents);
        println!("  market events     {}", run.market_events);
        println!("  engine events     {}", run.engine_events);
        println!("  wall time         {:.2} s", run.wall_ms / 1e3);
        println!("  events per second {:.2} million (market + engine)", run.events_per_sec / 1e6);
        for o in &run.by_algo {
            println!(
                "  {:<8} {:>4} parents, {:>4} done, {:>5.1}% of quantity filled, {:>7} children",
                o.algo.as_str(),
                o.parents,
                o.done,
                o.filled_pct,
                o.children
            );
        }
    }
    Ok(())
}
