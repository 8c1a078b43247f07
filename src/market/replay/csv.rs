//! Reading recorded market data and executions from CSV: trades (timestamp,
//! price, qty[, side]), quotes (timestamp, bid, bid size, ask, ask size) and
//! fills (timestamp, price, qty[, venue][, fee][, liquidity]).
//!
//! A header row is optional: when present, columns are found by name (with
//! common aliases, so Binance/Nautilus exports read as they are); without
//! one, columns are taken in the order above. Timestamps are ISO-8601
//! (an offset, or UTC when none is given) or epoch milliseconds. Numbers
//! with more decimals than the fixed-point grid (float artefacts such as
//! `0.00031099999999999997`, or `2e-06`) are rounded to the nearest representable value.
//! Every error names the file, the line and the column.

use crate::model::{Money, Price, Qty, Side, Timestamp};
use chrono::{DateTime, NaiveDateTime, Utc};
use std::path::Path;

/// Why a data file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened or read.
    #[error("{path}: {message}")]
    File {
        /// File path.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// One row is malformed.
    #[error("{path}:{line}: column '{column}': {message}")]
    Row {
        /// File path.
        path: String,
        /// 1-based line number.
        line: u64,
        /// Column name (from the header, or the expected name).
        column: String,
        /// What is wrong and what is allowed.
        message: String,
    },
}

impl ImportError {
    /// The file the error is about.
    pub fn path(&self) -> &str {
        match self {
            ImportError::File { path, .. } | ImportError::Row { path, .. } => path,
        }
    }

    /// A whole-file problem.
    pub fn file(path: &Path, message: impl Into<String>) -> ImportError {
        ImportError::File { path: path.display().to_string(), message: message.into() }
    }
}

/// A recorded market trade.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecTrade {
    /// When it printed.
    pub ts: Timestamp,
    /// Price.
    pub px: Price,
    /// Quantity.
    pub qty: Qty,
    /// Side of the aggressor, when the data says.
    pub aggressor: Option<Side>,
}

/// A recorded top-of-book quote (or deeper levels, best first).
#[derive(Debug, Clone, PartialEq)]
pub struct RecQuote {
    /// When it was observed.
    pub ts: Timestamp,
    /// Bid levels (price, size), best first.
    pub bids: Vec<(Price, Qty)>,
    /// Ask levels (price, size), best first.
    pub asks: Vec<(Price, Qty)>,
}

impl RecQuote {
    /// Best bid price.
    pub fn bid(&self) -> Option<Price> {
        self.bids.first().map(|l| l.0)
    }
    /// Best ask price.
    pub fn ask(&self) -> Option<Price> {
        self.asks.first().map(|l| l.0)
    }
}

/// An execution done elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub struct RecFill {
    /// When it executed.
    pub ts: Timestamp,
    /// Price.
    pub px: Price,
    /// Quantity.
    pub qty: Qty,
    /// Venue, when given.
    pub venue: Option<String>,
    /// Fee (negative = rebate), zero when not given.
    pub fee: Money,
    /// True when the fill added liquidity (`maker`), when given.
    pub maker: Option<bool>,
}

/// Parses a timestamp: ISO-8601 (offset or UTC) or epoch milliseconds.
pub fn parse_time(s: &str) -> Result<Timestamp, String> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        let ms: i64 = int.parse().map_err(|_| format!("'{t}' is out of range for epoch milliseconds"))?;
        if int.len() < 11 || int.len() > 14 {
            return Err(format!(
                "'{t}' does not look like epoch milliseconds (expected 11 to 14 digits, e.g. 1610064001076)"
            ));
        }
        let mut ns = ms.checked_mul(1_000_000).ok_or_else(|| format!("'{t}' is out of range"))?;
        let digits: String = frac.chars().take(6).collect();
        if !digits.is_empty() {
            let sub: i64 = digits.parse().map_err(|_| format!("'{t}' is not a number"))?;
            ns += sub * 10i64.pow(6 - digits.len() as u32);
        }
        return Ok(Timestamp(ns));
    }
    let representable = |dt: DateTime<Utc>| {
        Timestamp::checked_from_utc(dt).ok_or_else(|| {
            format!("'{t}' is outside the times this build can hold; allowed: 1677-09-21 to 2262-04-11 UTC")
        })
    };
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return representable(dt.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
            return representable(n.and_utc());
        }
    }
    Err(format!("'{t}' is not a timestamp; allowed: ISO-8601 (2021-01-08T00:00:01.076Z) or epoch milliseconds"))
}

