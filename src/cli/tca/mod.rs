//! `blotter tca`: post-trade analysis of executions done elsewhere.
//!
//! One order: `--fills`, `--trades` (`--quotes`), `--side`, `--qty`, with
//! optional `--arrival`, `--end`, `--decision-time`, `--decision-price`.
//! Many orders: `--orders ORDERS.csv --fills FILLS.csv`, or `--fix LOG` (a
//! FIX drop copy), trades and quotes of many symbols, grouped figures, the
//! HTML report and the TUI view.

pub(super) mod batch;
mod estimate;
mod market_files;
mod order_files;
mod single;
mod text;

use super::CliError;
use clap::Args;
use std::path::PathBuf;

/// Flags of `blotter tca`.
#[derive(Debug, Args)]
pub struct TcaArgs {
    /// Executions: CSV with timestamp, price, qty[, venue][, fee][, liquidity] (and order_id with --orders).
    #[arg(long, value_name = "FILE")]
    fills: Option<PathBuf>,
    /// Market tape without our fills: FILE (timestamp, [symbol,] price, qty) or SYMBOL=FILE; repeatable.
    #[arg(long, value_name = "FILE|SYMBOL=FILE", required = true)]
    trades: Vec<String>,
    /// Quotes for mids: FILE (timestamp, [symbol,] bid, bid_size, ask, ask_size) or SYMBOL=FILE; repeatable.
    #[arg(long, value_name = "FILE|SYMBOL=FILE")]
    quotes: Vec<String>,
    /// One order: buy or sell.
    #[arg(long, required_unless_present_any = ["orders", "fix"], conflicts_with_all = ["orders", "fix"])]
    side: Option<String>,
    /// One order: ordered quantity (at least what was filled); accepts k/m suffixes.
    #[arg(long, required_unless_present_any = ["orders", "fix"], conflicts_with_all = ["orders", "fix"])]
    qty: Option<String>,
    /// One order: decision price (default: the price at --decision-time, else the arrival price).
    #[arg(long = "decision-price", value_name = "PX", conflicts_with_all = ["orders", "fix"])]
    decision_price: Option<String>,
    /// One order: when it arrived, ISO-8601 or epoch ms (default: just before the first fill).
    #[arg(long, value_name = "TIME", conflicts_with_all = ["orders", "fix"])]
    arrival: Option<String>,
    /// One order: when it ended (default: the last fill); values the unfilled part.
    #[arg(long, value_name = "TIME", conflicts_with_all = ["orders", "fix"])]
    end: Option<String>,
    /// One order: when the decision was taken (its price is the decision price).
    #[arg(long = "decision-time", value_name = "TIME", conflicts_with_all = ["orders", "fix", "decision_price"])]
    decision_time: Option<String>,
    /// One order: the instrument (built in, or from --universe), for the pre-trade estimate.
    #[arg(long, conflicts_with_all = ["orders", "fix"])]
    symbol: Option<String>,
    /// One order: the algorithm whose schedule the pre-trade estimate follows (twap, vwap, pov, is, ...;
    /// default: a VWAP schedule from arrival to end).
    #[arg(long, conflicts_with_all = ["orders", "fix"])]
    algo: Option<String>,
    /// Instruments/venues TOML merged over the built-in defaults: the calendars, intraday curves and impact
    /// coefficients of the pre-trade estimates.
    #[arg(long, value_name = "FILE")]
    universe: Option<PathBuf>,
    /// Many orders: CSV with order_id, symbol, side, qty, arrival, end[, decision_px, decision_time,
    /// broker, algo, trader, desk, limit_px, quote_per].
    #[arg(long, value_name = "FILE", conflicts_with = "fix")]
    orders: Option<PathBuf>,
    /// Many orders from a FIX 4.2/4.4 drop copy (tag=value; SOH, | or ^A between fields): orders,
    /// executions, cancels, corrections and busts.
    #[arg(long, value_name = "LOG", conflicts_with = "fills")]
    fix: Option<PathBuf>,
    /// Do not verify the drop copy's BodyLength and CheckSum (a hand-edited log).
    #[arg(long = "fix-no-checksum", requires = "fix")]
    fix_no_checksum: bool,
    /// Group by these dimensions (broker, algo, venue, trader, desk, symbol, day), e.g. broker,algo;
    /// repeatable (default: each dimension the orders fill in, one at a time).
    #[arg(long = "group-by", value_name = "DIMS")]
    group_by: Vec<String>,
    /// List orders further than N standard deviations from their group's mean shortfall.
    #[arg(long, value_name = "N", default_value_t = 3.0)]
    outliers: f64,
    /// Time zone of days and of the times shown, e.g. America/New_York.
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    tz: String,
    /// Fail (exit 2) when any fill or order had to be left out, instead of listing it.
    #[arg(long)]
    strict: bool,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// Write a self-contained HTML report (tables and inline SVG charts, no network) to FILE.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Per-order price charts in the report: the N costliest orders and every outlier, or `all`.
    #[arg(long = "report-charts", value_name = "N|all", default_value = "200")]
    report_charts: String,
    /// Browse the analysis in the terminal, by group (Tab: grouping, Enter: a group's orders, then an order).
    #[arg(long, conflicts_with = "json")]
    tui: bool,
}

/// The universe the pre-trade estimates read instruments from.
fn universe(a: &TcaArgs) -> Result<crate::market::Universe, CliError> {
    super::universe_args::load(a.universe.as_deref())
}

/// Runs `blotter tca`.
pub fn tca(a: &TcaArgs) -> Result<(), CliError> {
    if a.orders.is_some() || a.fix.is_some() {
        batch::run(a)
    } else {
        for (flag, given) in
            [("--report", a.report.is_some()), ("--group-by", !a.group_by.is_empty()), ("--strict", a.strict)]
        {
            if given {
                return Err(CliError::usage(format!("{flag}: needs --orders or --fix (the analysis of many orders)")));
            }
        }
        single::run(a)
    }
}
