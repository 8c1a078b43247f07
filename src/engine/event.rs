//! Events out of the engine: the source of truth for the ledger, the UI and
//! the event log. Serialised as one JSON object per line.

use super::command::{Actor, RejectCode};
use crate::model::{ChildId, ChildOrder, Fill, Name, ParentId, ParentOrder, ParentStatus, Price, Qty, Timestamp};
use crate::router::RouteDecision;
use serde::{Deserialize, Serialize};

/// One engine event with its sequence number and simulated time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EngineEvent {
    /// Monotonically increasing from 1.
    pub seq: u64,
    /// Simulated time (UTC nanoseconds).
    pub ts: Timestamp,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// A parent order was accepted.
    Accepted {
        /// The order as accepted.
        order: Box<ParentOrder>,
        /// The pre-trade estimate it was accepted with (absent from ledgers
        /// written before estimates were recorded).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        estimate: Option<Box<crate::tca::PreTrade>>,
    },
    /// A command was refused.
    Rejected {
        /// Who asked.
        actor: Actor,
        /// The order concerned, if any.
        parent: Option<ParentId>,
        /// Stable code.
        code: RejectCode,
        /// Field at fault.
        field: Option<String>,
        /// Explanation.
        message: String,
    },
    /// A parent's window began.
    Started {
        /// Parent.
        parent: ParentId,
        /// Mid at arrival.
        arrival_px: Option<Price>,
    },
    /// The router decided where to send a slice.
    Routed {
        /// Parent.
        parent: ParentId,
        /// Decision with per-venue scores and reason.
        decision: Box<RouteDecision>,
    },
    /// A child order was sent.
    ChildSent {
        /// The child as sent.
        child: Box<ChildOrder>,
    },
    /// The venue acknowledged a child.
    ChildAcked {
        /// Child.
        child: ChildId,
        /// Venue.
        #[schema(value_type = String)]
        venue: Name,
        /// One-way latency from send to acknowledgement.
        latency_ns: i64,
    },
    /// The venue refused a child.
    ChildRejected {
        /// Child.
        child: ChildId,
        /// Venue's reason.
        reason: String,
    },
    /// A child (partly) filled.
    Fill {
        /// The execution.
        fill: Fill,
    },
    /// A child was cancelled (by us, IOC expiry or the venue at the close).
    ChildCancelled {
        /// Child.
        child: ChildId,
        /// Unfilled quantity cancelled.
        qty: Qty,
        /// Why.
        reason: String,
    },
    /// An amend of a resting child was sent.
    AmendSent {
        /// Child.
        child: ChildId,
        /// New total quantity.
        qty: Qty,
        /// New price.
        px: Option<Price>,
    },
    /// The venue applied an amend.
    ChildAmended {
        /// Child.
        child: ChildId,
        /// New total quantity.
        qty: Qty,
        /// New price.
        px: Option<Price>,
    },
    /// An amend could not be carried out (the order filled or left the book first).
    AmendRejected {
        /// Child.
        child: ChildId,
        /// Why.
        reason: String,
    },
    /// A cancel could not be carried out (usually: the fill won the race).
    CancelRejected {
        /// Child.
        child: ChildId,
        /// Why.
        reason: String,
    },
    /// Parent totals changed.
    Progress {
        /// Parent.
        parent: ParentId,
        /// Filled so far.
        filled: Qty,
        /// Still to fill.
        leaves: Qty,
        /// Working at venues.
        working: Qty,
        /// Average fill price.
        avg_px: Option<Price>,
    },
    /// A parent was paused.
    Paused {
        /// Parent.
        parent: ParentId,
    },
    /// A parent was resumed.
    Resumed {
        /// Parent.
        parent: ParentId,
    },
    /// A parent's quantity or limit changed.
    Amended {
        /// Parent.
        parent: ParentId,
        /// New quantity.
        qty: Qty,
        /// New limit.
        limit_px: Option<Price>,
    },
    /// Cancel of a parent requested; children are being cancelled.
    CancelRequested {
        /// Parent.
        parent: ParentId,
    },
    /// A parent reached a final state.
    Done {
        /// Parent.
        parent: ParentId,
        /// Final status.
        status: ParentStatus,
        /// Filled quantity.
        filled: Qty,
        /// Unfilled quantity.
        residual: Qty,
        /// Average fill price.
        avg_px: Option<Price>,
        /// Why the engine ended it with a residual (window over, venue closed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The process running a working order stopped; the order was rebuilt from
    /// the ledger and waits for the user to resume or cancel it.
    Interrupted {
        /// Parent.
        parent: ParentId,
        /// Filled before the interruption.
        filled: Qty,
        /// Still to fill.
        leaves: Qty,
    },
    /// Kill switch: every working child cancelled, every parent paused, trading HALTED.
    KillAll {
        /// Who pressed it.
        actor: Actor,
        /// The tenant, or every tenant.
        #[serde(default)]
        #[schema(value_type = Option<String>)]
        tenant: Option<Name>,
        /// Parents affected.
        parents: Vec<ParentId>,
    },
    /// An order went through with acknowledged risk warnings.
    RiskWarning {
        /// Parent.
        parent: ParentId,
        /// Who acknowledged.
        actor: Actor,
        /// The warnings.
        findings: Vec<crate::risk::Finding>,
    },
    /// A tenant's (or every tenant's) trading state changed.
    TradingState {
        /// Who changed it.
        actor: Actor,
        /// Tenant, or every tenant.
        #[schema(value_type = Option<String>)]
        tenant: Option<Name>,
        /// New state.
        state: crate::risk::TradingState,
    },
    /// Execution was enabled or disabled for a tenant.
    ExecutionEnabled {
        /// Who changed it.
        actor: Actor,
        /// Tenant.
        #[schema(value_type = String)]
        tenant: Name,
        /// New setting.
        enabled: bool,
    },
    /// Risk limits changed.
    LimitsChanged {
        /// Who changed them.
        actor: Actor,
        /// Tenant.
        #[schema(value_type = String)]
        tenant: Name,
        /// User, for a per-user override.
        #[schema(value_type = Option<String>)]
        user: Option<Name>,
        /// The new limits.
        limits: crate::risk::Limits,
    },
    /// The desk's limits (every tenant's unless overridden) changed.
    DeskLimitsChanged {
        /// Who changed them.
        actor: Actor,
        /// The new limits.
        limits: crate::risk::Limits,
    },
    /// The engine started with the risk controls supervisors had set, read
    /// back from the ledger (they override the start-up configuration).
    ControlsRestored {
        /// Each control as it was last set, desk-wide ones first.
        controls: Vec<crate::risk::Control>,
    },
    /// A closing auction uncrossed.
    Auction {
        /// Instrument.
        #[schema(value_type = String)]
        symbol: Name,
        /// Clearing price.
        px: Price,
        /// Volume printed.
        volume: Qty,
        /// Signed imbalance (buy minus sell), in units.
        imbalance: f64,
    },
}

