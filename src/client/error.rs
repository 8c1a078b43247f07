//! What a refused or failed client call says: a stable code from one list,
//! a message, and the field at fault. The code is an enum so that adding one
//! is a compile error wherever codes are matched (the HTTP status in
//! `api::errors::status_of` has no catch-all arm); on the wire it is the
//! snake_case string, and a code this build does not know (from a newer
//! server) is kept as `Other` rather than refused.

use crate::engine::{Reject, RejectCode};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $text:literal,)*) => {
        /// A stable, machine-readable error code.
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
            /// A code this build does not know (sent by another version).
            Other(String),
        }

        impl ErrorCode {
            /// Every code this build knows, for documentation and tests.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(ErrorCode::$variant => $text,)*
                    ErrorCode::Other(s) => s,
                }
            }

            /// The code named `s` (`Other` when this build does not know it).
            pub fn parse(s: &str) -> ErrorCode {
                match s {
                    $($text => ErrorCode::$variant,)*
                    other => ErrorCode::Other(other.to_string()),
                }
            }
        }
    };
}

error_codes! {
    // Validation of what was sent.
    /// Quantity zero, negative, off the lot grid or over the engine's bound.
    InvalidQty = "invalid_qty",
    /// Limit price not positive or off the tick grid.
    InvalidPrice = "invalid_price",
    /// Window malformed or outside the session.
    InvalidWindow = "invalid_window",
    /// An algorithm or request parameter is invalid.
    InvalidParam = "invalid_param",
    /// The symbol is not in the universe.
    UnknownSymbol = "unknown_symbol",
    /// An order id that is not one.
    InvalidId = "invalid_id",
    /// A short order id that names orders of several engines.
    AmbiguousId = "ambiguous_id",
    /// A query string that is not valid.
    InvalidQuery = "invalid_query",
    /// A header that is not valid.
    InvalidHeader = "invalid_header",
    /// A simulation speed out of range.
    InvalidSpeed = "invalid_speed",
    /// A sidecar address that is not a URL.
    InvalidUrl = "invalid_url",
    /// The body is not JSON.
    MalformedJson = "malformed_json",
    /// The body is JSON but not of the expected shape.
    InvalidBody = "invalid_body",
    /// The body has a field the endpoint does not know.
    UnknownField = "unknown_field",
    /// The request is malformed in a way no other code names.
    BadRequest = "bad_request",
    /// The market is closed on that date.
    MarketClosed = "market_closed",
    // Who may do what.
    /// No valid bearer token.
    Unauthorized = "unauthorized",
    /// The bearer token is known but past its expiry.
    TokenExpired = "token_expired",
    /// The caller's role may not do this.
    Forbidden = "forbidden",
    /// Execution is disabled for the caller's tenant.
    ExecutionDisabled = "execution_disabled",
    // What exists.
    /// No such resource (or not visible to the caller).
    NotFound = "not_found",
    /// No such order (or not visible to the caller).
    UnknownOrder = "unknown_order",
    /// The route exists with another method.
    MethodNotAllowed = "method_not_allowed",
    /// The transport does not offer this call.
    Unsupported = "unsupported",
    // The desk's state or limits refuse a valid request.
    /// The order is in a state that does not allow the change.
    StateConflict = "state_conflict",
    /// The algorithm is disabled by the desk's configuration.
    AlgoDisabled = "algo_disabled",
    /// Live trading is not enabled for this desk.
    LiveNotEnabled = "live_not_enabled",
    /// Live trading is not available in this build.
    LiveUnavailable = "live_unavailable",
    /// The tenant is HALTED: nothing new is accepted.
    Halted = "halted",
    /// The tenant is REDUCING: only orders that reduce exposure.
    Reducing = "reducing",
    /// A hard risk limit would be breached.
    RiskLimit = "risk_limit",
    /// A risk warning needs an explicit acknowledgement.
    RiskWarning = "risk_warning",
    // Limits of the transport.
    /// The request took too long.
    Timeout = "timeout",
    /// The body is too large.
    PayloadTooLarge = "payload_too_large",
    /// The body is not application/json.
    UnsupportedMediaType = "unsupported_media_type",
    /// Too many requests (or failed logins).
    RateLimited = "rate_limited",
    // Try again later.
    /// The service (or the sidecar, from the client's side) cannot be reached.
    Unavailable = "unavailable",
    /// The client's circuit breaker is open after repeated failures.
    CircuitOpen = "circuit_open",
    /// The ledger's database is unreachable.
    LedgerUnavailable = "ledger_unavailable",
    /// The engine's owning instance cannot be reached (or is being taken over).
    EngineUnavailable = "engine_unavailable",
    /// This instance lost the engine to another instance.
    EngineFenced = "engine_fenced",
    /// Another instance is changing the desk's state.
    DeskBusy = "desk_busy",
    // Failures.
    /// The sidecar answered something that is not the API's.
    BadResponse = "bad_response",
    /// An export could not be written.
    ExportFailed = "export_failed",
    /// An internal error.
    Internal = "internal",
}

