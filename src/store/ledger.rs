//! The ledger handle: opens (checks, migrates) the database, registers
//! engines, and hands batches to the group-commit writer, which runs on the
//! ledger's own small tokio runtime so a synchronous driver (the CLI, a
//! blocking event sink) can use it from any thread.
//!
//! Ownership: each engine row names the process writing it (`owner`) and
//! carries a heartbeat. Every commit checks the owner, so a process that lost
//! its engine to a recovery elsewhere cannot write another event for it.

use super::backlog::Backlog;
use super::lease::{LEASE_MS, Liveness, host, liveness_cols, machine, owner_token};
use super::outage::Outage;
use super::record::{Batch, EngineRef, EngineSpec, to_json};
use super::writer::{self, Msg};
use super::{DbTarget, StoreError, db, migrate, wall_ms};
use crate::engine::EngineEvent;
use sqlx::AnyPool;
use std::sync::mpsc;
use tokio::sync::mpsc::UnboundedSender;

/// The promise of a commit: resolves to the batch's events once they are
/// durable (or to the error that stopped them).
#[derive(Debug)]
pub struct Ticket {
    rx: mpsc::Receiver<Result<Vec<EngineEvent>, StoreError>>,
}

impl Ticket {
    /// Waits for the commit.
    pub fn wait(self) -> Result<Vec<EngineEvent>, StoreError> {
        self.rx.recv().unwrap_or(Err(StoreError::Closed))
    }
    /// The result if the commit has finished, without waiting.
    pub fn poll(&self) -> Option<Result<Vec<EngineEvent>, StoreError>> {
        match self.rx.try_recv() {
            Ok(r) => Some(r),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => Some(Err(StoreError::Closed)),
        }
    }
}

/// An open ledger.
pub struct Ledger {
    rt: Option<tokio::runtime::Runtime>,
    pool: AnyPool,
    target: DbTarget,
    tx: Option<UnboundedSender<Msg>>,
    writer: Option<tokio::task::JoinHandle<()>>,
    /// The lease this process keeps on the engines it registers or takes over.
    lease_ms: std::sync::atomic::AtomicI64,
    /// Engines this process lost to another (a forced takeover elsewhere).
    fenced: tokio::sync::watch::Sender<std::collections::BTreeSet<i64>>,
    /// The desk's notices, shared by every handle (`relay`).
    notices: std::sync::Arc<std::sync::OnceLock<tokio::sync::broadcast::Sender<super::relay::Notice>>>,
    /// Connections holding the desk's control lock, shared by every handle (`guard`).
    holds: std::sync::Arc<std::sync::OnceLock<AnyPool>>,
    /// Whether the database is reachable (`outage`), shared by every handle.
    outage: std::sync::Arc<Outage>,
    /// Events waiting for the writer, bounded (`backlog`).
    backlog: std::sync::Arc<Backlog>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").field("target", &self.target).finish()
    }
}

/// The shortest lease: heartbeats go out four times per lease, and more
/// often than every 50 ms would only load the database.
pub const MIN_LEASE_MS: i64 = 200;

