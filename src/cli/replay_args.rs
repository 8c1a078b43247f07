//! The flags that replace the synthetic market with recorded data, shared by
//! `run` and `compare`: `--trades FILE [--quotes FILE] [--data-format F]` or
//! `--bars FILE`, and `[--replay-venue V]`.

use super::order_args::Resolved;
use super::{CliError, OrderArgs};
use crate::market::replay::{Format, Recording};
use crate::market::session;
use crate::model::{Duration, Timestamp};
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;

/// Recorded market data to replay instead of the synthetic market.
#[derive(Debug, Clone, Default, Args)]
pub struct ReplayArgs {
    /// Recorded trades: CSV (timestamp, price, qty[, side]) or a LOBSTER message file.
    #[arg(long, value_name = "FILE", conflicts_with = "bars")]
    pub trades: Option<PathBuf>,
    /// Recorded OHLCV bars as CSV (timestamp, open, high, low, close, volume; ISO-8601 or epoch ms),
    /// each bar replayed as prints inside its high and low (see docs/market-model.md).
    #[arg(long, value_name = "FILE")]
    pub bars: Option<PathBuf>,
    /// Recorded quotes: CSV (timestamp, bid, bid_size, ask, ask_size) or a LOBSTER orderbook file.
    #[arg(long, value_name = "FILE", requires = "trades")]
    pub quotes: Option<PathBuf>,
    /// Format of the recorded files: auto, csv or lobster (auto: LOBSTER when the name has `_message_`).
    #[arg(long = "data-format", value_name = "F", default_value = "auto")]
    pub data_format: String,
    /// Venue the recording is replayed on (default: the instrument's listing venue).
    #[arg(long = "replay-venue", value_name = "VENUE")]
    pub venue: Option<String>,
}

impl ReplayArgs {
    /// The recorded file and its format (`bars` for `--bars`), if any.
    pub fn source(&self) -> Option<(&PathBuf, &str)> {
        match (&self.bars, &self.trades) {
            (Some(b), _) => Some((b, "bars")),
            (None, Some(t)) => Some((t, self.data_format.as_str())),
            (None, None) => None,
        }
    }

    /// What the ledger keeps to rebuild the market: the `--universe` text and
    /// the recorded-data flags.
    pub fn sources(&self, order: &OrderArgs) -> Result<crate::store::Sources, CliError> {
        let universe = match &order.universe {
            Some(p) => Some(
                std::fs::read_to_string(p).map_err(|e| CliError::usage(format!("--universe {}: {e}", p.display())))?,
            ),
            None => None,
        };
        let replay = self.source().map(|(file, format)| crate::store::ReplaySource {
            symbol: order.symbol.trim().to_string(),
            trades: file.clone(),
            quotes: self.quotes.clone(),
            format: format.to_string(),
            venue: self.venue.clone(),
        });
        Ok(crate::store::Sources { universe, replay: replay.into_iter().collect() })
    }

