use super::*;
use crate::impact::ImpactModel;
use crate::market::Universe;
use crate::market::replay::RecTrade;
use crate::tca::pretrade::history::{HistorySpan, MarketHistory, SpreadFrom};
use chrono::NaiveDate;

/// BTC-USD (a 24-hour UTC session, no auction) with a flat intraday curve:
/// half an hour is 1/48 of the day's volume.
fn btc() -> Instrument {
    let mut i = Universe::builtin().instrument("BTC-USD").unwrap().clone();
    i.volume_curve = Some(vec![1.0]);
    i
}

/// 2021-01-08 at h:m:s UTC.
fn at(h: u32, m: u32, s: u32) -> Timestamp {
    let d = NaiveDate::from_ymd_opt(2021, 1, 8).unwrap();
    Timestamp::from_utc(d.and_hms_opt(h, m, s).unwrap().and_utc())
}

/// A print of 2 every 10 s over `[from, to]` (seconds after midnight),
/// the price stepping one cent up, up, down, down from 100.00 minute by
/// minute: every one-minute log return is +-1e-4 (within 0.01%) and
/// consecutive returns' products cancel pairwise, so there is no bid-ask
/// bounce to correct.
fn tape(from: i64, to: i64) -> Vec<RecTrade> {
    (from / 10..=to / 10)
        .map(|k| {
            let cents = [0, 1, 2, 1][(k / 6 % 4) as usize];
            RecTrade {
                ts: at(0, 0, 0) + crate::model::Duration::secs(k * 10),
                px: Price::from_raw(100 * Price::SCALE + cents * Price::SCALE / 100),
                qty: Qty::from_int(2),
                aggressor: None,
            }
        })
        .collect()
}

fn history(trades: &[RecTrade]) -> MarketHistory {
    let mut h = MarketHistory::new(btc());
    for t in trades {
        h.trade(*t);
    }
    h.finish();
    h
}

