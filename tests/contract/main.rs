//! The client contract, asserted once and run against both transports:
//! `Embedded` (in-process) and `Remote` (HTTP, against a real in-process axum
//! server on an ephemeral loopback port). Every behaviour below is a generic
//! function over `Transport`; the `contract!` macro runs it on both.

#[path = "../common/mod.rs"]
mod common;
#[path = "../api/support.rs"]
mod support;

mod behaviours;

use blotter::api::ApiOptions;
use blotter::client::{Client, Embedded, Remote, Settings};
use support::{Desk, actor, desk_with};

/// A way to reach one engine as any member of the cast.
pub trait Transport: Send + Sync {
    /// The client type.
    type C: Client + Clone;
    /// The engine as `who`.
    fn as_(&self, who: &str) -> Self::C;
    /// Which transport (for messages).
    fn name(&self) -> &'static str;
}

/// The engine in-process.
pub struct InProcess(Embedded);

impl Transport for InProcess {
    type C = Embedded;
    fn as_(&self, who: &str) -> Embedded {
        self.0.as_actor(actor(who))
    }
    fn name(&self) -> &'static str {
        "embedded"
    }
}

/// The engine behind the sidecar.
pub struct OverHttp(Desk);

impl Transport for OverHttp {
    type C = Remote;
    fn as_(&self, who: &str) -> Remote {
        self.0.remote(who)
    }
    fn name(&self) -> &'static str {
        "remote"
    }
}

/// Both fixtures over the same kind of engine: AAPL on the test date, `seed`, `speed`.
pub async fn in_process(seed: u64, speed: f64) -> InProcess {
    let e = common::engine(seed, &["AAPL"]);
    InProcess(Embedded::start(e, speed, blotter::engine::Actor::local(blotter::model::Role::Supervisor)))
}

/// See `in_process`.
pub async fn over_http(seed: u64, speed: f64) -> OverHttp {
    // Generous rate: the contract, not the limiter, is under test here.
    let mut o = ApiOptions::default();
    o.rate.rate = 10_000.0;
    o.rate.burst = 10_000.0;
    OverHttp(desk_with(seed, &["AAPL"], speed, o, Settings::default()).await)
}

/// Runs each behaviour `name(transport)` on both transports, with the fixture's seed and speed.
macro_rules! contract {
    ($($name:ident($seed:expr, $speed:expr)),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::behaviours::$name(&crate::in_process($seed, $speed).await).await
                }
            )*
        }
        mod remote {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::behaviours::$name(&crate::over_http($seed, $speed).await).await
                }
            )*
        }
    };
}

contract!(
    identity_health_and_mode(1, 1.0),
    submit_list_detail_and_paging(2, 1.0),
    order_life_cycle_amend_pause_resume_cancel(3, 1.0),
    refusals_change_nothing(4, 1.0),
    client_personas_are_refused_every_execution_call(5, 1.0),
    kill_all_cancels_every_working_child_across_tenants(6, 120.0),
    market_views_and_clock(7, 1.0),
    schedule_and_estimate(8, 1.0),
    algo_config_round_trip_and_enforcement(9, 1.0),
    algo_config_tenant_layers_overlay_the_desk(14, 1.0),
    tca_per_order_and_aggregated(10, 1.0),
    event_stream_is_ordered_visible_and_resumable(11, 1.0),
    risk_controls_apply_to_every_desk(12, 1.0),
    user_overrides_and_every_desk_state(13, 1.0),
    the_book_shows_each_desk_its_own_resting_orders(15, 1.0),
    figures_cross_the_wire_exactly(16, 1.0),
);
