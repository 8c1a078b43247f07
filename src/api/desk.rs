//! Desk-wide routes: kill-all, pre-trade estimate and schedule preview,
//! aggregated TCA, algo configuration, the audit log and the trading mode.

use super::ApiState;
use super::auth::Caller;
use super::errors::ApiResult;
use super::extract::{ApiJson, ApiQuery};
use crate::algo::PlannedSlice;
use crate::client::wire::KillReport;
use crate::client::{AlgoConfig, Client, ClientError, ErrorCode, ModeRequest, ModeView, TcaGroup, TcaGroupBy};
use crate::engine::OrderRequest;
use crate::impact::Estimate;
use crate::model::{ParentId, Timestamp};
use crate::store::query::Period;
use crate::store::refusals::AuditFilter;
use crate::store::tca_groups::{GroupBy, GroupTca};
use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

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

/// How to group aggregated TCA, over which period.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TcaQuery {
    /// `algo`, `venue`, `desk` (tenant) or `day` (UTC date of completion).
    pub group_by: TcaGroupBy,
    /// Orders finished at or after this instant (RFC 3339, simulated time).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Orders finished before this instant (RFC 3339, simulated time).
    #[param(format = DateTime)]
    pub until: Option<String>,
}

/// An RFC 3339 query parameter.
fn instant(field: &str, v: Option<&str>) -> Result<Option<chrono::DateTime<chrono::Utc>>, ClientError> {
    let Some(v) = v else { return Ok(None) };
    let bad = || {
        ClientError::new(
            ErrorCode::InvalidParam,
            format!(
                "{field}: '{v}' is not an RFC 3339 instant between 1677-09-21 and 2262-04-11 UTC (the range of \
                 simulated time), such as 2026-11-25T14:30:00Z"
            ),
        )
        .with_field(field)
    };
    let t = chrono::DateTime::parse_from_rfc3339(v.trim()).map_err(|_| bad())?;
    // Only instants that fit simulated time (nanoseconds in an i64).
    t.timestamp_nanos_opt().ok_or_else(bad)?;
    Ok(Some(t.with_timezone(&chrono::Utc)))
}

/// An instant of a query parameter.
type Instant = chrono::DateTime<chrono::Utc>;

/// The `since` and `until` query parameters: each an RFC 3339 instant, and
/// `since` before `until` (an empty or reversed period was answered with
/// nothing at all, as if nothing had happened in it).
fn period(since: Option<&str>, until: Option<&str>) -> Result<(Option<Instant>, Option<Instant>), ClientError> {
    let (from, to) = (instant("since", since)?, instant("until", until)?);
    if let (Some(a), Some(b)) = (from, to)
        && a >= b
    {
        let rfc = |t: Instant| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        return Err(ClientError::new(
            ErrorCode::InvalidParam,
            format!("until: {} is not after since {}; the period is since <= t < until", rfc(b), rfc(a)),
        )
        .with_field("until"));
    }
    Ok((from, to))
}

/// An instant as simulated time (checked to fit by `instant`).
fn sim(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<Timestamp> {
    t.and_then(|t| t.timestamp_nanos_opt()).map(Timestamp)
}

fn group_tca(g: GroupTca) -> TcaGroup {
    TcaGroup {
        key: g.key,
        orders: usize::try_from(g.orders).unwrap_or(usize::MAX),
        fills: usize::try_from(g.fills).unwrap_or(usize::MAX),
        filled_qty: g.filled,
        notional: g.notional,
        fees: g.fees,
        arrival_slippage_bps: g.arrival_bps,
        vwap_slippage_bps: g.vwap_bps,
    }
}

/// Post-trade figures over every finished order (with a ledger: of every
/// session it holds), by algorithm, venue, desk or day (SUPERVISOR, ADMIN).
#[utoipa::path(get, path = "/v1/tca", tag = "desk", params(TcaQuery),
    responses((status = 200, description = "One row per group, by key", body = Vec<TcaGroup>)))]
pub async fn tca_groups(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    ApiQuery(q): ApiQuery<TcaQuery>,
) -> ApiResult<Json<Vec<TcaGroup>>> {
    let (since, until) = period(q.since.as_deref(), q.until.as_deref())?;
    let Some(ledger) = s.ledger() else {
        // Without a ledger: the engine's own finished orders, over the same period.
        let q = crate::client::TcaQuery { by: q.group_by, since, until };
        return Ok(Json(s.client(&c).tca_groups(q).await?));
    };
    let by = match q.group_by {
        TcaGroupBy::Algo => GroupBy::Algo,
        TcaGroupBy::Venue => GroupBy::Venue,
        TcaGroupBy::Desk => GroupBy::Desk,
        TcaGroupBy::Day => GroupBy::Day,
    };
    let period = Period { since: sim(since), until: sim(until), tenant: None, user: None };
    let groups = ledger.handle.tca_groups(by, &period).await.map_err(|e| ClientError::ledger_unavailable(&e))?;
    Ok(Json(groups.into_iter().map(group_tca).collect()))
}