fn order(algo: Option<&'static str>) -> Order<'static> {
    Order {
        side: Side::Buy,
        qty: Qty::from_int(36),
        arrival: at(1, 0, 5),
        end: at(1, 30, 5),
        arrival_px: "100.01".parse().unwrap(),
        algo,
        limit: None,
        quote_per: 1,
    }
}

/// sigma by hand: 1e-4 a minute, 1,440 minutes a day.
fn sigma() -> f64 {
    1e-4 * 1_440f64.sqrt()
}

/// Two hours of tape, an order arriving at 01:00:05: the hour before it is
/// its history: 360 prints of 2 (volume 720), 1/24 of the day's volume on a
/// flat curve: ADV = 720 x 24 = 17,280; sigma from the 59 one-minute
/// returns = 1e-4 x sqrt(1,440) = 0.37947% a day; average print 2; the
/// spread given as quoted at arrival, 2 bps.
///
/// The estimate, with the linear impact model so every term is by hand:
/// VWAP over 01:00:05-01:30:05 expects 17,280 / 48 = 360 to trade, so 36
/// is 10% participation; a posting algo crosses 0.04 + 1.0 x 0.10 = 14%.
/// - impact: 0.5 x 0.0037947 x sqrt(36 / 17,280) = 0.5 x 0.0037947 x
///   0.0456435 = 0.86603 bps;
/// - spread: 0.5 x 2 bps x 14% = 0.14 bps; no latency (not our venues);
/// - adverse selection: the prior 0.5 bps on the 86% posted = 0.43 bps;
/// - total 0.86603 + 0.14 + 0.43 = 1.43603 bps, on 36 x 100.01 = 3,600.36:
///   0.517022.
#[test]
fn market_figures_and_the_estimate_by_hand() {
    let h = history(&tape(0, 7_200));
    let f = h.figures(at(1, 0, 5), Some(2.0)).unwrap();
    assert_eq!((f.history, f.prints, f.spread_from), (HistorySpan::BeforeArrival, 360, SpreadFrom::QuoteAtArrival));
    assert!((f.adv - 17_280.0).abs() < 1e-6, "{}", f.adv);
    assert!((f.daily_vol / sigma() - 1.0).abs() < 1e-3, "{} vs {}", f.daily_vol, sigma());
    assert_eq!((f.avg_trade_size, f.spread_bps), (2.0, 2.0));
    assert_eq!((f.from, f.until), (at(0, 0, 0), at(0, 59, 50)));
    let k = Coefficients { impact_model: ImpactModel::Linear, ..Coefficients::default() };
    let (pre, basis) = estimate(&btc(), &f, &order(Some("VWAP")), &k).unwrap();
    assert_eq!((basis.algo.as_deref(), basis.schedule_from), (Some("vwap"), ScheduleFrom::Order));
    assert!((pre.inputs["participation"] - 0.10).abs() < 1e-9, "{:?}", pre.inputs);
    assert!((pre.inputs["aggressive_fraction"] - 0.14).abs() < 1e-9);
    let impact = 0.5 * sigma() * (36.0f64 / 17_280.0).sqrt() * 1e4;
    assert!((impact - 0.86603).abs() < 1e-5, "{impact}");
    assert!((pre.impact_bps - 0.86603).abs() < 0.001, "{}", pre.impact_bps);
    assert!((pre.spread_bps - (0.14 + 0.43)).abs() < 1e-9, "{}", pre.spread_bps);
    assert!((pre.total_bps - 1.43603).abs() < 0.001, "{}", pre.total_bps);
    assert!((pre.total - 1.43603e-4 * 3_600.36).abs() < 1e-3, "{}", pre.total);
    // The engine's default model, the propagator along the same schedule: the same spread part.
    let (p, _) = estimate(&btc(), &f, &order(None), &Coefficients::default()).unwrap();
    assert_eq!(p.model, "propagator");
    assert!(p.impact_bps > 0.0 && (p.spread_bps - pre.spread_bps).abs() < 1e-9);
}

/// What printed after the arrival (ten times the size, prices jumping 50
/// bps) changes nothing in the figures or the estimate taken at arrival.
#[test]
fn data_after_the_arrival_does_not_change_the_estimate() {
    let quiet = history(&tape(0, 7_200));
    let mut loud_tape = tape(0, 3_600);
    loud_tape.extend(tape(3_610, 7_200).into_iter().enumerate().map(|(i, mut t)| {
        t.qty = Qty::from_int(20);
        t.px = Price::from_raw(t.px.raw() + if i % 2 == 0 { Price::SCALE / 2 } else { 0 });
        t
    }));
    let loud = history(&loud_tape);
    let (a, b) = (quiet.figures(at(1, 0, 5), Some(2.0)).unwrap(), loud.figures(at(1, 0, 5), Some(2.0)).unwrap());
    assert_eq!(a, b);
    let k = Coefficients::default();
    assert_eq!(estimate(&btc(), &a, &order(None), &k).unwrap(), estimate(&btc(), &b, &order(None), &k).unwrap());
    // Later, the louder market shows: ten times the volume.
    let later = loud.figures(at(2, 0, 5), Some(2.0)).unwrap();
    assert!(later.adv > 3.0 * a.adv, "{} vs {}", later.adv, a.adv);
}

/// Too little before the arrival: the whole recording, flagged; too little
/// in all: no estimate, and why.
#[test]
fn too_little_history_is_flagged_or_refused_with_the_reason() {
    // 50 minutes recorded, the order at 00:20: no hour has ended before it.
    let h = history(&tape(0, 3_000));
    let f = h.figures(at(0, 20, 0), Some(2.0)).unwrap();
    assert_eq!(f.history, HistorySpan::WholeRecording);
    // 20 minutes recorded in all.
    let h = history(&tape(0, 1_200));
    let why = h.figures(at(0, 10, 0), Some(2.0)).unwrap_err();
    assert!(why.starts_with("not enough market data for an estimate"), "{why}");
    assert!(why.contains("covers 20 min of session time (needs 30)"), "{why}");
    let fills: Vec<Fill> = Vec::new();
    let mids = AtFills { fills: &fills, mids: &[] };
    let (pt, basis) = compare(Some(&btc()), Err(&why), &order(None), &fills, &mids, &Coefficients::default());
    assert!(pt.is_none());
    assert_eq!(basis.unavailable.as_deref(), Some(why.as_str()));
    let (pt, basis) = compare(None, Err("x"), &order(None), &fills, &mids, &Coefficients::default());
    assert!(pt.is_none() && basis.unavailable.unwrap().contains("not in the universe"));
}

/// An algorithm that is not ours falls back to the default schedule and says so.
#[test]
fn an_unknown_algo_uses_the_default_schedule() {
    let f = history(&tape(0, 7_200)).figures(at(1, 0, 5), Some(2.0)).unwrap();
    let (_, b) = estimate(&btc(), &f, &order(Some("dark sweep")), &Coefficients::default()).unwrap();
    assert_eq!((b.algo.as_deref(), b.schedule_from), (Some("vwap"), ScheduleFrom::Default));
    assert!(b.schedule_note.unwrap().contains("'dark sweep' is not one of our algorithms"));
    assert_eq!(algo_kind("Percent of Volume"), Some(AlgoKind::Pov));
    assert_eq!(algo_kind("TWAP"), Some(AlgoKind::Twap));
}

/// Prints that only bounce between two prices have no volatility beyond
/// the bounce: no estimate (a zero sigma would be a zero impact), and why.
#[test]
fn a_price_that_only_bounces_gives_no_estimate() {
    let bouncing: Vec<RecTrade> = tape(0, 7_200)
        .into_iter()
        .enumerate()
        .map(|(i, mut t)| {
            t.px = if i % 2 == 0 { "100".parse().unwrap() } else { "100.02".parse().unwrap() };
            t
        })
        .collect();
    let why = history(&bouncing).figures(at(1, 0, 5), Some(2.0)).unwrap_err();
    assert!(why.contains("never moved beyond the bid-ask bounce"), "{why}");
}

/// An iceberg plans nothing ahead: its estimate trades evenly over the
/// window, so its impact is the propagator's on an even schedule, not zero.
#[test]
fn an_algo_without_a_plan_trades_evenly() {
    let f = history(&tape(0, 7_200)).figures(at(1, 0, 5), Some(2.0)).unwrap();
    // Without a limit our iceberg refuses the order: the default schedule, and why.
    let (_, b) = estimate(&btc(), &f, &order(Some("iceberg")), &Coefficients::default()).unwrap();
    assert_eq!((b.algo.as_deref(), b.schedule_from), (Some("vwap"), ScheduleFrom::Default));
    assert!(b.schedule_note.unwrap().starts_with("iceberg: "));
    let limited = Order { limit: Some("101".parse().unwrap()), ..order(Some("iceberg")) };
    let (p, b) = estimate(&btc(), &f, &limited, &Coefficients::default()).unwrap();
    assert_eq!((b.algo.as_deref(), b.schedule_from), (Some("iceberg"), ScheduleFrom::Order));
    assert!(p.impact_bps > 0.0 && p.timing_risk_bps > 0.0, "{p:?}");
}
