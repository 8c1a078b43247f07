//! `blotter serve`: the HTTP sidecar over one shared paper engine.

use super::CliError;
use super::ledger_args::store_error;
use crate::api::audit::{AuditEntry, AuditLog, FileAudit, MemoryAudit};
use crate::api::ledger::{LedgerAlgoConfig, LedgerAudit, LedgerTokens, ServedLedger, spawn_tca_recorder};
use crate::api::tokens::{FileTokens, MemoryTokens, TokenStore};
use crate::api::{ApiOptions, ApiState, check_bind, limit::RateLimit, server::serve_until};
use crate::client::embedded::EventSink;
use crate::client::{Embedded, LiveGate, Settings};
use crate::engine::{Actor, Engine, EngineConfig};
use crate::market::{Universe, session};
use crate::model::{Calendar, Role, Timestamp, time::parse_hhmm};
use crate::risk::RiskConfig;
use crate::store::sink::LedgerSink;
use crate::store::{EngineRef, EngineSpec, Ledger, Sources};
use chrono::{NaiveDate, Utc};
use clap::Args;
use futures_util::future::BoxFuture;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Flags of `blotter serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (a non-loopback address needs tokens).
    #[arg(long, default_value = "127.0.0.1:8898", env = "BLOTTER_BIND")]
    pub bind: String,
    /// A token file (hashes only) instead of the ledger's tokens (it wins when
    /// given); create tokens with `blotter token create`. Without any token,
    /// requests act as the local desk (loopback only).
    #[arg(long, value_name = "FILE", env = "BLOTTER_TOKENS")]
    pub tokens: Option<PathBuf>,
    /// Also append refusals to this file (JSON lines); they always go to the
    /// ledger's audit log, and with `--db none` to this file only.
    #[arg(long, value_name = "FILE")]
    pub audit: Option<PathBuf>,
    /// Role of requests without a token when no token is configured.
    #[arg(long, default_value = "ADVISOR")]
    pub local_role: String,
    /// Simulated seconds per wall second.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Trading date YYYY-MM-DD (default: the latest US equity trading day up to today).
    #[arg(long)]
    pub date: Option<String>,
    /// Simulated time to start at, HH:MM New York time (default: the US equity open).
    #[arg(long, default_value = "09:30")]
    pub at: String,
    /// Seed of the simulated market.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Comma-separated symbols to simulate (default: the whole universe).
    #[arg(long, value_delimiter = ',')]
    pub symbols: Option<Vec<String>>,
    /// Queue-position model of the venues: risk-averse (default), log,
    /// power[:n] or power3[:n] (see docs/market-model.md).
    #[arg(long, value_name = "NAME")]
    pub queue: Option<String>,
    /// Comma-separated tenants whose orders are accepted from the start. Any
    /// other tenant starts with execution disabled (its orders refused with
    /// `execution_disabled`) until a SUPERVISOR or ADMIN enables it. Without
    /// tokens the local desk is enabled as well.
    #[arg(long, value_delimiter = ',', value_name = "TENANTS")]
    pub enable_tenants: Vec<String>,
    /// Requests per second allowed per token (bursts of twice that).
    #[arg(long, default_value_t = 200.0)]
    pub rate_limit: f64,
    /// Largest request body in bytes.
    #[arg(long, default_value_t = 65_536)]
    pub body_limit: usize,
    /// Seconds a request may take to its response headers.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// Approval reference for live routing (also needs EXECUTION_LIVE_ENABLED=1 and an ADMIN to ask).
    #[arg(long, value_name = "REF")]
    pub approval: Option<String>,
    /// Start in live mode: always refused, since this build has no live venue adapters.
    #[arg(long)]
    pub live: bool,
    /// Ledger database: sqlite:PATH or postgres://USER@HOST/DB; `none` keeps
    /// events in memory only (default: ledger.db in the user's data directory).
    #[arg(long = "db", value_name = "URL", env = "BLOTTER_DB")]
    pub db: Option<String>,
}

fn usage(field: &str, msg: impl std::fmt::Display) -> CliError {
    CliError::usage(format!("--{field}: {msg}"))
}

/// The engine `serve` runs: whole universe (or `--symbols`) on the date, from
/// `--at`; new tenants start disabled except `--enable-tenants` (and, when
/// `open` (no tokens), the local desk that tokenless requests act as).
pub fn engine(a: &ServeArgs, open: bool) -> Result<(Engine, EngineConfig), CliError> {
    let ny = session::tz_of(Calendar::UsEquity);
    let date = match &a.date {
        Some(d) => NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
            .map_err(|_| usage("date", format!("'{d}' is not a date; allowed: YYYY-MM-DD")))?,
        None => session::last_trading_day(Calendar::UsEquity, "NYSE", Utc::now().with_timezone(&ny).date_naive()),
    };
    let at = parse_hhmm(&a.at).ok_or_else(|| usage("at", format!("'{}' is not a time; allowed: HH:MM", a.at)))?;
    let mut cfg = EngineConfig::new(a.seed, date);
    cfg.symbols = a.symbols.clone();
    cfg.origin = Some(Timestamp::from_local(ny, date, at));
    cfg.market.queue = super::order_args::parse_queue(a.queue.as_deref())?;
    let mut enabled = Vec::new();
    for t in &a.enable_tenants {
        let t = t.trim();
        if t.is_empty() || t.chars().count() > 64 || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(usage(
                "enable-tenants",
                format!("'{t}' is not a tenant; allowed: 1-64 characters without spaces"),
            ));
        }
        enabled.push(t.to_string());
    }
    if open {
        enabled.push(Actor::local(Role::Advisor).tenant.to_string());
    }
    cfg.risk = RiskConfig { new_tenants_enabled: false, enabled_tenants: enabled, ..RiskConfig::desk() };
    Ok((Engine::new(Arc::new(Universe::builtin()), cfg.clone())?, cfg))
}

/// The served engine's registration in the ledger.
struct Recorded {
    sink: Option<LedgerSink>,
    ledger: Arc<Ledger>,
    eref: EngineRef,
    resumed_at: u64,
}

/// The ledger `serve` records into, unless `--db none`.
fn open_ledger(a: &ServeArgs) -> Result<Option<Arc<Ledger>>, CliError> {
    match a.db.as_deref() {
        Some(s) if s.trim().eq_ignore_ascii_case("none") => Ok(None),
        db => Ok(Some(Arc::new(Ledger::open_arg(db).map_err(store_error)?))),
    }
}

/// The engine to serve and, with a ledger, its registration: the last
/// engine served on this ledger with the same market is resumed (its orders,
/// its event sequence), else `fresh` is registered. Done before the server's
/// runtime starts.
fn served_engine(
    ledger: Option<Arc<Ledger>>,
    cfg: &EngineConfig,
    fresh: Engine,
    actor: &Actor,
) -> Result<(Engine, Option<Recorded>), CliError> {
    let Some(ledger) = ledger else { return Ok((fresh, None)) };
    let spec = EngineSpec::new(cfg, Sources::default(), actor, fresh.now());
    let served = ledger.open_served(fresh, &spec, actor).map_err(store_error)?;
    if let Some((id, why)) = &served.passed_over {
        eprintln!("blotter serve: engine {id} is still served ({why}): starting a new one");
    }
    if served.controls > 0 {
        eprintln!("blotter serve: {} risk control(s) restored from the ledger", served.controls);
    }
    let (engine, eref, resumed_at) = (served.engine, served.eref, served.resumed_at);
    match &served.resumed {
        Some(r) => eprintln!(
            "blotter serve: resuming engine {} in {} at event {} ({} order(s) interrupted: resume or cancel them)",
            eref.id,
            ledger.target(),
            resumed_at,
            r.interrupted.len()
        ),
        None => eprintln!("blotter serve: recording into {} as engine {}", ledger.target(), eref.id),
    }
    let sink = LedgerSink::new(Arc::clone(&ledger), eref.clone());
    Ok((engine, Some(Recorded { sink: Some(sink), ledger, eref, resumed_at })))
}

/// Refusals to two logs (the ledger and `--audit FILE`).
struct Both(Arc<dyn AuditLog>, Arc<dyn AuditLog>);

impl AuditLog for Both {
    fn record(&self, entry: AuditEntry) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.1.record(entry.clone()).await;
            self.0.record(entry).await;
        })
    }
}

/// Checks the flags that need nothing running.
fn check(a: &ServeArgs) -> Result<(SocketAddr, Role), CliError> {
    if a.live {
        return Err(CliError::usage(format!("--live: {}", LiveGate::from_env(a.approval.clone()).startup_live())));
    }
    let addr: SocketAddr = a
        .bind
        .trim()
        .parse()
        .map_err(|_| usage("bind", format!("'{}' is not an address such as 127.0.0.1:8898", a.bind)))?;
    if !(a.speed.is_finite() && (0.0..=100_000.0).contains(&a.speed)) {
        return Err(usage("speed", format!("{} is not a speed; allowed: 0 to 100000", a.speed)));
    }
    if !(a.rate_limit.is_finite() && a.rate_limit > 0.0) {
        return Err(usage("rate-limit", "must be a positive number of requests per second"));
    }
    if !(a.timeout.is_finite() && a.timeout > 0.0) || a.body_limit == 0 {
        return Err(usage("timeout", "--timeout and --body-limit must be positive"));
    }
    let role: Role = a.local_role.parse().map_err(|e| usage("local-role", e))?;
    Ok((addr, role))
}

pub fn serve(a: &ServeArgs) -> Result<(), CliError> {
    let (addr, local_role) = check(a)?;
    let desk_actor = Actor::local(Role::Supervisor);
    let opened = open_ledger(a)?;
    let rt = tokio::runtime::Runtime::new().map_err(|e| CliError::runtime(format!("tokio: {e}")))?;
    let handle = opened.as_ref().map(|l| l.handle());
    // `--tokens FILE` wins; else the ledger's tokens; with neither, none.
    let (tokens, place): (Arc<dyn TokenStore>, String) = match (&a.tokens, &handle) {
        (Some(f), _) => (Arc::new(FileTokens::new(f)), f.display().to_string()),
        (None, Some(h)) => (Arc::new(LedgerTokens::new(h.clone(), desk_actor.clone())), h.target().to_string()),
        (None, None) => (Arc::new(MemoryTokens::default()), "memory".into()),
    };
    // Tokens decide the bind check and whether the local desk may trade
    // (tokenless requests act as it), so they are read before the engine.
    let listed = rt.block_on(tokens.list()).map_err(|e| usage("tokens", e))?;
    let live = listed.into_iter().filter(|r| !r.revoked).count();
    check_bind(&addr, live > 0).map_err(|e| usage("bind", e))?;
    let (fresh, cfg) = engine(a, live == 0)?;
    let (engine, mut recorded) = served_engine(opened, &cfg, fresh, &desk_actor)?;
    let sink = recorded.as_mut().and_then(|r| r.sink.take()).map(|s| Box::new(s) as Box<dyn EventSink>);
    let ledger = recorded.as_ref().map(|r| ServedLedger {
        handle: r.ledger.handle(),
        engine: r.eref.id,
        resumed_at: r.resumed_at,
    });
    let served = rt.block_on(async {
        let file = match &a.audit {
            Some(p) => Some(Arc::new(FileAudit::open(p).map_err(|e| usage("audit", format!("{}: {e}", p.display())))?)),
            None => None,
        };
        let audit: Arc<dyn AuditLog> = match (&handle, file) {
            (Some(h), Some(f)) => Arc::new(Both(Arc::new(LedgerAudit::new(h)), f)),
            (Some(h), None) => Arc::new(LedgerAudit::new(h)),
            (None, Some(f)) => f,
            (None, None) => Arc::new(MemoryAudit::default()),
        };
        let mut settings = Settings { live_gate: LiveGate::from_env(a.approval.clone()), ..Settings::default() };
        if let Some(h) = &handle {
            settings.algo_config = Arc::new(LedgerAlgoConfig::new(h.clone()));
        }
        let desk = Embedded::start_with_settings(engine, a.speed, desk_actor, sink, settings);
        let open_identity = (live == 0).then(|| Actor::local(local_role));
        let options = ApiOptions {
            body_limit: a.body_limit,
            timeout: Duration::from_secs_f64(a.timeout),
            rate: RateLimit { rate: a.rate_limit, burst: 2.0 * a.rate_limit },
            open_identity,
            ..ApiOptions::default()
        };
        let mut state = ApiState::new(desk, tokens, audit, options);
        let mut recorder = None;
        if let Some(l) = ledger {
            state = state.with_ledger(l);
            recorder = spawn_tca_recorder(&state);
        }
        let listener =
            tokio::net::TcpListener::bind(addr).await.map_err(|e| CliError::runtime(format!("--bind {addr}: {e}")))?;
        let auth = if live > 0 {
            format!("{live} token(s) in {place}")
        } else {
            format!("no tokens: requests act as desk@local ({local_role}); loopback only")
        };
        eprintln!("blotter serve: http://{addr}  PAPER mode  {auth}  (Ctrl-C stops)");
        let served = serve_until(listener, state, stop_signal()).await;
        // The recorder's last pass: orders that finished since its last tick.
        if let Some(r) = recorder {
            let _ = r.await;
        }
        served.map_err(|e| CliError::runtime(format!("serve: {e}")))
    });
    // A clean stop releases the engine in the ledger (a crash leaves it to `recover`).
    if let Some(r) = recorded {
        r.ledger.stop(&r.eref).map_err(store_error)?;
    }
    served
}

/// Ctrl-C or, on Unix, SIGTERM (what CI and service managers send).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
