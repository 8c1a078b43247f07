//! The command line: the terminal UI (no subcommand), `run`, `schedule`,
//! `compare`, `calibrate`, `evaluate`, `profile`, `bench`, `tca`, `demo`, `screenshots`, `serve`, `token`,
//! `status`, and the ledger's `history`, `export` and `recover`.

mod bench;
mod bench_desk;
mod calibrate;
mod compare;
mod demo;
mod drive;
mod evaluate;
mod history;
mod is_report;
pub mod ledger_args;
mod order_args;
mod order_report;
mod pipe;
mod profile;
mod recover;
mod replay_args;
mod run;
mod schedule;
mod serve;
mod status;
mod tca;
mod token;
mod universe_args;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub use order_args::{OrderArgs, Resolved, parse_params};
pub use replay_args::ReplayArgs;

/// A failure to report on one line, with its exit code.
#[derive(Debug)]
pub struct CliError {
    /// The message.
    pub message: String,
    /// 2 for bad input, 1 for failures while running.
    pub code: u8,
}

impl CliError {
    /// Bad input: exit code 2, nothing was run.
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError { message: message.into(), code: 2 }
    }
    /// A failure while running: exit code 1.
    pub fn runtime(message: impl Into<String>) -> CliError {
        CliError { message: message.into(), code: 1 }
    }
}

impl From<crate::engine::Reject> for CliError {
    fn from(r: crate::engine::Reject) -> Self {
        let msg = match &r.field {
            Some(f) => format!(
                "--{}: {}",
                f.replace('_', "-").replace("limit-px", "limit").replace("params.", "param "),
                r.message
            ),
            None => r.message,
        };
        CliError::usage(msg)
    }
}

/// blotter: an execution blotter over a deterministic paper execution engine.
#[derive(Debug, Parser)]
#[command(name = "blotter", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// Flags of the terminal UI (used when no subcommand is given).
    #[command(flatten)]
    tui: crate::tui::TuiArgs,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run one parent order to completion on the simulated market and report.
    Run(run::RunArgs),
    /// Print an algorithm's planned schedule without executing it.
    Schedule(schedule::ScheduleArgs),
    /// Run one order under several algorithms on the same simulated market and compare.
    Compare(compare::CompareArgs),
    /// Estimate an instrument's market figures from a recording (and its impact from the ledger) as a universe entry, or (--simulated) fit the pre-trade estimate to the simulated market.
    Calibrate(calibrate::CalibrateArgs),
    /// Run an algorithm over every window of a recording: slippage to each window's VWAP, participation, completion.
    Evaluate(evaluate::EvaluateArgs),
    /// The intraday volume profile a recording shows (buckets, shares, days used); --out writes it for --universe.
    Profile(profile::ProfileArgs),
    /// Measure engine throughput (market events per second, wall time of a day) and UI frame time.
    Bench(bench::BenchArgs),
    /// Serve the engine over HTTP (the sidecar several desks share).
    Serve(serve::ServeArgs),
    /// Create, revoke or list the sidecar's bearer tokens.
    Token(token::TokenArgs),
    /// Print a sidecar's health, readiness and the client's circuit breaker.
    Status(status::StatusArgs),
    /// Render the UI screenshots of the deterministic scenario (SVG, and PNG via rsvg-convert).
    Screenshots {
        /// Output folder.
        #[arg(long, default_value = "screenshots")]
        dir: std::path::PathBuf,
        /// Seed of the scenario's market.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Transaction cost analysis of executions done elsewhere (fills, tape and quotes as CSV).
    Tca(tca::TcaArgs),
    /// The guided walkthrough of a scripted trading day.
    Demo(demo::DemoArgs),
    /// Past orders from the ledger: status (including interrupted), filled quantity, TCA.
    History(history::HistoryArgs),
    /// Orders and fills from the ledger as CSV or JSON.
    Export(history::ExportArgs),
    /// Bring back orders a stopped process left open: report, resume or cancel them.
    Recover(recover::RecoverArgs),
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    pipe::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Cmd::Run(a)) => run::run(&a),
        Some(Cmd::Schedule(a)) => schedule::schedule(&a),
        Some(Cmd::Compare(a)) => compare::compare(&a),
        Some(Cmd::Calibrate(a)) => calibrate::calibrate(&a),
        Some(Cmd::Profile(a)) => profile::profile(&a),
        Some(Cmd::Evaluate(a)) => evaluate::evaluate(&a),
        Some(Cmd::Bench(a)) => bench::bench(&a),
        Some(Cmd::Serve(a)) => serve::serve(&a),
        Some(Cmd::Token(a)) => token::token(&a),
        Some(Cmd::Status(a)) => status::status(&a),
        Some(Cmd::Screenshots { dir, seed }) => match crate::tui::screenshots::write_all(&dir, seed) {
            Ok(files) => {
                for f in files {
                    println!("{f}");
                }
                Ok(())
            }
            Err(e) => Err(CliError::runtime(format!("screenshots: {}: {e}", dir.display()))),
        },
        None => crate::tui::run(&cli.tui).map_err(|e| match e {
            crate::tui::TuiError::Usage(m) => CliError::usage(m),
            crate::tui::TuiError::Runtime(m) => CliError::runtime(m),
        }),
        Some(Cmd::Tca(a)) => tca::tca(&a),
        Some(Cmd::Demo(a)) => demo::demo(&a),
        Some(Cmd::History(a)) => history::history(&a),
        Some(Cmd::Export(a)) => history::export(&a),
        Some(Cmd::Recover(a)) => recover::recover(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

/// Formats a quantity with thousands separators (`200,000`, `0.5`).
pub fn group(q: crate::model::Qty) -> String {
    crate::model::human::qty(q)
}
