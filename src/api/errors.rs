//! Errors over HTTP: always a JSON `{code, message, field}` with the status
//! that the stable code maps to. Responses produced outside our handlers
//! (method not allowed, time-outs, panics) are rewritten into the same shape,
//! so a client never has to parse anything else.

use crate::client::ClientError;
use axum::Json;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// An error answer: a status and the JSON body.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: ClientError,
}

/// The code and message of an error response, for the audit log.
#[derive(Debug, Clone)]
pub struct ErrorInfo(pub ClientError);

/// The status a stable error code maps to.
pub fn status_of(code: &str) -> StatusCode {
    match code {
        "unauthorized" => StatusCode::UNAUTHORIZED,
        "forbidden" | "execution_disabled" => StatusCode::FORBIDDEN,
        "not_found" | "unknown_order" => StatusCode::NOT_FOUND,
        "method_not_allowed" => StatusCode::METHOD_NOT_ALLOWED,
        "timeout" => StatusCode::REQUEST_TIMEOUT,
        // The order is fine; the desk's state, limits or configuration refuse it.
        "state_conflict" | "algo_disabled" | "live_not_enabled" | "live_unavailable" | "halted" | "reducing"
        | "risk_limit" | "risk_warning" => StatusCode::CONFLICT,
        "payload_too_large" => StatusCode::PAYLOAD_TOO_LARGE,
        "unsupported_media_type" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "invalid_body" | "unknown_field" => StatusCode::UNPROCESSABLE_ENTITY,
        "rate_limited" => StatusCode::TOO_MANY_REQUESTS,
        // Retry: the engine is being taken over, or was, and the next try reaches its owner.
        "unavailable" | "ledger_unavailable" | "engine_unavailable" | "engine_fenced" | "desk_busy" => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        "internal" => StatusCode::INTERNAL_SERVER_ERROR,
        // Validation: malformed_json, invalid_qty, invalid_price, invalid_window,
        // market_closed, invalid_param, unknown_symbol, invalid_id, invalid_query,
        // invalid_speed, invalid_header, and any code added later: bad input is
        // never a 5xx.
        _ => StatusCode::BAD_REQUEST,
    }
}

impl ApiError {
    /// An error with a code and message; the status follows from the code.
    pub fn new(code: &str, message: impl Into<String>) -> ApiError {
        ClientError::new(code, message).into()
    }
}

impl From<ClientError> for ApiError {
    fn from(body: ClientError) -> Self {
        ApiError { status: status_of(&body.code), body }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, Json(&self.body)).into_response();
        r.extensions_mut().insert(ErrorInfo(self.body));
        r
    }
}

/// The result type of every handler.
pub type ApiResult<T> = Result<T, ApiError>;

/// JSON 404 for routes that do not exist.
pub async fn not_found(req: Request) -> ApiError {
    ApiError::new("not_found", format!("no route {} {}", req.method(), req.uri().path()))
}

/// JSON 405 for a known path with another method.
pub async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::new("method_not_allowed", format!("{} is not allowed on {}", req.method(), req.uri().path()))
}

/// Rewrites any error response that is not JSON (from layers: time-outs,
/// panics, extractor rejections) into the JSON error shape.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.map(|b| String::from_utf8_lossy(&b).into_owned());
    let detail = text.ok().map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    let (code, default) = match status.as_u16() {
        400 => ("bad_request", "the request is malformed"),
        401 => ("unauthorized", "a valid bearer token is required"),
        403 => ("forbidden", "not allowed"),
        404 => ("not_found", "no such resource"),
        405 => ("method_not_allowed", "method not allowed on this route"),
        408 => ("timeout", "the request took too long"),
        413 => ("payload_too_large", "the request body is too large"),
        415 => ("unsupported_media_type", "the body must be application/json"),
        422 => ("invalid_body", "the request body does not match the schema"),
        429 => ("rate_limited", "too many requests"),
        503 => ("unavailable", "the service is unavailable"),
        s if s >= 500 => ("internal", "internal error"),
        _ => ("bad_request", "the request was refused"),
    };
    let body = ClientError::new(code, detail.unwrap_or_else(|| default.to_string()));
    let mut out = Response::from_parts(parts, Body::from(serde_json::to_vec(&body).unwrap_or_default()));
    out.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    out.headers_mut().remove(header::CONTENT_LENGTH);
    out.extensions_mut().insert(ErrorInfo(body));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RejectCode;
    use axum::routing::get;
    use std::time::Duration;
    use tower::ServiceExt;

    async fn call(app: axum::Router, path: &str) -> (StatusCode, ClientError) {
        let req = Request::builder().uri(path).body(Body::empty()).unwrap();
        let res = app.oneshot(req).await.unwrap();
        let status = res.status();
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 16).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    async fn boom() -> &'static str {
        panic!("a bug")
    }

    #[tokio::test]
    async fn time_outs_and_panics_become_json_errors() {
        let app = axum::Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            )
            .route("/boom", get(boom))
            .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                Duration::from_millis(20),
            ))
            .layer(tower_http::catch_panic::CatchPanicLayer::new())
            .layer(axum::middleware::from_fn(json_errors));
        let (s, e) = call(app.clone(), "/slow").await;
        assert_eq!((s, e.code.as_str()), (StatusCode::REQUEST_TIMEOUT, "timeout"));
        let (s, e) = call(app, "/boom").await;
        assert_eq!((s, e.code.as_str()), (StatusCode::INTERNAL_SERVER_ERROR, "internal"));
    }

    #[test]
    fn every_engine_refusal_is_a_4xx() {
        use RejectCode::*;
        let all = [
            UnknownSymbol,
            InvalidQty,
            InvalidPrice,
            InvalidWindow,
            MarketClosed,
            InvalidParam,
            UnknownOrder,
            StateConflict,
            Forbidden,
            ExecutionDisabled,
            Halted,
            Reducing,
            RiskLimit,
            RiskWarning,
        ];
        for c in all {
            assert!(status_of(c.as_str()).is_client_error(), "{c:?}");
        }
        assert_eq!(status_of("unknown_order"), StatusCode::NOT_FOUND);
        assert_eq!(status_of("state_conflict"), StatusCode::CONFLICT);
        assert_eq!(status_of("forbidden"), StatusCode::FORBIDDEN);
        assert_eq!(status_of("a_code_added_later"), StatusCode::BAD_REQUEST);
    }
}