/// Parses a price, rounding float artefacts onto the 9-decimal grid.
pub fn parse_price(s: &str) -> Result<Price, String> {
    lenient(s, Price::parse, Price::from_f64)
}

/// Parses a quantity, rounding float artefacts onto the 6-decimal grid.
pub fn parse_qty(s: &str) -> Result<Qty, String> {
    lenient(s, Qty::parse, Qty::from_f64)
}

fn lenient<T>(
    s: &str,
    exact: impl Fn(&str) -> Result<T, crate::model::NumError>,
    approx: impl Fn(f64) -> Option<T>,
) -> Result<T, String> {
    match exact(s) {
        Ok(v) => Ok(v),
        // Float exports: too many decimals, or scientific notation (2e-06).
        Err(e) => s.trim().parse::<f64>().ok().filter(|v| v.is_finite()).and_then(approx).ok_or_else(|| e.to_string()),
    }
}

/// One column: its accepted header names.
#[derive(Clone, Copy)]
pub(crate) struct Col {
    /// Name used in error messages.
    pub name: &'static str,
    /// Header names accepted for it (lower case).
    pub aliases: &'static [&'static str],
    /// Whether a header must have it.
    pub required: bool,
}

/// Where each wanted column sits in a file.
pub(crate) struct Layout {
    /// Field index per wanted column (`None` when absent).
    pub ix: Vec<Option<usize>>,
    /// The header name matched per wanted column (`None` without a header).
    pub names: Vec<Option<String>>,
}

/// Opens a CSV file, decides whether it has a header, and maps `cols` to
/// field indices. Returns the reader positioned at the first data row.
fn open(path: &Path, cols: &[Col]) -> Result<(csv::Reader<std::fs::File>, Layout), ImportError> {
    let builder = |headers: bool| {
        csv::ReaderBuilder::new()
            .has_headers(headers)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_path(path)
            .map_err(|e| ImportError::file(path, e.to_string()))
    };
    let mut rdr = builder(false)?;
    let mut first = csv::StringRecord::new();
    if !rdr.read_record(&mut first).map_err(|e| csv_error(path, e))? {
        return Err(ImportError::file(path, "is empty: expected a header or data rows"));
    }
    let has_header = parse_time(first.get(0).unwrap_or("")).is_err();
    let layout = if has_header {
        header_layout(path, &first, cols)?
    } else {
        Layout { ix: (0..cols.len()).map(Some).collect(), names: vec![None; cols.len()] }
    };
    // Re-open so that, without a header, the first row is read again as data.
    let rdr = builder(has_header)?;
    Ok((rdr, layout))
}

/// Maps `cols` to the fields of a header row (names matched case-insensitively against each column's aliases).
pub(crate) fn header_layout(path: &Path, header: &csv::StringRecord, cols: &[Col]) -> Result<Layout, ImportError> {
    let names: Vec<String> =
        header.iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_ascii_lowercase()).collect();
    let mut ix = Vec::new();
    for c in cols {
        let found = c.aliases.iter().find_map(|a| names.iter().position(|n| n == a));
        if found.is_none() && c.required {
            return Err(ImportError::Row {
                path: path.display().to_string(),
                line: 1,
                column: c.name.into(),
                message: format!("missing from the header; accepted names: {}", c.aliases.join(", ")),
            });
        }
        ix.push(found);
    }
    let names = ix.iter().map(|i| i.map(|i| names[i].clone())).collect();
    Ok(Layout { ix, names })
}

pub(crate) fn csv_error(path: &Path, e: csv::Error) -> ImportError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    ImportError::Row { path: path.display().to_string(), line, column: "-".into(), message: e.to_string() }
}

/// A row being read: fetches and parses fields, naming the line and column on failure.
pub(crate) struct Row<'a> {
    path: &'a Path,
    rec: &'a csv::StringRecord,
    /// 1-based line number.
    pub line: u64,
}

