//! `blotter tca` for one order: its fills, the tape and optional quotes.

use super::{CliError, TcaArgs};
use crate::cli::order_report::print_shortfall;
use crate::impact::Coefficients;
use crate::market::replay::csv::RecQuote;
use crate::market::replay::csv::{parse_time, read_fills, read_quotes, read_trades};
use crate::model::{Qty, Side, Timestamp};
use crate::tca::TcaReport;
use crate::tca::import::{ImportedOrder, analyse_imported, to_fills};
use crate::tca::mids::{MidSource, QuoteMids};
use crate::tca::pretrade::history::MarketHistory;
use crate::tca::pretrade::{EstimateBasis, ScheduleFrom};
use serde::Serialize;
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
    let universe = super::universe(a)?;
    let inst = a.symbol.as_deref().map(|s| crate::cli::universe_args::instrument(&universe, s)).transpose()?;
    let order = ImportedOrder { side, qty, decision_px, arrival, end, decision_time };
    let mut report = analyse_imported(&order, &fills, &trades, quotes.as_deref()).map_err(CliError::usage)?;
    let basis = pre_trade(&mut report, inst, &order, a.algo.as_deref(), &fills, &trades, quotes.as_deref());
    if a.json {
        #[derive(Serialize)]
        struct Out<'a> {
            #[serde(flatten)]
            report: &'a TcaReport,
            pre_trade_basis: &'a EstimateBasis,
        }
        let out = Out { report: &report, pre_trade_basis: &basis };
        let text = serde_json::to_string_pretty(&out).map_err(|e| CliError::runtime(e.to_string()))?;
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
    println!("  {}", super::estimate::basis_line(&basis));
    if let Some(pt) = &report.pre_trade {
        for line in crate::cli::order_report::pre_trade_lines(pt, chrono_tz::UTC) {
            println!("{line}");
        }
    }
    Ok(())
}

/// Sets the report's pre-trade estimate beside the realised cost (the
/// figures from the tape before the arrival) and says how it was made, or
/// why there is none.
fn pre_trade(
    report: &mut TcaReport,
    inst: Option<crate::model::Instrument>,
    order: &ImportedOrder,
    algo: Option<&str>,
    rows: &[crate::market::replay::csv::RecFill],
    trades: &[crate::market::replay::csv::RecTrade],
    quotes: Option<&[RecQuote]>,
) -> EstimateBasis {
    let none = |why: &str| EstimateBasis {
        market: None,
        algo: None,
        schedule_from: ScheduleFrom::Default,
        schedule_note: None,
        unavailable: Some(why.to_string()),
    };
    let Some(inst) = inst else {
        return none(
            "give --symbol (an instrument of the universe: its calendar and intraday curve) for a pre-trade estimate",
        );
    };
    let (Some(first), Some(last), Some(arrival_px)) = (rows.first(), rows.last(), report.arrival_px) else {
        return none("no arrival price");
    };
    // The order's arrival, or just before its first fill (as the report takes it).
    let at = order.arrival.unwrap_or(Timestamp(first.ts.0 - 1));
    let end = order.end.unwrap_or(last.ts);
    let mut history = MarketHistory::new(inst.clone());
    for t in trades {
        history.trade(*t);
    }
    history.finish();
    let quoted = quotes.and_then(|q| super::estimate::spread_at(q, at));
    let figures = history.figures(at, quoted);
    let fills = to_fills(order.side, rows);
    let quote_mids = quotes.map(|q| QuoteMids::new(q.iter().map(|q| (q.ts, q.bid(), q.ask()))));
    let last_trade = LastPrint(trades);
    let mids: &dyn MidSource = match &quote_mids {
        Some(q) if !q.is_empty() => q,
        _ => &last_trade,
    };
    let o = super::estimate::Order {
        side: order.side,
        qty: order.qty,
        arrival: at,
        end,
        arrival_px,
        algo,
        limit: None,
        quote_per: 1,
    };
    let (pt, basis) = super::estimate::compare(
        Some(&inst),
        figures.as_ref().map_err(String::as_str),
        &o,
        &fills,
        mids,
        &Coefficients::default(),
    );
    report.pre_trade = pt;
    basis
}

/// The last market print at or before a time, read from the trades as
/// given (the mid's stand-in without quotes, as `tca::LastTrade` on a tape).
struct LastPrint<'a>(&'a [crate::market::replay::csv::RecTrade]);

impl MidSource for LastPrint<'_> {
    fn mid_at(&self, t: Timestamp) -> Option<f64> {
        let i = self.0.partition_point(|p| p.ts <= t);
        i.checked_sub(1).map(|k| self.0[k].px.to_f64())
    }
    fn last_time(&self) -> Option<Timestamp> {
        self.0.last().map(|p| p.ts)
    }
}
