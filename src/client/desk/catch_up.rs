//! An instance's engines under the desk's controls as the ledger holds them,
//! even when it missed a change. A desk-wide control reaches the other
//! instances' engines as the change is made (`DeskClient::everywhere`), but
//! an instance that was starting at that moment (its controls read, its
//! engine not yet running where the change could see it), or a change
//! recorded by another process on the ledger (`blotter recover`, a CLI run),
//! reaches no engine here. So before an order is checked, under the
//! control lock's hold, the desk's change number is compared with the one
//! this instance last brought its engines up to; when it moved, the
//! controls are read and every engine here that differs takes them
//! (`Engine::restore_controls`, recorded as `controls_restored`).

use super::Desk;
use crate::client::ClientError;
use crate::model::Name;
use crate::risk::{Control, Limits, RiskBook, Stamp, TradingState};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

/// Brings every engine of `desk` here up to the desk's controls, if the
/// desk's change number moved since the last time.
pub(super) async fn controls(desk: &Desk) -> Result<(), ClientError> {
    let Some(l) = desk.ledger() else { return Ok(()) };
    // An outage is said as every other refusal in one says it.
    let failed = |e: crate::store::StoreError| match l.handle.outage().down() {
        Some(down) => super::unavailable(&down),
        None => ClientError::ledger_unavailable(&e),
    };
    let version = l.handle.controls_version().await.map_err(failed)?;
    if version == desk.0.controls_seen.load(Ordering::Acquire) {
        return Ok(());
    }
    let now = l.handle.desk_controls().await.map_err(failed)?;
    for h in desk.hosted() {
        let controls = now.controls.clone();
        h.engine.with_engine(move |e| {
            if differs(e.risk(), &controls) {
                e.restore_controls(controls);
            }
        });
    }
    desk.0.controls_seen.store(now.version, Ordering::Release);
    Ok(())
}

/// What a risk book enforces: states, execution switches and limits, without
/// who set them when (each engine stamps a change with its own clock).
type InForce = (TradingState, Limits, BTreeMap<Name, (bool, TradingState, Limits, BTreeMap<Name, Limits>)>);

fn in_force(b: &RiskBook) -> InForce {
    let tenants = b
        .tenants
        .iter()
        .map(|(n, t)| (n.clone(), (t.execution_enabled, t.state, t.limits.clone(), t.users.clone())))
        .collect();
    (b.desk_state, b.config.default_limits.clone(), tenants)
}

/// Whether applying `controls` would change what `book` enforces.
fn differs(book: &RiskBook, controls: &[(Control, Stamp)]) -> bool {
    let mut probe = book.clone();
    for (c, s) in controls {
        probe.apply(c, s.clone());
    }
    in_force(&probe) != in_force(book)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_change_of_what_is_enforced_differs() {
        let book = RiskBook::default();
        let stamp = Stamp { by: "sup@hq SUPERVISOR".into(), at: crate::model::Timestamp(5) };
        let halt = (Control::State { tenant: Some("ws".into()), state: TradingState::Halted }, stamp.clone());
        assert!(differs(&book, std::slice::from_ref(&halt)));
        let mut halted = book.clone();
        halted.apply(&halt.0, halt.1.clone());
        assert!(!differs(&halted, std::slice::from_ref(&halt)), "already in force");
        // The same state stamped by another engine's clock changes nothing enforced.
        let later = Stamp { by: "sup@hq SUPERVISOR".into(), at: crate::model::Timestamp(9) };
        assert!(!differs(&halted, &[(halt.0.clone(), later)]));
        assert!(differs(
            &halted,
            &[(Control::DeskLimits { limits: Limits { max_open_orders: Some(1), ..Limits::default() } }, stamp)]
        ));
    }
}
