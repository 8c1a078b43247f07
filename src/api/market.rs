//! Market routes: consolidated book, venues, instruments and the simulated clock.

use super::ApiState;
use super::auth::Caller;
use super::errors::ApiResult;
use super::extract::{ApiJson, ApiQuery};
use crate::client::Client;
use crate::client::wire::SpeedRequest;
use crate::engine::view::{BookView, ClockView, InstrumentView, VenueView};
use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde::Deserialize;

/// Consolidated and per-venue book of an instrument, with our resting orders.
#[utoipa::path(get, path = "/v1/book/{symbol}", tag = "market",
    params(("symbol" = String, Path, description = "Instrument symbol (percent-encode `/`, e.g. EUR%2FUSD)", example = "AAPL")),
    responses((status = 200, description = "The book", body = BookView)))]
pub async fn book(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Path(symbol): Path<String>,
) -> ApiResult<Json<BookView>> {
    Ok(Json(s.client(&c).book(&symbol).await?))
}

/// Which instrument's venues.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VenueQuery {
    /// Instrument symbol.
    pub symbol: String,
}

/// Venues of an instrument: fees, latency, market share and learned fill rates.
#[utoipa::path(get, path = "/v1/venues", tag = "market", params(VenueQuery),
    responses((status = 200, description = "The venues", body = Vec<VenueView>)))]
pub async fn venues(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    ApiQuery(q): ApiQuery<VenueQuery>,
) -> ApiResult<Json<Vec<VenueView>>> {
    Ok(Json(s.client(&c).venues(&q.symbol).await?))
}

/// Every instrument and whether it trades today.
#[utoipa::path(get, path = "/v1/instruments", tag = "market",
    responses((status = 200, description = "The instruments", body = Vec<InstrumentView>)))]
pub async fn instruments(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
) -> ApiResult<Json<Vec<InstrumentView>>> {
    Ok(Json(s.client(&c).instruments().await?))
}

/// The simulated clock and every session's state.
#[utoipa::path(get, path = "/v1/clock", tag = "market",
    responses((status = 200, description = "The clock", body = ClockView)))]
pub async fn clock(State(s): State<ApiState>, Extension(c): Extension<Caller>) -> ApiResult<Json<ClockView>> {
    Ok(Json(s.client(&c).clock().await?))
}

/// Changes the simulation speed for every desk (SUPERVISOR, ADMIN); 0 pauses.
#[utoipa::path(put, path = "/v1/clock", tag = "market", request_body = SpeedRequest,
    responses((status = 200, description = "The clock", body = ClockView)))]
pub async fn set_speed(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    ApiJson(r): ApiJson<SpeedRequest>,
) -> ApiResult<Json<ClockView>> {
    Ok(Json(s.client(&c).set_speed(r.speed).await?))
}
