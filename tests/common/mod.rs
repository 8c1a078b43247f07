//! Helpers shared by the integration tests.
#![allow(dead_code)]

use blotter::engine::{Actor, Engine, EngineConfig, OrderRequest};
use blotter::market::Universe;
use blotter::model::{AlgoKind, Qty, Role, Side, Timestamp, time::parse_hhmm};
use chrono::NaiveDate;
use std::sync::Arc;

/// A full trading day (Wednesday 2026-11-25).
pub fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

/// New York wall-clock time on `date()`.
pub fn ny(hhmm: &str) -> Timestamp {
    Timestamp::from_local(chrono_tz::America::New_York, date(), parse_hhmm(hhmm).unwrap())
}

/// An engine simulating `symbols` on `date()`.
pub fn engine(seed: u64, symbols: &[&str]) -> Engine {
    let mut cfg = EngineConfig::new(seed, date());
    cfg.symbols = Some(symbols.iter().map(|s| s.to_string()).collect());
    Engine::new(Arc::new(Universe::builtin()), cfg).unwrap()
}

/// An order request with the given algorithm, window and params.
pub fn order(
    symbol: &str,
    side: Side,
    qty: i64,
    algo: AlgoKind,
    start: &str,
    end: &str,
    params: &[(&str, &str)],
) -> OrderRequest {
    OrderRequest {
        symbol: symbol.into(),
        side,
        qty: Qty::from_int(qty),
        algo,
        params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        start: Some(ny(start)),
        end: Some(ny(end)),
        limit_px: None,
        decision_px: None,
        acknowledge_warnings: false,
    }
}

/// The local desk user.
pub fn advisor() -> Actor {
    Actor::local(Role::Advisor)
}

/// Serialises events as JSON lines.
pub fn log_bytes(events: &[blotter::engine::EngineEvent]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        serde_json::to_writer(&mut out, e).unwrap();
        out.push(b'\n');
    }
    out
}
