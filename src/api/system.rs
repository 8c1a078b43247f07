//! Routes without a token: liveness, readiness and the OpenAPI document; and
//! `whoami`, which needs one.

use super::ApiState;
use super::auth::Caller;
use super::errors::ApiResult;
use crate::client::Client;
use crate::client::wire::Readiness;
use crate::engine::view::{Health, Identity};
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};

/// Liveness, version, paper mode, engines and ledger (no token needed).
#[utoipa::path(get, path = "/healthz", tag = "system", security(()),
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn healthz(State(s): State<ApiState>) -> ApiResult<Json<Health>> {
    Ok(Json(s.engine().health().await?))
}

/// How long the token store is given to answer a readiness probe.
const PROBE_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Readiness: the engine runs, the ledger accepts writes, the token store
/// answers (no token needed). It answers at once: during a ledger outage it
/// says so without waiting on the database.
#[utoipa::path(get, path = "/readyz", tag = "system", security(()),
    responses((status = 200, description = "Ready", body = Readiness),
              (status = 503, description = "Not ready: see the failing check", body = Readiness)))]
pub async fn readyz(State(s): State<ApiState>) -> (StatusCode, Json<Readiness>) {
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
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(Readiness { ready, checks }))
}

/// Who the token belongs to, and the trading mode.
#[utoipa::path(get, path = "/v1/whoami", tag = "system",
    responses((status = 200, description = "The caller", body = Identity)))]
pub async fn whoami(State(s): State<ApiState>, Extension(c): Extension<Caller>) -> ApiResult<Json<Identity>> {
    Ok(Json(s.client(&c).whoami().await?))
}
