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
    /// Advance the captions unattended (each held for its step's hold_secs).
    #[arg(long)]
    auto: bool,
    /// Theme: dark, light, high-contrast, monochrome, or NAME.toml in the config's themes/ folder.
    #[arg(long, value_name = "NAME")]
    theme: Option<String>,
    /// Keymap preset: default or vim.
    #[arg(long, value_name = "NAME")]
    keymap: Option<String>,
    /// Config file (default: config.toml in the platform config directory).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Ignore the config file and keymap.toml.
    #[arg(long)]
    default_config: bool,
    /// Log file (default: blotter.log in the platform data directory).
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// Test hook: multiply every step's hold_secs (0.05 plays --auto twenty times faster).
    #[arg(long, value_name = "F", hide = true, default_value_t = 1.0)]
    hold_factor: f64,
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
    if a.json && !a.headless {
        return Err(CliError::usage("--json prints the headless run's report: add --headless"));
    }
    if !(a.hold_factor.is_finite() && a.hold_factor >= 0.0) {
        return Err(CliError::usage(format!("--hold-factor: {} must be 0 or more", a.hold_factor)));
    }
    if !a.headless {
        let tui = crate::tui::TuiArgs {
            theme: a.theme.clone(),
            keymap: a.keymap.clone(),
            config: a.config.clone(),
            default_config: a.default_config,
            log: a.log.clone(),
            ..Default::default()
        };
        let opts = crate::tui::demo::DemoOptions { auto: a.auto, hold_factor: a.hold_factor };
        return crate::tui::run_demo(&tui, script, opts).map_err(|e| match e {
            crate::tui::TuiError::Usage(m) => CliError::usage(m),
            crate::tui::TuiError::Runtime(m) => CliError::runtime(m),
        });
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
