//! Request and response bodies of the HTTP API that are not engine views:
//! shared by the server (`crate::api`) and the `Remote` client.

use crate::model::ParentId;
use serde::{Deserialize, Serialize};

/// Readiness of the sidecar: engine, ledger and token store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Readiness {
    /// True when every check passes.
    pub ready: bool,
    /// Each check and its state (`ok` or what is wrong); absent for a
    /// caller without a token.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub checks: std::collections::BTreeMap<String, String>,
}

/// `/healthz` as anyone may read it: alive, and `ok` or `degraded`. A caller
/// with a token has the whole `Health`; this reads either answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Liveness {
    /// `ok`, or `degraded` when the ledger reports an error.
    pub status: String,
}

/// What a kill-all hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KillReport {
    /// Parents that were working and are now paused with no child working.
    #[schema(value_type = Vec<String>)]
    pub parents: Vec<ParentId>,
}

/// A new simulation speed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SpeedRequest {
    /// Simulated seconds per wall second (0 pauses; at most 100000).
    pub speed: f64,
}

/// New risk limits for the desk, a tenant, or one of a tenant's users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LimitsRequest {
    /// Tenant; absent for the desk's limits (every tenant's unless overridden).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// User, for a per-user override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The limits (absent ones do not apply).
    pub limits: crate::risk::Limits,
}

/// A new trading state for a tenant, or for every tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StateRequest {
    /// Tenant; absent for every tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// ACTIVE, REDUCING or HALTED.
    pub state: crate::risk::TradingState,
}

/// Execution on or off for a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExecutionRequest {
    /// Tenant.
    pub tenant: String,
    /// Whether its orders are accepted.
    pub enabled: bool,
}
