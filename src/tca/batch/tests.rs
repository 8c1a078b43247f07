use super::*;
use crate::market::replay::csv::{RecFill, parse_time};
use crate::model::Side;

fn t(s: &str) -> Timestamp {
    parse_time(s).unwrap()
}
fn px(s: &str) -> Price {
    s.parse().unwrap()
}
fn money(s: &str) -> Money {
    Money::parse(s).unwrap()
}
fn src(file: &str, line: u64) -> Source {
    Source { file: file.into(), line }
}

pub(crate) fn order(id: &str, symbol: &str, side: Side, qty: i64, arrival: &str, end: &str) -> OrderSpec {
    OrderSpec {
        id: id.into(),
        symbol: symbol.into(),
        side,
        qty: Qty::from_int(qty),
        arrival: t(arrival),
        end: t(end),
        decision_px: None,
        decision_time: None,
        broker: None,
        algo: None,
        trader: None,
        desk: None,
        limit_px: None,
        quote_per: 1,
        source: src("orders.csv", 2),
    }
}

pub(crate) fn fill(order_id: &str, ts: &str, p: &str, q: i64, fee: &str, line: u64) -> FillSpec {
    FillSpec {
        order_id: order_id.into(),
        exec: RecFill { ts: t(ts), px: px(p), qty: Qty::from_int(q), venue: None, fee: money(fee), maker: None },
        source: src("fills.csv", line),
    }
}

/// Feeds `(symbol, time, price, qty)` prints in the order given.
pub(crate) fn run(orders: Vec<OrderSpec>, fills: Vec<FillSpec>, prints: &[(&str, &str, &str, i64)]) -> BatchReport {
    let mut b = Batch::new(orders, fills).unwrap();
    for (sym, ts, p, q) in prints {
        if let Some(s) = b.market().symbol(sym) {
            b.market().trade(s, t(ts), px(p), Qty::from_int(*q)).unwrap();
        }
    }
    b.finish()
}

/// The CFA curriculum's implementation-shortfall example, on a tape.
///
/// Monday the stock closes at 10.00 and the portfolio manager decides to buy
/// 1,000 shares (decision_time = Monday's close, so the decision price is the
/// 10.00 closing print). Tuesday nothing is bought; it closes at 10.05. The
/// order reaches the market on Wednesday at 09:00, before the open, so its
/// arrival price is the last print, Tuesday's close: 10.05. 700 shares fill at
/// 10.07 with 14.00 of commissions; Wednesday closes at 10.08 and the rest is
/// cancelled at the close (end = 16:00, the closing print included: 10.08).
///
/// paper        = 1,000 x 10.00                       = 10,000.00
/// delay        = (10.05 - 10.00) x 700               =     35.00  (35 bps)
/// trading      = (10.07 - 10.05) x 700               =     14.00  (14 bps)
/// opportunity  = (10.08 - 10.00) x 300               =     24.00  (24 bps)
/// fees         =                                           14.00  (14 bps)
/// total        = 35 + 14 + 24 + 14                   =     87.00  (0.87%, as in the curriculum)
///
/// Wednesday's market prints in [09:00, 16:00]: 500 @ 10.06, 1,000 @ 10.07,
/// 500 @ 10.09, 2,000 @ 10.08 (the close): VWAP = (5,030 + 10,070 + 5,045 +
/// 20,160) / 4,000 = 40,305 / 4,000 = 10.07625; Tuesday's prints are outside it.
#[test]
fn cfa_worked_example_to_the_cent() {
    let mut o = order("IR1", "IR", Side::Buy, 1_000, "2026-11-25T09:00:00-05:00", "2026-11-25T16:00:00-05:00");
    o.decision_time = Some(t("2026-11-23T16:00:00-05:00"));
    let fills = vec![fill("IR1", "2026-11-25T11:00:00-05:00", "10.07", 700, "14", 2)];
    let tape = [
        ("IR", "2026-11-23T15:30:00-05:00", "9.98", 800),
        ("IR", "2026-11-23T16:00:00-05:00", "10.00", 3_000),
        ("IR", "2026-11-24T10:00:00-05:00", "9.99", 1_000),
        ("IR", "2026-11-24T16:00:00-05:00", "10.05", 2_500),
        ("IR", "2026-11-25T09:30:00-05:00", "10.06", 500),
        ("IR", "2026-11-25T11:00:00-05:00", "10.07", 1_000),
        ("IR", "2026-11-25T14:00:00-05:00", "10.09", 500),
        ("IR", "2026-11-25T16:00:00-05:00", "10.08", 2_000),
        ("IR", "2026-11-26T09:30:00-05:00", "10.20", 100),
    ];
    let r = run(vec![o], fills, &tape);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    let o = &r.orders[0];
    assert_eq!(o.tca.decision_px, Some(px("10")));
    assert_eq!(o.tca.arrival_px, Some(px("10.05")));
    assert_eq!(o.tca.end_px, Some(px("10.08")));
    let sf = o.tca.implementation_shortfall.unwrap();
    assert_eq!(sf.paper_notional, money("10000"));
    assert_eq!(
        (sf.delay, sf.trading, sf.opportunity, sf.fees, sf.total),
        (money("35"), money("14"), money("24"), money("14"), money("87"))
    );
    assert!((sf.total_bps - 87.0).abs() < 1e-9);
    assert!((sf.delay_bps - 35.0).abs() < 1e-9 && (sf.opportunity_bps - 24.0).abs() < 1e-9);
    assert_eq!(o.tca.interval_vwap, Some(px("10.07625")));
    assert_eq!(o.tca.interval_volume, Qty::from_int(4_000));
    // 700 of 4,000 market shares in the window.
    assert!((o.size_pct.unwrap() - 17.5).abs() < 1e-9);
    assert_eq!(o.price_source, PriceSource::LastTrade);
    // The chart's buckets add up to the window's volume.
    assert_eq!(o.chart.len(), CHART_BUCKETS);
    assert_eq!(o.chart.iter().map(|b| b.qty).sum::<Qty>(), Qty::from_int(4_000));
    assert_eq!(o.chart[0].t0, t("2026-11-25T09:00:00-05:00"));
    assert_eq!(o.chart[CHART_BUCKETS - 1].t1, t("2026-11-25T16:00:00-05:00"));
}

