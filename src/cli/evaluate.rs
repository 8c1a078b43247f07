//! `blotter evaluate`: an algorithm over every window of a recording (see
//! `crate::evaluate`), one table or one JSON document.

use super::{CliError, parse_params};
use crate::evaluate::{self, Evaluation, Options, Summary};
use crate::market::replay::{Format, Recording};
use crate::market::session;
use crate::model::{AlgoKind, AssetClass, Duration, Side};
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;

/// Flags of `blotter evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Algorithm: vwap, pov, twap or is.
    #[arg(long, default_value = "vwap")]
    algo: String,
    /// Recorded trades: CSV (timestamp, price, qty[, side]) or a LOBSTER message file.
    #[arg(long, value_name = "FILE", required_unless_present = "bars", conflicts_with = "bars")]
    trades: Option<PathBuf>,
    /// Recorded quotes replayed with --trades.
    #[arg(long, value_name = "FILE", requires = "trades")]
    quotes: Option<PathBuf>,
    /// Recorded OHLCV bars as CSV (timestamp, open, high, low, close, volume).
    #[arg(long, value_name = "FILE")]
    bars: Option<PathBuf>,
    /// Format of --trades: auto, csv or lobster.
    #[arg(long = "data-format", value_name = "F", default_value = "auto")]
    data_format: String,
    /// Instrument to replay the recording as; one unknown to the universe is made from the
    /// recording (its price and size grids, level, trade size and volatility) on --asset-class.
    #[arg(long, default_value = "RECORDED")]
    symbol: String,
    /// Asset class of an instrument made from the recording: crypto, equity, fx or bond.
    #[arg(long = "asset-class", default_value = "crypto")]
    asset_class: String,
    /// Instruments/venues TOML merged over the built-in defaults.
    #[arg(long, value_name = "FILE")]
    universe: Option<PathBuf>,
    /// Window length, cut from each session's open (e.g. 4h, 30m).
    #[arg(long, default_value = "4h")]
    window: String,
    /// buy, sell or both (one order each per window).
    #[arg(long, default_value = "both")]
    side: String,
    /// Order size as our share of all the window's volume, e.g. 5% or 0.05 (POV: its rate;
    /// default 10% for POV, 5% otherwise).
    #[arg(long)]
    participation: Option<String>,
    /// Algorithm parameter as key=value (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Profile of each window: `learned` from the sessions before it, or the `instrument`'s own.
    #[arg(long, default_value = "learned")]
    profile: String,
    /// Whole sessions a window needs before it to learn its profile from.
    #[arg(long = "min-history", default_value_t = 1)]
    min_history: usize,
    /// Seed of each window's market.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Worker threads (default: the machine's cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    json: bool,
}

/// Parses `5%` or `0.05`.
fn parse_share(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, scale) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), 100.0),
        None => (t, 1.0),
    };
    let v: f64 = num.parse().map_err(|_| format!("'{s}' is not a share; allowed: e.g. 5% or 0.05"))?;
    let v = v / scale;
    if v.is_finite() && v > 0.0 && v <= 0.5 {
        Ok(v)
    } else {
        Err(format!("{s} is out of range; allowed: above 0 and at most 50%"))
    }
}

fn parse_class(s: &str) -> Result<AssetClass, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "crypto" => Ok(AssetClass::Crypto),
        "equity" => Ok(AssetClass::Equity),
        "fx" => Ok(AssetClass::Fx),
        "bond" => Ok(AssetClass::Bond),
        other => Err(format!("'{other}' is not an asset class; allowed: crypto, equity, fx, bond")),
    }
}

