//! `blotter demo`: the guided walkthrough.

use super::CliError;
use crate::demo::{BUILTIN, Script, run_headless};
use crate::market::Universe;
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;

/// Flags of `blotter demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Play another script (TOML) instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    script: Option<PathBuf>,
    /// Run without a terminal, as fast as possible.
    #[arg(long)]
    headless: bool,
    /// With --headless: print one JSON document with every order's TCA.
    #[arg(long)]
    json: bool,
    /// Advance the captions unattended.
    #[arg(long)]
    auto: bool,
}

/// Loads the script named by the flags.
pub fn load(path: Option<&PathBuf>) -> Result<Script, CliError> {
    match path {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|e| CliError::usage(format!("--script {}: {e}", p.display())))?;
            Script::parse(&text, &p.display().to_string()).map_err(|e| CliError::usage(e.to_string()))
        }
        None => Script::parse(BUILTIN, "built-in").map_err(|e| CliError::runtime(e.to_string())),
    }
}

pub fn demo(a: &DemoArgs) -> Result<(), CliError> {
    let script = load(a.script.as_ref())?;
    if !a.headless {
        return Err(CliError::usage(
            "the interactive walkthrough opens in the terminal UI; run `blotter demo --headless` for the scripted day without a terminal",
        ));
    }
    let report = run_headless(&script, Arc::new(Universe::builtin())).map_err(|r| CliError::usage(r.to_string()))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| CliError::runtime(e.to_string()))?);
        return Ok(());
    }
    println!("{} (seed {}, {})", report.title, report.seed, report.date);
    for o in &report.orders {
        println!(
            "  {:<4} {:<8} {:<4} {:>12} {:<7} {:<9} filled {:>12} avg {:>12} arrival {:>+8.2} bps",
            o.id.to_string(),
            o.symbol,
            o.side,
            super::group(o.qty),
            o.algo.as_str(),
            o.status.as_str(),
            super::group(o.filled_qty),
            o.avg_px.map(|p| format!("{p:.4}")).unwrap_or_else(|| "-".into()),
            o.tca.arrival_slippage_bps.unwrap_or(0.0)
        );
    }
    for r in &report.rejections {
        println!("  refused: {r}");
    }
    Ok(())
}