impl EventKind {
    /// The parent order an event concerns, if any.
    pub fn parent(&self) -> Option<ParentId> {
        match self {
            EventKind::Accepted { order, .. } => Some(order.id),
            EventKind::Rejected { parent, .. } => *parent,
            EventKind::Started { parent, .. }
            | EventKind::Routed { parent, .. }
            | EventKind::Progress { parent, .. }
            | EventKind::Paused { parent }
            | EventKind::Resumed { parent }
            | EventKind::Amended { parent, .. }
            | EventKind::CancelRequested { parent }
            | EventKind::Done { parent, .. }
            | EventKind::Interrupted { parent, .. } => Some(*parent),
            EventKind::ChildSent { child } => Some(child.id.parent),
            EventKind::ChildAcked { child, .. }
            | EventKind::ChildRejected { child, .. }
            | EventKind::ChildCancelled { child, .. }
            | EventKind::CancelRejected { child, .. }
            | EventKind::AmendSent { child, .. }
            | EventKind::ChildAmended { child, .. }
            | EventKind::AmendRejected { child, .. } => Some(child.parent),
            EventKind::Fill { fill } => Some(fill.child.parent),
            EventKind::RiskWarning { parent, .. } => Some(*parent),
            EventKind::KillAll { .. }
            | EventKind::Auction { .. }
            | EventKind::TradingState { .. }
            | EventKind::ExecutionEnabled { .. }
            | EventKind::LimitsChanged { .. }
            | EventKind::DeskLimitsChanged { .. }
            | EventKind::ControlsRestored { .. } => None,
        }
    }
}
