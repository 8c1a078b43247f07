//! `blotter bench`: engine throughput on one full simulated equity day, TCA
//! throughput, the algorithm day (1,000 parents over 50 symbols, every
//! algorithm), the ledger (fills persisted per second, the day recorded) and
//! the terminal UI (frame time, key-to-frame, memory).

use super::CliError;
use crate::bench::algos::{AlgoDayRun, algo_day};
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
    pub(super) json: bool,
    /// Repetitions (the best is reported; all are listed).
    #[arg(long, default_value_t = 3)]
    runs: u32,
    /// Seed of the simulated market.
    #[arg(long, default_value_t = 42)]
    pub(super) seed: u64,
    /// Fills of the order in the TCA benchmark.
    #[arg(long = "tca-fills", default_value_t = 100_000)]
    tca_fills: usize,
    /// Market trades on the tape in the TCA benchmark.
    #[arg(long = "tca-trades", default_value_t = 10_000_000)]
    tca_trades: usize,
    /// Recorded trades of the replay benchmark's generated tape.
    #[arg(long = "replay-trades", default_value_t = 10_000_000)]
    replay_trades: usize,
    /// Benchmark the HTTP sidecar over loopback instead: order submissions
    /// per second and their latency, SSE fan-out and event-delivery latency.
    #[arg(long)]
    api: bool,
    /// Seconds of each submission phase of `--api`.
    #[arg(long = "api-seconds", default_value_t = 10.0)]
    api_seconds: f64,
    /// Submissions per second of the open-loop phase of `--api`.
    #[arg(long = "api-rate", default_value_t = 2_000.0)]
    api_rate: f64,
    /// Concurrent clients of the closed-loop phase of `--api`.
    #[arg(long = "api-clients", default_value_t = 8)]
    api_clients: usize,
    /// SSE subscribers of the fan-out phase of `--api`.
    #[arg(long = "api-subscribers", default_value_t = 50)]
    api_subscribers: usize,
    /// Orders working through the simulated day of the fan-out phase.
    #[arg(long = "api-orders", default_value_t = 40)]
    api_orders: usize,
    /// Simulated seconds per wall second of that day.
    #[arg(long = "api-speed", default_value_t = 3_000.0)]
    api_speed: f64,
    /// Subscribe with the full Remote client (decodes every event) instead of raw SSE readers.
    #[arg(long = "api-remote-subscribers")]
    api_remote_subscribers: bool,
    /// Orders of the `tca-batch` scenario.
    #[arg(long = "tca-batch-orders", default_value_t = 10_000)]
    tca_batch_orders: usize,
    /// Fills per order of the `tca-batch` scenario.
    #[arg(long = "tca-batch-fills-per-order", default_value_t = 100)]
    tca_batch_fills_per_order: usize,
    /// Market prints of the `tca-batch` scenario (over all its symbols).
    #[arg(long = "tca-batch-prints", default_value_t = 50_000_000)]
    tca_batch_prints: u64,
    /// Symbols of the `tca-batch` scenario.
    #[arg(long = "tca-batch-symbols", default_value_t = 20)]
    tca_batch_symbols: usize,
    /// Keep the `tca-batch` files in DIR and reuse them when they were made with the same sizes and seed.
    #[arg(long = "tca-batch-dir", value_name = "DIR")]
    tca_batch_dir: Option<std::path::PathBuf>,
    /// Which scenarios: `all`, `day` (one symbol, TWAP), `tca`, `algos`
    /// (1,000 parents over 50 symbols and every algorithm, run once),
    /// `ledger` (fills persisted per second, the day with the ledger on),
    /// `ui` (blotter frames with 10,000 parents and 100,000 children),
    /// `tca-batch` (`blotter tca --orders` over 10,000 orders, 1,000,000 fills and
    /// 50,000,000 prints of 20 symbols, files generated first; not part of `all`),
    /// `replay` (a VWAP order over a generated 10-million-trade tape; not part
    /// of `all`: its peak memory is the process's), `api` (the HTTP sidecar, as
    /// `--api`; not part of `all`), or `desk` (several `serve` processes on one
    /// PostgreSQL server, `--db`; not part of `all`).
    #[arg(long, default_value = "all")]
    scenario: String,
    /// Measure the ledger against this database (default: fresh SQLite files
    /// in a temporary directory); for `desk`, the PostgreSQL server to create
    /// the desk's databases on.
    #[arg(long = "db", value_name = "URL")]
    pub(super) db: Option<String>,
    /// Largest desk of `--scenario desk`: phases with 1, 2, ... instances.
    #[arg(long = "desk-instances", default_value_t = 3)]
    pub(super) desk_instances: usize,
    /// Concurrent clients per instance in `--scenario desk`.
    #[arg(long = "desk-clients", default_value_t = 4)]
    pub(super) desk_clients: usize,
    /// Seconds of each submission phase of `--scenario desk`.
    #[arg(long = "desk-seconds", default_value_t = 10.0)]
    pub(super) desk_seconds: f64,
    /// The instances' `--lease` in `--scenario desk`, seconds.
    #[arg(long = "desk-lease", default_value_t = 5.0)]
    pub(super) desk_lease: f64,
    /// HALTs issued in `--scenario desk`.
    #[arg(long = "desk-halts", default_value_t = 10)]
    pub(super) desk_halts: usize,
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
struct ReplayReport {
    scenario: String,
    /// Best wall time of the replay, ms.
    wall_ms: f64,
    /// Generating the tape (not timed above), ms.
    generate_ms: f64,
    /// Least CPU time of the replay's thread over the runs, ms.
    cpu_ms: Option<f64>,
    /// Peak resident memory while generating the tape (as reading a file would), MiB.
    generate_peak_rss_mib: Option<f64>,
    /// Peak resident memory from the generated tape held to the end of the replays, MiB.
    peak_rss_mib: Option<f64>,
    /// Bytes the recorded trades take in memory.
    recording_bytes: usize,
    runs: Vec<crate::bench::replay::ReplayRun>,
}

