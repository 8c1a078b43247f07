//! `blotter recover`: bring back the orders a stopped process left open.
//!
//! Without `--resume` or `--cancel` it rebuilds each engine this desk left
//! with open orders, cancels the children the venues no longer know, marks
//! working orders `interrupted` in the ledger, and reports. `--resume` then
//! runs the interrupted orders (or those named with `--order`) to the end;
//! `--cancel` cancels them and reports the residual.

use super::drive::{Drive, Sink, drive};
use super::ledger_args::{DbArg, store_error};
use super::order_report::{order_report, print_summary};
use super::{CliError, group};
use crate::engine::{Actor, Command, Engine};
use crate::market::session;
use crate::model::{ParentId, Role};
use crate::store::Ledger;
use crate::store::query::parse_reference;
use crate::store::recover::{Recovered, recover as rebuild};
use clap::Args;
use std::path::PathBuf;

/// Flags of `blotter recover`.
#[derive(Debug, Args)]
pub struct RecoverArgs {
    #[command(flatten)]
    db: DbArg,
    /// Engine to recover, e.g. E3 (default: every engine of this desk left with open orders).
    #[arg(long, value_name = "ENGINE")]
    engine: Option<String>,
    /// Resume the interrupted orders (or those given with --order) and run them to the end.
    #[arg(long, conflicts_with = "cancel")]
    resume: bool,
    /// Cancel the interrupted orders (or those given with --order) and report the residual.
    #[arg(long)]
    cancel: bool,
    /// Only this order, e.g. E3-P1 (repeatable).
    #[arg(long = "order", value_name = "REF")]
    orders: Vec<String>,
    /// Pace a resumed run against the wall clock: X simulated seconds per second.
    #[arg(long, value_name = "X")]
    speed: Option<f64>,
    /// Take the engine over even if its process looks alive.
    #[arg(long)]
    force: bool,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// Write the events of this run to FILE as JSON lines.
    #[arg(long, value_name = "FILE")]
    events: Option<PathBuf>,
}

fn parse_engine(s: &str) -> Result<i64, CliError> {
    let t = s.trim();
    t.strip_prefix(['E', 'e'])
        .unwrap_or(t)
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| CliError::usage(format!("--engine: '{t}' is not an engine (expected e.g. E3)")))
}

/// Runs `blotter recover`.
pub fn recover(a: &RecoverArgs) -> Result<(), CliError> {
    if let Some(s) = a.speed
        && !(s.is_finite() && s > 0.0)
    {
        return Err(CliError::usage(format!(
            "--speed: {} must be a positive number of simulated seconds per second",
            crate::model::human::figure(s)
        )));
    }
    let refs: Vec<(i64, ParentId)> = a
        .orders
        .iter()
        .map(|r| parse_reference(r).map_err(|e| CliError::usage(format!("--order: {e}"))))
        .collect::<Result<_, _>>()?;
    let mut engine_arg = a.engine.as_deref().map(parse_engine).transpose()?;
    for (e, p) in &refs {
        match engine_arg {
            Some(x) if x != *e => {
                return Err(CliError::usage(format!("--order: {p} is not in engine E{x}; one engine at a time")));
            }
            _ => engine_arg = Some(*e),
        }
    }
    let ledger = a.db.open()?;
    // Whoever runs recover operates the desk (they hold its database): they
    // act for each order's owner, as a SUPERVISOR, under their own name in
    // the audit log; the orders stay their owners'.
    let actor = Actor { role: Role::Supervisor, ..super::token::operator() };
    let ids: Vec<i64> = match engine_arg {
        Some(id) => vec![id],
        None => {
            let open = ledger.open_engines(Some(&actor.tenant)).map_err(store_error)?;
            for e in open.iter().filter(|e| e.running.is_some()) {
                if !a.json {
                    eprintln!("E{} is still running ({}): left alone", e.id, e.running.as_deref().unwrap_or("?"));
                }
            }
            open.iter().filter(|e| e.running.is_none()).map(|e| e.id).collect()
        }
    };
    if ids.is_empty() {
        if a.json {
            println!("{}", serde_json::json!({ "engines": [], "events": [] }));
        } else {
            println!("nothing to recover: no stopped engine of tenant '{}' has open orders", actor.tenant);
        }
        return Ok(());
    }
    if (a.resume || a.cancel) && ids.len() > 1 {
        let list: Vec<String> = ids.iter().map(|i| format!("E{i}")).collect();
        return Err(CliError::usage(format!(
            "--engine: {} engines have open orders ({}); choose one with --engine or --order",
            ids.len(),
            list.join(", ")
        )));
    }
    let mut sink = Sink::new(a.events.as_deref())?;
    let mut docs = Vec::new();
    for id in ids {
        docs.push(recover_one(&ledger, id, &actor, a, &refs, &mut sink)?);
    }
    if a.json {
        let doc = serde_json::json!({ "engines": docs, "events": sink.events });
        println!("{}", serde_json::to_string(&doc).map_err(|e| CliError::runtime(e.to_string()))?);
    }
    Ok(())
}

