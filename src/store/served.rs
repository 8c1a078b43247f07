//! The engine `blotter serve` runs, as the ledger sees it: marked `serve` so
//! that a restarted server resumes it (same event sequence, same orders), its
//! event log read back for clients resuming their event stream across a
//! restart, and the TCA of its finished orders, recorded beside the events
//! (the event sink sees events only).

use super::handle::LedgerHandle;
use super::ledger::{EngineRef, EngineSpec, Liveness, TcaRecord, to_json};
use super::rows::{self, col, int};
use super::{Ledger, StoreError, wall_ms};
use crate::engine::{Actor, Engine, EngineEvent, RestoreReport};
use crate::model::{ParentId, ParentStatus};
use sqlx::Connection;
use std::collections::BTreeSet;

/// The last engine served with a given set-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedEngine {
    /// Engine number.
    pub id: i64,
    /// Why it counts as running, if it does (then it is not resumed).
    pub running: Option<String>,
}

/// The engine a `serve` process runs.
#[derive(Debug)]
pub struct Served {
    /// The engine (resumed: its orders restored, its event sequence continued).
    pub engine: Engine,
    /// Its registration, owned by this process.
    pub eref: EngineRef,
    /// What the restore changed, when an earlier engine was resumed.
    pub resumed: Option<RestoreReport>,
    /// The last served engine, passed over because another process still serves it (id, why).
    pub passed_over: Option<(i64, String)>,
    /// The engine's last event sequence number in the ledger when this
    /// process took it over: events up to it are read back from the ledger.
    pub resumed_at: u64,
    /// How many risk controls were brought back from the ledger.
    pub controls: usize,
}

impl Ledger {
    /// The engine `serve` runs on this ledger: the last one served with the
    /// same market, resumed, when no other process runs it; otherwise `fresh`,
    /// registered and marked as served. Audited as `actor`. Either way the
    /// desk's risk controls, as supervisors last set them, are applied over
    /// the start-up configuration (a restart never loosens a control), and
    /// the engine records that it did (`ControlsRestored`, an alert).
    pub fn open_served(&self, fresh: Engine, spec: &EngineSpec, actor: &Actor) -> Result<Served, StoreError> {
        // Read before anything is taken over: a ledger whose controls cannot
        // be read is not served at all rather than served without them.
        let controls = self.desk_controls()?.controls;
        let mut passed_over = None;
        let mut opened = None;
        if let Some(last) = self.last_served(spec)? {
            match last.running {
                None => {
                    let r = super::recover::recover(self, last.id, actor, false)?;
                    let eref = r.recorder.engine_ref().clone();
                    opened = Some((r.engine, eref, Some(r.report)));
                }
                Some(why) => passed_over = Some((last.id, why)),
            }
        }
        let (mut engine, eref, resumed) = match opened {
            Some(o) => o,
            None => {
                let mut fresh = fresh;
                let eref = self.register(spec)?;
                fresh.set_number(super::rows::engine_number(eref.id)?).map_err(|e| StoreError::Data(e.to_string()))?;
                self.mark_served(&eref)?;
                (fresh, eref, None)
            }
        };
        let resumed_at = engine.event_count();
        let n = controls.len();
        engine.restore_controls(controls);
        Ok(Served { engine, eref, resumed, passed_over, resumed_at, controls: n })
    }

    /// The latest engine `serve` ran with the same market (seed, date,
    /// instruments, built-in universe, model and risk configuration), if any.
    pub fn last_served(&self, spec: &EngineSpec) -> Result<Option<ServedEngine>, StoreError> {
        if spec.universe.is_some() || !spec.replay.is_empty() {
            return Ok(None);
        }
        let (symbols, market, risk) = (to_json(&spec.symbols), to_json(&spec.market), to_json(&spec.risk));
        let (seed, date) = (spec.seed as i64, spec.date.to_string());
        let b = self.target().backend();
        let row = self
            .block_on(
                b.q("SELECT id, host, pid, heartbeat_at, stopped_at FROM engines WHERE kind = 'serve' AND seed = ? \
                     AND trade_date = ? AND symbols = ? AND universe IS NULL AND replay IS NULL AND market = ? \
                     AND risk_config = ? ORDER BY id DESC LIMIT 1")
                    .bind(seed)
                    .bind(date)
                    .bind(symbols)
                    .bind(market)
                    .bind(risk)
                    .fetch_optional(self.pool()),
            )
            .map_err(|e| StoreError::db("looking for the served engine", e))?;
        let Some(r) = row else { return Ok(None) };
        let live = Liveness {
            host: col(&r, "host")?,
            pid: col(&r, "pid")?,
            heartbeat_at: col(&r, "heartbeat_at")?,
            stopped: col::<Option<i64>>(&r, "stopped_at")?.is_some(),
        };
        Ok(Some(ServedEngine { id: col(&r, "id")?, running: live.running(wall_ms()) }))
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
                    vals.push(super::writer::tca_vals(engine, r));
                }
            }
            rows::insert(&mut tx, b, "tca", super::writer::TCA_COLS, super::writer::TCA_UPSERT, vals)
                .await
                .map_err(db)?;
            tx.commit().await.map_err(db)?;
            Ok(done)
        })
        .await
    }
}
