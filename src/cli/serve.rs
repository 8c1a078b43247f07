//! `blotter serve`: the HTTP sidecar over one shared paper engine.

use super::CliError;
use super::ledger_args::store_error;
use crate::api::audit::{AuditEntry, AuditLog, FileAudit, MemoryAudit};
use crate::api::ledger::{LedgerAlgoConfig, LedgerAudit, LedgerTokens, ServedLedger, spawn_tca_recorder};
use crate::api::tokens::{FileTokens, MemoryTokens, TokenStore};
use crate::api::{ApiOptions, ApiState, check_bind, limit::RateLimit, server::serve_until};
use crate::client::desk::keeper::{self, Keeping};
use crate::client::desk::{DeskLedger, Hosted, relay};
use crate::client::{Desk, Embedded, FINISHED_CHILDREN, LiveGate, Settings};
use crate::engine::{Actor, Engine, EngineConfig, FinishedChildren};
use crate::market::{Universe, session};
use crate::model::{Calendar, Role, Timestamp, time::parse_hhmm};
use crate::risk::RiskConfig;
use crate::store::served::Served;
use crate::store::sink::LedgerSink;
use crate::store::{DbTarget, EngineRef, EngineSpec, Ledger, MIN_LEASE_MS, ServeLock, Sources, StoreError};
use chrono::Utc;
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
    /// Event streams (`GET /v1/events`) one token may hold open at once; one more is refused with 429.
    #[arg(long, default_value_t = crate::api::DEFAULT_STREAMS_PER_TOKEN)]
    pub streams_per_token: usize,
    /// Connections one client network (an IPv4 address, an IPv6 /64) may hold open at once; one more is closed at once.
    #[arg(long, default_value_t = crate::api::DEFAULT_CONNECTIONS_PER_NETWORK)]
    pub connections_per_address: usize,
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
    /// An SQLite ledger is served by one instance; several instances share a
    /// PostgreSQL database as one desk.
    #[arg(long = "db", value_name = "URL", env = "BLOTTER_DB")]
    pub db: Option<String>,
    /// Seconds this instance's engines count as running after their last
    /// heartbeat: another instance takes them over once it runs out.
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    pub lease: f64,
    /// Start a new engine even when the desk already runs another market on
    /// the same trading day (otherwise refused, naming that engine).
    #[arg(long)]
    pub new_engine: bool,
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
        Some(d) => crate::model::time::parse_date(d).map_err(|e| usage("date", e))?,
        None => session::last_trading_day(Calendar::UsEquity, "NYSE", Utc::now().with_timezone(&ny).date_naive()),
    };
    let at = parse_hhmm(&a.at).ok_or_else(|| usage("at", format!("'{}' is not a time; allowed: HH:MM", a.at)))?;
    let mut cfg = EngineConfig::new(a.seed, date);
    cfg.symbols = a.symbols.clone();
    cfg.origin = Some(Timestamp::from_local(ny, date, at));
    cfg.market.queue = super::order_args::parse_queue(a.queue.as_deref())?;
    // Memory bounded over a day of any length; the TCA is the same (running statistics).
    cfg.retention = crate::engine::Retention::Bounded;
    let mut enabled = Vec::new();
    for t in &a.enable_tenants {
        let t = t.trim();
        crate::model::check_name("tenant", t).map_err(|e| usage("enable-tenants", e))?;
        enabled.push(t.to_string());
    }
    if open {
        enabled.push(Actor::local(Role::Advisor).tenant.to_string());
    }
    cfg.risk = RiskConfig { new_tenants_enabled: false, enabled_tenants: enabled, ..RiskConfig::desk() };
    // The engine names the field `symbol`; here the flag is `--symbols`.
    let engine = Engine::new(Arc::new(Universe::builtin()), cfg.clone()).map_err(|r| match r.field.as_deref() {
        Some("symbol") => usage("symbols", r.message),
        _ => r.into(),
    })?;
    Ok((engine, cfg))
}

/// The served engines' registrations in the ledger.
struct Recorded {
    ledger: Arc<Ledger>,
    /// The home engine (new orders go to it).
    eref: EngineRef,
    resumed_at: u64,
    /// Engines with open orders that nobody ran, taken over at start.
    adopted: Vec<Served>,
}

