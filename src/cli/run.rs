//! `blotter run`: one parent order on the simulated market, start to finish.

use super::drive::{Drive, Sink, drive};
use super::ledger_args::store_error;
use super::{CliError, OrderArgs, group};
use crate::engine::{Actor, Command, Engine};
use crate::market::session;
use crate::model::{ParentId, Role};
use crate::store::{EngineSpec, Ledger, Recorder};
use crate::tca;
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;

/// Flags of `blotter run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    order: OrderArgs,
    #[command(flatten)]
    replay: super::ReplayArgs,
    /// Print one JSON document (orders, seed, events) instead of a summary.
    #[arg(long)]
    json: bool,
    /// Write the event log to FILE as JSON lines.
    #[arg(long, value_name = "FILE")]
    events: Option<PathBuf>,
    /// Pace against the wall clock: X simulated seconds per second (default: as fast as possible).
    #[arg(long, value_name = "X")]
    speed: Option<f64>,
    /// Decision price for implementation shortfall (default: the arrival mid).
    #[arg(long = "decision-price", value_name = "PX")]
    decision_price: Option<String>,
    /// Ledger to record into: sqlite:PATH, postgres://USER@HOST/DB, or `none` to record
    /// nothing (default: ledger.db in the user's data directory, or $BLOTTER_DATA_DIR).
    #[arg(long = "db", value_name = "URL", env = "BLOTTER_DB")]
    db: Option<String>,
}

/// One order in `run --json`.
#[derive(Debug, Serialize)]
pub struct OrderReport {
    id: ParentId,
    symbol: String,
    side: crate::model::Side,
    qty: crate::model::Qty,
    filled_qty: crate::model::Qty,
    avg_px: Option<crate::model::Price>,
    algo: crate::model::AlgoKind,
    status: crate::model::ParentStatus,
    children: u32,
    fills: usize,
    fees: crate::model::Money,
    start: crate::model::Timestamp,
    end: crate::model::Timestamp,
    #[serde(flatten)]
    summary: tca::Summary,
    /// Full post-trade analysis (sign: positive = cost).
    tca: tca::TcaReport,
}

/// Builds the report of one finished (or running) parent.
pub fn order_report(engine: &Engine, id: ParentId) -> Option<OrderReport> {
    let p = engine.parent(id)?;
    let m = engine.market(&p.symbol)?;
    let fills = engine.fills(id);
    Some(OrderReport {
        id,
        symbol: p.symbol.to_string(),
        side: p.side,
        qty: p.qty,
        filled_qty: p.filled,
        avg_px: p.avg_px(),
        algo: p.algo,
        status: p.status,
        children: p.children,
        fills: fills.len(),
        fees: p.fees,
        start: p.start,
        end: p.end,
        summary: tca::summary(p, fills, &m.tape, engine.now()),
        tca: tca::for_parent(p, fills, &m.tape, &m.mids, m.inst.quote_per, engine.now()),
    })
}

pub fn run(a: &RunArgs) -> Result<(), CliError> {
    if let Some(s) = a.speed
        && !(s.is_finite() && s > 0.0)
    {
        return Err(CliError::usage(format!("--speed: {s} must be a positive number of simulated seconds per second")));
    }
    let mut r = a.replay.resolve(&a.order)?;
    r.request.decision_px = parse_decision(a.decision_price.as_deref())?;
    let tz = session::tz_of(r.inst.calendar);
    let config = r.config.clone();
    let mut engine = Engine::new(Arc::new(r.universe), r.config)?;
    let actor = Actor::local(Role::Advisor);
    let mut sink = Sink::new(a.events.as_deref())?;
    let ledger = match a.db.as_deref() {
        Some(s) if s.trim().eq_ignore_ascii_case("none") => None,
        other => Some(Ledger::open_arg(other).map_err(store_error)?),
    };
    let mut rec = match &ledger {
        Some(l) => {
            let spec = EngineSpec::new(&config, ledger_sources(a)?, &actor, engine.now());
            Some(Recorder::new(l, l.register(&spec).map_err(store_error)?))
        }
        None => None,
    };
    let engine_ref = rec.as_ref().map(|r| r.engine_ref().clone());
    let outcome = execute(&mut engine, rec.as_mut(), &actor, &r.request, a, tz, &mut sink);
    // The engine is marked stopped whatever happened, so it is not taken for a crashed one.
    let finished = match rec {
        Some(rec) => rec.finish().map_err(store_error),
        None => Ok(Vec::new()),
    };
    let id = outcome?;
    sink.take(finished?)?;
    let report = order_report(&engine, id).ok_or_else(|| CliError::runtime("order vanished"))?;
    let recorded = match (&ledger, &engine_ref) {
        (Some(l), Some(e)) => Some((l.target().to_string(), id.on(e.number()).to_string())),
        _ => None,
    };
    if a.json {
        // The ledger reference stays out: the same seed gives the same document.
        let doc = serde_json::json!({
            "seed": engine.seed(),
            "date": engine.date().to_string(),
            "market_events": engine.market_events(),
            "orders": [report],
            "events": sink.events,
        });
        let text = serde_json::to_string(&doc).map_err(|e| CliError::runtime(e.to_string()))?;
        println!("{text}");
        return Ok(());
    }
    print_summary(&report, &engine, tz);
    if let (Some((db, order)), Some(l)) = (&recorded, &ledger) {
        println!("  ledger           {order} in {db}");
        super::recover::note_interrupted(l, &actor, engine_ref.as_ref().map(|e| e.id));
    }
    Ok(())
}