#[derive(Serialize)]
struct AlgosReport {
    scenario: &'static str,
    #[serde(flatten)]
    run: AlgoDayRun,
}

const ALGOS_SCENARIO: &str = "1,000 parents over 50 generated US equities, every algorithm, 09:30-16:00 ET";

#[derive(Serialize)]
struct Report {
    scenario: &'static str,
    events_per_sec: f64,
    day_wall_ms: f64,
    market_events: u64,
    engine_events: u64,
    runs: Vec<DayRun>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tca: Option<TcaReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    algos_day: Option<AlgosReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ledger: Option<crate::bench::ledger::LedgerBench>,
    seed: u64,
    date: String,
    timezone: &'static str,
    /// Median frame (visible rows built + rendered) of a 10,000-parent, 100,000-child blotter, ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    tui_frame_ms: Option<f64>,
    /// 99th percentile of the same, ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    tui_frame_p99_ms: Option<f64>,
    /// Median key press (handed to the app) to frame drawn, ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    tui_key_to_frame_ms: Option<f64>,
    /// Resident memory of the UI state holding 1,000,000 fills, MiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    tui_memory_1m_fills_mib: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tui: Option<crate::tui::bench::UiBench>,
}

fn tca_report(a: &BenchArgs) -> TcaReport {
    let scenario = TcaScenario::generate(a.tca_fills, a.tca_trades, a.seed);
    let runs: Vec<TcaRun> = (0..a.runs).map(|_| scenario.time()).collect();
    TcaReport {
        scenario: format!(
            "TCA of one order with {} fills against a {}-trade tape (analysis only)",
            a.tca_fills, a.tca_trades
        ),
        wall_ms: runs.iter().map(|r| r.wall_ms).fold(f64::INFINITY, f64::min),
        fills: scenario.fills.len(),
        tape_prints: scenario.tape.prints().len(),
        runs,
    }
}