/// Which layer of the algo configuration.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlgoConfigQuery {
    /// A tenant's own layer alone; without it: GET gives the desk-wide layer
    /// overlaid by the caller's tenant layer, PUT replaces the desk-wide layer.
    #[param(min_length = 1, max_length = 64, pattern = r"^[^\s\x00-\x1f\x7f]{1,64}$")]
    pub tenant: Option<String>,
}

/// The algorithm configuration in effect for the caller's tenant, or one tenant's layer.
#[utoipa::path(get, path = "/v1/config/algos", tag = "desk", params(AlgoConfigQuery),
    responses((status = 200, description = "The configuration", body = AlgoConfig)))]
pub async fn get_algos(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    ApiQuery(q): ApiQuery<AlgoConfigQuery>,
) -> ApiResult<Json<AlgoConfig>> {
    Ok(Json(s.client(&c).algo_config(q.tenant.as_deref()).await?))
}

/// Replaces the desk-wide algorithm configuration, or one tenant's layer;
/// default parameters are checked by the algorithms (SUPERVISOR, ADMIN). Kept in the ledger.
#[utoipa::path(put, path = "/v1/config/algos", tag = "desk", params(AlgoConfigQuery), request_body = AlgoConfig,
    responses((status = 200, description = "The layer now", body = AlgoConfig)))]
pub async fn put_algos(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    ApiQuery(q): ApiQuery<AlgoConfigQuery>,
    ApiJson(cfg): ApiJson<AlgoConfig>,
) -> ApiResult<Json<AlgoConfig>> {
    Ok(Json(s.client(&c).set_algo_config(q.tenant.as_deref(), cfg).await?))
}

/// Which audit records.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Written at or after this instant (RFC 3339, wall clock).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Written before this instant (RFC 3339, wall clock).
    #[param(format = DateTime)]
    pub until: Option<String>,
    /// `ok` or `refused`.
    pub outcome: Option<AuditOutcome>,
    /// Only this tenant's records.
    pub tenant: Option<String>,
    /// Most records returned, newest first (1 to 10000, default 100).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<u32>,
}

/// Outcome of an audited action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuditOutcome {
    /// Done.
    Ok,
    /// Refused.
    Refused,
}

/// One audit record: a command, a configuration or token change, or a refused request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditRecord {
    /// Engine that recorded it (0: the server itself: tokens, algo configuration, refused requests).
    pub engine: i64,
    /// Number within the engine.
    pub n: i64,
    /// When, RFC 3339 UTC (wall clock).
    pub at: String,
    /// User ("" when the request had no valid token).
    pub user: String,
    /// Tenant ("" when unknown).
    pub tenant: String,
    /// Role ("" when unknown).
    pub role: String,
    /// What was done or asked (a command, `set_algo_config`, `token_create`, `POST /v1/orders`...).
    pub action: String,
    /// Order concerned.
    pub parent: Option<ParentId>,
    /// `ok` or `refused`.
    pub outcome: AuditOutcome,
    /// Stable code of a refusal.
    pub code: Option<String>,
    /// The command, change or refusal in detail (JSON or a message).
    pub detail: String,
}

/// The audit log in the ledger, newest first: every engine's commands and
/// every refusal and change the server recorded (SUPERVISOR, ADMIN).
#[utoipa::path(get, path = "/v1/audit", tag = "desk", params(AuditQuery),
    responses((status = 200, description = "Audit records, newest first", body = Vec<AuditRecord>)))]
pub async fn audit(
    State(s): State<ApiState>,
    Extension(_c): Extension<Caller>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditRecord>>> {
    let (since, until) = period(q.since.as_deref(), q.until.as_deref())?;
    let filter = AuditFilter {
        since_ms: since.map(|t| t.timestamp_millis()),
        until_ms: until.map(|t| t.timestamp_millis()),
        outcome: q.outcome.map(|o| if o == AuditOutcome::Ok { "ok" } else { "refused" }.to_string()),
        tenant: q.tenant,
        user: None,
        limit: match q.limit {
            None => 100,
            Some(n @ 1..=10_000) => n as usize,
            Some(n) => {
                return Err(ClientError::new(
                    ErrorCode::InvalidParam,
                    format!("limit: {n} is not between 1 and 10000"),
                )
                .with_field("limit")
                .into());
            }
        },
    };
    let Some(ledger) = s.ledger() else {
        return Err(ClientError::new(
            ErrorCode::LedgerUnavailable,
            "the audit log is read from the ledger; this server has none",
        )
        .into());
    };
    let rows = ledger.handle.audit_records(filter).await.map_err(|e| ClientError::ledger_unavailable(&e))?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditRecord {
                engine: r.engine,
                n: r.n,
                at: chrono::DateTime::from_timestamp_millis(r.at)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                    .unwrap_or_default(),
                user: r.user,
                tenant: r.tenant,
                role: r.role,
                action: r.action,
                parent: r.parent,
                outcome: if r.outcome == "ok" { AuditOutcome::Ok } else { AuditOutcome::Refused },
                code: r.code,
                detail: r.detail,
            })
            .collect(),
    ))
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
