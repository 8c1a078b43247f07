//! Keeps the desk whole while instances come and go: an engine whose
//! instance died (its lease ran out, or its process is gone from this
//! machine) and that still has open orders is taken over by the first
//! instance to see it, rebuilt from the ledger with its working orders
//! interrupted, as `recover` does; an engine this instance lost to a forced
//! takeover elsewhere (fenced out) stops being run here, and its calls go
//! to its new owner.

use super::{Desk, Hosted};
use crate::client::{Embedded, Settings};
use crate::engine::Actor;
use crate::store::StoreError;
use crate::store::sink::LedgerSink;
use std::sync::Arc;
use std::time::Duration;

/// How an instance keeps its desk.
#[derive(Debug, Clone)]
pub struct Keeping {
    /// How often the desk is looked at for engines nobody runs.
    pub every: Duration,
    /// Pace of the engines taken over (simulated seconds per wall second).
    pub speed: f64,
    /// Who takes them over (audited).
    pub actor: Actor,
    /// Their settings (the desk's algo configuration, the live gate).
    pub settings: Settings,
}

/// Looks after the desk for as long as it lives.
pub async fn keep(desk: Desk, k: Keeping) {
    let Some(l) = desk.ledger().cloned() else { return };
    let mut fenced = l.ledger.fenced();
    let mut tick = tokio::time::interval(k.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => take_over_orphans(&desk, &k).await,
            changed = fenced.changed() => {
                if changed.is_err() {
                    return;
                }
                let lost: Vec<i64> = fenced.borrow_and_update().iter().copied().collect();
                for id in lost {
                    if let Some(h) = u32::try_from(id).ok().and_then(|n| desk.remove(n)) {
                        tracing::warn!("engine E{id} was taken over by another process: no longer run here");
                        drop(h);
                    }
                }
            }
        }
    }
}

/// Takes over every engine of the desk nobody runs that has open orders.
async fn take_over_orphans(desk: &Desk, k: &Keeping) {
    let Some(l) = desk.ledger().cloned() else { return };
    // Right after a database outage every lease looks run out: the other
    // instances were cut off as this one was, and renew theirs within a
    // heartbeat of being back. Give them a lease to do so.
    if l.handle.outage().settling(crate::store::LEASE_MS) {
        return;
    }
    let orphans = match l.handle.orphaned_engines().await {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!("looking for engines to take over: {e}");
            return;
        }
    };
    let mine = desk.numbers();
    for id in orphans {
        if u32::try_from(id).is_ok_and(|n| mine.contains(&n)) {
            continue;
        }
        let (ledger, actor) = (Arc::clone(&l.ledger), k.actor.clone());
        // Rebuilding replays the engine's market from the open: off the async workers.
        let served = tokio::task::spawn_blocking(move || ledger.resume(id, &actor)).await;
        match served {
            Ok(Ok(s)) => {
                let interrupted = s.resumed.as_ref().map_or(0, |r| r.interrupted.len());
                let sink = LedgerSink::new(Arc::clone(&l.ledger), s.eref.clone());
                let engine = Embedded::start_with_settings(
                    s.engine,
                    k.speed,
                    k.actor.clone(),
                    Some(Box::new(sink)),
                    k.settings.clone(),
                );
                eprintln!(
                    "blotter serve: took engine E{id} over ({interrupted} order(s) interrupted: resume or cancel them)"
                );
                desk.add(Hosted { engine, eref: Some(s.eref), resumed_at: s.resumed_at });
            }
            // Another instance was quicker, or its owner came back: fine.
            Ok(Err(StoreError::Busy(_))) => {}
            Ok(Err(e)) => tracing::warn!("taking engine E{id} over: {e}"),
            Err(e) => tracing::warn!("taking engine E{id} over: {e}"),
        }
    }
}