/// Runs `blotter bench`.
pub fn bench(a: &BenchArgs) -> Result<(), CliError> {
    if a.api || a.scenario.trim() == "api" {
        return api(a);
    }
    if a.scenario.trim() == "desk" {
        return super::bench_desk::desk(a);
    }
    if a.runs == 0 {
        return Err(CliError::usage("--runs: must be at least 1"));
    }
    if a.scenario.trim() == "tca-batch" {
        return tca_batch(a);
    }
    if a.scenario.trim() == "replay" {
        return replay(a);
    }
    let (day, tca, algos, ledger, ui) = match a.scenario.trim() {
        "all" => (true, true, true, true, true),
        "day" => (true, false, false, false, false),
        "tca" => (false, true, false, false, false),
        "algos" => (false, false, true, false, false),
        "ledger" => (true, false, false, true, false),
        "ui" => (false, false, false, false, true),
        other => {
            return Err(CliError::usage(format!(
                "--scenario: '{other}' is not one of: all, day, tca, algos, ledger, ui, tca-batch, replay, api, desk"
            )));
        }
    };
    let tui = ui.then(|| crate::tui::bench::run(200, true));
    let runs: Vec<DayRun> = if day { (0..a.runs).map(|_| equity_day(a.seed)).collect() } else { Vec::new() };
    let best = runs.iter().min_by(|x, y| x.wall_ms.total_cmp(&y.wall_ms)).cloned();
    let ledger = match (&best, ledger) {
        (Some(b), true) => Some(ledger_figures(a, b.wall_ms)?),
        _ => None,
    };
    let tca = tca.then(|| tca_report(a));
    let algos_day = algos.then(|| AlgosReport { scenario: ALGOS_SCENARIO, run: algo_day(a.seed) });
    let report = Report {
        scenario: "AAPL full day 09:30-16:00 ET, 5 venues, TWAP buy 200,000 running",
        events_per_sec: best.as_ref().map_or(0.0, |b| b.market_events as f64 / (b.wall_ms / 1e3)),
        day_wall_ms: best.as_ref().map_or(0.0, |b| b.wall_ms),
        market_events: best.as_ref().map_or(0, |b| b.market_events),
        engine_events: best.as_ref().map_or(0, |b| b.engine_events),
        runs,
        tca,
        algos_day,
        ledger,
        seed: a.seed,
        date: bench_date().to_string(),
        timezone: session::tz_of(crate::model::Calendar::UsEquity).name(),
        tui_frame_ms: tui.as_ref().map(|u| u.frame_ms),
        tui_frame_p99_ms: tui.as_ref().map(|u| u.frame_p99_ms),
        tui_key_to_frame_ms: tui.as_ref().map(|u| u.key_to_frame_ms),
        tui_memory_1m_fills_mib: tui.as_ref().and_then(|u| u.memory_1m_fills_mib),
        tui,
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
    if let Some(t) = &report.tca {
        println!("{}", t.scenario);
        println!("  wall time         {:.1} ms (best of {})", t.wall_ms, t.runs.len());
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
    if let Some(u) = &report.tui {
        println!(
            "UI: blotter of {} parents / {} children, {}x{} terminal, {} frames",
            u.parents, u.children, u.size.0, u.size.1, u.frames
        );
        println!("  frame (build + render) {:.3} ms median, {:.3} ms p99", u.frame_ms, u.frame_p99_ms);
        println!("  key press to frame     {:.3} ms median", u.key_to_frame_ms);
        if let Some(m) = u.memory_1m_fills_mib {
            println!("  memory, 1,000,000 fills held {m:.0} MiB");
        }
    }
    if let Some(l) = &report.ledger {
        println!("ledger ({}; {})", l.backend, l.durability);
        println!(
            "  fills persisted   {:.0} per second with group commit ({} fills, batches of {})",
            l.fills.fills_per_sec, l.fills.fills, l.fills.batch
        );
        println!("  without grouping  {:.0} per second (one commit per batch)", l.fills_ungrouped.fills_per_sec);
        println!(
            "  day with ledger   {:.1} ms vs {:.1} ms without ({:.0}% of the throughput)",
            l.day_with_ledger_ms,
            l.day_without_ledger_ms,
            l.day_throughput_ratio * 100.0
        );
    }
    Ok(())
}

/// The figures of `--scenario tca-batch`.
#[derive(Serialize)]
struct TcaBatchReport {
    scenario: String,
    size: crate::bench::tca_batch::BatchSize,
    fills: u64,
    trades_file_mib: f64,
    /// The best run: reading orders and fills, the market pass, the analysis.
    best: crate::cli::tca::batch::Timings,
    /// Total of the best run (the three steps), ms.
    total_ms: f64,
    /// Prints read per second in the best run's market pass.
    prints_per_sec: f64,
    runs_ms: Vec<f64>,
    /// Writing the HTML report with the default 200 order charts.
    html_ms: f64,
    html_bytes: usize,
    /// The same with a chart for every order.
    html_all_charts_bytes: usize,
    /// Peak resident memory of the process after generating the files, then after the runs, MiB.
    peak_rss_after_generation_mib: Option<f64>,
    peak_rss_mib: Option<f64>,
    cpus: usize,
}

fn tca_batch(a: &BenchArgs) -> Result<(), CliError> {
    use crate::bench::tca_batch::{BatchSize, peak_rss_mib, write};
    use crate::cli::tca::batch::{Charts, Inputs, Source, analyse, write_report};
    let size = BatchSize {
        orders: a.tca_batch_orders,
        fills_per_order: a.tca_batch_fills_per_order,
        prints: a.tca_batch_prints,
        symbols: a.tca_batch_symbols,
    };
    if size.orders == 0 || size.symbols == 0 || size.prints == 0 {
        return Err(CliError::usage(
            "--tca-batch-orders, --tca-batch-symbols and --tca-batch-prints must be at least 1",
        ));
    }
    let temp = a.tca_batch_dir.is_none();
    let dir = a
        .tca_batch_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("blotter-bench-tca-{}", std::process::id())));
    std::fs::create_dir_all(&dir).map_err(|e| CliError::runtime(format!("{}: {e}", dir.display())))?;
    let stamp = dir.join("params.json");
    let want = serde_json::json!({ "size": size, "seed": a.seed }).to_string();
    let files = if std::fs::read_to_string(&stamp).ok().as_deref() == Some(want.as_str()) {
        let f = |n: &str| dir.join(n);
        let bytes = std::fs::metadata(f("trades.csv")).map_err(|e| CliError::runtime(e.to_string()))?.len();
        crate::bench::tca_batch::BatchFiles {
            orders: f("orders.csv"),
            fills: f("fills.csv"),
            trades: f("trades.csv"),
            trades_bytes: bytes,
            fills_written: (size.orders * size.fills_per_order) as u64,
        }
    } else {
        eprintln!("writing {} prints, {} orders and their fills to {} ...", size.prints, size.orders, dir.display());
        let f = write(&dir, size, a.seed).map_err(CliError::runtime)?;
        std::fs::write(&stamp, &want).map_err(|e| CliError::runtime(e.to_string()))?;
        f
    };
    let after_generation = peak_rss_mib();
    let inputs = Inputs {
        source: Source::Csv { orders: files.orders.clone(), fills: files.fills.clone() },
        trades: vec![files.trades.display().to_string()],
        quotes: Vec::new(),
        dims: Vec::new(),
        tz: chrono_tz::America::New_York,
        outlier_sd: 3.0,
        strict: true,
        universe: crate::market::Universe::builtin(),
    };
    let mut best: Option<crate::cli::tca::batch::Timings> = None;
    let mut runs_ms = Vec::new();
    let mut review = None;
    for _ in 0..a.runs {
        let (r, _, t) = analyse(&inputs)?;
        let total = t.orders_ms + t.market_ms + t.analysis_ms;
        runs_ms.push(total);
        if best.is_none_or(|b| total < b.orders_ms + b.market_ms + b.analysis_ms) {
            best = Some(t);
        }
        review = Some(r);
    }
    let (Some(best), Some(review)) = (best, review) else { return Err(CliError::runtime("no run")) };
    let clock = std::time::Instant::now();
    let html_bytes = write_report(&review, Charts::Top(200), &dir.join("report.html"))?;
    let html_ms = clock.elapsed().as_secs_f64() * 1e3;
    let html_all_charts_bytes = write_report(&review, Charts::All, &dir.join("report-all.html"))?;
    let total_ms = best.orders_ms + best.market_ms + best.analysis_ms;
    let r = TcaBatchReport {
        scenario: format!(
            "blotter tca --orders: {} orders with {} fills each, {} prints of {} symbols in one trades file (epoch-ms times), groupings by broker, algo, venue, trader, desk, symbol, day",
            size.orders, size.fills_per_order, size.prints, size.symbols
        ),
        size,
        fills: files.fills_written,
        trades_file_mib: files.trades_bytes as f64 / (1 << 20) as f64,
        best,
        total_ms,
        prints_per_sec: size.prints as f64 / (best.market_ms / 1e3),
        runs_ms,
        html_ms,
        html_bytes,
        html_all_charts_bytes,
        peak_rss_after_generation_mib: after_generation,
        peak_rss_mib: peak_rss_mib(),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    if temp {
        let _ = std::fs::remove_dir_all(&dir);
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r).map_err(|e| CliError::runtime(e.to_string()))?);
        return Ok(());
    }
    println!("{}", r.scenario);
    println!("  trades file       {:.0} MiB", r.trades_file_mib);
    println!(
        "  best of {}         {:.2} s = orders and fills {:.2} s + market pass {:.2} s ({:.1} million prints/s) + analysis {:.2} s",
        r.runs_ms.len(),
        total_ms / 1e3,
        best.orders_ms / 1e3,
        best.market_ms / 1e3,
        r.prints_per_sec / 1e6,
        best.analysis_ms / 1e3
    );
    println!(
        "  HTML report       {:.1} MB in {:.2} s (200 order charts); {:.1} MB with every order charted",
        r.html_bytes as f64 / 1e6,
        html_ms / 1e3,
        r.html_all_charts_bytes as f64 / 1e6
    );
    if let Some(m) = r.peak_rss_mib {
        println!(
            "  peak memory       {m:.0} MiB (after generating the files: {:.0} MiB)",
            r.peak_rss_after_generation_mib.unwrap_or(0.0)
        );
    }
    Ok(())
}

