//! Recorded market data that can replace the synthetic market: readers for
//! the generic CSV (`csv`) and LOBSTER (`lobster`) formats, OHLCV bars turned
//! into prints (`bars`), and the `Recording` a replay market is driven by
//! (`InstrumentMarket::replay`).
//!
//! In a replay the recorded tape drives the algorithms and the fill
//! simulation, and the recorded quotes are the venue's book:
//! - a passive child fills when a recorded trade prints at its price (after
//!   the displayed queue ahead of it) or through it (then in full, up to the
//!   trade's size); the part of the trade we take is no longer printed as
//!   someone else's, so total printed volume equals the recording;
//! - an aggressive child walks the recorded book, shifted by the impact of our
//!   own fills (the simulator's permanent and transient impact, `MarketParams`)
//!   and missing the liquidity we already took until it refills over the
//!   venue's resilience time; when the recording has only the top of book,
//!   deeper levels are extrapolated, priced by the impact model's depth
//!   profile, with the typical touch size growing by `depth_slope` per
//!   level, and what we take from them refills only as the tape prints on
//!   that side (see `market::sim::replay::depth_offsets`);
//! - without quotes, the book is the synthetic one quoted around the last
//!   recorded trade.

pub mod bars;
pub mod coefficients;
pub mod csv;
pub mod estimate;
pub mod lobster;
pub mod running;
pub mod trades;

use crate::model::Timestamp;
use chrono::NaiveDate;
use chrono_tz::Tz;
pub use csv::{ImportError, RecFill, RecQuote, RecTrade};
use serde::Serialize;
use std::path::Path;
pub use trades::RecTrades;

/// File formats of recorded data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Generic CSV (also Binance/Nautilus exports).
    Csv,
    /// LOBSTER message + orderbook files.
    Lobster,
    /// OHLCV bars (timestamp, open, high, low, close, volume), each turned into prints.
    Bars,
}

impl Format {
    /// `auto`, `csv`, `lobster` or `bars`; auto decides between CSV and LOBSTER from the trades file name.
    pub fn parse(s: &str, trades: &Path) -> Result<Format, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(if lobster::looks_like_lobster(trades) { Format::Lobster } else { Format::Csv }),
            "csv" => Ok(Format::Csv),
            "lobster" => Ok(Format::Lobster),
            "bars" => Ok(Format::Bars),
            other => Err(format!("'{other}' is not a format; allowed: auto, csv, lobster, bars")),
        }
    }
}

/// What a reference price was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefKind {
    /// The mid of a recorded quote.
    Quote,
    /// A recorded print.
    Print,
}

/// The recorded price known at some moment (see [`Recording::reference_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Reference {
    /// When it was recorded.
    pub at: Timestamp,
    /// The price (a mid may fall between ticks).
    pub px: f64,
    /// Quote mid or print.
    pub from: RefKind,
    /// True when it was recorded after the moment asked about (nothing was
    /// recorded before it): a look-ahead the report flags.
    pub look_ahead: bool,
}

/// Recorded trades and quotes of one instrument, in time order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recording {
    /// Where it came from (file names), for reports.
    pub source: String,
    /// Venue to replay it on (`None`: the instrument's listing venue).
    pub venue: Option<String>,
    /// Trades (held compactly: a replay keeps its own tape of prints beside them).
    pub trades: RecTrades,
    /// Quotes (each a book snapshot, best level first).
    pub quotes: Vec<RecQuote>,
    /// True when the trades were made from OHLCV bars (their prices walk the
    /// bar's range: no bid-ask bounce to read a spread from).
    pub from_bars: bool,
    /// When the recorded market is known past its last event: bars cover
    /// their whole last bar, after its last print (`None`: to the last event).
    pub until: Option<Timestamp>,
}

