//! The sidecar's refusals (every 401, 403 and 429, and invalid requests that
//! would have changed something) in the ledger's audit log,
//! as engine 0 records with outcome `refused`. A refusal is acknowledged only
//! once committed; refusals arriving together share one transaction (group
//! commit), so a flood of rate-limited requests costs one sync per group, not
//! one per request. The whole log (every engine's and engine 0's) is read
//! back here for supervisors (`GET /v1/audit`).
//!
//! During a database outage refusals are kept in memory and written, in
//! order, when it ends; the request is answered at once meanwhile. At most
//! `KEPT_IN_OUTAGE` are kept: the rest of a long outage's refusals (a flood
//! of bad tokens while the database is down) are only counted, and the count,
//! with when the first and the last of them came, is written as one audit
//! record (`refusals_not_kept`) when the database returns.

use super::StoreError;
use super::db::is_unique_violation;
use super::handle::{LedgerHandle, RETRIES, WideRecord, append_wide};
use super::outage::{self, Backoff, Outage};
use super::query::{AuditRow, Where};
use super::rows::{self, col};
use sqlx::{AnyPool, Connection};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// Most refusals in one transaction.
const MAX_GROUP: usize = 1_000;

/// Most refusals kept in memory during a database outage (the group being
/// retried and those queued behind it); further ones are counted.
pub const KEPT_IN_OUTAGE: usize = 10_000;

type Waiting = (WideRecord, oneshot::Sender<Result<(), StoreError>>);

/// Refusals answered during an outage but not kept one by one.
#[derive(Debug, Default)]
struct Unkept {
    count: u64,
    /// Wall-clock milliseconds of the first and the last.
    first_ms: i64,
    last_ms: i64,
}

impl Unkept {
    fn add(&mut self, at: i64) {
        if self.count == 0 {
            self.first_ms = at;
        }
        self.count += 1;
        self.last_ms = self.last_ms.max(at);
    }

    /// The audit record of what was counted.
    fn record(&self) -> WideRecord {
        let hms = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms).map_or_else(String::new, |t| t.format("%H:%M:%S").to_string())
        };
        WideRecord {
            at: super::wall_ms(),
            user: String::new(),
            tenant: String::new(),
            role: String::new(),
            action: "refusals_not_kept".into(),
            parent: None,
            outcome: "refused",
            code: Some("ledger_unavailable".into()),
            detail: format!(
                "{} refusals from {} to {} UTC, during a database outage, were answered but not kept one by one \
                 (the first {KEPT_IN_OUTAGE} of the outage were)",
                self.count,
                hms(self.first_ms),
                hms(self.last_ms)
            ),
        }
    }
}

/// Appends refusals to the ledger's audit log (see the module docs).
#[derive(Debug, Clone)]
pub struct RefusalLog {
    tx: mpsc::Sender<Waiting>,
    outage: Arc<Outage>,
    unkept: Arc<Mutex<Unkept>>,
}

impl RefusalLog {
    /// Records one refusal; resolves once it is committed, or at once while
    /// the database is unreachable (it is kept, up to `KEPT_IN_OUTAGE`, and
    /// written when it returns; past that it is counted).
    pub async fn record(&self, record: WideRecord) -> Result<(), StoreError> {
        let (ack, done) = oneshot::channel();
        if self.outage.down().is_some() {
            return match self.tx.try_send((record, ack)) {
                Ok(()) => Ok(()),
                Err(mpsc::error::TrySendError::Full((r, _))) => {
                    self.unkept.lock().unwrap_or_else(|e| e.into_inner()).add(r.at);
                    Ok(())
                }
                Err(mpsc::error::TrySendError::Closed(_)) => Err(StoreError::Closed),
            };
        }
        self.tx.send((record, ack)).await.map_err(|_| StoreError::Closed)?;
        done.await.map_err(|_| StoreError::Closed)?
    }