/// Runs `blotter evaluate`.
pub fn evaluate(a: &EvaluateArgs) -> Result<(), CliError> {
    let algo: AlgoKind = a.algo.parse().map_err(|e| CliError::usage(format!("--algo: {e}")))?;
    if !matches!(algo, AlgoKind::Vwap | AlgoKind::Pov | AlgoKind::Twap | AlgoKind::Is) {
        return Err(CliError::usage(format!(
            "--algo: {algo} is not evaluated over windows; allowed: vwap, pov, twap, is"
        )));
    }
    let sides = match a.side.trim().to_ascii_lowercase().as_str() {
        "both" => vec![Side::Buy, Side::Sell],
        "buy" => vec![Side::Buy],
        "sell" => vec![Side::Sell],
        other => return Err(CliError::usage(format!("--side: '{other}' is not one of: buy, sell, both"))),
    };
    let window = Duration::parse(&a.window).filter(|d| *d >= Duration::mins(1)).ok_or_else(|| {
        CliError::usage(format!("--window: '{}' is not a duration of a minute or more, like 4h", a.window))
    })?;
    let default_share = if algo == AlgoKind::Pov { "10%" } else { "5%" };
    let participation = parse_share(a.participation.as_deref().unwrap_or(default_share))
        .map_err(|e| CliError::usage(format!("--participation: {e}")))?;
    let learn = match a.profile.trim() {
        "learned" => true,
        "instrument" => false,
        other => return Err(CliError::usage(format!("--profile: '{other}' is not one of: learned, instrument"))),
    };
    let class = parse_class(&a.asset_class).map_err(|e| CliError::usage(format!("--asset-class: {e}")))?;
    let universe = super::universe_args::load(a.universe.as_deref())?;
    let (path, format, flag) = match (&a.bars, &a.trades) {
        (Some(b), _) => (b, "bars", "--bars"),
        (None, Some(t)) => (t, a.data_format.as_str(), "--trades"),
        (None, None) => return Err(CliError::usage("give the recording with --trades FILE or --bars FILE")),
    };
    let format = Format::parse(format, path).map_err(|e| CliError::usage(format!("--data-format: {e}")))?;
    let tz = universe.instrument(&a.symbol).map_or(chrono_tz::UTC, |i| session::tz_of(i.calendar));
    let rec = Recording::load(path, a.quotes.as_deref(), format, None, tz)
        .map_err(|e| CliError::usage(format!("{flag}: {e}")))?;
    // A symbol the universe does not know gets an instrument on the
    // recording's own grid; a known one must fit the recording's prices.
    if let Some(inst) = universe.instrument(&a.symbol) {
        super::replay_args::off_tick(&rec, inst).map_err(|e| CliError::usage(format!("{flag}: {e}")))?;
    }
    let params = parse_params(&a.params)?;
    let jobs = a.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        return Err(CliError::usage("--jobs: 0; allowed: 1 or more"));
    }
    let opts = Options {
        algo,
        window,
        sides,
        participation,
        params,
        seed: a.seed,
        min_history: a.min_history,
        bucket: crate::market::profile::DEFAULT_BUCKET,
        learn,
        jobs,
    };
    let ev = evaluate::evaluate(&universe, &a.symbol, class, Arc::new(rec), &opts).map_err(CliError::usage)?;
    if ev.windows.is_empty() {
        let why = ev
            .skipped
            .first()
            .map(|s| format!(" (e.g. {}: {})", s.start.to_utc().format("%Y-%m-%d %H:%M UTC"), s.reason));
        return Err(CliError::usage(format!(
            "{flag}: no window of {} to evaluate{}",
            a.window,
            why.unwrap_or_default()
        )));
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&ev).map_err(|e| CliError::runtime(e.to_string()))?);
        return Ok(());
    }
    print_table(&ev, path.display().to_string());
    Ok(())
}

fn bps(x: Option<f64>) -> String {
    x.map_or("-".to_string(), |v| format!("{v:+.2}"))
}

