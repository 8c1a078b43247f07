//! `blotter calibrate`: an instrument's market figures estimated from a
//! recording (ADV, daily volatility, spread, average trade size, touch depth,
//! the intraday volume profile) and, given a ledger, the square-root impact
//! coefficient from our own past orders; printed, and written as a universe
//! entry that `--universe` reads.
//!
//! The figures are the ones a replay of the same recording runs on
//! (`market::replay::coefficients`), the profile is `market::profile`'s, the
//! impact fit `impact::fit`'s.
//!
//! `--simulated` calibrates the pre-trade estimate against the simulated
//! market instead (`simulated`).

mod simulated;

use super::CliError;
use super::ledger_args::store_error;
use crate::impact::fit::{ImpactFit, ImpactSample, fit_y};
use crate::market::profile::{LearnOptions, learn};
use crate::market::replay::coefficients::{Coefficient, recorded_instrument};
use crate::market::replay::estimate::{Estimates, estimate};
use crate::market::replay::{Format, Recording};
use crate::market::session;
use crate::model::{Duration, Instrument, Liquidity, Qty};
use crate::store::Ledger;
use crate::store::query::OrderFilter;
use chrono::NaiveDate;
use clap::Args;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Shortest stretch of session time the daily figures are estimated from.
pub const MIN_SPAN: Duration = Duration::mins(30);
/// Fewest prints the figures are estimated from.
pub const MIN_PRINTS: usize = 100;

/// Flags of `blotter calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Instrument the recording is of (its calendar, tick, lot and venues stay the universe's).
    #[arg(long)]
    symbol: String,
    /// Recorded trades: CSV (timestamp, price, qty[, side]) or a LOBSTER message file.
    #[arg(long, value_name = "FILE", required_unless_present_any = ["bars", "simulated"], conflicts_with = "bars")]
    trades: Option<PathBuf>,
    /// Recorded OHLCV bars instead of trades (no spread can be read from bars).
    #[arg(long, value_name = "FILE")]
    bars: Option<PathBuf>,
    /// Recorded quotes: CSV (timestamp, bid, bid_size, ask, ask_size) or a LOBSTER orderbook file.
    #[arg(long, value_name = "FILE", requires = "trades")]
    quotes: Option<PathBuf>,
    /// Format of the trades file: auto, csv or lobster.
    #[arg(long = "data-format", value_name = "F", default_value = "auto")]
    data_format: String,
    /// Date of a LOBSTER file whose name has none, or the trading day of --simulated (YYYY-MM-DD).
    #[arg(long)]
    date: Option<String>,
    /// Instruments/venues TOML merged over the built-in defaults (the entry calibrated starts from it).
    #[arg(long, value_name = "FILE")]
    universe: Option<PathBuf>,
    /// Ledger whose finished orders in the symbol give the impact coefficient
    /// (sqlite:PATH or postgres://...); without it no impact coefficient is fitted.
    #[arg(long = "db", value_name = "URL")]
    db: Option<String>,
    /// Write the calibrated instrument as a universe file (for `--universe`).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    json: bool,
    /// Calibrate the pre-trade estimate against the simulated market instead
    /// of reading a recording: a sweep of algorithms x sizes x seeds, estimate
    /// against realised (docs/market-model.md).
    #[arg(long, conflicts_with_all = ["trades", "bars", "quotes", "db", "out"])]
    simulated: bool,
    #[command(flatten)]
    sweep: simulated::SimulatedArgs,
}

/// The intraday profile's outcome.
#[derive(Debug, Serialize)]
struct ProfileOutcome {
    /// Shares per bucket, when learned.
    shares: Option<Vec<f64>>,
    /// Bucket length, seconds.
    bucket_s: i64,
    /// Sessions learned from.
    days: Vec<NaiveDate>,
    /// Why none was learned.
    note: Option<String>,
}

/// Everything `calibrate` found.
#[derive(Debug, Serialize)]
struct Calibration {
    symbol: String,
    source: String,
    estimates: Estimates,
    coefficients: Vec<Coefficient>,
    volume_profile: ProfileOutcome,
    impact: Option<ImpactFit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    written: Option<String>,
}

