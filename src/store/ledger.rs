//! The ledger handle: opens (checks, migrates) the database, registers
//! engines, and hands batches to the group-commit writer, which runs on the
//! ledger's own small tokio runtime so a synchronous driver (the CLI, a
//! blocking event sink) can use it from any thread.
//!
//! Ownership: each engine row names the process writing it (`owner`) and
//! carries a heartbeat. Every commit checks the owner, so a process that lost
//! its engine to a recovery elsewhere cannot write another event for it.

use super::writer::{self, Msg};
use super::{DbTarget, StoreError, db, migrate, wall_ms};
use crate::engine::{Actor, Command, EngineConfig, EngineEvent, Reject};
use crate::market::MarketParams;
use crate::model::{ParentId, ParentOrder, Timestamp};
use crate::risk::{RiskBook, RiskConfig};
use crate::tca::Summary;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use tokio::sync::mpsc::UnboundedSender;

/// An engine registered in the ledger, as the process writing it knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineRef {
    /// Ledger-wide engine number (`E3`).
    pub id: i64,
    /// This process's claim on it.
    pub(crate) owner: String,
}

impl std::fmt::Display for EngineRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "E{}", self.id)
    }
}

/// A recorded-data file replayed instead of the synthetic market (the `run` flags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplaySource {
    /// Instrument it replaces.
    pub symbol: String,
    /// Trades file.
    pub trades: std::path::PathBuf,
    /// Quotes file.
    pub quotes: Option<std::path::PathBuf>,
    /// `auto`, `csv`, `lobster` or `bars`.
    pub format: String,
    /// Venue it is replayed on.
    pub venue: Option<String>,
}

/// Where an engine's market came from, beyond seed and date.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sources {
    /// TOML merged over the built-in universe.
    pub universe: Option<String>,
    /// Recorded data replayed, per instrument.
    pub replay: Vec<ReplaySource>,
}

/// Everything needed to rebuild an engine after a restart.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineSpec {
    /// Tenant that started it.
    pub tenant: String,
    /// User that started it.
    pub user: String,
    /// Seed of the simulated market.
    pub seed: u64,
    /// Trading date.
    pub date: NaiveDate,
    /// Instruments simulated (`None` = the whole universe).
    pub symbols: Option<Vec<String>>,
    /// TOML merged over the built-in universe, if any.
    pub universe: Option<String>,
    /// Recorded data replayed (the files are read again on a restart).
    pub replay: Vec<ReplaySource>,
    /// Market model coefficients.
    pub market: MarketParams,
    /// Risk configuration at start-up.
    pub risk: RiskConfig,
    /// Simulated time when it started.
    pub origin: Timestamp,
}

impl EngineSpec {
    /// The spec of an engine built from `cfg`, started by `actor` at simulated time `origin`.
    pub fn new(cfg: &EngineConfig, sources: Sources, actor: &Actor, origin: Timestamp) -> EngineSpec {
        EngineSpec {
            tenant: actor.tenant.to_string(),
            user: actor.user.to_string(),
            seed: cfg.seed,
            date: cfg.date,
            symbols: cfg.symbols.clone(),
            universe: sources.universe,
            replay: sources.replay,
            market: cfg.market.clone(),
            risk: cfg.risk.clone(),
            origin,
        }
    }

    /// The engine configuration it describes; recorded data is read again from its files.
    pub fn config(&self, universe: &crate::market::Universe) -> Result<EngineConfig, String> {
        let mut cfg = EngineConfig::new(self.seed, self.date);
        cfg.symbols = self.symbols.clone();
        cfg.market = self.market.clone();
        cfg.risk = self.risk.clone();
        for r in &self.replay {
            use crate::market::replay::{Format, Recording};
            let inst = universe.instrument(&r.symbol).ok_or_else(|| format!("unknown symbol {}", r.symbol))?;
            let tz = crate::market::session::tz_of(inst.calendar);
            let format = Format::parse(&r.format, &r.trades)?;
            let mut rec = Recording::load(&r.trades, r.quotes.as_deref(), format, Some(self.date), tz)
                .map_err(|e| format!("recorded data {}: {e}", r.trades.display()))?;
            rec.venue = r.venue.clone();
            cfg.recordings.insert(inst.symbol.to_string(), std::sync::Arc::new(rec));
        }
        Ok(cfg)
    }
}

/// Whether an audited action went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done.
    Ok,
    /// Refused (permissions, validation, state).
    Refused,
}

impl Outcome {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
        }
    }
}

/// One audit record: who did what to which order, and how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Wall-clock milliseconds.
    pub at: i64,
    /// Simulated time, when an engine was involved.
    pub sim_ts: Option<Timestamp>,
    /// Who.
    pub actor: Actor,
    /// What (`submit`, `cancel`, `recover`...).
    pub action: String,
    /// Which order.
    pub parent: Option<ParentId>,
    /// How it ended.
    pub outcome: Outcome,
    /// Refusal code.
    pub code: Option<String>,
    /// The command as JSON, or the refusal message.
    pub detail: String,
}

