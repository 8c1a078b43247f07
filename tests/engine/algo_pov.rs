//! POV on the simulator: realised participation near the target, and the
//! stated window guarantee: over any window, our fills never exceed
//! rate / (1 - rate) x others' volume in it by more than `burst`.

use crate::common;
use crate::support;

use blotter::model::{AlgoKind, ParentStatus, Qty, Side};
use common::*;
use support::*;

/// Max over all windows (a, b] of ours - ratio * others, from the tape.
fn worst_window_excess(prints: &[blotter::market::Print], ratio: f64, from: blotter::model::Timestamp) -> f64 {
    let (mut f, mut min_f, mut worst) = (0.0f64, 0.0f64, 0.0f64);
    for p in prints.iter().filter(|p| p.ts >= from) {
        if p.ours {
            f += p.qty.to_f64();
        } else {
            f -= ratio * p.qty.to_f64();
        }
        worst = worst.max(f - min_f);
        min_f = min_f.min(f);
    }
    worst
}

#[test]
fn realised_participation_is_the_target_and_no_window_runs_ahead() {
    for (rate, seed) in [(0.1, 1u64), (0.25, 2)] {
        let mut e = engine(seed, &["AAPL"]);
        let rate_s = rate.to_string();
        let id = run_one(
            &mut e,
            order("AAPL", Side::Buy, 5_000_000, AlgoKind::Pov, "10:00", "11:00", &[("rate", rate_s.as_str())]),
        );
        let p = e.parent(id).unwrap().clone();
        assert_eq!(p.status, ParentStatus::Expired, "an hour at {rate} of AAPL is less than 5M");
        let m = e.market("AAPL").unwrap();
        let s = blotter::tca::summary(&p, e.fills(id), &m.tape, e.now());
        // Stated tolerance: realised participation within 0.5 percentage point of the target.
        assert!((s.participation - rate).abs() < 0.005, "rate {rate}: realised {:.4}", s.participation);
        // Default burst = max_child = 10 x the 110-share average trade.
        let excess = worst_window_excess(m.tape.prints(), rate / (1.0 - rate), p.start);
        assert!(excess <= 1_100.0, "rate {rate}: a window ran {excess} ahead of the rate");
        // Children within [min_child, max_child].
        for c in e.children(id) {
            assert!(c.qty <= Qty::from_int(1_100), "{c:?}");
        }
    }
}

#[test]
fn passive_pov_never_runs_ahead_either() {
    let mut e = engine(4, &["MSFT"]);
    let params =
        [("rate", "0.2"), ("urgency", "passive"), ("burst", "500"), ("min_child", "100"), ("max_child", "300")];
    let id = run_one(&mut e, order("MSFT", Side::Sell, 2_000_000, AlgoKind::Pov, "10:00", "10:40", &params));
    let p = e.parent(id).unwrap().clone();
    assert!(p.filled.is_positive());
    let m = e.market("MSFT").unwrap();
    let excess = worst_window_excess(m.tape.prints(), 0.25, p.start);
    assert!(excess <= 500.0, "a window ran {excess} ahead of the rate");
    let s = blotter::tca::summary(&p, e.fills(id), &m.tape, e.now());
    assert!(s.participation <= 0.205, "{}", s.participation);
}

#[test]
fn stops_exactly_at_the_parent_quantity() {
    let mut e = engine(5, &["JPM"]);
    let id = run_one(&mut e, order("JPM", Side::Buy, 20_000, AlgoKind::Pov, "09:45", "16:00", &[("rate", "0.2")]));
    let p = e.parent(id).unwrap();
    assert_eq!(p.status, ParentStatus::Done);
    assert_eq!(p.filled, Qty::from_int(20_000));
    assert_eq!(e.fills(id).iter().map(|f| f.qty).sum::<Qty>(), p.filled);
    assert!(p.done_at.unwrap() < ny("12:00"), "20,000 JPM at 20% takes well under two hours");
}
