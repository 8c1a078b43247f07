//! Restarting an engine whose process stopped: take it over in the ledger,
//! rebuild the same simulated market up to where the ledger stops, load every
//! order back (`Engine::restore`), and commit what the restore changed
//! (children the venues no longer know cancelled, working orders marked
//! interrupted) before anyone sees the engine. The user then resumes or
//! cancels each interrupted order through the ordinary commands.

use super::record::{AuditEntry, EngineSpec};
use super::replica::ParentRow;
use super::rows::{self, col};
use super::{Ledger, Recorder, StoreError};
use crate::engine::{Actor, Engine, EngineEvent, RestorePoint, RestoreReport, RestoredParent};
use crate::market::Universe;
use crate::model::{ChildOrder, Fill, ParentId, Timestamp};
use crate::risk::RiskBook;
use std::collections::BTreeMap;
use std::sync::Arc;

/// An engine rebuilt from the ledger, recording again.
#[derive(Debug)]
pub struct Recovered<'l> {
    /// The engine, its orders restored.
    pub engine: Engine,
    /// Records it from here on.
    pub recorder: Recorder<'l>,
    /// What the restore changed.
    pub report: RestoreReport,
    /// The events the restore emitted, committed.
    pub released: Vec<EngineEvent>,
    /// How it was set up.
    pub spec: EngineSpec,
}

/// What the ledger holds to rebuild an engine.
struct Stored {
    spec: EngineSpec,
    point: RestorePoint,
    sim_now: Timestamp,
    parents: Vec<RestoredParent>,
}

/// Takes over engine `id` (refused while its process still runs, unless
/// `force`), rebuilds it and commits the restore, audited as `actor`.
pub fn recover<'l>(ledger: &'l Ledger, id: i64, actor: &Actor, force: bool) -> Result<Recovered<'l>, StoreError> {
    let eref = ledger.take_over(id, force)?;
    match rebuild(ledger, id, actor, eref.clone()) {
        Ok(r) => Ok(r),
        Err(e) => {
            // Leave it stopped, not looking alive under this process's name.
            let _ = ledger.stop(&eref);
            Err(e)
        }
    }
}

fn rebuild<'l>(
    ledger: &'l Ledger,
    id: i64,
    actor: &Actor,
    eref: super::EngineRef,
) -> Result<Recovered<'l>, StoreError> {
    let stored = load(ledger, id)?;
    let universe = match &stored.spec.universe {
        Some(text) => Universe::with_overrides_str(text, &format!("the universe of engine E{id}"))
            .map_err(|e| StoreError::Data(e.to_string()))?,
        None => Universe::builtin(),
    };
    let cfg = stored.spec.config(&universe).map_err(|e| StoreError::Data(format!("engine E{id}: {e}")))?;
    let mut engine = Engine::new(Arc::new(universe), cfg)
        .map_err(|e| StoreError::Data(format!("engine E{id} cannot be rebuilt: {e}")))?;
    // Its orders come back from the ledger as E{id}-P..., and new ones follow suit.
    engine.set_number(rows::engine_number(id)?).map_err(|e| StoreError::Data(e.to_string()))?;
    // The market replays deterministically from the open to where the ledger
    // stops, so prices carry on from where they were (less our own impact).
    engine.run_until(stored.sim_now);
    let report = engine
        .restore(stored.parents, stored.point)
        .map_err(|e| StoreError::Data(format!("engine E{id} cannot be restored: {e}")))?;
    let mut recorder = Recorder::new(ledger, eref);
    let detail = serde_json::to_string(&report).unwrap_or_default();
    recorder.push_with(&mut engine, vec![AuditEntry::action(actor, "recover", None, detail)]);
    let released = recorder.release(true)?;
    Ok(Recovered { engine, recorder, report, released, spec: stored.spec })
}