/// Runs `blotter calibrate`.
pub fn calibrate(a: &CalibrateArgs) -> Result<(), CliError> {
    if a.simulated {
        let common = simulated::Common {
            symbol: &a.symbol,
            date: a.date.as_deref(),
            universe: a.universe.as_deref(),
            json: a.json,
        };
        return simulated::calibrate(&common, &a.sweep);
    }
    let universe = super::universe_args::load(a.universe.as_deref())?;
    let base = super::universe_args::instrument(&universe, &a.symbol)?;
    let (flag, file, format) = match (&a.bars, &a.trades) {
        (Some(b), _) => ("--bars", b, Format::Bars),
        (None, Some(t)) => ("--trades", t, Format::parse(&a.data_format, t).map_err(|e| usage("--data-format", e))?),
        (None, None) => return Err(CliError::usage("give the recording with --trades FILE or --bars FILE")),
    };
    let date = a
        .date
        .as_deref()
        .map(|d| {
            NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                .map_err(|_| usage("--date", format!("'{d}' is not a date; allowed: YYYY-MM-DD")))
        })
        .transpose()?;
    let tz = session::tz_of(base.calendar);
    let rec = Recording::load(file, a.quotes.as_deref(), format, date, tz).map_err(|e| usage(flag, e))?;
    let est = estimate(&rec, &base).map_err(|e| usage(flag, format!("{}: {e}", file.display())))?;
    long_enough(&est, &base).map_err(|e| usage(flag, format!("{}: {e}", file.display())))?;
    let (mut inst, coefficients) = recorded_instrument(&base, &est);
    let volume_profile = profile(&rec, &base);
    inst.volume_curve = volume_profile.shares.clone();
    let impact = match &a.db {
        Some(db) => Some(impact_from_ledger(db, &inst).map_err(|e| usage("--db", e))?),
        None => None,
    };
    let mut cal = Calibration {
        symbol: inst.symbol.to_string(),
        source: rec.source.clone(),
        estimates: est,
        coefficients,
        volume_profile,
        impact,
        written: None,
    };
    if let Some(out) = &a.out {
        let text = universe_file(&cal, &inst);
        std::fs::write(out, text).map_err(|e| CliError::runtime(format!("--out {}: {e}", out.display())))?;
        cal.written = Some(out.display().to_string());
    }
    if a.json {
        let text = serde_json::to_string(&cal).map_err(|e| CliError::runtime(e.to_string()))?;
        println!("{text}");
    } else {
        print(&cal, tz);
    }
    Ok(())
}

fn usage(flag: &str, e: impl std::fmt::Display) -> CliError {
    CliError::usage(format!("{flag}: {e}"))
}

/// Daily volume and volatility extrapolated from minutes of tape are noise:
/// the recording must cover [`MIN_SPAN`] of session time with [`MIN_PRINTS`]
/// prints, and give a realised volatility.
fn long_enough(est: &Estimates, inst: &Instrument) -> Result<(), String> {
    let mut missing = Vec::new();
    if est.observed < MIN_SPAN {
        missing.push(format!("{} of session time (it covers {})", human(MIN_SPAN), human(est.observed)));
    }
    if est.trades < MIN_PRINTS {
        missing.push(format!("{MIN_PRINTS} prints inside {}'s sessions (it has {})", inst.symbol, est.trades));
    }
    if est.volatility.is_none() && est.observed >= MIN_SPAN {
        missing.push(format!(
            "{} sampled price changes for a realised volatility",
            crate::market::replay::estimate::MIN_RETURNS
        ));
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(format!(
        "too short to calibrate {}: daily volume and volatility need at least {}",
        inst.symbol,
        missing.join(" and ")
    ))
}

fn human(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 3600.0 {
        format!("{:.1} h", s / 3600.0)
    } else if s >= 60.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{s:.0} s")
    }
}

/// The intraday volume profile, over the whole sessions recorded.
fn profile(rec: &Recording, inst: &Instrument) -> ProfileOutcome {
    let events: Vec<(crate::model::Timestamp, f64)> = rec.trades.iter().map(|t| (t.ts, t.qty.to_f64())).collect();
    let opts = LearnOptions::new(inst.calendar, &inst.listing);
    let bucket_s = opts.bucket.0 / 1_000_000_000;
    match learn(&events, &opts) {
        Ok(p) => ProfileOutcome { shares: Some(p.shares), bucket_s: p.bucket_secs, days: p.days, note: None },
        Err(e) => ProfileOutcome {
            shares: None,
            bucket_s,
            days: Vec::new(),
            note: Some(format!("not learned ({e}); the instrument keeps its default curve")),
        },
    }
}

