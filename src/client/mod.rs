//! The one client contract the UI uses for everything. `Embedded` runs the
//! engine in-process, paced against the wall clock; a remote implementation
//! speaks the HTTP API. Both return the same view types (`engine::view`), and
//! one contract test suite runs against both.

pub mod algo_config;
pub mod breaker;
pub mod desk;
pub mod embedded;
mod error;
pub mod mode;
pub mod remote;
pub mod settings;
pub mod tca_groups;
pub mod wire;

use crate::algo::PlannedSlice;
use crate::engine::view::{
    BookView, ClockView, Health, Identity, InstrumentView, OrderDetail, OrderQuery, OrderRow, Page, VenueView,
};
use crate::engine::{Amendment, EngineEvent, OrderRequest};
use crate::model::ParentId;
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;

pub use algo_config::{AlgoConfig, AlgoConfigStore, AlgoSettings};
pub use breaker::{Breaker, BreakerState, BreakerView};
pub use desk::{Desk, DeskClient};
pub use embedded::Embedded;
pub use error::{ClientError, ErrorCode};
pub use mode::{LiveGate, ModeRequest, ModeView, TradingMode};
pub use remote::Remote;
pub use settings::{FINISHED_CHILDREN, Settings};
pub use tca_groups::{TcaGroup, TcaGroupBy, TcaQuery};

/// The refusal of a transport that does not offer a call.
fn unsupported(describe: String, what: &str) -> ClientError {
    ClientError::new(ErrorCode::Unsupported, format!("{describe} does not offer {what}"))
}

/// What an event subscription yields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StreamItem {
    /// An engine event, in sequence order.
    Event(EngineEvent),
    /// The consumer fell behind and events were dropped: resync from a snapshot.
    Lagged {
        /// Events skipped.
        missed: u64,
    },
    /// Events asked for are no longer held (memory keeps a window, and there
    /// is no ledger to read older ones from): they were skipped, the stream
    /// goes on; resync from a snapshot.
    Gap {
        /// Events skipped.
        missed: u64,
    },
    /// An event of another engine of the desk (several `serve` instances on
    /// one database), relayed by the server (remote only): outside this
    /// stream's sequence, which stays the home engine's.
    Desk {
        /// The engine it comes from.
        engine: i64,
        /// The event, numbered in that engine's sequence.
        event: EngineEvent,
    },
    /// The connection state changed (remote only).
    Connection {
        /// Connected or not.
        connected: bool,
        /// Why.
        detail: String,
    },
}

/// A live stream of engine events.
pub type EventStream = Pin<Box<dyn Stream<Item = StreamItem> + Send>>;

/// Shorthand for the futures the contract returns.
pub trait Reply<T>: Future<Output = Result<T, ClientError>> + Send {}
impl<T, F: Future<Output = Result<T, ClientError>> + Send> Reply<T> for F {}

