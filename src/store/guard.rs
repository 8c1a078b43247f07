//! The desk's control lock, in the database itself: an order is
//! acknowledged under a shared hold of it, and a change of a desk-wide
//! control (a trading state, a kill switch, limits, execution) is made
//! under an exclusive hold, from before it is applied on the first engine
//! until every engine of the desk applied it. So no instance acknowledges
//! an order after a HALT was acknowledged, and the HALT waits for the orders
//! already on their way. PostgreSQL advisory locks, held by a transaction
//! (ended, and so released, however the holder ends: a process killed
//! outright drops its connection and the server releases them).
//!
//! Holds come from a pool of their own, so a burst of orders waiting for a
//! control change never takes the connections the ledger writes and reads
//! with.

use super::handle::LedgerHandle;
use super::{Backend, StoreError};
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool};
use std::time::Duration;

/// The lock's key: one desk per database.
const KEY: i64 = 0x626c_6f74_7465_7201;
/// Connections holding the lock at once, per instance.
const HOLDERS: u32 = 16;

/// How long a hold may wait: an order for a control change to finish (and
/// the other way round) before it is refused.
pub const WAIT: Duration = Duration::from_secs(5);

/// A hold of the desk's control lock; released when dropped.
pub struct DeskHold {
    // The transaction holds the lock; dropping it rolls back, which releases it.
    _tx: Option<sqlx::Transaction<'static, Any>>,
}

impl std::fmt::Debug for DeskHold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeskHold")
    }
}

impl LedgerHandle {
    /// Holds the desk's control lock, shared (acknowledging an order) or
    /// exclusive (changing a desk-wide control). Nothing to hold on SQLite:
    /// one instance serves it, and it orders its own calls.
    pub async fn hold(&self, exclusive: bool) -> Result<DeskHold, StoreError> {
        if self.backend() != Backend::Postgres {
            return Ok(DeskHold { _tx: None });
        }
        let pool = self.holders().await?;
        let busy = |e: sqlx::Error| {
            let what = if exclusive { "a control change" } else { "an order" };
            StoreError::Busy(format!(
                "the desk's control lock could not be taken for {what} within {} s ({e}): a control change \
                 or orders elsewhere on the desk hold it; try again",
                WAIT.as_secs()
            ))
        };
        let take = async move {
            let mut tx = pool.begin().await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("SET LOCAL lock_timeout = '{}ms'", WAIT.as_millis())))
                .execute(&mut *tx)
                .await?;
            let f = if exclusive { "pg_advisory_xact_lock" } else { "pg_advisory_xact_lock_shared" };
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT CAST({f}({KEY}) AS TEXT)"))).execute(&mut *tx).await?;
            Ok::<_, sqlx::Error>(tx)
        };
        match tokio::time::timeout(WAIT + Duration::from_secs(1), take).await {
            Ok(Ok(tx)) => Ok(DeskHold { _tx: Some(tx) }),
            Ok(Err(e)) => Err(busy(e)),
            Err(_) => Err(busy(sqlx::Error::PoolTimedOut)),
        }
    }

    /// The pool the holds come from, opened on first use.
    async fn holders(&self) -> Result<AnyPool, StoreError> {
        if let Some(p) = self.hold_pool().get() {
            return Ok(p.clone());
        }
        let url = self.target().url(true)?;
        let pool = AnyPoolOptions::new()
            .max_connections(HOLDERS)
            .acquire_timeout(WAIT)
            .connect_lazy(&url)
            .map_err(|e| StoreError::db("opening the desk's lock connections", e))?;
        Ok(self.hold_pool().get_or_init(|| pool).clone())
    }
}
