//! Parameter validation for every algorithm: a bad value is refused at
//! submission with a message naming the parameter and what is allowed, and
//! nothing is accepted.

use crate::common;
use crate::support;

use blotter::engine::{Command, RejectCode};
use blotter::model::{AlgoKind, Side};
use common::*;
use support::*;

#[test]
fn bad_values_name_the_parameter_and_the_allowed_range() {
    let cases: &[(AlgoKind, &str, &str, &str)] = &[
        (AlgoKind::Twap, "slices", "0", "allowed: 1..="),
        (AlgoKind::Twap, "randomize", "0.9", "allowed: [0, 0.5]"),
        (AlgoKind::Vwap, "max_pct", "0.7", "allowed: (0, 0.5]"),
        (AlgoKind::Vwap, "slices", "many", "not a whole number"),
        (AlgoKind::Vwap, "urgency", "hurry", "passive, aggressive"),
        (AlgoKind::Pov, "rate", "0", "allowed: (0, 0.5]"),
        (AlgoKind::Pov, "rate", "0.51", "allowed: (0, 0.5]"),
        (AlgoKind::Pov, "min_child", "-5", "positive"),
        (AlgoKind::Pov, "max_child", "10", "allowed: >= 110"),
        (AlgoKind::Pov, "burst", "50", "allowed: >= 110"),
        (AlgoKind::Iceberg, "tip", "999999", "allowed: 1..=10000"),
        (AlgoKind::Iceberg, "tip_variance", "1", "allowed: [0, 0.9]"),
        (AlgoKind::Iceberg, "repeg", "0s", "between 1s and 3600s"),
        (AlgoKind::Is, "lambda", "-1", "allowed: [0,"),
        (AlgoKind::Is, "sigma", "0", "allowed: (0,"),
        (AlgoKind::Is, "slices", "20000", "allowed: 1..="),
        (AlgoKind::Sniper, "min_size", "0", "positive"),
        (AlgoKind::Sniper, "max_clip", "1.5", "lot size"),
        (AlgoKind::Moc, "submit_before", "7h", "between 1s and 21600s"),
        (AlgoKind::Moc, "max_pct", "1.5", "allowed: (0, 1]"),
        (AlgoKind::Twap, "rate", "0.1", "unknown for twap"),
    ];
    let mut e = engine(1, &["AAPL"]);
    for (algo, key, value, needle) in cases {
        let mut r = order("AAPL", Side::Buy, 10_000, *algo, "10:00", "11:00", &[(key, value)]);
        if matches!(algo, AlgoKind::Iceberg | AlgoKind::Sniper) {
            r.limit_px = Some(px("230.00"));
        }
        if *algo == AlgoKind::Moc {
            r.end = None;
        }
        let rej = e.apply(&advisor(), Command::Submit(r)).unwrap_err();
        assert_eq!(rej.code, RejectCode::InvalidParam, "{algo} {key}={value}: {rej}");
        assert_eq!(rej.field.as_deref(), Some(format!("params.{key}").as_str()), "{algo} {key}={value}");
        assert!(rej.message.contains(needle), "{algo} {key}={value}: '{}' lacks '{needle}'", rej.message);
    }
    assert_eq!(e.parents().count(), 0, "a refused order was accepted");
}

#[test]
fn limit_price_algorithms_refuse_to_run_without_one() {
    let mut e = engine(1, &["AAPL", "BTC-USD"]);
    for algo in [AlgoKind::Iceberg, AlgoKind::Sniper] {
        let rej = e
            .apply(&advisor(), Command::Submit(order("AAPL", Side::Buy, 100, algo, "10:00", "11:00", &[])))
            .unwrap_err();
        assert_eq!(rej.field.as_deref(), Some("limit_px"));
        assert!(rej.message.contains("needs a limit price"), "{rej}");
    }
    // MOC needs a closing auction: crypto has none.
    let mut r = order("BTC-USD", Side::Buy, 1, AlgoKind::Moc, "10:00", "11:00", &[]);
    r.start = None;
    r.end = None;
    let rej = e.apply(&advisor(), Command::Submit(r)).unwrap_err();
    assert!(rej.message.contains("no closing auction"), "{rej}");
    assert_eq!(e.parents().count(), 0);
}