/// Sell 5,000 decided at 20.00, filled in full: 2,000 @ 19.95 (fee 4) and
/// 3,000 @ 19.90 (fee 6). Arrival at 10:00 takes the 09:59 print, 19.98.
///
/// N = 39,900 + 59,700 = 99,600; paper = 100,000.
/// delay   = -(19.98 - 20.00) x 5,000     = 100.00 (10 bps)
/// trading = -(99,600 - 19.98 x 5,000)     = -(99,600 - 99,900) = 300.00 (30 bps)
/// opportunity = 0 (nothing left); fees = 10.00 (1 bp); total = 410.00 (41 bps)
/// check: -(99,600 - 100,000) + 10 = 410.
/// One second after the last fill the market prints 19.80: the sale at 19.90
/// then shows a 1 s markout of -(19.90 - 19.80) / 19.90 x 1e4 = -50.25 bps
/// (negative: the price kept falling after we sold, in our favour).
#[test]
fn a_sell_filled_in_full() {
    let mut o = order("S1", "ABC", Side::Sell, 5_000, "2026-11-25T10:00:00Z", "2026-11-25T10:30:00Z");
    o.decision_px = Some(px("20"));
    let fills = vec![
        fill("S1", "2026-11-25T10:20:00Z", "19.90", 3_000, "6", 3),
        fill("S1", "2026-11-25T10:05:00Z", "19.95", 2_000, "4", 2),
    ];
    let tape = [
        ("ABC", "2026-11-25T09:59:00Z", "19.98", 100),
        ("ABC", "2026-11-25T10:10:00Z", "19.93", 400),
        ("ABC", "2026-11-25T10:20:01Z", "19.80", 100),
        ("ABC", "2026-11-25T10:40:00Z", "19.85", 100),
    ];
    let r = run(vec![o], fills, &tape);
    let o = &r.orders[0];
    let sf = o.tca.implementation_shortfall.unwrap();
    assert_eq!(
        (sf.delay, sf.trading, sf.opportunity, sf.fees, sf.total),
        (money("100"), money("300"), Money::ZERO, money("10"), money("410"))
    );
    assert!((sf.total_bps - 41.0).abs() < 1e-9);
    assert_eq!(o.tca.filled_qty, Qty::from_int(5_000));
    assert_eq!(o.fills[0].ts, t("2026-11-25T10:05:00Z"), "fills are put in time order");
    let last_fill_1s = -(19.90 - 19.80) / 19.90 * 1e4;
    // Quantity-weighted over both fills: the first's 1 s mid is 19.98 (-15.04 bps).
    let first_1s = -(19.95 - 19.98) / 19.95 * 1e4;
    let expected = (2_000.0 * first_1s + 3_000.0 * last_fill_1s) / 5_000.0;
    assert!((o.tca.markouts_bps.s1.unwrap() - expected).abs() < 1e-9, "{:?}", o.tca.markouts_bps);
}