fn load(ledger: &Ledger, id: i64) -> Result<Stored, StoreError> {
    let b = ledger.target().backend();
    let read = |e: sqlx::Error| StoreError::db(format!("reading engine E{id}"), e);
    ledger.block_on(async {
        let r = b
            .q("SELECT tenant, user_name, seed, trade_date, symbols, universe, replay, market, risk_config, \
                risk_book, last_seq, last_fill, sim_now FROM engines WHERE id = ?")
            .bind(id)
            .fetch_optional(ledger.pool())
            .await
            .map_err(read)?
            .ok_or_else(|| StoreError::NotFound(format!("no engine E{id}")))?;
        let json_err = |what: &str, e: serde_json::Error| StoreError::Data(format!("engine E{id} {what}: {e}"));
        let date: String = col(&r, "trade_date")?;
        let risk_book: Option<String> = col(&r, "risk_book")?;
        let seed: i64 = col(&r, "seed")?;
        let sim_now = Timestamp(col(&r, "sim_now")?);
        let spec = EngineSpec {
            tenant: col(&r, "tenant")?,
            user: col(&r, "user_name")?,
            // Stored bit for bit in a signed column.
            seed: seed as u64,
            date: date.parse().map_err(|_| StoreError::Data(format!("engine E{id}: bad date '{date}'")))?,
            symbols: serde_json::from_str(&col::<String>(&r, "symbols")?).map_err(|e| json_err("symbols", e))?,
            universe: col(&r, "universe")?,
            replay: match col::<Option<String>>(&r, "replay")? {
                Some(t) => serde_json::from_str(&t).map_err(|e| json_err("recorded data", e))?,
                None => Vec::new(),
            },
            market: serde_json::from_str(&col::<String>(&r, "market")?).map_err(|e| json_err("market", e))?,
            risk: serde_json::from_str(&col::<String>(&r, "risk_config")?).map_err(|e| json_err("risk", e))?,
            origin: sim_now,
        };
        let risk: Option<RiskBook> = match risk_book {
            Some(t) => {
                Some(super::risk_state::from_text(&t).map_err(|e| StoreError::Data(format!("engine E{id}: {e}")))?)
            }
            None => None,
        };
        let count = |name: &str| -> Result<u64, StoreError> {
            u64::try_from(col::<i64>(&r, name)?).map_err(|_| StoreError::Data(format!("engines.{name} < 0")))
        };
        let point = RestorePoint { last_seq: count("last_seq")?, last_fill: count("last_fill")?, risk };

        let sql = format!("SELECT {} FROM parents WHERE engine_id = ? ORDER BY id", rows::PARENT_COLS.join(", "));
        let parents = b.q(&sql).bind(id).fetch_all(ledger.pool()).await.map_err(read)?;
        let parents: Vec<ParentRow> = parents.iter().map(rows::parent_from_row).collect::<Result<_, _>>()?;
        let sql =
            format!("SELECT {} FROM children WHERE engine_id = ? ORDER BY parent_id, seq", rows::CHILD_COLS.join(", "));
        let kids = b.q(&sql).bind(id).fetch_all(ledger.pool()).await.map_err(read)?;
        let mut children: BTreeMap<ParentId, Vec<ChildOrder>> = BTreeMap::new();
        for k in &kids {
            let c = rows::child_from_row(k)?;
            children.entry(c.id.parent).or_default().push(c);
        }
        let sql = format!("SELECT {} FROM fills WHERE engine_id = ? ORDER BY id", rows::FILL_COLS.join(", "));
        let found = b.q(&sql).bind(id).fetch_all(ledger.pool()).await.map_err(read)?;
        let mut fills: BTreeMap<ParentId, Vec<Fill>> = BTreeMap::new();
        for f in &found {
            let f = rows::fill_from_row(f)?;
            fills.entry(f.child.parent).or_default().push(f);
        }
        // Each order's pre-trade estimate was recorded with its acceptance.
        let sql = "SELECT payload FROM events WHERE engine_id = ? AND kind = 'accepted' ORDER BY seq";
        let accepted = b.q(sql).bind(id).fetch_all(ledger.pool()).await.map_err(read)?;
        // Keyed by the order's number in its engine (the id's engine part is this engine).
        let mut estimates: BTreeMap<u64, crate::tca::PreTrade> = BTreeMap::new();
        for r in &accepted {
            let payload: String = col(r, "payload")?;
            let ev: EngineEvent = serde_json::from_str(&payload)
                .map_err(|e| StoreError::Data(format!("engine E{id}: an accepted event does not read back: {e}")))?;
            if let crate::engine::EventKind::Accepted { order, estimate: Some(est) } = ev.kind {
                estimates.insert(order.id.n, *est);
            }
        }
        // And why each order that ended short did (its TCA says so after a restart).
        let sql = "SELECT payload FROM events WHERE engine_id = ? AND kind = 'done' ORDER BY seq";
        let done = b.q(sql).bind(id).fetch_all(ledger.pool()).await.map_err(read)?;
        let mut reasons: BTreeMap<u64, String> = BTreeMap::new();
        for r in &done {
            let payload: String = col(r, "payload")?;
            let ev: EngineEvent = serde_json::from_str(&payload)
                .map_err(|e| StoreError::Data(format!("engine E{id}: a done event does not read back: {e}")))?;
            if let crate::engine::EventKind::Done { parent, reason: Some(why), .. } = ev.kind {
                reasons.insert(parent.n, why);
            }
        }
        let parents = parents
            .into_iter()
            .map(|p| {
                let pid = p.order.id;
                RestoredParent {
                    pre_trade: estimates.remove(&pid.n),
                    done_reason: reasons.remove(&pid.n),
                    started: p.started_at.is_some(),
                    cancel_requested: p.cancel_requested,
                    children: children.remove(&pid).unwrap_or_default(),
                    fills: fills.remove(&pid).unwrap_or_default(),
                    order: p.order,
                }
            })
            .collect();
        Ok(Stored { spec, point, sim_now, parents })
    })
}
