//! `blotter profile`: the intraday volume profile a recording shows (buckets,
//! shares, the days it was learned from), printed and optionally written as
//! a universe entry that `--universe` and the VWAP algorithm read.

use super::{CliError, universe_args};
use crate::market::profile::{self, LearnOptions, VolumeProfile};
use crate::market::replay::{Format, Recording};
use crate::market::{Universe, session};
use crate::model::{Calendar, Duration, Instrument, Timestamp};
use chrono::Datelike;
use clap::Args;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Flags of `blotter profile`.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// Recorded trades: CSV (timestamp, price, qty[, side]) or a LOBSTER message file.
    #[arg(long, value_name = "FILE", required_unless_present = "bars", conflicts_with = "bars")]
    trades: Option<PathBuf>,
    /// Recorded OHLCV bars as CSV (timestamp, open, high, low, close, volume).
    #[arg(long, value_name = "FILE")]
    bars: Option<PathBuf>,
    /// Format of --trades: auto, csv or lobster.
    #[arg(long = "data-format", value_name = "F", default_value = "auto")]
    data_format: String,
    /// Instrument whose calendar decides the sessions (and whose entry --out writes).
    #[arg(long)]
    symbol: Option<String>,
    /// Sessions to cut the recording into when no --symbol is given: crypto, us_equity,
    /// swiss_equity, fx, us_bond (default: crypto when the recording trades at weekends).
    #[arg(long)]
    calendar: Option<String>,
    /// Instruments/venues TOML merged over the built-in defaults.
    #[arg(long, value_name = "FILE")]
    universe: Option<PathBuf>,
    /// Bucket length, e.g. 30m or 1h (must divide the session).
    #[arg(long, default_value = "30m")]
    bucket: String,
    /// Learn from the latest N whole sessions only.
    #[arg(long, value_name = "N")]
    days: Option<usize>,
    /// Learn only from sessions that closed by this time (ISO-8601 or epoch ms).
    #[arg(long, value_name = "TIME")]
    before: Option<String>,
    /// Write the instrument's entry with this profile as its volume_curve into FILE (a
    /// universe TOML: created, or its entry for the symbol replaced; comments are not kept).
    #[arg(long, value_name = "FILE", requires = "symbol")]
    out: Option<PathBuf>,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    json: bool,
}

/// Parses a calendar name.
pub fn parse_calendar(s: &str) -> Result<Calendar, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "crypto" => Ok(Calendar::Crypto),
        "us_equity" => Ok(Calendar::UsEquity),
        "swiss_equity" => Ok(Calendar::SwissEquity),
        "fx" => Ok(Calendar::Fx),
        "us_bond" => Ok(Calendar::UsBond),
        other => Err(format!("'{other}' is not a calendar; allowed: crypto, us_equity, swiss_equity, fx, us_bond")),
    }
}

/// The recording's `(time, volume)` pairs.
pub fn volume_events(rec: &Recording) -> Vec<(Timestamp, f64)> {
    rec.trades.iter().map(|t| (t.ts, t.qty.to_f64())).collect()
}

/// The calendar to learn on: the instrument's, the one named, or crypto for a recording that trades at weekends.
fn calendar(a: &ProfileArgs, inst: Option<&Instrument>, events: &[(Timestamp, f64)]) -> Result<Calendar, CliError> {
    if let Some(i) = inst {
        if let Some(c) = &a.calendar {
            let named = parse_calendar(c).map_err(|e| CliError::usage(format!("--calendar: {e}")))?;
            if named != i.calendar {
                return Err(CliError::usage(format!(
                    "--calendar: {} trades on the {:?} calendar; leave --calendar out or give that one",
                    i.symbol, i.calendar
                )));
            }
        }
        return Ok(i.calendar);
    }
    if let Some(c) = &a.calendar {
        return parse_calendar(c).map_err(|e| CliError::usage(format!("--calendar: {e}")));
    }
    let weekend = events
        .iter()
        .any(|(t, v)| *v > 0.0 && matches!(t.to_utc().weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun));
    if weekend {
        Ok(Calendar::Crypto)
    } else {
        Err(CliError::usage(
            "--calendar: the recording does not trade at weekends, so its sessions are not crypto's; give --symbol \
             (its instrument's calendar is used) or --calendar us_equity|swiss_equity|fx|us_bond|crypto",
        ))
    }
}