impl From<RejectCode> for ErrorCode {
    fn from(c: RejectCode) -> Self {
        match c {
            RejectCode::UnknownSymbol => ErrorCode::UnknownSymbol,
            RejectCode::InvalidQty => ErrorCode::InvalidQty,
            RejectCode::InvalidPrice => ErrorCode::InvalidPrice,
            RejectCode::InvalidWindow => ErrorCode::InvalidWindow,
            RejectCode::MarketClosed => ErrorCode::MarketClosed,
            RejectCode::InvalidParam => ErrorCode::InvalidParam,
            RejectCode::UnknownOrder => ErrorCode::UnknownOrder,
            RejectCode::StateConflict => ErrorCode::StateConflict,
            RejectCode::Forbidden => ErrorCode::Forbidden,
            RejectCode::ExecutionDisabled => ErrorCode::ExecutionDisabled,
            RejectCode::Halted => ErrorCode::Halted,
            RejectCode::Reducing => ErrorCode::Reducing,
            RejectCode::RiskLimit => ErrorCode::RiskLimit,
            RejectCode::RiskWarning => ErrorCode::RiskWarning,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Tests and callers may compare with the wire string.
impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(ErrorCode::parse(&s))
    }
}

/// A refused or failed client call: a stable code, a message, and the field at fault.
#[derive(Debug, Clone, Serialize, Deserialize, thiserror::Error, utoipa::ToSchema)]
#[error("{message}")]
pub struct ClientError {
    /// Stable machine-readable code (`invalid_qty`, `unknown_order`, `forbidden`, `unavailable`, ...).
    #[schema(value_type = String, example = "invalid_qty")]
    pub code: ErrorCode,
    /// Human explanation.
    pub message: String,
    /// Field at fault, when there is one.
    #[serde(default)]
    pub field: Option<String>,
    /// The engine's command layer refused it and its ledger sink has already
    /// audited the refusal (never sent over the wire).
    #[serde(skip)]
    engine_audited: bool,
}

/// Equal when code, message and field are: where the refusal was audited is not part of it.
impl PartialEq for ClientError {
    fn eq(&self, other: &Self) -> bool {
        (&self.code, &self.message, &self.field) == (&other.code, &other.message, &other.field)
    }
}

impl Eq for ClientError {}

impl ClientError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ClientError {
        ClientError { code, message: message.into(), field: None, engine_audited: false }
    }
    /// An error with a code, message and field.
    pub fn in_field(code: ErrorCode, message: impl Into<String>, field: Option<String>) -> ClientError {
        ClientError { field, ..ClientError::new(code, message) }
    }
    /// Whether the engine's ledger sink has recorded this refusal in the
    /// audit log already (so the server must not record it again).
    pub fn engine_audited(&self) -> bool {
        self.engine_audited
    }
    /// The same error, marked as audited by the engine's ledger sink.
    pub(crate) fn audited_by_engine(mut self) -> ClientError {
        self.engine_audited = true;
        self
    }
    /// `ledger_unavailable` for a ledger call that failed: the user is told
    /// what could not be done, in our words, and that nothing was done; the
    /// database's own text (host, file path, SQL, driver) goes to the
    /// server's log (`tracing`), written once per distinct failure.
    pub fn ledger_unavailable(e: &crate::store::StoreError) -> ClientError {
        log_ledger_failure(e);
        ClientError::new(
            ErrorCode::LedgerUnavailable,
            format!("{}; nothing was done, try again (the server's log says why)", e.for_users()),
        )
    }
    /// Not found (or not visible to the caller).
    pub fn not_found(what: impl Into<String>) -> ClientError {
        ClientError::new(ErrorCode::NotFound, what)
    }
    /// The same error about a field.
    pub fn with_field(mut self, field: impl Into<String>) -> ClientError {
        self.field = Some(field.into());
        self
    }
    /// The sidecar could not be reached (or the breaker is open): says
    /// nothing about the request itself.
    pub fn is_connection(&self) -> bool {
        matches!(self.code, ErrorCode::Unavailable | ErrorCode::CircuitOpen)
    }
}

/// Writes a ledger failure to the server's log unless it is the one
/// written last: an outage fails every request the same way, and one line
/// says it.
fn log_ledger_failure(e: &crate::store::StoreError) {
    static LAST: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());
    let detail = e.to_string();
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if *last != detail {
        tracing::warn!("ledger unavailable to a request: {detail}");
        *last = detail;
    }
}

impl From<Reject> for ClientError {
    fn from(r: Reject) -> Self {
        ClientError::in_field(r.code.into(), r.message, r.field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_wire_string() {
        for c in ErrorCode::ALL {
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(&serde_json::from_str::<ErrorCode>(&json).unwrap(), c);
        }
        let names: std::collections::BTreeSet<&str> = ErrorCode::ALL.iter().map(ErrorCode::as_str).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len(), "two codes share a wire string");
    }

    #[test]
    fn an_unknown_code_from_another_version_is_kept() {
        let e: ClientError = serde_json::from_str(r#"{"code":"brand_new","message":"m"}"#).unwrap();
        assert_eq!(e.code, ErrorCode::Other("brand_new".into()));
        assert_eq!(serde_json::to_value(&e).unwrap()["code"], "brand_new");
    }

    #[test]
    fn engine_refusals_keep_their_code() {
        let r = Reject { code: RejectCode::RiskWarning, field: None, message: "m".into() };
        assert_eq!(ClientError::from(r).code, ErrorCode::RiskWarning);
        assert_eq!(ErrorCode::from(RejectCode::Halted).as_str(), RejectCode::Halted.as_str());
    }
}
