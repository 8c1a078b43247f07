//! The engine `blotter serve` runs, as the ledger sees it: marked `serve` so
//! that a restarted server resumes it (same event sequence, same orders), its
//! event log read back for clients resuming their event stream across a
//! restart, and the TCA of its finished orders, recorded beside the events
//! (the event sink sees events only).

use super::desk::{self, MarketKey};
use super::handle::LedgerHandle;
use super::record::{EngineRef, EngineSpec, TcaRecord};
use super::rows::{self, col, int};
use super::{Ledger, StoreError};
use crate::engine::{Actor, Engine, EngineEvent, RestoreReport};
use crate::model::{ParentId, ParentStatus};
use sqlx::Connection;
use std::collections::BTreeSet;

/// An engine a `serve` process runs, and how it came to run it.
#[derive(Debug)]
pub struct Served {
    /// The engine (resumed: its orders restored, its event sequence continued).
    pub engine: Engine,
    /// Its registration, owned by this process.
    pub eref: EngineRef,
    /// What the restore changed, when an earlier engine was resumed.
    pub resumed: Option<RestoreReport>,
    /// Its last event sequence number when this process took it over (0 for
    /// a new engine): events up to it are read back from the ledger.
    pub resumed_at: u64,
    /// How many of the desk's risk controls were applied to it from the ledger.
    pub controls: usize,
}

/// What a starting `serve` runs on its desk.
#[derive(Debug)]
pub struct DeskStart {
    /// Where its new orders go: resumed, or new.
    pub home: Served,
    /// Engines nobody ran that still had open orders, taken over.
    pub adopted: Vec<Served>,
    /// What was started, resumed or left, and why.
    pub notes: Vec<String>,
}

impl Ledger {
    /// The engines a `serve` process runs on this ledger's desk (see
    /// `store::desk`): the latest free engine with the market `spec`
    /// describes, resumed, or `fresh`, registered as a new engine last (so a
    /// refusal or failure before leaves none behind); and every other free
    /// engine with open orders, taken over. Another market beside the same
    /// day's engines is refused naming the engine, unless `new_engine`.
    /// Without `adopt`, the engines with open orders are named, not taken
    /// over. Audited as `actor`.
    pub fn start_desk(
        &self,
        fresh: Engine,
        spec: &EngineSpec,
        actor: &Actor,
        new_engine: bool,
        adopt: bool,
    ) -> Result<DeskStart, StoreError> {
        let want = MarketKey::of(spec);
        // Read before anything is taken over: a ledger whose controls cannot
        // be read is not served at all rather than served without them.
        let controls = self.desk_controls()?.controls;
        let mut plan = desk::plan(&self.desk_engines()?, &want, new_engine).map_err(StoreError::Refused)?;
        let mut notes = plan.notes;
        if !adopt {
            notes.retain(|n| !n.contains("taken over"));
            for id in std::mem::take(&mut plan.adopt) {
                notes.push(format!("engine E{id} has open orders and nobody runs it: blotter recover --engine E{id}"));
            }
        }
        let mut home = None;
        if let Some(id) = plan.home {
            match self.resume(id, actor) {
                Ok(s) => home = Some(s),
                // Taken by another instance starting at the same moment: start a new one.
                Err(StoreError::Busy(why)) => notes.push(format!("engine E{id} was taken meanwhile ({why})")),
                Err(e) => return Err(e),
            }
        }
        let mut adopted = Vec::new();
        for id in plan.adopt {
            match self.resume(id, actor) {
                Ok(s) => adopted.push(s),
                Err(StoreError::Busy(why)) => notes.push(format!("engine E{id} was taken meanwhile ({why})")),
                // One engine that cannot be rebuilt does not keep the desk down.
                Err(e) => notes.push(format!(
                    "engine E{id} could not be taken over ({e}); its orders stay in the ledger (blotter recover)"
                )),
            }
        }
        let mut home = match home {
            Some(h) => h,
            None => {
                let mut fresh = fresh;
                let eref = self.register(spec)?;
                if let Err(e) = self.numbered(&mut fresh, &eref).and_then(|()| self.mark_served(&eref)) {
                    let _ = self.discard(&eref);
                    return Err(e);
                }
                notes.push(format!("engine E{} started: {}", eref.id, want.describe()));
                Served { engine: fresh, eref, resumed: None, resumed_at: 0, controls: 0 }
            }
        };
        if home.resumed.is_none() {
            // The desk's controls over the new engine's start-up configuration.
            home.controls = controls.len();
            home.engine.restore_controls(controls);
        }
        Ok(DeskStart { home, adopted, notes })
    }

    /// The engine `serve` runs on this ledger: the desk's home engine as
    /// `start_desk` picks it, a new market allowed; engines with open
    /// orders that nobody runs are left to the next `serve` or `recover`.
    pub fn open_served(&self, fresh: Engine, spec: &EngineSpec, actor: &Actor) -> Result<Served, StoreError> {
        let want = MarketKey::of(spec);
        let controls = self.desk_controls()?.controls;
        let free_same = self.desk_engines()?.into_iter().filter(|e| e.running.is_none() && e.market.same(&want));
        if let Some(id) = free_same.map(|e| e.id).max() {
            return self.resume(id, actor);
        }
        let mut fresh = fresh;
        let eref = self.register(spec)?;
        if let Err(e) = self.numbered(&mut fresh, &eref).and_then(|()| self.mark_served(&eref)) {
            let _ = self.discard(&eref);
            return Err(e);
        }
        fresh.restore_controls(controls.clone());
        Ok(Served { engine: fresh, eref, resumed: None, resumed_at: 0, controls: controls.len() })
    }

