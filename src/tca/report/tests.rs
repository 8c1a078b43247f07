use super::*;
use crate::market::{MidSeries, Print};
use crate::model::{ChildId, FillId, Liquidity, ParentId};

const S: i64 = 1_000_000_000;

fn px(s: &str) -> Price {
    s.parse().unwrap()
}

fn fill(side: Side, venue: &str, p: &str, q: i64, t: i64, fee: &str) -> Fill {
    Fill {
        id: FillId(1),
        child: ChildId { parent: ParentId::local(1), seq: 1 },
        venue: venue.into(),
        side,
        px: px(p),
        qty: Qty::from_int(q),
        fee: Money::parse(fee).unwrap(),
        liquidity: Liquidity::Taker,
        ts: Timestamp(t),
    }
}

fn print(t: i64, p: &str, q: i64, ours: bool) -> Print {
    Print { ts: Timestamp(t), px: px(p), qty: Qty::from_int(q), venue: 0, aggressor: Side::Buy, ours }
}

fn flat_mids(mid: f64, secs: i64) -> MidSeries {
    let mut m = MidSeries::new(Timestamp(0), S);
    for s in 0..=secs {
        m.record(Timestamp(s * S), mid);
    }
    m
}

fn input<'a>(side: Side, qty: i64, fills: &'a [Fill], tape: &'a Tape, mids: &'a MidSeries) -> TcaInput<'a> {
    TcaInput {
        side,
        qty: Qty::from_int(qty),
        decision_px: None,
        arrival_px: Some(px("100")),
        start: Timestamp(0),
        end: fills.last().map_or(Timestamp(0), |f| f.ts),
        algo: Some(AlgoKind::Twap),
        quote_per: 1,
        fills,
        tape,
        mids,
    }
}

#[test]
fn buying_exactly_the_market_tape_has_zero_vwap_slippage() {
    let trades = [(1, "100.01", 300), (2, "100.37", 1_100), (5, "99.93", 250), (9, "100.2", 700)];
    let mut tape = Tape::new(true);
    let mut fills = Vec::new();
    for (t, p, q) in trades {
        tape.push(print(t * S, p, q, false));
        fills.push(fill(Side::Buy, "X", p, q, t * S, "0"));
    }
    let mids = flat_mids(100.0, 20);
    let r = analyse(&input(Side::Buy, 2_350, &fills, &tape, &mids));
    assert_eq!(r.interval_vwap, r.avg_px);
    assert_eq!(r.vwap_slippage_bps, Some(0.0));
    assert_eq!(r.interval_volume, Qty::from_int(2_350));
}

#[test]
fn sign_convention_for_buys_and_sells() {
    let tape = Tape::new(true);
    let mids = flat_mids(100.0, 400);
    // Paying 100.10 against arrival 100.00 costs a buyer 10 bps...
    let buy = [fill(Side::Buy, "X", "100.1", 100, S, "0")];
    let r = analyse(&input(Side::Buy, 100, &buy, &tape, &mids));
    assert!((r.arrival_slippage_bps.unwrap() - 10.0).abs() < 1e-9);
    assert_eq!(r.implementation_shortfall.unwrap().total, Money::from_int(10));
    // ...and the mid staying at 100.00 after the fill is a 10 bps markout cost.
    assert!((r.markouts_bps.s5.unwrap() - 0.1 / 100.1 * 1e4).abs() < 1e-9);
    // Receiving 100.10 as a seller is a 10 bps gain: negative.
    let sell = [fill(Side::Sell, "X", "100.1", 100, S, "0")];
    let r = analyse(&input(Side::Sell, 100, &sell, &tape, &mids));
    assert!((r.arrival_slippage_bps.unwrap() + 10.0).abs() < 1e-9);
    assert_eq!(r.implementation_shortfall.unwrap().total, Money::from_int(-10));
    assert!(r.markouts_bps.s5.unwrap() < 0.0);
    // Selling below arrival is a cost.
    let sell = [fill(Side::Sell, "X", "99.8", 100, S, "0")];
    let r = analyse(&input(Side::Sell, 100, &sell, &tape, &mids));
    assert!((r.arrival_slippage_bps.unwrap() - 20.0).abs() < 1e-9);
}

#[test]
fn report_parts_are_consistent() {
    // Buy 1,000 with arrival 100; market prints around our fills; 600 filled.
    let mut tape = Tape::new(true);
    for (t, p, q) in [(1, "100.05", 500), (3, "100.15", 500), (6, "100.25", 1_000)] {
        tape.push(print(t * S, p, q, false));
    }
    let fills = vec![
        fill(Side::Buy, "NYSE", "100.1", 200, 2 * S, "0.6"),
        fill(Side::Buy, "IEX", "100.2", 300, 4 * S, "0.9"),
        fill(Side::Buy, "NYSE", "100.3", 100, 7 * S, "-0.2"),
    ];
    for f in &fills {
        tape.push(print(f.ts.0, &f.px.to_string(), f.qty.to_f64() as i64, true));
    }
    let mut tape_sorted = Tape::new(true);
    let mut all = tape.prints().to_vec();
    all.sort_by_key(|p| p.ts);
    for p in all {
        tape_sorted.push(p);
    }
    let mids = flat_mids(100.4, 400);
    let r = analyse(&input(Side::Buy, 1_000, &fills, &tape_sorted, &mids));
    let sf = r.implementation_shortfall.unwrap();
    assert_eq!(sf.total, sf.delay + sf.trading + sf.opportunity + sf.fees);
    // N = 20,020 + 30,060 + 10,030 = 60,110; trading = 60,110 - 60,000 = 110; fees 1.30;
    // opportunity = (100.40 - 100.00) x 400 = 160; delay 0 (decision = arrival).
    assert_eq!(sf.trading, Money::from_int(110));
    assert_eq!(sf.opportunity, Money::from_int(160));
    assert_eq!(sf.fees, Money::parse("1.3").unwrap());
    assert_eq!(sf.total, Money::parse("271.3").unwrap());
    let venue_sum: Money = r.venues.iter().map(|v| v.cost.unwrap()).sum();
    assert_eq!(venue_sum, sf.trading + sf.fees);
    let a = r.algo.unwrap();
    assert_eq!(a.impact + a.timing, sf.trading);
    // Market VWAP excl. ours: (50,025 + 50,075 + 100,250) / 2,000 = 100.175.
    assert_eq!(r.interval_vwap, Some(px("100.175")));
    assert!((r.participation - 600.0 / 2_600.0).abs() < 1e-12);
    assert_eq!(r.venues[0].exec.venue.as_ref(), "IEX");
}

#[test]
fn the_report_round_trips_through_json() {
    let tape = Tape::new(true);
    let mids = flat_mids(100.0, 400);
    let fills = [fill(Side::Buy, "NYSE", "100.1", 100, S, "0.3")];
    let r = analyse(&input(Side::Buy, 200, &fills, &tape, &mids));
    let text = serde_json::to_string(&r).unwrap();
    let back: TcaReport = serde_json::from_str(&text).unwrap();
    assert_eq!(back.implementation_shortfall, r.implementation_shortfall);
    assert_eq!(back.venues[0].exec.venue.as_ref(), "NYSE");
    // JSON floats are read back to within an ulp or so.
    assert!((back.markouts_bps.s1.unwrap() - r.markouts_bps.s1.unwrap()).abs() < 1e-12);
}
