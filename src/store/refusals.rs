//! The sidecar's refusals (every 401, 403 and 429, and invalid requests that
//! would have changed something) in the ledger's audit log,
//! as engine 0 records with outcome `refused`. A refusal is acknowledged only
//! once committed; refusals arriving together share one transaction (group
//! commit), so a flood of rate-limited requests costs one sync per group, not
//! one per request. The whole log (every engine's and engine 0's) is read
//! back here for supervisors (`GET /v1/audit`).
//!
//! During a database outage refusals are kept in memory and written, in
//! order, when it ends; the request is answered at once meanwhile.

use super::StoreError;
use super::db::is_unique_violation;
use super::handle::{LedgerHandle, RETRIES, WideRecord, append_wide};
use super::outage::{self, Backoff, Outage};
use super::query::{AuditRow, Where};
use super::rows::{self, col};
use sqlx::{AnyPool, Connection};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most refusals in one transaction.
const MAX_GROUP: usize = 1_000;

type Waiting = (WideRecord, oneshot::Sender<Result<(), StoreError>>);

/// Appends refusals to the ledger's audit log (see the module docs).
#[derive(Debug, Clone)]
pub struct RefusalLog {
    tx: mpsc::UnboundedSender<Waiting>,
    outage: Arc<Outage>,
}

impl RefusalLog {
    /// Records one refusal; resolves once it is committed, or at once while
    /// the database is unreachable (it is kept and written when it returns).
    pub async fn record(&self, record: WideRecord) -> Result<(), StoreError> {
        let (ack, done) = oneshot::channel();
        self.tx.send((record, ack)).map_err(|_| StoreError::Closed)?;
        if self.outage.down().is_some() {
            return Ok(());
        }
        done.await.map_err(|_| StoreError::Closed)?
    }
}

impl LedgerHandle {
    /// Starts the writer of refusals on the ledger's runtime; it stops when
    /// every `RefusalLog` clone is dropped or the ledger closes.
    pub fn refusal_log(&self) -> RefusalLog {
        let (tx, rx) = mpsc::unbounded_channel();
        self.spawn_task(write(self.pool(), self.backend(), rx, self.outage_arc()));
        RefusalLog { tx, outage: self.outage_arc() }
    }
}

async fn write(pool: AnyPool, b: super::Backend, mut rx: mpsc::UnboundedReceiver<Waiting>, down: Arc<Outage>) {
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(w) => group.push(w),
                Err(_) => break,
            }
        }
        let records: Vec<WideRecord> = group.iter().map(|(r, _)| r.clone()).collect();
        let mut backoff = Backoff::default();
        let result = loop {
            let r = commit(&pool, b, &records).await;
            down.note(&r);
            match r {
                // Kept: the same records are tried again until the database returns.
                Err(e) if outage::is_outage(&e) => {
                    for (_, ack) in group.drain(..) {
                        let _ = ack.send(Ok(()));
                    }
                    backoff.wait().await;
                }
                r => break r,
            }
        };
        for (_, ack) in group {
            let _ = ack.send(result.clone());
        }
    }
}

async fn commit(pool: &AnyPool, b: super::Backend, records: &[WideRecord]) -> Result<(), StoreError> {
    let db = |e: sqlx::Error| StoreError::db("writing the audit log", e);
    for _ in 0..RETRIES {
        let mut conn = outage::within("writing the audit log", async { pool.acquire().await.map_err(db) }).await?;
        let mut tx = conn.begin_with(b.begin_write()).await.map_err(db)?;
        match append_wide(&mut tx, b, records).await {
            Ok(()) => return tx.commit().await.map_err(db),
            Err(e) if is_unique_violation(&e) => continue,
            Err(e) => return Err(db(e)),
        }
    }
    Err(StoreError::Busy("could not number the audit records after 20 attempts".into()))
}

/// Which audit records to read (`LedgerHandle::audit_records`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Written at or after (wall-clock milliseconds).
    pub since_ms: Option<i64>,
    /// Written before (wall-clock milliseconds).
    pub until_ms: Option<i64>,
    /// Only `ok` or only `refused`.
    pub outcome: Option<String>,
    /// Only this tenant.
    pub tenant: Option<String>,
    /// Only this user.
    pub user: Option<String>,
    /// Most records returned (newest first).
    pub limit: usize,
}

impl LedgerHandle {
    /// Audit records of every engine and of the ledger itself (engine 0),
    /// newest first, at most `f.limit`.
    pub async fn audit_records(&self, f: AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        use super::rows::Val::{I, T};
        let mut w = Where::default();
        if let Some(t) = f.since_ms {
            w.add("at >= ?", [I(t)]);
        }
        if let Some(t) = f.until_ms {
            w.add("at < ?", [I(t)]);
        }
        if let Some(o) = &f.outcome {
            w.add("outcome = ?", [T(o.clone())]);
        }
        if let Some(t) = &f.tenant {
            w.add("tenant = ?", [T(t.clone())]);
        }
        if let Some(u) = &f.user {
            w.add("user_name = ?", [T(u.clone())]);
        }
        let sql = format!(
            "SELECT engine_id, n, at, user_name, tenant, role, action, parent_id, outcome, code, detail FROM audit {} \
             ORDER BY at DESC, engine_id DESC, n DESC LIMIT {}",
            w.text(),
            f.limit.clamp(1, 10_000)
        );
        self.run(move |pool, b| async move {
            let found =
                w.bind(b.q(&sql)).fetch_all(&pool).await.map_err(|e| StoreError::db("reading the audit log", e))?;
            found
                .iter()
                .map(|r| {
                    Ok(AuditRow {
                        engine: col(r, "engine_id")?,
                        n: col(r, "n")?,
                        at: col(r, "at")?,
                        user: col(r, "user_name")?,
                        tenant: col(r, "tenant")?,
                        role: col(r, "role")?,
                        action: col(r, "action")?,
                        parent: col::<Option<i64>>(r, "parent_id")?
                            .map(|p| rows::parent_id(col(r, "engine_id")?, p))
                            .transpose()?,
                        outcome: col(r, "outcome")?,
                        code: col(r, "code")?,
                        detail: col(r, "detail")?,
                    })
                })
                .collect()
        })
        .await
    }
}
