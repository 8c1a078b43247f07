//! Engine events projected onto parent and child rows: a state replica.
//!
//! The ledger sees only the events (the engine does no I/O and the event
//! sink gets nothing else), so the writer rebuilds each order's current row
//! from them, with the engine's own arithmetic (`Money::notional` per fill),
//! and writes only the rows a group changed. Orders come back from the
//! database when an event touches one the replica does not hold.
//!
//! What it holds is bounded by what is working, not by the day: once
//! committed, a finished parent is dropped with its children, and a finished
//! child of a working parent on its own (a POV order working all day sends
//! a child every few prints). A late event about a dropped child reads it
//! back (`Writer::load_missing`).

use crate::engine::{EngineEvent, EventKind};
use crate::model::{ChildId, ChildOrder, ChildStatus, Fill, ParentId, ParentOrder, ParentStatus, Timestamp};
use std::collections::{BTreeSet, HashMap, HashSet};

/// A parent as the ledger stores it: the order plus what only events tell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParentRow {
    /// The order with its running totals.
    pub order: ParentOrder,
    /// When its window started (the `started` event).
    pub started_at: Option<Timestamp>,
    /// A cancel was requested and not yet finished.
    pub cancel_requested: bool,
    /// Sequence number of the last event that changed it.
    pub last_seq: u64,
}

/// Orders are keyed by engine and number: an engine that was not numbered
/// when it emitted an event (`P17`) and the row read back for it (`E3-P17`)
/// are the same order.
type PKey = (i64, u64);
/// Changed rows, with their engine: parents, then children.
pub(crate) type Dirty = (Vec<(i64, ParentRow)>, Vec<(i64, ChildOrder)>);
type CKey = (i64, u64, u32);

fn pk(engine: i64, id: ParentId) -> PKey {
    (engine, id.n)
}

fn ck(engine: i64, id: ChildId) -> CKey {
    (engine, id.parent.n, id.seq)
}

/// The current rows of the orders the writer has seen, and which changed.
#[derive(Debug, Default)]
pub(crate) struct Replica {
    parents: HashMap<PKey, ParentRow>,
    children: HashMap<CKey, ChildOrder>,
    /// Children held per parent (their numbers), so a finished parent can be dropped with them.
    kids: HashMap<PKey, HashSet<u32>>,
    dirty_parents: BTreeSet<PKey>,
    dirty_children: BTreeSet<CKey>,
    /// Held parents that reached a final state since the last eviction: the
    /// writer evicts after every commit, and scanning every held (working)
    /// parent each time cost more than the commit with thousands working.
    finished: Vec<PKey>,
    /// Held children that reached a final state since the last eviction.
    finished_children: Vec<CKey>,
}

/// The parent whose row an event changes (events that change no row, such as
/// refusals or routing decisions, need none).
/// The child whose row an event changes, other than the one it sends.
pub(crate) fn child_changed(kind: &EventKind) -> Option<ChildId> {
    match kind {
        EventKind::ChildAcked { child, .. }
        | EventKind::ChildRejected { child, .. }
        | EventKind::ChildCancelled { child, .. }
        | EventKind::ChildAmended { child, .. }
        | EventKind::CancelRejected { child, .. } => Some(*child),
        EventKind::Fill { fill } => Some(fill.child),
        _ => None,
    }
}

pub(crate) fn changes(kind: &EventKind) -> Option<ParentId> {
    match kind {
        EventKind::Rejected { .. }
        | EventKind::Routed { .. }
        | EventKind::Progress { .. }
        | EventKind::RiskWarning { .. }
        | EventKind::AmendSent { .. }
        | EventKind::AmendRejected { .. }
        | EventKind::Accepted { .. } => None,
        other => other.parent(),
    }
}

impl Replica {
    /// Whether the parent's row is held.
    pub fn has(&self, engine: i64, id: ParentId) -> bool {
        self.parents.contains_key(&pk(engine, id))
    }

    /// Whether the child's row is held.
    pub fn has_child(&self, engine: i64, id: ChildId) -> bool {
        self.children.contains_key(&ck(engine, id))
    }

    /// Adds a child read back from the database (its parent is held).
    pub fn load_child(&mut self, engine: i64, child: ChildOrder) {
        let key = ck(engine, child.id);
        self.kids.entry(pk(engine, child.id.parent)).or_default().insert(child.id.seq);
        if child.status.is_terminal() {
            self.finished_children.push(key);
        }
        self.children.insert(key, child);
    }

    /// Adds a parent read back from the database, with its children.
    pub fn load(&mut self, engine: i64, row: ParentRow, children: Vec<ChildOrder>) {
        let key = pk(engine, row.order.id);
        self.kids.insert(key, HashSet::new());
        for c in children {
            self.load_child(engine, c);
        }
        if row.order.status.is_terminal() {
            self.finished.push(key);
        }
        self.parents.insert(key, row);
    }

