//! `blotter tca` for one order: its fills, the tape and optional quotes.

use super::{CliError, TcaArgs};
use crate::cli::order_report::print_shortfall;
use crate::market::replay::csv::{parse_time, read_fills, read_quotes, read_trades};
use crate::model::{Qty, Side, Timestamp};
use crate::tca::import::{ImportedOrder, analyse_imported};
use std::path::PathBuf;

fn time_arg(flag: &str, s: Option<&str>) -> Result<Option<Timestamp>, CliError> {
    s.map(|s| parse_time(s).map_err(|e| CliError::usage(format!("{flag}: {e}")))).transpose()
}

/// The one file a flag names (the single-order form reads one symbol).
fn one_file(flag: &str, args: &[String]) -> Result<Option<PathBuf>, CliError> {
    match args {
        [] => Ok(None),
        [one] => Ok(Some(super::market_files::MarketFile::parse(one).path)),
        _ => Err(CliError::usage(format!(
            "{flag}: one file for one order (several files, or SYMBOL=FILE, need --orders)"
        ))),
    }
}

/// Runs the single-order form: reads and checks every file, then prints the report.
pub fn run(a: &TcaArgs) -> Result<(), CliError> {
    let side: Side =
        a.side.as_deref().unwrap_or_default().parse().map_err(|e| CliError::usage(format!("--side: {e}")))?;
    let qty =
        Qty::parse_human(a.qty.as_deref().unwrap_or_default()).map_err(|e| CliError::usage(format!("--qty: {e}")))?;
    if !qty.is_positive() {
        return Err(CliError::usage(format!("--qty: {qty} must be positive")));
    }
    let decision_px = crate::cli::order_args::parse_decision(a.decision_price.as_deref())?;
    let arrival = time_arg("--arrival", a.arrival.as_deref())?;
    let end = time_arg("--end", a.end.as_deref())?;
    let decision_time = time_arg("--decision-time", a.decision_time.as_deref())?;
    if let (Some(s), Some(e)) = (arrival, end)
        && e < s
    {
        return Err(CliError::usage(format!("--end: {e} is before --arrival {s}")));
    }
    let fills_path = a.fills.as_ref().ok_or_else(|| CliError::usage("--fills: required"))?;
    let trades_path = one_file("--trades", &a.trades)?.ok_or_else(|| CliError::usage("--trades: required"))?;
    let quotes_path = one_file("--quotes", &a.quotes)?;
    // Read and check everything before computing anything: nothing half-done is printed.
    let fills = read_fills(fills_path).map_err(|e| CliError::usage(format!("--fills: {e}")))?;
    let trades = read_trades(&trades_path).map_err(|e| CliError::usage(format!("--trades: {e}")))?;
    let quotes = match &quotes_path {
        Some(p) => Some(read_quotes(p).map_err(|e| CliError::usage(format!("--quotes: {e}")))?),
        None => None,
    };
    let order = ImportedOrder { side, qty, decision_px, arrival, end, decision_time };
    let report = analyse_imported(&order, &fills, &trades, quotes.as_deref()).map_err(CliError::usage)?;
    if a.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| CliError::runtime(e.to_string()))?;
        println!("{text}");
        return Ok(());
    }
    let px = |p: Option<crate::model::Price>| p.map_or("-".to_string(), |p| format!("{p:.4}"));
    let bps = |b: Option<f64>| b.map_or("-".to_string(), |b| format!("{b:+.2} bps"));
    println!(
        "{} {} of {} filled ({} fills), avg px {}",
        report.side,
        crate::cli::group(report.filled_qty),
        crate::cli::group(report.order_qty),
        fills.len(),
        px(report.avg_px)
    );
    println!("  arrival px       {}", px(report.arrival_px));
    println!("  decision px      {}", px(report.decision_px));
    println!(
        "  interval VWAP    {} (market), {} (incl. ours)",
        px(report.interval_vwap),
        px(report.interval_vwap_incl_ours)
    );
    println!(
        "  slippage         {} vs arrival, {} vs interval VWAP (positive = cost)",
        bps(report.arrival_slippage_bps),
        bps(report.vwap_slippage_bps)
    );
    print_shortfall(&report);
    Ok(())
}
