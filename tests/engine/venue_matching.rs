//! Matching at a simulated venue: queue position, walking the book, sessions,
//! and book invariants under random sequences of events.

use crate::common;

use blotter::market::session::session;
use blotter::market::{InstrumentMarket, MarketParams, TradeDraw, Universe};
use blotter::model::{Duration, Liquidity, Price, Qty, Side, Tif, Timestamp};
use blotter::venue::{Arrival, Exchange, Execution, NewOrder};
use common::date;
use proptest::prelude::*;

fn setup(symbol: &str, seed: u64) -> (InstrumentMarket, Exchange) {
    let u = Universe::builtin();
    let i = u.instrument_index(symbol).unwrap();
    let inst = &u.instruments()[i];
    let s = session(inst.calendar, &inst.listing, date()).unwrap();
    let mut m = InstrumentMarket::new(&u, i, s, s.open, seed, MarketParams::default());
    m.on_tick(s.open);
    let x = Exchange::new(&u, std::slice::from_ref(&m), seed);
    (m, x)
}

fn q(n: i64) -> Qty {
    Qty::from_int(n)
}

#[test]
fn passive_order_waits_for_the_queue_ahead() {
    let (mut m, mut x) = setup("AAPL", 3);
    let now = m.session.open;
    let best = m.venues[0].book().bids.best().unwrap();
    let ahead = best.qty;
    let mut out = Vec::new();
    let arrival = x.arrive(
        &mut m,
        0,
        0,
        NewOrder { key: 1, side: Side::Buy, qty: q(100), px: Some(best.px), tif: Tif::Day },
        now,
        &mut out,
    );
    assert_eq!(arrival, Arrival::Resting);
    assert!(out.is_empty());
    let (_, _, _, _, queued) = x.orders_at(0, 0).next().unwrap();
    assert_eq!(queued, ahead, "queue ahead is the displayed size at our price on arrival");

    // Sell trades one share short of the queue: nothing reaches us.
    let mut sold = Qty::ZERO;
    while sold + q(1) < ahead {
        let size = q(37).min(ahead - sold - q(1));
        x.market_trade(&mut m, 0, TradeDraw { slot: 0, aggressor: Side::Sell, size }, now, &mut out);
        sold += size;
    }
    assert!(out.is_empty(), "filled before the queue ahead traded: {out:?}");
    // The next trade consumes the last share ahead and then fills us.
    x.market_trade(&mut m, 0, TradeDraw { slot: 0, aggressor: Side::Sell, size: q(60) }, now, &mut out);
    let filled: Qty = out.iter().map(|e| e.qty).sum();
    assert_eq!(filled, q(59), "one share went to the queue ahead, 59 to us");
    assert!(out.iter().all(|e| e.liquidity == Liquidity::Maker && e.px == best.px));
    assert!(out[0].fee.is_negative(), "NYSE pays a maker rebate");
}

#[test]
fn one_unit_of_liquidity_never_fills_two_orders() {
    let (mut m, mut x) = setup("AAPL", 4);
    let now = m.session.open;
    let best = m.venues[1].book().asks.best().unwrap();
    let mut out = Vec::new();
    // Two of our sells inside the spread (they are the venue's best offer) and one at the touch.
    let inside = Price::from_raw(best.px.raw() - 1_000_000); // 0.001 better: sub-penny is fine for the matcher
    for (key, px) in [(1, inside), (2, inside), (3, best.px)] {
        x.arrive(
            &mut m,
            0,
            1,
            NewOrder { key, side: Side::Sell, qty: q(50), px: Some(px), tif: Tif::Day },
            now,
            &mut out,
        );
    }
    let tape_before = m.tape.prints().len();
    x.market_trade(&mut m, 0, TradeDraw { slot: 1, aggressor: Side::Buy, size: q(80) }, now, &mut out);
    let by_key = |k: usize| out.iter().filter(|e| e.key == k).map(|e| e.qty).sum::<Qty>();
    assert_eq!(by_key(1), q(50), "first in time priority fills completely");
    assert_eq!(by_key(2), q(30), "second gets the rest");
    assert_eq!(by_key(3), Qty::ZERO, "nothing left for the order behind");
    let printed: Qty = m.tape.prints()[tape_before..].iter().map(|p| p.qty).sum();
    assert_eq!(printed, q(80), "the tape prints exactly the trade size");
}

