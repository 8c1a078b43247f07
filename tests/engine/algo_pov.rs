//! POV on the simulator: realised participation near the target, and the
//! stated window guarantee: over any window, our fills never exceed
//! rate / (1 - rate) x others' volume in it by more than `burst`.

use crate::common;
use crate::support;

use blotter::model::{AlgoKind, ParentStatus, Qty, Side};
use common::*;
use support::*;

/// Max over all windows (a, b] of ours - ratio * others, from the tape.
fn worst_window_excess(prints: &[blotter::market::Print], ratio: f64, from: blotter::model::Timestamp) -> f64 {
    let (mut f, mut min_f, mut worst) = (0.0f64, 0.0f64, 0.0f64);
    for p in prints.iter().filter(|p| p.ts >= from) {
        if p.ours {
            f += p.qty.to_f64();
        } else {
            f -= ratio * p.qty.to_f64();
        }
        worst = worst.max(f - min_f);
        min_f = min_f.min(f);
    }
    worst
}

#[test]
fn realised_participation_is_the_target_and_no_window_runs_ahead() {
    for (rate, seed) in [(0.1, 1u64), (0.25, 2)] {
        let mut e = engine(seed, &["AAPL"]);
        let rate_s = rate.to_string();
        let id = run_one(
            &mut e,
            order("AAPL", Side::Buy, 5_000_000, AlgoKind::Pov, "10:00", "11:00", &[("rate", rate_s.as_str())]),
        );
        let p = e.parent(id).unwrap().clone();
        assert_eq!(p.status, ParentStatus::Expired, "an hour at {rate} of AAPL is less than 5M");
        let m = e.market("AAPL").unwrap();
        let s = blotter::tca::summary(&p, e.fills(id), &m.tape, e.now());
        // Stated tolerance: realised participation within 0.5 percentage point of the target.
        assert!((s.participation - rate).abs() < 0.005, "rate {rate}: realised {:.4}", s.participation);
        // Default burst = max_child = 10 x the 110-share average trade.
        let excess = worst_window_excess(m.tape.prints(), rate / (1.0 - rate), p.start);
        assert!(excess <= 1_100.0, "rate {rate}: a window ran {excess} ahead of the rate");
        // Children within [min_child, max_child].
        for c in e.children(id) {
            assert!(c.qty <= Qty::from_int(1_100), "{c:?}");
        }
    }
}

#[test]
fn passive_pov_never_runs_ahead_either() {
    let mut e = engine(4, &["MSFT"]);
    let params =
        [("rate", "0.2"), ("urgency", "passive"), ("burst", "500"), ("min_child", "100"), ("max_child", "300")];
    let id = run_one(&mut e, order("MSFT", Side::Sell, 2_000_000, AlgoKind::Pov, "10:00", "10:40", &params));
    let p = e.parent(id).unwrap().clone();
    assert!(p.filled.is_positive());
    let m = e.market("MSFT").unwrap();
    let excess = worst_window_excess(m.tape.prints(), 0.25, p.start);
    assert!(excess <= 500.0, "a window ran {excess} ahead of the rate");
    let s = blotter::tca::summary(&p, e.fills(id), &m.tape, e.now());
    assert!(s.participation <= 0.205, "{}", s.participation);
}

#[test]
fn stops_exactly_at_the_parent_quantity() {
    let mut e = engine(5, &["JPM"]);
    let id = run_one(&mut e, order("JPM", Side::Buy, 20_000, AlgoKind::Pov, "09:45", "16:00", &[("rate", "0.2")]));
    let p = e.parent(id).unwrap();
    assert_eq!(p.status, ParentStatus::Done);
    assert_eq!(p.filled, Qty::from_int(20_000));
    assert_eq!(e.fills(id).iter().map(|f| f.qty).sum::<Qty>(), p.filled);
    assert!(p.done_at.unwrap() < ny("12:00"), "20,000 JPM at 20% takes well under two hours");
}

