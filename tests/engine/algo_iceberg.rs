//! Iceberg on the simulator: never more than the tip working, refills until
//! done, and respects the limit.

use crate::common;
use crate::support;

use blotter::model::{AlgoKind, ParentStatus, Qty, Side};
use common::*;
use support::*;

#[test]
fn never_shows_more_than_the_tip() {
    for (seed, variance) in [(1u64, "0"), (2, "0.5")] {
        let mut e = engine(seed, &["AAPL"]);
        let mut req = order(
            "AAPL",
            Side::Buy,
            30_000,
            AlgoKind::Iceberg,
            "09:30",
            "12:00",
            &[("tip", "800"), ("tip_variance", variance)],
        );
        req.limit_px = Some(px("231.00"));
        let id = e.apply(&advisor(), blotter::engine::Command::Submit(req)).unwrap().unwrap();
        e.run_until_idle();
        let events = e.drain_events();
        let p = e.parent(id).unwrap();
        assert_eq!(p.status, ParentStatus::Done, "{p:?}");
        assert_eq!(p.filled, Qty::from_int(30_000));
        let series = working_over_time(&events, id);
        assert!(series.len() > 50);
        let max = series.iter().map(|(_, w)| *w).max().unwrap();
        assert!(max <= Qty::from_int(800), "seed {seed}: {max} displayed at once");
        assert!(e.children(id).iter().all(|c| c.px.unwrap() <= px("231.00")));
        // With variance the tips differ in size (but never exceed the tip).
        let mut tips: Vec<Qty> = e.children(id).iter().map(|c| c.qty).collect();
        tips.sort();
        tips.dedup();
        assert!(variance == "0" || tips.len() > 3, "{tips:?}");
    }
}

#[test]
fn a_limit_below_the_market_rests_and_waits() {
    let mut e = engine(3, &["MSFT"]);
    let mut req = order("MSFT", Side::Buy, 10_000, AlgoKind::Iceberg, "10:00", "10:30", &[("tip", "300")]);
    req.limit_px = Some(px("380.00")); // ~10% under the 420 reference
    let id = run_one(&mut e, req);
    let p = e.parent(id).unwrap();
    assert_eq!(p.status, ParentStatus::Expired);
    assert_eq!(p.filled, Qty::ZERO);
    // One tip (the router may split it over venues) rested at the limit for
    // the whole window, then expired.
    let kids = e.children(id);
    assert_eq!(kids.iter().map(|c| c.qty).sum::<Qty>(), Qty::from_int(300), "{kids:?}");
    assert!(kids.iter().all(|c| c.px == Some(px("380.00")) && c.sent_at == ny("10:00")), "{kids:?}");
}