/// The replay benchmark: the tape generated once, the replay timed `--runs` times.
fn replay(a: &BenchArgs) -> Result<(), CliError> {
    use crate::bench::replay::{generate, peak_rss_mib, reset_peak_rss, run};
    if a.replay_trades == 0 {
        return Err(CliError::usage("--replay-trades: must be at least 1"));
    }
    let t0 = std::time::Instant::now();
    let rec = std::sync::Arc::new(generate(a.replay_trades, a.seed));
    let generate_ms = t0.elapsed().as_secs_f64() * 1e3;
    let generate_peak_rss_mib = peak_rss_mib();
    reset_peak_rss();
    let runs: Vec<_> = (0..a.runs).map(|_| run(&rec, a.seed)).collect();
    let r = ReplayReport {
        scenario: format!(
            "VWAP buy of 5% of the volume over a generated {}-trade BTC-USD tape shaped like the Binance sample (one UTC day)",
            a.replay_trades
        ),
        wall_ms: runs.iter().map(|r| r.wall_ms).fold(f64::INFINITY, f64::min),
        generate_ms,
        cpu_ms: runs.iter().filter_map(|r| r.cpu_ms).reduce(f64::min),
        generate_peak_rss_mib,
        peak_rss_mib: peak_rss_mib(),
        recording_bytes: rec.trades.encoded_bytes(),
        runs,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r).map_err(|e| CliError::runtime(e.to_string()))?);
        return Ok(());
    }
    println!("{}", r.scenario);
    if let Some(first) = r.runs.first() {
        println!(
            "  market events     {} ({} fills, {:.1}% filled)",
            first.market_events, first.fills, first.filled_pct
        );
    }
    println!(
        "  wall time         {:.1} ms (best of {}; generating the tape {:.0} ms)",
        r.wall_ms,
        r.runs.len(),
        r.generate_ms
    );
    if let Some(c) = r.cpu_ms {
        println!("  CPU time          {c:.1} ms (the replay's thread, best of {})", r.runs.len());
    }
    println!("  recorded trades   {:.1} MiB in memory", r.recording_bytes as f64 / 1_048_576.0);
    if let Some(m) = r.peak_rss_mib {
        println!("  peak memory       {m:.0} MiB (the process while replaying: recording, engine, tape of prints)");
    }
    if let Some(m) = r.generate_peak_rss_mib {
        println!("  generating        {m:.0} MiB peak (before the replay)");
    }
    Ok(())
}

