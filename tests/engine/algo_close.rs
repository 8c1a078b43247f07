//! Algorithms (TWAP, VWAP, iceberg, POV) whose window ends at the close: no child reaches a
//! venue after it has closed (the venue would refuse it, an alert per child);
//! the order completes, or expires with its residual and says why.

use crate::common;

use blotter::engine::{Command, EventKind};
use blotter::model::{AlgoKind, ParentStatus, Qty, Side};
use common::*;

#[test]
fn algorithms_ending_at_the_close_send_nothing_to_a_closed_venue() {
    let mut e = engine(7, &["JPM", "AAPL"]);
    e.run_until(ny("15:43"));
    let mut ids = Vec::new();
    // The testers' desk: passive and aggressive TWAPs and VWAPs, some too
    // large to finish in 17 minutes, ending exactly at the 16:00 close.
    for (i, (symbol, algo, params)) in [
        ("JPM", AlgoKind::Twap, vec![]),
        ("AAPL", AlgoKind::Twap, vec![("urgency", "aggressive")]),
        ("JPM", AlgoKind::Vwap, vec![]),
        ("AAPL", AlgoKind::Vwap, vec![]),
        ("JPM", AlgoKind::Twap, vec![("slices", "17")]),
        ("AAPL", AlgoKind::Vwap, vec![("max_pct", "0.05")]),
        // Still resting at the close: the venue cancels them there, and an
        // algorithm that refills (POV tops up after each child) must
        // not send the refill into the closed book.
        ("JPM", AlgoKind::Pov, vec![]),
        ("AAPL", AlgoKind::Pov, vec![]),
    ]
    .into_iter()
    .enumerate()
    {
        let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
        let qty = [20_000, 5_000, 60_000, 8_000, 300_000, 40_000, 400_000, 900_000][i];
        let req = order(symbol, side, qty, algo, "15:43", "16:00", &params);
        ids.push(e.apply(&advisor(), Command::Submit(req)).unwrap().unwrap());
    }
    e.run_until_idle();
    let events = e.drain_events();
    let closed: Vec<_> = events
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::ChildRejected { child, reason } if reason.contains("closed") => Some((ev.ts, child, reason)),
            _ => None,
        })
        .collect();
    assert!(
        closed.is_empty(),
        "{} children refused by a closed venue: {:?}",
        closed.len(),
        &closed[..closed.len().min(3)]
    );
    for id in ids {
        let p = e.parent(id).unwrap();
        let done = events
            .iter()
            .find_map(|ev| match &ev.kind {
                EventKind::Done { parent, status, filled, residual, reason, .. } if *parent == id => {
                    Some((*status, *filled, *residual, reason.clone()))
                }
                _ => None,
            })
            .expect("every order finished");
        assert_eq!(done.0, p.status);
        assert_eq!(done.1 + done.2, p.qty, "filled plus residual is the order");
        match p.status {
            ParentStatus::Done => assert_eq!(done.2, Qty::ZERO),
            ParentStatus::Expired => {
                assert!(done.2.is_positive());
                let why = done.3.expect("an expired order says why");
                assert!(why.contains("16:00"), "{why}");
            }
            s => panic!("{id:?} ended {s:?}"),
        }
    }
}