impl Row<'_> {
    /// An error about `column` on this row.
    pub fn err(&self, column: &str, message: impl Into<String>) -> ImportError {
        ImportError::Row {
            path: self.path.display().to_string(),
            line: self.line,
            column: column.into(),
            message: message.into(),
        }
    }
    /// The raw text of a field, `None` when absent or empty.
    pub fn opt(&self, ix: Option<usize>) -> Option<&str> {
        ix.and_then(|i| self.rec.get(i)).filter(|s| !s.is_empty())
    }
    /// A required field parsed with `f`.
    pub fn parse<T>(
        &self,
        col: &Col,
        ix: Option<usize>,
        f: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ImportError> {
        let s = self.opt(ix).ok_or_else(|| self.err(col.name, "is missing or empty"))?;
        f(s).map_err(|m| self.err(col.name, m))
    }
    /// An optional field parsed with `f`.
    pub fn parse_opt<T>(
        &self,
        col: &Col,
        ix: Option<usize>,
        f: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ImportError> {
        self.opt(ix).map(|s| f(s).map_err(|m| self.err(col.name, m))).transpose()
    }
}

/// Reads every row of `path`, calling `f` with the row and the column layout.
pub(crate) fn rows(
    path: &Path,
    cols: &[Col],
    mut f: impl FnMut(&Row<'_>, &Layout) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let (mut rdr, layout) = open(path, cols)?;
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let line = rec.position().map_or(0, |p| p.line());
                f(&Row { path, rec: &rec, line }, &layout)?;
            }
            Err(e) => return Err(csv_error(path, e)),
        }
    }
}

fn positive<T: Copy + std::fmt::Display>(
    what: &'static str,
    is_pos: fn(&T) -> bool,
) -> impl Fn(T) -> Result<T, String> {
    move |v| if is_pos(&v) { Ok(v) } else { Err(format!("{v} is not a positive {what}")) }
}

pub(crate) fn price_pos(s: &str) -> Result<Price, String> {
    parse_price(s).and_then(positive("price", |p: &Price| p.is_positive()))
}
pub(crate) fn qty_pos(s: &str) -> Result<Qty, String> {
    parse_qty(s).and_then(positive("quantity", |q: &Qty| q.is_positive()))
}
pub(crate) fn qty_nonneg(s: &str) -> Result<Qty, String> {
    parse_qty(s).and_then(|q| if q.is_negative() { Err(format!("{q} is negative")) } else { Ok(q) })
}

pub(crate) const TS_ALIASES: &[&str] = &["timestamp", "ts", "time", "datetime", "ts_event", "ts_ms", "date"];

pub(crate) const TRADE_COLS: [Col; 4] = [
    Col { name: "timestamp", aliases: TS_ALIASES, required: true },
    Col { name: "price", aliases: &["price", "px", "trade_price"], required: true },
    Col { name: "qty", aliases: &["qty", "quantity", "size", "volume", "amount", "shares"], required: true },
    Col {
        name: "side",
        aliases: &["side", "aggressor", "aggressor_side", "buyer_maker", "is_buyer_maker"],
        required: false,
    },
];

fn parse_aggressor(header_is_buyer_maker: bool) -> impl Fn(&str) -> Result<Side, String> {
    move |s: &str| {
        let t = s.trim().to_ascii_lowercase();
        if header_is_buyer_maker {
            // The buyer rested: the seller crossed.
            return match t.as_str() {
                "true" | "1" => Ok(Side::Sell),
                "false" | "0" => Ok(Side::Buy),
                _ => Err(format!("'{s}' is not true/false")),
            };
        }
        match t.as_str() {
            "buy" | "b" | "buyer" | "1" => Ok(Side::Buy),
            "sell" | "s" | "seller" | "-1" => Ok(Side::Sell),
            _ => Err(format!("'{s}' is not a side; allowed: buy, sell")),
        }
    }
}

/// Reads a trades file (sorted by time on return, stable for equal times).
pub fn read_trades(path: &Path) -> Result<Vec<RecTrade>, ImportError> {
    let mut out = Vec::new();
    rows(path, &TRADE_COLS, |r, l| {
        let buyer_maker = l.names[3].as_deref().is_some_and(|h| h.contains("maker"));
        out.push(RecTrade {
            ts: r.parse(&TRADE_COLS[0], l.ix[0], parse_time)?,
            px: r.parse(&TRADE_COLS[1], l.ix[1], price_pos)?,
            qty: r.parse(&TRADE_COLS[2], l.ix[2], qty_pos)?,
            aggressor: r.parse_opt(&TRADE_COLS[3], l.ix[3], parse_aggressor(buyer_maker))?,
        });
        Ok(())
    })?;
    out.sort_by_key(|t| t.ts);
    Ok(out)
}

