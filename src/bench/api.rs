//! The sidecar under load over loopback (`blotter bench --api`): order
//! submissions per second and their latency, closed loop (as fast as the
//! clients go) and open loop (a fixed rate, latency measured from each
//! request's scheduled time so a slow server cannot hide its queueing); then
//! a busy simulated day streamed over SSE to many subscribers, each checked
//! for every event in order, with the event-delivery latency (publication in
//! the engine to arrival at the subscriber).

use crate::api::audit::{AuditLog, MemoryAudit};
use crate::api::ledger::{LedgerAlgoConfig, LedgerAudit, LedgerTokens};
use crate::api::limit::RateLimit;
use crate::api::tokens::{self, MemoryTokens, TokenStore};
use crate::api::{ApiOptions, ApiState, spawn};
use crate::client::embedded::EventSink;
use crate::client::{Client, Embedded, Remote, Settings, StreamItem};
use crate::engine::{Actor, Engine, EngineConfig};
use crate::market::{Universe, session};
use crate::model::{Calendar, Role, Timestamp, time::parse_hhmm};
use crate::store::sink::LedgerSink;
use crate::store::{DbTarget, EngineSpec, Ledger, LedgerHandle, Sources};
use futures_util::StreamExt;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What to run.
#[derive(Debug, Clone)]
pub struct ApiBenchConfig {
    /// Seconds of each submission phase.
    pub seconds: f64,
    /// Target rate of the open-loop phase, submissions per second.
    pub rate: f64,
    /// Concurrent clients of the closed-loop phase.
    pub clients: usize,
    /// SSE subscribers of the fan-out phase.
    pub subscribers: usize,
    /// Orders working through the simulated day of the fan-out phase.
    pub day_orders: usize,
    /// Simulated seconds per wall second during that day.
    pub day_speed: f64,
    /// Subscribe with the full `Remote` client (decodes every event) rather
    /// than a raw SSE reader (reads ids only, resumes with Last-Event-ID).
    pub remote_subscribers: bool,
    /// Record every event in a fresh SQLite ledger (in this directory) before
    /// it is acknowledged or published; `None` keeps events in memory only.
    pub ledger_dir: Option<std::path::PathBuf>,
    /// Seed of the simulated market.
    pub seed: u64,
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    /// Samples.
    pub n: usize,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

impl Latency {
    pub(super) fn of(mut v: Vec<f64>) -> Latency {
        v.sort_by(f64::total_cmp);
        let at = |q: f64| if v.is_empty() { 0.0 } else { v[((v.len() - 1) as f64 * q).round() as usize] };
        Latency { n: v.len(), p50_ms: at(0.5), p99_ms: at(0.99), max_ms: at(1.0) }
    }
}

/// One submission phase.
#[derive(Debug, Clone, Serialize)]
pub struct SubmitRun {
    /// How requests were sent.
    pub mode: String,
    /// Orders accepted (201).
    pub accepted: usize,
    /// Requests that failed.
    pub errors: usize,
    /// Wall time of the phase.
    pub seconds: f64,
    /// Accepted orders per second.
    pub per_sec: f64,
    /// Request latency.
    pub latency: Latency,
}

/// The fan-out phase.
#[derive(Debug, Clone, Serialize)]
pub struct FanoutRun {
    /// Subscribers.
    pub subscribers: usize,
    /// `raw` (SSE reader of ids, resuming with Last-Event-ID) or `remote` (the full client, decoding every event).
    pub subscriber_kind: String,
    /// Engine events of the day.
    pub events: u64,
    /// Whether every subscriber received every event exactly once, in order.
    pub complete: bool,
    /// Fewest events one subscriber received.
    pub min_received: usize,
    /// Reconnects after the server dropped a stream that fell behind (resumed without loss).
    pub resyncs: usize,
    /// Wall time of the simulated day.
    pub day_wall_s: f64,
    /// Publication in the engine to arrival at a subscriber, over every (subscriber, event).
    pub delivery: Latency,
}

/// Everything `blotter bench --api` reports.
#[derive(Debug, Clone, Serialize)]
pub struct ApiBench {
    /// Submissions as fast as `clients` concurrent clients go.
    pub closed_loop: SubmitRun,
    /// Submissions at a fixed rate.
    pub open_loop: SubmitRun,
    /// A busy simulated day streamed to every subscriber.
    pub fanout: FanoutRun,
    /// Where events were made durable during the run.
    pub ledger: String,
}

/// An engine over `symbols` from 09:30, recording into a fresh ledger named
/// `name` when the run is durable (then, as `serve` does, its algo
/// configuration is read from the ledger, and the handle is returned for the
/// server's tokens and audit log).
fn desk(cfg: &ApiBenchConfig, symbols: &[&str], name: &str, speed: f64) -> (Embedded, Option<LedgerHandle>) {
    let (e, ecfg) = engine(cfg.seed, symbols);
    let actor = Actor::local(Role::Supervisor);
    let sink = cfg.ledger_dir.as_ref().map(|dir| {
        let target = DbTarget::Sqlite(dir.join(format!("{name}.db")));
        let spec = EngineSpec::new(&ecfg, Sources::default(), &actor, e.now());
        // The ledger runs its own runtime: open it on a plain thread.
        let opened = std::thread::scope(|s| {
            s.spawn(|| {
                let l = Ledger::open(&target)?;
                let r = l.register(&spec)?;
                Ok::<_, crate::store::StoreError>((l, r))
            })
            .join()
        });
        let (ledger, eref) = opened.expect("ledger thread").expect("a fresh SQLite ledger");
        let ledger = Arc::new(ledger);
        (ledger.handle(), Box::new(LedgerSink::new(ledger, eref)) as Box<dyn EventSink>)
    });
    let (handle, sink) = sink.unzip();
    let mut settings = Settings::default();
    if let Some(h) = &handle {
        settings.algo_config = Arc::new(LedgerAlgoConfig::new(h.clone()));
    }
    (Embedded::start_with_settings(e, speed, actor, sink, settings), handle)
}

fn engine(seed: u64, symbols: &[&str]) -> (Engine, EngineConfig) {
    let date = super::bench_date();
    let mut cfg = EngineConfig::new(seed, date);
    cfg.symbols = Some(symbols.iter().map(|s| s.to_string()).collect());
    let open = parse_hhmm("09:30").unwrap_or_default();
    cfg.origin = Some(Timestamp::from_local(session::tz_of(Calendar::UsEquity), date, open));
    let e = Engine::new(Arc::new(Universe::builtin()), cfg.clone())
        .expect("the bench symbols are in the built-in universe");
    (e, cfg)
}

/// A server over `engine` with one token per name, no rate limit in the way;
/// tokens and refusals in the ledger when there is one, as with `serve`.
async fn server(
    (desk, ledger): (Embedded, Option<LedgerHandle>),
    names: &[String],
    role: Role,
) -> (crate::api::Running, Vec<String>) {
    let (store, audit): (Arc<dyn TokenStore>, Arc<dyn AuditLog>) = match &ledger {
        Some(h) => (Arc::new(LedgerTokens::new(h.clone(), Actor::local(Role::Admin))), Arc::new(LedgerAudit::new(h))),
        None => (Arc::new(MemoryTokens::default()), Arc::new(MemoryAudit::default())),
    };
    let mut toks = Vec::new();
    for n in names {
        toks.push(tokens::create(store.as_ref(), n, "bench", role).await.expect("token"));
    }
    let options = ApiOptions { rate: RateLimit { rate: 1e9, burst: 1e9 }, ..ApiOptions::default() };
    let state = ApiState::new(desk, store, audit, options);
    let running = spawn(state, "127.0.0.1:0".parse().expect("loopback")).await.expect("bind loopback");
    (running, toks)
}

/// An order for the last hour of the session: accepted, validated, planned
/// and logged now, working later, so the phase measures the command path
/// rather than tens of thousands of children queued at one price (the engine
/// benchmark measures matching).
pub(super) fn order_body(i: usize) -> bytes::Bytes {
    let ny = session::tz_of(Calendar::UsEquity);
    let at = |hhmm: &str| Timestamp::from_local(ny, super::bench_date(), parse_hhmm(hhmm).unwrap_or_default()).0;
    let side = if i.is_multiple_of(2) { "buy" } else { "sell" };
    let (start, end) = (at("15:00"), at("16:00"));
    let body = format!(
        r#"{{"symbol":"AAPL","side":"{side}","qty":100,"algo":"twap","params":{{"slices":"10"}},"start":{start},"end":{end}}}"#
    );
    bytes::Bytes::from(body)
}

/// Sends one JSON body to `url` with `token`: what every submitting client of the benchmarks does.
pub(super) async fn send_json(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: bytes::Bytes,
) -> reqwest::Result<reqwest::Response> {
    http.post(url).bearer_auth(token).header("content-type", "application/json").body(body).send().await
}

pub(super) async fn post(http: &reqwest::Client, url: &str, token: &str, body: bytes::Bytes) -> bool {
    match send_json(http, url, token, body).await {
        Ok(r) => r.status().as_u16() == 201 && r.bytes().await.is_ok(),
        Err(_) => false,
    }
}

/// One client submitting orders (numbered from `first`) as fast as they are
/// answered until `deadline`: the acknowledged ones' latencies in ms, and how
/// many were refused or failed.
pub(super) async fn submit_until(url: &str, token: &str, first: usize, deadline: Instant) -> (Vec<f64>, usize) {
    let http = http();
    let (mut lat, mut errors) = (Vec::new(), 0);
    for i in first.. {
        if Instant::now() >= deadline {
            break;
        }
        let t = Instant::now();
        if post(&http, url, token, order_body(i)).await {
            lat.push(t.elapsed().as_secs_f64() * 1e3);
        } else {
            errors += 1;
        }
    }
    (lat, errors)
}

pub(super) fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().tcp_nodelay(true).build().expect("HTTP client")
}

