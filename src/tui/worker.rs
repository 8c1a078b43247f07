//! Background work, apart from drawing (gitui's asyncgit idea): client calls
//! run in tasks and send their results back as `Msg`; a refresher reloads
//! what the view needs when events say something changed; a ticker polls the
//! clock and health; the event stream is followed and resumed after a drop.
//! Generic over the client, so the embedded engine and a sidecar look alike.

use super::app::{Effect, Msg, SPEED, Snapshot, Want};
use super::ticket::Preview;
use crate::client::{Client, ClientError, ErrorCode, StreamItem, TcaQuery};
use crate::engine::OrderRequest;
use crate::engine::view::OrderQuery;
use crate::model::human;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc, watch};

/// Shortest interval between two refreshes (events arrive much faster at high speed).
const REFRESH_EVERY: Duration = Duration::from_millis(150);
/// Refresh anyway this often, so figures that move without events (mid, slippage) stay live.
const REFRESH_IDLE: Duration = Duration::from_millis(1_000);
/// Clock and health polling.
const TICK: Duration = Duration::from_millis(500);
/// First retry delay after a failed greeting or subscription (doubles up to `RETRY_MAX`).
const RETRY_MIN: Duration = Duration::from_millis(200);
/// Longest retry delay.
const RETRY_MAX: Duration = Duration::from_secs(5);

/// Loads what the view needs in one go.
pub async fn load<C: Client>(client: &C, want: &Want) -> Result<Snapshot, ClientError> {
    let orders = client.orders(OrderQuery::default()).await?.items;
    let mut details = std::collections::HashMap::new();
    for id in &want.details {
        // An order can vanish from view (another desk's, after a role change): skip it.
        if let Ok(d) = client.order(*id).await {
            details.insert(*id, d);
        }
    }
    let tca = match want.tca {
        Some(id) => client.tca(id).await.ok().map(|t| (id, t)),
        None => None,
    };
    let (book, venues) = match &want.symbol {
        Some(s) => (client.book(s).await.ok(), client.venues(s).await.unwrap_or_default()),
        None => (None, Vec::new()),
    };
    let (risk, tca_groups) = match want.supervisor {
        Some(by) => (Some(client.risk().await), Some((by, client.tca_groups(TcaQuery::by(by)).await))),
        None => (None, None),
    };
    Ok(Snapshot { orders, details, tca, book, venues, risk, tca_groups })
}

/// The ticket's pre-trade data: schedule, per-model estimate and book.
pub async fn preview<C: Client>(c: &C, req: Option<OrderRequest>, symbol: Option<String>) -> Preview {
    let (slices, estimate) = match &req {
        Some(r) => (Some(c.schedule(r.clone()).await), Some(c.estimate(r.clone()).await)),
        None => (None, None),
    };
    let book = match symbol {
        Some(s) => c.book(&s).await.ok(),
        None => None,
    };
    Preview { request: req, slices, estimate, book }
}

/// The background side of the app.
pub struct Worker<C: Client> {
    client: Arc<C>,
    tx: mpsc::UnboundedSender<Msg>,
    dirty: Arc<Notify>,
    /// The last speed asked for. Speed changes go one at a time and the last
    /// one wins: keys pressed quickly cannot land out of order.
    speed: Arc<watch::Sender<Option<f64>>>,
}

impl<C: Client> Clone for Worker<C> {
    fn clone(&self) -> Self {
        Worker {
            client: Arc::clone(&self.client),
            tx: self.tx.clone(),
            dirty: Arc::clone(&self.dirty),
            speed: Arc::clone(&self.speed),
        }
    }
}

impl<C: Client> Worker<C> {
    /// Starts the refresher, the ticker and the stream follower.
    pub fn start(client: Arc<C>, tx: mpsc::UnboundedSender<Msg>, want: watch::Receiver<Want>) -> Worker<C> {
        let (speed, speeds) = watch::channel(None);
        let w = Worker { client, tx, dirty: Arc::new(Notify::new()), speed: Arc::new(speed) };
        tokio::spawn(w.clone().speeds(speeds));
        tokio::spawn(w.clone().hello());
        tokio::spawn(w.clone().refresher(want));
        tokio::spawn(w.clone().ticker());
        tokio::spawn(w.clone().follow());
        w
    }

    /// Asks for a refresh soon.
    pub fn poke(&self) {
        self.dirty.notify_one();
    }

