//! The engine's child orders: the ones not yet final in a slab, and the
//! finished ones as far as the engine is asked to keep them.
//!
//! A POV order working all day sends a child every few prints, so keeping
//! every child of the day made a served engine grow by hundreds of MB (a heap
//! profile of 3.9 M events found 370 MB in the old `Vec` of every child). A
//! child leaves the slab once it is final and no job refers to it any more
//! (an arrival, a cancel or an amend still on its way to the venue: they must
//! still see it to report "too late to cancel: already filled", so the events
//! stay what they were). Its slot is then reused for a later child.
//!
//! Jobs, venues and parents name a child by a key that packs the slot and
//! the slot's generation (bumped each time it is freed): a key to a freed
//! slot finds nothing, even once the slot holds another child, so a stale
//! job or execution can never act on the wrong order.
//!
//! Finished children go to their parent's `done` list under a retention
//! policy (`Finished`): every one (the default: a batch run, the tests),
//! none, or the most recent N across the engine (`serve`, whose ledger keeps
//! them all and whose readers merge the two).

use crate::model::{ChildOrder, Qty, Timestamp};
use crate::router::Urgency;
use std::collections::VecDeque;

// Keys pack a 32-bit slot and a 32-bit generation into a `usize`.
const _: () = assert!(usize::BITS >= 64, "child keys need a 64-bit usize");

/// A child order the engine still works.
#[derive(Debug)]
pub(super) struct ChildSlot {
    pub order: ChildOrder,
    pub parent: usize,
    pub inst: usize,
    pub slot: usize,
    pub urgency: Urgency,
    pub arrive_at: Timestamp,
    pub cancel_sent: bool,
    /// New total quantity and price of an amend in flight.
    pub pending_amend: Option<(Qty, Option<crate::model::Price>)>,
    /// Jobs still queued that refer to it (arrival, cancel, amend): it is
    /// kept until they have run even once final.
    pub jobs: u32,
}

#[derive(Debug)]
struct Entry {
    generation: u32,
    child: Option<ChildSlot>,
}

/// The children not yet released, by key.
#[derive(Debug, Default)]
pub(super) struct Slab {
    entries: Vec<Entry>,
    free: Vec<u32>,
    held: usize,
}

fn split(key: usize) -> (usize, u32) {
    // Truncation is the packing: low 32 bits the slot, high 32 the generation.
    ((key & 0xFFFF_FFFF), (key >> 32) as u32)
}

impl Slab {
    /// Stores a child and returns its key.
    pub fn insert(&mut self, child: ChildSlot) -> usize {
        self.held += 1;
        if let Some(i) = self.free.pop() {
            let e = &mut self.entries[i as usize];
            e.child = Some(child);
            return (e.generation as usize) << 32 | i as usize;
        }
        let i = self.entries.len();
        self.entries.push(Entry { generation: 0, child: Some(child) });
        i
    }

    /// The child of `key`, unless it was released.
    #[inline]
    pub fn get(&self, key: usize) -> Option<&ChildSlot> {
        let (i, g) = split(key);
        self.entries.get(i).filter(|e| e.generation == g).and_then(|e| e.child.as_ref())
    }

    /// The child of `key`, unless it was released.
    #[inline]
    pub fn get_mut(&mut self, key: usize) -> Option<&mut ChildSlot> {
        let (i, g) = split(key);
        self.entries.get_mut(i).filter(|e| e.generation == g).and_then(|e| e.child.as_mut())
    }

    /// Takes the child of `key` out; its slot is reused under a new generation.
    pub fn remove(&mut self, key: usize) -> Option<ChildSlot> {
        let (i, g) = split(key);
        let e = self.entries.get_mut(i).filter(|e| e.generation == g)?;
        let child = e.child.take()?;
        e.generation = e.generation.wrapping_add(1);
        self.free.push(i as u32);
        self.held -= 1;
        Some(child)
    }

