//! The client contract over HTTP: `Remote` speaks the sidecar's API (`blotter
//! serve`) with reqwest and returns exactly what `Embedded` returns.
//!
//! Every call goes through a circuit breaker; errors come back as the
//! server's `{code, message, field}` unchanged, transport failures as
//! `unavailable`, and fast refusals of an open breaker as `circuit_open`.

mod errors;
mod events;

use super::wire::{ExecutionRequest, KillReport, LimitsRequest, Liveness, Readiness, SpeedRequest, StateRequest};
use super::{
    AlgoConfig, Breaker, BreakerView, Client, ClientError, EventStream, ModeRequest, ModeView, TcaGroup, TcaQuery,
};
use crate::algo::PlannedSlice;
use crate::client::ErrorCode;
use crate::engine::RiskView;
use crate::engine::view::{
    BookView, ClockView, Health, Identity, InstrumentView, OrderDetail, OrderQuery, OrderRow, Page, VenueView,
};
use crate::engine::{Amendment, OrderRequest};
use crate::impact::Estimate;
use crate::model::ParentId;
use errors::{error_from, transport_error};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

/// Tunables of a `Remote`.
#[derive(Debug, Clone)]
pub struct RemoteOptions {
    /// Whole-request time limit for ordinary calls (not the event stream).
    pub timeout: Duration,
    /// Time limit to establish a connection.
    pub connect_timeout: Duration,
    /// Consecutive failures that open the breaker.
    pub breaker_threshold: u32,
    /// First cool-down of an open breaker (doubles on each failed trial).
    pub breaker_cooldown: Duration,
    /// Longest cool-down.
    pub breaker_max_cooldown: Duration,
    /// First reconnect delay of the event stream (doubles up to `reconnect_max`).
    pub reconnect_min: Duration,
    /// Longest reconnect delay.
    pub reconnect_max: Duration,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        RemoteOptions {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(2),
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_millis(500),
            breaker_max_cooldown: Duration::from_secs(30),
            reconnect_min: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(5),
        }
    }
}

pub(super) struct Inner {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
    stream_http: reqwest::Client,
    pub(super) breaker: Breaker,
    pub(super) options: RemoteOptions,
}

/// The sidecar, as seen by one token.
#[derive(Clone)]
pub struct Remote {
    pub(super) inner: Arc<Inner>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote").field("base", &self.inner.base).finish_non_exhaustive()
    }
}

impl Remote {
    /// A client of the sidecar at `base_url` (`http://host:port`), with an optional bearer token.
    pub fn new(base_url: &str, token: Option<String>) -> Result<Remote, ClientError> {
        Remote::with_options(base_url, token, RemoteOptions::default())
    }

    /// Like `new`, with explicit timeouts, breaker and reconnect settings.
    pub fn with_options(base_url: &str, token: Option<String>, options: RemoteOptions) -> Result<Remote, ClientError> {
        let base = base_url.trim().trim_end_matches('/').to_string();
        if !base.starts_with("http://") {
            return Err(ClientError::new(
                ErrorCode::InvalidUrl,
                format!(
                    "'{base_url}' is not an http:// URL (this build has no TLS; use a loopback address or a tunnel)"
                ),
            )
            .with_field("connect"));
        }
        let build = |timeout: Option<Duration>| {
            // A server closes a connection idle past its request timeout (a
            // second or more): not reusing one idle that long avoids sending
            // a request down a connection the server is closing.
            let b = reqwest::Client::builder()
                .connect_timeout(options.connect_timeout)
                .pool_idle_timeout(Duration::from_secs(1))
                .tcp_nodelay(true)
                .no_proxy();
            let b = match timeout {
                Some(t) => b.timeout(t),
                None => b,
            };
            b.build().map_err(|e| ClientError::new(ErrorCode::Unavailable, format!("HTTP client: {e}")))
        };
        let http = build(Some(options.timeout))?;
        // The event stream lives as long as the subscriber wants it.
        let stream_http = build(None)?;
        let breaker = Breaker::new(options.breaker_threshold, options.breaker_cooldown, options.breaker_max_cooldown);
        let token = token.filter(|t| !t.trim().is_empty());
        Ok(Remote { inner: Arc::new(Inner { base, token, http, stream_http, breaker, options }) })
    }

    /// The circuit breaker's state, for the status bar and `blotter status`.
    pub fn breaker(&self) -> BreakerView {
        self.inner.breaker.view()
    }

    /// Whether the sidecar answers, and its status (`ok`, `degraded`): what
    /// `/healthz` tells a caller without a token (`Client::health` needs one).
    pub async fn liveness(&self) -> Result<Liveness, ClientError> {
        self.call::<Liveness, ()>(Method::GET, "/healthz", None).await
    }