/// What the ledger keeps to rebuild this run's market: the `--universe` text
/// and the recorded-data flags.
fn ledger_sources(a: &RunArgs) -> Result<crate::store::Sources, CliError> {
    let universe = match &a.order.universe {
        Some(p) => {
            Some(std::fs::read_to_string(p).map_err(|e| CliError::usage(format!("--universe {}: {e}", p.display())))?)
        }
        None => None,
    };
    let replay = a.replay.trades.as_ref().map(|trades| crate::store::ReplaySource {
        symbol: a.order.symbol.trim().to_string(),
        trades: trades.clone(),
        quotes: a.replay.quotes.clone(),
        format: a.replay.data_format.clone(),
        venue: a.replay.venue.clone(),
    });
    Ok(crate::store::Sources { universe, replay: replay.into_iter().collect() })
}

/// Submits the order and runs it to the end (and the markout horizon past
/// it); refusals are recorded too.
fn execute(
    engine: &mut Engine,
    mut rec: Option<&mut Recorder<'_>>,
    actor: &Actor,
    req: &crate::engine::OrderRequest,
    a: &RunArgs,
    tz: chrono_tz::Tz,
    sink: &mut Sink,
) -> Result<ParentId, CliError> {
    let submit = Command::Submit(req.clone());
    let result = match rec.as_deref_mut() {
        Some(r) => {
            let (result, released) = r.apply(engine, actor, submit).map_err(store_error)?;
            sink.take(released)?;
            result
        }
        None => engine.apply(actor, submit),
    };
    let id = result?.ok_or_else(|| CliError::runtime("no order id"))?;
    let how = Drive { speed: a.speed, progress: (!a.json).then_some((id, tz)), done: &|e: &Engine| e.is_idle() };
    drive(engine, rec.as_deref_mut(), &how, sink)?;
    // Keep the market running past the end so the 5-minute markouts of the last fills exist.
    if let Some(done) = engine.parent(id).and_then(|p| p.done_at) {
        let horizon = *tca::HORIZONS.last().unwrap_or(&crate::model::Duration(0));
        engine.run_until(done + horizon + crate::model::Duration::secs(1));
        match rec {
            Some(r) => {
                r.push(engine);
                // The TCA recorded at the end gains the late markouts.
                r.record_tca(engine, id);
                sink.take(r.release(true).map_err(store_error)?)?;
            }
            None => sink.take(engine.drain_events())?,
        }
    }
    Ok(id)
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

/// HH:MM, or HH:MM:SS when the time has seconds (replayed recordings).
fn hhmm(t: crate::model::Timestamp, tz: chrono_tz::Tz) -> String {
    let local = t.in_tz(tz);
    let fmt = if t.0 % 60_000_000_000 == 0 { "%H:%M" } else { "%H:%M:%S" };
    local.format(fmt).to_string()
}

pub(super) fn print_summary(r: &OrderReport, engine: &Engine, tz: chrono_tz::Tz) {
    let px = |p: Option<crate::model::Price>| p.map_or("-".to_string(), |p| format!("{p:.4}"));
    let bps = |b: Option<f64>| b.map_or("-".to_string(), |b| format!("{b:+.2} bps"));
    println!(
        "{} {} {} {} {} {}-{} {} on {} (seed {})",
        r.id,
        r.symbol,
        r.side,
        group(r.qty),
        r.algo.as_str().to_uppercase(),
        hhmm(r.start, tz),
        hhmm(r.end, tz),
        tz.name(),
        engine.date(),
        engine.seed()
    );
    println!("  status           {}", r.status);
    println!(
        "  filled           {} / {} ({:.1}%)",
        group(r.filled_qty),
        group(r.qty),
        r.filled_qty.ratio(r.qty) * 100.0
    );
    println!("  avg px           {}", px(r.avg_px));
    println!("  arrival px       {}", px(r.summary.arrival_px));
    println!("  interval VWAP    {} (market, excluding our fills)", px(r.summary.interval_vwap));
    println!(
        "  slippage         {} vs arrival, {} vs interval VWAP (positive = cost)",
        bps(r.summary.arrival_slippage_bps),
        bps(r.summary.vwap_slippage_bps)
    );
    println!("  participation    {:.1}% of volume in the window", r.summary.participation * 100.0);
    super::tca::print_shortfall(&r.tca);
    println!("  fees             {} (negative = net rebate)", r.fees);
    println!("  children         {} ({} fills)", r.children, r.fills);
    let venues: Vec<String> = r.summary.venues.iter().map(|v| format!("{} {:.1}%", v.venue, v.share * 100.0)).collect();
    println!("  venues           {}", if venues.is_empty() { "-".to_string() } else { venues.join(", ") });
}
