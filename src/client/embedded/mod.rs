//! The engine in-process, paced against the wall clock.
//!
//! A background task advances simulated time every few milliseconds; commands
//! and queries take the same lock briefly. Events are kept in order in a
//! history (so a subscriber can resume from a sequence number without gaps)
//! and broadcast live through a bounded channel: a consumer that falls too far
//! behind is told it lagged and resyncs from a snapshot; it never stalls the
//! engine. An optional sink (the ledger) makes every batch durable before it
//! is published (see `host`), so nothing is acknowledged before it is durable.

mod host;

pub use host::{Audit, Backpressure, Commit, EventSink};

use super::algo_config::check_tenant;
use super::{
    AlgoConfig, Client, ClientError, EventStream, ModeRequest, ModeView, Settings, StreamItem, TcaGroup, TcaQuery,
};
use crate::algo::PlannedSlice;
use crate::client::ErrorCode;
use crate::engine::pace::Pacer;
use crate::engine::view::{
    BookView, ClockView, Engines, Health, Identity, InstrumentView, LedgerHealth, OrderDetail, OrderQuery, OrderRow,
    Page, VenueView,
};
use crate::engine::{Actor, Amendment, Command, Engine, OrderRequest};
use crate::model::ParentId;
use futures_util::StreamExt;
use host::Shared;
use std::sync::{Arc, Mutex, Weak};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

/// Events of the history handed to a resuming subscriber at a time.
const BACKLOG_PAGE: usize = 1_024;

/// The published events in `(after, upto]`, read from the history a page at
/// a time. Events the history no longer holds (trimmed to its window) are
/// reported once as a `Gap` with how many were missed.
fn backlog(shared: Arc<Shared>, after: u64, upto: u64) -> impl futures_util::Stream<Item = StreamItem> + Send {
    futures_util::stream::unfold(after, move |cursor| {
        let shared = Arc::clone(&shared);
        async move {
            if cursor >= upto {
                return None;
            }
            let p = shared.published();
            let first = p.history.front().map_or(p.last_seq + 1, |e| e.seq);
            if cursor + 1 < first {
                // Gone from memory: say how much, and go on from what is held.
                let next = (first - 1).min(upto);
                return Some((vec![StreamItem::Gap { missed: next - cursor }], next));
            }
            let start = p.history.partition_point(|e| e.seq <= cursor);
            let page: Vec<StreamItem> = p
                .history
                .range(start..)
                .take_while(|e| e.seq <= upto)
                .take(BACKLOG_PAGE)
                .cloned()
                .map(StreamItem::Event)
                .collect();
            let next = match page.last() {
                Some(StreamItem::Event(e)) => e.seq,
                _ => upto,
            };
            Some((page, next))
        }
    })
    .flat_map(futures_util::stream::iter)
}

/// Refuses a command during a ledger outage, before it changes anything:
/// what it did could not be made durable.
fn reachable(host: &host::Host) -> Result<(), ClientError> {
    match host.outage() {
        Some(why) => Err(ClientError::new(ErrorCode::LedgerUnavailable, format!("{why}; nothing was done, try again"))),
        None => Ok(()),
    }
}

/// How often the background task advances the clock.
const PUMP_EVERY: std::time::Duration = std::time::Duration::from_millis(10);

/// The in-process engine, as seen by one user.
#[derive(Clone)]
pub struct Embedded {
    shared: Arc<Shared>,
    actor: Actor,
    settings: Arc<Settings>,
}

impl std::fmt::Debug for Embedded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedded").field("actor", &self.actor).finish()
    }
}

impl Embedded {
    /// Starts pacing `engine` at `speed` simulated seconds per second on the
    /// current tokio runtime, acting as `actor`.
    pub fn start(engine: Engine, speed: f64, actor: Actor) -> Embedded {
        Self::start_with_sink(engine, speed, actor, None)
    }

    /// Like `start`, with a sink that makes every batch durable before it is published.
    pub fn start_with_sink(engine: Engine, speed: f64, actor: Actor, sink: Option<Box<dyn EventSink>>) -> Embedded {
        Self::start_with_settings(engine, speed, actor, sink, Settings::default())
    }

