//! `blotter bench`: engine throughput on one full simulated equity day.

use super::CliError;
use crate::bench::tca::{TcaRun, TcaScenario};
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
    /// Fills of the order in the TCA benchmark.
    #[arg(long = "tca-fills", default_value_t = 100_000)]
    tca_fills: usize,
    /// Market trades on the tape in the TCA benchmark.
    #[arg(long = "tca-trades", default_value_t = 10_000_000)]
    tca_trades: usize,
}

#[derive(Serialize)]
struct TcaReport {
    scenario: String,
    wall_ms: f64,
    fills: usize,
    tape_prints: usize,
    runs: Vec<TcaRun>,
}

#[derive(Serialize)]
struct Report {
    scenario: &'static str,
    events_per_sec: f64,
    day_wall_ms: f64,
    market_events: u64,
    engine_events: u64,
    runs: Vec<DayRun>,
    tca: TcaReport,
    seed: u64,
    date: String,
    timezone: &'static str,
    /// Median frame (visible rows built + rendered) of a 10,000-parent, 100,000-child blotter, ms.
    tui_frame_ms: f64,
    /// 99th percentile of the same, ms.
    tui_frame_p99_ms: f64,
    /// Median key press (handed to the app) to frame drawn, ms.
    tui_key_to_frame_ms: f64,
    /// Resident memory of the UI state holding 1,000,000 fills, MiB.
    tui_memory_1m_fills_mib: Option<f64>,
    tui: crate::tui::bench::UiBench,
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
    let ui = crate::tui::bench::run(200, true);
    let scenario = TcaScenario::generate(a.tca_fills, a.tca_trades, a.seed);
    let tca_runs: Vec<TcaRun> = (0..a.runs).map(|_| scenario.time()).collect();
    let tca = TcaReport {
        scenario: format!(
            "TCA of one order with {} fills against a {}-trade tape (analysis only)",
            a.tca_fills, a.tca_trades
        ),
        wall_ms: tca_runs.iter().map(|r| r.wall_ms).fold(f64::INFINITY, f64::min),
        fills: scenario.fills.len(),
        tape_prints: scenario.tape.prints().len(),
        runs: tca_runs,
    };
    drop(scenario);
    let report = Report {
        scenario: "AAPL full day 09:30-16:00 ET, 5 venues, TWAP buy 200,000 running",
        events_per_sec: best.market_events as f64 / (best.wall_ms / 1e3),
        day_wall_ms: best.wall_ms,
        market_events: best.market_events,
        engine_events: best.engine_events,
        runs,
        tca,
        seed: a.seed,
        date: bench_date().to_string(),
        timezone: session::tz_of(crate::model::Calendar::UsEquity).name(),
        tui_frame_ms: ui.frame_ms,
        tui_frame_p99_ms: ui.frame_p99_ms,
        tui_key_to_frame_ms: ui.key_to_frame_ms,
        tui_memory_1m_fills_mib: ui.memory_1m_fills_mib,
        tui: ui,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| CliError::runtime(e.to_string()))?);
    } else {
        println!("{}", report.scenario);
        println!("  market events     {}", report.market_events);
        println!("  day wall time     {:.1} ms (best of {})", report.day_wall_ms, report.runs.len());
        println!("  events per second {:.2} million", report.events_per_sec / 1e6);
        println!("{}", report.tca.scenario);
        println!("  wall time         {:.1} ms (best of {})", report.tca.wall_ms, report.tca.runs.len());
        println!(
            "UI: blotter of {} parents / {} children, {}x{} terminal, {} frames",
            report.tui.parents, report.tui.children, report.tui.size.0, report.tui.size.1, report.tui.frames
        );
        println!(
            "  frame (build + render) {:.3} ms median, {:.3} ms p99",
            report.tui_frame_ms, report.tui_frame_p99_ms
        );
        println!("  key press to frame     {:.3} ms median", report.tui_key_to_frame_ms);
        if let Some(m) = report.tui_memory_1m_fills_mib {
            println!("  memory, 1,000,000 fills held {m:.0} MiB");
        }
    }
    Ok(())
}
