//! The same seed and the same commands give a byte-identical event log.

use crate::common;

use blotter::engine::{Amendment, Command, Engine};
use blotter::model::{AlgoKind, ParentId, Qty, Side};
use common::*;

fn scripted(seed: u64) -> (Vec<u8>, Engine) {
    let mut e = engine(seed, &["AAPL", "MSFT"]);
    let a = advisor();
    e.schedule(
        ny("09:30"),
        a.clone(),
        Command::Submit(order("AAPL", Side::Buy, 50_000, AlgoKind::Twap, "09:30", "11:00", &[("randomize", "0.3")])),
    );
    e.schedule(
        ny("09:31"),
        a.clone(),
        Command::Submit(order("MSFT", Side::Sell, 20_000, AlgoKind::Twap, "09:31", "10:30", &[("slices", "12")])),
    );
    e.schedule(ny("09:45"), a.clone(), Command::Pause { id: ParentId::local(1) });
    e.schedule(ny("09:50"), a.clone(), Command::Resume { id: ParentId::local(1) });
    e.schedule(
        ny("10:00"),
        a.clone(),
        Command::Amend {
            id: ParentId::local(2),
            change: Amendment { qty: Some(Qty::from_int(30_000)), limit_px: None, ..Default::default() },
        },
    );
    e.schedule(ny("10:15"), a.clone(), Command::Cancel { id: ParentId::local(2) });
    // A refused command is part of the log too.
    e.schedule(ny("10:16"), a, Command::Resume { id: ParentId::local(2) });
    e.run_until_idle();
    (log_bytes(&e.drain_events()), e)
}

#[test]
fn same_seed_same_commands_same_bytes() {
    let (a, ea) = scripted(11);
    let (b, _) = scripted(11);
    assert!(a.len() > 10_000, "a real log, not an empty one ({} bytes)", a.len());
    assert_eq!(a, b, "event logs differ between two runs with the same seed");
    let text = String::from_utf8(a).unwrap();
    for kind in [
        "\"accepted\"",
        "\"paused\"",
        "\"resumed\"",
        "\"amended\"",
        "\"cancel_requested\"",
        "\"fill\"",
        "\"rejected\"",
        "\"done\"",
    ] {
        assert!(text.contains(&format!("\"type\":{kind}")), "log has no {kind} event");
    }
    assert_eq!(ea.parent(ParentId::local(1)).unwrap().filled, Qty::from_int(50_000));
}

#[test]
fn different_seeds_differ() {
    let (a, _) = scripted(11);
    let (b, _) = scripted(12);
    assert_ne!(a, b);
}

#[test]
fn events_are_numbered_and_time_ordered() {
    let (bytes, _) = scripted(5);
    let events: Vec<blotter::engine::EngineEvent> =
        String::from_utf8(bytes).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    for w in events.windows(2) {
        assert_eq!(w[1].seq, w[0].seq + 1);
        assert!(w[1].ts >= w[0].ts);
    }
}
