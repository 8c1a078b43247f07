//! The HTTP API (`blotter serve`): one shared paper engine, many desks.
//!
//! Every handler is the `Client` call of the same name on an `Embedded`
//! handle acting as the caller, so the HTTP transport and the in-process one
//! behave identically (the contract suite runs against both). Around them:
//! bearer-token authentication, a per-token rate limit and a role policy
//! (`auth`, `policy`), JSON errors with stable codes (`errors`, `extract`), a
//! body size limit and a request time-out, the SSE event stream (`sse`) and
//! the OpenAPI document (`openapi`). With a ledger (`ledger`), tokens, the
//! audit log, the algo configuration, aggregated TCA and the event history
//! before a restart come from the database.

pub mod audit;
pub mod auth;
pub mod conn;
mod desk;
pub mod desk_stream;
pub mod errors;
pub mod extract;
mod json_check;
pub mod ledger;
pub mod limit;
mod market;
pub mod openapi;
mod orders;
pub mod policy;
mod query_param;
pub mod revoke;
mod risk;
mod schema;
pub mod server;
mod sse;
pub mod stream_slots;
mod system;
pub mod tokens;

use crate::client::{Desk, DeskClient, Embedded};
use crate::engine::Actor;
use audit::AuditLog;
use auth::Caller;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use limit::{RateLimit, RateLimiter};
use std::sync::Arc;
use std::time::Duration;
use tokens::TokenStore;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

pub use server::{Running, ServeError, check_bind, spawn};

/// Limits and behaviour of the server.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// Largest request body, bytes.
    pub body_limit: usize,
    /// Time limit to produce response headers (the event stream is not cut by it).
    pub timeout: Duration,
    /// Per-token rate limit.
    pub rate: RateLimit,
    /// Failed authentications audited per peer network (an IPv4 address, an
    /// IPv6 /64) and per presented token prefix: past either a failure is
    /// answered 429 without an audit row, so a flood of made-up tokens cannot
    /// grow the audit log without bound.
    pub auth_failures: RateLimit,
    /// Failed authentications audited in all, whatever their origin.
    pub auth_failures_global: RateLimit,
    /// Interval of SSE keep-alive comments.
    pub keep_alive: Duration,
    /// Who a request without a token acts as; `None` requires a token on every `/v1` route.
    pub open_identity: Option<Actor>,
    /// A connection whose peer reads nothing for this long is closed (a
    /// stalled event-stream subscriber, with everything queued for it).
    pub write_stall: Duration,
    /// Event streams one token (or the local desk) may hold open at once;
    /// one more is refused with 429 (see `stream_slots`).
    pub streams_per_token: usize,
    /// Connections one peer network (an IPv4 address, an IPv6 /64) may hold
    /// open at once; past it a new one is closed before anything is read.
    pub connections_per_network: usize,
}

/// Connections one peer network may hold by default: far above a desk's
/// terminals and tools behind one address, far below the descriptors a
/// server has (so one machine cannot take them all).
pub const DEFAULT_CONNECTIONS_PER_NETWORK: usize = 1_024;

/// Event streams one token may hold open at once by default: a terminal
/// holds one, a person with several screens a few.
pub const DEFAULT_STREAMS_PER_TOKEN: usize = 32;

impl Default for ApiOptions {
    fn default() -> Self {
        ApiOptions {
            body_limit: 64 * 1024,
            timeout: Duration::from_secs(10),
            rate: RateLimit::default(),
            // A burst for a person retyping a token, then one every two seconds.
            auth_failures: RateLimit { rate: 0.5, burst: 20.0 },
            // Many sources at once: still at most about 5 rows a second.
            auth_failures_global: RateLimit { rate: 5.0, burst: 100.0 },
            keep_alive: Duration::from_secs(15),
            open_identity: None,
            write_stall: Duration::from_secs(30),
            streams_per_token: DEFAULT_STREAMS_PER_TOKEN,
            connections_per_network: DEFAULT_CONNECTIONS_PER_NETWORK,
        }
    }
}

struct Inner {
    desk: Desk,
    tokens: Arc<dyn TokenStore>,
    audit: Arc<dyn AuditLog>,
    limiter: RateLimiter,
    /// Failed authentications per peer network, per token prefix and in all.
    auth_failures: auth::FailureBudget,
    options: ApiOptions,
    stop_streams: tokio::sync::watch::Sender<u64>,
    frames: Arc<sse::FrameCache>,
    ledger: std::sync::OnceLock<ledger::ServedLedger>,
    streams: Arc<revoke::TokenStreams>,
    /// Open event streams per token, bounded.
    slots: Arc<stream_slots::StreamSlots>,
    /// The desk's other engines' events, started with the first desk-wide stream.
    desk_feed: tokio::sync::OnceCell<Arc<desk_stream::DeskFeed>>,
    /// The last readiness check and when it was made (`system::readyz`).
    readiness: tokio::sync::Mutex<Option<(std::time::Instant, crate::client::wire::Readiness)>>,
}

/// What every handler shares: the engine, tokens, audit log and limits.
#[derive(Clone)]
pub struct ApiState(Arc<Inner>);

