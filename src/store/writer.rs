//! The group-commit writer: one task takes every batch waiting in its queue,
//! writes them in one transaction and acknowledges each only after the
//! commit. While a commit is syncing, new batches queue up and go into the
//! next one, so the number of syncs follows the disk, not the event rate.
//!
//! Each commit also checks that this process still owns every engine in it
//! (fencing) and refuses events whose sequence numbers do not follow the last
//! committed one, so nothing is recorded twice.
//!
//! A database outage does not fail the group: the writer keeps it and tries
//! again with backoff until the database answers (`outage`), so a restart of
//! PostgreSQL delays acknowledgements instead of stopping the engine for good.

use super::backlog::Backlog;
use super::db::Backend;
use super::outage::{self, Backoff, Outage};
use super::record::{Batch, EngineRef};
use super::replica::{Replica, changes, child_changed};
use super::rows::{self, AUDIT_COLS, EVENT_COLS, TCA_COLS, TCA_UPSERT, audit_vals, event_vals, int, tca_vals};
use super::{StoreError, wall_ms};
use crate::engine::{EngineEvent, EventKind};
use crate::model::{ChildId, ParentId};
use sqlx::{AnyConnection, AnyPool, Connection};
use std::collections::{BTreeSet, HashMap};
use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;

/// What the writer is asked to do.
pub(crate) enum Msg {
    /// Commit a batch; answer with its events once durable.
    Batch(Box<Batch>, SyncSender<Result<Vec<EngineEvent>, StoreError>>),
    /// Keep this engine's heartbeat going.
    Adopt(EngineRef),
    /// After everything before it, mark the engine cleanly stopped.
    Release(EngineRef, SyncSender<Result<(), StoreError>>),
    /// After everything before it, stop keeping the engine (its row is gone).
    Forget(EngineRef, SyncSender<Result<(), StoreError>>),
}

/// How often an idle engine's heartbeat is renewed at most: a quarter of the
/// shortest lease held, so one late beat never loses an engine.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// ... and at least.
const MIN_HEARTBEAT: Duration = Duration::from_millis(50);
/// Most events in one transaction.
const MAX_GROUP_EVENTS: usize = 200_000;

/// What has been committed per engine.
#[derive(Debug, Clone)]
struct Cursor {
    owner: String,
    last_seq: u64,
    last_fill: u64,
    last_audit: u64,
}

struct Writer {
    pool: AnyPool,
    backend: Backend,
    replica: Replica,
    cursors: HashMap<i64, Cursor>,
    /// Engines this process runs: their owner claim and lease.
    active: HashMap<i64, (String, i64)>,
    last_beat: Instant,
    conn: Option<sqlx::pool::PoolConnection<sqlx::Any>>,
    /// Engines this process lost to another (fenced out), for whoever runs them.
    fenced: tokio::sync::watch::Sender<BTreeSet<i64>>,
    outage: std::sync::Arc<Outage>,
    /// Events waiting for an answer, released as each batch is answered.
    backlog: std::sync::Arc<Backlog>,
}

type Pending = (Box<Batch>, SyncSender<Result<Vec<EngineEvent>, StoreError>>);

/// The writer task: runs until the ledger closes its queue, finishing what is queued.
pub(crate) async fn run(
    pool: AnyPool,
    backend: Backend,
    mut rx: UnboundedReceiver<Msg>,
    fenced: tokio::sync::watch::Sender<BTreeSet<i64>>,
    outage: std::sync::Arc<Outage>,
    backlog: std::sync::Arc<Backlog>,
) {
    let mut w = Writer {
        fenced,
        outage,
        backlog,
        pool,
        backend,
        replica: Replica::default(),
        cursors: HashMap::new(),
        active: HashMap::new(),
        last_beat: Instant::now(),
        conn: None,
    };
    loop {
        let first = match tokio::time::timeout(w.beat_every(), rx.recv()).await {
            Ok(Some(m)) => m,
            Ok(None) => break,
            Err(_) => {
                w.heartbeat().await;
                continue;
            }
        };
        let mut msgs = vec![first];
        let mut events = 0;
        while events < MAX_GROUP_EVENTS {
            match rx.try_recv() {
                Ok(m) => {
                    if let Msg::Batch(b, _) = &m {
                        events += b.events.len();
                    }
                    msgs.push(m);
                }
                Err(_) => break,
            }
        }
        let mut group: Vec<Pending> = Vec::new();
        for m in msgs {
            match m {
                Msg::Batch(b, ack) => group.push((b, ack)),
                Msg::Adopt(e) => {
                    w.flush(&mut group).await;
                    // Taken (back) by this process: no longer lost.
                    w.fenced.send_if_modified(|set| set.remove(&e.id));
                    w.cursors.remove(&e.id);
                    w.replica.forget(e.id);
                    w.active.insert(e.id, (e.owner, e.lease_ms));
                }
                Msg::Release(e, ack) => {
                    w.flush(&mut group).await;
                    let _ = ack.send(w.release(&e).await);
                }
                Msg::Forget(e, ack) => {
                    w.flush(&mut group).await;
                    w.active.remove(&e.id);
                    w.forget(&BTreeSet::from([e.id]));
                    let _ = ack.send(Ok(()));
                }
            }
        }
        w.flush(&mut group).await;
        if w.last_beat.elapsed() >= w.beat_every() {
            w.heartbeat().await;
        }
    }
}

