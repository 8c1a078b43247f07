//! An async handle on the ledger, for the HTTP sidecar: tokens, the audit
//! of refusals, algorithm configuration, aggregated TCA and the event log are
//! read and written from request handlers without blocking them.
//!
//! Every query runs on the ledger's own runtime (the one that opened its
//! connections), whatever runtime awaits it: a PostgreSQL connection belongs
//! to the runtime it was opened on, and the server's runtime may stop first.
//!
//! Records outside any engine (engine 0: tokens, algorithm configuration, the
//! sidecar's refusals) are numbered `MAX(n) + 1` inside the writing
//! transaction; a concurrent writer that took the number makes the
//! transaction retry, so two processes sharing a database never collide.

use super::rows::{self, Val};
use super::{Backend, DbTarget, StoreError, wall_ms};
use crate::engine::Actor;
use sqlx::{AnyConnection, AnyPool};
use std::future::Future;
use std::sync::{Arc, OnceLock};

/// A cheap, cloneable async handle on an open ledger (`Ledger::handle`).
#[derive(Clone)]
pub struct LedgerHandle {
    pool: AnyPool,
    target: DbTarget,
    rt: tokio::runtime::Handle,
    /// The desk's notices, once someone listens (one connection per ledger).
    notices: Arc<OnceLock<tokio::sync::broadcast::Sender<super::relay::Notice>>>,
    /// Connections holding the desk's control lock (`guard`), once needed.
    holds: Arc<OnceLock<AnyPool>>,
    outage: Arc<super::outage::Outage>,
}

impl std::fmt::Debug for LedgerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LedgerHandle").field("target", &self.target).finish()
    }
}

/// How many times a transaction is retried when another writer took its audit numbers.
pub(crate) const RETRIES: usize = 20;

impl LedgerHandle {
    pub(crate) fn new(
        pool: AnyPool,
        target: DbTarget,
        rt: tokio::runtime::Handle,
        notices: Arc<OnceLock<tokio::sync::broadcast::Sender<super::relay::Notice>>>,
        holds: Arc<OnceLock<AnyPool>>,
        outage: Arc<super::outage::Outage>,
    ) -> LedgerHandle {
        LedgerHandle { pool, target, rt, notices, holds, outage }
    }

    /// Whether the database is reachable: callers that would wait on it
    /// answer at once during an outage.
    pub fn outage(&self) -> &super::outage::Outage {
        &self.outage
    }

    /// The outage being waited out, shared with background tasks.
    pub(crate) fn outage_arc(&self) -> Arc<super::outage::Outage> {
        Arc::clone(&self.outage)
    }

    /// Where the desk's control lock is held from (`guard`).
    pub(crate) fn hold_pool(&self) -> &OnceLock<AnyPool> {
        &self.holds
    }

    /// Where the desk's notices are relayed from (`relay`).
    pub(crate) fn listener(&self) -> &OnceLock<tokio::sync::broadcast::Sender<super::relay::Notice>> {
        &self.notices
    }

    /// The database.
    pub fn target(&self) -> &DbTarget {
        &self.target
    }

    /// Its dialect.
    pub fn backend(&self) -> Backend {
        self.target.backend()
    }

    /// Runs `f` (given the pool and the dialect) on the ledger's runtime,
    /// answering at once when the database refuses connections
    /// (`Outage::unless_refused`): a read in an outage says so instead of
    /// waiting out the pool's time-out past the request's. Watched on the
    /// ledger's runtime (the caller's may have no timers); what is dropped
    /// then could not reach the database anyway.
    pub(crate) async fn run<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(AnyPool, Backend) -> Fut,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
        T: Send + 'static,
    {
        // A ledger already closed has shut its runtime down: the task never runs.
        let (outage, task) = (Arc::clone(&self.outage), f(self.pool.clone(), self.backend()));
        self.rt.spawn(async move { outage.unless_refused(task).await }).await.map_err(|_| StoreError::Closed)?
    }

    /// The connection pool.
    pub(crate) fn pool(&self) -> AnyPool {
        self.pool.clone()
    }

    /// Starts a background task on the ledger's runtime.
    pub(crate) fn spawn_task(&self, f: impl Future<Output = ()> + Send + 'static) {
        self.rt.spawn(f);
    }

    /// Waits for `f` from synchronous code (the CLI): on the ledger's runtime.
    pub fn block<T: Send + 'static>(
        &self,
        f: impl Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Result<T, StoreError> {
        if tokio::runtime::Handle::try_current().is_ok() {
            // Blocking inside a runtime is not allowed: wait on a helper thread.
            let rt = self.rt.clone();
            return std::thread::scope(|s| s.spawn(move || rt.block_on(f)).join())
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
        }
        self.rt.block_on(f)
    }
}

/// One audit record outside any engine (engine 0), before it is numbered.
#[derive(Debug, Clone, PartialEq)]
pub struct WideRecord {
    /// Wall-clock milliseconds.
    pub at: i64,
    /// User ('' when unknown, e.g. a request without a valid token).
    pub user: String,
    /// Tenant ('' when unknown).
    pub tenant: String,
    /// Role ('' when unknown).
    pub role: String,
    /// What was done or asked (`token_create`, `set_algo_config`, `POST /v1/kill`...).
    pub action: String,
    /// Order concerned.
    pub parent: Option<i64>,
    /// `ok` or `refused`.
    pub outcome: &'static str,
    /// Refusal code.
    pub code: Option<String>,
    /// What exactly (JSON or a message).
    pub detail: String,
}

impl WideRecord {
    /// A record of something `actor` did, now.
    pub fn done(actor: &Actor, action: &str, detail: String) -> WideRecord {
        WideRecord {
            at: wall_ms(),
            user: actor.user.to_string(),
            tenant: actor.tenant.to_string(),
            role: actor.role.as_str().to_string(),
            action: action.to_string(),
            parent: None,
            outcome: "ok",
            code: None,
            detail,
        }
    }

    /// The same record as a refusal with `code`.
    pub fn refused(mut self, code: &str) -> WideRecord {
        self.outcome = "refused";
        self.code = Some(code.to_string());
        self
    }

    fn vals(&self, n: i64) -> Vec<Val> {
        vec![
            Val::I(0),
            Val::I(n),
            Val::I(self.at),
            Val::NI(None),
            Val::T(self.user.clone()),
            Val::T(self.tenant.clone()),
            Val::T(self.role.clone()),
            Val::T(self.action.clone()),
            Val::NI(self.parent),
            Val::T(self.outcome.to_string()),
            Val::NT(self.code.clone()),
            Val::T(self.detail.clone()),
        ]
    }
}

/// Appends `records` to engine 0's audit log inside the open transaction
/// `tx`, numbered after the last one. A unique violation means another writer
/// took the numbers: the caller rolls back and retries.
pub(crate) async fn append_wide(tx: &mut AnyConnection, b: Backend, records: &[WideRecord]) -> Result<(), sqlx::Error> {
    if records.is_empty() {
        return Ok(());
    }
    let first: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(n), 0) + 1 FROM audit WHERE engine_id = 0").fetch_one(&mut *tx).await?;
    let vals = records.iter().zip(first..).map(|(r, n)| r.vals(n)).collect();
    rows::insert(tx, b, "audit", super::rows::AUDIT_COLS, "", vals).await
}
