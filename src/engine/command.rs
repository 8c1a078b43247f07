//! Commands into the engine and the refusals that come back.

use crate::model::{AlgoKind, Name, ParentId, Price, Qty, Role, Side, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Who is asking: checked on every command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Actor {
    /// User name.
    #[schema(value_type = String)]
    pub user: Name,
    /// Tenant (desk or firm).
    #[schema(value_type = String)]
    pub tenant: Name,
    /// Role.
    pub role: Role,
}

impl Actor {
    /// The local desk user of a stand-alone engine.
    pub fn local(role: Role) -> Actor {
        Actor { user: "desk".into(), tenant: "local".into(), role }
    }
}

/// A new parent order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderRequest {
    /// Instrument symbol.
    pub symbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Quantity.
    pub qty: Qty,
    /// Algorithm.
    pub algo: AlgoKind,
    /// Algorithm parameters.
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// Window start (default: now).
    #[serde(default)]
    pub start: Option<Timestamp>,
    /// Window end (default: the session close).
    #[serde(default)]
    pub end: Option<Timestamp>,
    /// Optional limit price.
    #[serde(default)]
    pub limit_px: Option<Price>,
    /// Decision price for TCA (default: arrival mid).
    #[serde(default)]
    pub decision_px: Option<Price>,
    /// The user has seen the risk warnings this order raises and accepts them.
    #[serde(default)]
    pub acknowledge_warnings: bool,
}

/// A change to a working parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct Amendment {
    /// New total quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qty: Option<Qty>,
    /// New limit (`Some(None)` removes it).
    // Skipped when absent: `null` means "remove the limit", so writing None
    // as null would not read back as None.
    #[serde(default, with = "double_option", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Price>)]
    pub limit_px: Option<Option<Price>>,
    /// The user has seen the risk warnings the amended order raises and accepts them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub acknowledge_warnings: bool,
}

mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    pub fn serialize<S: Serializer, T: Serialize>(v: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            None => s.serialize_none(),
            Some(inner) => inner.serialize(s),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// Everything the engine can be asked to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Command {
    /// Accept a new parent order.
    Submit(OrderRequest),
    /// Change quantity and/or limit.
    Amend {
        /// Parent.
        id: ParentId,
        /// What to change.
        #[serde(flatten)]
        change: Amendment,
    },
    /// Cancel a parent (working children are cancelled, the residual reported).
    Cancel {
        /// Parent.
        id: ParentId,
    },
    /// Stop sending new children.
    Pause {
        /// Parent.
        id: ParentId,
    },
    /// Continue after a pause.
    Resume {
        /// Parent.
        id: ParentId,
    },
    /// Cancel every working child, pause every parent, halt every tenant.
    KillAll,
    /// Kill switch for one tenant: its children cancelled, parents paused, state HALTED.
    KillTenant {
        /// Tenant.
        tenant: String,
    },
    /// Set a tenant's trading state (all tenants when `tenant` is absent).
    SetTradingState {
        /// Tenant, or every tenant.
        #[serde(default)]
        tenant: Option<String>,
        /// New state.
        state: crate::risk::TradingState,
    },
    /// Enable or disable execution for a tenant.
    SetExecution {
        /// Tenant.
        tenant: String,
        /// Whether its orders are accepted.
        enabled: bool,
    },
    /// Replace the desk's risk limits (every tenant's unless overridden).
    SetDeskLimits {
        /// The limits.
        limits: crate::risk::Limits,
    },
    /// Replace a tenant's (or one of its users') risk limits.
    SetLimits {
        /// Tenant.
        tenant: String,
        /// User, for a per-user override.
        #[serde(default)]
        user: Option<String>,
        /// The limits.
        limits: crate::risk::Limits,
    },
}

/// Stable machine-readable reasons for a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    /// The symbol is not in the universe.
    UnknownSymbol,
    /// Quantity zero, negative or off the lot grid.
    InvalidQty,
    /// Limit price not positive or off the tick grid.
    InvalidPrice,
    /// Window malformed or outside the session.
    InvalidWindow,
    /// The market is closed on that date.
    MarketClosed,
    /// An algorithm parameter is invalid.
    InvalidParam,
    /// No such order (or not visible to the caller).
    UnknownOrder,
    /// The order is in a state that does not allow the change.
    StateConflict,
    /// The caller's role may not do this.
    Forbidden,
    /// Execution is disabled for the caller's tenant.
    ExecutionDisabled,
    /// The tenant is HALTED: nothing new is accepted.
    Halted,
    /// The tenant is REDUCING: only orders that reduce exposure.
    Reducing,
    /// A hard risk limit would be breached.
    RiskLimit,
    /// A risk warning needs an explicit acknowledgement.
    RiskWarning,
}

impl RejectCode {
    /// snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectCode::UnknownSymbol => "unknown_symbol",
            RejectCode::InvalidQty => "invalid_qty",
            RejectCode::InvalidPrice => "invalid_price",
            RejectCode::InvalidWindow => "invalid_window",
            RejectCode::MarketClosed => "market_closed",
            RejectCode::InvalidParam => "invalid_param",
            RejectCode::UnknownOrder => "unknown_order",
            RejectCode::StateConflict => "state_conflict",
            RejectCode::Forbidden => "forbidden",
            RejectCode::ExecutionDisabled => "execution_disabled",
            RejectCode::Halted => "halted",
            RejectCode::Reducing => "reducing",
            RejectCode::RiskLimit => "risk_limit",
            RejectCode::RiskWarning => "risk_warning",
        }
    }
}

/// A refused command: which field, why, and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reject {
    /// Stable code.
    pub code: RejectCode,
    /// The field at fault, when there is one.
    pub field: Option<String>,
    /// Human explanation.
    pub message: String,
}

impl Reject {
    /// A refusal about one field.
    pub fn field(code: RejectCode, field: &str, message: impl Into<String>) -> Reject {
        Reject { code, field: Some(field.to_string()), message: message.into() }
    }
    /// A refusal not tied to one field.
    pub fn new(code: RejectCode, message: impl Into<String>) -> Reject {
        Reject { code, field: None, message: message.into() }
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Reject {}
