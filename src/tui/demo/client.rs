//! The demo's client: the embedded engine, with simulated time owned by the
//! demo instead of the engine's own pacer. The embedded engine is started
//! frozen; the driver moves time with `with_engine`, so it can stop exactly
//! at a step's time and fire its commands there, as the headless run does.
//! Everything else is the embedded client unchanged.

use crate::algo::PlannedSlice;
use crate::client::{
    AlgoConfig, BreakerView, Client, ClientError, Embedded, ErrorCode, EventStream, ModeRequest, ModeView, TcaGroup,
    TcaQuery,
};
use crate::engine::view::{
    BookView, ClockView, Health, Identity, InstrumentView, OrderDetail, OrderQuery, OrderRow, Page, VenueView,
};
use crate::engine::{Amendment, OrderRequest, RiskView};
use crate::model::{ParentId, Timestamp};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

#[derive(Debug)]
struct ClockState {
    base: Timestamp,
    since: Instant,
    speed: f64,
    paused: bool,
    waiting: bool,
}

/// The demo's simulated clock: `base + elapsed * speed`, which the driver
/// re-anchors when it waits at a step or fast-forwards to one.
#[derive(Debug)]
pub struct DemoClock {
    state: Mutex<ClockState>,
}

impl DemoClock {
    /// A clock at `start` running at `speed`.
    pub fn new(start: Timestamp, speed: f64) -> DemoClock {
        DemoClock {
            state: Mutex::new(ClockState { base: start, since: Instant::now(), speed, paused: false, waiting: false }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ClockState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Simulated time now.
    pub fn now(&self) -> Timestamp {
        let s = self.lock();
        if s.paused || s.waiting {
            return s.base;
        }
        Timestamp(s.base.0 + (s.since.elapsed().as_nanos() as f64 * s.speed) as i64)
    }

    /// Restarts the clock from `t` (after a wait or a fast-forward).
    pub fn set(&self, t: Timestamp) {
        let mut s = self.lock();
        s.base = t;
        s.since = Instant::now();
    }

    /// Holds the clock at `t` until released (the demo waits for its next step).
    pub fn wait_at(&self, t: Timestamp) {
        let mut s = self.lock();
        s.base = t;
        s.since = Instant::now();
        s.waiting = true;
    }

    /// True while held at a step.
    pub fn is_waiting(&self) -> bool {
        self.lock().waiting
    }

    /// Lets the clock run on from where it waits.
    pub fn release(&self) {
        let mut s = self.lock();
        s.since = Instant::now();
        s.waiting = false;
    }

    /// Speed in simulated seconds per wall second; 0 pauses.
    pub fn set_speed(&self, speed: f64) {
        let now = self.now();
        let mut s = self.lock();
        s.base = now;
        s.since = Instant::now();
        s.paused = speed == 0.0;
        if speed > 0.0 {
            s.speed = speed;
        }
    }

    /// The speed the status bar shows: 0 while paused or waiting for a step.
    pub fn shown_speed(&self) -> f64 {
        let s = self.lock();
        if s.paused || s.waiting { 0.0 } else { s.speed }
    }
}

/// The embedded engine as the demo's presenter sees it, on the demo's clock.
#[derive(Clone, Debug)]
pub struct DemoClient {
    /// The engine, acting as the presenter.
    pub engine: Embedded,
    /// The demo's clock.
    pub clock: Arc<DemoClock>,
}

impl Client for DemoClient {
    fn describe(&self) -> String {
        "demo".into()
    }
    async fn whoami(&self) -> Result<Identity, ClientError> {
        self.engine.whoami().await
    }
    async fn health(&self) -> Result<Health, ClientError> {
        let mut h = self.engine.health().await?;
        h.engine = "demo".into();
        h.engines.speed = self.clock.shown_speed();
        Ok(h)
    }
    async fn clock(&self) -> Result<ClockView, ClientError> {
        let mut c = self.engine.clock().await?;
        c.speed = Some(self.clock.shown_speed());
        Ok(c)
    }
    async fn set_speed(&self, speed: f64) -> Result<ClockView, ClientError> {
        // The embedded engine's one rule, so the demo refuses as a desk would be refused.
        if let Some(why) = crate::client::embedded::speed_refusal(speed) {
            return Err(ClientError::new(ErrorCode::InvalidSpeed, why).with_field("speed"));
        }
        self.clock.set_speed(speed);
        self.clock().await
    }
    async fn instruments(&self) -> Result<Vec<InstrumentView>, ClientError> {
        self.engine.instruments().await
    }
    async fn submit(&self, req: OrderRequest) -> Result<OrderRow, ClientError> {
        self.engine.submit(req).await
    }
    async fn amend(&self, id: ParentId, change: Amendment) -> Result<OrderRow, ClientError> {
        self.engine.amend(id, change).await
    }
    async fn cancel(&self, id: ParentId) -> Result<OrderRow, ClientError> {
        self.engine.cancel(id).await
    }
    async fn pause(&self, id: ParentId) -> Result<OrderRow, ClientError> {
        self.engine.pause(id).await
    }
    async fn resume(&self, id: ParentId) -> Result<OrderRow, ClientError> {
        self.engine.resume(id).await
    }
    async fn kill_all(&self) -> Result<Vec<ParentId>, ClientError> {
        self.engine.kill_all().await
    }
    async fn schedule(&self, req: OrderRequest) -> Result<Vec<PlannedSlice>, ClientError> {
        self.engine.schedule(req).await
    }
    async fn orders(&self, q: OrderQuery) -> Result<Page<OrderRow>, ClientError> {
        self.engine.orders(q).await
    }
    async fn order(&self, id: ParentId) -> Result<OrderDetail, ClientError> {
        self.engine.order(id).await
    }
    async fn book(&self, symbol: &str) -> Result<BookView, ClientError> {
        self.engine.book(symbol).await
    }
    async fn venues(&self, symbol: &str) -> Result<Vec<VenueView>, ClientError> {
        self.engine.venues(symbol).await
    }
    async fn risk(&self) -> Result<RiskView, ClientError> {
        self.engine.risk().await
    }
    async fn set_limits(
        &self,
        tenant: &str,
        user: Option<&str>,
        limits: crate::risk::Limits,
    ) -> Result<RiskView, ClientError> {
        self.engine.set_limits(tenant, user, limits).await
    }
    async fn set_desk_limits(&self, limits: crate::risk::Limits) -> Result<RiskView, ClientError> {
        self.engine.set_desk_limits(limits).await
    }
    async fn set_trading_state(
        &self,
        tenant: Option<&str>,
        state: crate::risk::TradingState,
    ) -> Result<RiskView, ClientError> {
        self.engine.set_trading_state(tenant, state).await
    }
    async fn set_execution(&self, tenant: &str, enabled: bool) -> Result<RiskView, ClientError> {
        self.engine.set_execution(tenant, enabled).await
    }
    async fn kill_tenant(&self, tenant: &str) -> Result<Vec<ParentId>, ClientError> {
        self.engine.kill_tenant(tenant).await
    }
    async fn tca(&self, id: ParentId) -> Result<crate::tca::TcaReport, ClientError> {
        self.engine.tca(id).await
    }
    async fn estimate(&self, req: OrderRequest) -> Result<crate::impact::Estimate, ClientError> {
        self.engine.estimate(req).await
    }
    async fn subscribe(&self, after: Option<u64>) -> Result<EventStream, ClientError> {
        self.engine.subscribe(after).await
    }
    fn circuit(&self) -> Option<BreakerView> {
        None
    }
    async fn tca_groups(&self, q: TcaQuery) -> Result<Vec<TcaGroup>, ClientError> {
        self.engine.tca_groups(q).await
    }
    async fn algo_config(&self, tenant: Option<&str>) -> Result<AlgoConfig, ClientError> {
        self.engine.algo_config(tenant).await
    }
    async fn set_algo_config(&self, tenant: Option<&str>, cfg: AlgoConfig) -> Result<AlgoConfig, ClientError> {
        self.engine.set_algo_config(tenant, cfg).await
    }
    async fn mode(&self) -> Result<ModeView, ClientError> {
        self.engine.mode().await
    }
    async fn set_mode(&self, req: ModeRequest) -> Result<ModeView, ClientError> {
        self.engine.set_mode(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Actor;
    use crate::model::Role;

    #[tokio::test]
    async fn an_absurd_speed_is_refused_in_plain_figures_as_the_engine_refuses_it() {
        let engine = crate::engine::tests::engine(1, &["AAPL"]);
        let start = engine.now();
        let client = DemoClient {
            engine: Embedded::start(engine, 0.0, Actor::local(Role::Advisor)),
            clock: Arc::new(DemoClock::new(start, 1.0)),
        };
        let e = client.set_speed(1e300).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidSpeed);
        assert_eq!(e.field.as_deref(), Some("speed"));
        // Written out, 1e300 was 301 digits.
        assert!(e.message.contains("1e300") && e.message.contains("100,000"), "{}", e.message);
        assert!(e.message.len() < 120, "{}", e.message);
        assert!(client.set_speed(50.0).await.is_ok());
    }
}
