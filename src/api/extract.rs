//! Request extractors whose refusals are our JSON errors, naming the field at
//! fault: malformed JSON is 400, a body of the wrong shape (wrong type,
//! missing or unknown field) is 422, a body over the limit 413, a body that is
//! not JSON 415, a bad query parameter or id 400
//! (a whole number out of its range says the range: `query_param`).

use super::errors::ApiError;
use crate::client::{ClientError, ErrorCode};
use crate::model::ParentId;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header;
use axum::http::request::Parts;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

/// A JSON request body.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

/// Query-string parameters (unknown parameters are refused).
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

/// A parent order id from the path.
#[derive(Debug, Clone, Copy)]
pub struct OrderId(pub ParentId);

/// The field named by a serde error: its path, or the name in "missing field `x`".
fn field_of(path: &str, message: &str) -> Option<String> {
    // A map key that failed to parse shows as `?`: name the map.
    let path = path.trim_end_matches(".?");
    if !path.is_empty() && path != "." && path != "?" {
        return Some(path.to_string());
    }
    let rest = message.split_once("missing field `")?.1;
    rest.split_once('`').map(|(f, _)| f.to_string())
}

/// Decodes JSON, refusing unknown fields and naming the field at fault.
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(ErrorCode::MalformedJson, "a JSON body is required"));
    }
    // Syntax first: serde_json reports some shape errors (a number where an
    // enum goes) as syntax errors, so only this pass decides "malformed".
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        return Err(ApiError::new(ErrorCode::MalformedJson, format!("the body is not valid JSON: {e}")));
    }
    // What serde would pass over in silence: a number a float rounds, a repeated map key.
    super::json_check::check(bytes)?;
    let mut unknown = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut note = |p: serde_ignored::Path<'_>| unknown.push(p.to_string());
    let ignoring = serde_ignored::Deserializer::new(&mut de, &mut note);
    let value: T = match serde_path_to_error::deserialize(ignoring) {
        Ok(v) => v,
        Err(e) => {
            let path = e.path().to_string();
            let msg = e.into_inner().to_string();
            let mut err = ClientError::new(ErrorCode::InvalidBody, msg.clone());
            err.field = field_of(&path, &msg);
            return Err(err.into());
        }
    };
    if let Err(e) = de.end() {
        return Err(ApiError::new(ErrorCode::MalformedJson, format!("the body is not valid JSON: {e}")));
    }
    if let Some(f) = unknown.into_iter().next() {
        return Err(ClientError::new(ErrorCode::UnknownField, format!("unknown field '{f}'")).with_field(f).into());
    }
    Ok(value)
}

/// The largest request body accepted (set on every request by the router).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// An over-limit body is still read, and dropped, up to this size: a client
/// that is still sending then gets its 413 instead of a broken pipe.
const DRAIN_CAP: usize = 16 << 20;

/// The body, or `payload_too_large` past the limit.
async fn read_body(req: Request) -> Result<Bytes, ApiError> {
    let limit = req.extensions().get::<BodyLimit>().map_or(64 * 1024, |l| l.0);
    let too_large =
        || ApiError::new(ErrorCode::PayloadTooLarge, format!("the request body is over the limit of {limit} bytes"));
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > DRAIN_CAP) {
        return Err(too_large());
    }
    let mut stream = req.into_body().into_data_stream();
    let (mut buf, mut total) = (BytesMut::new(), 0usize);
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::new(ErrorCode::MalformedJson, format!("the body could not be read: {e}")))?;
        total += chunk.len();
        if total <= limit {
            buf.extend_from_slice(&chunk);
        } else if total > DRAIN_CAP {
            break;
        }
    }
    if total > limit {
        return Err(too_large());
    }
    Ok(buf.freeze())
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_ascii_lowercase);
        if let Some(ct) = ct {
            let mime = ct.split(';').next().unwrap_or("").trim().to_string();
            if !(mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))) {
                return Err(ApiError::new(
                    ErrorCode::UnsupportedMediaType,
                    format!("the body must be application/json, not {mime}"),
                ));
            }
        }
        decode_json(&read_body(req).await?).map(ApiJson)
    }
}

impl<S: Send + Sync, T: DeserializeOwned + utoipa::IntoParams> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        let mut unknown = Vec::new();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        let mut note = |p: serde_ignored::Path<'_>| unknown.push(p.to_string());
        let ignoring = serde_ignored::Deserializer::new(de, &mut note);
        let value: T = serde_path_to_error::deserialize(ignoring).map_err(|e| {
            let path = e.path().to_string();
            let msg = e.into_inner().to_string();
            let field = field_of(&path, &msg);
            // A whole number out of range says the range, not the parser's words.
            if let Some(err) = field.as_deref().and_then(|f| super::query_param::numeric_refusal::<T>(q, f)) {
                return ApiError::from(err);
            }
            let mut err = ClientError::new(ErrorCode::InvalidQuery, msg.clone());
            err.field = field;
            ApiError::from(err)
        })?;
        if let Some(f) = unknown.into_iter().next() {
            return Err(ClientError::new(ErrorCode::InvalidQuery, format!("unknown query parameter '{f}'"))
                .with_field(f)
                .into());
        }
        Ok(ApiQuery(value))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for OrderId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::new(ErrorCode::InvalidId, e.body_text()))?;
        raw.parse::<ParentId>()
            .map(OrderId)
            .map_err(|e| ClientError::new(ErrorCode::InvalidId, e.to_string()).with_field("id").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::OrderRequest;

    #[test]
    fn json_refusals_name_the_field() {
        let e = decode_json::<OrderRequest>(br#"{"symbol":"AAPL","side":"buy","qty":"x","algo":"twap"}"#).unwrap_err();
        assert_eq!((e.body.code.as_str(), e.body.field.as_deref()), ("invalid_body", Some("qty")));
        let e = decode_json::<OrderRequest>(br#"{"symbol":"AAPL","side":"buy","algo":"twap"}"#).unwrap_err();
        assert_eq!(e.body.field.as_deref(), Some("qty"));
        assert_eq!(e.status.as_u16(), 422);
        let e = decode_json::<OrderRequest>(br#"{"symbol":"AAPL","#).unwrap_err();
        assert_eq!((e.body.code.as_str(), e.status.as_u16()), ("malformed_json", 400));
        let e =
            decode_json::<OrderRequest>(br#"{"symbol":"A","side":"buy","qty":1,"algo":"twap","limit":5}"#).unwrap_err();
        assert_eq!((e.body.code.as_str(), e.body.field.as_deref()), ("unknown_field", Some("limit")));
        let e = decode_json::<OrderRequest>(br#"{"symbol":"A","side":"buy","qty":1,"algo":"twap"} x"#).unwrap_err();
        assert_eq!(e.body.code, "malformed_json");
        assert_eq!(decode_json::<OrderRequest>(b"  ").unwrap_err().body.code, "malformed_json");
        let ok: OrderRequest = decode_json(br#"{"symbol":"AAPL","side":"sell","qty":100,"algo":"twap"}"#).unwrap();
        assert_eq!(ok.qty.to_string(), "100");
    }
}