impl Recording {
    /// Loads a recording. LOBSTER times are seconds after midnight on `date`
    /// (default: the date in the file name) in `tz`; without `quotes`, the
    /// orderbook file beside a LOBSTER message file is used when it exists.
    /// Bars become prints on the file's own price and volume grids.
    pub fn load(
        trades: &Path,
        quotes: Option<&Path>,
        format: Format,
        date: Option<NaiveDate>,
        tz: Tz,
    ) -> Result<Recording, ImportError> {
        let mut until = None;
        let (t, q) = match format {
            Format::Csv => {
                let t = csv::read_trades(trades)?;
                let q = quotes.map(csv::read_quotes).transpose()?.unwrap_or_default();
                (t, q)
            }
            Format::Lobster => {
                let date = date.or_else(|| lobster::date_from_name(trades)).ok_or_else(|| {
                    ImportError::file(
                        trades,
                        "LOBSTER times are seconds after midnight: give --date (the file name has none)",
                    )
                })?;
                let sibling = trades
                    .file_name()
                    .and_then(|n| n.to_str())
                    .map(|n| trades.with_file_name(n.replace("_message_", "_orderbook_")))
                    .filter(|p| p.as_path() != trades && p.exists());
                let book = quotes.map(Path::to_path_buf).or(sibling);
                lobster::read(trades, book.as_deref(), date, tz)?
            }
            Format::Bars => {
                let b = bars::read(trades)?;
                let len = bars::bar_length(&b);
                until = b.last().map(|x| x.ts + len);
                let t = bars::to_trades(&b, len, bars::price_grid(&b), bars::volume_grid(&b));
                (t, quotes.map(csv::read_quotes).transpose()?.unwrap_or_default())
            }
        };
        if t.is_empty() {
            let what =
                if format == Format::Bars { "has no bars with volume to replay" } else { "has no trades to replay" };
            return Err(ImportError::file(trades, what));
        }
        let mut source = trades.display().to_string();
        if let Some(q) = quotes {
            source.push_str(&format!(" + {}", q.display()));
        }
        Ok(Recording {
            source,
            venue: None,
            trades: RecTrades::new(&t),
            quotes: q,
            from_bars: format == Format::Bars,
            until,
        })
    }

    /// The price a replay starting at `t` knows: the mid of the last two-sided
    /// quote at or before `t`, else the last print at or before `t`. Before
    /// the recording's first event there is none: then the first quote or
    /// print, whichever came first, marked as looked ahead.
    pub fn reference_at(&self, t: Timestamp) -> Option<Reference> {
        let two_sided = |q: &RecQuote| Some((q.bid()?.to_f64() + q.ask()?.to_f64()) / 2.0);
        let before = self.quotes.partition_point(|q| q.ts <= t);
        let quote = self.quotes[..before].iter().rev().find_map(|q| Some((q.ts, two_sided(q)?)));
        let print = self
            .trades
            .partition_point_ts(|x| x <= t)
            .checked_sub(1)
            .and_then(|i| self.trades.get(i))
            .map(|x| (x.ts, x.px.to_f64()));
        let (at, px, from, look_ahead) = match (quote, print) {
            (Some((at, px)), _) => (at, px, RefKind::Quote, false),
            (None, Some((at, px))) => (at, px, RefKind::Print, false),
            (None, None) => {
                let q = self.quotes.iter().find_map(|q| Some((q.ts, two_sided(q)?)));
                let p = self.trades.first().map(|x| (x.ts, x.px.to_f64()));
                match (q, p) {
                    (Some(q), Some(p)) if p.0 < q.0 => (p.0, p.1, RefKind::Print, true),
                    (Some(q), _) => (q.0, q.1, RefKind::Quote, true),
                    (None, Some(p)) => (p.0, p.1, RefKind::Print, true),
                    (None, None) => return None,
                }
            }
        };
        Some(Reference { at, px, from, look_ahead })
    }

    /// First and last event times.
    pub fn span(&self) -> Option<(Timestamp, Timestamp)> {
        let first = self.trades.first().map(|t| t.ts).into_iter().chain(self.quotes.first().map(|q| q.ts)).min()?;
        let last = self
            .trades
            .last()
            .map(|t| t.ts)
            .into_iter()
            .chain(self.quotes.last().map(|q| q.ts))
            .chain(self.until)
            .max()?;
        Some((first, last))
    }
}