impl Writer {
    /// How often heartbeats go out: a quarter of the shortest lease held.
    fn beat_every(&self) -> Duration {
        let shortest = self.active.values().map(|(_, lease)| *lease).min();
        let quarter = shortest.map_or(HEARTBEAT, |ms| Duration::from_millis(u64::try_from(ms / 4).unwrap_or(0)));
        quarter.clamp(MIN_HEARTBEAT, HEARTBEAT)
    }

    /// Commits the group and answers every batch in it.
    async fn flush(&mut self, group: &mut Vec<Pending>) {
        if group.is_empty() {
            return;
        }
        let all: Vec<Pending> = std::mem::take(group);
        let delay = self.backlog.writer_delay();
        if !delay.is_zero() {
            // The test hook: a slow database.
            tokio::time::sleep(delay).await;
        }
        let engines: BTreeSet<i64> = all.iter().map(|(b, _)| b.engine.id).collect();
        let refs: Vec<&Batch> = all.iter().map(|(b, _)| &**b).collect();
        let result = self.commit_through_outage(&refs).await;
        if result.is_ok() || engines.len() == 1 {
            if let Err(e) = &result {
                self.failed(&engines, e);
            }
            self.answer(all, &result);
            return;
        }
        // One engine's failure (say it was taken over) must not fail the
        // others that happened to share the transaction: retry each alone.
        self.forget(&engines);
        let mut left = all;
        while let Some(id) = left.first().map(|(b, _)| b.engine.id) {
            let (mine, rest): (Vec<Pending>, Vec<Pending>) = left.into_iter().partition(|(b, _)| b.engine.id == id);
            left = rest;
            let refs: Vec<&Batch> = mine.iter().map(|(b, _)| &**b).collect();
            let r = self.commit_through_outage(&refs).await;
            if let Err(e) = &r {
                self.failed(&BTreeSet::from([id]), e);
            }
            self.answer(mine, &r);
        }
    }

    /// Answers every batch of a group with the result of its commit, and
    /// makes room in the backlog for as many events.
    fn answer(&self, group: Vec<Pending>, result: &Result<(), StoreError>) {
        for (b, ack) in group {
            let n = b.events.len();
            let _ = ack.send(result.clone().map(|()| b.events));
            self.backlog.release(n);
        }
    }

    /// A commit of `engines` alone failed with `e`: what is held for them is
    /// read again next time; one that was taken over is lost for good.
    fn failed(&mut self, engines: &BTreeSet<i64>, e: &StoreError) {
        self.forget(engines);
        if matches!(e, StoreError::Fenced(_)) {
            for &id in engines {
                self.lose(id);
            }
        }
    }

    /// Commits, waiting out a database outage: the same batches are tried
    /// again with backoff until the database answers. A commit whose answer
    /// was lost with the connection may have gone through: the engines'
    /// committed sequence numbers say so before it is written again.
    async fn commit_through_outage(&mut self, batches: &[&Batch]) -> Result<(), StoreError> {
        let engines: BTreeSet<i64> = batches.iter().map(|b| b.engine.id).collect();
        let mut backoff = Backoff::default();
        loop {
            let r = self.commit(batches).await;
            self.outage.note(&r);
            match r {
                Err(e) if outage::is_outage(&e) => {
                    // What the failed attempt applied in memory is read again.
                    self.conn = None;
                    self.forget(&engines);
                    backoff.wait().await;
                    if self.committed_already(batches).await {
                        self.outage.mark_up();
                        return Ok(());
                    }
                }
                other => return other,
            }
        }
    }