/// Everything the UI can ask of an engine.
pub trait Client: Send + Sync + 'static {
    /// `embedded` or the sidecar URL.
    fn describe(&self) -> String;
    /// Who the caller is.
    fn whoami(&self) -> impl Reply<Identity>;
    /// Liveness and versions.
    fn health(&self) -> impl Reply<Health>;
    /// The simulated clock and sessions.
    fn clock(&self) -> impl Reply<ClockView>;
    /// Changes the simulation speed (simulated seconds per wall second; 0 pauses).
    fn set_speed(&self, speed: f64) -> impl Reply<ClockView>;
    /// Every instrument and whether it trades today.
    fn instruments(&self) -> impl Reply<Vec<InstrumentView>>;
    /// Submits a parent order.
    fn submit(&self, req: OrderRequest) -> impl Reply<OrderRow>;
    /// Changes a parent's quantity and/or limit.
    fn amend(&self, id: ParentId, change: Amendment) -> impl Reply<OrderRow>;
    /// Cancels a parent (working children cancelled, residual reported).
    fn cancel(&self, id: ParentId) -> impl Reply<OrderRow>;
    /// Pauses a parent.
    fn pause(&self, id: ParentId) -> impl Reply<OrderRow>;
    /// Resumes a paused parent.
    fn resume(&self, id: ParentId) -> impl Reply<OrderRow>;
    /// Cancels every working child and pauses every parent (supervisors).
    fn kill_all(&self) -> impl Reply<Vec<ParentId>>;
    /// The planned schedule of an order, without submitting it.
    fn schedule(&self, req: OrderRequest) -> impl Reply<Vec<PlannedSlice>>;
    /// Blotter rows.
    fn orders(&self, q: OrderQuery) -> impl Reply<Page<OrderRow>>;
    /// One order with children, fills, routing decisions and plan.
    fn order(&self, id: ParentId) -> impl Reply<OrderDetail>;
    /// Consolidated and per-venue book of an instrument.
    fn book(&self, symbol: &str) -> impl Reply<BookView>;
    /// Venues of an instrument with fees, latency and learned fill rates.
    fn venues(&self, symbol: &str) -> impl Reply<Vec<VenueView>>;
    /// Every tenant's risk controls, positions and usage (supervisors).
    fn risk(&self) -> impl Reply<crate::engine::RiskView>;
    /// Replaces a tenant's (or one user's) risk limits (supervisors).
    fn set_limits(
        &self,
        tenant: &str,
        user: Option<&str>,
        limits: crate::risk::Limits,
    ) -> impl Reply<crate::engine::RiskView>;
    /// Replaces the desk's risk limits, every tenant's unless overridden (supervisors).
    fn set_desk_limits(&self, limits: crate::risk::Limits) -> impl Reply<crate::engine::RiskView>;
    /// Sets a tenant's trading state, or every tenant's with `None` (supervisors).
    fn set_trading_state(
        &self,
        tenant: Option<&str>,
        state: crate::risk::TradingState,
    ) -> impl Reply<crate::engine::RiskView>;
    /// Enables or disables execution for a tenant (supervisors).
    fn set_execution(&self, tenant: &str, enabled: bool) -> impl Reply<crate::engine::RiskView>;
    /// Kill switch for one tenant: children cancelled, parents paused, HALTED (supervisors).
    fn kill_tenant(&self, tenant: &str) -> impl Reply<Vec<ParentId>>;
    /// Post-trade analysis of one order (live while it works).
    fn tca(&self, id: ParentId) -> impl Reply<crate::tca::TcaReport>;
    /// Pre-trade cost estimate of an order with every impact model, without submitting it.
    fn estimate(&self, req: OrderRequest) -> impl Reply<crate::impact::Estimate>;
    /// Live events; with `after`, first every event with a larger sequence number.
    fn subscribe(&self, after: Option<u64>) -> impl Reply<EventStream>;

    // The calls below have defaults so that an implementation written before
    // they existed still compiles; `Embedded` and `Remote` implement them all.

    /// The connection's circuit breaker, for the status bar (`None` in-process).
    fn circuit(&self) -> Option<BreakerView> {
        None
    }
    /// Post-trade figures aggregated over the orders finished in a period
    /// (simulated time of completion), grouped (supervisors).
    fn tca_groups(&self, q: TcaQuery) -> impl Reply<Vec<TcaGroup>> {
        let e = unsupported(self.describe(), format!("aggregated TCA by {:?}", q.by).as_str());
        async move { Err(e) }
    }
    /// The algorithm configuration: with `None`, what the caller's orders see
    /// (the desk layer overlaid by the caller's tenant layer); with a tenant,
    /// that tenant's layer alone (another tenant's: supervisors).
    fn algo_config(&self, _tenant: Option<&str>) -> impl Reply<AlgoConfig> {
        let e = unsupported(self.describe(), "algo configuration");
        async move { Err(e) }
    }
    /// Replaces the desk-wide layer (`None`) or one tenant's layer of the
    /// algorithm configuration, and returns it (supervisors).
    fn set_algo_config(&self, _tenant: Option<&str>, _cfg: AlgoConfig) -> impl Reply<AlgoConfig> {
        let e = unsupported(self.describe(), "algo configuration");
        async move { Err(e) }
    }
    /// The trading mode (always paper in this build).
    fn mode(&self) -> impl Reply<ModeView> {
        let e = unsupported(self.describe(), "the trading mode");
        async move { Err(e) }
    }
    /// Asks for a trading mode: paper is granted, live always refused with the reason.
    fn set_mode(&self, req: ModeRequest) -> impl Reply<ModeView> {
        let e = unsupported(self.describe(), format!("a switch to {:?}", req.mode).as_str());
        async move { Err(e) }
    }
}
