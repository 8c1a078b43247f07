//! The gate in front of every `/v1` route: who is calling (bearer token),
//! whether they are within their rate, whether their role may use the route;
//! and the audit of every refusal, including those the engine gives. The
//! refusal is answered once its audit record is written. A refusal of the
//! engine's command layer is marked (`ClientError::engine_audited`) when the
//! engine's ledger sink recorded it with the command: the ledger's log then
//! leaves it out, so each refusal is one row there.

use super::ApiState;
use super::audit::AuditEntry;
use super::errors::{ApiError, ErrorInfo};
use super::limit::{RateLimit, RateLimiter};
use super::policy;
use super::tokens;
use crate::client::{ClientError, ErrorCode};
use crate::engine::Actor;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;
use std::time::Duration;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who they act as.
    pub actor: Actor,
    /// Rate-limit and audit key: the token's public id, or `local`.
    pub key: String,
    /// The token's hash (none for the local desk without tokens).
    pub hash: Option<String>,
    /// When the token expires, as the store said at authentication: its
    /// streams end then even if the store cannot be asked again.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The budget of audited failed authentications: per peer network, per
/// presented token prefix and in all. A failure past any of them is
/// answered 429 and not audited; a valid token is never held back.
#[derive(Debug)]
pub struct FailureBudget {
    network: RateLimiter,
    prefix: RateLimiter,
    global: RateLimiter,
}

/// Characters of a presented token that key its budget (`blt_` and 8 more).
const PREFIX_CHARS: usize = 12;

impl FailureBudget {
    /// Budgets of `each` per network and per token prefix, `all` in all.
    pub fn new(each: RateLimit, all: RateLimit) -> FailureBudget {
        FailureBudget { network: RateLimiter::new(each), prefix: RateLimiter::new(each), global: RateLimiter::new(all) }
    }

    /// Takes one failure; `Err((wait, from where))` when a budget is spent.
    pub fn check(&self, peer: Option<IpAddr>, token: Option<&str>) -> Result<(), (Duration, &'static str)> {
        if let Some(ip) = peer {
            self.network.check(&network_of(ip)).map_err(|w| (w, "from this address"))?;
        }
        if let Some(t) = token {
            let prefix: String = t.chars().take(PREFIX_CHARS).collect();
            self.prefix.check(&prefix).map_err(|w| (w, "with tokens like this one"))?;
        }
        self.global.check("all").map_err(|w| (w, "on this server"))
    }
}

/// The network an address counts under: itself for IPv4, its /64 for IPv6
/// (one subscriber's allocation: billions of addresses to rotate through).
pub(super) fn network_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The token a request presents, if any.
fn presented(headers: &HeaderMap) -> Option<&str> {
    let text = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    text.split_once(' ').map(|(_, t)| t.trim()).filter(|t| !t.is_empty())
}

/// Why a request's caller could not be established: the answer, and whom
/// the token names when it is a real one that expired (for the audit).
struct Unidentified {
    error: ClientError,
    named: Option<Actor>,
}

impl From<ClientError> for Unidentified {
    fn from(error: ClientError) -> Self {
        Unidentified { error, named: None }
    }
}

/// Resolves the caller from the `Authorization: Bearer` header.
async fn identify(state: &ApiState, headers: &HeaderMap) -> Result<Caller, Unidentified> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return match state.open_identity() {
            Some(actor) => Ok(Caller { actor: actor.clone(), key: "local".into(), hash: None, expires_at: None }),
            None => {
                Err(ClientError::new(ErrorCode::Unauthorized, "a bearer token is required (Authorization: Bearer ...)")
                    .into())
            }
        };
    };
    let text = value.to_str().unwrap_or("");
    let token = match text.split_once(' ') {
        Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") && !t.trim().is_empty() => t.trim(),
        _ => {
            return Err(
                ClientError::new(ErrorCode::Unauthorized, "the Authorization header must be 'Bearer <token>'").into()
            );
        }
    };
    let hash = tokens::hash(token);
    match state.tokens().lookup(&hash).await {
        Ok(Some(r)) => match r.expires_at.filter(|_| r.expired_at(chrono::Utc::now())) {
            Some(at) => Err(Unidentified {
                error: ClientError::new(
                    ErrorCode::TokenExpired,
                    format!(
                        "the token expired at {} (UTC); ask an administrator for a new one",
                        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    ),
                ),
                named: Some(r.actor()),
            }),
            None => Ok(Caller { actor: r.actor(), expires_at: r.expires_at, key: r.id, hash: Some(hash) }),
        },
        Ok(None) => {
            Err(ClientError::new(ErrorCode::Unauthorized, "the token is not valid (unknown or revoked)").into())
        }
        Err(e) => {
            // Answered before anyone is authenticated: the detail (a file
            // path, a database's error) is the operator's, on stderr.
            log_store_failure(&e.to_string());
            Err(ClientError::new(
                ErrorCode::Unavailable,
                "the token store cannot be read, so no token can be checked; retry later (the server's log says why)",
            )
            .into())
        }
    }
}

/// Writes a token store failure to stderr when it differs from the last
/// one written, so a failing store is reported once, not per request.
fn log_store_failure(detail: &str) {
    static LAST: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if *last != detail {
        eprintln!("blotter serve: tokens cannot be checked: {detail}");
        *last = detail.to_string();
    }
}