    /// Readiness of the sidecar (engine, ledger, token store).
    pub async fn ready(&self) -> Result<Readiness, ClientError> {
        // Not ready is an answer (503 with the same body), not a failure of the sidecar.
        let (status, bytes) = self.raw::<()>(Method::GET, "/readyz", None, true).await?;
        if status.is_success() || status == StatusCode::SERVICE_UNAVAILABLE {
            return serde_json::from_slice(&bytes)
                .map_err(|e| ClientError::new(ErrorCode::BadResponse, format!("/readyz: unexpected answer: {e}")));
        }
        Err(error_from(status, &bytes))
    }

    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.base)
    }

    pub(super) fn authorize(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.inner.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    pub(super) fn stream_client(&self) -> &reqwest::Client {
        &self.inner.stream_http
    }

    /// One request through the breaker: the status and body, or `unavailable`.
    /// Transport errors and 5xx count as failures (503 too, unless `unavailable_ok`).
    async fn raw<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        unavailable_ok: bool,
    ) -> Result<(StatusCode, bytes::Bytes), ClientError> {
        let permit = self.inner.breaker.admit()?;
        let mut rb = self.authorize(self.inner.http.request(method, self.url(path)));
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let sent = match rb.send().await {
            Ok(r) => {
                let status = r.status();
                r.bytes().await.map(|b| (status, b))
            }
            Err(e) => Err(e),
        };
        match sent {
            Ok((status, bytes)) => {
                if status.is_server_error() && !(unavailable_ok && status == StatusCode::SERVICE_UNAVAILABLE) {
                    permit.failure(&format!("HTTP {status}"));
                } else {
                    permit.success();
                }
                Ok((status, bytes))
            }
            Err(e) => {
                let why = transport_error(&e);
                permit.failure(&why);
                Err(ClientError::new(ErrorCode::Unavailable, format!("{}: {why}", self.inner.base)))
            }
        }
    }

    /// One JSON call: the decoded answer, or the server's error as it gave it.
    async fn call<T: DeserializeOwned, B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, ClientError> {
        let (status, bytes) = self.raw(method, path, body, false).await?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| ClientError::new(ErrorCode::BadResponse, format!("{path}: unexpected answer: {e}")));
        }
        Err(error_from(status, &bytes))
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.call::<T, ()>(Method::GET, path, None).await
    }

    async fn post<T: DeserializeOwned, B: Serialize>(&self, path: &str, body: &B) -> Result<T, ClientError> {
        self.call(Method::POST, path, Some(body)).await
    }
}

/// Percent-encodes one path segment (symbols such as `EUR/USD`).
fn segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The query of `GET /v1/tca`.
#[derive(Serialize)]
struct TcaParams {
    group_by: super::TcaGroupBy,
    #[serde(skip_serializing_if = "Option::is_none")]
    since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    until: Option<String>,
}

/// The query naming a layer of the algo configuration (none: the caller's view, or the desk layer).
#[derive(Serialize)]
struct LayerParams<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<&'a str>,
}

fn query<T: Serialize>(q: &T) -> Result<String, ClientError> {
    let s = serde_urlencoded::to_string(q).map_err(|e| ClientError::new(ErrorCode::InvalidQuery, e.to_string()))?;
    Ok(if s.is_empty() { s } else { format!("?{s}") })
}

impl Client for Remote {
    fn describe(&self) -> String {
        self.inner.base.clone()
    }

    async fn whoami(&self) -> Result<Identity, ClientError> {
        self.get("/v1/whoami").await
    }

    async fn health(&self) -> Result<Health, ClientError> {
        self.get("/healthz").await
    }

    async fn clock(&self) -> Result<ClockView, ClientError> {
        self.get("/v1/clock").await
    }

    async fn set_speed(&self, speed: f64) -> Result<ClockView, ClientError> {
        self.call(Method::PUT, "/v1/clock", Some(&SpeedRequest { speed })).await
    }

    async fn instruments(&self) -> Result<Vec<InstrumentView>, ClientError> {
        self.get("/v1/instruments").await
    }

    async fn submit(&self, req: OrderRequest) -> Result<OrderRow, ClientError> {
        self.post("/v1/orders", &req).await
    }

    async fn amend(&self, id: ParentId, change: Amendment) -> Result<OrderRow, ClientError> {
        self.call(Method::PATCH, &format!("/v1/orders/{id}"), Some(&change)).await
    }

    async fn cancel(&self, id: ParentId) -> Result<OrderRow, ClientError> {
        self.call::<_, ()>(Method::POST, &format!("/v1/orders/{id}/cancel"), None).await
    }

    async fn pause(&self, id: ParentId) -> Result<OrderRow, ClientError> {
        self.call::<_, ()>(Method::POST, &format!("/v1/orders/{id}/pause"), None).await
    }

    async fn resume(&self, id: ParentId) -> Result<OrderRow, ClientError> {
        self.call::<_, ()>(Method::POST, &format!("/v1/orders/{id}/resume"), None).await
    }

