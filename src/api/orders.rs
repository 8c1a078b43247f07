//! Order routes: submit, list, detail, amend, cancel, pause, resume and
//! per-order TCA. Each one is the `Client` call of the same name on the
//! shared engine, acting as the caller; the engine enforces ownership.

use super::ApiState;
use super::auth::Caller;
use super::errors::ApiResult;
use super::extract::{ApiJson, ApiQuery, OrderId};
use crate::client::Client;
use crate::engine::view::{OrderDetail, OrderQuery, OrderRow, Page};
use crate::engine::{Amendment, OrderRequest};
use crate::model::ParentId;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};

/// Submits a parent order.
#[utoipa::path(post, path = "/v1/orders", tag = "orders", request_body = OrderRequest,
    responses((status = 201, description = "Accepted", body = OrderRow)))]
pub async fn submit(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    ApiJson(req): ApiJson<OrderRequest>,
) -> ApiResult<(StatusCode, Json<OrderRow>)> {
    Ok((StatusCode::CREATED, Json(s.client(&c).submit(req).await?)))
}

/// Lists the caller's orders (every desk's for supervisors), newest first, with filters and paging.
#[utoipa::path(get, path = "/v1/orders", tag = "orders", params(OrderQuery),
    responses((status = 200, description = "A page of blotter rows", body = Page<OrderRow>)))]
pub async fn list(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> ApiResult<Json<Page<OrderRow>>> {
    Ok(Json(s.client(&c).orders(q).await?))
}

/// One order with its children, fills, routing decisions and plan.
#[utoipa::path(get, path = "/v1/orders/{id}", tag = "orders",
    params(("id" = ParentId, Path, description = "Parent order id: E1-P17, or P17 where unambiguous", example = "E1-P1")),
    responses((status = 200, description = "The order", body = OrderDetail)))]
pub async fn detail(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    OrderId(id): OrderId,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(s.client(&c).order(id).await?))
}

/// Changes a working order's quantity and/or limit (`"limit_px": null` removes the limit).
#[utoipa::path(patch, path = "/v1/orders/{id}", tag = "orders", request_body = Amendment,
    params(("id" = ParentId, Path, description = "Parent order id: E1-P17, or P17 where unambiguous", example = "E1-P1")),
    responses((status = 200, description = "The amended order", body = OrderRow)))]
pub async fn amend(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    OrderId(id): OrderId,
    ApiJson(change): ApiJson<Amendment>,
) -> ApiResult<Json<OrderRow>> {
    Ok(Json(s.client(&c).amend(id, change).await?))
}

/// Cancels an order: working children are cancelled, the residual reported.
#[utoipa::path(post, path = "/v1/orders/{id}/cancel", tag = "orders",
    params(("id" = ParentId, Path, description = "Parent order id: E1-P17, or P17 where unambiguous", example = "E1-P1")),
    responses((status = 200, description = "The order, cancelling", body = OrderRow)))]
pub async fn cancel(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    OrderId(id): OrderId,
) -> ApiResult<Json<OrderRow>> {
    Ok(Json(s.client(&c).cancel(id).await?))
}

/// Pauses an order (no new children; working ones cancelled unless `on_pause=keep`).
#[utoipa::path(post, path = "/v1/orders/{id}/pause", tag = "orders",
    params(("id" = ParentId, Path, description = "Parent order id: E1-P17, or P17 where unambiguous", example = "E1-P1")),
    responses((status = 200, description = "The paused order", body = OrderRow)))]
pub async fn pause(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    OrderId(id): OrderId,
) -> ApiResult<Json<OrderRow>> {
    Ok(Json(s.client(&c).pause(id).await?))
}

/// Resumes a paused order.
#[utoipa::path(post, path = "/v1/orders/{id}/resume", tag = "orders",
    params(("id" = ParentId, Path, description = "Parent order id: E1-P17, or P17 where unambiguous", example = "E1-P1")),
    responses((status = 200, description = "The resumed order", body = OrderRow)))]
pub async fn resume(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    OrderId(id): OrderId,
) -> ApiResult<Json<OrderRow>> {
    Ok(Json(s.client(&c).resume(id).await?))
}

/// Post-trade analysis of one order (live while it works).
#[utoipa::path(get, path = "/v1/orders/{id}/tca", tag = "orders",
    params(("id" = ParentId, Path, description = "Parent order id: E1-P17, or P17 where unambiguous", example = "E1-P1")),
    responses((status = 200, description = "TCA report", body = crate::tca::TcaReport)))]
pub async fn tca(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    OrderId(id): OrderId,
) -> ApiResult<Json<crate::tca::TcaReport>> {
    Ok(Json(s.client(&c).tca(id).await?))
}
