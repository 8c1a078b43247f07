//! The driver between an engine and the ledger. Every batch the engine emits
//! goes to the writer; nothing is released to the caller (printed, streamed,
//! acknowledged) before its commit. A command's result is returned only once
//! the events it caused and its audit record are durable: a submitted order
//! is in the ledger before anyone sees `accepted`, and a fill before the
//! parent's progress. Between commands the engine keeps running while earlier
//! batches commit (the writer groups whatever is waiting), but a batch is
//! handed over only while the writer's backlog is under its bound, so a
//! driver faster than the database waits for it instead of queueing without
//! limit.

use super::StoreError;
use super::ledger::{Ledger, Ticket};
use super::record::{AuditEntry, Batch, EngineRef, TcaRecord};
use crate::engine::{Actor, Command, Engine, EngineEvent, EventKind, Reject};
use crate::model::ParentId;
use std::collections::VecDeque;

/// A command's result and the events released with it.
pub type Applied = (Result<Option<ParentId>, Reject>, Vec<EngineEvent>);

/// Records one engine into a ledger.
#[derive(Debug)]
pub struct Recorder<'l> {
    ledger: &'l Ledger,
    engine: EngineRef,
    inflight: VecDeque<Ticket>,
}

impl<'l> Recorder<'l> {
    /// Records into `ledger` as `engine` (registered or taken over by this process).
    pub fn new(ledger: &'l Ledger, engine: EngineRef) -> Recorder<'l> {
        Recorder { ledger, engine, inflight: VecDeque::new() }
    }

    /// The engine being recorded.
    pub fn engine_ref(&self) -> &EngineRef {
        &self.engine
    }

    /// The ledger.
    pub fn ledger(&self) -> &'l Ledger {
        self.ledger
    }

    /// Applies a command, commits what it caused with its audit record, and
    /// returns its result with every event released up to then.
    pub fn apply(&mut self, engine: &mut Engine, actor: &Actor, cmd: Command) -> Result<Applied, StoreError> {
        let copy = cmd.clone();
        let result = engine.apply(actor, cmd);
        let audit = AuditEntry::command(actor, &copy, &result, engine.now());
        self.push_with(engine, vec![audit]);
        let released = self.release(true)?;
        Ok((result, released))
    }

    /// Hands what the engine emitted since the last call to the writer, without waiting.
    pub fn push(&mut self, engine: &mut Engine) {
        self.push_with(engine, Vec::new());
    }

    /// Like `push`, with audit records to commit alongside.
    pub fn push_with(&mut self, engine: &mut Engine, audit: Vec<AuditEntry>) {
        let events = engine.drain_events();
        self.push_drained(engine, events, audit);
    }

    /// Hands over events already drained from `engine` (by a pacing loop, say).
    pub fn push_drained(&mut self, engine: &Engine, events: Vec<EngineEvent>, audit: Vec<AuditEntry>) {
        if events.is_empty() && audit.is_empty() {
            return;
        }
        let tca = events
            .iter()
            .filter_map(|ev| match ev.kind {
                EventKind::Done { parent, .. } => tca_of(engine, parent),
                _ => None,
            })
            .collect();
        // A control a supervisor changes here is the desk's, as through
        // `serve` (`LedgerSink`): every engine of the desk reads it back.
        let controls = super::controls::records(&events);
        let batch = Batch {
            engine: self.engine.clone(),
            events,
            audit,
            tca,
            sim_now: Some(engine.now()),
            risk: Some(engine.risk().clone()),
            controls,
        };
        self.inflight.push_back(self.ledger.submit_when_room(batch));
    }

    /// Records (again) the TCA of an order, e.g. once its late markouts exist.
    pub fn record_tca(&mut self, engine: &Engine, id: ParentId) {
        if let Some(t) = tca_of(engine, id) {
            let mut batch = Batch::events(&self.engine, Vec::new());
            batch.tca.push(t);
            self.inflight.push_back(self.ledger.submit(batch));
        }
    }

    /// The events committed so far, in order. With `wait`, waits for every
    /// batch handed over; otherwise returns what is already durable.
    pub fn release(&mut self, wait: bool) -> Result<Vec<EngineEvent>, StoreError> {
        let mut out = Vec::new();
        while let Some(front) = self.inflight.front() {
            let r = if wait {
                match self.inflight.pop_front() {
                    Some(t) => t.wait(),
                    None => break,
                }
            } else {
                match front.poll() {
                    Some(r) => {
                        self.inflight.pop_front();
                        r
                    }
                    None => break,
                }
            };
            out.extend(r?);
        }
        Ok(out)
    }

    /// Batches waiting for their commit.
    pub fn in_flight(&self) -> usize {
        self.inflight.len()
    }

    /// Waits for every commit, then marks the engine cleanly stopped.
    pub fn finish(mut self) -> Result<Vec<EngineEvent>, StoreError> {
        let events = self.release(true)?;
        self.ledger.stop(&self.engine)?;
        Ok(events)
    }
}

/// The TCA record of a finished order.
pub(crate) fn tca_of(engine: &Engine, id: ParentId) -> Option<TcaRecord> {
    let order = engine.parent(id)?;
    let summary = engine.order_summary(id)?;
    Some(TcaRecord { order: order.clone(), summary })
}