/// A replayed BTC-USD market whose book goes one-sided (no offers) for two
/// minutes, then empty on both sides for one, then comes back: a buyer at 10%
/// keeps trading through all of it (posting when there is nothing to cross,
/// crossing again when offers return) and its realised participation stays
/// within a percentage point of the target.
#[test]
fn recovers_after_an_empty_and_a_one_sided_book() {
    use blotter::market::replay::{RecQuote, RecTrade, Recording};
    use blotter::model::{Liquidity, Timestamp};
    let t0 = Timestamp::from_utc(chrono::DateTime::parse_from_rfc3339("2021-01-08T10:00:00Z").unwrap().to_utc());
    let sec = |s: i64| Timestamp(t0.0 + s * 1_000_000_000);
    let (mut trades, mut quotes) = (Vec::new(), Vec::new());
    for s in 0..360 {
        let minute = s / 60;
        let (bids, asks) = match minute {
            1 | 2 => (vec![(px("40000.00"), Qty::from_int(1))], vec![]),
            3 => (vec![], vec![]),
            _ => (vec![(px("40000.00"), Qty::from_int(1))], vec![(px("40000.10"), Qty::from_int(1))]),
        };
        quotes.push(RecQuote { ts: sec(s), bids, asks });
        // Each second a half-coin print: sellers hitting below the bid, buyers
        // lifting the offer; with the book empty, sellers walking the price
        // down a dollar a print from 39,990 (each print through the last, so
        // a bid posted below the last print is reached, whatever our impact).
        let (price, side) = match (minute, s % 2) {
            (3, _) => (format!("{}.00", 39_990 - (s - 180)), Side::Sell),
            (_, 0) => ("39999.90".to_string(), Side::Sell),
            _ => ("40000.10".to_string(), Side::Buy),
        };
        let ts = Timestamp(sec(s).0 + 500_000_000);
        trades.push(RecTrade { ts, px: px(&price), qty: "0.5".parse().unwrap(), aggressor: Some(side) });
    }
    let rec = Recording {
        source: "constructed".into(),
        venue: None,
        trades: trades.into(),
        quotes,
        from_bars: false,
        until: None,
    };
    let date = chrono::NaiveDate::from_ymd_opt(2021, 1, 8).unwrap();
    let mut cfg = blotter::engine::EngineConfig::new(9, date);
    cfg.symbols = Some(vec!["BTC-USD".into()]);
    cfg.recordings.insert("BTC-USD".into(), std::sync::Arc::new(rec));
    let mut e = blotter::engine::Engine::new(std::sync::Arc::new(blotter::market::Universe::builtin()), cfg).unwrap();
    let mut req = order("BTC-USD", Side::Buy, 100, AlgoKind::Pov, "09:30", "09:31", &[("rate", "0.1")]);
    (req.start, req.end) = (Some(sec(0)), Some(sec(360)));
    let id = run_one(&mut e, req);
    let p = e.parent(id).unwrap().clone();
    assert_eq!(p.status, ParentStatus::Expired, "six minutes at 10% of 180 coins is far less than 100");
    let fills = e.fills(id);
    for minute in 0..6 {
        let in_minute: Vec<_> = fills.iter().filter(|f| (f.ts.0 - t0.0) / 60_000_000_000 == minute).collect();
        let qty: Qty = in_minute.iter().map(|f| f.qty).sum();
        assert!(qty.is_positive(), "minute {minute}: no fills while the tape printed 30 coins");
        let takes = in_minute.iter().any(|f| f.liquidity == Liquidity::Taker);
        // Crossing needs offers: none in minutes 1-3, and it crosses again once they return.
        assert_eq!(takes, !(1..=3).contains(&minute), "minute {minute}: {in_minute:?}");
    }
    let m = e.market("BTC-USD").unwrap();
    let s = blotter::tca::summary(&p, fills, &m.tape, e.now());
    assert!((s.participation - 0.1).abs() < 0.01, "realised {:.4}", s.participation);
}
