//! Limits counted across the desk. With several `serve` instances on one
//! database, a user's orders reach several engines; their daily-notional
//! and open-order limits must count every engine's usage, or N instances
//! would let a user trade N times the limit. Before an engine checks one of
//! the user's orders (a submission, an amend, a resume), `prepare` takes the
//! user's desk lock (this instance's, then the database's, joined to the
//! control lock the call already holds), reads what the user has on the
//! desk's other engines from the ledger (`store::usage`), and gives it to
//! the engine, which counts it with its own. The lock is released once the
//! order is acknowledged, which is after it is committed: the next check
//! for that user, on any instance, reads a ledger that includes it.
//! Users whose limits count nothing desk-wide skip all of it.

use super::{Desk, Hold};
use crate::client::{ClientError, Embedded, ErrorCode};

/// A user's desk lock, held while one of their orders is checked and acknowledged.
pub struct UserHold {
    _here: Option<tokio::sync::OwnedMutexGuard<()>>,
    _desk: Option<crate::store::guard::DeskHold>,
}

/// Whether `tenant`/`user`'s limits on `engine` count usage desk-wide.
fn counted(engine: &Embedded, tenant: &str, user: &str) -> bool {
    engine.with_engine(|e| {
        let l = e.risk().effective(tenant, user);
        l.max_daily_notional.is_some() || l.max_open_orders.is_some()
    })
}

/// Readies `engine` to check an order of `tenant`/`user` against limits
/// counted desk-wide (see the module notes). `hold` is the caller's hold of
/// the control lock, which the user's lock joins; without one (a call
/// another instance forwarded, whose asker holds it) the user's lock is
/// taken alone. Keep the answer until the order is acknowledged.
pub async fn prepare(
    desk: &Desk,
    engine: &Embedded,
    tenant: &str,
    user: &str,
    hold: Option<&mut Hold>,
) -> Result<UserHold, ClientError> {
    let none = UserHold { _here: None, _desk: None };
    let Some(l) = desk.ledger() else { return Ok(none) };
    // Under the caller's hold of the control lock: a control change
    // committed before it is in force here, however this instance missed it.
    super::catch_up::controls(desk).await?;
    if !counted(engine, tenant, user) {
        return Ok(none);
    }
    let here = desk.lock_user_here(tenant, user).await;
    let own = match hold {
        Some(h) => {
            h.lock_user(tenant, user).await?;
            None
        }
        // Taken alone, it notices an outage as the control lock does, and says so the same way.
        None => Some(l.handle.hold_user(tenant, user).await.map_err(|e| super::lock_refused(&l.handle, &e))?),
    };
    let usage = l.handle.usage_elsewhere(i64::from(engine.number()), tenant, user).await.map_err(|e| {
        let why = ClientError::ledger_unavailable(&e);
        ClientError::new(
            ErrorCode::LedgerUnavailable,
            format!("{tenant}/{user}'s usage on the desk's other engines could not be read: {}", why.message),
        )
    })?;
    engine.with_engine(|e| e.set_elsewhere(tenant, user, usage));
    Ok(UserHold { _here: Some(here), _desk: own })
}
