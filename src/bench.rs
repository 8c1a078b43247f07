//! Benchmark scenarios shared by `blotter bench` and `cargo bench`.

pub mod algos;
pub mod api;
pub mod desk;
pub mod desk_wide;
pub mod ledger;
pub mod replay;
pub mod tca;
pub mod tca_batch;

use crate::engine::{Actor, Command, Engine, EngineConfig, OrderRequest};
use crate::market::Universe;
use crate::model::{AlgoKind, Qty, Role, Side};
use chrono::NaiveDate;
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;

/// Result of one simulated day.
#[derive(Debug, Clone, Serialize)]
pub struct DayRun {
    /// Market events processed (trades plus venue book updates).
    pub market_events: u64,
    /// Engine events emitted (orders, children, fills, ...).
    pub engine_events: u64,
    /// Wall time in milliseconds.
    pub wall_ms: f64,
}

/// The benchmark day: 2026-11-25 (a full session).
pub fn bench_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date")
}

/// The benchmark day's order: a 200,000-share AAPL TWAP over the whole session.
pub fn day_order(s: &crate::market::Session) -> OrderRequest {
    OrderRequest {
        symbol: "AAPL".into(),
        side: Side::Buy,
        qty: Qty::from_int(200_000),
        algo: AlgoKind::Twap,
        params: Default::default(),
        start: Some(s.open),
        end: Some(s.close),
        limit_px: None,
        decision_px: None,
        acknowledge_warnings: false,
    }
}

/// One full AAPL day on its 5 venues with a 200,000-share TWAP 09:30-16:00 running.
pub fn equity_day(seed: u64) -> DayRun {
    let universe = Arc::new(Universe::builtin());
    let mut cfg = EngineConfig::new(seed, bench_date());
    cfg.symbols = Some(vec!["AAPL".into()]);
    let t0 = Instant::now();
    let mut e = Engine::new(universe, cfg).expect("AAPL is in the built-in universe");
    let s = e.market("AAPL").expect("AAPL trades on the bench date").session;
    e.apply(&Actor::local(Role::Advisor), Command::Submit(day_order(&s))).expect("bench order is valid");
    e.run_to_end();
    let wall = t0.elapsed();
    DayRun { market_events: e.market_events(), engine_events: e.event_count(), wall_ms: wall.as_secs_f64() * 1e3 }
}
