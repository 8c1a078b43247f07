//! `blotter tca --orders ...`: many orders, read, checked, analysed against
//! the market data in one pass, then shown as text, JSON, HTML or in the TUI.

use super::market_files::{Kind, MarketFile, feed};
use super::order_files::{read_order_fills, read_orders};
use super::{CliError, TcaArgs};
use crate::tca::batch::{Batch, Issue};
use crate::tca::group::{Dim, parse_dims};
use crate::tca::review::review;
use chrono_tz::Tz;

/// How many per-order charts the HTML report draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charts {
    /// The N costliest orders and every outlier.
    Top(usize),
    /// Every order.
    All,
}

fn parse_charts(s: &str) -> Result<Charts, CliError> {
    if s.trim().eq_ignore_ascii_case("all") {
        return Ok(Charts::All);
    }
    s.trim()
        .parse::<usize>()
        .map(Charts::Top)
        .map_err(|_| CliError::usage(format!("--report-charts: '{s}' is not a count; allowed: a whole number or all")))
}

/// Reads the time zone of `--tz`.
pub fn parse_tz(s: &str) -> Result<Tz, CliError> {
    s.trim().parse::<Tz>().map_err(|_| {
        CliError::usage(format!("--tz: '{s}' is not a time zone; allowed: an IANA name such as UTC, America/New_York"))
    })
}

fn strict_failure(issues: &[Issue]) -> CliError {
    for i in issues {
        eprintln!("{i}");
    }
    CliError::usage(format!(
        "{} problem(s) in the input (listed above); --strict makes them fatal: fix them, or drop --strict to analyse without those rows",
        issues.len()
    ))
}

/// Runs the many-order form.
pub fn run(a: &TcaArgs) -> Result<(), CliError> {
    let tz = parse_tz(&a.tz)?;
    if !(a.outliers.is_finite() && a.outliers > 0.0) {
        return Err(CliError::usage(format!(
            "--outliers: {} must be a positive number of standard deviations",
            a.outliers
        )));
    }
    let dims: Vec<Vec<Dim>> = a
        .group_by
        .iter()
        .map(|g| parse_dims(g).map_err(|e| CliError::usage(format!("--group-by: {e}"))))
        .collect::<Result<_, _>>()?;
    let charts = parse_charts(&a.report_charts)?;
    let orders_path = a.orders.as_ref().ok_or_else(|| CliError::usage("--orders: required"))?;
    let fills_path = a.fills.as_ref().ok_or_else(|| CliError::usage("--fills: required with --orders"))?;
    let orders = read_orders(orders_path).map_err(|e| CliError::usage(format!("--orders: {e}")))?;
    let fills = read_order_fills(fills_path).map_err(|e| CliError::usage(format!("--fills: {e}")))?;
    let mut batch = Batch::new(orders, fills).map_err(|e| CliError::usage(e.to_string()))?;
    for (flag, kind, files) in [("--trades", Kind::Trades, &a.trades), ("--quotes", Kind::Quotes, &a.quotes)] {
        for f in files {
            let f = MarketFile::parse(f);
            feed(&f, kind, batch.market()).map_err(|e| CliError::usage(format!("{flag}: {e}")))?;
        }
    }
    let report = batch.finish();
    if a.strict && !report.issues.is_empty() {
        return Err(strict_failure(&report.issues));
    }
    let review = review(report, &dims, tz, a.outliers);
    if let Some(path) = &a.report {
        let html = crate::tca::html::page(&review, charts_for(charts));
        std::fs::write(path, html).map_err(|e| CliError::runtime(format!("--report {}: {e}", path.display())))?;
    }
    if a.json {
        let text = serde_json::to_string(&review).map_err(|e| CliError::runtime(e.to_string()))?;
        println!("{text}");
        return Ok(());
    }
    super::text::print(&review, tz);
    if let Some(path) = &a.report {
        println!("report written to {}", path.display());
    }
    Ok(())
}

fn charts_for(c: Charts) -> Option<usize> {
    match c {
        Charts::Top(n) => Some(n),
        Charts::All => None,
    }
}