/// Listing venue for a calendar without an instrument (decides nothing but equity auction cut-offs).
fn listing_for(cal: Calendar) -> &'static str {
    match cal {
        Calendar::UsEquity => "NYSE",
        Calendar::SwissEquity => "SIX",
        Calendar::Crypto => "BINANCE",
        Calendar::Fx => "FXMB",
        Calendar::UsBond => "USTB",
    }
}

#[derive(Serialize)]
struct Doc<'a> {
    recording: String,
    symbol: Option<&'a str>,
    calendar: Calendar,
    zone: &'static str,
    #[serde(flatten)]
    profile: &'a VolumeProfile,
    written: Option<String>,
}

/// Runs `blotter profile`.
pub fn profile(a: &ProfileArgs) -> Result<(), CliError> {
    let universe = universe_args::load(a.universe.as_deref())?;
    let inst = a.symbol.as_deref().map(|s| universe_args::instrument(&universe, s)).transpose()?;
    let (path, format, flag) = match (&a.bars, &a.trades) {
        (Some(b), _) => (b, "bars", "--bars"),
        (None, Some(t)) => (t, a.data_format.as_str(), "--trades"),
        (None, None) => return Err(CliError::usage("give the recording with --trades FILE or --bars FILE")),
    };
    let format = Format::parse(format, path).map_err(|e| CliError::usage(format!("--data-format: {e}")))?;
    let tz = inst.as_ref().map_or(chrono_tz::UTC, |i| session::tz_of(i.calendar));
    let rec = Recording::load(path, None, format, None, tz).map_err(|e| CliError::usage(format!("{flag}: {e}")))?;
    let events = volume_events(&rec);
    let cal = calendar(a, inst.as_ref(), &events)?;
    let bucket = Duration::parse(&a.bucket)
        .filter(|d| d.0 > 0)
        .ok_or_else(|| CliError::usage(format!("--bucket: '{}' is not a duration like 30m or 1h", a.bucket)))?;
    let before = a
        .before
        .as_deref()
        .map(|s| crate::market::replay::csv::parse_time(s).map_err(|e| CliError::usage(format!("--before: {e}"))))
        .transpose()?;
    if a.days == Some(0) {
        return Err(CliError::usage("--days: 0 days; allowed: 1 or more"));
    }
    let listing = inst.as_ref().map_or(listing_for(cal), |i| &*i.listing).to_string();
    let opts = LearnOptions { bucket, before, max_days: a.days, tolerance: bucket, ..LearnOptions::new(cal, &listing) };
    let learned = profile::learn(&events, &opts).map_err(|e| CliError::usage(format!("{flag}: {e}")))?;
    let written = match (&a.out, &inst) {
        (Some(out), Some(i)) => Some(write_entry(out, i, &learned.shares)?),
        _ => None,
    };
    let zone = session::tz_of(cal);
    if a.json {
        let doc = Doc {
            recording: rec.source.clone(),
            symbol: inst.as_ref().map(|i| &*i.symbol),
            calendar: cal,
            zone: zone.name(),
            profile: &learned,
            written,
        };
        println!("{}", serde_json::to_string_pretty(&doc).map_err(|e| CliError::runtime(e.to_string()))?);
        return Ok(());
    }
    print_table(&learned, &rec.source, cal, &listing, written.as_deref());
    Ok(())
}

