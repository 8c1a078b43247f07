//! Engine behaviour on the simulator.

use super::*;
use crate::model::{AlgoKind, Role, Side};
use chrono::NaiveDate;

pub(crate) fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

pub(crate) fn engine(seed: u64, symbols: &[&str]) -> Engine {
    let mut cfg = EngineConfig::new(seed, date());
    cfg.symbols = Some(symbols.iter().map(|s| s.to_string()).collect());
    Engine::new(Arc::new(Universe::builtin()), cfg).unwrap()
}

pub(crate) fn at(hhmm: &str) -> Timestamp {
    Timestamp::from_local(chrono_tz::America::New_York, date(), crate::model::time::parse_hhmm(hhmm).unwrap())
}

pub(crate) fn twap(symbol: &str, side: Side, qty: i64, start: &str, end: &str) -> OrderRequest {
    OrderRequest {
        symbol: symbol.into(),
        side,
        qty: Qty::from_int(qty),
        algo: AlgoKind::Twap,
        params: Default::default(),
        start: Some(at(start)),
        end: Some(at(end)),
        limit_px: None,
        decision_px: None,
        acknowledge_warnings: false,
    }
}

pub(crate) fn desk() -> Actor {
    Actor::local(Role::Advisor)
}

#[test]
fn twap_runs_to_completion() {
    let mut e = engine(7, &["AAPL"]);
    let id = e.apply(&desk(), Command::Submit(twap("AAPL", Side::Buy, 200_000, "09:30", "16:00"))).unwrap().unwrap();
    e.run_until_idle();
    let p = e.parent(id).unwrap();
    assert_eq!(p.status, ParentStatus::Done, "{p:?}");
    assert_eq!(p.filled, Qty::from_int(200_000));
    let fills: Qty = e.fills(id).iter().map(|f| f.qty).sum();
    assert_eq!(fills, p.filled);
    eprintln!(
        "children {} fills {} avg {:?} arrival {:?} events {}",
        p.children,
        e.fills(id).len(),
        p.avg_px(),
        p.arrival_px,
        e.market_events()
    );
}