fn recover_one(
    ledger: &Ledger,
    id: i64,
    actor: &Actor,
    a: &RecoverArgs,
    refs: &[(i64, ParentId)],
    sink: &mut Sink,
) -> Result<serde_json::Value, CliError> {
    // The desk's controls as the servers left them (another instance may
    // have halted the desk, or changed limits, while this engine was down):
    // read before the engine is taken over, so one whose controls cannot be
    // read is left alone rather than run without them (as `serve` does).
    let controls = ledger.desk_controls().map_err(store_error)?.controls;
    // An order the engine does not have is refused before it is taken over.
    check_orders(ledger, id, refs)?;
    let Recovered { mut engine, recorder: mut rec, report, released, .. } =
        rebuild(ledger, id, actor, a.force).map_err(store_error)?;
    sink.take(released)?;
    // Over the ones the engine saved when it stopped: never looser than the desk's.
    engine.restore_controls(controls);
    rec.push(&mut engine);
    if !a.json {
        print_restore(id, &engine, &report);
    }
    let targets: Vec<ParentId> =
        if refs.is_empty() { report.interrupted.clone() } else { refs.iter().map(|(_, p)| *p).collect() };
    let acting = a.resume || a.cancel;
    let mut refused = Vec::new();
    if acting {
        // Held while the orders are resumed (acknowledged), as `serve`
        // holds them for an order, and let go before they run: no control
        // change elsewhere on the desk lands half way, and each owner's usage
        // on the desk's other engines is counted as the ledger has it now,
        // not taken twice by another instance at once.
        let held = desk_usage(ledger, &mut engine, id, &targets)?;
        for &p in &targets {
            let cmd = if a.resume { Command::Resume { id: p } } else { Command::Cancel { id: p } };
            let (result, released) = rec.apply(&mut engine, actor, cmd).map_err(store_error)?;
            sink.take(released)?;
            if let Err(reject) = result {
                refused.push(format!("{p}: {}", reject.message));
            }
        }
        drop(held);
        let progress = (!a.json).then(|| targets.first().map(|p| (*p, tz_of(&engine, *p)))).flatten();
        let done = |e: &Engine| targets.iter().all(|p| e.parent(*p).is_none_or(|o| !is_running(o.status)));
        drive(&mut engine, Some(&mut rec), &Drive { speed: a.speed, progress, done: &done }, sink)?;
    }
    sink.take(rec.finish().map_err(store_error)?)?;
    let reports: Vec<_> =
        if acting { targets.iter().filter_map(|p| order_report(&engine, *p)).collect() } else { Vec::new() };
    if !a.json {
        for p in targets.iter().filter(|_| acting) {
            if let Some(rep) = order_report(&engine, *p) {
                print_summary(&rep, &engine, tz_of(&engine, *p));
            }
        }
        for line in &refused {
            eprintln!("refused: {line}");
        }
    }
    if !refused.is_empty() {
        return Err(CliError::usage(format!("{} order(s) refused: {}", refused.len(), refused.join("; "))));
    }
    Ok(serde_json::json!({
        "engine": format!("E{id}"),
        "interrupted": report.interrupted,
        "reconciled": report.reconciled.iter().map(|(c, q)| serde_json::json!({ "child": c, "qty": q })).collect::<Vec<_>>(),
        "cancelled": report.cancelled,
        "warnings": report.warnings,
        "orders": reports,
    }))
}