fn print_summary(label: &str, s: &Summary, target: f64) {
    let abs = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.2}"));
    // A figure with its 90% bootstrap interval over the windows.
    let within = |x: Option<f64>, i: Option<evaluate::Interval>| match (x, i) {
        (Some(v), Some(i)) => format!("{v:.2} [{:.2}-{:.2}]", i.lo, i.hi),
        _ => abs(x),
    };
    let pct = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{:.2}%", v * 100.0));
    println!(
        "{label:<8} orders {:>3}  |slippage| median {} p90 {} worst {} mean {} (vs market: median {} p90 {})  participation median {} (target {:.2}%, {} within 1 pp)  completed {}/{}  no fills {}",
        s.orders,
        within(s.median_abs_bps, s.median_abs_interval),
        within(s.p90_abs_bps, s.p90_abs_interval),
        bps(s.worst_bps),
        bps(s.mean_bps),
        within(s.market_median_abs_bps, s.market_median_abs_interval),
        within(s.market_p90_abs_bps, s.market_p90_abs_interval),
        pct(s.median_participation),
        target * 100.0,
        s.within_1pp,
        s.completed,
        s.orders,
        s.zero_fills,
    );
    if s.mean_schedule_bps.is_some() {
        println!(
            "{:<8} where it came from, mean bps: schedule {} (median |schedule| {}), execution {}, impact {}; \
             largest tracking gap median {} pp; passive {}",
            "",
            bps(s.mean_schedule_bps),
            abs(s.median_abs_schedule_bps),
            bps(s.mean_execution_bps),
            bps(s.mean_impact_bps),
            abs(s.median_tracking_max_pp),
            pct(s.mean_passive_share),
        );
    }
}

fn print_table(ev: &Evaluation, source: String) {
    let i = &ev.instrument;
    println!(
        "{} over {} windows of {:.0} min in {source}, each order {:.2}% of its window's volume, {}",
        ev.algo.as_str().to_uppercase(),
        ev.windows.len(),
        ev.window_secs / 60.0,
        ev.participation * 100.0,
        if ev.profile_learned {
            "profile learned from the sessions before it"
        } else {
            "on the instrument's own curve"
        },
    );
    if ev.made_from_recording {
        println!(
            "{}: not in the universe; made from the recording: {} calendar on {}, tick {}, lot {}, spread {} bps",
            i.symbol,
            i.asset_class.as_str(),
            i.listing,
            i.tick_size,
            i.lot_size,
            i.spread_bps
        );
    }
    println!(
        "{:<17} {:<5} {:>14} {:>8} {:>13} {:>13} {:>9} {:>8} {:>8} {:>8} {:>8} {:>6} {:>7} {:>5}",
        "window (UTC)",
        "side",
        "qty",
        "filled",
        "avg px",
        "VWAP",
        "slip bps",
        "vs mkt",
        "sched",
        "exec",
        "impact",
        "track",
        "part.",
        "days"
    );
    for w in &ev.windows {
        let px = |p: Option<crate::model::Price>| p.map_or("-".to_string(), |p| p.to_string());
        let d = w.decomposition;
        println!(
            "{} {:<5} {:>14} {:>7.1}% {:>13} {:>13} {:>9} {:>8} {:>8} {:>8} {:>8} {:>6} {:>6.2}% {:>5}",
            w.start.to_utc().format("%Y-%m-%d %H:%M"),
            w.side.to_string(),
            super::group(w.qty),
            w.completion * 100.0,
            px(w.avg_px),
            px(w.interval_vwap),
            bps(w.slippage_bps),
            bps(w.market_slippage_bps),
            bps(d.map(|d| d.schedule_bps)),
            bps(d.map(|d| d.execution_bps)),
            bps(d.map(|d| d.impact_bps)),
            d.map_or("-".to_string(), |d| format!("{:.1}", d.tracking_max_pp)),
            w.participation * 100.0,
            w.profile_days
        );
    }
    for s in &ev.skipped {
        println!("not evaluated: {} ({})", s.start.to_utc().format("%Y-%m-%d %H:%M UTC"), s.reason);
    }
    println!(
        "slippage against the window's VWAP of the recorded prints, bps, positive = cost; vs mkt: against others' prints as \
         replayed, our impact in them; sched + exec + impact = slip: our fills valued at their minute's recorded VWAP, our \
         prices against those prints once shifted by our impact, and that shift; track: the largest gap between our \
         filled share and the recording's printed share at any minute, pp; participation = ours over all volume; \
         [lo-hi]: 90% bootstrap interval of the figure over the windows"
    );
    for (side, s) in &ev.by_side {
        print_summary(side, s, ev.participation);
    }
    print_summary("overall", &ev.overall, ev.participation);
}
