//! Smart order routing on books built by hand.

use crate::common;

use blotter::market::session::session;
use blotter::market::{InstrumentMarket, MarketParams, Universe};
use blotter::model::{Price, Qty, Side, Tif};
use blotter::router::{Intent, Router, Urgency};
use common::date;

fn px(s: &str) -> Price {
    s.parse().unwrap()
}

/// AAPL with every venue's book replaced: `asks[slot]` levels and a bid 5 cents below.
fn market(asks: &[&[(&str, i64)]]) -> (Universe, InstrumentMarket) {
    let u = Universe::builtin();
    let i = u.instrument_index("AAPL").unwrap();
    let s = session(u.instruments()[i].calendar, "NASDAQ", date()).unwrap();
    let mut m = InstrumentMarket::new(&u, i, s, s.open, 1, MarketParams::default());
    m.on_tick(s.open);
    for (slot, levels) in asks.iter().enumerate() {
        let book = m.venues[slot].book_mut();
        book.asks.clear();
        book.bids.clear();
        for (p, q) in levels.iter() {
            book.asks.push(px(p), Qty::from_int(*q));
        }
        book.bids.push(px("229.95"), Qty::from_int(100));
    }
    (u, m)
}

fn venue_name(u: &Universe, m: &InstrumentMarket, slot: usize) -> String {
    u.venue(m.venues[slot].venue).name.to_string()
}

#[test]
fn prefers_the_better_net_price_after_fees() {
    // Slots: NYSE, NASDAQ, BATS, IEX, ARCA. Same price at NYSE and IEX; IEX's
    // taker fee is 0.0009 against NYSE's 0.0030.
    let (u, m) = market(&[&[("230.01", 300)], &[("230.02", 1_000)], &[], &[("230.01", 300)], &[]]);
    let r = Router::new([m.venues.len()]);
    let intent = Intent { side: Side::Buy, qty: Qty::from_int(200), limit: None, urgency: Urgency::Aggressive };
    let d = r.route(&u, &m, 0, intent, m.session.open);
    assert_eq!(d.allocations.len(), 1);
    assert_eq!(d.allocations[0].venue.as_ref(), "IEX");
    assert_eq!(d.allocations[0].tif, Tif::Ioc);
    assert!(d.reason.contains("net price"), "{}", d.reason);
    assert_eq!(venue_name(&u, &m, 3), "IEX");
}

#[test]
fn splits_when_one_venue_is_short() {
    let (u, m) = market(&[&[("230.01", 300)], &[("230.02", 1_000)], &[], &[("230.01", 300)], &[]]);
    let r = Router::new([m.venues.len()]);
    let intent = Intent { side: Side::Buy, qty: Qty::from_int(1_000), limit: None, urgency: Urgency::Aggressive };
    let d = r.route(&u, &m, 0, intent, m.session.open);
    let mut got: Vec<(String, Qty, Option<Price>)> =
        d.allocations.iter().map(|a| (a.venue.to_string(), a.qty, a.px)).collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("IEX".to_string(), Qty::from_int(300), Some(px("230.01"))),
            ("NASDAQ".to_string(), Qty::from_int(400), Some(px("230.02"))),
            ("NYSE".to_string(), Qty::from_int(300), Some(px("230.01"))),
        ]
    );
    // The cheaper venue at the same price is filled first: with 500 wanted, IEX gets all its 300.
    let intent = Intent { qty: Qty::from_int(500), ..intent };
    let d = r.route(&u, &m, 0, intent, m.session.open);
    let iex = d.allocations.iter().find(|a| a.venue.as_ref() == "IEX").map(|a| a.qty);
    let nyse = d.allocations.iter().find(|a| a.venue.as_ref() == "NYSE").map(|a| a.qty);
    assert_eq!((iex, nyse), (Some(Qty::from_int(300)), Some(Qty::from_int(200))));
}

#[test]
fn a_limit_stops_the_sweep() {
    let (u, m) = market(&[&[("230.01", 300)], &[("230.02", 1_000)], &[], &[("230.01", 300)], &[]]);
    let r = Router::new([m.venues.len()]);
    let intent =
        Intent { side: Side::Buy, qty: Qty::from_int(1_000), limit: Some(px("230.01")), urgency: Urgency::Aggressive };
    let d = r.route(&u, &m, 0, intent, m.session.open);
    assert_eq!(d.allocations.iter().map(|a| a.qty).sum::<Qty>(), Qty::from_int(600));
    assert!(d.reason.contains("400 short"), "{}", d.reason);
}

#[test]
fn passive_posting_learns_from_fills() {
    let lvl: &[(&str, i64)] = &[("230.05", 100)];
    let (u, m) = market(&[lvl; 5]);
    let mut r = Router::new([m.venues.len()]);
    let intent = Intent { side: Side::Buy, qty: Qty::from_int(100), limit: None, urgency: Urgency::Passive };
    let first = r.route(&u, &m, 0, intent, m.session.open);
    assert_eq!(first.allocations[0].px, Some(px("229.95")), "joins the national best bid");
    let chosen = first.allocations[0].slot;
    // That venue never fills us; another always does.
    let other = (chosen + 1) % 5;
    for _ in 0..200 {
        r.learn_passive(0, chosen, Qty::from_int(100), Qty::ZERO);
        r.learn_passive(0, other, Qty::from_int(100), Qty::from_int(100));
    }
    let later = r.route(&u, &m, 0, intent, m.session.open);
    assert_eq!(later.allocations[0].slot, other, "{}", later.reason);
    assert!(r.passive_fill_prob(&m, 0, chosen) < 0.1);
}