    /// Like `start_with_sink`, with per-engine settings (algo config store, live gate).
    pub fn start_with_settings(
        mut engine: Engine,
        speed: f64,
        actor: Actor,
        sink: Option<Box<dyn EventSink>>,
        settings: Settings,
    ) -> Embedded {
        engine.keep_finished_children(settings.finished_children);
        let pacer = Pacer::new(engine.now(), speed);
        let shared = Shared::new(engine, pacer, sink, settings.live_buffer, settings.history_window);
        let weak: Weak<Shared> = Arc::downgrade(&shared);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PUMP_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                let Some(shared) = weak.upgrade() else { return };
                // Engine work is CPU-bound: keep it off the async workers.
                let _ = tokio::task::spawn_blocking(move || shared.pump()).await;
            }
        });
        Embedded { shared, actor, settings: Arc::new(settings) }
    }

    /// The same engine acting as another user (several desks on one engine).
    pub fn as_actor(&self, actor: Actor) -> Embedded {
        Embedded { shared: Arc::clone(&self.shared), actor, settings: Arc::clone(&self.settings) }
    }

    /// Sequence number of the last event published (0 before the first).
    pub fn last_seq(&self) -> u64 {
        self.shared.published().last_seq
    }

    /// Sequence number of the oldest event still held in memory (one past
    /// `last_seq` when none is): a subscriber resuming from before it is
    /// served from the ledger.
    pub fn first_held_seq(&self) -> u64 {
        let p = self.shared.published();
        p.history.front().map_or(p.last_seq + 1, |e| e.seq)
    }

    /// Live subscribers of this engine (every handle's streams).
    pub fn subscribers(&self) -> usize {
        self.shared.live.receiver_count()
    }

    /// The ledger's state: durable or memory-only, failed or not, last fill.
    pub fn ledger(&self) -> LedgerHealth {
        let (durable, outage) = {
            let host = self.shared.lock();
            (host.sink.is_some(), host.outage())
        };
        let p = self.shared.published();
        let status = match (&p.sink_error, &outage, durable) {
            (Some(_), _, _) => "failed",
            (None, Some(_), _) => "unreachable",
            (None, None, true) => "ok",
            (None, None, false) => "memory",
        };
        LedgerHealth {
            status: status.into(),
            durable,
            last_fill_at: p.last_fill_at,
            last_seq: p.last_seq,
            error: p.sink_error.clone().or(outage),
        }
    }

    /// The per-engine settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The engine's number in its ledger (0 when it is not recorded).
    pub fn number(&self) -> u32 {
        self.shared.lock().engine.number()
    }

    /// Order `id` as the engine holds it now, whoever may see it.
    pub fn parent(&self, id: ParentId) -> Option<crate::model::ParentOrder> {
        self.shared.lock().engine.parent(id).cloned()
    }

    async fn configured(&self, mut req: OrderRequest) -> Result<OrderRequest, ClientError> {
        self.settings.algo_config.load(&self.actor, None).await?.apply(&mut req)?;
        Ok(req)
    }

    fn executing(&self) -> Result<(), ClientError> {
        if self.actor.role.can_execute() {
            return Ok(());
        }
        Err(ClientError::new(ErrorCode::Forbidden, format!("role {} has no access to execution", self.actor.role)))
    }

    /// Who this handle acts as.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Runs `f` on the engine under the lock, then hands on what it emitted
    /// (published once durable; not waited for).
    pub fn with_engine<R>(&self, f: impl FnOnce(&mut Engine) -> R) -> R {
        let mut host = self.shared.lock();
        self.shared.catch_up(&mut host);
        let r = f(&mut host.engine);
        let _ = self.shared.flush(&mut host, None);
        r
    }

    /// Applies a command and returns once what it caused is durable and published.
    async fn command(&self, cmd: Command) -> Result<Option<ParentId>, ClientError> {
        let (result, flushed) = {
            let mut host = self.shared.lock();
            if let Some(e) = self.shared.sink_error() {
                return Err(ClientError::new(
                    ErrorCode::LedgerUnavailable,
                    format!(
                        "the ledger failed ({e}), so the engine stopped: nothing was done, and nothing can be until \
                         the server is restarted; try again then"
                    ),
                ));
            }
            reachable(&host)?;
            self.shared.catch_up(&mut host);
            // Events due before the command go on their own, so the command's
            // batch holds exactly what it caused (and its audit record).
            let _ = self.shared.flush(&mut host, None);
            let result = host.engine.apply(&self.actor, cmd.clone());
            let flushed = self.shared.flush(&mut host, Some((&self.actor, &cmd, &result)));
            (result.map_err(|r| (r, host.sink.is_some())), flushed)
        };
        // The lock is released while the batch commits; batches publish in order.
        flushed.wait().await?;
        // A refusal committed with the batch is in the ledger's audit log already.
        result.map_err(|(r, sunk)| if sunk { ClientError::from(r).audited_by_engine() } else { r.into() })
    }

    fn row(&self, id: ParentId) -> Result<OrderRow, ClientError> {
        let host = self.shared.lock();
        host.engine
            .order_detail(&self.actor, id)
            .map(|d| d.row)
            .ok_or_else(|| ClientError::not_found(format!("no order {id}")))
    }

    fn read<R>(&self, f: impl FnOnce(&Engine, &Pacer) -> R) -> R {
        let host = self.shared.lock();
        f(&host.engine, &host.pacer)
    }

    async fn act(&self, cmd: Command, id: ParentId) -> Result<OrderRow, ClientError> {
        self.command(cmd).await?;
        self.row(id)
    }
}