async fn closed_loop(cfg: &ApiBenchConfig) -> SubmitRun {
    let desk = desk(cfg, &["AAPL"], "closed", 1.0);
    let names: Vec<String> = (0..cfg.clients).map(|i| format!("c{i}")).collect();
    let (srv, toks) = server(desk, &names, Role::Advisor).await;
    let url = format!("{}/v1/orders", srv.url());
    let deadline = Instant::now() + Duration::from_secs_f64(cfg.seconds);
    let t0 = Instant::now();
    let tasks: Vec<_> = toks
        .into_iter()
        .enumerate()
        .map(|(c, tok)| {
            let url = url.clone();
            tokio::spawn(async move { submit_until(&url, &tok, c, deadline).await })
        })
        .collect();
    let (lat, errors) = joined(tasks).await;
    let seconds = t0.elapsed().as_secs_f64();
    let _ = srv.stop().await;
    SubmitRun::new(format!("closed loop, {} concurrent clients", cfg.clients), lat, errors, seconds)
}

/// Every sender's latencies (ms) and error count, together.
pub(super) async fn joined(tasks: Vec<tokio::task::JoinHandle<(Vec<f64>, usize)>>) -> (Vec<f64>, usize) {
    let (mut lat, mut errors) = (Vec::new(), 0);
    for t in tasks {
        if let Ok((l, e)) = t.await {
            lat.extend(l);
            errors += e;
        }
    }
    (lat, errors)
}