#[test]
fn marketable_order_walks_the_book() {
    let (mut m, mut x) = setup("MSFT", 5);
    let now = m.session.open;
    let levels = m.venues[0].book().asks.levels().to_vec();
    let touch = levels[0];
    let size = touch.qty + levels[1].qty + Qty::from_raw(levels[2].qty.raw() / 2).round_down_to(q(1));
    let mut out = Vec::new();
    let arrival =
        x.arrive(&mut m, 0, 0, NewOrder { key: 9, side: Side::Buy, qty: size, px: None, tif: Tif::Ioc }, now, &mut out);
    assert_eq!(arrival, Arrival::Done { cancelled: Qty::ZERO });
    let filled: Qty = out.iter().map(|e| e.qty).sum();
    assert_eq!(filled, size);
    let prices: Vec<Price> = out.iter().map(|e| e.px).collect();
    assert_eq!(prices, vec![levels[0].px, levels[1].px, levels[2].px]);
    let notional: f64 = out.iter().map(|e| e.px.to_f64() * e.qty.to_f64()).sum();
    assert!(notional / filled.to_f64() > touch.px.to_f64(), "average price is worse than the touch");
    assert!(out.iter().all(|e| e.liquidity == Liquidity::Taker && e.fee.is_positive()));
    // The liquidity is gone: the venue's best offer moved up.
    assert!(m.venues[0].book().asks.best_px().unwrap() >= levels[2].px);
}

#[test]
fn ioc_limit_takes_only_what_is_inside_the_limit() {
    let (mut m, mut x) = setup("AAPL", 6);
    let now = m.session.open;
    let touch = m.venues[2].book().asks.best().unwrap();
    let mut out = Vec::new();
    let arrival = x.arrive(
        &mut m,
        0,
        2,
        NewOrder { key: 1, side: Side::Buy, qty: touch.qty + q(500), px: Some(touch.px), tif: Tif::Ioc },
        now,
        &mut out,
    );
    assert_eq!(arrival, Arrival::Done { cancelled: q(500) });
    assert_eq!(out.iter().map(|e| e.qty).sum::<Qty>(), touch.qty);
}

#[test]
fn no_fill_outside_the_session() {
    let (mut m, mut x) = setup("AAPL", 7);
    let mut out = Vec::new();
    let before_open = Timestamp(m.session.open.0 - 1);
    let after_close = m.session.close;
    for t in [before_open, after_close] {
        let a = x.arrive(
            &mut m,
            0,
            0,
            NewOrder { key: 1, side: Side::Buy, qty: q(100), px: None, tif: Tif::Ioc },
            t,
            &mut out,
        );
        match a {
            Arrival::Rejected(reason) => assert!(reason.contains("09:30-16:00 America/New_York"), "{reason}"),
            other => panic!("accepted outside the session: {other:?}"),
        }
    }
    assert!(out.is_empty());
}

#[test]
fn cancel_loses_the_race_against_a_fill() {
    let (mut m, mut x) = setup("AAPL", 8);
    let now = m.session.open;
    let bid = m.venues[0].book().bids.best().unwrap();
    let mut out = Vec::new();
    let better = Price::from_raw(bid.px.raw() + 10_000_000); // one cent above the touch: first in line
    x.arrive(
        &mut m,
        0,
        0,
        NewOrder { key: 5, side: Side::Buy, qty: q(100), px: Some(better), tif: Tif::Day },
        now,
        &mut out,
    );
    x.market_trade(&mut m, 0, TradeDraw { slot: 0, aggressor: Side::Sell, size: q(100) }, now, &mut out);
    assert_eq!(out.iter().map(|e| e.qty).sum::<Qty>(), q(100));
    let later = now + Duration::micros(300);
    let err = x.cancel(&m, 0, 0, 5, later).unwrap_err();
    assert!(err.contains("too late"), "{err}");
}

