//! The ledger as the embedded client's event sink: the client hands it every
//! batch before publishing, and publishes only once it is committed. A batch
//! caused by a command carries that command's audit record (who, what, the
//! outcome, the refusal code); market-driven batches are audited only for the
//! events that name an actor.

use super::ledger::Ledger;
use super::record::{AuditEntry, Batch, EngineRef, Outcome};
use crate::client::embedded::{Audit, Backpressure, Commit, EventSink};
use crate::engine::{EngineEvent, EventKind};
use crate::model::Timestamp;
use crate::risk::RiskBook;
use std::sync::Arc;

/// Records one engine's events into a ledger for `Embedded::start_with_sink`.
#[derive(Debug)]
pub struct LedgerSink {
    ledger: Arc<Ledger>,
    engine: EngineRef,
}

impl LedgerSink {
    /// Records `engine` (registered or taken over by this process) into `ledger`.
    pub fn new(ledger: Arc<Ledger>, engine: EngineRef) -> LedgerSink {
        LedgerSink { ledger, engine }
    }
}

impl EventSink for LedgerSink {
    fn submit(&mut self, events: &[EngineEvent], audit: Option<Audit<'_>>, risk: Option<&RiskBook>) -> Commit {
        let mut batch = Batch::events(&self.engine, events.to_vec());
        batch.sim_now = events.last().map(|e| e.ts);
        // Positions and daily usage come back with the engine after a restart;
        // the controls go to the desk's tables, which every engine of the desk reads.
        batch.risk = risk.cloned();
        batch.controls = super::controls::records(events);
        batch.audit = match audit {
            // The command's own record covers what it did; an acknowledged
            // risk warning is audited in its own right.
            Some((actor, cmd, result)) => {
                let sim_ts = events.last().map_or(Timestamp::default(), |e| e.ts);
                let mut a = vec![AuditEntry::command(actor, cmd, result, sim_ts)];
                a.extend(
                    events.iter().filter(|e| matches!(e.kind, EventKind::RiskWarning { .. })).filter_map(audit_of),
                );
                a
            }
            None => events.iter().filter_map(audit_of).collect(),
        };
        // Handed to the writer now (which fixes the order); waited for later.
        let ticket = self.ledger.submit(batch);
        // The engine tells its callers (and `/healthz`) what failed in our
        // words; the database's own text is the operator's, in the log.
        Box::new(move || {
            ticket.wait().map(drop).map_err(|e| {
                tracing::warn!("ledger: a commit failed: {e}");
                e.for_users()
            })
        })
    }

    fn outage(&self) -> Option<String> {
        self.ledger.outage().down().map(|d| d.describe())
    }

    fn backpressure(&self) -> Option<Arc<dyn Backpressure>> {
        Some(Arc::clone(self.ledger.backlog()) as Arc<dyn Backpressure>)
    }
}

/// The writer's bounded backlog holds the served engine's clock.
impl Backpressure for super::backlog::Backlog {
    fn has_room(&self) -> bool {
        super::backlog::Backlog::has_room(self)
    }
    fn wait_for_room(&self, timeout: std::time::Duration) -> bool {
        super::backlog::Backlog::wait_for_room(self, timeout)
    }
}

/// The audit record an event implies, when it names who acted.
fn audit_of(ev: &EngineEvent) -> Option<AuditEntry> {
    let detail = || serde_json::to_string(&ev.kind).unwrap_or_default();
    let (actor, action, parent) = match &ev.kind {
        EventKind::Rejected { actor, parent, code, field, message } => {
            let mut a = AuditEntry::action(actor, "command", *parent, "");
            a.outcome = Outcome::Refused;
            a.code = Some(code.as_str().to_string());
            a.detail = match field {
                Some(f) => format!("{f}: {message}"),
                None => message.clone(),
            };
            a.sim_ts = Some(ev.ts);
            return Some(a);
        }
        EventKind::KillAll { actor, .. } => (actor, "kill_all", None),
        EventKind::TradingState { actor, .. } => (actor, "set_trading_state", None),
        EventKind::ExecutionEnabled { actor, .. } => (actor, "set_execution", None),
        EventKind::LimitsChanged { actor, .. } => (actor, "set_limits", None),
        EventKind::DeskLimitsChanged { actor, .. } => (actor, "set_desk_limits", None),
        EventKind::RiskWarning { actor, parent, .. } => (actor, "acknowledge_warnings", Some(*parent)),
        _ => return None,
    };
    let mut a = AuditEntry::action(actor, action, parent, detail());
    a.sim_ts = Some(ev.ts);
    Some(a)
}
