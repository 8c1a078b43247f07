//! Helpers for the algorithm behaviour tests.
#![allow(dead_code)]

use blotter::engine::{Command, Engine, EngineEvent, EventKind, OrderRequest};
use blotter::model::{ParentId, Price, Qty, Timestamp};

/// Submits `req` now and runs until every order is final.
pub fn run_one(e: &mut Engine, req: OrderRequest) -> ParentId {
    let id = e.apply(&super::common::advisor(), Command::Submit(req)).unwrap().unwrap();
    e.run_until_idle();
    id
}

/// A price from text.
pub fn px(s: &str) -> Price {
    s.parse().unwrap()
}

/// Quantity a parent had working at venues after each event (sent minus
/// filled, cancelled and rejected), with the event's time.
pub fn working_over_time(events: &[EngineEvent], id: ParentId) -> Vec<(Timestamp, Qty)> {
    let mut sent: std::collections::BTreeMap<u32, Qty> = Default::default();
    let mut working = Qty::ZERO;
    let mut out = Vec::new();
    for ev in events {
        match &ev.kind {
            EventKind::ChildSent { child } if child.id.parent == id => {
                sent.insert(child.id.seq, child.qty);
                working += child.qty;
            }
            EventKind::Fill { fill } if fill.child.parent == id => working -= fill.qty,
            EventKind::ChildCancelled { child, qty, .. } if child.parent == id => working -= *qty,
            EventKind::ChildRejected { child, .. } if child.parent == id => working -= sent[&child.seq],
            _ => continue,
        }
        out.push((ev.ts, working));
    }
    out
}

/// Times of the parent's child orders, as sent.
pub fn sent_times(events: &[EngineEvent], id: ParentId) -> Vec<Timestamp> {
    events
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::ChildSent { child } if child.id.parent == id => Some(ev.ts),
            _ => None,
        })
        .collect()
}
