//! Who may see an order, and which events: one rule for the engine's
//! views and commands, the live streams (embedded and the desk's) and the
//! history read back from the ledger. Supervisors see everything; others
//! their own orders and what concerns them.

use super::{Actor, EngineEvent, EventKind};
use crate::model::{Owner, ParentId, ParentOrder};
use std::collections::BTreeSet;

/// True if `actor` may see an order of `owner`: the one rule, for orders
/// and for their events.
pub fn owns(actor: &Actor, owner: &Owner) -> bool {
    actor.role.is_supervisor() || (owner.user == actor.user && owner.tenant == actor.tenant)
}

/// True if `actor` may see an event, given the orders they may see (`own`):
/// supervisors everything; others their own orders' events, their own
/// refusals and kill switches, changes to their own tenant's or the whole
/// desk's controls, and auctions. Used by the live stream and by the history
/// read back from the ledger alike.
pub fn event_visible(actor: &Actor, own: &BTreeSet<ParentId>, kind: &EventKind) -> bool {
    if actor.role.is_supervisor() {
        return true;
    }
    match kind {
        EventKind::Accepted { order, .. } => owns(actor, &order.owner),
        EventKind::Rejected { actor: a, .. } => a == actor,
        EventKind::Auction { .. } => true,
        EventKind::ControlsRestored { .. } => false,
        other => match super::control_of(other) {
            Some((a, c)) => a == actor || c.tenant().is_none_or(|t| *t == actor.tenant),
            None => other.parent().is_some_and(|p| own.contains(&p)),
        },
    }
}

/// The event as `actor` may see it, or `None` when they may not see it at
/// all (`event_visible`). A kill switch names every order it paused: others
/// than a supervisor see it with their own orders only, not the ids of
/// other desks' orders.
pub fn as_seen_by(actor: &Actor, own: &BTreeSet<ParentId>, e: EngineEvent) -> Option<EngineEvent> {
    event_visible(actor, own, &e.kind).then(|| cut_for(actor, own, e))
}

/// True if the event names orders `actor` may not see, and must be cut down for them.
fn must_cut(actor: &Actor, e: &EngineEvent) -> bool {
    !actor.role.is_supervisor() && matches!(e.kind, EventKind::KillAll { .. })
}

/// `e` with what `actor` may not see taken out (see [`as_seen_by`]).
fn cut_for(actor: &Actor, own: &BTreeSet<ParentId>, mut e: EngineEvent) -> EngineEvent {
    if must_cut(actor, &e)
        && let EventKind::KillAll { parents, .. } = &mut e.kind
    {
        parents.retain(|p| own.contains(p));
    }
    e
}

/// True if `actor` may see `order`: supervisors every order, others their own.
pub fn may_see(actor: &Actor, order: &ParentOrder) -> bool {
    owns(actor, &order.owner)
}

/// Which events one subscriber may see as they come ([`event_visible`]),
/// with the orders they may see kept up to date as theirs are accepted: the
/// filter of every live stream (an engine's, the desk's).
#[derive(Debug, Clone)]
pub struct Seen {
    actor: Actor,
    own: BTreeSet<ParentId>,
}

impl Seen {
    /// For `actor`, who may already see the orders `own`.
    pub fn new(actor: Actor, own: BTreeSet<ParentId>) -> Seen {
        Seen { actor, own }
    }

    /// Whether the subscriber may see `e`; an order of theirs accepted is
    /// seen from then on.
    pub fn allows(&mut self, e: &EngineEvent) -> bool {
        let yes = event_visible(&self.actor, &self.own, &e.kind);
        if let (true, EventKind::Accepted { order, .. }) = (yes, &e.kind)
            && !self.actor.role.is_supervisor()
        {
            self.own.insert(order.id);
        }
        yes
    }

    /// `e` as the subscriber may see it, if at all ([`as_seen_by`]).
    pub fn admit_owned(&mut self, e: EngineEvent) -> Option<EngineEvent> {
        self.allows(&e).then(|| cut_for(&self.actor, &self.own, e))
    }

    /// `e` as the subscriber may see it, if at all: as it is, or a copy cut
    /// down for them ([`as_seen_by`]); for events shared between streams.
    pub fn admit<'e>(&mut self, e: &'e EngineEvent) -> Option<std::borrow::Cow<'e, EngineEvent>> {
        if !self.allows(e) {
            return None;
        }
        Some(if must_cut(&self.actor, e) {
            std::borrow::Cow::Owned(cut_for(&self.actor, &self.own, e.clone()))
        } else {
            std::borrow::Cow::Borrowed(e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Command;
    use crate::engine::tests::{at, engine, twap};
    use crate::model::{Role, Side};

    /// A live stream's filter on a real day's events: an advisor sees their
    /// own order from its acceptance on and nothing of another user's; a
    /// filter made later knows their orders from the engine; a supervisor
    /// sees everything and keeps no list.
    #[test]
    fn a_subscriber_sees_their_orders_from_their_acceptance_on() {
        let who = |user: &str, role| Actor { user: user.into(), tenant: "ws".into(), role };
        let (alice, bob) = (who("alice", Role::Advisor), who("bob", Role::Advisor));
        let mut e = engine(1, &["AAPL"]);
        let mut live = Seen::new(alice.clone(), BTreeSet::new());
        let mut all = Seen::new(who("sup", Role::Supervisor), BTreeSet::new());
        let mine = e.apply(&alice, Command::Submit(twap("AAPL", Side::Buy, 1_000, "09:30", "10:00"))).unwrap();
        let theirs = e.apply(&bob, Command::Submit(twap("AAPL", Side::Buy, 1_000, "09:30", "10:00"))).unwrap();
        let (mine, theirs) = (mine.unwrap(), theirs.unwrap());
        e.run_until(at("09:45"));
        let later = e.seen_by(&alice);
        let events = e.drain_events();
        let of = |p| events.iter().filter(move |ev| ev.kind.parent() == Some(p));
        assert!(of(mine).count() > 3 && of(theirs).count() > 3, "both orders worked");
        assert!(of(mine).all(|ev| live.allows(ev)), "every event of alice's order, acceptance first");
        assert!(of(theirs).all(|ev| !live.allows(ev)), "none of bob's");
        let mut later = later;
        assert!(of(mine).skip(1).all(|ev| later.allows(ev)), "a stream opened later knows her order");
        assert!(events.iter().all(|ev| all.allows(ev)));
        assert!(all.own.is_empty(), "a supervisor needs no list");
    }
}