#[derive(Debug, Clone)]
enum Op {
    Tick,
    Trade { slot: usize, buy: bool, size: i64 },
    Take { slot: usize, buy: bool, size: i64, ticks_through: i64 },
    Post { slot: usize, buy: bool, size: i64, ticks_from_touch: i64 },
    Cancel { nth: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Tick),
        4 => (0usize..5, any::<bool>(), 1i64..3_000).prop_map(|(slot, buy, size)| Op::Trade { slot, buy, size }),
        1 => (0usize..5, any::<bool>(), 1i64..5_000, 0i64..4).prop_map(|(slot, buy, size, ticks_through)| Op::Take { slot, buy, size, ticks_through }),
        3 => (0usize..5, any::<bool>(), 1i64..2_000, -2i64..4).prop_map(|(slot, buy, size, ticks_from_touch)| Op::Post { slot, buy, size, ticks_from_touch }),
        1 => (0usize..8).prop_map(|nth| Op::Cancel { nth }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// After any sequence of events: no venue book is crossed, every level and
    /// every resting order has a positive quantity, our resting orders never
    /// cross the other side, and no order is filled beyond its size.
    #[test]
    fn books_stay_sane(seed in 0u64..1_000, ops in prop::collection::vec(op(), 1..120)) {
        let (mut m, mut x) = setup("AAPL", seed);
        let tick = m.inst.tick_size;
        let mut now = m.session.open;
        let mut out: Vec<Execution> = Vec::new();
        let mut sizes: Vec<Qty> = Vec::new();
        for op in ops {
            now = now + Duration::millis(20);
            match op {
                Op::Tick => {
                    m.on_tick(now);
                    x.on_requote(&mut m, 0, now, &mut out);
                }
                Op::Trade { slot, buy, size } => {
                    let aggressor = if buy { Side::Buy } else { Side::Sell };
                    x.market_trade(&mut m, 0, TradeDraw { slot, aggressor, size: q(size) }, now, &mut out);
                }
                Op::Take { slot, buy, size, ticks_through } => {
                    let side = if buy { Side::Buy } else { Side::Sell };
                    let Some(far) = m.venues[slot].book().side(side.opposite()).best_px() else { continue };
                    let px = Price::from_raw(far.raw() + side.sign() * ticks_through * tick.raw());
                    sizes.push(q(size));
                    x.arrive(&mut m, 0, slot, NewOrder { key: sizes.len() - 1, side, qty: q(size), px: Some(px), tif: Tif::Ioc }, now, &mut out);
                }
                Op::Post { slot, buy, size, ticks_from_touch } => {
                    let side = if buy { Side::Buy } else { Side::Sell };
                    let Some(near) = m.venues[slot].book().side(side).best_px() else { continue };
                    let px = Price::from_raw(near.raw() - side.sign() * ticks_from_touch * tick.raw());
                    if !px.is_positive() { continue; }
                    sizes.push(q(size));
                    x.arrive(&mut m, 0, slot, NewOrder { key: sizes.len() - 1, side, qty: q(size), px: Some(px), tif: Tif::Day }, now, &mut out);
                }
                Op::Cancel { nth } => {
                    let resting: Vec<(usize, usize)> = (0..5).flat_map(|s| x.orders_at(0, s).map(move |o| (s, o.0)).collect::<Vec<_>>()).collect();
                    if let Some(&(slot, key)) = resting.get(nth % resting.len().max(1)) {
                        prop_assert!(x.cancel(&m, 0, slot, key, now).is_ok());
                    }
                }
            }
            for (slot, v) in m.venues.iter().enumerate() {
                prop_assert!(!v.book().is_crossed(), "venue {} crossed", slot);
                for l in v.book().bids.levels().iter().chain(v.book().asks.levels()) {
                    prop_assert!(l.qty.is_positive());
                }
                let (bid, ask) = (v.book().bids.best_px(), v.book().asks.best_px());
                for (_, side, px, leaves, ahead) in x.orders_at(0, slot) {
                    prop_assert!(leaves.is_positive() && !ahead.is_negative());
                    match side {
                        Side::Buy => prop_assert!(ask.is_none_or(|a| px < a), "resting buy {} crosses ask {:?}", px, ask),
                        Side::Sell => prop_assert!(bid.is_none_or(|b| px > b), "resting sell {} crosses bid {:?}", px, bid),
                    }
                }
            }
        }
        let mut filled = vec![Qty::ZERO; sizes.len()];
        for e in &out {
            prop_assert!(e.qty.is_positive());
            filled[e.key] += e.qty;
        }
        for (f, s) in filled.iter().zip(&sizes) {
            prop_assert!(f <= s, "filled {} of {}", f, s);
        }
    }
}

#[test]
fn amend_down_keeps_the_queue_amend_price_loses_it() {
    let (mut m, mut x) = setup("AAPL", 9);
    let now = m.session.open;
    let bid = m.venues[0].book().bids.best().unwrap();
    let mut out = Vec::new();
    x.arrive(
        &mut m,
        0,
        0,
        NewOrder { key: 1, side: Side::Buy, qty: q(300), px: Some(bid.px), tif: Tif::Day },
        now,
        &mut out,
    );
    let ahead = |x: &Exchange| x.orders_at(0, 0).next().map(|o| (o.3, o.4)).unwrap();
    assert_eq!(ahead(&x), (q(300), bid.qty));
    // Others trade part of the queue ahead of us; then we shrink: our place holds.
    x.market_trade(&mut m, 0, TradeDraw { slot: 0, aggressor: Side::Sell, size: q(10) }, now, &mut out);
    assert_eq!(x.amend(&m, 0, 0, 1, q(200), bid.px), Some(q(200)));
    assert_eq!(ahead(&x), (q(200), bid.qty - q(10)), "a reduction keeps the queue position");
    // A new price goes to the back of that level.
    let lower = m.venues[0].book().bids.levels()[1];
    assert_eq!(x.amend(&m, 0, 0, 1, q(200), lower.px), Some(q(200)));
    assert_eq!(ahead(&x), (q(200), lower.qty));
    assert_eq!(x.amend(&m, 0, 0, 99, q(1), lower.px), None, "unknown order");
}