/// Fits the square-root coefficient to the finished orders in the symbol
/// found in the ledger at `db`, against the calibrated volatility, ADV and spread.
fn impact_from_ledger(db: &str, inst: &Instrument) -> Result<ImpactFit, String> {
    let ledger = Ledger::open_arg(Some(db)).map_err(|e| store_error(e).message)?;
    let filter = OrderFilter { symbol: Some(inst.symbol.to_string()), ..OrderFilter::default() };
    let fills = ledger.fills(&filter).map_err(|e| e.to_string())?;
    let mut taken: BTreeMap<String, (Qty, Qty)> = BTreeMap::new();
    for (o, f) in &fills {
        let e = taken.entry(o.reference.clone()).or_default();
        e.0 += f.qty;
        if f.liquidity == Liquidity::Taker {
            e.1 += f.qty;
        }
    }
    let orders = ledger.orders(&filter).map_err(|e| e.to_string())?.items;
    let adv = inst.adv.to_f64();
    let samples: Vec<ImpactSample> = orders
        .iter()
        .filter(|o| o.order.status.is_terminal() && o.order.filled.is_positive())
        .filter_map(|o| {
            let arrival_bps = o.tca.as_ref()?.arrival_bps?;
            let (filled, aggressive) = taken.get(&o.reference).copied().unwrap_or_default();
            Some(ImpactSample {
                arrival_bps,
                aggressive_share: aggressive.ratio(filled),
                fraction_of_adv: o.order.filled.to_f64() / adv,
            })
        })
        .collect();
    fit_y(&samples, inst.daily_vol, inst.spread_bps).map_err(|e| format!("{db}: {} orders: {e}", inst.symbol))
}

/// The universe file: the calibrated entry, each figure with how it was found.
fn universe_file(c: &Calibration, inst: &Instrument) -> String {
    let mut notes: BTreeMap<&str, String> =
        c.coefficients.iter().map(|k| (k.name, format!("{}: {}", k.from, k.note))).collect();
    match &c.volume_profile.shares {
        Some(s) => notes.insert(
            "volume_curve",
            format!(
                "{} buckets of {} s averaged over {} whole session(s)",
                s.len(),
                c.volume_profile.bucket_s,
                c.volume_profile.days.len()
            ),
        ),
        None => None,
    };
    let mut text = format!(
        "# {} calibrated by `blotter calibrate` from {}\n# ({} prints from {} to {} UTC)\n",
        c.symbol,
        c.source,
        c.estimates.trades,
        c.estimates.first.to_utc().format("%Y-%m-%d %H:%M:%S"),
        c.estimates.last.to_utc().format("%Y-%m-%d %H:%M:%S")
    );
    if let Some(note) = &c.volume_profile.note {
        text.push_str(&format!("# volume_curve {note}\n"));
    }
    if let Some(f) = &c.impact {
        text.push_str(&format!(
            "# square-root impact coefficient Y = {:.4} (standard error {:.4}) from {} of our orders in the ledger\n",
            f.y, f.std_err, f.orders
        ));
    }
    text.push_str(&crate::market::universe::instrument_toml(inst, &notes));
    text
}

fn print(c: &Calibration, tz: chrono_tz::Tz) {
    let e = &c.estimates;
    let t = |x: crate::model::Timestamp| format!("{} {}", x.in_tz(tz).format("%Y-%m-%d %H:%M:%S"), tz.name());
    println!("{} calibrated from {}", c.symbol, c.source);
    println!(
        "  recording        {} prints, {} quotes, {} to {} ({} of session time{})",
        e.trades,
        e.quotes,
        t(e.first),
        t(e.last),
        human(e.observed),
        if e.outside_sessions > 0 {
            format!("; {} prints outside sessions ignored", e.outside_sessions)
        } else {
            String::new()
        }
    );
    for k in &c.coefficients {
        let v = match k.name {
            "daily_vol" => format!("{:.2}%", k.value * 100.0),
            "spread_bps" => format!("{:.4} bps", k.value),
            _ => format!("{}", k.value),
        };
        println!("  {:<16} {:<18} {}: {}", k.name, v, k.from, k.note);
    }
    match (&c.volume_profile.shares, &c.volume_profile.note) {
        (Some(s), _) => {
            let peak = s.iter().cloned().fold(0.0, f64::max);
            println!(
                "  {:<16} {:<18} learned: {} buckets of {} s over {} whole session(s), largest bucket {:.1}%",
                "volume_curve",
                "",
                s.len(),
                c.volume_profile.bucket_s,
                c.volume_profile.days.len(),
                peak * 100.0
            );
        }
        (None, Some(n)) => println!("  {:<16} {:<18} {n}", "volume_curve", ""),
        (None, None) => {}
    }
    match &c.impact {
        Some(f) => println!(
            "  {:<16} {:<18} from {} of our orders: impact = Y x sigma x sqrt(Q / ADV), standard error {:.4}",
            "impact Y",
            format!("{:.4}", f.y),
            f.orders,
            f.std_err
        ),
        None => {
            println!("  {:<16} {:<18} not fitted (give --db LEDGER with past orders in {})", "impact Y", "", c.symbol)
        }
    }
    if let Some(w) = &c.written {
        println!("  wrote            {w} (use it with --universe {w})");
    }
}