    /// Refusals counted but not kept so far in this outage (not yet audited).
    pub fn unkept(&self) -> u64 {
        self.unkept.lock().unwrap_or_else(|e| e.into_inner()).count
    }
}

impl LedgerHandle {
    /// Starts the writer of refusals on the ledger's runtime; it stops when
    /// every `RefusalLog` clone is dropped or the ledger closes.
    pub fn refusal_log(&self) -> RefusalLog {
        // The group being written is out of the queue: together at most KEPT_IN_OUTAGE.
        let (tx, rx) = mpsc::channel(KEPT_IN_OUTAGE - MAX_GROUP);
        let unkept = Arc::default();
        self.spawn_task(write(self.pool(), self.backend(), rx, self.outage_arc(), Arc::clone(&unkept)));
        RefusalLog { tx, outage: self.outage_arc(), unkept }
    }
}

async fn write(
    pool: AnyPool,
    b: super::Backend,
    mut rx: mpsc::Receiver<Waiting>,
    down: Arc<Outage>,
    unkept: Arc<Mutex<Unkept>>,
) {
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
        if result.is_ok() {
            audit_unkept(&pool, b, &unkept).await;
        }
    }
}

/// Writes the count of refusals not kept, if any (put back if the write fails).
async fn audit_unkept(pool: &AnyPool, b: super::Backend, unkept: &Mutex<Unkept>) {
    let taken = std::mem::take(&mut *unkept.lock().unwrap_or_else(|e| e.into_inner()));
    if taken.count == 0 {
        return;
    }
    if commit(pool, b, &[taken.record()]).await.is_err() {
        let mut u = unkept.lock().unwrap_or_else(|e| e.into_inner());
        u.count += taken.count;
        u.first_ms = if u.first_ms == 0 { taken.first_ms } else { u.first_ms.min(taken.first_ms) };
        u.last_ms = u.last_ms.max(taken.last_ms);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(at: i64) -> WideRecord {
        WideRecord {
            at,
            user: String::new(),
            tenant: String::new(),
            role: String::new(),
            action: "GET /v1/orders".into(),
            parent: None,
            outcome: "refused",
            code: Some("unauthorized".into()),
            detail: "unknown token".into(),
        }
    }

    #[test]
    fn past_its_bound_an_outage_counts_refusals_and_audits_the_count_when_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = crate::store::Ledger::open(&crate::store::DbTarget::Sqlite(dir.path().join("l.db"))).unwrap();
        let handle = ledger.handle();
        ledger.block_on(async {
            // A queue of 2 with no writer behind it: the database is down.
            let (tx, mut rx) = mpsc::channel(2);
            let outage = Arc::new(Outage::default());
            outage.mark_down(&StoreError::Connect { target: "db".into(), message: "refused".into() });
            let log = RefusalLog { tx, outage, unkept: Arc::default() };
            // 12:00:00, 12:00:01 ... UTC: every one answered at once.
            let noon = 1_764_072_000_000;
            for i in 0..5 {
                log.record(refusal(noon + i * 1_000)).await.unwrap();
            }
            // The first two kept, in order; the other three counted.
            assert_eq!(rx.try_recv().unwrap().0.at, noon);
            assert_eq!(rx.try_recv().unwrap().0.at, noon + 1_000);
            assert!(rx.try_recv().is_err());
            assert_eq!(log.unkept(), 3);
            // When the database answers, the count is one audit record.
            audit_unkept(ledger.pool(), ledger.target().backend(), &log.unkept).await;
            assert_eq!(log.unkept(), 0, "audited once");
        });
        let rows = ledger.block_on(handle.audit_records(AuditFilter { limit: 10, ..AuditFilter::default() })).unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!((rows[0].action.as_str(), rows[0].outcome.as_str()), ("refusals_not_kept", "refused"));
        assert_eq!(
            rows[0].detail,
            "3 refusals from 12:00:02 to 12:00:04 UTC, during a database outage, were answered but not kept one by \
             one (the first 10000 of the outage were)"
        );
    }
}
