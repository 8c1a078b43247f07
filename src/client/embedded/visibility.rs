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

    /// The event as the subscriber may see it (`engine::view::as_seen_by`), if at all.
    pub(super) fn admit(&mut self, e: EngineEvent) -> Option<EngineEvent> {
        if self.all {
            return Some(e);
        }
        let e = crate::engine::view::as_seen_by(&self.actor, &self.own, e)?;
        if let EventKind::Accepted { order, .. } = &e.kind {
            self.own.insert(order.id);
        }
        Some(e)
    }
}