    async fn kill_all(&self) -> Result<Vec<ParentId>, ClientError> {
        let r: KillReport = self.call::<_, ()>(Method::POST, "/v1/kill", None).await?;
        Ok(r.parents)
    }

    async fn schedule(&self, req: OrderRequest) -> Result<Vec<PlannedSlice>, ClientError> {
        self.post("/v1/schedule", &req).await
    }

    async fn orders(&self, q: OrderQuery) -> Result<Page<OrderRow>, ClientError> {
        self.get(&format!("/v1/orders{}", query(&q)?)).await
    }

    async fn order(&self, id: ParentId) -> Result<OrderDetail, ClientError> {
        self.get(&format!("/v1/orders/{id}")).await
    }

    async fn book(&self, symbol: &str) -> Result<BookView, ClientError> {
        self.get(&format!("/v1/book/{}", segment(symbol))).await
    }

    async fn venues(&self, symbol: &str) -> Result<Vec<VenueView>, ClientError> {
        self.get(&format!("/v1/venues{}", query(&[("symbol", symbol)])?)).await
    }

    async fn tca(&self, id: ParentId) -> Result<crate::tca::TcaReport, ClientError> {
        self.get(&format!("/v1/orders/{id}/tca")).await
    }

    async fn risk(&self) -> Result<RiskView, ClientError> {
        self.get("/v1/risk").await
    }

    async fn set_limits(
        &self,
        tenant: &str,
        user: Option<&str>,
        limits: crate::risk::Limits,
    ) -> Result<RiskView, ClientError> {
        let body = LimitsRequest { tenant: Some(tenant.to_string()), user: user.map(str::to_string), limits };
        self.call(Method::PUT, "/v1/risk/limits", Some(&body)).await
    }

    async fn set_desk_limits(&self, limits: crate::risk::Limits) -> Result<RiskView, ClientError> {
        let body = LimitsRequest { tenant: None, user: None, limits };
        self.call(Method::PUT, "/v1/risk/limits", Some(&body)).await
    }

    async fn set_trading_state(
        &self,
        tenant: Option<&str>,
        state: crate::risk::TradingState,
    ) -> Result<RiskView, ClientError> {
        let body = StateRequest { tenant: tenant.map(str::to_string), state };
        self.call(Method::PUT, "/v1/risk/state", Some(&body)).await
    }

    async fn set_execution(&self, tenant: &str, enabled: bool) -> Result<RiskView, ClientError> {
        let body = ExecutionRequest { tenant: tenant.to_string(), enabled };
        self.call(Method::PUT, "/v1/risk/execution", Some(&body)).await
    }

    async fn kill_tenant(&self, tenant: &str) -> Result<Vec<ParentId>, ClientError> {
        let r: KillReport = self.call::<_, ()>(Method::POST, &format!("/v1/kill/{}", segment(tenant)), None).await?;
        Ok(r.parents)
    }

    async fn subscribe(&self, after: Option<u64>) -> Result<EventStream, ClientError> {
        events::subscribe(self.clone(), after).await
    }

    fn circuit(&self) -> Option<BreakerView> {
        Some(self.inner.breaker.view())
    }

    async fn estimate(&self, req: OrderRequest) -> Result<Estimate, ClientError> {
        self.post("/v1/estimate", &req).await
    }

    async fn tca_groups(&self, q: TcaQuery) -> Result<Vec<TcaGroup>, ClientError> {
        let instant = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        };
        let params = TcaParams { group_by: q.by, since: instant(q.since), until: instant(q.until) };
        self.get(&format!("/v1/tca{}", query(&params)?)).await
    }

    async fn algo_config(&self, tenant: Option<&str>) -> Result<AlgoConfig, ClientError> {
        self.get(&format!("/v1/config/algos{}", query(&LayerParams { tenant })?)).await
    }

    async fn set_algo_config(&self, tenant: Option<&str>, cfg: AlgoConfig) -> Result<AlgoConfig, ClientError> {
        self.call(Method::PUT, &format!("/v1/config/algos{}", query(&LayerParams { tenant })?), Some(&cfg)).await
    }

    async fn mode(&self) -> Result<ModeView, ClientError> {
        self.get("/v1/mode").await
    }

    async fn set_mode(&self, req: ModeRequest) -> Result<ModeView, ClientError> {
        self.call(Method::PUT, "/v1/mode", Some(&req)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_encoded_and_errors_decoded() {
        assert_eq!(segment("EUR/USD"), "EUR%2FUSD");
        assert_eq!(segment("BTC-USD"), "BTC-USD");
        let e = error_from(StatusCode::NOT_FOUND, br#"{"code":"not_found","message":"no order P9","field":"id"}"#);
        assert_eq!((e.code.as_str(), e.field.as_deref()), ("not_found", Some("id")));
        assert_eq!(error_from(StatusCode::BAD_GATEWAY, b"<html>").code, "internal");
        assert_eq!(Remote::new("https://x", None).unwrap_err().code, "invalid_url");
    }
}