impl AuditEntry {
    /// The record of a command applied to an engine at `sim_ts`.
    pub fn command(
        actor: &Actor,
        cmd: &Command,
        result: &Result<Option<ParentId>, Reject>,
        sim_ts: Timestamp,
    ) -> AuditEntry {
        let json = serde_json::to_value(cmd).unwrap_or_default();
        let action = json.get("cmd").and_then(|v| v.as_str()).unwrap_or("command").to_string();
        let target = match cmd {
            Command::Amend { id, .. } | Command::Cancel { id } | Command::Pause { id } | Command::Resume { id } => {
                Some(*id)
            }
            _ => None,
        };
        let (outcome, code, detail, parent) = match result {
            Ok(id) => (Outcome::Ok, None, json.to_string(), id.or(target)),
            Err(r) => (Outcome::Refused, Some(r.code.as_str().to_string()), r.to_string(), target),
        };
        AuditEntry { at: wall_ms(), sim_ts: Some(sim_ts), actor: actor.clone(), action, parent, outcome, code, detail }
    }

    /// A record of something done outside the engine's commands (recover, stop...).
    pub fn action(actor: &Actor, action: &str, parent: Option<ParentId>, detail: impl Into<String>) -> AuditEntry {
        AuditEntry {
            at: wall_ms(),
            sim_ts: None,
            actor: actor.clone(),
            action: action.to_string(),
            parent,
            outcome: Outcome::Ok,
            code: None,
            detail: detail.into(),
        }
    }
}

/// Post-trade figures of a finished order.
#[derive(Debug, Clone, PartialEq)]
pub struct TcaRecord {
    /// The order as it finished.
    pub order: ParentOrder,
    /// Its figures.
    pub summary: Summary,
}

/// What one commit covers for one engine: the events the engine emitted, in
/// order, and what the driver adds about them.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The engine.
    pub engine: EngineRef,
    /// Events, in sequence order.
    pub events: Vec<EngineEvent>,
    /// Audit records.
    pub audit: Vec<AuditEntry>,
    /// TCA of orders that finished.
    pub tca: Vec<TcaRecord>,
    /// The engine's simulated clock (where a restart resumes).
    pub sim_now: Option<Timestamp>,
    /// The engine's risk state, when the driver can see it.
    pub risk: Option<RiskBook>,
    /// Changes to the desk's risk controls among the events, recorded in
    /// the desk's tables (only the desk's own engines, `serve`, fill it).
    pub controls: Vec<super::controls::ControlRecord>,
}

impl Batch {
    /// A batch of events alone.
    pub fn events(engine: &EngineRef, events: Vec<EngineEvent>) -> Batch {
        Batch {
            engine: engine.clone(),
            events,
            audit: Vec::new(),
            tca: Vec::new(),
            sim_now: None,
            risk: None,
            controls: Vec::new(),
        }
    }
}

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
    outage: std::sync::Arc<super::outage::Outage>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").field("target", &self.target).finish()
    }
}

