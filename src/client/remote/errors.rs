//! HTTP failures as client errors: the server's JSON error when it sent one,
//! otherwise a code made from the status or the transport's own failure.

use crate::client::{ClientError, ErrorCode};
use reqwest::StatusCode;

/// A transport error in one line, without the URL reqwest repeats.
pub(crate) fn transport_error(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "transport error"
    };
    let mut detail = String::new();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        detail = s.to_string();
        src = s.source();
    }
    if detail.is_empty() { kind.to_string() } else { format!("{kind} ({detail})") }
}

/// The server's JSON error, or one made from the status when the body is not one.
pub(crate) fn error_from(status: StatusCode, body: &[u8]) -> ClientError {
    serde_json::from_slice::<ClientError>(body).unwrap_or_else(|_| {
        let code = match status.as_u16() {
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            409 => ErrorCode::StateConflict,
            413 => ErrorCode::PayloadTooLarge,
            429 => ErrorCode::RateLimited,
            503 => ErrorCode::Unavailable,
            s if s >= 500 => ErrorCode::Internal,
            _ => ErrorCode::BadRequest,
        };
        ClientError::new(code, format!("HTTP {status}: {}", String::from_utf8_lossy(body).trim()))
    })
}
