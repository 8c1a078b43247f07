//! Errors over HTTP: always a JSON `{code, message, field}` with the status
//! that the stable code maps to. Responses produced outside our handlers
//! (method not allowed, time-outs, panics) are rewritten into the same shape,
//! so a client never has to parse anything else.

use crate::client::{ClientError, ErrorCode};
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
pub fn status_of(code: &ErrorCode) -> StatusCode {
    use ErrorCode as C;
    // No catch-all arm: a new code must say its status here.
    match code {
        C::Unauthorized | C::TokenExpired => StatusCode::UNAUTHORIZED,
        C::Forbidden | C::ExecutionDisabled => StatusCode::FORBIDDEN,
        C::NotFound | C::UnknownOrder => StatusCode::NOT_FOUND,
        C::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        C::Timeout => StatusCode::REQUEST_TIMEOUT,
        // The order is fine; the desk's state, limits or configuration refuse it.
        C::StateConflict
        | C::AlgoDisabled
        | C::LiveNotEnabled
        | C::LiveUnavailable
        | C::Halted
        | C::Reducing
        | C::RiskLimit
        | C::RiskWarning => StatusCode::CONFLICT,
        C::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        C::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        C::InvalidBody | C::UnknownField => StatusCode::UNPROCESSABLE_ENTITY,
        C::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        // Retry: the engine is being taken over, or was, and the next try reaches its owner.
        C::Unavailable | C::LedgerUnavailable | C::EngineUnavailable | C::EngineFenced | C::DeskBusy => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        C::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        // Bad input is never a 5xx; neither is a code relayed from another
        // version that this build does not know, nor one only a client
        // makes (an open breaker, an export, a response it cannot read).
        C::InvalidQty
        | C::InvalidPrice
        | C::InvalidWindow
        | C::InvalidParam
        | C::UnknownSymbol
        | C::InvalidId
        | C::AmbiguousId
        | C::InvalidQuery
        | C::InvalidHeader
        | C::InvalidSpeed
        | C::InvalidUrl
        | C::MalformedJson
        | C::BadRequest
        | C::MarketClosed
        | C::Unsupported
        | C::CircuitOpen
        | C::BadResponse
        | C::ExportFailed
        | C::Other(_) => StatusCode::BAD_REQUEST,
    }
}

impl ApiError {
    /// An error with a code and message; the status follows from the code.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
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
    ApiError::new(ErrorCode::NotFound, format!("no route {} {}", req.method(), req.uri().path()))
}

/// JSON 405 for a known path with another method.
pub async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, format!("{} is not allowed on {}", req.method(), req.uri().path()))
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
        400 => (ErrorCode::BadRequest, "the request is malformed"),
        401 => (ErrorCode::Unauthorized, "a valid bearer token is required"),
        403 => (ErrorCode::Forbidden, "not allowed"),
        404 => (ErrorCode::NotFound, "no such resource"),
        405 => (ErrorCode::MethodNotAllowed, "method not allowed on this route"),
        408 => (ErrorCode::Timeout, "the request took too long"),
        413 => (ErrorCode::PayloadTooLarge, "the request body is too large"),
        415 => (ErrorCode::UnsupportedMediaType, "the body must be application/json"),
        422 => (ErrorCode::InvalidBody, "the request body does not match the schema"),
        429 => (ErrorCode::RateLimited, "too many requests"),
        503 => (ErrorCode::Unavailable, "the service is unavailable"),
        s if s >= 500 => (ErrorCode::Internal, "internal error"),
        _ => (ErrorCode::BadRequest, "the request was refused"),
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
            assert!(status_of(&c.into()).is_client_error(), "{c:?}");
        }
        assert_eq!(status_of(&ErrorCode::UnknownOrder), StatusCode::NOT_FOUND);
        assert_eq!(status_of(&ErrorCode::StateConflict), StatusCode::CONFLICT);
        assert_eq!(status_of(&ErrorCode::Forbidden), StatusCode::FORBIDDEN);
        assert_eq!(status_of(&ErrorCode::parse("a_code_added_later")), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn only_internal_errors_and_retries_are_5xx() {
        for c in ErrorCode::ALL {
            let s = status_of(c);
            let retry = matches!(
                c,
                ErrorCode::Unavailable
                    | ErrorCode::LedgerUnavailable
                    | ErrorCode::EngineUnavailable
                    | ErrorCode::EngineFenced
                    | ErrorCode::DeskBusy
            );
            match s.as_u16() {
                500 => assert_eq!(c, &ErrorCode::Internal),
                503 => assert!(retry, "{c} is 503 but not a retry"),
                _ => assert!(s.is_client_error() && !retry, "{c} -> {s}"),
            }
        }
    }

    /// docs/api.md's table of codes is the users' reference: every code a
    /// server can send is in the row of its status, and no row names a code
    /// that does not exist.
    #[test]
    fn the_api_doc_lists_every_code_under_its_status() {
        let doc = include_str!("../../docs/api.md");
        let rows: Vec<(u16, &str)> = doc
            .lines()
            .filter_map(|l| {
                let mut cells = l.strip_prefix("| ")?.split(" | ");
                let status = cells.next()?.trim().parse::<u16>().ok()?;
                Some((status, cells.next()?))
            })
            .collect();
        let client_only = [
            ErrorCode::CircuitOpen,
            ErrorCode::BadResponse,
            ErrorCode::ExportFailed,
            ErrorCode::InvalidUrl,
            ErrorCode::Unsupported,
        ];
        for c in ErrorCode::ALL.iter().filter(|c| !client_only.contains(c)) {
            let want = status_of(c).as_u16();
            let named = format!("`{c}`");
            let at: Vec<u16> = rows.iter().filter(|(_, codes)| codes.contains(&named)).map(|(s, _)| *s).collect();
            assert_eq!(at, vec![want], "{c} should be listed once, under {want}");
        }
        for (status, codes) in &rows {
            let names = codes.split('`').skip(1).step_by(2);
            for name in names.filter(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')) {
                let c = ErrorCode::parse(name);
                assert!(!matches!(c, ErrorCode::Other(_)), "docs/api.md names `{name}` under {status}: no such code");
            }
        }
    }
}