#[test]
fn quotes_give_the_arrival_mid() {
    let o = order("Q1", "ABC", Side::Buy, 100, "2026-11-25T10:00:00Z", "2026-11-25T10:01:00Z");
    let mut b = Batch::new(vec![o], vec![fill("Q1", "2026-11-25T10:00:30Z", "10.02", 100, "0", 2)]).unwrap();
    let s = b.market().symbol("ABC").unwrap();
    b.market().quote(s, t("2026-11-25T09:59:59Z"), px("9.99"), px("10.01")).unwrap();
    b.market().trade(s, t("2026-11-25T09:59:59.5Z"), px("10.01"), Qty::from_int(5)).unwrap();
    b.market().quote(s, t("2026-11-25T10:02:00Z"), px("10.03"), px("10.05")).unwrap();
    let r = b.finish();
    let o = &r.orders[0];
    assert_eq!(o.price_source, PriceSource::Mid);
    assert_eq!(o.tca.arrival_px, Some(px("10")));
    // The window [10:00, 10:01] has no market print: no interval VWAP, no size.
    assert_eq!(o.tca.interval_vwap, None);
    assert_eq!(o.size_pct, None);
    assert_eq!(o.tca.end_px, Some(px("10")));
}

#[test]
fn a_fill_of_an_unknown_order_is_listed_and_left_out() {
    let o = order("A", "X", Side::Buy, 100, "2026-11-25T10:00:00Z", "2026-11-25T11:00:00Z");
    let fills =
        vec![fill("A", "2026-11-25T10:30:00Z", "10", 50, "0", 2), fill("B", "2026-11-25T10:31:00Z", "10", 5, "0", 3)];
    let r = run(vec![o], fills, &[("X", "2026-11-25T09:00:00Z", "10", 1), ("X", "2026-11-25T12:00:00Z", "10", 1)]);
    assert_eq!(r.orders[0].tca.filled_qty, Qty::from_int(50));
    assert_eq!(r.issues.len(), 1);
    let i = &r.issues[0];
    assert_eq!((i.kind, i.excluded, i.source.line), (IssueKind::UnknownOrder, Excluded::Fill, 3));
    assert!(i.to_string().starts_with("fills.csv:3: order id 'B' is not among the orders"), "{i}");
}

#[test]
fn fills_outside_the_window_are_listed_and_left_out() {
    let o = order("A", "X", Side::Buy, 100, "2026-11-25T10:00:00Z", "2026-11-25T11:00:00Z");
    let fills = vec![
        fill("A", "2026-11-25T09:59:59.999Z", "10", 10, "0", 2),
        fill("A", "2026-11-25T10:00:00Z", "10", 20, "0", 3),
        fill("A", "2026-11-25T11:00:00Z", "10", 30, "0", 4),
        fill("A", "2026-11-25T11:00:00.001Z", "10", 40, "0", 5),
    ];
    let r = run(vec![o], fills, &[("X", "2026-11-25T09:00:00Z", "10", 1), ("X", "2026-11-25T12:00:00Z", "10", 1)]);
    // Both edges are inside: 20 + 30.
    assert_eq!(r.orders[0].tca.filled_qty, Qty::from_int(50));
    let lines: Vec<u64> = r.issues.iter().map(|i| i.source.line).collect();
    assert_eq!(lines, vec![2, 5]);
    assert!(r.issues.iter().all(|i| i.kind == IssueKind::FillOutsideWindow));
    assert!(r.issues[0].message.contains("before the order's arrival"), "{}", r.issues[0]);
    assert!(r.issues[1].message.contains("after the order's end"), "{}", r.issues[1]);
    assert!(r.issues[1].fix.contains("orders.csv:2"), "{}", r.issues[1]);
}