impl Client for Embedded {
    fn describe(&self) -> String {
        "embedded".to_string()
    }

    async fn whoami(&self) -> Result<Identity, ClientError> {
        // Client personas are refused everything but health.
        self.executing()?;
        let mut id = Identity::of(&self.actor);
        id.controls = Some(self.read(|e, _| e.controls_for(&self.actor)));
        Ok(id)
    }

    async fn health(&self) -> Result<Health, ClientError> {
        let ledger = self.ledger();
        Ok(self.read(|e, p| Health {
            status: if ledger.error.is_some() { "degraded" } else { "ok" }.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            paper_mode: true,
            engine: "embedded".into(),
            now: e.now(),
            open_orders: e.parents().filter(|p| !p.status.is_terminal()).count(),
            last_seq: ledger.last_seq,
            engines: Engines {
                paper: match ledger.status.as_str() {
                    "failed" => "stopped",
                    "unreachable" => "waiting for the ledger",
                    _ => "running",
                }
                .into(),
                live: "unavailable".into(),
                date: e.date().to_string(),
                speed: if p.is_frozen() { 0.0 } else { p.speed() },
            },
            ledger,
        }))
    }

    async fn clock(&self) -> Result<ClockView, ClientError> {
        self.executing()?;
        Ok(self.read(|e, p| {
            let mut c = e.clock(Some(if p.is_frozen() { 0.0 } else { p.speed() }));
            c.effective_speed = p.effective_speed();
            c
        }))
    }

    async fn set_speed(&self, speed: f64) -> Result<ClockView, ClientError> {
        self.executing()?;
        if let Some(why) = speed_refusal(speed) {
            return Err(ClientError::new(ErrorCode::InvalidSpeed, why).with_field("speed"));
        }
        let mut host = self.shared.lock();
        host.pacer.set_frozen(speed == 0.0);
        if speed > 0.0 {
            host.pacer.set_speed(speed);
        }
        self.shared.catch_up(&mut host);
        let _ = self.shared.flush(&mut host, None);
        Ok(host.engine.clock(Some(speed)))
    }

    async fn instruments(&self) -> Result<Vec<InstrumentView>, ClientError> {
        self.executing()?;
        Ok(self.read(|e, _| e.instruments()))
    }

    async fn submit(&self, req: OrderRequest) -> Result<OrderRow, ClientError> {
        // A client persona is refused before the desk's configuration is read.
        self.executing()?;
        reachable(&self.shared.lock())?;
        let req = self.configured(req).await?;
        let id = self
            .command(Command::Submit(req))
            .await?
            .ok_or_else(|| ClientError::new(ErrorCode::Internal, "submit returned no id"))?;
        self.row(id)
    }

    async fn amend(&self, id: ParentId, change: Amendment) -> Result<OrderRow, ClientError> {
        self.act(Command::Amend { id, change }, id).await
    }

    async fn cancel(&self, id: ParentId) -> Result<OrderRow, ClientError> {
        self.act(Command::Cancel { id }, id).await
    }

