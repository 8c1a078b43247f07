use super::*;
use crate::model::Side;
use crate::tca::batch::tests::{fill, order, run};
use crate::tca::batch::{BatchReport, FillSpec};

fn money(s: &str) -> Money {
    Money::parse(s).unwrap()
}

fn with_venue(mut f: FillSpec, v: &str) -> FillSpec {
    f.exec.venue = Some(v.into());
    f
}

/// Four orders over two symbols, two brokers, two algos, three venues.
///
/// AAA prints: 09:59 50.10 x 1,000; 10:20 50.25 x 2,000; 10:29 50.60 x 500;
/// 10:45 50.30 x 1,000; 11:30 50.20 x 1,000; 12:00 50.00 x 100.
/// BBB prints: 09:58 20.00 x 500; 10:14 19.95 x 1,000; 10:40 20.10 x 2,000; 12:00 20.00 x 100.
///
/// O1 GS VWAP, buy 1,000 AAA [10:00, 11:00], D 50.00, A 50.10 (09:59 print);
///    600 @ 50.20 NYSE fee 3, 400 @ 50.30 IEX fee 2. paper 50,000;
///    delay 0.10 x 1,000 = 100; trading 30,120 + 20,120 - 50,100 = 140; fees 5;
///    total 245 = 49 bps.
/// O2 MS TWAP, sell 2,000 AAA [10:30, 11:30], D 50.50, A 50.60 (10:29), E 50.20 (11:30);
///    1,000 @ 50.40 NYSE fee 4. paper 101,000; delay -(50.60 - 50.50) x 1,000 = -100;
///    trading -(50,400 - 50,600) = 200; opportunity -(50.20 - 50.50) x 1,000 = 300;
///    fees 4; total 404 = 40 bps.
/// O3 GS TWAP, buy 500 BBB [10:00, 10:30], no decision price so D = A = 20.00;
///    500 @ 20.04 ARCA fee 1. paper 10,000; trading 20; fees 1; total 21 = 21 bps.
/// O4 MS VWAP, buy 1,000 BBB [10:15, 11:00], D 19.90, A 19.95 (10:14), E 20.10 (10:40);
///    800 @ 20.05 NYSE fee 2. paper 19,900; delay 0.05 x 800 = 40;
///    trading 16,040 - 15,960 = 80; opportunity 0.20 x 200 = 40; fees 2;
///    total 162 = 81.41 bps.
pub(crate) fn batch() -> BatchReport {
    let mk = |id: &str, sym: &str, side, qty, a: &str, e: &str, d: Option<&str>, broker: &str, algo: &str| {
        let mut o = order(id, sym, side, qty, &format!("2026-11-25T{a}:00Z"), &format!("2026-11-25T{e}:00Z"));
        o.decision_px = d.map(|d| d.parse().unwrap());
        o.broker = Some(broker.into());
        o.algo = Some(algo.into());
        o
    };
    let orders = vec![
        mk("O1", "AAA", Side::Buy, 1_000, "10:00", "11:00", Some("50"), "GS", "VWAP"),
        mk("O2", "AAA", Side::Sell, 2_000, "10:30", "11:30", Some("50.5"), "MS", "TWAP"),
        mk("O3", "BBB", Side::Buy, 500, "10:00", "10:30", None, "GS", "TWAP"),
        mk("O4", "BBB", Side::Buy, 1_000, "10:15", "11:00", Some("19.9"), "MS", "VWAP"),
    ];
    let f = |id, at: &str, p, q, fee, v| with_venue(fill(id, &format!("2026-11-25T{at}:00Z"), p, q, fee, 2), v);
    let fills = vec![
        f("O1", "10:10", "50.20", 600, "3", "NYSE"),
        f("O1", "10:50", "50.30", 400, "2", "IEX"),
        f("O2", "11:00", "50.40", 1_000, "4", "NYSE"),
        f("O3", "10:20", "20.04", 500, "1", "ARCA"),
        f("O4", "10:50", "20.05", 800, "2", "NYSE"),
    ];
    let p = |sym, at: &'static str, px, q| (sym, at, px, q);
    let tape: Vec<(&str, String, &str, i64)> = [
        p("BBB", "09:58", "20.00", 500),
        p("AAA", "09:59", "50.10", 1_000),
        p("BBB", "10:14", "19.95", 1_000),
        p("AAA", "10:20", "50.25", 2_000),
        p("AAA", "10:29", "50.60", 500),
        p("BBB", "10:40", "20.10", 2_000),
        p("AAA", "10:45", "50.30", 1_000),
        p("AAA", "11:30", "50.20", 1_000),
        p("AAA", "12:00", "50.00", 100),
        p("BBB", "12:00", "20.00", 100),
    ]
    .into_iter()
    .map(|(s, at, px, q)| (s, format!("2026-11-25T{at}:00Z"), px, q))
    .collect();
    let tape: Vec<(&str, &str, &str, i64)> = tape.iter().map(|(s, t, p, q)| (*s, t.as_str(), *p, *q)).collect();
    let r = run(orders, fills, &tape);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    r
}