    /// Children held.
    pub fn len(&self) -> usize {
        self.held
    }
}

/// How many finished children the engine keeps in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FinishedChildren {
    /// Every one (a batch run; the tests read them from the engine).
    #[default]
    All,
    /// The most recent N over the whole engine (0: none); older ones are
    /// only where the events went (the ledger).
    Recent(usize),
}

/// The finished children kept, in the order they finished across parents,
/// for the `Recent` policy (parent indices; each parent's `done` holds its
/// own in the same order, so the oldest overall is the front of its parent's).
#[derive(Debug, Default)]
pub(super) struct FinishedKept {
    pub policy: FinishedChildren,
    pub order: VecDeque<usize>,
}

impl FinishedKept {
    /// Keeps `child` in `done` (the parent `p`'s list) as the policy allows;
    /// returns the parent whose oldest kept child must now be dropped.
    pub fn admit(&mut self, p: usize, done: &mut VecDeque<ChildOrder>, child: ChildOrder) -> Option<usize> {
        match self.policy {
            FinishedChildren::All => {
                done.push_back(child);
                None
            }
            FinishedChildren::Recent(0) => None,
            FinishedChildren::Recent(n) => {
                done.push_back(child);
                self.order.push_back(p);
                if self.order.len() > n { self.order.pop_front() } else { None }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChildId, ChildStatus, Money, OrderType, ParentId, Side, Tif};

    fn child(seq: u32) -> ChildSlot {
        ChildSlot {
            order: ChildOrder {
                id: ChildId { parent: ParentId::local(1), seq },
                venue: "NYSE".into(),
                side: Side::Buy,
                qty: Qty::from_int(100),
                px: None,
                order_type: OrderType::Market,
                tif: Tif::Ioc,
                status: ChildStatus::PendingNew,
                filled: Qty::ZERO,
                notional: Money::ZERO,
                sent_at: Timestamp(0),
                acked_at: None,
            },
            parent: 0,
            inst: 0,
            slot: 0,
            urgency: Urgency::Aggressive,
            arrive_at: Timestamp(0),
            cancel_sent: false,
            pending_amend: None,
            jobs: 0,
        }
    }

    #[test]
    fn a_stale_key_never_reaches_the_child_that_reused_its_slot() {
        let mut s = Slab::default();
        let a = s.insert(child(1));
        assert_eq!(s.remove(a).map(|c| c.order.id.seq), Some(1));
        let b = s.insert(child(2));
        // Same slot, new generation.
        assert_eq!(a & 0xFFFF_FFFF, b & 0xFFFF_FFFF);
        assert_ne!(a, b);
        assert!(s.get(a).is_none() && s.get_mut(a).is_none() && s.remove(a).is_none());
        assert_eq!(s.get(b).map(|c| c.order.id.seq), Some(2));
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn slots_are_reused_so_the_slab_is_as_large_as_what_is_held_at_once() {
        let mut s = Slab::default();
        for seq in 0..10_000 {
            let k = s.insert(child(seq));
            s.remove(k);
        }
        assert_eq!((s.entries.len(), s.len()), (1, 0));
    }

    #[test]
    fn recent_keeps_the_newest_across_parents() {
        let mut r = FinishedKept { policy: FinishedChildren::Recent(2), ..FinishedKept::default() };
        let mut done = [VecDeque::new(), VecDeque::new()];
        assert_eq!(r.admit(0, &mut done[0], child(1).order), None);
        assert_eq!(r.admit(1, &mut done[1], child(2).order), None);
        // The third evicts the oldest overall: parent 0's first.
        assert_eq!(r.admit(1, &mut done[1], child(3).order), Some(0));
        let mut none = FinishedKept { policy: FinishedChildren::Recent(0), ..FinishedKept::default() };
        let mut d = VecDeque::new();
        assert_eq!(none.admit(0, &mut d, child(4).order), None);
        assert!(d.is_empty());
    }
}