impl SubmitRun {
    pub(super) fn new(mode: String, lat: Vec<f64>, errors: usize, seconds: f64) -> SubmitRun {
        SubmitRun {
            mode,
            accepted: lat.len(),
            errors,
            seconds,
            per_sec: lat.len() as f64 / seconds,
            latency: Latency::of(lat),
        }
    }
}

async fn open_loop(cfg: &ApiBenchConfig) -> SubmitRun {
    // Enough senders that each has slack between its scheduled requests.
    const SENDERS: usize = 32;
    let desk = desk(cfg, &["AAPL"], "open", 1.0);
    let names: Vec<String> = (0..SENDERS).map(|i| format!("s{i}")).collect();
    let (srv, toks) = server(desk, &names, Role::Advisor).await;
    let url = format!("{}/v1/orders", srv.url());
    let total = (cfg.rate * cfg.seconds).round() as usize;
    let spacing = Duration::from_secs_f64(1.0 / cfg.rate);
    let t0 = tokio::time::Instant::now() + Duration::from_millis(50);
    let tasks: Vec<_> = toks
        .into_iter()
        .enumerate()
        .map(|(s, tok)| {
            let url = url.clone();
            tokio::spawn(async move {
                let http = http();
                let (mut lat, mut errors) = (Vec::new(), 0);
                for i in (s..total).step_by(SENDERS) {
                    let due = t0 + spacing * i as u32;
                    tokio::time::sleep_until(due).await;
                    if post(&http, &url, &tok, order_body(i)).await {
                        // From the scheduled time: queueing behind a slow answer counts.
                        lat.push(due.elapsed().as_secs_f64() * 1e3);
                    } else {
                        errors += 1;
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let (lat, errors) = joined(tasks).await;
    let seconds = t0.elapsed().as_secs_f64();
    let _ = srv.stop().await;
    SubmitRun::new(format!("open loop at {} submissions/s for {} s", cfg.rate, cfg.seconds), lat, errors, seconds)
}

async fn fanout(cfg: &ApiBenchConfig) -> FanoutRun {
    let symbols = ["AAPL", "MSFT", "SPY", "JPM"];
    let (desk, ledger) = desk(cfg, &symbols, "fanout", 1.0);
    let _ = desk.set_speed(0.0).await;
    let names: Vec<String> = (0..cfg.subscribers.max(1)).map(|i| format!("sub{i}")).collect();
    let (srv, toks) = server((desk.clone(), ledger), &names, Role::Supervisor).await;
    // When each event was published: an in-process subscriber sees it at once.
    let mut source = desk.subscribe(None).await.expect("in-process stream");
    let published = tokio::spawn(async move {
        let mut at = Vec::new();
        while let Some(item) = source.next().await {
            if let StreamItem::Event(e) = item {
                at.push((e.seq, Instant::now()));
            }
        }
        at
    });
    let target = Arc::new(AtomicU64::new(u64::MAX));
    let mut subs = Vec::new();
    for tok in toks {
        let target = Arc::clone(&target);
        if cfg.remote_subscribers {
            let remote = Remote::new(&srv.url(), Some(tok)).expect("loopback URL");
            let s = remote.subscribe(None).await.expect("subscribe");
            subs.push(tokio::spawn(remote_subscriber(s, target)));
        } else {
            let url = format!("{}/v1/events", srv.url());
            let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
            subs.push(tokio::spawn(raw_subscriber(url, tok, target, ready_tx)));
            let _ = ready_rx.await;
        }
    }
    for i in 0..cfg.day_orders {
        let sym = symbols[i % symbols.len()];
        let side = if i.is_multiple_of(2) { crate::model::Side::Buy } else { crate::model::Side::Sell };
        let req = crate::engine::OrderRequest {
            symbol: sym.into(),
            side,
            qty: crate::model::Qty::from_int(20_000 + 1_000 * i as i64),
            algo: crate::model::AlgoKind::Twap,
            params: [("slices".to_string(), "78".to_string())].into(),
            start: None,
            end: None,
            limit_px: None,
            decision_px: None,
            acknowledge_warnings: true,
        };
        desk.submit(req).await.expect("bench order");
    }
    let t0 = Instant::now();
    let _ = desk.set_speed(cfg.day_speed).await;
    // The day is over when every order is final and the close has passed.
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let h = desk.health().await.expect("health");
        let closed = desk.clock().await.map(|c| c.sessions.iter().all(|s| s.1 == crate::market::SessionState::Closed));
        if h.open_orders == 0 && closed.unwrap_or(false) {
            break;
        }
    }
    let day_wall_s = t0.elapsed().as_secs_f64();
    let last = desk.last_seq();
    target.store(last, Ordering::Relaxed);
    let mut received = Vec::new();
    for s in subs {
        received.push(s.await.unwrap_or_default());
    }
    let _ = srv.stop().await;
    drop(desk);
    let published = tokio::time::timeout(Duration::from_secs(5), published).await;
    let published: Vec<(u64, Instant)> = published.ok().and_then(Result::ok).unwrap_or_default();
    let mut when = vec![None; last as usize + 1];
    for (seq, t) in published {
        if let Some(w) = when.get_mut(seq as usize) {
            *w = Some(t);
        }
    }
    let mut complete = true;
    let mut delivery = Vec::new();
    for (got, _) in &received {
        // Every event from the first, once, in order, up to at least the
        // day's last; a subscriber may also hold a few the engine published
        // after the day was seen to end (it stops once it reaches `last`).
        complete &= got.iter().map(|g| g.0).eq(1..=got.len() as u64) && got.len() as u64 >= last;
        for &(seq, t) in got {
            if let Some(Some(p)) = when.get(seq as usize) {
                delivery.push(t.saturating_duration_since(*p).as_secs_f64() * 1e3);
            }
        }
    }
    FanoutRun {
        subscribers: received.len(),
        subscriber_kind: if cfg.remote_subscribers { "remote" } else { "raw" }.into(),
        events: last,
        complete,
        min_received: received.iter().map(|r| r.0.iter().filter(|g| g.0 <= last).count()).min().unwrap_or(0),
        resyncs: received.iter().map(|r| r.1).sum(),
        day_wall_s,
        delivery: Latency::of(delivery),
    }
}

/// Events received (sequence, arrival) and the number of reconnects.
type Received = (Vec<(u64, Instant)>, usize);

/// The full client: every event decoded; reconnects are its own.
async fn remote_subscriber(mut s: crate::client::EventStream, target: Arc<AtomicU64>) -> Received {
    let (mut got, mut resyncs) = (Vec::new(), 0);
    loop {
        match tokio::time::timeout(Duration::from_millis(200), s.next()).await {
            Ok(Some(StreamItem::Event(e))) => got.push((e.seq, Instant::now())),
            Ok(Some(StreamItem::Connection { connected: true, .. })) => resyncs += 1,
            Ok(Some(_)) | Err(_) => {}
            Ok(None) => break,
        }
        if got.last().is_some_and(|l| l.0 >= target.load(Ordering::Relaxed)) {
            break;
        }
    }
    (got, resyncs)
}

/// A raw SSE reader: reads each frame's id, and when the server drops it for
/// falling behind, reconnects with Last-Event-ID like any SSE client.
async fn raw_subscriber(
    url: String,
    token: String,
    target: Arc<AtomicU64>,
    ready: tokio::sync::oneshot::Sender<()>,
) -> Received {
    let http = http();
    let (mut got, mut resyncs) = (Vec::new(), 0);
    let mut last: Option<u64> = None;
    let mut ready = Some(ready);
    loop {
        let mut rb = http.get(&url).bearer_auth(&token);
        if let Some(l) = last {
            rb = rb.header("Last-Event-ID", l.to_string());
        }
        let Ok(resp) = rb.send().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        if let Some(r) = ready.take() {
            let _ = r.send(());
        }
        let mut body = resp.bytes_stream();
        let mut pending = bytes::BytesMut::new();
        loop {
            let chunk = match tokio::time::timeout(Duration::from_millis(200), body.next()).await {
                Ok(Some(Ok(c))) => c,
                Ok(_) => break,
                Err(_) => {
                    if last.is_some_and(|l| l >= target.load(Ordering::Relaxed)) {
                        return (got, resyncs);
                    }
                    continue;
                }
            };
            pending.extend_from_slice(&chunk);
            let now = Instant::now();
            let mut lagged = false;
            while let Some(end) = pending.windows(2).position(|w| w == b"\n\n") {
                let frame = pending.split_to(end + 2);
                let text = std::str::from_utf8(&frame).unwrap_or("");
                let id = text.lines().find_map(|l| l.strip_prefix("id: ")).and_then(|v| v.parse::<u64>().ok());
                if text.starts_with("event: engine") {
                    if let Some(id) = id {
                        got.push((id, now));
                        last = Some(id);
                    }
                } else if text.starts_with("event: hello") {
                    last = last.or(id);
                } else if text.starts_with("event: lagged") {
                    lagged = true;
                }
            }
            if last.is_some_and(|l| l >= target.load(Ordering::Relaxed)) {
                return (got, resyncs);
            }
            if lagged {
                break;
            }
        }
        resyncs += 1;
    }
}

/// Runs the three phases on a fresh multi-threaded runtime.
pub fn run(cfg: &ApiBenchConfig) -> ApiBench {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    rt.block_on(async {
        ApiBench {
            closed_loop: closed_loop(cfg).await,
            open_loop: open_loop(cfg).await,
            fanout: fanout(cfg).await,
            ledger: match &cfg.ledger_dir {
                Some(d) => {
                    format!("SQLite ledger in {} (every event committed before it is acknowledged)", d.display())
                }
                None => "none: events in memory only".into(),
            },
        }
    })
}
