//! Finding 1 of issue 14 as a property: whatever the quantity (up to ninety
//! times the engine's bound of 1e12 units) and price scale (a limit from
//! 1e-8 to 1e6, a bond quoted per 100, a crypto, a currency pair), an order
//! the engine accepts is within its bounds, the day's notional never goes
//! down or negative, and the order's fills and TCA figures are exact and
//! finite. A refused order leaves the day's usage as it was.
//!
//! Figures are checked against sums the test computes itself in 128-bit
//! integers from the raw fills. 64 cases of a one-instrument engine trading
//! its first five minutes keep the test to seconds in a debug build.

use crate::common::{advisor, engine, order};
use blotter::engine::{Command, MAX_ORDER_NOTIONAL, RejectCode};
use blotter::model::{AlgoKind, Price, Side, Timestamp};

const MINUTE: i64 = 60_000_000_000;
use proptest::prelude::*;

const SYMBOLS: [&str; 4] = ["AAPL", "BTC-USD", "EUR/USD", "UST10Y"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn no_accepted_order_overflows(
        sym in 0usize..4,
        mantissa in 1i64..10,
        exp in 0u32..14,
        limit in prop::option::of(prop::sample::select(vec![1e-8, 0.01, 1.0, 100.0, 1e6])),
        buy in any::<bool>(),
    ) {
        let symbol = SYMBOLS[sym];
        let mut e = engine(7, &[symbol]);
        // From where the engine starts (the open, or midnight for a 24-hour
        // market): running to a fixed hour would simulate the night first.
        let t0 = e.now();
        let qty = mantissa * 10_i64.pow(exp);
        let side = if buy { Side::Buy } else { Side::Sell };
        let mut req = order(symbol, side, qty, AlgoKind::Twap, "09:31", "09:36", &[]);
        req.start = None;
        req.end = Some(Timestamp(t0.0 + MINUTE * 5));
        req.limit_px = limit.map(|p| Price::from_f64(p).unwrap());
        let actor = advisor();
        let used = |e: &blotter::engine::Engine| e.risk().used_today(&actor.tenant, &actor.user);
        let before = used(&e);
        let inst = e.instruments().into_iter().find(|i| i.symbol.as_ref() == symbol).unwrap();
        let mid = e.book(&actor, symbol).unwrap().mid;
        // What the order is worth in its currency, by hand: price x quantity / quote unit.
        let worth = limit.unwrap_or(mid) * qty as f64 / inst.quote_per as f64;
        match e.apply(&actor, Command::Submit(req)) {
            Ok(id) => {
                let id = id.unwrap();
                prop_assert!(worth <= MAX_ORDER_NOTIONAL.to_f64() * 1.000_001, "{qty} {symbol} worth {worth} accepted");
                let after = used(&e);
                prop_assert!(after >= before && after.raw() >= 0, "daily usage {before} -> {after}");
                e.run_until(Timestamp(t0.0 + MINUTE * 6));
                let p = e.parent(id).unwrap();
                let fills = e.fills(id);
                // Notional from the raw fills in 128 bits (price x quantity, in
                // quoted units: a bond's stays per 100 face): the order's own must match.
                let scale = i128::from(Price::SCALE) * i128::from(blotter::model::Qty::SCALE)
                    / i128::from(blotter::model::Money::SCALE);
                let notional: i128 =
                    fills.iter().map(|f| i128::from(f.px.raw()) * i128::from(f.qty.raw()) / scale).sum();
                let filled: i128 = fills.iter().map(|f| i128::from(f.qty.raw())).sum();
                prop_assert_eq!(i128::from(p.filled.raw()), filled);
                prop_assert!(p.filled <= p.qty);
                // Each fill is rounded to the money grid on its own: within a unit per fill.
                prop_assert!((i128::from(p.notional.raw()) - notional).abs() <= fills.len() as i128 + 1,
                    "order notional {} vs {} from its fills", p.notional.raw(), notional);
                // Fees (a maker rebate is negative) add up exactly.
                let fees: i128 = fills.iter().map(|f| i128::from(f.fee.raw())).sum();
                prop_assert_eq!(i128::from(p.fees.raw()), fees);
                let m = e.market(symbol).unwrap();
                let s = blotter::tca::summary(p, fills, &m.tape, e.now());
                for x in [s.arrival_slippage_bps, s.vwap_slippage_bps].into_iter().flatten() {
                    prop_assert!(x.is_finite() && x.abs() < 1e6, "slippage {x} bps");
                }
                prop_assert!(s.participation.is_finite() && s.participation >= 0.0);
            }
            Err(r) => {
                prop_assert_eq!(used(&e), before, "a refusal uses nothing");
                if worth > 2.0 * MAX_ORDER_NOTIONAL.to_f64() {
                    prop_assert!(matches!(r.code, RejectCode::InvalidQty | RejectCode::InvalidPrice), "{r}");
                }
            }
        }
    }
}