/// An open ledger and, for SQLite, the lock that keeps it to this instance.
type Opened = (Arc<Ledger>, Option<ServeLock>);

/// Warnings from the desk's background tasks (takeovers, relays, the ledger
/// listener) go to stderr beside serve's own lines: without a subscriber
/// `tracing` drops them, and an operator would never see a takeover.
fn log_to_stderr() {
    use tracing_subscriber::layer::SubscriberExt;
    // Ours only: the database driver's own warnings (slow connection
    // acquisitions during an outage) would bury what an operator needs.
    let ours = tracing_subscriber::filter::Targets::new().with_target("blotter", tracing::Level::WARN);
    let sub = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .with_max_level(tracing::Level::WARN)
        .finish()
        .with(ours);
    // A second `serve` in the same process (tests) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(sub);
}

/// The ledger `serve` records into, unless `--db none`, with its
/// single-instance lock when it is an SQLite file (taken before anything is
/// written: a second server on the file is refused with nothing changed).
fn open_ledger(a: &ServeArgs) -> Result<Option<Opened>, CliError> {
    let db = match a.db.as_deref() {
        Some(s) if s.trim().eq_ignore_ascii_case("none") => return Ok(None),
        db => db,
    };
    let target = DbTarget::resolve(db).map_err(store_error)?;
    if db.is_none()
        && let Some(dir) = target.sqlite_path().and_then(|p| p.parent())
    {
        std::fs::create_dir_all(dir).map_err(|e| CliError::runtime(format!("{}: {e}", dir.display())))?;
    }
    let lock = target.lock_for_serve().map_err(store_error)?;
    let ledger = Ledger::open(&target).map_err(store_error)?;
    ledger.set_lease(Duration::from_secs_f64(a.lease));
    Ok(Some((Arc::new(ledger), lock)))
}

/// The engine to serve and, with a ledger, its registration (see
/// `Ledger::start_desk`): the desk's free engine with the same market
/// resumed (its orders, its event sequence), else `fresh` registered; what
/// was done said on the terminal. Done before the server's runtime starts,
/// after everything that could refuse the start.
fn served_engine(
    ledger: Option<Arc<Ledger>>,
    cfg: &EngineConfig,
    fresh: Engine,
    actor: &Actor,
    new_engine: bool,
) -> Result<(Engine, Option<Recorded>), CliError> {
    let Some(ledger) = ledger else { return Ok((fresh, None)) };
    let spec = EngineSpec::new(cfg, Sources::default(), actor, fresh.now());
    let started = ledger.start_desk(fresh, &spec, actor, new_engine, true).map_err(|e| match e {
        StoreError::Refused(m) => CliError::usage(format!("blotter serve: {m}")),
        other => store_error(other),
    })?;
    for note in &started.notes {
        eprintln!("blotter serve: {note}");
    }
    let served = started.home;
    if served.controls > 0 {
        eprintln!("blotter serve: {} risk control(s) restored from the ledger", served.controls);
    }
    let (engine, eref) = (served.engine, served.eref);
    match &served.resumed {
        Some(r) => eprintln!(
            "blotter serve: resuming engine {} in {} at event {} ({} order(s) interrupted: resume or cancel them)",
            eref.id,
            ledger.target(),
            served.resumed_at,
            r.interrupted.len()
        ),
        None => eprintln!("blotter serve: recording into {} as engine {}", ledger.target(), eref.id),
    }
    Ok((engine, Some(Recorded { ledger, eref, resumed_at: served.resumed_at, adopted: started.adopted })))
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
    use crate::engine::pace::MAX_SPEED;
    if !(a.speed.is_finite() && (0.0..=MAX_SPEED).contains(&a.speed)) {
        return Err(usage(
            "speed",
            format!("{} is not a speed; allowed: 0 to {MAX_SPEED}", crate::model::human::figure(a.speed)),
        ));
    }
    if !(a.rate_limit.is_finite() && a.rate_limit > 0.0) {
        return Err(usage("rate-limit", "must be a positive number of requests per second"));
    }
    if !(a.timeout.is_finite() && a.timeout > 0.0 && a.timeout <= 3_600.0) {
        return Err(usage(
            "timeout",
            format!("{} is not a time-out; allowed: more than 0 and at most 3600 seconds", a.timeout),
        ));
    }
    if !(1..=64 * 1024 * 1024).contains(&a.body_limit) {
        return Err(usage("body-limit", format!("{} is not a body limit; allowed: 1 to 67108864 bytes", a.body_limit)));
    }
    if !(1..=10_000).contains(&a.streams_per_token) {
        return Err(usage(
            "streams-per-token",
            format!("{} is not a number of event streams; allowed: 1 to 10000", a.streams_per_token),
        ));
    }
    if !(1..=1_000_000).contains(&a.connections_per_address) {
        return Err(usage(
            "connections-per-address",
            format!("{} is not a number of connections; allowed: 1 to 1000000", a.connections_per_address),
        ));
    }
    let min_lease = MIN_LEASE_MS as f64 / 1e3;
    if !(a.lease.is_finite() && (min_lease..=3_600.0).contains(&a.lease)) {
        return Err(usage("lease", format!("{} is not a lease; allowed: {min_lease} to 3600 seconds", a.lease)));
    }
    let role: Role = a.local_role.parse().map_err(|e| usage("local-role", e))?;
    Ok((addr, role))
}