impl Ledger {
    /// Opens the ledger named by a `--db` value, or the default one (creating
    /// its directory).
    pub fn open_arg(db: Option<&str>) -> Result<Ledger, StoreError> {
        let target = DbTarget::resolve(db)?;
        if db.is_none()
            && let Some(dir) = target.sqlite_path().and_then(|p| p.parent())
        {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Connect {
                target: target.to_string(),
                message: format!("{}: {e}", dir.display()),
            })?;
        }
        Ledger::open(&target)
    }

    /// Opens `target`: refuses a database that is not a usable ledger (leaving
    /// it untouched), applies pending migrations, starts the writer.
    pub fn open(target: &DbTarget) -> Result<Ledger, StoreError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("blotter-ledger")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Connect { target: target.to_string(), message: e.to_string() })?;
        let pool = rt.block_on(async {
            migrate::check(target).await?;
            let pool = db::connect_pool(target).await?;
            migrate::migrate(&pool, target).await?;
            Ok::<_, StoreError>(pool)
        })?;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let (fenced, _) = tokio::sync::watch::channel(std::collections::BTreeSet::new());
        let outage = std::sync::Arc::new(match target {
            DbTarget::Postgres(url) => Outage::probing(url.clone()),
            DbTarget::Sqlite(_) => Outage::default(),
        });
        let backlog = std::sync::Arc::new(Backlog::default());
        let writer = rt.spawn(writer::run(
            pool.clone(),
            target.backend(),
            rx,
            fenced.clone(),
            std::sync::Arc::clone(&outage),
            std::sync::Arc::clone(&backlog),
        ));
        Ok(Ledger {
            rt: Some(rt),
            pool,
            target: target.clone(),
            tx: Some(tx),
            writer: Some(writer),
            lease_ms: std::sync::atomic::AtomicI64::new(LEASE_MS),
            fenced,
            notices: std::sync::Arc::default(),
            holds: std::sync::Arc::default(),
            outage,
            backlog,
        })
    }

    /// The database.
    pub fn target(&self) -> &DbTarget {
        &self.target
    }

    /// The lease this process keeps on the engines it registers or takes
    /// over from now on (default `LEASE_MS`): another process may take an
    /// engine over once its heartbeat is older than that. Heartbeats go out
    /// four times per lease.
    pub fn set_lease(&self, lease: std::time::Duration) {
        let ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX).max(MIN_LEASE_MS);
        self.lease_ms.store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// The engines this process has lost to another process since it opened
    /// the ledger (their commits and heartbeats were refused): whoever runs
    /// them must stop.
    pub fn fenced(&self) -> tokio::sync::watch::Receiver<std::collections::BTreeSet<i64>> {
        self.fenced.subscribe()
    }

    /// The lease given to the engines this process registers or takes over, in milliseconds.
    pub fn lease_ms(&self) -> i64 {
        self.lease_ms.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The connection pool, for async callers (queries run on any tokio runtime).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// An async handle on this ledger for servers: its queries run on the
    /// ledger's own runtime, whatever runtime awaits them.
    pub fn handle(&self) -> super::handle::LedgerHandle {
        let Some(rt) = &self.rt else { unreachable!("the runtime lives as long as the ledger") };
        super::handle::LedgerHandle::new(
            self.pool.clone(),
            self.target.clone(),
            rt.handle().clone(),
            std::sync::Arc::clone(&self.notices),
            std::sync::Arc::clone(&self.holds),
            std::sync::Arc::clone(&self.outage),
        )
    }

    /// Whether the database is reachable (an outage the writer is waiting out).
    pub fn outage(&self) -> &Outage {
        &self.outage
    }

    /// The events handed to the writer and not yet committed, with their
    /// bound: whoever drives an engine's clock waits for room before handing
    /// over more (see `backlog`).
    pub fn backlog(&self) -> &std::sync::Arc<Backlog> {
        &self.backlog
    }

    /// Runs a future on the ledger's runtime and waits for it. From inside an
    /// async context (which may not block on a runtime) it waits on a helper
    /// thread instead, so the synchronous API works from anywhere.
    pub fn block_on<F>(&self, f: F) -> F::Output
    where
        F: std::future::Future + Send,
        F::Output: Send,
    {
        let Some(rt) = &self.rt else { unreachable!("the runtime lives as long as the ledger") };
        if tokio::runtime::Handle::try_current().is_err() {
            return rt.block_on(f);
        }
        std::thread::scope(|s| match s.spawn(|| rt.block_on(f)).join() {
            Ok(out) => out,
            Err(panic) => std::panic::resume_unwind(panic),
        })
    }

    fn send(&self, msg: Msg) -> Result<(), StoreError> {
        self.tx.as_ref().ok_or(StoreError::Closed)?.send(msg).map_err(|_| StoreError::Closed)
    }

    /// Hands a batch to the writer; the ticket resolves once it is committed.
    /// Never blocks: a producer that could outrun the writer (a clock
    /// driver) waits for room in `backlog` first.
    pub fn submit(&self, batch: Batch) -> Ticket {
        let (ack, rx) = mpsc::sync_channel(1);
        let n = batch.events.len();
        self.backlog.admit(n);
        if let Err(e) = self.send(Msg::Batch(Box::new(batch), ack.clone())) {
            self.backlog.release(n);
            let _ = ack.send(Err(e));
        }
        Ticket { rx }
    }

    /// Like `submit`, after waiting (blocking the calling thread) until the
    /// writer's backlog is under its bound: for synchronous drivers that
    /// produce events as fast as they can.
    pub fn submit_when_room(&self, batch: Batch) -> Ticket {
        while !self.backlog.wait_for_room(std::time::Duration::from_secs(1)) {
            // A writer that stopped answers nothing: `submit` says so.
            if self.tx.as_ref().is_none_or(|tx| tx.is_closed()) {
                break;
            }
        }
        self.submit(batch)
    }

    /// Registers a new engine owned by this process.
    pub fn register(&self, spec: &EngineSpec) -> Result<EngineRef, StoreError> {
        let owner = owner_token();
        let lease_ms = self.lease_ms();
        let (symbols, market, risk) = (to_json(&spec.symbols), to_json(&spec.market), to_json(&spec.risk));
        let replay = if spec.replay.is_empty() { None } else { Some(to_json(&spec.replay)) };
        let backend = self.target.backend();
        let id = self.block_on(async {
            // Engine numbers are allocated as MAX + 1; two processes racing for
            // the same number retry on the primary-key conflict.
            for _ in 0..20 {
                let next: i64 = sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(id), 0) + 1 FROM engines")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(|e| StoreError::db("allocating an engine number", e))?;
                let sql = format!(
                    "INSERT INTO engines (id, tenant, user_name, seed, trade_date, symbols, universe, replay, \
                     market, risk_config, risk_book, created_at, owner, host, machine, pid, heartbeat_at, lease_ms, \
                     stopped_at, last_seq, last_fill, last_audit, sim_now) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, {}, ?, NULL, 0, 0, 0, ?)",
                    backend.now_ms()
                );
                let res = backend
                    .q(&sql)
                    .bind(next)
                    .bind(spec.tenant.clone())
                    .bind(spec.user.clone())
                    // The u64 seed is kept bit for bit in a signed column.
                    .bind(spec.seed as i64)
                    .bind(spec.date.to_string())
                    .bind(symbols.clone())
                    .bind(spec.universe.clone())
                    .bind(replay.clone())
                    .bind(market.clone())
                    .bind(risk.clone())
                    .bind(wall_ms())
                    .bind(owner.clone())
                    .bind(host())
                    .bind(machine())
                    .bind(i64::from(std::process::id()))
                    .bind(lease_ms)
                    .bind(spec.origin.0)
                    .execute(&self.pool)
                    .await;
                match res {
                    Ok(_) => return Ok(next),
                    Err(e) if db::is_unique_violation(&e) => continue,
                    Err(e) => return Err(StoreError::db("registering the engine", e)),
                }
            }
            Err(StoreError::Busy("could not allocate an engine number after 20 attempts".into()))
        })?;
        let eref = EngineRef { id, owner, lease_ms };
        self.send(Msg::Adopt(eref.clone()))?;
        Ok(eref)
    }

    /// Takes over an engine whose process is gone (`force`: even if it looks
    /// alive, which fences the process still running it out: its next write
    /// is refused).
    pub fn take_over(&self, id: i64, force: bool) -> Result<EngineRef, StoreError> {
        let backend = self.target.backend();
        let lease_ms = self.lease_ms();
        let eref = self.block_on(async {
            let sql = format!("SELECT owner, {} FROM engines WHERE id = ?", liveness_cols(backend));
            let row = backend
                .q(&sql)
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| StoreError::db("reading the engine", e))?
                .ok_or_else(|| StoreError::NotFound(format!("no engine E{id}")))?;
            let old: String = super::rows::col(&row, "owner")?;
            let (liveness, now) = Liveness::from_row(&row)?;
            if !force && let Some(why) = liveness.running(now) {
                return Err(StoreError::Busy(format!(
                    "engine E{id} is still running ({why}); stop it first, or pass --force if it is gone"
                )));
            }
            // Only an owner whose lease ran out: a live one forced out
            // finishes its commit and is fenced at its next write.
            if backend == super::Backend::Postgres && liveness.running(now).is_none() {
                end_sessions_of(&self.pool, &old).await;
            }
            let owner = owner_token();
            // Only if nobody else took it since it was read: two processes
            // racing for a dead engine cannot both win.
            let sql = format!(
                "UPDATE engines SET owner = ?, host = ?, machine = ?, pid = ?, heartbeat_at = {}, lease_ms = ?, \
                 stopped_at = NULL WHERE id = ? AND owner = ?",
                backend.now_ms()
            );
            let n = backend
                .q(&sql)
                .bind(owner.clone())
                .bind(host())
                .bind(machine())
                .bind(i64::from(std::process::id()))
                .bind(lease_ms)
                .bind(id)
                .bind(old)
                .execute(&self.pool)
                .await
                .map_err(|e| StoreError::db("taking over the engine", e))?
                .rows_affected();
            if n != 1 {
                return Err(StoreError::Busy(format!("another process took over engine E{id} at the same time")));
            }
            Ok(EngineRef { id, owner, lease_ms })
        })?;
        self.send(Msg::Adopt(eref.clone()))?;
        Ok(eref)
    }

    /// Stops keeping an engine whose row this process removed.
    pub(crate) fn forget(&self, engine: &EngineRef) -> Result<(), StoreError> {
        let (ack, rx) = mpsc::sync_channel(1);
        self.send(Msg::Forget(engine.clone(), ack))?;
        rx.recv().unwrap_or(Err(StoreError::Closed))
    }

    /// Marks an engine cleanly stopped once everything submitted before is committed.
    pub fn stop(&self, engine: &EngineRef) -> Result<(), StoreError> {
        let (ack, rx) = mpsc::sync_channel(1);
        self.send(Msg::Release(engine.clone(), ack))?;
        rx.recv().unwrap_or(Err(StoreError::Closed))
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        // Closing the channel lets the writer finish what it holds, then end.
        self.tx.take();
        let writer = self.writer.take();
        if let Some(rt) = self.rt.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                // Inside another runtime blocking is not allowed: let it wind down.
                rt.shutdown_background();
                return;
            }
            if let Some(w) = writer {
                let _ = rt.block_on(w);
            }
            rt.block_on(self.pool.close());
        }
    }
}

/// Ends the PostgreSQL sessions of the process that owned an engine being
/// taken over. An owner frozen in the middle of a commit keeps the engine
/// row locked, and the takeover's update would wait until it wakes; its
/// lease has run out, so it is fenced anyway:
/// what it had not committed was never acknowledged. Never our own
/// sessions; a failure (no privilege over them) leaves the update to wait.
async fn end_sessions_of(pool: &AnyPool, owner: &str) {
    let Some(tag) = super::lease::session_tag_of(owner) else { return };
    if tag == super::lease::session_tag() {
        return;
    }
    let sql = "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
               WHERE application_name = $1 AND pid <> pg_backend_pid()) ended";
    match sqlx::query(sql).bind(tag.clone()).fetch_one(pool).await {
        Ok(row) => {
            let n: i64 = sqlx::Row::try_get(&row, "n").unwrap_or(0);
            if n > 0 {
                tracing::warn!("ended {n} database session(s) of {tag}, the engine's previous owner");
            }
        }
        Err(e) => tracing::warn!("ending the previous owner's database sessions ({tag}): {e}"),
    }
}
