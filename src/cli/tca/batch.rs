//! `blotter tca --orders ...`: many orders, read, checked, analysed against
//! the market data in one pass, then shown as text, JSON, HTML or in the TUI.

use super::market_files::{Kind, MarketFile, feed};
use super::order_files::{read_order_fills, read_orders};
use super::{CliError, TcaArgs};
use crate::tca::batch::{Batch, Issue};
use crate::tca::fix::DropCopyStats;
use crate::tca::group::{Dim, parse_dims};
use crate::tca::review::{Review, review};
use chrono_tz::Tz;
use std::path::PathBuf;

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

/// Where a batch's data comes from and how to group it: what `--orders`
/// (or `--fix`), `--trades`, `--quotes`, `--group-by`, `--tz` and
/// `--outliers` say, already checked.
pub struct Inputs {
    /// Orders and fills as CSV, or a FIX drop copy.
    pub source: Source,
    /// `--trades` arguments (FILE or SYMBOL=FILE).
    pub trades: Vec<String>,
    /// `--quotes` arguments.
    pub quotes: Vec<String>,
    /// Groupings (empty: each dimension the orders fill in).
    pub dims: Vec<Vec<Dim>>,
    /// Zone of days and times.
    pub tz: Tz,
    /// Outlier threshold in standard deviations.
    pub outlier_sd: f64,
    /// Fail on any issue.
    pub strict: bool,
    /// Instruments of the pre-trade estimates (a symbol it lacks gets none, and says why).
    pub universe: crate::market::Universe,
}

/// Where orders and fills come from.
pub enum Source {
    /// ORDERS.csv and FILLS.csv.
    Csv {
        /// Orders.
        orders: PathBuf,
        /// Fills.
        fills: PathBuf,
    },
    /// A FIX drop copy; `check` verifies BodyLength and CheckSum.
    Fix {
        /// The log.
        log: PathBuf,
        /// Verify framing.
        check: bool,
    },
}

/// How long each step of an analysis took, milliseconds.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Timings {
    /// Reading and checking orders and fills.
    pub orders_ms: f64,
    /// Reading the market data (the one pass).
    pub market_ms: f64,
    /// Every order's figures, the groupings and the fit.
    pub analysis_ms: f64,
}

/// The batch's review, what a drop copy held, and the time each step took.
pub fn analyse(i: &Inputs) -> Result<(Review, Option<DropCopyStats>, Timings), CliError> {
    let mut t = Timings::default();
    let clock = std::time::Instant::now();
    let (orders, fills, drop_copy) = match &i.source {
        Source::Fix { log, check } => {
            let text =
                std::fs::read_to_string(log).map_err(|e| CliError::usage(format!("--fix {}: {e}", log.display())))?;
            let d = crate::tca::fix::read(&log.display().to_string(), &text, *check)
                .map_err(|e| CliError::usage(format!("--fix: {e}")))?;
            (d.orders, d.fills, Some(d.stats))
        }
        Source::Csv { orders, fills } => {
            let o = read_orders(orders).map_err(|e| CliError::usage(format!("--orders: {e}")))?;
            let f = read_order_fills(fills).map_err(|e| CliError::usage(format!("--fills: {e}")))?;
            (o, f, None)
        }
    };
    let mut batch = Batch::new(orders, fills).map_err(|e| CliError::usage(e.to_string()))?;
    t.orders_ms = clock.elapsed().as_secs_f64() * 1e3;
    let clock = std::time::Instant::now();
    let known: Vec<_> = batch
        .market()
        .symbols()
        .filter_map(|(id, name)| i.universe.instrument(name).map(|inst| (id, inst.clone())))
        .collect();
    for (id, inst) in known {
        batch.market().keep_history(id, inst);
    }
    for (flag, kind, files) in [("--trades", Kind::Trades, &i.trades), ("--quotes", Kind::Quotes, &i.quotes)] {
        for f in files {
            let f = MarketFile::parse(f);
            feed(&f, kind, batch.market()).map_err(|e| CliError::usage(format!("{flag}: {e}")))?;
        }
    }
    t.market_ms = clock.elapsed().as_secs_f64() * 1e3;
    let clock = std::time::Instant::now();
    let mut report = batch.finish();
    for o in &mut report.orders {
        estimate_order(o, &i.universe);
    }
    if i.strict && !report.issues.is_empty() {
        return Err(strict_failure(&report.issues));
    }
    let review = review(report, &i.dims, i.tz, i.outlier_sd);
    t.analysis_ms = clock.elapsed().as_secs_f64() * 1e3;
    Ok((review, drop_copy, t))
}