#[test]
fn an_over_filled_order_is_left_out_with_its_fills() {
    let a = order("A", "X", Side::Buy, 100, "2026-11-25T10:00:00Z", "2026-11-25T11:00:00Z");
    let mut b = order("B", "X", Side::Buy, 100, "2026-11-25T10:00:00Z", "2026-11-25T11:00:00Z");
    b.source.line = 3;
    let fills = vec![
        fill("A", "2026-11-25T10:30:00Z", "10", 60, "0", 2),
        fill("A", "2026-11-25T10:31:00Z", "10", 60, "0", 3),
        fill("B", "2026-11-25T10:31:00Z", "10", 100, "0", 4),
    ];
    let r = run(vec![a, b], fills, &[("X", "2026-11-25T09:00:00Z", "10", 1), ("X", "2026-11-25T12:00:00Z", "10", 1)]);
    assert_eq!(r.orders.len(), 1);
    assert_eq!(r.orders[0].order.id, "B", "exactly the order's quantity is fine");
    let i = &r.issues[0];
    assert_eq!((i.kind, i.excluded, i.order_id.as_str()), (IssueKind::OverFilled, Excluded::Order, "A"));
    assert!(i.message.contains("add up to 120, above the order's qty 100"), "{i}");
    assert!(i.fix.contains("fills.csv lines 2, 3"), "{i}");
}

#[test]
fn orders_without_market_data_for_their_window_are_listed_and_left_out() {
    let mk = |id: &str, sym: &str, line: u64| {
        let mut o = order(id, sym, Side::Buy, 100, "2026-11-25T10:00:00Z", "2026-11-25T11:00:00Z");
        o.source.line = line;
        o
    };
    let mut decided_early = mk("D", "X", 5);
    decided_early.decision_time = Some(t("2026-11-24T10:00:00Z"));
    let orders = vec![mk("NONE", "Y", 2), mk("LATE", "Z", 3), mk("STALE", "W", 4), decided_early, mk("OK", "X", 6)];
    let tape = [
        ("W", "2026-11-24T15:00:00Z", "10", 1),
        ("X", "2026-11-25T09:00:00Z", "10", 1),
        ("Z", "2026-11-25T10:00:00.001Z", "10", 1),
        ("X", "2026-11-25T12:00:00Z", "10", 1),
    ];
    let r = run(orders, vec![], &tape);
    assert_eq!(r.orders.iter().map(|o| o.order.id.as_str()).collect::<Vec<_>>(), vec!["OK"]);
    assert!(r.issues.iter().all(|i| i.kind == IssueKind::NoMarketData && i.excluded == Excluded::Order));
    let msg = |id: &str| r.issues.iter().find(|i| i.order_id == id).unwrap().to_string();
    assert!(msg("NONE").contains("Y has no market data"), "{}", msg("NONE"));
    assert!(msg("LATE").contains("no print of Z at or before the arrival"), "{}", msg("LATE"));
    assert!(msg("STALE").contains("W's data ends at 2026-11-24T15:00:00"), "{}", msg("STALE"));
    assert!(msg("D").contains("decision time"), "{}", msg("D"));
    assert_eq!(r.issues.iter().map(|i| i.source.line).collect::<Vec<_>>(), vec![2, 3, 4, 5]);
}

#[test]
fn malformed_orders_are_errors_naming_the_column() {
    let good = || order("A", "X", Side::Buy, 100, "2026-11-25T10:00:00Z", "2026-11-25T11:00:00Z");
    let mut backwards = good();
    backwards.end = t("2026-11-25T09:00:00Z");
    let e = Batch::new(vec![backwards], vec![]).err().unwrap();
    assert_eq!(e.column, "end");
    assert!(e.to_string().contains("is before the arrival"), "{e}");
    let mut dup = good();
    dup.source.line = 7;
    let e = Batch::new(vec![good(), dup], vec![]).err().unwrap();
    assert_eq!((e.column, e.at.line), ("order_id", 7));
    assert!(e.message.contains("line 2"), "{e}");
    let mut late_decision = good();
    late_decision.decision_time = Some(t("2026-11-25T10:00:01Z"));
    assert_eq!(Batch::new(vec![late_decision], vec![]).err().unwrap().column, "decision_time");
    let mut zero = good();
    zero.qty = Qty::ZERO;
    assert_eq!(Batch::new(vec![zero], vec![]).err().unwrap().column, "qty");
}

/// A bond bought at 98.50 per 100 of face: 1,000,000 face filled at 98.75
/// costs (98.75 - 98.50) / 100 x 1,000,000 = 2,500.00 against arrival.
#[test]
fn bonds_priced_per_hundred() {
    let mut o = order("B1", "UST10Y", Side::Buy, 1_000_000, "2026-11-25T10:00:00Z", "2026-11-25T12:00:00Z");
    o.quote_per = 100;
    let r = run(
        vec![o],
        vec![fill("B1", "2026-11-25T11:00:00Z", "98.75", 1_000_000, "0", 2)],
        &[
            ("UST10Y", "2026-11-25T09:00:00Z", "98.50", 5_000_000),
            ("UST10Y", "2026-11-25T13:00:00Z", "98.70", 1_000_000),
        ],
    );
    let o = &r.orders[0];
    assert_eq!(o.tca.implementation_shortfall.unwrap().trading, money("2500"));
    assert_eq!(o.executed_notional, money("987500"));
}