/// Refuses any of `refs` engine `id` does not have, naming those it has
/// (with their status and owner) so the next command can be right.
fn check_orders(ledger: &Ledger, id: i64, refs: &[(i64, ParentId)]) -> Result<(), CliError> {
    if refs.is_empty() {
        return Ok(());
    }
    let filter = crate::store::query::OrderFilter { engine: Some(id), ..Default::default() };
    let mut has = ledger.orders(&filter).map_err(store_error)?.items;
    let missing: Vec<String> =
        refs.iter().filter(|(_, p)| !has.iter().any(|o| o.order.id.n == p.n)).map(|(_, p)| p.to_string()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    has.sort_by_key(|o| o.order.id.n);
    let listed: Vec<String> = has
        .iter()
        .map(|o| format!("{} ({}, {}/{})", o.reference, o.order.status, o.order.owner.tenant, o.order.owner.user))
        .collect();
    let what = if listed.is_empty() { "it has no orders".to_string() } else { format!("it has {}", listed.join(", ")) };
    Err(CliError::usage(format!("--order: no order {} in engine E{id}; {what}", missing.join(", "))))
}

/// Holds the desk's control lock (shared) and the lock of each owner of
/// `targets`, and gives the engine what each owner has on the desk's other
/// engines (today's notional, open orders) for the limits counted
/// desk-wide. Nothing to hold on SQLite (one instance at a time).
fn desk_usage<'l>(
    ledger: &'l Ledger,
    engine: &mut Engine,
    id: i64,
    targets: &[ParentId],
) -> Result<Held<'l>, CliError> {
    let owners: std::collections::BTreeSet<(String, String)> = targets
        .iter()
        .filter_map(|p| engine.parent(*p))
        .map(|o| (o.owner.tenant.to_string(), o.owner.user.to_string()))
        .collect();
    let handle = ledger.handle();
    let (hold, usage) = ledger
        .block_on(async {
            let mut hold = handle.hold(false).await?;
            let mut usage = Vec::new();
            for (tenant, user) in &owners {
                hold.lock_user(tenant, user).await?;
                usage.push(handle.usage_elsewhere(id, tenant, user).await?);
            }
            Ok::<_, crate::store::StoreError>((hold, usage))
        })
        .map_err(store_error)?;
    for ((tenant, user), u) in owners.iter().zip(usage) {
        engine.set_elsewhere(tenant, user, u);
    }
    Ok(Held { ledger, hold: Some(hold) })
}

/// The desk's locks held by `recover`, released on the ledger's runtime
/// (the transaction holding them is rolled back there: this command's own
/// thread has none), however the command ends.
struct Held<'l> {
    ledger: &'l Ledger,
    hold: Option<crate::store::guard::DeskHold>,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(hold) = self.hold.take() {
            self.ledger.block_on(async move { drop(hold) });
        }
    }
}

/// The exchange time zone of an order's instrument.
fn tz_of(engine: &Engine, p: ParentId) -> chrono_tz::Tz {
    engine
        .parent(p)
        .and_then(|o| engine.universe().instrument(&o.symbol))
        .map(|i| session::tz_of(i.calendar))
        .unwrap_or(chrono_tz::UTC)
}

/// Still to be acted on by the run (interrupted or paused orders wait for the user).
fn is_running(s: crate::model::ParentStatus) -> bool {
    use crate::model::ParentStatus::*;
    matches!(s, Pending | Working)
}

fn print_restore(id: i64, engine: &Engine, report: &crate::engine::RestoreReport) {
    println!("E{id} ({}, seed {}) rebuilt from the ledger", engine.date(), engine.seed());
    for p in engine.parents().filter(|p| !p.status.is_terminal() || report.cancelled.contains(&p.id)) {
        println!(
            "  {} {} {} {} {}: {}, filled {} / {} ({:.1}%), residual {}",
            p.id,
            p.symbol,
            p.side,
            group(p.qty),
            p.algo.as_str().to_uppercase(),
            p.status,
            group(p.filled),
            group(p.qty),
            p.filled.ratio(p.qty) * 100.0,
            group(p.leaves())
        );
    }
    for (c, q) in &report.reconciled {
        println!("  {c} unknown at the venue after the restart: cancelled ({} left)", group(*q));
    }
    for w in &report.warnings {
        println!("  warning: {w}");
    }
    if let Some(p) = report.interrupted.first() {
        println!("  to resume: blotter recover --resume --order {p}   to cancel: blotter recover --cancel --order {p}");
    }
}