    async fn pause(&self, id: ParentId) -> Result<OrderRow, ClientError> {
        self.act(Command::Pause { id }, id).await
    }

    async fn resume(&self, id: ParentId) -> Result<OrderRow, ClientError> {
        self.act(Command::Resume { id }, id).await
    }

    async fn kill_all(&self) -> Result<Vec<ParentId>, ClientError> {
        let before: Vec<ParentId> =
            self.read(|e, _| e.parents().filter(|p| !p.status.is_terminal()).map(|p| p.id).collect());
        self.command(Command::KillAll).await?;
        Ok(before)
    }

    async fn schedule(&self, req: OrderRequest) -> Result<Vec<PlannedSlice>, ClientError> {
        self.executing()?;
        let req = self.configured(req).await?;
        Ok(self.read(|e, _| e.preview(&req))?)
    }

    async fn orders(&self, q: OrderQuery) -> Result<Page<OrderRow>, ClientError> {
        self.executing()?;
        Ok(self.read(|e, _| e.orders(&self.actor, &q)))
    }

    async fn order(&self, id: ParentId) -> Result<OrderDetail, ClientError> {
        self.executing()?;
        self.read(|e, _| e.order_detail(&self.actor, id))
            .ok_or_else(|| ClientError::not_found(format!("no order {id}")))
    }

    async fn book(&self, symbol: &str) -> Result<BookView, ClientError> {
        self.executing()?;
        self.read(|e, _| e.book(&self.actor, symbol))
            .ok_or_else(|| ClientError::not_found(format!("no market for '{symbol}' today")))
    }

    async fn venues(&self, symbol: &str) -> Result<Vec<VenueView>, ClientError> {
        self.executing()?;
        let v = self.read(|e, _| e.venue_views(&self.actor, symbol));
        if v.is_empty() {
            return Err(ClientError::not_found(format!("no market for '{symbol}' today")));
        }
        Ok(v)
    }

    async fn risk(&self) -> Result<crate::engine::RiskView, ClientError> {
        Ok(self.read(|e, _| e.risk_view(&self.actor))?)
    }

    async fn set_limits(
        &self,
        tenant: &str,
        user: Option<&str>,
        limits: crate::risk::Limits,
    ) -> Result<crate::engine::RiskView, ClientError> {
        self.command(Command::SetLimits { tenant: tenant.to_string(), user: user.map(str::to_string), limits }).await?;
        self.risk().await
    }

    async fn set_desk_limits(&self, limits: crate::risk::Limits) -> Result<crate::engine::RiskView, ClientError> {
        self.command(Command::SetDeskLimits { limits }).await?;
        self.risk().await
    }

    async fn set_trading_state(
        &self,
        tenant: Option<&str>,
        state: crate::risk::TradingState,
    ) -> Result<crate::engine::RiskView, ClientError> {
        self.command(Command::SetTradingState { tenant: tenant.map(str::to_string), state }).await?;
        self.risk().await
    }

    async fn set_execution(&self, tenant: &str, enabled: bool) -> Result<crate::engine::RiskView, ClientError> {
        self.command(Command::SetExecution { tenant: tenant.to_string(), enabled }).await?;
        self.risk().await
    }

    async fn kill_tenant(&self, tenant: &str) -> Result<Vec<ParentId>, ClientError> {
        let before: Vec<ParentId> = self.read(|e, _| {
            e.parents().filter(|p| !p.status.is_terminal() && *p.owner.tenant == *tenant).map(|p| p.id).collect()
        });
        self.command(Command::KillTenant { tenant: tenant.to_string() }).await?;
        Ok(before)
    }

    async fn tca(&self, id: ParentId) -> Result<crate::tca::TcaReport, ClientError> {
        self.executing()?;
        self.read(|e, _| e.order_tca_report(&self.actor, id))
            .ok_or_else(|| ClientError::not_found(format!("no order {id}")))
    }