    /// True when every engine's last committed event is at or past the last
    /// of its events in `batches` (one transaction: all of them or none).
    async fn committed_already(&mut self, batches: &[&Batch]) -> bool {
        let mut last: HashMap<i64, u64> = HashMap::new();
        for b in batches {
            if let Some(e) = b.events.last() {
                let l = last.entry(b.engine.id).or_default();
                *l = (*l).max(e.seq);
            }
        }
        if last.is_empty() {
            return false;
        }
        let pool = self.pool.clone();
        let backend = self.backend;
        for (id, seq) in last {
            let got = self
                .outage
                .within("reading the engine", async {
                    let mut conn = pool.acquire().await.map_err(|e| StoreError::db("connecting", e))?;
                    load_cursor(&mut conn, backend, id).await
                })
                .await;
            match got {
                Ok(c) if c.last_seq >= seq => {}
                _ => return false,
            }
        }
        true
    }

    fn forget(&mut self, engines: &BTreeSet<i64>) {
        for &id in engines {
            self.replica.forget(id);
            self.cursors.remove(&id);
        }
    }

    /// Writes batches in one transaction.
    async fn commit(&mut self, batches: &[&Batch]) -> Result<(), StoreError> {
        let backend = self.backend;
        // The writer keeps its connection between commits (no pool checkout and
        // liveness ping per commit); one that failed is dropped, not reused.
        let mut conn = match self.conn.take() {
            Some(c) => c,
            None => {
                let pool = self.pool.clone();
                self.outage
                    .within(
                        "connecting",
                        async move { pool.acquire().await.map_err(|e| StoreError::db("connecting", e)) },
                    )
                    .await?
            }
        };
        let mut tx =
            conn.begin_with(backend.begin_write()).await.map_err(|e| StoreError::db("starting a commit", e))?;
        let mut cursors: HashMap<i64, Cursor> = HashMap::new();
        for b in batches {
            let id = b.engine.id;
            if cursors.contains_key(&id) {
                continue;
            }
            let c = match self.cursors.get(&id) {
                Some(c) => c.clone(),
                None => load_cursor(&mut tx, backend, id).await?,
            };
            if c.owner != b.engine.owner {
                return Err(fenced(&mut tx, backend, id).await);
            }
            cursors.insert(id, c);
        }
        self.load_missing(&mut tx, batches).await?;

        let mut events = Vec::new();
        let mut fills = Vec::new();
        let mut audit = Vec::new();
        let mut tca = Vec::new();
        for b in batches {
            let id = b.engine.id;
            let c = cursors.get_mut(&id).ok_or_else(|| StoreError::Data(format!("no cursor for E{id}")))?;
            let number = b.engine.number();
            for ev in &b.events {
                // An engine's orders carry its number, or none (a standalone
                // run keeps the short form; the ledger qualifies it on reading).
                if let Some(p) = changed(&ev.kind)
                    && p.engine != 0
                    && p.engine != number
                {
                    return Err(StoreError::Data(format!(
                        "event {} of engine E{id} changes order {p} of another engine; nothing was recorded",
                        ev.seq
                    )));
                }
                if ev.seq <= c.last_seq {
                    return Err(StoreError::Data(format!(
                        "event {} of engine E{id} is not after the last committed one ({}); nothing was recorded",
                        ev.seq, c.last_seq
                    )));
                }
                if let Some(f) = self.replica.apply(id, ev).map_err(StoreError::Data)? {
                    c.last_fill = c.last_fill.max(f.id.0);
                    fills.push(rows::fill_vals(id, &f, ev.seq));
                }
                c.last_seq = ev.seq;
                events.push(event_vals(id, ev)?);
            }
            for a in &b.audit {
                c.last_audit += 1;
                audit.push(audit_vals(id, c.last_audit, a));
            }
            tca.extend(b.tca.iter().map(|t| tca_vals(id, t)));
        }
        // The engine row first: it checks this process still owns each engine
        // (and, on PostgreSQL, locks the row against a takeover until the
        // commit), so a process fenced out is told so before it writes a
        // single row, never with another engine's constraint violation.
        for (id, cur) in &cursors {
            let sim_now = batches.iter().filter(|b| b.engine.id == *id).filter_map(|b| b.sim_now).next_back();
            let risk = batches
                .iter()
                .filter(|b| b.engine.id == *id)
                .filter_map(|b| b.risk.as_ref())
                .next_back()
                .map(super::risk_state::to_text)
                .transpose()
                .map_err(StoreError::Data)?;
            let n = backend
                .q(&format!(
                    "UPDATE engines SET last_seq = ?, last_fill = ?, last_audit = ?, sim_now = COALESCE(?, sim_now), \
                     risk_book = COALESCE(?, risk_book), heartbeat_at = {} WHERE id = ? AND owner = ?",
                    backend.now_ms()
                ))
                .bind(int(cur.last_seq))
                .bind(int(cur.last_fill))
                .bind(int(cur.last_audit))
                .bind(sim_now.map(|t| t.0))
                .bind(risk)
                .bind(*id)
                .bind(cur.owner.clone())
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::db("writing the engine", e))?
                .rows_affected();
            if n != 1 {
                return Err(fenced(&mut tx, backend, *id).await);
            }
        }
        let (parents, children) = self.replica.take_dirty();
        let parents = parents.iter().map(|(e, p)| rows::parent_vals(*e, p)).collect();
        let children = children.iter().map(|(e, c)| rows::child_vals(*e, c)).collect();
        let write = |what: &'static str| move |e: sqlx::Error| StoreError::db(format!("writing {what}"), e);
        let c = &mut *tx;
        rows::insert(c, backend, "parents", rows::PARENT_COLS, rows::PARENT_UPSERT, parents)
            .await
            .map_err(write("orders"))?;
        rows::insert(c, backend, "children", rows::CHILD_COLS, rows::CHILD_UPSERT, children)
            .await
            .map_err(write("child orders"))?;
        rows::insert(c, backend, "fills", rows::FILL_COLS, "", fills).await.map_err(write("fills"))?;
        rows::insert(c, backend, "events", EVENT_COLS, "", events).await.map_err(write("events"))?;
        rows::insert(c, backend, "audit", AUDIT_COLS, "", audit).await.map_err(write("the audit log"))?;
        rows::insert(c, backend, "tca", TCA_COLS, TCA_UPSERT, tca).await.map_err(write("TCA"))?;
        for b in batches.iter().filter(|b| !b.controls.is_empty()) {
            super::controls::write(c, backend, b.engine.id, &b.controls).await?;
        }
        tx.commit().await.map_err(|e| StoreError::db("committing", e))?;
        self.conn = Some(conn);
        self.cursors.extend(cursors);
        self.replica.evict_finished();
        // Not a heartbeat: the commit renewed only its own engines' rows, and
        // counting it as one starved the others this process runs (an idle
        // engine taken over beside a busy one looked abandoned after a lease,
        // and was taken over again from this live process).
        Ok(())
    }

    /// Reads back the orders the group's events change that the replica
    /// does not hold, and the finished children it dropped that a late
    /// event (a cancel racing a fill, say) still changes.
    async fn load_missing(&mut self, conn: &mut AnyConnection, batches: &[&Batch]) -> Result<(), StoreError> {
        let mut accepted: BTreeSet<(i64, ParentId)> = BTreeSet::new();
        let mut wanted: BTreeSet<(i64, ParentId)> = BTreeSet::new();
        let mut sent: BTreeSet<(i64, ChildId)> = BTreeSet::new();
        let mut wanted_children: BTreeSet<(i64, ChildId)> = BTreeSet::new();
        for b in batches {
            let id = b.engine.id;
            for ev in &b.events {
                if let EventKind::Accepted { order, .. } = &ev.kind {
                    accepted.insert((id, order.id));
                } else if let Some(p) = changes(&ev.kind)
                    && !accepted.contains(&(id, p))
                    && !self.replica.has(id, p)
                {
                    wanted.insert((id, p));
                }
                if let EventKind::ChildSent { child } = &ev.kind {
                    sent.insert((id, child.id));
                } else if let Some(c) = child_changed(&ev.kind)
                    && !sent.contains(&(id, c))
                    && !self.replica.has_child(id, c)
                {
                    wanted_children.insert((id, c));
                }
            }
        }
        let backend = self.backend;
        let read = |e: sqlx::Error| StoreError::db("reading an order back", e);
        for (engine, p) in wanted {
            let sql = format!("SELECT {} FROM parents WHERE engine_id = ? AND id = ?", rows::PARENT_COLS.join(", "));
            let row = backend
                .q(&sql)
                .bind(engine)
                .bind(int(p.n))
                .fetch_optional(&mut *conn)
                .await
                .map_err(read)?
                .ok_or_else(|| StoreError::Data(format!("an event of engine E{engine} refers to unknown order {p}")))?;
            let parent = rows::parent_from_row(&row)?;
            let sql = format!(
                "SELECT {} FROM children WHERE engine_id = ? AND parent_id = ? ORDER BY seq",
                rows::CHILD_COLS.join(", ")
            );
            let kids = backend.q(&sql).bind(engine).bind(int(p.n)).fetch_all(&mut *conn).await.map_err(read)?;
            let kids = kids.iter().map(rows::child_from_row).collect::<Result<Vec<_>, _>>()?;
            self.replica.load(engine, parent, kids);
        }
        for (engine, c) in wanted_children {
            // Read back with its parent above, or dropped once final.
            if self.replica.has_child(engine, c) {
                continue;
            }
            let sql = format!(
                "SELECT {} FROM children WHERE engine_id = ? AND parent_id = ? AND seq = ?",
                rows::CHILD_COLS.join(", ")
            );
            let row = backend
                .q(&sql)
                .bind(engine)
                .bind(int(c.parent.n))
                .bind(i64::from(c.seq))
                .fetch_optional(&mut *conn)
                .await
                .map_err(read)?
                .ok_or_else(|| StoreError::Data(format!("an event of engine E{engine} refers to unknown child {c}")))?;
            self.replica.load_child(engine, rows::child_from_row(&row)?);
        }
        Ok(())
    }

    /// Renews the heartbeat of every engine this process runs.
    async fn heartbeat(&mut self) {
        self.last_beat = Instant::now();
        let sql = format!("UPDATE engines SET heartbeat_at = {} WHERE id = ? AND owner = ?", self.backend.now_ms());
        let mut lost = Vec::new();
        for (id, (owner, _)) in &self.active {
            let q = self.backend.q(&sql).bind(*id).bind(owner.clone());
            let pool = self.pool.clone();
            // Bounded, and noted: an idle writer notices an outage (and its end) here.
            let r = self
                .outage
                .within("renewing the heartbeat", async move {
                    q.execute(&pool).await.map_err(|e| StoreError::db("renewing the heartbeat", e))
                })
                .await;
            self.outage.note(&r);
            // A lost engine stops beating; a failed update is retried next time.
            if matches!(r, Ok(ref q) if q.rows_affected() == 0) {
                lost.push(*id);
            }
        }
        for id in lost {
            self.lose(id);
        }
    }

    /// Another process took `id` over: stop beating for it and say so.
    fn lose(&mut self, id: i64) {
        self.active.remove(&id);
        self.fenced.send_modify(|set| {
            set.insert(id);
        });
    }

    async fn release(&mut self, e: &EngineRef) -> Result<(), StoreError> {
        self.active.remove(&e.id);
        self.forget(&BTreeSet::from([e.id]));
        let sql = format!(
            "UPDATE engines SET stopped_at = ?, heartbeat_at = {} WHERE id = ? AND owner = ?",
            self.backend.now_ms()
        );
        let n = self
            .backend
            .q(&sql)
            .bind(wall_ms())
            .bind(e.id)
            .bind(e.owner.clone())
            .execute(&self.pool)
            .await
            .map_err(|err| StoreError::db("stopping the engine", err))?
            .rows_affected();
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::Fenced(format!("engine {e} was taken over by another process before it stopped")))
        }
    }
}