#[test]
fn times_in_messages_keep_only_the_precision_they_have() {
    assert_eq!(when(t("2026-11-25T11:00:01Z")), "2026-11-25T11:00:01Z");
    assert_eq!(when(t("2026-11-25T11:00:01.250Z")), "2026-11-25T11:00:01.25Z");
}

/// Extremes of the fixed-point grid. A 1e-8 coin: buy 1,000,000,000 at 0.00000002 against an
/// arrival of 0.00000001 costs (2e-8 - 1e-8) x 1e9 = 10.00, exactly. A 1,000,000.00 price:
/// 9,000,000 units are 9e12 of notional, inside the money grid (9.22e12); trading 0.5 x 9e6
/// = 4,500,000.00. Ten times that is refused as out of range, not wrapped.
#[test]
fn tiny_and_huge_prices_are_exact_or_refused() {
    let day =
        |id: &str, sym: &str, qty: i64| order(id, sym, Side::Buy, qty, "2026-11-25T10:00:00Z", "2026-11-25T11:00:00Z");
    let orders = vec![day("TINY", "SHIB", 1_000_000_000), day("BIG", "BRK", 9_000_000), day("HUGE", "BRK", 90_000_000)];
    let fills = vec![
        fill("TINY", "2026-11-25T10:30:00Z", "0.00000002", 1_000_000_000, "0", 2),
        fill("BIG", "2026-11-25T10:30:00Z", "1000000.5", 9_000_000, "0", 3),
        fill("HUGE", "2026-11-25T10:30:00Z", "1000000.5", 90_000_000, "0", 4),
    ];
    let tape = [
        ("SHIB", "2026-11-25T09:00:00Z", "0.00000001", 5_000_000_000),
        ("BRK", "2026-11-25T09:00:00Z", "1000000", 10),
        ("SHIB", "2026-11-25T12:00:00Z", "0.00000001", 1),
        ("BRK", "2026-11-25T12:00:00Z", "1000000", 1),
    ];
    let r = run(orders, fills, &tape);
    let by = |id: &str| r.orders.iter().find(|o| o.order.id == id).unwrap();
    assert_eq!(by("TINY").tca.implementation_shortfall.unwrap().trading, money("10"));
    assert_eq!(by("BIG").tca.implementation_shortfall.unwrap().trading, money("4500000"));
    assert_eq!(by("BIG").executed_notional, money("9000004500000"));
    assert_eq!(r.issues.len(), 1);
    assert_eq!((r.issues[0].kind, r.issues[0].order_id.as_str()), (IssueKind::OutOfRange, "HUGE"));
    assert!(r.issues[0].message.contains("exceeds the fixed-point range"), "{}", r.issues[0]);
}

/// A 24-hour market: an order across midnight UTC reads the prints on both sides of it.
#[test]
fn a_window_across_midnight() {
    let o = order("C1", "BTCUSD", Side::Sell, 2, "2026-11-25T23:30:00Z", "2026-11-26T00:30:00Z");
    let fills = vec![
        fill("C1", "2026-11-25T23:59:59Z", "90000", 1, "0", 2),
        fill("C1", "2026-11-26T00:00:01Z", "89990", 1, "0", 3),
    ];
    let tape = [
        ("BTCUSD", "2026-11-25T23:29:00Z", "90010", 1),
        ("BTCUSD", "2026-11-25T23:45:00Z", "90000", 3),
        ("BTCUSD", "2026-11-26T00:15:00Z", "89980", 1),
        ("BTCUSD", "2026-11-26T01:00:00Z", "89900", 1),
    ];
    let r = run(vec![o], fills, &tape);
    let o = &r.orders[0];
    // Window prints 3 @ 90,000 and 1 @ 89,980: VWAP (270,000 + 89,980) / 4 = 89,995.
    assert_eq!(o.tca.interval_vwap, Some(px("89995")));
    // Sold 179,990 against arrival 90,010 x 2 = 180,020: trading 30.00.
    assert_eq!(o.tca.implementation_shortfall.unwrap().trading, money("30"));
}