fn api(a: &BenchArgs) -> Result<(), CliError> {
    let positive = |name: &str, v: f64| {
        if v.is_finite() && v > 0.0 { Ok(()) } else { Err(CliError::usage(format!("--{name}: must be positive"))) }
    };
    positive("api-seconds", a.api_seconds)?;
    positive("api-rate", a.api_rate)?;
    positive("api-speed", a.api_speed)?;
    if a.api_clients == 0 || a.api_subscribers == 0 || a.api_orders == 0 {
        return Err(CliError::usage("--api-clients, --api-subscribers and --api-orders must be at least 1"));
    }
    // A fresh SQLite ledger per phase, like `serve` records by default; `--db none` keeps events in memory.
    let memory = a.db.as_deref().is_some_and(|d| d.trim().eq_ignore_ascii_case("none"));
    let dir = std::env::temp_dir().join(format!("blotter-bench-api-{}", std::process::id()));
    if !memory {
        std::fs::create_dir_all(&dir).map_err(|e| CliError::runtime(format!("{}: {e}", dir.display())))?;
    }
    let cfg = crate::bench::api::ApiBenchConfig {
        seconds: a.api_seconds,
        rate: a.api_rate,
        clients: a.api_clients,
        subscribers: a.api_subscribers,
        day_orders: a.api_orders,
        day_speed: a.api_speed,
        remote_subscribers: a.api_remote_subscribers,
        ledger_dir: (!memory).then(|| dir.clone()),
        seed: a.seed,
    };
    let r = crate::bench::api::run(&cfg);
    let _ = std::fs::remove_dir_all(&dir);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r).map_err(|e| CliError::runtime(e.to_string()))?);
        return Ok(());
    }
    for s in [&r.closed_loop, &r.open_loop] {
        println!("submissions, {}", s.mode);
        println!(
            "  {:.0}/s accepted ({} in {:.1} s, {} errors); latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            s.per_sec, s.accepted, s.seconds, s.errors, s.latency.p50_ms, s.latency.p99_ms, s.latency.max_ms
        );
    }
    let f = &r.fanout;
    println!(
        "SSE fan-out, {} {} subscribers, busy simulated day ({} events in {:.1} s)",
        f.subscribers, f.subscriber_kind, f.events, f.day_wall_s
    );
    println!(
        "  every event to every subscriber in order: {} (fewest received {}, {} resyncs); delivery p50 {:.2} ms, p99 {:.2} ms",
        if f.complete { "yes" } else { "NO" },
        f.min_received,
        f.resyncs,
        f.delivery.p50_ms,
        f.delivery.p99_ms
    );
    println!("  ledger: {}", r.ledger);
    Ok(())
}

/// The ledger benchmarks, on fresh SQLite files in a temporary directory
/// (removed afterwards) or on the database given with `--db`.
fn ledger_figures(a: &BenchArgs, day_without_ms: f64) -> Result<crate::bench::ledger::LedgerBench, CliError> {
    use crate::store::DbTarget;
    let err = super::ledger_args::store_error;
    match &a.db {
        Some(url) => {
            let t = DbTarget::parse(url).map_err(err)?;
            crate::bench::ledger::ledger_bench(a.seed, a.runs, day_without_ms, || t.clone()).map_err(err)
        }
        None => {
            let dir = std::env::temp_dir().join(format!("blotter-bench-{}", std::process::id()));
            std::fs::create_dir_all(&dir).map_err(|e| CliError::runtime(format!("{}: {e}", dir.display())))?;
            let mut n = 0;
            let result = crate::bench::ledger::ledger_bench(a.seed, a.runs, day_without_ms, || {
                n += 1;
                DbTarget::Sqlite(dir.join(format!("bench-{n}.db")))
            });
            let _ = std::fs::remove_dir_all(&dir);
            result.map_err(err)
        }
    }
}