/// The address, listening: bound before any engine is registered, so a
/// port in use stops the start with nothing left behind.
fn listen(addr: SocketAddr) -> Result<std::net::TcpListener, CliError> {
    let l = std::net::TcpListener::bind(addr).map_err(|e| CliError::runtime(format!("--bind {addr}: {e}")))?;
    l.set_nonblocking(true).map_err(|e| CliError::runtime(format!("--bind {addr}: {e}")))?;
    Ok(l)
}

pub fn serve(a: &ServeArgs) -> Result<(), CliError> {
    let (addr, local_role) = check(a)?;
    log_to_stderr();
    let desk_actor = Actor::local(Role::Supervisor);
    // Everything that can refuse the start comes before the engine is
    // registered: a failed start leaves no new engine to hide the desk's.
    let socket = listen(addr)?;
    let opened = open_ledger(a)?;
    let rt = tokio::runtime::Runtime::new().map_err(|e| CliError::runtime(format!("tokio: {e}")))?;
    let handle = opened.as_ref().map(|(l, _)| l.handle());
    // `--tokens FILE` wins; else the ledger's tokens; with neither, none.
    let (tokens, place): (Arc<dyn TokenStore>, String) = match (&a.tokens, &handle) {
        (Some(f), _) => (Arc::new(FileTokens::new(f)), f.display().to_string()),
        (None, Some(h)) => (Arc::new(LedgerTokens::new(h.clone(), desk_actor.clone())), h.target().to_string()),
        (None, None) => (Arc::new(MemoryTokens::default()), "memory".into()),
    };
    // Tokens decide the bind check and whether the local desk may trade
    // (tokenless requests act as it), so they are read before the engine.
    let listed = rt.block_on(tokens.list()).map_err(|e| usage("tokens", e))?;
    // Expired tokens count: a desk whose tokens all expired stays closed to
    // tokenless requests (it does not fall back to the open local desk).
    let live = listed.into_iter().filter(|r| !r.revoked).count();
    check_bind(&addr, live > 0).map_err(|e| usage("bind", e))?;
    let file_audit = match &a.audit {
        Some(p) => Some(Arc::new(FileAudit::open(p).map_err(|e| usage("audit", format!("{}: {e}", p.display())))?)),
        None => None,
    };
    let (fresh, cfg) = engine(a, live == 0)?;
    let (ledger, _lock) = opened.unzip();
    let (engine, mut recorded) = served_engine(ledger, &cfg, fresh, &desk_actor, a.new_engine)?;
    let lease = Duration::from_secs_f64(a.lease);
    let served = rt.block_on(async {
        let audit: Arc<dyn AuditLog> = match (&handle, file_audit) {
            (Some(h), Some(f)) => Arc::new(Both(Arc::new(LedgerAudit::new(h)), f)),
            (Some(h), None) => Arc::new(LedgerAudit::new(h)),
            (None, Some(f)) => f,
            (None, None) => Arc::new(MemoryAudit::default()),
        };
        let mut settings = Settings {
            live_gate: LiveGate::from_env(a.approval.clone()),
            // A day's children would be most of a served engine's memory; the
            // ledger has them all (without one, only the most recent are shown).
            finished_children: FinishedChildren::Recent(FINISHED_CHILDREN),
            ..Settings::default()
        };
        if let Some(h) = &handle {
            settings.algo_config = Arc::new(LedgerAlgoConfig::new(h.clone()));
        }
        let desk = match &mut recorded {
            Some(r) => served_desk(r, engine, a.speed, &desk_actor, &settings, lease),
            None => Desk::single(Embedded::start_with_settings(engine, a.speed, desk_actor, None, settings)),
        };
        let open_identity = (live == 0).then(|| Actor::local(local_role));
        let options = ApiOptions {
            body_limit: a.body_limit,
            streams_per_token: a.streams_per_token,
            connections_per_network: a.connections_per_address,
            timeout: Duration::from_secs_f64(a.timeout),
            rate: RateLimit { rate: a.rate_limit, burst: 2.0 * a.rate_limit },
            open_identity,
            ..ApiOptions::default()
        };
        let mut state = ApiState::new(desk.clone(), tokens, audit, options);
        let mut recorder = None;
        if let Some(r) = &recorded {
            let l = ServedLedger { handle: r.ledger.handle(), engine: r.eref.id, resumed_at: r.resumed_at };
            state = state.with_ledger(l);
            recorder = spawn_tca_recorder(&state);
        }
        let listener =
            tokio::net::TcpListener::from_std(socket).map_err(|e| CliError::runtime(format!("--bind {addr}: {e}")))?;
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
        served.map_err(|e| CliError::runtime(format!("serve: {e}"))).map(|()| desk)
    });
    // A clean stop releases the engines in the ledger (a crash leaves them to
    // be taken over once their lease runs out).
    if let (Some(r), Ok(desk)) = (&recorded, &served) {
        for h in desk.all_hosted() {
            let Some(eref) = &h.eref else { continue };
            match r.ledger.stop(eref) {
                Ok(()) => {}
                // Lost to another process meanwhile: not ours to stop.
                Err(StoreError::Fenced(m)) => eprintln!("blotter serve: {m}"),
                Err(e) => return Err(store_error(e)),
            }
        }
    }
    served.map(drop)
}