/// Sets an order's pre-trade estimate beside its realised cost, or says why there is none.
fn estimate_order(o: &mut crate::tca::batch::OrderTca, universe: &crate::market::Universe) {
    let inst = universe.instrument(&o.order.symbol);
    let Some(arrival_px) = o.tca.arrival_px else { return };
    let order = super::estimate::Order {
        side: o.order.side,
        qty: o.order.qty,
        arrival: o.order.arrival,
        end: o.order.end,
        arrival_px,
        algo: o.order.algo.as_deref(),
        limit: o.order.limit_px,
        quote_per: o.order.quote_per,
    };
    let figures = match &o.market_figures {
        Some(Ok(f)) => Ok(f),
        Some(Err(why)) => Err(why.as_str()),
        None => Err("the symbol is not in the universe"),
    };
    let mids = super::estimate::AtFills { fills: &o.fills, mids: &o.fill_mids };
    let k = crate::impact::Coefficients::default();
    let (pt, basis) = super::estimate::compare(inst, figures, &order, &o.fills, &mids, &k);
    o.tca.pre_trade = pt;
    o.pre_trade_basis = Some(basis);
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
    let source = match &a.fix {
        Some(log) => Source::Fix { log: log.clone(), check: !a.fix_no_checksum },
        None => Source::Csv {
            orders: a.orders.clone().ok_or_else(|| CliError::usage("--orders: required"))?,
            fills: a.fills.clone().ok_or_else(|| CliError::usage("--fills: required with --orders"))?,
        },
    };
    let inputs = Inputs {
        source,
        trades: a.trades.clone(),
        quotes: a.quotes.clone(),
        dims,
        tz,
        outlier_sd: a.outliers,
        strict: a.strict,
        universe: super::universe(a)?,
    };
    let (review, drop_copy, _) = analyse(&inputs)?;
    if let Some(path) = &a.report {
        write_report(&review, charts, path)?;
    }
    if a.tui {
        return crate::tui::tca_review::run(review).map_err(|e| CliError::runtime(format!("--tui: {e}")));
    }
    if a.json {
        let mut doc = serde_json::to_value(&review).map_err(|e| CliError::runtime(e.to_string()))?;
        if let (Some(stats), Some(map)) = (drop_copy, doc.as_object_mut()) {
            map.insert("drop_copy".into(), serde_json::to_value(stats).map_err(|e| CliError::runtime(e.to_string()))?);
        }
        println!("{doc}");
        return Ok(());
    }
    if let Some(s) = drop_copy {
        println!(
            "FIX drop copy: {} messages, {} orders ({} rejected, left out), {} executions, {} busted, {} corrected, {} resent and skipped",
            s.messages, s.orders, s.rejected, s.executions, s.busts, s.corrections, s.duplicates
        );
    }
    super::text::print(&review, tz);
    if let Some(path) = &a.report {
        println!("report written to {}", path.display());
    }
    Ok(())
}

/// Writes the HTML report; returns its size in bytes.
pub fn write_report(review: &Review, charts: Charts, path: &std::path::Path) -> Result<usize, CliError> {
    let html = crate::tca::html::page(review, charts_for(charts));
    std::fs::write(path, &html).map_err(|e| CliError::runtime(format!("--report {}: {e}", path.display())))?;
    Ok(html.len())
}

fn charts_for(c: Charts) -> Option<usize> {
    match c {
        Charts::Top(n) => Some(n),
        Charts::All => None,
    }
}