    /// Takes engine `id` over from a process that is gone, rebuilds it, and
    /// applies the desk's risk controls as supervisors last set them (a
    /// restart or a takeover never loosens one; the engine records that it
    /// did, `ControlsRestored`).
    pub fn resume(&self, id: i64, actor: &Actor) -> Result<Served, StoreError> {
        // Read before the engine is taken over: one whose controls cannot be
        // read is left alone rather than run without them.
        let controls = self.desk_controls()?.controls;
        let mut r = super::recover::recover(self, id, actor, false)?;
        // A served engine keeps a bounded history (its TCA runs on running statistics).
        r.engine.set_retention(crate::engine::Retention::Bounded);
        let eref = r.recorder.engine_ref().clone();
        let resumed_at = r.engine.event_count();
        let n = controls.len();
        r.engine.restore_controls(controls);
        Ok(Served { engine: r.engine, eref, resumed: Some(r.report), resumed_at, controls: n })
    }

    /// Numbers a new engine as its registration.
    fn numbered(&self, engine: &mut Engine, eref: &EngineRef) -> Result<(), StoreError> {
        engine.set_number(rows::engine_number(eref.id)?).map_err(|e| StoreError::Data(e.to_string()))
    }

    /// Removes an engine this process registered and that never recorded
    /// anything (a `serve` that failed to start): nothing is left to resume
    /// in its place. An engine with any event or order is kept.
    pub fn discard(&self, engine: &EngineRef) -> Result<bool, StoreError> {
        let b = self.target().backend();
        let n = self
            .block_on(
                b.q("DELETE FROM engines WHERE id = ? AND owner = ? AND last_seq = 0 \
                     AND NOT EXISTS (SELECT 1 FROM parents WHERE engine_id = ?) \
                     AND NOT EXISTS (SELECT 1 FROM audit WHERE engine_id = ?)")
                    .bind(engine.id)
                    .bind(engine.owner.clone())
                    .bind(engine.id)
                    .bind(engine.id)
                    .execute(self.pool()),
            )
            .map_err(|e| StoreError::db("removing the engine that did not start", e))?
            .rows_affected();
        if n == 1 {
            self.forget(engine)?;
        }
        Ok(n == 1)
    }

    /// Marks an engine as run by `serve`.
    pub fn mark_served(&self, engine: &EngineRef) -> Result<(), StoreError> {
        let b = self.target().backend();
        self.block_on(
            b.q("UPDATE engines SET kind = 'serve' WHERE id = ? AND owner = ?")
                .bind(engine.id)
                .bind(engine.owner.clone())
                .execute(self.pool()),
        )
        .map_err(|e| StoreError::db("marking the served engine", e))
        .map(drop)
    }
}

impl LedgerHandle {
    /// Events of `engine` with a sequence number in `(after, upto]`, in order, at most `limit`.
    pub async fn events_between(
        &self,
        engine: i64,
        after: u64,
        upto: u64,
        limit: usize,
    ) -> Result<Vec<EngineEvent>, StoreError> {
        self.run(move |pool, b| async move {
            let found = b
                .q(&format!(
                    "SELECT seq, payload FROM events WHERE engine_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT {}",
                    limit.max(1)
                ))
                .bind(engine)
                .bind(int(after))
                .bind(int(upto))
                .fetch_all(&pool)
                .await
                .map_err(|e| StoreError::db("reading the event log", e))?;
            found
                .iter()
                .map(|r| {
                    let seq: i64 = col(r, "seq")?;
                    serde_json::from_str::<EngineEvent>(&col::<String>(r, "payload")?)
                        .map_err(|e| StoreError::Data(format!("event {seq} of engine E{engine}: {e}")))
                })
                .collect()
        })
        .await
    }

    /// The orders of `engine` whose TCA is recorded.
    pub async fn tca_recorded(&self, engine: i64) -> Result<BTreeSet<ParentId>, StoreError> {
        self.run(move |pool, b| async move {
            let found = b
                .q("SELECT parent_id FROM tca WHERE engine_id = ?")
                .bind(engine)
                .fetch_all(&pool)
                .await
                .map_err(|e| StoreError::db("reading recorded TCA", e))?;
            found.iter().map(|r| rows::parent_id(engine, col(r, "parent_id")?)).collect()
        })
        .await
    }

    /// Records the TCA of finished orders of `engine` whose end is committed
    /// (an order the ledger does not yet hold as finished is left for a later
    /// call); returns the orders recorded.
    pub async fn record_tca(&self, engine: i64, records: Vec<TcaRecord>) -> Result<Vec<ParentId>, StoreError> {
        self.run(move |pool, b| async move {
            let db = |e: sqlx::Error| StoreError::db("recording TCA", e);
            let mut conn = pool.acquire().await.map_err(db)?;
            let mut tx = conn.begin_with(b.begin_write()).await.map_err(db)?;
            let mut done = Vec::new();
            let mut vals = Vec::new();
            for r in &records {
                let status: Option<String> = b
                    .q("SELECT status FROM parents WHERE engine_id = ? AND id = ?")
                    .bind(engine)
                    .bind(int(r.order.id.n))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?
                    .map(|row| col::<String>(&row, "status"))
                    .transpose()?;
                let finished = status.and_then(|s| s.parse::<ParentStatus>().ok());
                if finished.is_some_and(ParentStatus::is_terminal) {
                    done.push(r.order.id);
                    vals.push(super::rows::tca_vals(engine, r));
                }
            }
            rows::insert(&mut tx, b, "tca", super::rows::TCA_COLS, super::rows::TCA_UPSERT, vals).await.map_err(db)?;
            tx.commit().await.map_err(db)?;
            Ok(done)
        })
        .await
    }
}
