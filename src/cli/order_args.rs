//! The order-describing flags shared by `run`, `schedule` and `compare`, and
//! their translation into an engine request with field-specific errors.

use super::CliError;
use crate::engine::{EngineConfig, OrderRequest};
use crate::market::{Universe, session};
use crate::model::{AlgoKind, Instrument, Price, Qty, Side, Timestamp, time::parse_hhmm};
use chrono::{NaiveDate, Utc};
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Flags that describe one parent order and the simulated day it runs in.
#[derive(Debug, Clone, Args)]
pub struct OrderArgs {
    /// Instrument symbol (e.g. AAPL, BTC-USD, EUR/USD).
    #[arg(long)]
    pub symbol: String,
    /// buy or sell.
    #[arg(long)]
    pub side: String,
    /// Quantity; accepts k/m suffixes (250k).
    #[arg(long, allow_hyphen_values = true)]
    pub qty: String,
    /// Algorithm: twap, vwap, pov, iceberg, is, sniper, moc.
    #[arg(long, default_value = "twap")]
    pub algo: String,
    /// Window start, HH:MM in the instrument's exchange time zone (default: the open).
    #[arg(long)]
    pub start: Option<String>,
    /// Window end, HH:MM in the instrument's exchange time zone (default: the close).
    #[arg(long)]
    pub end: Option<String>,
    /// Limit price.
    #[arg(long = "limit", allow_hyphen_values = true)]
    pub limit: Option<String>,
    /// Algorithm parameter as key=value (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Trading date YYYY-MM-DD (default: the latest trading day up to today).
    #[arg(long)]
    pub date: Option<String>,
    /// Seed of the simulated market.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Instruments/venues TOML merged over the built-in defaults.
    #[arg(long, value_name = "FILE")]
    pub universe: Option<PathBuf>,
    /// Queue-position model of the venues: risk-averse (default), log,
    /// power[:n] or power3[:n] (see docs/market-model.md).
    #[arg(long, value_name = "NAME")]
    pub queue: Option<String>,
}

/// Parses `--queue`.
pub fn parse_queue(raw: Option<&str>) -> Result<Option<crate::model::QueueModel>, CliError> {
    raw.map(|q| q.parse().map_err(|e| usage("queue", e))).transpose()
}

/// An order ready for the engine, with what was resolved along the way.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Instruments and venues.
    pub universe: Universe,
    /// The instrument.
    pub inst: Instrument,
    /// Trading date.
    pub date: NaiveDate,
    /// Engine configuration (seed, date, the one symbol).
    pub config: EngineConfig,
    /// The request.
    pub request: OrderRequest,
}

fn usage(field: &str, msg: impl std::fmt::Display) -> CliError {
    CliError::usage(format!("--{field}: {msg}"))
}

impl OrderArgs {
    /// The instruments and venues: `--universe` merged over the built-in defaults.
    pub fn load_universe(&self) -> Result<Universe, CliError> {
        super::universe_args::load(self.universe.as_deref())
    }

    /// `--date`, when given.
    pub fn given_date(&self) -> Result<Option<NaiveDate>, CliError> {
        self.date.as_deref().map(|d| crate::model::time::parse_date(d).map_err(|e| usage("date", e))).transpose()
    }

    /// Validates the flags that do not need the engine and builds the request.
    pub fn resolve(&self) -> Result<Resolved, CliError> {
        let universe = self.load_universe()?;
        let inst = universe
            .instrument(&self.symbol)
            .cloned()
            .ok_or_else(|| usage("symbol", universe.unknown_symbol(&self.symbol)))?;
        let side: Side = self.side.parse().map_err(|e| usage("side", e))?;
        let qty = Qty::parse_human(&self.qty)
            .map_err(|e| usage("qty", format!("{e}; allowed: a positive quantity such as 200000 or 250k")))?;
        if !qty.is_positive() {
            return Err(usage("qty", format!("{qty} must be positive")));
        }
        let algo: AlgoKind = self.algo.parse().map_err(|e| usage("algo", e))?;
        let limit_px = match &self.limit {
            Some(s) => {
                let p = Price::parse(s).map_err(|e| usage("limit", format!("{e}; allowed: a positive price")))?;
                if !p.is_positive() {
                    return Err(usage("limit", format!("{p} must be positive")));
                }
                Some(p)
            }
            None => None,
        };
        let params = parse_params(&self.params)?;
        let tz = session::tz_of(inst.calendar);
        let date = match self.given_date()? {
            Some(d) => d,
            None => session::last_trading_day(inst.calendar, &inst.listing, Utc::now().with_timezone(&tz).date_naive()),
        };
        let sess = session::session(inst.calendar, &inst.listing, date)
            .map_err(|e| usage("date", format!("{}: {e}", inst.symbol)))?;
        let time = |field: &str, s: &Option<String>| -> Result<Option<Timestamp>, CliError> {
            let Some(s) = s else { return Ok(None) };
            if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s.trim()) {
                return Ok(Some(Timestamp::from_utc(dt.with_timezone(&Utc))));
            }
            let t = parse_hhmm(s)
                .ok_or_else(|| usage(field, format!("'{s}' is not a time; allowed: HH:MM in {}", tz.name())))?;
            // FX sessions start the evening before the value date.
            let day = if inst.calendar == crate::model::Calendar::Fx && Timestamp::from_local(tz, date, t) >= sess.close
            {
                date.pred_opt().unwrap_or(date)
            } else {
                date
            };
            Ok(Some(Timestamp::from_local(tz, day, t)))
        };
        let start = time("start", &self.start)?.or(Some(sess.open));
        let end = time("end", &self.end)?;
        if let (Some(s), Some(e)) = (start, end)
            && e <= s
        {
            return Err(usage("end", format!("{} is not after --start {}", sess.local_hhmm(e), sess.local_hhmm(s))));
        }
        let mut config = EngineConfig::new(self.seed, date);
        config.symbols = Some(vec![inst.symbol.to_string()]);
        config.market.queue = parse_queue(self.queue.as_deref())?;
        let request = OrderRequest {
            symbol: inst.symbol.to_string(),
            side,
            qty,
            algo,
            params,
            start,
            end,
            limit_px,
            decision_px: None,
            acknowledge_warnings: false,
        };
        Ok(Resolved { universe, inst, date, config, request })
    }
}

/// Parses repeated `key=value` flags.
pub fn parse_params(raw: &[String]) -> Result<BTreeMap<String, String>, CliError> {
    let mut out = BTreeMap::new();
    for p in raw {
        let Some((k, v)) = p.split_once('=') else {
            return Err(usage("param", format!("'{p}' is not key=value (e.g. --param slices=10)")));
        };
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() || v.is_empty() {
            return Err(usage("param", format!("'{p}' needs both a key and a value (e.g. --param slices=10)")));
        }
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(usage("param", format!("'{k}' is given twice")));
        }
    }
    Ok(out)
}

/// Parses `--decision-price`: a positive price.
pub fn parse_decision(s: Option<&str>) -> Result<Option<crate::model::Price>, CliError> {
    let Some(s) = s else { return Ok(None) };
    match crate::model::Price::parse(s) {
        Ok(p) if p.is_positive() => Ok(Some(p)),
        Ok(p) => Err(CliError::usage(format!("--decision-price: {p} must be positive"))),
        Err(e) => Err(CliError::usage(format!("--decision-price: {e}; allowed: a positive price"))),
    }
}
