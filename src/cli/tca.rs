//! `blotter tca`: the post-trade report for executions done elsewhere, and the
//! text form of a report shared with `blotter run`.

use super::CliError;
use super::order_report::print_shortfall;
use crate::market::replay::csv::{read_fills, read_quotes, read_trades};
use crate::model::{Qty, Side};
use crate::tca::import::{ImportedOrder, analyse_imported};
use clap::Args;
use std::path::PathBuf;

/// Flags of `blotter tca`.
#[derive(Debug, Args)]
pub struct TcaArgs {
    /// Executions: CSV with timestamp, price, qty[, venue][, fee][, liquidity].
    #[arg(long, value_name = "FILE")]
    fills: PathBuf,
    /// Market tape: CSV with timestamp, price, qty[, side] (without our fills).
    #[arg(long, value_name = "FILE")]
    trades: PathBuf,
    /// Quotes: CSV with timestamp, bid, bid_size, ask, ask_size (mids for arrival and markouts).
    #[arg(long, value_name = "FILE")]
    quotes: Option<PathBuf>,
    /// buy or sell.
    #[arg(long)]
    side: String,
    /// Ordered quantity (at least what was filled); accepts k/m suffixes.
    #[arg(long)]
    qty: String,
    /// Decision price (default: the arrival mid).
    #[arg(long = "decision-price", value_name = "PX")]
    decision_price: Option<String>,
    /// Print one JSON document instead of a summary.
    #[arg(long)]
    json: bool,
}

/// Runs `blotter tca`: reads and checks every file, then prints the report.
pub fn tca(a: &TcaArgs) -> Result<(), CliError> {
    let side: Side = a.side.parse().map_err(|e| CliError::usage(format!("--side: {e}")))?;
    let qty = Qty::parse_human(&a.qty).map_err(|e| CliError::usage(format!("--qty: {e}")))?;
    if !qty.is_positive() {
        return Err(CliError::usage(format!("--qty: {qty} must be positive")));
    }
    let decision_px = super::order_args::parse_decision(a.decision_price.as_deref())?;
    // Read and check everything before computing anything: nothing half-done is printed.
    let fills = read_fills(&a.fills).map_err(|e| CliError::usage(format!("--fills: {e}")))?;
    let trades = read_trades(&a.trades).map_err(|e| CliError::usage(format!("--trades: {e}")))?;
    let quotes = match &a.quotes {
        Some(p) => Some(read_quotes(p).map_err(|e| CliError::usage(format!("--quotes: {e}")))?),
        None => None,
    };
    let order = ImportedOrder { side, qty, decision_px };
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
        super::group(report.filled_qty),
        super::group(report.order_qty),
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