    /// Drops everything held for an engine (after a failed commit the rows are
    /// re-read from the database).
    pub fn forget(&mut self, engine: i64) {
        self.parents.retain(|k, _| k.0 != engine);
        self.children.retain(|k, _| k.0 != engine);
        self.kids.retain(|k, _| k.0 != engine);
        self.dirty_parents.retain(|k| k.0 != engine);
        self.dirty_children.retain(|k| k.0 != engine);
        self.finished.retain(|k| k.0 != engine);
        self.finished_children.retain(|k| k.0 != engine);
    }

    /// Applies one event. Returns the fill it carries, if any.
    pub fn apply(&mut self, engine: i64, ev: &EngineEvent) -> Result<Option<Fill>, String> {
        let seq = ev.seq;
        let ts = ev.ts;
        match &ev.kind {
            EventKind::Accepted { order, .. } => {
                let key = pk(engine, order.id);
                let row =
                    ParentRow { order: (**order).clone(), started_at: None, cancel_requested: false, last_seq: seq };
                if row.order.status.is_terminal() {
                    self.finished.push(key);
                }
                self.parents.insert(key, row);
                self.kids.entry(key).or_default();
                self.dirty_parents.insert(key);
            }
            EventKind::Started { parent, arrival_px } => {
                let p = self.parent(engine, *parent, seq)?;
                p.order.start(*arrival_px);
                p.started_at = Some(ts);
            }
            EventKind::ChildSent { child } => {
                let p = self.parent(engine, child.id.parent, seq)?;
                p.order.children = p.order.children.max(child.id.seq);
                self.kids.entry(pk(engine, child.id.parent)).or_default().insert(child.id.seq);
                self.children.insert(ck(engine, child.id), (**child).clone());
                self.dirty_children.insert(ck(engine, child.id));
            }
            EventKind::ChildAcked { child, .. } => {
                self.child(engine, *child)?.ack(ts);
            }
            EventKind::ChildRejected { child, .. } => {
                let _ = self.child(engine, *child)?.transition(ChildStatus::Rejected);
            }
            EventKind::ChildCancelled { child, .. } => self.child(engine, *child)?.cancel(),
            EventKind::ChildAmended { child, qty, px } => {
                let c = self.child(engine, *child)?;
                c.qty = *qty;
                if px.is_some() {
                    c.px = *px;
                }
            }
            EventKind::CancelRejected { child, .. } => self.child(engine, *child)?.cancel_refused(),
            EventKind::Fill { fill } => {
                self.child(engine, fill.child)?.fill(fill);
                self.parent(engine, fill.child.parent, seq)?.order.fill(fill);
                self.note_final(engine, fill.child);
                return Ok(Some(fill.clone()));
            }
            EventKind::Paused { parent } => {
                let _ = self.parent(engine, *parent, seq)?.order.transition(ParentStatus::Paused);
            }
            EventKind::Resumed { parent } => {
                let p = self.parent(engine, *parent, seq)?;
                let _ = p.order.resume(p.started_at.is_some());
            }
            EventKind::Amended { parent, qty, limit_px } => {
                let p = self.parent(engine, *parent, seq)?;
                p.order.qty = *qty;
                p.order.limit_px = *limit_px;
            }
            EventKind::CancelRequested { parent } => self.parent(engine, *parent, seq)?.cancel_requested = true,
            EventKind::Done { parent, status, .. } => {
                let p = self.parent(engine, *parent, seq)?;
                let _ = p.order.transition(*status);
                p.order.done_at = Some(ts);
                p.cancel_requested = false;
                if status.is_terminal() {
                    self.finished.push(pk(engine, *parent));
                }
            }
            EventKind::Interrupted { parent, .. } => {
                let _ = self.parent(engine, *parent, seq)?.order.transition(ParentStatus::Interrupted);
            }
            _ => {}
        }
        if let Some(c) = child_changed(&ev.kind) {
            self.note_final(engine, c);
        }
        Ok(None)
    }

    /// Remembers a child that reached a final state, to drop it once committed.
    fn note_final(&mut self, engine: i64, id: ChildId) {
        let key = ck(engine, id);
        if self.children.get(&key).is_some_and(|c| c.status.is_terminal()) {
            self.finished_children.push(key);
        }
    }

    fn parent(&mut self, engine: i64, id: ParentId, seq: u64) -> Result<&mut ParentRow, String> {
        let key = pk(engine, id);
        let p = self.parents.get_mut(&key).ok_or_else(|| format!("event {seq} refers to unknown order {id}"))?;
        p.last_seq = seq;
        self.dirty_parents.insert(key);
        Ok(p)
    }

    fn child(&mut self, engine: i64, id: ChildId) -> Result<&mut ChildOrder, String> {
        let key = ck(engine, id);
        let c = self.children.get_mut(&key).ok_or_else(|| format!("event refers to unknown child {id}"))?;
        self.dirty_children.insert(key);
        Ok(c)
    }

    /// The rows changed since the last call, parents first (children refer to them).
    pub fn take_dirty(&mut self) -> Dirty {
        let parents = std::mem::take(&mut self.dirty_parents)
            .into_iter()
            .filter_map(|k| self.parents.get(&k).map(|p| (k.0, p.clone())))
            .collect();
        let children = std::mem::take(&mut self.dirty_children)
            .into_iter()
            .filter_map(|k| self.children.get(&k).map(|c| (k.0, c.clone())))
            .collect();
        (parents, children)
    }

