//! Risk routes (SUPERVISOR, ADMIN): the risk view, limits, trading states,
//! execution per tenant and the per-tenant kill switch. The engine's command
//! layer applies and checks them, as it does for embedded use.

use super::ApiState;
use super::auth::Caller;
use super::errors::ApiResult;
use super::extract::ApiJson;
use crate::client::wire::{ExecutionRequest, KillReport, LimitsRequest, StateRequest};
use crate::client::{Client, ClientError, ErrorCode};
use crate::engine::RiskView;
use axum::extract::{Path, State};
use axum::{Extension, Json};

/// Every tenant's risk controls, positions and usage.
#[utoipa::path(get, path = "/v1/risk", tag = "risk",
    responses((status = 200, description = "The risk view", body = RiskView)))]
pub async fn view(State(s): State<ApiState>, Extension(c): Extension<Caller>) -> ApiResult<Json<RiskView>> {
    Ok(Json(s.client(&c).risk().await?))
}

/// Replaces the desk's risk limits (without `tenant`), a tenant's, or one user's.
#[utoipa::path(put, path = "/v1/risk/limits", tag = "risk", request_body = LimitsRequest,
    responses((status = 200, description = "The risk view after the change", body = RiskView)))]
pub async fn limits(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    ApiJson(r): ApiJson<LimitsRequest>,
) -> ApiResult<Json<RiskView>> {
    let client = s.client(&c);
    match (r.tenant.as_deref(), r.user.as_deref()) {
        (None, None) => Ok(Json(client.set_desk_limits(r.limits).await?)),
        (None, Some(_)) => Err(ClientError::in_field(
            ErrorCode::InvalidParam,
            "a user's override needs its tenant; without tenant and user the desk's limits are replaced",
            Some("tenant".into()),
        )
        .into()),
        (Some(t), user) => Ok(Json(client.set_limits(t, user, r.limits).await?)),
    }
}

/// Sets a tenant's trading state (every tenant's without `tenant`).
#[utoipa::path(put, path = "/v1/risk/state", tag = "risk", request_body = StateRequest,
    responses((status = 200, description = "The risk view after the change", body = RiskView)))]
pub async fn state(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    ApiJson(r): ApiJson<StateRequest>,
) -> ApiResult<Json<RiskView>> {
    Ok(Json(s.client(&c).set_trading_state(r.tenant.as_deref(), r.state).await?))
}

/// Enables or disables execution for a tenant.
#[utoipa::path(put, path = "/v1/risk/execution", tag = "risk", request_body = ExecutionRequest,
    responses((status = 200, description = "The risk view after the change", body = RiskView)))]
pub async fn execution(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    ApiJson(r): ApiJson<ExecutionRequest>,
) -> ApiResult<Json<RiskView>> {
    Ok(Json(s.client(&c).set_execution(&r.tenant, r.enabled).await?))
}

/// Kill switch for one tenant: its working children cancelled, its parents paused, its trading HALTED.
#[utoipa::path(post, path = "/v1/kill/{tenant}", tag = "risk",
    params(("tenant" = String, Path, description = "Tenant, e.g. ws")),
    responses((status = 200, description = "The tenant's parents that were working", body = KillReport)))]
pub async fn kill_tenant(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Path(tenant): Path<String>,
) -> ApiResult<Json<KillReport>> {
    Ok(Json(KillReport { parents: s.client(&c).kill_tenant(&tenant).await? }))
}
