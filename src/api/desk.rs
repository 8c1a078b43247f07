//! Desk-wide routes: kill-all, pre-trade estimate and schedule preview,
//! aggregated TCA, algo configuration and the trading mode.

use super::ApiState;
use super::auth::Caller;
use super::errors::ApiResult;
use super::extract::{ApiJson, ApiQuery};
use crate::algo::PlannedSlice;
use crate::client::wire::KillReport;
use crate::client::{AlgoConfig, Client, ModeRequest, ModeView, TcaGroup, TcaGroupBy};
use crate::engine::OrderRequest;
use crate::impact::Estimate;
use axum::extract::State;
use axum::{Extension, Json};
use serde::Deserialize;

/// Cancels every working child on every desk and pauses every parent (SUPERVISOR, ADMIN).
#[utoipa::path(post, path = "/v1/kill", tag = "desk",
    responses((status = 200, description = "The parents that were working", body = KillReport)))]
pub async fn kill(State(s): State<ApiState>, Extension(c): Extension<Caller>) -> ApiResult<Json<KillReport>> {
    Ok(Json(KillReport { parents: s.client(&c).kill_all().await? }))
}

/// Pre-trade cost estimate of an order with every impact model, without submitting it.
#[utoipa::path(post, path = "/v1/estimate", tag = "desk", request_body = OrderRequest,
    responses((status = 200, description = "The estimate", body = Estimate)))]
pub async fn estimate(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    ApiJson(req): ApiJson<OrderRequest>,
) -> ApiResult<Json<Estimate>> {
    Ok(Json(s.client(&c).estimate(req).await?))
}

/// The algorithm's planned schedule of an order, without submitting it.
#[utoipa::path(post, path = "/v1/schedule", tag = "desk", request_body = OrderRequest,
    responses((status = 200, description = "Planned slices", body = Vec<PlannedSlice>)))]
pub async fn schedule(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    ApiJson(req): ApiJson<OrderRequest>,
) -> ApiResult<Json<Vec<PlannedSlice>>> {
    Ok(Json(s.client(&c).schedule(req).await?))
}

/// How to group aggregated TCA.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TcaQuery {
    /// `algo` or `venue`.
    pub group_by: TcaGroupBy,
}

/// Post-trade figures over every finished order, by algorithm or venue (SUPERVISOR, ADMIN).
#[utoipa::path(get, path = "/v1/tca", tag = "desk", params(TcaQuery),
    responses((status = 200, description = "One row per algorithm or venue", body = Vec<TcaGroup>)))]
pub async fn tca_groups(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    ApiQuery(q): ApiQuery<TcaQuery>,
) -> ApiResult<Json<Vec<TcaGroup>>> {
    Ok(Json(s.client(&c).tca_groups(q.group_by).await?))
}

/// The desk's algorithm configuration.
#[utoipa::path(get, path = "/v1/config/algos", tag = "desk",
    responses((status = 200, description = "The configuration", body = AlgoConfig)))]
pub async fn get_algos(State(s): State<ApiState>, Extension(c): Extension<Caller>) -> ApiResult<Json<AlgoConfig>> {
    Ok(Json(s.client(&c).algo_config().await?))
}

/// Replaces the desk's algorithm configuration; default parameters are checked by the algorithms (SUPERVISOR, ADMIN).
#[utoipa::path(put, path = "/v1/config/algos", tag = "desk", request_body = AlgoConfig,
    responses((status = 200, description = "The configuration now", body = AlgoConfig)))]
pub async fn put_algos(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    ApiJson(cfg): ApiJson<AlgoConfig>,
) -> ApiResult<Json<AlgoConfig>> {
    Ok(Json(s.client(&c).set_algo_config(cfg).await?))
}

/// The trading mode: always paper in this build.
#[utoipa::path(get, path = "/v1/mode", tag = "desk",
    responses((status = 200, description = "The mode", body = ModeView)))]
pub async fn get_mode(State(s): State<ApiState>, Extension(c): Extension<Caller>) -> ApiResult<Json<ModeView>> {
    Ok(Json(s.client(&c).mode().await?))
}

/// Asks for a trading mode (ADMIN). Paper is granted; live is always refused
/// with the reason: the start-up flags, or that this build has no live venue adapters.
#[utoipa::path(put, path = "/v1/mode", tag = "desk", request_body = ModeRequest,
    responses((status = 200, description = "The mode now (paper)", body = ModeView)))]
pub async fn put_mode(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    ApiJson(req): ApiJson<ModeRequest>,
) -> ApiResult<Json<ModeView>> {
    Ok(Json(s.client(&c).set_mode(req).await?))
}
