//! Routes without a token: liveness and readiness (their status to anyone,
//! the detail to a caller with a token); and `whoami`, which needs one.

use super::ApiState;
use super::auth::Caller;
use super::errors::ApiResult;
use crate::client::Client;
use crate::client::wire::Readiness;
use crate::engine::view::{Health, Identity};
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Serialize;

/// Whether `/healthz` and `/readyz` answer in detail: to a caller with a
/// valid token (or the local desk without tokens), as the embedded client
/// answers every user. A caller without one, a load balancer's probe or
/// anyone, has the status alone: the open-order count, the last sequence and
/// the ledger's state are the desk's business.
fn in_detail(caller: Option<&Extension<Caller>>) -> bool {
    caller.is_some()
}

/// The answer of `/healthz`: in full to a caller with a token, the status
/// alone to anyone else.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum HealthAnswer {
    /// For a caller with a token (or the local desk without tokens).
    Full(Box<Health>),
    /// For a caller without a token.
    Status(StatusOnly),
}

/// `/healthz` to a caller without a token: the status and nothing else. The
/// schema says so (`additionalProperties: false`), so a full answer, which
/// also has a `status`, is not read as this one: the two answers of
/// `HealthAnswer` do not overlap, as `oneOf` requires. Clients read either
/// answer as `client::wire::Liveness`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Liveness)]
pub struct StatusOnly {
    /// `ok`, or `degraded` when the ledger reports an error.
    pub status: String,
}

/// Liveness: the status to anyone; version, paper mode, engines, orders and
/// ledger to a caller with a token.
#[utoipa::path(get, path = "/healthz", tag = "system", security((), ("bearer" = [])),
    responses((status = 200, description = "Alive", body = HealthAnswer)))]
pub async fn healthz(State(s): State<ApiState>, caller: Option<Extension<Caller>>) -> ApiResult<Json<HealthAnswer>> {
    if in_detail(caller.as_ref()) {
        return Ok(Json(HealthAnswer::Full(Box::new(s.engine().health().await?))));
    }
    let status = if s.engine().ledger().error.is_some() { "degraded" } else { "ok" };
    Ok(Json(HealthAnswer::Status(StatusOnly { status: status.into() })))
}

/// How long the token store is given to answer a readiness probe.
const PROBE_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// How long one readiness check answers every probe: anyone may ask, and
/// without it each request was a query to the database.
const READINESS_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// Readiness: the engine runs, the ledger accepts writes, the token store
/// answers. It answers at once: during a ledger outage it says so without
/// waiting on the database. One check serves every request for a second
/// (concurrent requests wait for the one under way). The checks are named
/// to a caller with a token; anyone else has `ready` and the status.
#[utoipa::path(get, path = "/readyz", tag = "system", security((), ("bearer" = [])),
    responses((status = 200, description = "Ready", body = Readiness),
              (status = 503, description = "Not ready: see the failing check", body = Readiness)))]
pub async fn readyz(State(s): State<ApiState>, caller: Option<Extension<Caller>>) -> (StatusCode, Json<Readiness>) {
    let mut last = s.readiness().lock().await;
    let r = match last.as_ref() {
        Some((at, r)) if at.elapsed() < READINESS_TTL => r.clone(),
        _ => {
            let r = check_readiness(&s).await;
            *last = Some((std::time::Instant::now(), r.clone()));
            r
        }
    };
    drop(last);
    let status = if r.ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    if in_detail(caller.as_ref()) {
        (status, Json(r))
    } else {
        (status, Json(Readiness { ready: r.ready, checks: Default::default() }))
    }
}

async fn check_readiness(s: &ApiState) -> Readiness {
    let mut checks = std::collections::BTreeMap::new();
    let ledger = s.engine().ledger();
    let home = s.desk().home_number();
    let engine = if s.desk().is_fenced(home) {
        format!("engine E{home} was taken over by another process: this instance takes no orders until it has it back")
    } else {
        match ledger.status.as_str() {
            "failed" => "stopped",
            "unreachable" => "waiting for the ledger",
            _ => "ok",
        }
        .to_string()
    };
    checks.insert("engine".to_string(), engine);
    let down = ledger.status == "unreachable";
    let ledger_check = match (ledger.status.as_str(), ledger.error) {
        ("unreachable", Some(e)) => format!("unreachable: {e}"),
        (_, Some(e)) => format!("failed: {e}"),
        (_, None) => "ok".to_string(),
    };
    checks.insert("ledger".to_string(), ledger_check);
    let tokens = if down {
        "unavailable: the ledger is unreachable".to_string()
    } else {
        match tokio::time::timeout(PROBE_WAIT, s.tokens().lookup("readiness-probe")).await {
            Ok(Ok(_)) => "ok".to_string(),
            Ok(Err(e)) => format!("failed: {e}"),
            Err(_) => format!("failed: no answer within {} s", PROBE_WAIT.as_secs()),
        }
    };
    checks.insert("tokens".to_string(), tokens);
    let ready = checks.values().all(|v| v == "ok");
    Readiness { ready, checks }
}

/// Who the token belongs to, and the trading mode.
#[utoipa::path(get, path = "/v1/whoami", tag = "system",
    responses((status = 200, description = "The caller", body = Identity)))]
pub async fn whoami(State(s): State<ApiState>, Extension(c): Extension<Caller>) -> ApiResult<Json<Identity>> {
    Ok(Json(s.client(&c).whoami().await?))
}