fn print_table(p: &VolumeProfile, source: &str, cal: Calendar, listing: &str, written: Option<&str>) {
    let zone = session::tz_of(cal);
    let (Some(first), Some(last)) = (p.days.first(), p.days.last()) else { return };
    println!(
        "{source}: {} buckets of {} min, learned from {} whole session{} ({first} to {last}), each weighing the same",
        p.shares.len(),
        p.bucket_secs / 60,
        p.days.len(),
        if p.days.len() == 1 { "" } else { "s" },
    );
    if let Some(v) = p.mean_volume {
        println!("mean continuous volume of a session: {v:.2}");
    }
    for s in &p.skipped {
        println!("not used: {} ({})", s.date, s.reason);
    }
    let Ok(sess) = session::session(cal, listing, *last) else { return };
    let max = p.shares.iter().copied().fold(0.0f64, f64::max).max(1e-12);
    let len = (sess.close - sess.open).0 / p.shares.len().max(1) as i64;
    println!("{:<13} {:>7} {:>8}  ({})", "bucket", "share", "cum", zone.name());
    let mut cum = 0.0;
    for (k, s) in p.shares.iter().enumerate() {
        cum += s;
        let t0 = Timestamp(sess.open.0 + k as i64 * len);
        let t1 = Timestamp(t0.0 + len);
        let bar = "█".repeat((s / max * 30.0).round() as usize);
        println!(
            "{}-{}   {:>6.2}% {:>7.2}%  {bar}",
            t0.in_tz(zone).format("%H:%M"),
            t1.in_tz(zone).format("%H:%M"),
            s * 100.0,
            cum * 100.0
        );
    }
    if let Some(w) = written {
        println!("written: {w}");
    }
}

/// Writes `inst` with `shares` as its volume curve into the universe file
/// `path`: the file's entry for the symbol gets the new curve (its other
/// fields kept), or the whole instrument is added; the result must load.
fn write_entry(path: &Path, inst: &Instrument, shares: &[f64]) -> Result<String, CliError> {
    let fail = |m: String| CliError::runtime(format!("--out {}: {m}", path.display()));
    let mut doc: toml::Table = match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|e| CliError::usage(format!("--out {}: {e}", path.display())))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => toml::Table::new(),
        Err(e) => return Err(fail(e.to_string())),
    };
    let curve = toml::Value::Array(shares.iter().map(|s| toml::Value::Float(*s)).collect());
    let entries = doc.entry("instrument").or_insert_with(|| toml::Value::Array(Vec::new()));
    let toml::Value::Array(list) = entries else {
        return Err(CliError::usage(format!("--out {}: 'instrument' is not a list of entries", path.display())));
    };
    let same = |v: &toml::Value| {
        v.get("symbol").and_then(|s| s.as_str()).is_some_and(|s| s.eq_ignore_ascii_case(&inst.symbol))
    };
    let how = match list.iter_mut().find(|v| same(v)) {
        Some(toml::Value::Table(t)) => {
            t.insert("volume_curve".into(), curve);
            "its entry's volume_curve replaced"
        }
        _ => {
            let mut entry = inst.clone();
            entry.volume_curve = Some(shares.to_vec());
            let text = crate::market::universe::instrument_toml(&entry, &std::collections::BTreeMap::new());
            let mut parsed: toml::Table = toml::from_str(&text).map_err(|e| fail(e.to_string()))?;
            match parsed.remove("instrument") {
                Some(toml::Value::Array(mut v)) if v.len() == 1 => list.push(v.remove(0)),
                _ => return Err(fail("the instrument's entry could not be written".into())),
            }
            "a new entry"
        }
    };
    let text = toml::to_string(&doc).map_err(|e| fail(e.to_string()))?;
    Universe::with_overrides_str(&text, &path.display().to_string())
        .map_err(|e| fail(format!("would not load: {e}")))?;
    std::fs::write(path, text).map_err(|e| fail(e.to_string()))?;
    Ok(format!("{} in {} ({how}); use it with --universe {}", inst.symbol, path.display(), path.display()))
}