#[test]
fn per_order_figures_match_the_hand_calculation() {
    let r = batch();
    let totals: Vec<Money> = r.orders.iter().map(|o| o.tca.implementation_shortfall.unwrap().total).collect();
    assert_eq!(totals, vec![money("245"), money("404"), money("21"), money("162")]);
}

/// By broker: GS = O1 + O3, MS = O2 + O4 (MS first: larger paper).
/// GS: paper 60,000; delay 100, trading 160, opportunity 0, fees 6, total 266 = 44.33 bps;
///     spread around it weighted by paper: O1 49 bps (50,000), O3 21 bps (10,000).
/// MS: paper 120,900; delay -60, trading 280, opportunity 340, fees 6, total 566 = 46.82 bps.
/// Arrival slippage weighted by executed notional, GS: O1 avg 50.24 vs 50.10 over 50,240,
/// O3 20.04 vs 20.00 over 10,020.
#[test]
fn grouped_by_broker() {
    let r = batch();
    let g = group(&r.orders, &[Dim::Broker], chrono_tz::UTC, 3.0);
    assert_eq!(g.rows.iter().map(|r| r.key[0].as_str()).collect::<Vec<_>>(), vec!["MS", "GS"]);
    let ms = &g.rows[0];
    assert_eq!((ms.paper, ms.shortfall), (money("120900"), money("566")));
    assert_eq!((ms.delay, ms.trading, ms.opportunity, ms.fees), (money("-60"), money("280"), money("340"), money("6")));
    assert!((ms.shortfall_bps.mean.unwrap() - 566.0 / 120_900.0 * 1e4).abs() < 1e-9);
    let gs = &g.rows[1];
    assert_eq!((gs.orders, gs.fills, gs.paper, gs.shortfall), (2, 3, money("60000"), money("266")));
    let mean = 266.0 / 60_000.0 * 1e4;
    assert!((gs.shortfall_bps.mean.unwrap() - mean).abs() < 1e-9);
    let sd = ((50_000.0 * (49.0 - mean).powi(2) + 10_000.0 * (21.0 - mean).powi(2)) / 60_000.0).sqrt();
    assert!((gs.shortfall_bps.sd.unwrap() - sd).abs() < 1e-9, "{:?} vs {sd}", gs.shortfall_bps);
    assert_eq!((gs.shortfall_bps.min, gs.shortfall_bps.max), (Some(21.0), Some(49.0)));
    let (a1, a3) = ((50.24 - 50.10) / 50.10 * 1e4, (20.04 - 20.0) / 20.0 * 1e4);
    let arr = (50_240.0 * a1 + 10_020.0 * a3) / 60_260.0;
    assert!((gs.arrival_bps.mean.unwrap() - arr).abs() < 1e-9);
    assert_eq!(gs.executed, money("60260"));
    // Fill rate by value: (50,000 + 10,000) of 60,000 executed at decision prices.
    assert!((gs.fill_rate - 1.0).abs() < 1e-12);
    // MS: O2 1,000 x 50.50 + O4 800 x 19.90 = 66,420 of 120,900.
    assert!((ms.fill_rate - 66_420.0 / 120_900.0).abs() < 1e-12);
}

/// By venue each order contributes the fills it executed there, with no opportunity cost.
/// NYSE: O1 600 (paper 30,000, delay 60, trading 30,120 - 30,060 = 60, fees 3),
///       O2 1,000 (paper 50,500, delay -100, trading 200, fees 4),
///       O4 800 (paper 15,920, delay 40, trading 80, fees 2):
///       paper 96,420, total 0 + 340 + 9 = 349.
/// IEX: O1 400: paper 20,000, delay 40, trading 80, fees 2: 122 = 61 bps.
/// ARCA: O3: 21 = 21 bps. The venues add up to every order's total less opportunity:
/// 832 - 340 = 492 = 349 + 122 + 21.
#[test]
fn grouped_by_venue() {
    let r = batch();
    let g = group(&r.orders, &[Dim::Venue], chrono_tz::UTC, 3.0);
    let row = |v: &str| g.rows.iter().find(|r| r.key[0] == v).unwrap();
    let nyse = row("NYSE");
    assert_eq!((nyse.orders, nyse.paper, nyse.delay, nyse.trading), (3, money("96420"), Money::ZERO, money("340")));
    assert_eq!((nyse.fees, nyse.opportunity, nyse.shortfall), (money("9"), Money::ZERO, money("349")));
    assert_eq!(row("IEX").shortfall, money("122"));
    assert!((row("IEX").shortfall_bps.mean.unwrap() - 61.0).abs() < 1e-9);
    assert_eq!(row("ARCA").shortfall, money("21"));
    let all: Money = g.rows.iter().map(|r| r.shortfall).sum();
    assert_eq!(all, money("492"));
}

