//! The flags that replace the synthetic market with recorded data, shared by
//! `run` and `compare`: `--trades FILE [--quotes FILE] [--data-format F]
//! [--replay-venue V]`.

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
    #[arg(long, value_name = "FILE")]
    pub trades: Option<PathBuf>,
    /// Recorded quotes: CSV (timestamp, bid, bid_size, ask, ask_size) or a LOBSTER orderbook file.
    #[arg(long, value_name = "FILE", requires = "trades")]
    pub quotes: Option<PathBuf>,
    /// Format of the recorded files: auto, csv or lobster (auto: LOBSTER when the name has `_message_`).
    #[arg(long = "data-format", value_name = "F", default_value = "auto")]
    pub data_format: String,
    /// Venue the recording is replayed on (default: the instrument's listing venue).
    #[arg(long = "replay-venue", value_name = "VENUE", requires = "trades")]
    pub venue: Option<String>,
}

impl ReplayArgs {
    /// Loads the recording (if any) and resolves the order on it: the date
    /// defaults to the recording's, and the window to its span.
    pub fn resolve(&self, order: &OrderArgs) -> Result<Resolved, CliError> {
        let Some(trades) = &self.trades else { return order.resolve() };
        let universe = order.load_universe()?;
        let inst = universe
            .instrument(&order.symbol)
            .cloned()
            .ok_or_else(|| CliError::usage(format!("--symbol: {}", universe.unknown_symbol(&order.symbol))))?;
        let tz = session::tz_of(inst.calendar);
        let format =
            Format::parse(&self.data_format, trades).map_err(|e| CliError::usage(format!("--data-format: {e}")))?;
        let date_flag = order.given_date()?;
        let mut rec = Recording::load(trades, self.quotes.as_deref(), format, date_flag, tz)
            .map_err(|e| CliError::usage(format!("--trades: {e}")))?;
        rec.venue = self.venue.clone();
        let (first, last) = rec.span().ok_or_else(|| CliError::usage("--trades: the recording is empty"))?;
        let mut args = order.clone();
        let date = date_flag.unwrap_or_else(|| first.in_tz(tz).date_naive());
        args.date = Some(date.to_string());
        let mut r = args.resolve()?;
        let sess = session::session(inst.calendar, &inst.listing, date)
            .map_err(|e| CliError::usage(format!("--date: {}: {e}", inst.symbol)))?;
        if last < sess.open || first >= sess.close {
            return Err(CliError::usage(format!(
                "--trades: the recording ({} to {}) is outside {}'s session on {date} ({})",
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
        if order.end.is_none() {
            r.request.end = Some(Timestamp((last + Duration::secs(1)).0.min(sess.close.0)));
        }
        r.config.recordings.insert(inst.symbol.to_string(), Arc::new(rec));
        Ok(r)
    }
}
