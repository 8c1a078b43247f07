//! Which events a subscriber may see.

use crate::engine::{Actor, Engine, EngineEvent, EventKind};
use crate::model::ParentId;

/// Which events a subscriber may see: supervisors everything, others the
/// events of their own orders plus market-wide ones (auctions).
pub(super) struct Visibility {
    all: bool,
    actor: Actor,
    own: std::collections::BTreeSet<ParentId>,
}

impl Visibility {
    pub(super) fn new(engine: &Engine, actor: &Actor) -> Visibility {
        Visibility {
            all: actor.role.is_supervisor(),
            actor: actor.clone(),
            own: engine.parents().filter(|p| engine.visible(actor, p)).map(|p| p.id).collect(),
        }
    }

    pub(super) fn allows(&mut self, e: &EngineEvent) -> bool {
        if self.all {
            return true;
        }
        match &e.kind {
            EventKind::Accepted { order } => {
                let mine = order.owner.user == self.actor.user && order.owner.tenant == self.actor.tenant;
                if mine {
                    self.own.insert(order.id);
                }
                mine
            }
            EventKind::Rejected { actor, .. } | EventKind::KillAll { actor, .. } => *actor == self.actor,
            EventKind::Auction { .. } => true,
            other => other.parent().is_some_and(|p| self.own.contains(&p)),
        }
    }
}