    /// Drops finished parents and their children, and finished children of
    /// working parents, once they are committed: a late event about one
    /// reads it back.
    pub fn evict_finished(&mut self) {
        for k in std::mem::take(&mut self.finished) {
            if !self.parents.get(&k).is_some_and(|p| p.order.status.is_terminal()) {
                continue;
            }
            self.parents.remove(&k);
            for seq in self.kids.remove(&k).unwrap_or_default() {
                self.children.remove(&(k.0, k.1, seq));
            }
        }
        for k in std::mem::take(&mut self.finished_children) {
            if self.dirty_children.contains(&k) {
                // Not written yet: dropped after the next commit.
                self.finished_children.push(k);
                continue;
            }
            if self.children.get(&k).is_some_and(|c| c.status.is_terminal()) {
                self.children.remove(&k);
                if let Some(held) = self.kids.get_mut(&(k.0, k.1)) {
                    held.remove(&k.2);
                }
            }
        }
    }

    /// Number of children held (for tests).
    #[cfg(test)]
    pub fn children_held(&self) -> usize {
        self.children.len()
    }

    /// Number of parents held (for tests).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.parents.len()
    }

    /// A held parent row (for tests).
    #[cfg(test)]
    pub fn get(&self, engine: i64, id: ParentId) -> Option<&ParentRow> {
        self.parents.get(&pk(engine, id))
    }

    /// A held child (for tests).
    #[cfg(test)]
    pub fn get_child(&self, engine: i64, id: ChildId) -> Option<&ChildOrder> {
        self.children.get(&ck(engine, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::{desk, engine, twap};
    use crate::engine::{Amendment, Command};
    use crate::model::{Qty, Side};

    /// The replica fed the engine's events holds exactly the engine's orders,
    /// through pause, resume, amend and cancel.
    #[test]
    fn replica_matches_the_engine() {
        let mut e = engine(11, &["AAPL", "MSFT"]);
        let a = e.apply(&desk(), Command::Submit(twap("AAPL", Side::Buy, 30_000, "09:30", "10:30"))).unwrap().unwrap();
        let b = e.apply(&desk(), Command::Submit(twap("MSFT", Side::Sell, 20_000, "09:30", "11:00"))).unwrap().unwrap();
        let mut r = Replica::default();
        let feed = |e: &mut crate::engine::Engine, r: &mut Replica| {
            for ev in e.drain_events() {
                r.apply(7, &ev).unwrap();
            }
        };
        e.run_until(crate::engine::tests::at("09:50"));
        e.apply(&desk(), Command::Pause { id: a }).unwrap();
        feed(&mut e, &mut r);
        r.take_dirty();
        r.evict_finished();
        assert_eq!(r.len(), 2, "working and paused orders stay held");
        // Of their children, only those still working (final ones were dropped once written).
        let live = [a, b].iter().flat_map(|&p| e.children(p)).filter(|c| !c.status.is_terminal()).count();
        let sent = [a, b].iter().flat_map(|&p| e.children(p)).count();
        assert_eq!(r.children_held(), live, "{live} of {sent} children are working");
        assert!(live < sent, "some children finished by 09:50");
        e.run_until(crate::engine::tests::at("10:00"));
        e.apply(&desk(), Command::Resume { id: a }).unwrap();
        e.apply(
            &desk(),
            Command::Amend {
                id: b,
                change: Amendment { qty: Some(Qty::from_int(25_000)), limit_px: None, ..Default::default() },
            },
        )
        .unwrap();
        feed(&mut e, &mut r);
        e.run_until(crate::engine::tests::at("10:15"));
        e.apply(&desk(), Command::Cancel { id: b }).unwrap();
        e.run_until_idle();
        feed(&mut e, &mut r);
        for id in [a, b] {
            let want = e.parent(id).unwrap();
            let got = r.get(7, id).unwrap();
            assert_eq!(&got.order, want, "{id}");
            assert!(got.started_at.is_some());
            for c in e.children(id) {
                match r.get_child(7, c.id) {
                    Some(got) => assert_eq!(got, c, "{}", c.id),
                    // Final and written by 09:50: dropped.
                    None => {
                        assert!(c.status.is_terminal() && c.sent_at <= crate::engine::tests::at("09:50"), "{}", c.id)
                    }
                }
            }
        }
        assert_eq!(e.parent(b).unwrap().status, ParentStatus::Cancelled);
        assert!(e.parent(a).unwrap().filled.is_positive());
        let (parents, children) = r.take_dirty();
        assert_eq!(parents.len(), 2);
        assert!(!children.is_empty());
        r.evict_finished();
        assert_eq!(r.len(), 0, "both orders are final");
    }

    #[test]
    fn unknown_orders_are_reported() {
        let mut r = Replica::default();
        let ev = EngineEvent { seq: 3, ts: Timestamp(0), kind: EventKind::Paused { parent: ParentId::local(9) } };
        assert_eq!(r.apply(1, &ev).unwrap_err(), "event 3 refers to unknown order P9");
        assert_eq!(changes(&ev.kind), Some(ParentId::local(9)));
    }
}