    async fn subscribe(&self, after: Option<u64>) -> Result<EventStream, ClientError> {
        self.executing()?;
        let actor = self.actor.clone();
        let (upto, rx, visible) = {
            let host = self.shared.lock();
            let visible = host.engine.seen_by(&actor);
            // Subscribing under the history lock: everything published after
            // `upto` reaches the live receiver, everything up to it is in the
            // history (or was trimmed, and is reported as a gap): no hole.
            let published = self.shared.published();
            let rx = self.shared.live.subscribe();
            (published.last_seq, rx, visible)
        };
        let filter = Arc::new(Mutex::new(visible));
        let f1 = Arc::clone(&filter);
        // The backlog is read from the history a page at a time as the
        // consumer reads, not copied at once: a subscriber that resumes from
        // far back and then stalls holds one page, not the day.
        let head = backlog(Arc::clone(&self.shared), after.unwrap_or(upto), upto).filter_map(move |item| {
            let item = match item {
                StreamItem::Event(e) => f1.lock().ok().and_then(|mut v| v.admit_owned(e)).map(StreamItem::Event),
                other => Some(other),
            };
            async move { item }
        });
        // A position ahead of what was published skips what comes before it.
        let floor = after.map_or(upto, |a| a.max(upto));
        let tail = BroadcastStream::new(rx).filter_map(move |r| {
            let item = match r {
                Ok(e) if e.seq <= floor => None,
                Ok(e) => filter.lock().ok().and_then(|mut v| v.admit_owned(e)).map(StreamItem::Event),
                Err(BroadcastStreamRecvError::Lagged(n)) => Some(StreamItem::Lagged { missed: n }),
            };
            async move { item }
        });
        Ok(Box::pin(head.chain(tail)))
    }

    async fn estimate(&self, req: OrderRequest) -> Result<crate::impact::Estimate, ClientError> {
        self.executing()?;
        let req = self.configured(req).await?;
        Ok(self.read(|e, _| e.estimate(&req, &crate::impact::Coefficients::default()))?)
    }

    async fn tca_groups(&self, q: TcaQuery) -> Result<Vec<TcaGroup>, ClientError> {
        self.read(|e, _| super::tca_groups::aggregate(e, &self.actor, q))
    }

    async fn algo_config(&self, tenant: Option<&str>) -> Result<AlgoConfig, ClientError> {
        self.executing()?;
        if let Some(t) = tenant {
            check_tenant(t)?;
            if !self.actor.role.is_supervisor() && *self.actor.tenant != *t {
                return Err(ClientError::new(
                    ErrorCode::Forbidden,
                    format!("tenant {t}'s algo configuration is not yours to read"),
                ));
            }
        }
        self.settings.algo_config.load(&self.actor, tenant).await
    }

    async fn set_algo_config(&self, tenant: Option<&str>, cfg: AlgoConfig) -> Result<AlgoConfig, ClientError> {
        if !self.actor.role.is_supervisor() {
            return Err(ClientError::new(
                ErrorCode::Forbidden,
                format!(
                    "changing the algo configuration needs the SUPERVISOR or ADMIN role; you are {}",
                    self.actor.role
                ),
            ));
        }
        if let Some(t) = tenant {
            check_tenant(t)?;
        }
        self.read(|e, _| cfg.validate(e))?;
        self.settings.algo_config.save(&self.actor, tenant, cfg.clone()).await?;
        Ok(cfg)
    }

    async fn mode(&self) -> Result<ModeView, ClientError> {
        self.executing()?;
        Ok(self.settings.live_gate.view())
    }

    async fn set_mode(&self, req: ModeRequest) -> Result<ModeView, ClientError> {
        self.settings.live_gate.decide(self.actor.role, req.mode)?;
        Ok(self.settings.live_gate.view())
    }
}

/// Why `speed` is not a pace the clock takes (`None`: it is): the value shown
/// compactly (`1e300` was written out in 301 digits), the range in plain figures.
pub(crate) fn speed_refusal(speed: f64) -> Option<String> {
    use crate::engine::pace::MAX_SPEED;
    let why = if !speed.is_finite() {
        "is not a finite number"
    } else if speed < 0.0 {
        "is negative"
    } else if speed > MAX_SPEED {
        "is above the maximum"
    } else {
        return None;
    };
    let shown = crate::model::human::figure(speed);
    let max = crate::model::human::fixed(MAX_SPEED, 0);
    Some(format!("speed: {shown} {why}; allowed: 0 (pause) to {max} simulated seconds per second"))
}
