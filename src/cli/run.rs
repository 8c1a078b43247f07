//! `blotter run`: one parent order on the simulated market, start to finish.

use super::drive::{Drive, Sink, drive};
use super::ledger_args::store_error;
use super::order_args::parse_decision;
use super::order_report::{order_report, print_replay, print_summary};
use super::{CliError, OrderArgs};
use crate::engine::{Actor, Command, Engine};
use crate::market::session;
use crate::model::{ParentId, Role};
use crate::store::{EngineSpec, Ledger, Recorder};
use crate::tca;
use clap::Args;
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

pub fn run(a: &RunArgs) -> Result<(), CliError> {
    use crate::engine::pace::MAX_SPEED;
    if let Some(s) = a.speed
        && !(s.is_finite() && s > 0.0 && s <= MAX_SPEED)
    {
        return Err(CliError::usage(format!(
            "--speed: {} is not a speed; allowed: more than 0 and at most {MAX_SPEED} simulated seconds per second \
             (leave it out to run as fast as possible)",
            crate::model::human::figure(s)
        )));
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
            let spec = EngineSpec::new(&config, a.replay.sources(&a.order)?, &actor, engine.now());
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
    let replay = engine.parent(id).and_then(|p| engine.market(&p.symbol).and_then(|m| m.replay_report(p.start)));
    if a.json {
        // The ledger reference stays out: the same seed gives the same document.
        let mut doc = serde_json::json!({
            "seed": engine.seed(),
            "date": engine.date().to_string(),
            "market_events": engine.market_events(),
            "orders": [report],
            "events": sink.events,
        });
        if let Some(r) = &replay {
            doc["replay"] = serde_json::to_value(r).map_err(|e| CliError::runtime(e.to_string()))?;
        }
        let text = serde_json::to_string(&doc).map_err(|e| CliError::runtime(e.to_string()))?;
        println!("{text}");
        return Ok(());
    }
    print_summary(&report, &engine, tz);
    if let Some(r) = &replay {
        print_replay(r, tz);
    }
    if let (Some((db, order)), Some(l)) = (&recorded, &ledger) {
        println!("  ledger           {order} in {db}");
        super::ledger_args::note_interrupted(l, &actor, engine_ref.as_ref().map(|e| e.id));
    }
    Ok(())
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
