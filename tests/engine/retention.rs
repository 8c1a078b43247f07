//! A served engine keeps a bounded history (`Retention::Bounded`): the TCA
//! of every order, working or finished, must be what an engine keeping every
//! print, mid sample and fill reports (`Retention::Full`), and that must be
//! what a pass over the whole tape and every fill computes afterwards.

use crate::common;

use blotter::engine::{Engine, EngineConfig, RECENT_FILLS, Retention};
use blotter::market::Universe;
use blotter::market::forecast::ForecastPlan;
use blotter::model::{AlgoKind, ParentId, Side};
use blotter::tca::pretrade::{RealisedInput, compare, realised};
use blotter::tca::tracking::{TrackingInput, tracking};
use common::*;
use std::sync::Arc;

fn engine_with(seed: u64, retention: Retention) -> Engine {
    let mut cfg = EngineConfig::new(seed, date());
    cfg.symbols = Some(vec!["AAPL".into(), "MSFT".into()]);
    cfg.retention = retention;
    Engine::new(Arc::new(Universe::builtin()), cfg).unwrap()
}

/// The report of `id` from a pass over everything a full engine holds: the
/// tape, every fill and the mids (the computation before running statistics).
fn batch_report(e: &Engine, id: ParentId) -> blotter::tca::TcaReport {
    let o = e.parent(id).unwrap();
    let m = e.market(&o.symbol).unwrap();
    let fills = e.fills(id);
    let mut r = blotter::tca::for_parent(o, fills, &m.tape, &m.mids, m.inst.quote_per, e.now());
    // The interval figures summed print by print (the report takes them from running sums).
    let end = blotter::model::Timestamp(o.done_at.unwrap_or(e.now()).max(o.start).0 + 1);
    assert_eq!(r.interval_volume, m.tape.stats(o.start, end, false).qty);
    assert_eq!(r.interval_vwap, m.tape.stats(o.start, end, false).vwap());
    assert_eq!(r.interval_vwap_incl_ours, m.tape.stats(o.start, end, true).vwap());
    if o.algo == AlgoKind::Vwap {
        let plan = ForecastPlan::for_order(o, m);
        r.vwap_tracking = Some(tracking(&TrackingInput { curve: &m.curve, plan: &plan, fills, tape: &m.tape }));
    }
    r.pre_trade = e.pre_trade_estimate(id).map(|est| {
        let real = o.arrival_px.and_then(|arrival| {
            realised(&RealisedInput {
                side: o.side,
                arrival,
                fills,
                mids: &m.mids,
                without_us: Some(&m.mids_without_us),
                auction_without_us: e.auction_outcome(&o.symbol).map(|a| a.px_without_us.to_f64()),
                quote_per: m.inst.quote_per,
            })
        });
        compare(est, real, o.arrival_px, m.inst.quote_per)
    });
    // Why the engine ended the order is its own record, not a figure of the
    // market data (tests/engine/algo_close.rs checks it against `Done`).
    r.end_reason = e.tca_report(id).unwrap().end_reason;
    r
}

fn json<T: serde::Serialize>(x: &T) -> String {
    serde_json::to_string(x).unwrap()
}

/// Same seed, same commands: at each check the bounded engine's reports and
/// summaries are byte for byte the full engine's, which are the batch pass's.
/// A day-long VWAP (tracking over 13 buckets), a POV with thousands of
/// fills, a TWAP finished hours before the last check (its end mid and
/// markouts long out of the bounded window), an order cancelled before it
/// started and a VWAP starting at noon (its look-back over the morning).
#[test]
fn bounded_and_full_retention_report_the_same_tca() {
    let seed = 11;
    let mut full = engine_with(seed, Retention::Full);
    let mut bounded = engine_with(seed, Retention::Bounded);
    let orders = [
        order("AAPL", Side::Buy, 400_000, AlgoKind::Vwap, "09:30", "16:00", &[]),
        order("MSFT", Side::Sell, 2_000_000, AlgoKind::Pov, "09:40", "15:00", &[("rate", "0.1")]),
        order("AAPL", Side::Sell, 30_000, AlgoKind::Twap, "09:45", "10:05", &[]),
        order("MSFT", Side::Buy, 10_000, AlgoKind::Twap, "13:00", "13:30", &[]),
        // Its forecast's level looks back over 10:00-12:00 (`recent`), long
        // out of the bounded tape's prints by 12:00 (and no order's start or end).
        order("AAPL", Side::Buy, 60_000, AlgoKind::Vwap, "12:00", "14:00", &[("recent", "2h")]),
    ];
    let mut ids = Vec::new();
    for o in &orders {
        let a = full.apply(&advisor(), blotter::engine::Command::Submit(o.clone())).unwrap().unwrap();
        let b = bounded.apply(&advisor(), blotter::engine::Command::Submit(o.clone())).unwrap().unwrap();
        assert_eq!(a, b);
        ids.push(a);
    }
    for (k, at) in ["09:50", "10:20", "11:00", "12:45", "16:05"].into_iter().enumerate() {
        full.run_until(ny(at));
        bounded.run_until(ny(at));
        if k == 3 {
            // Cancelled before its start.
            for e in [&mut full, &mut bounded] {
                e.apply(&advisor(), blotter::engine::Command::Cancel { id: ids[3] }).unwrap();
            }
        }
        for &id in &ids {
            let (f, b) = (full.tca_report(id).unwrap(), bounded.tca_report(id).unwrap());
            assert_eq!(json(&f), json(&b), "{id} at {at}: bounded report differs");
            assert_eq!(json(&f), json(&batch_report(&full, id)), "{id} at {at}: running statistics differ from a pass");
            let o = full.parent(id).unwrap();
            let m = full.market(&o.symbol).unwrap();
            let s = blotter::tca::summary(o, full.fills(id), &m.tape, full.now());
            assert_eq!(json(&bounded.order_summary(id).unwrap()), json(&s), "{id} at {at}: summary");
            assert_eq!(json(&full.order_summary(id).unwrap()), json(&s), "{id} at {at}: summary");
        }
    }
    // What was checked had markouts, tracking, realised costs and the bounded engine really dropped history.
    let vwap = full.tca_report(ids[0]).unwrap();
    assert!(vwap.markouts_bps.m5.is_some() && vwap.vwap_tracking.as_ref().is_some_and(|t| t.len() == 13));
    assert!(vwap.pre_trade.as_ref().is_some_and(|p| p.realised.is_some()));
    let twap = bounded.tca_report(ids[2]).unwrap();
    assert!(twap.end_px.is_some() && twap.markouts_before_bps.m5.is_some(), "{twap:?}");
    let pov_fills = full.fills(ids[1]).len();
    assert!(pov_fills > 2 * RECENT_FILLS, "{pov_fills} fills");
    assert!(bounded.fills(ids[1]).len() < 2 * RECENT_FILLS);
    assert_eq!(bounded.fill_count(ids[1]), pov_fills);
    assert_eq!(bounded.fills(ids[1]).last(), full.fills(ids[1]).last());
    for sym in ["AAPL", "MSFT"] {
        let (f, b) = (full.market(sym).unwrap(), bounded.market(sym).unwrap());
        assert!(b.tape.held_from().is_some(), "{sym}: the bounded tape dropped its early prints");
        assert!(
            b.tape.prints().len() * 4 < f.tape.prints().len(),
            "{sym}: {} of {}",
            b.tape.prints().len(),
            f.tape.prints().len()
        );
        assert!(b.mids.samples().count() * 4 < f.mids.samples().count());
    }
}
