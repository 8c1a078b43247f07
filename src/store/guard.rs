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
//! A user's orders are also checked against limits counted across the desk
//! (daily notional, open orders): those checks hold the user's own lock
//! (`DeskHold::lock_user`) as well, so they happen one at a time desk-wide,
//! each after the last one's order was committed.
//!
//! Holds come from a pool of their own, so a burst of orders waiting for a
//! control change never takes the connections the ledger writes and reads
//! with.

use super::handle::LedgerHandle;
use super::outage::{self, Outage};
use super::{Backend, StoreError};
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool};
use std::sync::Arc;
use std::time::Duration;

/// The lock's key: one desk per database.
const KEY: i64 = 0x626c_6f74_7465_7201;
/// Connections holding the lock at once, per instance.
const HOLDERS: u32 = 16;

/// Why a hold was refused when every holder connection stayed in use.
const HOLDERS_BUSY: &str = "every connection holding the desk's locks stayed in use";

/// How long a hold may wait: an order for a control change to finish (and
/// the other way round) before it is refused.
pub const WAIT: Duration = Duration::from_secs(5);

/// The class of the users' locks (the two-key form of advisory locks, a key
/// space apart from `KEY`'s): `blou`.
const USER_CLASS: i32 = 0x626c_6f75;

/// A user's lock key: FNV-1a of `tenant`, a zero byte and `user`, so every
/// build and machine of the desk agrees on it. Two users sharing a key only
/// wait for each other.
pub fn user_key(tenant: &str, user: &str) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for byte in tenant.bytes().chain([0]).chain(user.bytes()) {
        h = (h ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    i32::from_ne_bytes(h.to_ne_bytes())
}

/// A hold of the desk's control lock; released when dropped.
pub struct DeskHold {
    // The transaction holds the lock; dropping it rolls back, which releases it.
    _tx: Option<sqlx::Transaction<'static, Any>>,
    /// The ledger's outage state, for a user's lock that fails (`refused`).
    outage: Option<Arc<Outage>>,
}

/// The one rule for a lock that could not be had: an error that means the
/// database is unreachable is an outage, noted as such (so the client says
/// `ledger_unavailable` at once: `client::desk`), and kept as it is;
/// anything else is the desk being busy, said by `busy` in our words (the
/// users see it: the database's text goes to the server's log).
fn refused(outage: &Outage, e: StoreError, busy: impl FnOnce(String) -> StoreError) -> StoreError {
    match e {
        e if outage::is_outage(&e) => {
            outage.mark_down(&e);
            e
        }
        e @ StoreError::Busy(_) => e,
        e => {
            tracing::warn!("ledger: a desk lock was refused: {e}");
            busy("the database did not grant it".into())
        }
    }
}

impl DeskHold {
    /// Also holds `tenant`/`user`'s lock, until this hold is released: taken
    /// while one of the user's orders is checked against the limits counted
    /// desk-wide (daily notional, open orders) and acknowledged, so two
    /// instances never both count the same usage as still free. Nothing to
    /// hold on SQLite (one instance; the client layer orders its own calls).
    pub async fn lock_user(&mut self, tenant: &str, user: &str) -> Result<(), StoreError> {
        let (Some(tx), Some(outage)) = (self._tx.as_mut(), self.outage.as_deref()) else { return Ok(()) };
        let sql = format!("SELECT CAST(pg_advisory_xact_lock({USER_CLASS}, {}) AS TEXT)", user_key(tenant, user));
        let lock = async { sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut **tx).await.map(drop) };
        let busy = |why: String| {
            StoreError::Busy(format!(
                "the desk lock of {user}@{tenant} could not be taken within {} s ({why}): their other orders \
                 elsewhere on the desk hold it; try again",
                WAIT.as_secs()
            ))
        };
        lock.await.map_err(|e| refused(outage, StoreError::db("taking a user's desk lock", e), busy))
    }
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
        let what = if exclusive { "a control change" } else { "an order" };
        let f = if exclusive { "pg_advisory_xact_lock" } else { "pg_advisory_xact_lock_shared" };
        self.take("taking the desk's control lock", Some(format!("SELECT CAST({f}({KEY}) AS TEXT)")), |why| {
            StoreError::Busy(format!(
                "the desk's control lock could not be taken for {what} within {} s ({why}): a control change \
                 or orders elsewhere on the desk hold it; try again",
                WAIT.as_secs()
            ))
        })
        .await
    }

    /// Holds `tenant`/`user`'s lock alone (see `DeskHold::lock_user`): for a
    /// call another instance forwarded, whose asker holds the control lock.
    pub async fn hold_user(&self, tenant: &str, user: &str) -> Result<DeskHold, StoreError> {
        let mut hold = self
            .take("taking a user's desk lock", None, |why| {
                StoreError::Busy(format!(
                    "the desk lock of {user}@{tenant} could not be taken within {} s ({why}); try again",
                    WAIT.as_secs()
                ))
            })
            .await?;
        hold.lock_user(tenant, user).await?;
        Ok(hold)
    }

    /// A transaction of the holders' pool with the locks' timeout set, and
    /// `lock` (a statement taking a lock) run in it, ended as soon as the
    /// database refuses connections (`Outage::unless_refused`); a failure
    /// goes by `refused`'s rule: an unreachable database is an outage, at
    /// once, anything else `busy`. Nothing to hold on SQLite: one instance
    /// serves it, and it orders its own calls.
    async fn take(
        &self,
        context: &str,
        lock: Option<String>,
        busy: impl Fn(String) -> StoreError,
    ) -> Result<DeskHold, StoreError> {
        if self.backend() != Backend::Postgres {
            return Ok(DeskHold { _tx: None, outage: None });
        }
        let pool = self.holders().await?;
        let take = async move {
            let mut tx = pool.begin().await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("SET LOCAL lock_timeout = '{}ms'", WAIT.as_millis())))
                .execute(&mut *tx)
                .await?;
            if let Some(sql) = lock {
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
            }
            Ok::<_, sqlx::Error>(tx)
        };
        let take = async {
            match tokio::time::timeout(WAIT + Duration::from_secs(1), take).await {
                Ok(Ok(tx)) => Ok(tx),
                // Every holder busy, or the lock held: the desk is busy.
                Ok(Err(sqlx::Error::PoolTimedOut)) => Err(busy(HOLDERS_BUSY.into())),
                Ok(Err(e)) => Err(StoreError::db(context, e)),
                Err(_) => Err(busy(HOLDERS_BUSY.into())),
            }
        };
        // A database that went down is an outage (said as such, at once), not a busy lock.
        let tx = self.outage().unless_refused(take).await.map_err(|e| refused(self.outage(), e, &busy))?;
        Ok(DeskHold { _tx: Some(tx), outage: Some(self.outage_arc()) })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_keys_are_fixed_and_tell_the_parts_apart() {
        // FNV-1a 32 of the empty input is its offset basis; "a\0" by hand:
        // (0x811c9dc5 ^ 0x61) * 0x01000193 = 0xe40c292c, then
        // (0xe40c292c ^ 0x00) * 0x01000193 = 0x2b24d044 (mod 2^32).
        assert_eq!(user_key("a", ""), 0x2b24_d044);
        assert_ne!(user_key("ab", "c"), user_key("a", "bc"), "the zero byte separates tenant and user");
        assert_eq!(user_key("ws", "alice"), user_key("ws", "alice"));
    }
}