    /// The flag naming the recorded file, for messages.
    fn flag(&self) -> &'static str {
        if self.bars.is_some() { "--bars" } else { "--trades" }
    }

    /// Loads the recording (if any) and resolves the order on it: the date
    /// defaults to the recording's, and the window to its span.
    pub fn resolve(&self, order: &OrderArgs) -> Result<Resolved, CliError> {
        let Some((trades, format)) = self.source() else {
            if self.venue.is_some() {
                return Err(CliError::usage("--replay-venue: give the recorded data with --trades or --bars"));
            }
            return order.resolve();
        };
        let flag = self.flag();
        let universe = order.load_universe()?;
        let inst = super::universe_args::instrument(&universe, &order.symbol)?;
        let tz = session::tz_of(inst.calendar);
        let format = Format::parse(format, trades).map_err(|e| CliError::usage(format!("--data-format: {e}")))?;
        let date_flag = order.given_date()?;
        let mut rec = Recording::load(trades, self.quotes.as_deref(), format, date_flag, tz).map_err(|e| {
            // Named by the flag that gave the file at fault.
            let quotes = self.quotes.as_ref().is_some_and(|q| q.display().to_string() == e.path());
            CliError::usage(format!("{}: {e}", if quotes { "--quotes" } else { flag }))
        })?;
        rec.venue = self.venue.clone();
        off_tick(&rec, &inst).map_err(|e| CliError::usage(format!("{flag}: {e}")))?;
        let (first, last) = rec.span().ok_or_else(|| CliError::usage(format!("{flag}: the recording is empty")))?;
        let mut args = order.clone();
        let date = date_flag.unwrap_or_else(|| first.in_tz(tz).date_naive());
        args.date = Some(date.to_string());
        let mut r = args.resolve()?;
        let sess = session::session(inst.calendar, &inst.listing, date)
            .map_err(|e| CliError::usage(format!("--date: {}: {e}", inst.symbol)))?;
        if last < sess.open || first >= sess.close {
            return Err(CliError::usage(format!(
                "{flag}: the recording ({} to {}) is outside {}'s session on {date} ({})",
                first.to_utc().to_rfc3339(),
                last.to_utc().to_rfc3339(),
                inst.symbol,
                sess.describe()
            )));
        }
        // Without explicit times the order works over the recording (the last print included).
        if order.start.is_none() {
            r.request.start = Some(first.max(sess.open));
        }
        // ... and ends at its last event (`Recording::span`, the end of the
        // last bar for bars): a nanosecond after it, since a job due with the
        // last print would run before it (jobs at one time run in the order
        // they were queued) and the order would miss it.
        if order.end.is_none() {
            r.request.end = Some(Timestamp((last + Duration(1)).0.min(sess.close.0)));
        }
        // The order is placed when the recording begins (its first event, or
        // the open if it began before): placed earlier (at the open, 00:00
        // for crypto), its pre-trade estimate would read the first print or
        // quote, recorded later (278 ms later on the Binance sample). A start
        // before that is the placing time (a start in the past is "now").
        r.config.origin = Some(first.max(sess.open));
        // A window the recording has nothing in would trade on made-up data.
        let at = |t: Timestamp| format!("{} {}", t.in_tz(tz).format("%H:%M:%S%.3f"), tz.name());
        let span = format!("the recording runs from {} to {} on {date}", at(first), at(last));
        if let Some(s) = r.request.start.filter(|s| *s > last) {
            return Err(CliError::usage(format!(
                "--start: {} is after the recording's last event; {span}: give a start at or before {}, or leave \
                 --start out to work over the whole recording",
                at(s),
                at(last)
            )));
        }
        if let Some(e) = r.request.end.filter(|e| *e < first) {
            return Err(CliError::usage(format!(
                "--end: {} is before the recording's first event; {span}: give an end at or after {}, or leave \
                 --end out to work over the whole recording",
                at(e),
                at(first)
            )));
        }
        r.config.recordings.insert(inst.symbol.to_string(), Arc::new(rec));
        Ok(r)
    }
}

/// Share of recorded prints a replay may find off the instrument's tick
/// grid: a few (a midpoint cross at a half tick) are rounded to the nearest
/// tick; more means the recording is priced on a finer grid than the
/// instrument trades on, and every price would be rounded.
const OFF_TICK_SHARE: f64 = 0.1;

/// Refuses a recording priced finer than the instrument's tick (an ETH/BTC
/// recording at 0.08939998 replayed as ETH-USD, tick 0.01, traded at 0.10
/// against an arrival of 0.095: hundreds of bps of rounding reported as cost).
/// `run`, `compare` and `evaluate` all refuse it here.
pub(super) fn off_tick(rec: &Recording, inst: &crate::model::Instrument) -> Result<(), String> {
    let tick = inst.tick_size;
    let (mut off, mut example) = (0usize, None);
    for t in rec.trades.iter() {
        if !t.px.is_on_tick(tick) {
            off += 1;
            example.get_or_insert(t);
        }
    }
    let n = rec.trades.len();
    match example {
        Some(t) if off as f64 > OFF_TICK_SHARE * n as f64 => Err(format!(
            "{off} of the {n} recorded prints are off {}'s tick of {tick} (the first: {} at {}): the replay would \
             trade at prices the recording never had; give --universe FILE with a {} entry whose tick_size is the \
             recording's price step",
            inst.symbol,
            t.px,
            t.ts.to_utc().to_rfc3339(),
            inst.symbol
        )),
        _ => Ok(()),
    }
}