    /// Who we are and what we can trade, asked again with backoff until the
    /// engine answers (a sidecar may be down when the UI starts).
    async fn hello(self) {
        let mut delay = RETRY_MIN;
        loop {
            let id = self.client.whoami().await;
            let inst = self.client.instruments().await;
            match (id, inst) {
                (Ok(id), Ok(inst)) => {
                    let _ = self.tx.send(Msg::Hello(id, inst));
                    return;
                }
                (Err(e), _) | (_, Err(e)) => {
                    if self.tx.send(Msg::Health(Err(e), 0.0)).is_err() {
                        return;
                    }
                }
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(RETRY_MAX);
        }
    }

    async fn refresher(self, mut want: watch::Receiver<Want>) {
        let mut last = Instant::now() - REFRESH_EVERY;
        loop {
            tokio::select! {
                _ = self.dirty.notified() => {}
                r = want.changed() => if r.is_err() { return },
                _ = tokio::time::sleep(REFRESH_IDLE) => {}
            }
            let wait = REFRESH_EVERY.saturating_sub(last.elapsed());
            tokio::time::sleep(wait).await;
            last = Instant::now();
            let w = want.borrow_and_update().clone();
            match load(&*self.client, &w).await {
                Ok(s) => {
                    if self.tx.send(Msg::Snapshot(Box::new(s))).is_err() {
                        return;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "refresh failed"),
            }
        }
    }

    async fn ticker(self) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            let t0 = Instant::now();
            let h = self.client.health().await;
            let ms = t0.elapsed().as_secs_f64() * 1e3;
            if self.tx.send(Msg::Health(h, ms)).is_err() || self.tx.send(Msg::Circuit(self.client.circuit())).is_err() {
                return;
            }
            if let Ok(c) = self.client.clock().await
                && self.tx.send(Msg::Clock(c)).is_err()
            {
                return;
            }
        }
    }

