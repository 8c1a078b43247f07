//! Which events a subscriber may see.

use crate::engine::{Actor, Engine, EngineEvent, EventKind};
use crate::model::ParentId;

/// Which events a subscriber may see (`engine::view::event_visible`), with
/// the orders they may see kept up to date as their orders are accepted.
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
        let yes = crate::engine::view::event_visible(&self.actor, &self.own, &e.kind);
        if let (true, EventKind::Accepted { order, .. }) = (yes, &e.kind) {
            self.own.insert(order.id);
        }
        yes
    }
}