#[test]
fn grouped_by_symbol_and_algo_and_day() {
    let r = batch();
    let g = group(&r.orders, &[Dim::Symbol, Dim::Algo, Dim::Day], chrono_tz::UTC, 3.0);
    let keys: Vec<String> = g.rows.iter().map(|r| r.key.join("/")).collect();
    // Largest paper first: O2 101,000; O1 50,000; O4 19,900; O3 10,000.
    assert_eq!(keys, vec!["AAA/TWAP/2026-11-25", "AAA/VWAP/2026-11-25", "BBB/VWAP/2026-11-25", "BBB/TWAP/2026-11-25"]);
    assert_eq!(g.rows[2].shortfall, money("162"));
    // 23:30 in New York on the 24th is the 25th in UTC: the day follows the zone asked for.
    let mut late = r.orders[0].clone();
    late.order.arrival = crate::market::replay::csv::parse_time("2026-11-25T04:30:00Z").unwrap();
    let ny = group(std::slice::from_ref(&late), &[Dim::Day], chrono_tz::America::New_York, 3.0);
    assert_eq!(ny.rows[0].key, vec!["2026-11-24"]);
}

/// Over the whole batch the paper-weighted mean is 832 / 180,900 = 45.99 bps; with
/// the orders at 49 (50,000), 40 (101,000), 21 (10,000) and 81.41 (19,900) bps the
/// spread is about 13.97 bps, so only O4 (z = 2.54) is beyond 2 standard deviations
/// and O3 (z = -1.79) joins it beyond 1.5.
#[test]
fn outliers_beyond_n_standard_deviations() {
    let r = batch();
    let xs: [(f64, f64); 4] =
        [(49.0, 50_000.0), (40.0, 101_000.0), (21.0, 10_000.0), (162.0 / 19_900.0 * 1e4, 19_900.0)];
    let mean = 832.0 / 180_900.0 * 1e4;
    let sd = (xs.iter().map(|(x, w)| w * (x - mean).powi(2)).sum::<f64>() / 180_900.0).sqrt();
    let all = group(&r.orders, &[], chrono_tz::UTC, 2.0);
    assert_eq!(all.rows.len(), 1);
    let row = &all.rows[0];
    assert_eq!((row.orders, row.fills, row.shortfall), (4, 5, money("832")));
    assert!((row.shortfall_bps.sd.unwrap() - sd).abs() < 1e-9);
    assert_eq!(row.outliers.iter().map(|o| o.order_id.as_str()).collect::<Vec<_>>(), vec!["O4"]);
    assert!((row.outliers[0].z - (xs[3].0 - mean) / sd).abs() < 1e-9);
    let looser = group(&r.orders, &[], chrono_tz::UTC, 1.5);
    assert_eq!(looser.rows[0].outliers.iter().map(|o| o.order_id.as_str()).collect::<Vec<_>>(), vec!["O3", "O4"]);
}

#[test]
fn dimensions_parse_with_clear_errors() {
    assert_eq!(parse_dims("broker, Algo").unwrap(), vec![Dim::Broker, Dim::Algo]);
    assert!(parse_dims("broker,colour").unwrap_err().contains("allowed: broker, algo, venue"));
    assert!(parse_dims("day,day").unwrap_err().contains("twice"));
}

#[test]
fn weighted_statistics() {
    // Values 1 and 3 weighted 3:1: mean 1.5, variance (3 x 0.25 + 1 x 2.25) / 4 = 0.75.
    let s = weighted([(1.0, 3.0), (3.0, 1.0), (f64::NAN, 1.0), (9.0, 0.0)]);
    assert_eq!(s.n, 2);
    assert!((s.mean.unwrap() - 1.5).abs() < 1e-12);
    assert!((s.sd.unwrap() - 0.75f64.sqrt()).abs() < 1e-12);
    assert_eq!(weighted([]).mean, None);
}

#[test]
fn members_of_a_group() {
    let r = batch();
    let ids = |dims: &[Dim], key: &[&str]| {
        let key: Vec<String> = key.iter().map(|k| k.to_string()).collect();
        members(&r.orders, dims, chrono_tz::UTC, &key).iter().map(|i| r.orders[*i].order.id.clone()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&[Dim::Broker], &["GS"]), vec!["O1", "O3"]);
    assert_eq!(ids(&[Dim::Venue], &["NYSE"]), vec!["O1", "O2", "O4"]);
    assert_eq!(ids(&[Dim::Venue, Dim::Symbol], &["IEX", "AAA"]), vec!["O1"]);
    assert!(ids(&[Dim::Broker], &["nobody"]).is_empty());
}