/// How long an engine counts as running after its last heartbeat.
pub const LEASE_MS: i64 = 5_000;

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
        let outage = std::sync::Arc::default();
        let writer = rt.spawn(writer::run(pool.clone(), target.backend(), rx, std::sync::Arc::clone(&outage)));
        Ok(Ledger { rt: Some(rt), pool, target: target.clone(), tx: Some(tx), writer: Some(writer), outage })
    }

    /// The database.
    pub fn target(&self) -> &DbTarget {
        &self.target
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
            std::sync::Arc::clone(&self.outage),
        )
    }

    /// Whether the database is reachable (an outage the writer is waiting out).
    pub fn outage(&self) -> &super::outage::Outage {
        &self.outage
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
    pub fn submit(&self, batch: Batch) -> Ticket {
        let (ack, rx) = mpsc::sync_channel(1);
        if let Err(e) = self.send(Msg::Batch(Box::new(batch), ack.clone())) {
            let _ = ack.send(Err(e));
        }
        Ticket { rx }
    }

    /// Registers a new engine owned by this process.
    pub fn register(&self, spec: &EngineSpec) -> Result<EngineRef, StoreError> {
        let owner = owner_token();
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
                let now = wall_ms();
                let res = backend
                    .q("INSERT INTO engines (id, tenant, user_name, seed, trade_date, symbols, universe, replay, \
                        market, risk_config, risk_book, created_at, owner, host, pid, heartbeat_at, stopped_at, \
                        last_seq, last_fill, last_audit, sim_now) \
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, NULL, 0, 0, 0, ?)")
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
                    .bind(now)
                    .bind(owner.clone())
                    .bind(host())
                    .bind(i64::from(std::process::id()))
                    .bind(now)
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
        let eref = EngineRef { id, owner };
        self.send(Msg::Adopt(eref.clone()))?;
        Ok(eref)
    }

    /// Takes over an engine whose process is gone (`force`: even if it looks alive).
    pub fn take_over(&self, id: i64, force: bool) -> Result<EngineRef, StoreError> {
        let backend = self.target.backend();
        let eref = self.block_on(async {
            let row = backend
                .q("SELECT owner, host, pid, heartbeat_at, stopped_at FROM engines WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| StoreError::db("reading the engine", e))?
                .ok_or_else(|| StoreError::NotFound(format!("no engine E{id}")))?;
            let col = super::rows::col::<String>;
            let old = col(&row, "owner")?;
            let liveness = Liveness {
                host: col(&row, "host")?,
                pid: super::rows::col(&row, "pid")?,
                heartbeat_at: super::rows::col(&row, "heartbeat_at")?,
                stopped: super::rows::col::<Option<i64>>(&row, "stopped_at")?.is_some(),
            };
            if !force && let Some(why) = liveness.running(wall_ms()) {
                return Err(StoreError::Busy(format!(
                    "engine E{id} is still running ({why}); stop it first, or pass --force if it is gone"
                )));
            }
            let owner = owner_token();
            let n = backend
                .q("UPDATE engines SET owner = ?, host = ?, pid = ?, heartbeat_at = ?, stopped_at = NULL \
                    WHERE id = ? AND owner = ?")
                .bind(owner.clone())
                .bind(host())
                .bind(i64::from(std::process::id()))
                .bind(wall_ms())
                .bind(id)
                .bind(old)
                .execute(&self.pool)
                .await
                .map_err(|e| StoreError::db("taking over the engine", e))?
                .rows_affected();
            if n != 1 {
                return Err(StoreError::Busy(format!("another process took over engine E{id} at the same time")));
            }
            Ok(EngineRef { id, owner })
        })?;
        self.send(Msg::Adopt(eref.clone()))?;
        Ok(eref)
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

/// What the ledger knows about whether an engine's process is alive.
#[derive(Debug, Clone)]
pub(crate) struct Liveness {
    pub host: String,
    pub pid: i64,
    pub heartbeat_at: i64,
    pub stopped: bool,
}

impl Liveness {
    /// Why the engine counts as running at wall time `now`, or `None` if it does not.
    pub fn running(&self, now: i64) -> Option<String> {
        if self.stopped || now - self.heartbeat_at > LEASE_MS {
            return None;
        }
        if self.host == host() && !pid_alive(self.pid) {
            return None;
        }
        Some(format!(
            "pid {} on {}, heartbeat {:.1} s ago",
            self.pid,
            self.host,
            (now - self.heartbeat_at).max(0) as f64 / 1e3
        ))
    }
}

/// This machine's name.
pub(crate) fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Whether a local process is alive (zombies count as gone). Without /proc
/// the heartbeat lease alone decides.
fn pid_alive(pid: i64) -> bool {
    let stat = format!("/proc/{pid}/stat");
    if !std::path::Path::new("/proc/self/stat").exists() {
        return true;
    }
    match std::fs::read_to_string(stat) {
        // The state letter follows the command name in parentheses.
        Ok(s) => s.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next()).is_some_and(|st| st != "Z"),
        Err(_) => false,
    }
}

fn owner_token() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{}:{}:{}:{}", host(), std::process::id(), wall_ms(), N.fetch_add(1, Ordering::Relaxed))
}

/// JSON text of a value that always serialises (plain data).
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liveness_needs_a_fresh_heartbeat_and_a_live_process() {
        let now = wall_ms();
        let me = Liveness { host: host(), pid: i64::from(std::process::id()), heartbeat_at: now, stopped: false };
        assert!(me.running(now).is_some(), "this process is alive");
        assert!(Liveness { stopped: true, ..me.clone() }.running(now).is_none());
        assert!(Liveness { heartbeat_at: now - LEASE_MS - 1, ..me.clone() }.running(now).is_none());
        assert!(Liveness { pid: i64::from(u32::MAX), ..me.clone() }.running(now).is_none(), "no such pid");
        let elsewhere = Liveness { host: "another-host".into(), pid: 1, ..me };
        assert!(elsewhere.running(now).unwrap().contains("another-host"));
    }

    #[test]
    fn spec_round_trips_its_config() {
        let mut cfg = EngineConfig::new(u64::MAX - 3, NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
        cfg.symbols = Some(vec!["AAPL".into()]);
        let spec = EngineSpec::new(&cfg, Sources::default(), &Actor::local(crate::model::Role::Advisor), Timestamp(5));
        let back = spec.config(&crate::market::Universe::builtin()).unwrap();
        assert_eq!((back.seed, back.date, back.symbols), (cfg.seed, cfg.date, cfg.symbols));
        assert_eq!(spec.seed as i64 as u64, spec.seed, "the seed survives the signed column");
    }
}