impl ApiState {
    /// The state of a server over a desk (an engine, or the desk's engines
    /// this instance runs; requests act as their caller).
    pub fn new(
        desk: impl Into<Desk>,
        tokens: Arc<dyn TokenStore>,
        audit: Arc<dyn AuditLog>,
        options: ApiOptions,
    ) -> ApiState {
        let (stop_streams, _) = tokio::sync::watch::channel(0);
        let limiter = RateLimiter::new(options.rate);
        let auth_failures = auth::FailureBudget::new(options.auth_failures, options.auth_failures_global);
        // As many frames as the engine buffers live events for a subscriber.
        let frames = Arc::new(sse::FrameCache::new(crate::client::settings::LIVE_BUFFER));
        let ledger = std::sync::OnceLock::new();
        let slots = Arc::new(stream_slots::StreamSlots::new(options.streams_per_token));
        ApiState(Arc::new(Inner {
            desk: desk.into(),
            tokens,
            audit,
            limiter,
            auth_failures,
            options,
            stop_streams,
            frames,
            ledger,
            streams: Arc::default(),
            slots,
            desk_feed: tokio::sync::OnceCell::new(),
            readiness: tokio::sync::Mutex::new(None),
        }))
    }

    /// Serves from `ledger` too: aggregated TCA over every session, the audit
    /// log, and event history from before this process. Set once, before serving.
    pub fn with_ledger(self, ledger: ledger::ServedLedger) -> ApiState {
        let _ = self.0.ledger.set(ledger);
        self
    }

    /// The ledger, when the server has one.
    pub fn ledger(&self) -> Option<&ledger::ServedLedger> {
        self.0.ledger.get()
    }

    /// The home engine: where this instance's new orders go.
    pub fn engine(&self) -> Embedded {
        self.0.desk.home()
    }

    /// The desk this instance serves.
    pub fn desk(&self) -> &Desk {
        &self.0.desk
    }

    /// The desk acting as the caller.
    pub fn client(&self, caller: &Caller) -> DeskClient {
        self.0.desk.as_actor(caller.actor.clone())
    }

    /// The feed of the desk's other engines' events (see `desk_stream`),
    /// started on first use; `None` without a ledger.
    async fn desk_feed(&self) -> Result<Option<Arc<desk_stream::DeskFeed>>, crate::store::StoreError> {
        let Some(l) = self.ledger() else { return Ok(None) };
        let (handle, home) = (l.handle.clone(), l.engine);
        let feed = self
            .0
            .desk_feed
            .get_or_try_init(|| async move { desk_stream::DeskFeed::start(handle, home).await })
            .await?;
        Ok(Some(Arc::clone(feed)))
    }

    /// The last readiness check, shared by every `/readyz` request.
    fn readiness(&self) -> &tokio::sync::Mutex<Option<(std::time::Instant, crate::client::wire::Readiness)>> {
        &self.0.readiness
    }

    /// The token store.
    pub fn tokens(&self) -> &dyn TokenStore {
        self.0.tokens.as_ref()
    }

    fn tokens_arc(&self) -> Arc<dyn TokenStore> {
        Arc::clone(&self.0.tokens)
    }

    /// The tokens with open event streams, whose revocation ends them.
    pub fn token_streams(&self) -> &Arc<revoke::TokenStreams> {
        &self.0.streams
    }

    /// The open event streams per token, and their bound.
    pub fn stream_slots(&self) -> &Arc<stream_slots::StreamSlots> {
        &self.0.slots
    }

    /// The audit log.
    pub fn audit(&self) -> &dyn AuditLog {
        self.0.audit.as_ref()
    }

    fn limiter(&self) -> &RateLimiter {
        &self.0.limiter
    }

    fn auth_failures(&self) -> &auth::FailureBudget {
        &self.0.auth_failures
    }

    fn open_identity(&self) -> Option<&Actor> {
        self.0.options.open_identity.as_ref()
    }

    fn write_stall(&self) -> Duration {
        self.0.options.write_stall
    }

    fn keep_alive(&self) -> Duration {
        self.0.options.keep_alive
    }

    fn frames(&self) -> Arc<sse::FrameCache> {
        Arc::clone(&self.0.frames)
    }

    fn stream_stop(&self) -> tokio::sync::watch::Receiver<u64> {
        self.0.stop_streams.subscribe()
    }

    /// Closes every open event stream (clients reconnect and resume): for
    /// shutdown, and for tests of the resume path.
    pub fn drop_streams(&self) {
        self.0.stop_streams.send_modify(|g| *g += 1);
    }
}

/// Header on every response: the execution mode, always `paper` in this build.
pub const MODE_HEADER: &str = "x-execution-mode";

async fn paper_header(mut res: axum::response::Response) -> axum::response::Response {
    res.headers_mut().insert(MODE_HEADER, axum::http::HeaderValue::from_static("paper"));
    res
}

/// The whole application: public routes, the gated `/v1` routes, JSON
/// fallbacks, and the limits around them.
pub fn router(state: ApiState) -> Router {
    let (v1, public, doc) = openapi::routes();
    // Serialised once: the document does not change while the server runs.
    let doc = bytes::Bytes::from(serde_json::to_vec(&doc).unwrap_or_default());
    let opts = state.0.options.clone();
    let v1 = v1.route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::gate));
    let public = public.route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::public_gate));
    public
        .merge(v1)
        .route(
            "/openapi.json",
            axum::routing::get(move || async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], doc) }),
        )
        .fallback(errors::not_found)
        .method_not_allowed_fallback(errors::method_not_allowed)
        .layer(DefaultBodyLimit::max(opts.body_limit))
        .layer(axum::Extension(extract::BodyLimit(opts.body_limit)))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, opts.timeout))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(errors::json_errors))
        .layer(axum::middleware::map_response(paper_header))
        .with_state(state)
}