async fn audit(
    state: &ApiState,
    caller: Option<&Actor>,
    method: &Method,
    path: &str,
    status: StatusCode,
    e: &ClientError,
) {
    state
        .audit()
        .record(AuditEntry {
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            user: caller.map(|a| a.user.to_string()),
            tenant: caller.map(|a| a.tenant.to_string()),
            role: caller.map(|a| a.role),
            method: method.to_string(),
            path: path.to_string(),
            status: status.as_u16(),
            code: e.code.to_string(),
            message: e.message.clone(),
            engine_audited: e.engine_audited(),
        })
        .await;
}

/// Whether an answer is a refusal to audit: every 401, 403 and 429, and any
/// other client error to a request that would change something (invalid
/// input on an execution route, an order in the wrong state, a risk limit).
fn is_refusal(method: &Method, s: StatusCode) -> bool {
    matches!(s, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS)
        || (s.is_client_error() && !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS))
}

/// Authentication, rate limit and role policy; audits every refusal; runs
/// the handler with the `Caller` in the request's extensions.
pub async fn gate(
    State(state): State<ApiState>,
    matched: Option<MatchedPath>,
    mut req: Request,
    next: Next,
) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let route = matched.map_or_else(|| path.clone(), |m| m.as_str().to_string());
    let refuse = async |caller: Option<&Actor>, e: ClientError| {
        let err = ApiError::from(e);
        if is_refusal(&method, err.status) {
            audit(&state, caller, &method, &path, err.status, &err.body).await;
        }
        err
    };
    let caller = match identify(&state, req.headers()).await {
        Ok(c) => c,
        Err(Unidentified { error: e, named }) => {
            // Failed authentications are audited up to a budget per peer
            // address; past it the answer is 429 and nothing is written, so a
            // flood of made-up (or expired) tokens cannot grow the audit log
            // without bound. A valid token from the same address is never held back.
            let peer = req.extensions().get::<ConnectInfo<super::conn::Peer>>().map(|c| c.0.0.ip());
            if matches!(e.code, ErrorCode::Unauthorized | ErrorCode::TokenExpired)
                && let Err((wait, why)) = state.auth_failures().check(peer, presented(req.headers()))
            {
                let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
                let e = ClientError::new(
                    ErrorCode::RateLimited,
                    format!("too many failed authentications {why}; retry in {secs} s"),
                );
                let mut res = ApiError::from(e).into_response();
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
                return res;
            }
            // An expired token's refusal names whom it was for.
            return refuse(named.as_ref(), e).await.into_response();
        }
    };
    if let Err(wait) = state.limiter().check(&caller.key) {
        let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
        let e =
            ClientError::new(ErrorCode::RateLimited, format!("over the rate limit for this token; retry in {secs} s"));
        let mut res = refuse(Some(&caller.actor), e).await.into_response();
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        return res;
    }
    let role = caller.actor.role;
    match policy::required(&method, &route) {
        Some(access) if access.allows(role) => {}
        Some(access) => {
            let e = ClientError::new(ErrorCode::Forbidden, access.refusal(role, &method, &path));
            return refuse(Some(&caller.actor), e).await.into_response();
        }
        None => {
            let e = ClientError::new(ErrorCode::Forbidden, format!("{method} {route} is not in the access table"));
            return refuse(Some(&caller.actor), e).await.into_response();
        }
    }
    req.extensions_mut().insert(caller.clone());
    let res = next.run(req).await;
    // Refusals from further down (input checks, the engine's ownership, role and risk checks).
    if is_refusal(&method, res.status())
        && let Some(ErrorInfo(e)) = res.extensions().get::<ErrorInfo>()
    {
        audit(&state, Some(&caller.actor), &method, &path, res.status(), e).await;
    }
    res
}

/// The gate of `/healthz` and `/readyz`: a request without a token passes
/// as anonymous (no `Caller`: the handler answers with a status alone, what
/// a probe needs); one that presents a token goes through `gate` like any
/// `/v1` request, so a made-up token is refused, budgeted and audited there
/// too rather than tried here for free. A server without tokens (the local
/// desk) knows every caller.
pub async fn public_gate(
    State(state): State<ApiState>,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    if req.headers().contains_key(header::AUTHORIZATION) || state.open_identity().is_some() {
        return gate(State(state), matched, req, next).await;
    }
    next.run(req).await
}

#[cfg(test)]
mod budget_tests {
    use super::*;

    #[test]
    fn an_ipv6_network_is_one_budget_and_so_is_a_token_prefix() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:0:0:9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network_of(a), network_of(b), "same /64");
        assert_ne!(network_of(a), network_of(c));
        assert_eq!(network_of("::ffff:10.0.0.7".parse().unwrap()), "10.0.0.7");
        let budget = FailureBudget::new(RateLimit { rate: 1e-6, burst: 2.0 }, RateLimit { rate: 1e-6, burst: 1e9 });
        assert!(budget.check(Some(a), None).is_ok() && budget.check(Some(b), None).is_ok());
        assert_eq!(budget.check(Some(a), None).unwrap_err().1, "from this address", "a /64 rotates in vain");
        assert!(budget.check(None, Some("blt_aaaaaaaa1")).is_ok() && budget.check(None, Some("blt_aaaaaaaa2")).is_ok());
        assert_eq!(budget.check(None, Some("blt_aaaaaaaa3")).unwrap_err().1, "with tokens like this one");
    }
}