/// The desk this instance serves over its ledger: the home engine and those
/// taken over at start, each recording into the ledger, with the tasks that
/// carry out what other instances forward and take over engines whose
/// instance died (`client::desk`).
fn served_desk(
    r: &mut Recorded,
    home: Engine,
    speed: f64,
    actor: &Actor,
    settings: &Settings,
    lease: Duration,
) -> Desk {
    let date = home.date();
    let start = |engine: Engine, eref: &EngineRef| {
        let sink = LedgerSink::new(Arc::clone(&r.ledger), eref.clone());
        Embedded::start_with_settings(engine, speed, actor.clone(), Some(Box::new(sink)), settings.clone())
    };
    let hosted = Hosted { engine: start(home, &r.eref), eref: Some(r.eref.clone()), resumed_at: r.resumed_at };
    let ledger = DeskLedger { ledger: Arc::clone(&r.ledger), handle: r.ledger.handle(), date };
    let desk = Desk::new(hosted, ledger);
    for s in std::mem::take(&mut r.adopted) {
        let interrupted = s.resumed.as_ref().map_or(0, |x| x.interrupted.len());
        eprintln!(
            "blotter serve: took engine E{} over ({interrupted} order(s) interrupted: resume or cancel them)",
            s.eref.id
        );
        desk.add(Hosted { engine: start(s.engine, &s.eref), eref: Some(s.eref), resumed_at: s.resumed_at });
    }
    tokio::spawn(relay::serve_forwarded(desk.clone()));
    // Looked at twice per lease, at least every second: an engine whose
    // instance died is taken over within its lease and a second.
    let every = (lease / 2).min(Duration::from_secs(1));
    let keeping = Keeping { every, speed, actor: actor.clone(), settings: settings.clone() };
    tokio::spawn(keeper::keep(desk.clone(), keeping));
    desk
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