/// The refusal of a commit for an engine this process no longer owns,
/// naming who owns it now.
async fn fenced(conn: &mut AnyConnection, backend: Backend, id: i64) -> StoreError {
    let now = backend
        .q("SELECT host, pid FROM engines WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .ok()
        .flatten()
        .and_then(|r| Some((rows::col::<String>(&r, "host").ok()?, rows::col::<i64>(&r, "pid").ok()?)));
    let who = match now {
        Some((host, pid)) => format!("pid {pid} on {host}"),
        None => "another process".into(),
    };
    StoreError::Fenced(format!(
        "engine E{id} was taken over by {who} (a forced recover, or another instance after this one's lease ran \
         out); this process may not record for it any more, and nothing of this request was recorded"
    ))
}

/// The order an event creates or changes.
fn changed(kind: &EventKind) -> Option<ParentId> {
    match kind {
        EventKind::Accepted { order, .. } => Some(order.id),
        other => changes(other),
    }
}

async fn load_cursor(conn: &mut AnyConnection, backend: Backend, id: i64) -> Result<Cursor, StoreError> {
    let row = backend
        .q("SELECT owner, last_seq, last_fill, last_audit FROM engines WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| StoreError::db("reading the engine", e))?
        .ok_or_else(|| StoreError::NotFound(format!("no engine E{id}")))?;
    let u = |name: &str| -> Result<u64, StoreError> {
        u64::try_from(rows::col::<i64>(&row, name)?).map_err(|_| StoreError::Data(format!("engines.{name} < 0")))
    };
    Ok(Cursor {
        owner: rows::col(&row, "owner")?,
        last_seq: u("last_seq")?,
        last_fill: u("last_fill")?,
        last_audit: u("last_audit")?,
    })
}
