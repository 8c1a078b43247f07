//! Sniper: nothing while no venue qualifies; immediate fills when one does;
//! only qualifying venues are touched, several at once.

use crate::common;
use crate::support;

use blotter::engine::{Amendment, Command, EventKind};
use blotter::model::{AlgoKind, Duration, ParentStatus, Qty, Side};
use common::*;
use support::*;

#[test]
fn sends_nothing_until_a_venue_qualifies_then_fills_at_once() {
    let mut e = engine(4, &["AAPL"]);
    let mut req = order("AAPL", Side::Buy, 5_000, AlgoKind::Sniper, "10:00", "11:00", &[]);
    req.limit_px = Some(px("220.00")); // ~4% under the market
    let id = e.apply(&advisor(), Command::Submit(req)).unwrap().unwrap();
    e.run_until(ny("10:30"));
    assert_eq!(e.children(id).len(), 0, "nothing shown or sent below the market");
    assert_eq!(e.parent(id).unwrap().status, ParentStatus::Working);
    let change = Amendment { qty: None, limit_px: Some(Some(px("232.00"))), ..Default::default() };
    e.apply(&advisor(), Command::Amend { id, change }).unwrap();
    e.run_until_idle();
    let p = e.parent(id).unwrap();
    assert_eq!(p.status, ParentStatus::Done);
    let first = e.fills(id).first().unwrap().ts;
    assert!(first - ny("10:30") < Duration::millis(200), "first fill {:?} after the amend", first - ny("10:30"));
    assert!(e.fills(id).iter().all(|f| f.px <= px("232.00")));
    assert!(p.done_at.unwrap() - ny("10:30") < Duration::secs(5));
}

#[test]
fn a_minimum_size_no_venue_shows_means_nothing_is_sent() {
    let mut e = engine(4, &["AAPL"]);
    let mut req = order("AAPL", Side::Buy, 5_000, AlgoKind::Sniper, "10:00", "10:20", &[("min_size", "1000000")]);
    req.limit_px = Some(px("232.00"));
    let id = run_one(&mut e, req);
    assert_eq!(e.parent(id).unwrap().status, ParentStatus::Expired);
    assert_eq!(e.children(id).len(), 0);
}

#[test]
fn sweeps_only_qualifying_venues_several_at_once() {
    let mut e = engine(4, &["AAPL"]);
    let params = [("min_size", "2000"), ("max_clip", "20000")];
    let mut req = order("AAPL", Side::Buy, 60_000, AlgoKind::Sniper, "10:00", "10:30", &params);
    req.limit_px = Some(px("230.60"));
    let id = e.apply(&advisor(), Command::Submit(req)).unwrap().unwrap();
    e.run_until_idle();
    let events = e.drain_events();
    let decisions: Vec<_> = events
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::Routed { parent, decision } if *parent == id => Some(decision.clone()),
            _ => None,
        })
        .collect();
    assert!(!decisions.is_empty());
    let min = Qty::from_int(2_000);
    let mut skipped = 0;
    for d in &decisions {
        for s in &d.scores {
            if s.size < min {
                assert_eq!(s.chosen, Qty::ZERO, "{} showed {} < {min} but was used", s.venue, s.size);
                skipped += 1;
            }
        }
        assert!(d.allocations.iter().all(|a| a.qty <= Qty::from_int(20_000)));
        assert!(d.allocations.iter().map(|a| a.qty).sum::<Qty>() <= Qty::from_int(20_000));
    }
    assert!(skipped > 0, "the size rule was never exercised");
    assert!(decisions.iter().any(|d| d.allocations.len() >= 2), "never swept two venues at once");
    assert!(decisions.iter().any(|d| d.reason.contains("minimum size")));
    // Never rests anything: every child is an IOC.
    assert!(e.children(id).iter().all(|c| c.tif == blotter::model::Tif::Ioc));
}
