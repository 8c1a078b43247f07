//! Implementation Shortfall on the engine: lambda -> 0 is the TWAP schedule,
//! more risk aversion front-loads, and the trajectory runs to completion.

use crate::common;
use crate::support;

use blotter::model::{AlgoKind, ParentStatus, Qty, Side};
use common::*;
use proptest::prelude::*;
use support::*;

#[test]
fn lambda_zero_is_exactly_the_twap_schedule() {
    let e = engine(1, &["AAPL"]);
    for (qty, slices) in [(200_000, "78"), (1_001, "7"), (50_000, "13")] {
        let is = e
            .preview(&order(
                "AAPL",
                Side::Buy,
                qty,
                AlgoKind::Is,
                "09:30",
                "16:00",
                &[("lambda", "0"), ("slices", slices)],
            ))
            .unwrap();
        let twap =
            e.preview(&order("AAPL", Side::Buy, qty, AlgoKind::Twap, "09:30", "16:00", &[("slices", slices)])).unwrap();
        assert_eq!(is, twap, "qty {qty}, {slices} slices");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Over lambda: a larger lambda has done at least as much by every slice
    /// (to one lot of rounding), and every plan sums exactly to the order.
    #[test]
    fn larger_lambda_front_loads(l in 1e-9f64..1e-5, factor in 1.5f64..50.0, qty in 1_000i64..2_000_000, slices in 2i64..60) {
        let e = engine(1, &["MSFT"]);
        let slices = slices.to_string();
        let lo = l.to_string();
        let hi = (l * factor).to_string();
        let plan = |lambda: &str| {
            e.preview(&order("MSFT", Side::Sell, qty, AlgoKind::Is, "10:00", "15:00", &[("lambda", lambda), ("slices", slices.as_str())])).unwrap()
        };
        let (a, b, flat) = (plan(&lo), plan(&hi), plan("0"));
        prop_assert_eq!(a.last().unwrap().cum, Qty::from_int(qty));
        prop_assert_eq!(b.last().unwrap().cum, Qty::from_int(qty));
        for k in 0..a.len() {
            prop_assert!(b[k].cum + Qty::from_int(1) >= a[k].cum, "slice {}: {} < {}", k, b[k].cum, a[k].cum);
            prop_assert!(a[k].cum + Qty::from_int(1) >= flat[k].cum);
        }
        // Strictly front-loaded somewhere unless the order is tiny.
        if qty > 100_000 {
            prop_assert!(b[0].qty > flat[0].qty);
        }
    }
}

#[test]
fn the_trajectory_runs_to_completion_front_loaded() {
    let mut e = engine(12, &["JPM"]);
    let id = run_one(
        &mut e,
        order("JPM", Side::Buy, 90_000, AlgoKind::Is, "10:00", "12:00", &[("slices", "24"), ("lambda", "5e-6")]),
    );
    let p = e.parent(id).unwrap().clone();
    assert_eq!(p.status, ParentStatus::Done);
    assert_eq!(e.fills(id).iter().map(|f| f.qty).sum::<Qty>(), Qty::from_int(90_000));
    let first_half: Qty = e.fills(id).iter().filter(|f| f.ts < ny("11:00")).map(|f| f.qty).sum();
    assert!(first_half.to_f64() > 0.6 * 90_000.0, "front-loaded: {first_half} in the first hour");
}