    /// Follows the event stream; on a drop, says so and resubscribes with
    /// backoff after the last sequence seen. A (re)connection asks for a
    /// fresh snapshot, so what changed while away is resynced at once.
    async fn follow(self) {
        let mut after: Option<u64> = None;
        let mut delay = RETRY_MIN;
        loop {
            match self.client.subscribe(after).await {
                Ok(mut s) => {
                    delay = RETRY_MIN;
                    self.dirty.notify_one();
                    while let Some(item) = s.next().await {
                        match &item {
                            // The controls the ticket shows changed: greet again to read them.
                            StreamItem::Event(e) if crate::engine::control_of(&e.kind).is_some() => {
                                after = Some(e.seq);
                                tokio::spawn(self.clone().hello());
                            }
                            StreamItem::Event(e) => after = Some(e.seq),
                            StreamItem::Connection { connected: true, .. }
                            | StreamItem::Lagged { .. }
                            | StreamItem::Gap { .. } => self.resync(),
                            StreamItem::Connection { .. } | StreamItem::Desk { .. } => {}
                        }
                        if self.tx.send(Msg::Stream(item)).is_err() {
                            return;
                        }
                        self.dirty.notify_one();
                    }
                    let gone = StreamItem::Connection { connected: false, detail: "event stream ended".into() };
                    if self.tx.send(Msg::Stream(gone)).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let gone = StreamItem::Connection { connected: false, detail: e.message };
                    if self.tx.send(Msg::Stream(gone)).is_err() {
                        return;
                    }
                }
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(RETRY_MAX);
        }
    }

    /// Sets the speeds asked for, in order, skipping any overtaken while the
    /// previous call was under way.
    async fn speeds(self, mut asked: watch::Receiver<Option<f64>>) {
        while asked.changed().await.is_ok() {
            let Some(s) = *asked.borrow_and_update() else { continue };
            let r = match self.client.set_speed(s).await {
                Ok(clock) => {
                    let _ = self.tx.send(Msg::Clock(clock));
                    Ok(format!("speed {s}x"))
                }
                Err(e) => Err(e),
            };
            if self.tx.send(Msg::Done(SPEED.into(), r)).is_err() {
                return;
            }
        }
    }

    /// Reloads the snapshot and the greeting after a reconnection.
    fn resync(&self) {
        self.dirty.notify_one();
        tokio::spawn(self.clone().hello());
    }

    /// Passes a changed risk view on to the app and says what was done.
    fn risk_done(&self, r: Result<crate::engine::RiskView, ClientError>, ok: String) -> Result<String, ClientError> {
        r.map(|v| {
            let _ = self.tx.send(Msg::Risk(Box::new(v)));
            ok
        })
    }

    /// Carries out a client call in the background.
    pub fn run(&self, e: Effect) {
        if let Effect::SetSpeed(s) = e {
            self.speed.send_replace(Some(s));
            return;
        }
        let w = self.clone();
        tokio::spawn(async move {
            let c = &*w.client;
            let (what, r): (String, Result<String, ClientError>) = match e {
                Effect::Submit(req) => {
                    let what = format!("{} {} {}", req.side, human::qty(req.qty), req.symbol);
                    match c.submit(req.clone()).await {
                        Ok(r) => {
                            let _ = w.tx.send(Msg::Submitted);
                            (
                                what,
                                Ok(format!(
                                    "{} accepted: {} {} {}",
                                    r.order.id,
                                    r.order.side,
                                    human::qty(r.order.qty),
                                    r.order.symbol
                                )),
                            )
                        }
                        // A warning is a question for the user, not a failure.
                        Err(e) if e.code == ErrorCode::RiskWarning => {
                            let _ = w.tx.send(Msg::RiskWarning(Box::new(req), e.message));
                            return;
                        }
                        Err(e) => {
                            // After the failure's note, so the note about the kept ticket is the one shown.
                            let _ = w.tx.send(Msg::Done(what, Err(e.clone())));
                            let _ = w.tx.send(Msg::SubmitFailed(e));
                            w.dirty.notify_one();
                            return;
                        }
                    }
                }
                Effect::Amend(id, a) => (
                    format!("amend {id}"),
                    c.amend(id, a).await.map(|r| format!("{id} amended: qty {}", human::qty(r.order.qty))),
                ),
                Effect::Cancel(id) => {
                    (format!("cancel {id}"), c.cancel(id).await.map(|r| format!("{id} {}", r.order.status)))
                }
                Effect::Pause(id) => {
                    (format!("pause {id}"), c.pause(id).await.map(|r| format!("{id} {}", r.order.status)))
                }
                Effect::Resume(id) => {
                    (format!("resume {id}"), c.resume(id).await.map(|r| format!("{id} {}", r.order.status)))
                }
                Effect::KillAll => {
                    ("kill-all".into(), c.kill_all().await.map(|v| format!("kill-all: {} orders paused", v.len())))
                }
                Effect::Preview(generation, req, symbol) => {
                    let p = preview(c, req, symbol).await;
                    let _ = w.tx.send(Msg::Preview(generation, Box::new(p)));
                    return;
                }
                Effect::SetLimits(tenant, user, limits) => {
                    let r = c.set_limits(&tenant, user.as_deref(), limits).await;
                    let whose = match &user {
                        Some(u) => format!("user {u} on desk {tenant}"),
                        None => format!("desk {tenant}"),
                    };
                    (format!("limits of {whose}"), w.risk_done(r, format!("limits of {whose} saved")))
                }
                Effect::SetGlobalState(state) => {
                    let r = c.set_trading_state(None, state).await;
                    (format!("every desk {state}"), w.risk_done(r, format!("every desk is {state}")))
                }
                Effect::SetTradingState(tenant, state) => {
                    let r = c.set_trading_state(Some(&tenant), state).await;
                    (format!("{tenant} {state}"), w.risk_done(r, format!("desk {tenant} is {state}")))
                }
                Effect::SetExecution(tenant, on) => {
                    let r = c.set_execution(&tenant, on).await;
                    let word = if on { "enabled" } else { "disabled" };
                    (format!("execution of {tenant}"), w.risk_done(r, format!("execution {word} for desk {tenant}")))
                }
                Effect::KillTenant(tenant) => (
                    format!("kill {tenant}"),
                    c.kill_tenant(&tenant)
                        .await
                        .map(|v| format!("desk {tenant} killed: {} orders paused, HALTED", v.len())),
                ),
                Effect::Export(path, csv) => {
                    let shown = path.display().to_string();
                    let r = tokio::task::spawn_blocking(move || std::fs::write(&path, csv)).await;
                    let r = match r {
                        Ok(Ok(())) => Ok(format!("exported to {shown}")),
                        Ok(Err(e)) => Err(ClientError::new(ErrorCode::ExportFailed, format!("{shown}: {e}"))),
                        Err(e) => Err(ClientError::new(ErrorCode::ExportFailed, e.to_string())),
                    };
                    ("export".into(), r)
                }
                // Handled by the UI loop, never sent here; speeds go through `speeds`.
                Effect::Copy(_) | Effect::Demo(_) | Effect::SetSpeed(_) => return,
            };
            let _ = w.tx.send(Msg::Done(what, r));
            w.dirty.notify_one();
        });
    }
}
