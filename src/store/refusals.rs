//! The sidecar's refusals (every 401, 403 and 429) in the ledger's audit log,
//! as engine 0 records with outcome `refused`. A refusal is acknowledged only
//! once committed; refusals arriving together share one transaction (group
//! commit), so a flood of rate-limited requests costs one sync per group, not
//! one per request.

use super::StoreError;
use super::db::is_unique_violation;
use super::handle::{LedgerHandle, RETRIES, WideRecord, append_wide};
use sqlx::{AnyPool, Connection};
use tokio::sync::{mpsc, oneshot};

/// Most refusals in one transaction.
const MAX_GROUP: usize = 1_000;

type Waiting = (WideRecord, oneshot::Sender<Result<(), StoreError>>);

/// Appends refusals to the ledger's audit log (see the module docs).
#[derive(Debug, Clone)]
pub struct RefusalLog {
    tx: mpsc::UnboundedSender<Waiting>,
}

impl RefusalLog {
    /// Records one refusal; resolves once it is committed.
    pub async fn record(&self, record: WideRecord) -> Result<(), StoreError> {
        let (ack, done) = oneshot::channel();
        self.tx.send((record, ack)).map_err(|_| StoreError::Closed)?;
        done.await.map_err(|_| StoreError::Closed)?
    }
}

impl LedgerHandle {
    /// Starts the writer of refusals on the ledger's runtime; it stops when
    /// every `RefusalLog` clone is dropped or the ledger closes.
    pub fn refusal_log(&self) -> RefusalLog {
        let (tx, rx) = mpsc::unbounded_channel();
        self.spawn_task(write(self.pool(), self.backend(), rx));
        RefusalLog { tx }
    }
}

async fn write(pool: AnyPool, b: super::Backend, mut rx: mpsc::UnboundedReceiver<Waiting>) {
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(w) => group.push(w),
                Err(_) => break,
            }
        }
        let records: Vec<WideRecord> = group.iter().map(|(r, _)| r.clone()).collect();
        let result = commit(&pool, b, &records).await;
        for (_, ack) in group {
            let _ = ack.send(result.clone());
        }
    }
}

async fn commit(pool: &AnyPool, b: super::Backend, records: &[WideRecord]) -> Result<(), StoreError> {
    let db = |e: sqlx::Error| StoreError::db("writing the audit log", e);
    for _ in 0..RETRIES {
        let mut conn = pool.acquire().await.map_err(db)?;
        let mut tx = conn.begin_with(b.begin_write()).await.map_err(db)?;
        match append_wide(&mut tx, b, records).await {
            Ok(()) => return tx.commit().await.map_err(db),
            Err(e) if is_unique_violation(&e) => continue,
            Err(e) => return Err(db(e)),
        }
    }
    Err(StoreError::Busy("could not number the audit records after 20 attempts".into()))
}