pub(crate) const QUOTE_COLS: [Col; 5] = [
    Col { name: "timestamp", aliases: TS_ALIASES, required: true },
    Col { name: "bid", aliases: &["bid", "bid_px", "bid_price", "bid_px_00"], required: true },
    Col { name: "bid_size", aliases: &["bid_size", "bid_qty", "bid_sz", "bid_sz_00"], required: true },
    Col { name: "ask", aliases: &["ask", "ask_px", "ask_price", "ask_px_00"], required: true },
    Col { name: "ask_size", aliases: &["ask_size", "ask_qty", "ask_sz", "ask_sz_00"], required: true },
];

/// Reads a top-of-book quotes file (sorted by time on return).
pub fn read_quotes(path: &Path) -> Result<Vec<RecQuote>, ImportError> {
    let mut out = Vec::new();
    rows(path, &QUOTE_COLS, |r, l| {
        let map = &l.ix;
        let ts = r.parse(&QUOTE_COLS[0], map[0], parse_time)?;
        let bid = r.parse(&QUOTE_COLS[1], map[1], price_pos)?;
        let bid_size = r.parse(&QUOTE_COLS[2], map[2], qty_nonneg)?;
        let ask = r.parse(&QUOTE_COLS[3], map[3], price_pos)?;
        let ask_size = r.parse(&QUOTE_COLS[4], map[4], qty_nonneg)?;
        if ask < bid {
            return Err(r.err("ask", format!("{ask} is below the bid {bid} (crossed quote)")));
        }
        out.push(RecQuote { ts, bids: vec![(bid, bid_size)], asks: vec![(ask, ask_size)] });
        Ok(())
    })?;
    out.sort_by_key(|q| q.ts);
    Ok(out)
}

pub(crate) const FILL_COLS: [Col; 6] = [
    Col { name: "timestamp", aliases: TS_ALIASES, required: true },
    Col { name: "price", aliases: &["price", "px", "fill_price", "last_px"], required: true },
    Col { name: "qty", aliases: &["qty", "quantity", "size", "shares", "last_qty", "amount"], required: true },
    Col { name: "venue", aliases: &["venue", "exchange", "market", "last_mkt"], required: false },
    Col { name: "fee", aliases: &["fee", "fees", "commission"], required: false },
    Col { name: "liquidity", aliases: &["liquidity", "liq", "maker_taker"], required: false },
];

/// One row of a fills file, with `ix` the field of each of `FILL_COLS`.
pub(crate) fn fill_row(r: &Row<'_>, ix: &[Option<usize>]) -> Result<RecFill, ImportError> {
    let maker = r.parse_opt(&FILL_COLS[5], ix[5], |s| match s.to_ascii_lowercase().as_str() {
        "maker" | "m" | "passive" | "add" => Ok(true),
        "taker" | "t" | "aggressive" | "remove" => Ok(false),
        _ => Err(format!("'{s}' is not a liquidity flag; allowed: maker, taker")),
    })?;
    Ok(RecFill {
        ts: r.parse(&FILL_COLS[0], ix[0], parse_time)?,
        px: r.parse(&FILL_COLS[1], ix[1], price_pos)?,
        qty: r.parse(&FILL_COLS[2], ix[2], qty_pos)?,
        venue: r.opt(ix[3]).map(str::to_string),
        fee: r.parse_opt(&FILL_COLS[4], ix[4], |s| Money::parse(s).map_err(|e| e.to_string()))?.unwrap_or_default(),
        maker,
    })
}

/// Reads a fills file (sorted by time on return).
pub fn read_fills(path: &Path) -> Result<Vec<RecFill>, ImportError> {
    let mut out = Vec::new();
    rows(path, &FILL_COLS, |r, l| {
        out.push(fill_row(r, &l.ix)?);
        Ok(())
    })?;
    out.sort_by_key(|f| f.ts);
    Ok(out)
}

#[cfg(test)]
mod tests;
