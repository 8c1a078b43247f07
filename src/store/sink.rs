//! The ledger as the embedded client's event sink: the client hands it every
//! batch before publishing, and publishes only once it is committed. The sink
//! sees events alone, so the audit records it writes are those events carry
//! an actor for (refusals, kill switch, risk changes, acknowledged warnings);
//! a driver that applies commands itself (`Recorder`) audits every command.

use super::ledger::{AuditEntry, Batch, EngineRef, Ledger, Outcome};
use crate::client::embedded::EventSink;
use crate::engine::{EngineEvent, EventKind};
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
    fn persist(&mut self, events: &[EngineEvent]) -> Result<(), String> {
        let mut batch = Batch::events(&self.engine, events.to_vec());
        batch.audit = events.iter().filter_map(audit_of).collect();
        batch.sim_now = events.last().map(|e| e.ts);
        self.ledger.submit(batch).wait().map(drop).map_err(|e| e.to_string())
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
        EventKind::RiskWarning { actor, parent, .. } => (actor, "acknowledge_warnings", Some(*parent)),
        _ => return None,
    };
    let mut a = AuditEntry::action(actor, action, parent, detail());
    a.sim_ts = Some(ev.ts);
    Some(a)
}
