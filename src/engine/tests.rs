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

#[test]
fn window_refusals_label_the_exchange_zone() {
    // A BTC-USD TWAP 18:30-19:30 New York on 2026-11-25: the crypto day ends at 19:00 New
    // York (midnight UTC). It read "end 00:30 is after the close 00:00 (00:00-00:00 UTC on
    // 2026-11-25)": two unlabelled times a New York desk reads as its own, and a day that
    // seemed to last no time.
    let mut e = engine(7, &["BTC-USD", "NESN"]);
    let err = e.apply(&desk(), Command::Submit(twap("BTC-USD", Side::Buy, 1, "18:30", "19:30"))).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("end"));
    assert_eq!(
        err.message,
        "end 00:30 UTC is after the close 00:00 UTC (00:00 UTC 2026-11-25 to 00:00 UTC 2026-11-26)"
    );
    // NESN (SIX 09:00-17:20 Zurich) asked for 12:00-13:00 New York: after its close.
    let err = e.apply(&desk(), Command::Submit(twap("NESN", Side::Buy, 10, "12:00", "13:00"))).unwrap_err();
    assert_eq!(
        err.message,
        "window 18:00 CET-19:00 CET is outside the session: NESN trades 09:00-17:20 Europe/Zurich on 2026-11-25"
    );
}

/// Two POV orders and a TWAP for an hour, cancelled halfway through one of
/// them, under a retention policy: (events, engine).
fn busy_hour(policy: FinishedChildren) -> (Vec<EngineEvent>, Engine, [ParentId; 3]) {
    let mut e = engine(11, &["AAPL", "MSFT"]);
    e.keep_finished_children(policy);
    let pov = |symbol: &str, side| {
        let mut r = OrderRequest { algo: AlgoKind::Pov, ..twap(symbol, side, 400_000, "09:30", "16:00") };
        r.params.insert("rate".into(), "0.1".into());
        r
    };
    let a = e.apply(&desk(), Command::Submit(pov("AAPL", Side::Buy))).unwrap().unwrap();
    let b = e.apply(&desk(), Command::Submit(pov("MSFT", Side::Sell))).unwrap().unwrap();
    let c = e.apply(&desk(), Command::Submit(twap("AAPL", Side::Sell, 50_000, "09:30", "10:30"))).unwrap().unwrap();
    e.run_until(at("10:00"));
    e.apply(&desk(), Command::Cancel { id: b }).unwrap();
    e.run_until(at("10:30"));
    (e.drain_events(), e, [a, b, c])
}

#[test]
fn keeping_fewer_finished_children_changes_no_event_and_holds_only_working_ones() {
    let (all_events, all, ids) = busy_hour(FinishedChildren::All);
    let (events, some, _) = busy_hour(FinishedChildren::Recent(10));
    // Byte for byte: what the engine keeps of finished children is bookkeeping only.
    let json = |ev: &[EngineEvent]| serde_json::to_string(ev).unwrap();
    assert_eq!(json(&events), json(&all_events));
    let sent: usize = ids.iter().map(|&id| all.children(id).len()).sum();
    let counted: u32 = ids.iter().map(|&id| all.parent(id).unwrap().children).sum();
    assert_eq!(sent, counted as usize, "every child is kept by default");
    assert!(sent > 1_000, "a busy hour: {sent} children");
    // The slab holds what is not final (and those with a message in flight), not the hour.
    let working = ids.iter().flat_map(|&id| all.children(id)).filter(|c| !c.status.is_terminal()).count();
    assert!(all.children_held() >= working && all.children_held() < 100, "{} held", all.children_held());
    // Bounded: the working children and the 10 most recently finished, over every parent.
    let kept: Vec<&ChildOrder> = ids.iter().flat_map(|&id| some.children(id)).collect();
    let finished = kept.iter().filter(|c| c.status.is_terminal()).count();
    assert!(finished <= 10 + some.children_held(), "{finished} finished kept");
    assert_eq!(kept.len() - finished, working, "every working child is still there");
    // Those kept are the same orders as in the full list.
    for &id in &ids {
        let full: std::collections::HashMap<u32, &ChildOrder> =
            all.children(id).into_iter().map(|c| (c.id.seq, c)).collect();
        for c in some.children(id) {
            assert_eq!(Some(&c), full.get(&c.id.seq), "{}", c.id);
        }
    }
}
