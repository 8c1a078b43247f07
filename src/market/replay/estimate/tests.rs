use super::*;
use crate::market::Universe;
use crate::model::Side;
use chrono::NaiveDate;

/// BTC-USD with a flat intraday curve: an hour is 1/24 of the day's volume.
fn flat_btc() -> Instrument {
    let mut i = Universe::builtin().instrument("BTC-USD").unwrap().clone();
    i.volume_curve = Some(vec![1.0]);
    i
}

fn aapl() -> Instrument {
    Universe::builtin().instrument("AAPL").unwrap().clone()
}

fn ts(date: (i32, u32, u32), h: u32, m: u32, s: u32) -> Timestamp {
    let d = NaiveDate::from_ymd_opt(date.0, date.1, date.2).unwrap();
    Timestamp::from_utc(d.and_hms_opt(h, m, s).unwrap().and_utc())
}

const DAY: (i32, u32, u32) = (2021, 1, 8);

fn rec(trades: Vec<RecTrade>, quotes: Vec<RecQuote>) -> Recording {
    Recording { trades: trades.into(), quotes, ..Recording::default() }
}

/// One print a minute from 00:00 to 01:00 UTC: 100 for 1 on even minutes,
/// 101 for 3 on odd ones.
fn trades() -> Vec<RecTrade> {
    (0..=60)
        .map(|k| {
            let even = k % 2 == 0;
            RecTrade {
                ts: ts(DAY, k / 60, k % 60, 0),
                px: Price::from_int(if even { 100 } else { 101 }),
                qty: Qty::from_int(if even { 1 } else { 3 }),
                aggressor: Some(Side::Buy),
            }
        })
        .collect()
}

fn quote(t: Timestamp, mid: i64, half_cents: i64, bid_size: i64, ask_size: i64) -> RecQuote {
    let m = Price::from_int(mid);
    let h = Price::from_raw(half_cents * Price::SCALE / 100);
    RecQuote { ts: t, bids: vec![(m - h, Qty::from_int(bid_size))], asks: vec![(m + h, Qty::from_int(ask_size))] }
}

/// Each minute k: mid 100 (even k) or 102 (odd k); a tight quote (0.10 wide,
/// sizes 2 and 4) at k:00 for 20 s, then a wide one (0.30 wide, sizes 6 and
/// 8) at k:20 for 40 s; the last quote at 01:00.
fn quotes() -> Vec<RecQuote> {
    let mut out = Vec::new();
    for k in 0..=60u32 {
        let mid = if k % 2 == 0 { 100 } else { 102 };
        out.push(quote(ts(DAY, k / 60, k % 60, 0), mid, 5, 2, 4));
        if k < 60 {
            out.push(quote(ts(DAY, 0, k, 20), mid, 15, 6, 8));
        }
    }
    out
}

#[test]
fn figures_from_prints_alone_match_the_hand_calculation() {
    let e = estimate(&rec(trades(), Vec::new()), &flat_btc()).unwrap();
    assert_eq!((e.trades, e.outside_sessions, e.quotes), (61, 0, 0));
    // 31 prints of 1 and 30 of 3.
    assert_eq!(e.volume, Qty::from_int(121));
    // 31 x 100 x 1 + 30 x 101 x 3 = 12,190; / 121 = 100.743801652 (9 decimals, half up).
    assert_eq!(e.notional, Money::from_int(12_190));
    assert_eq!(e.vwap.to_string(), "100.743801653");
    // One hour observed of a 24-hour session: 121 x 24 = 2,904 a session.
    assert_eq!(e.observed, Duration::mins(60));
    assert_eq!(e.session, Duration::mins(24 * 60));
    assert!((e.session_volume - 2_904.0).abs() < 1e-9, "{}", e.session_volume);
    // 121 / 61 = 1.983606557 -> 1.983606 on the 6-decimal grid (rounded down).
    assert_eq!(e.avg_trade_size.to_string(), "1.983606");
    // Five-minute grid: 12 returns (< 30); one-minute grid: 60 returns of
    // +-a, a = ln(1.01), alternating: pure bid-ask bounce. Squares 60 a^2,
    // products of consecutive returns 59 x -a^2: 60 a^2 - 2 x 59 a^2 < 0, so
    // zero (the plain estimate, a x sqrt(1,440) = 37.8% a day, was all bounce).
    let v = e.volatility.unwrap();
    assert_eq!((v.interval, v.returns, v.from_mids, v.bounce_corrected), (Duration::mins(1), 60, false, true));
    assert_eq!(v.daily, 0.0);
    // Roll: price changes alternate +1, -1; over the 59 pairs the covariance
    // is -1 + 1/59^2 = -0.999712726; spread 2 sqrt(0.999712726) = 1.999713
    // on a level of 100.743802: 198.494862 bps.
    let s = e.spread.unwrap();
    assert_eq!(s.source, SpreadSource::Roll);
    assert!((s.bps - 198.494_862_491).abs() < 1e-6, "{}", s.bps);
    assert_eq!(e.touch_depth, None);
}

#[test]
fn quotes_give_the_volatility_spread_and_depth() {
    let e = estimate(&rec(trades(), quotes()), &flat_btc()).unwrap();
    assert_eq!(e.quotes, 121);
    // Mids alternate 100 and 102: daily = ln(1.02) x sqrt(1,440) = 0.751456871.
    let v = e.volatility.unwrap();
    assert!(v.from_mids);
    assert!((v.daily - 0.751_456_870_9).abs() < 1e-9, "{}", v.daily);
    // Time-weighted: tight quotes stand 20 s of each minute (1,200 s in all:
    // 10 bps at 100, 9.80 bps at 102), wide ones 40 s (2,400 s: 30 bps at 100,
    // 29.41 bps at 102). Sorted by spread the 1,800 s midpoint falls in the
    // wide quotes at 102: 0.30 / 102 = 29.411765 bps.
    let s = e.spread.unwrap();
    assert_eq!(s.source, SpreadSource::Quotes);
    assert!((s.bps - 29.411_764_706).abs() < 1e-6, "{}", s.bps);
    // Touch: tight (2 + 4) / 2 = 3 for 1,200 s, wide (6 + 8) / 2 = 7 for 2,400 s: median 7.
    assert_eq!(e.touch_depth, Some(Qty::from_int(7)));
}

#[test]
fn prints_outside_the_sessions_are_left_out() {
    let day = (2026, 11, 25);
    let at = |h, m| ts(day, h, m, 0);
    // 14:00 UTC is 09:00 New York: before the open.
    let mk = |t, px: i64, q: i64| RecTrade { ts: t, px: Price::from_int(px), qty: Qty::from_int(q), aggressor: None };
    let t = vec![mk(at(14, 0), 50, 1_000), mk(at(14, 30), 100, 10), mk(at(15, 0), 102, 30)];
    let e = estimate(&rec(t, Vec::new()), &aapl()).unwrap();
    assert_eq!((e.trades, e.outside_sessions), (2, 1));
    // 40 shares over 09:30-10:00, which the US equity U-shape expects to hold
    // 242,978 / 2,033,461 = 11.949% of the day: 40 / 0.11949 = 334.756 a day
    // (not 40 x 13 = 520 at an even pace).
    assert_eq!(e.volume, Qty::from_int(40));
    assert!((e.session_volume - 334.756_397_698_557).abs() < 1e-6, "{}", e.session_volume);
    assert_eq!(e.vwap.to_string(), "101.5");
    // Two prints: too few returns for a volatility or a Roll spread.
    assert_eq!((e.volatility, e.spread), (None, None));
    // Only a Saturday: nothing inside a session.
    let sat = vec![mk(ts((2026, 11, 28), 15, 0, 0), 100, 1)];
    let err = estimate(&rec(sat, Vec::new()), &aapl()).unwrap_err();
    assert_eq!(err.to_string(), "none of the 1 prints falls inside a US equity session");
}

/// 30 days of one print a minute on a 24-hour calendar: the efficient log
/// price a random walk of `daily` a day (sigma per minute daily / sqrt(1,440)),
/// each print at it times exp(+-half_spread), the sign a fair coin (Roll's
/// bounce), `qty` each. Returns the prints and their prices.
fn bouncing_walk(daily: f64, half_spread: f64, seed: u64) -> Vec<RecTrade> {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let step = daily / 1440f64.sqrt();
    let mut x = 100f64.ln();
    (0..30 * 1440)
        .map(|k: i64| {
            let z: f64 = rng.sample(rand_distr::StandardNormal);
            x += step * z;
            let u = if rng.random_bool(0.5) { half_spread } else { -half_spread };
            RecTrade {
                ts: ts(DAY, 0, 0, 0) + Duration::mins(k),
                px: Price::from_f64((x + u).exp()).unwrap(),
                qty: Qty::from_int(2),
                aggressor: None,
            }
        })
        .collect()
}

/// A random walk of 2% a day under a 10 bps bid-ask bounce. The old
/// estimator (plain 5-minute realised variance of prints) sees each squared
/// return inflated by twice the noise variance: per 5 minutes
/// 0.02^2 / 288 + 2 x 0.001^2 = 1.3889e-6 + 2e-6 = 3.3889e-6, so it reads
/// 2% x sqrt(3.3889 / 1.3889) = 2% x 1.562 = 3.12% a day. The bounce-corrected
/// one is within 10% of the true 2% (8,640 five-minute returns: its standard
/// error is about 3% of sigma here), on several seeds.
#[test]
fn the_bid_ask_bounce_does_not_read_as_volatility() {
    for seed in [1, 2, 3] {
        let t = bouncing_walk(0.02, 0.001, seed);
        // The old estimator, by hand: 5-minute returns of the prints.
        let px: Vec<f64> = t.iter().step_by(5).map(|x| x.px.to_f64()).collect();
        let r: Vec<f64> = px.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
        let plain = (r.iter().map(|r| r * r).sum::<f64>() / r.len() as f64 * 288.0).sqrt();
        assert!((plain / 0.02 / 1.562 - 1.0).abs() < 0.05, "seed {seed}: plain {plain}");
        let e = estimate(&rec(t, Vec::new()), &flat_btc()).unwrap();
        let v = e.volatility.unwrap();
        assert_eq!((v.interval, v.from_mids, v.bounce_corrected), (Duration::mins(5), false, true));
        assert!((v.daily / 0.02 - 1.0).abs() < 0.10, "seed {seed}: {} against 0.02 (plain {plain})", v.daily);
    }
}

/// Without a bounce the correction changes nothing in expectation: a 2% walk
/// printed at the efficient price reads 2% (within 10%).
#[test]
fn a_walk_without_bounce_keeps_its_volatility() {
    let e = estimate(&rec(bouncing_walk(0.02, 0.0, 7), Vec::new()), &flat_btc()).unwrap();
    let v = e.volatility.unwrap();
    assert!((v.daily / 0.02 - 1.0).abs() < 0.10, "{}", v.daily);
}

/// Constant volume, 2 a minute (2,880 a day), from 06:00 on the first day to
/// 18:00 on the 30th: the partial first and last days are left out and the
/// 28 whole days in between give exactly 2,880, whatever the intraday curve
/// (BTC-USD's own, not flat, which extrapolating the partial days would use).
#[test]
fn constant_volume_gives_exactly_the_daily_volume() {
    let t: Vec<RecTrade> = bouncing_walk(0.02, 0.0, 3)
        .into_iter()
        .filter(|t| t.ts >= ts(DAY, 6, 0, 0) && t.ts <= ts((2021, 2, 6), 18, 0, 0))
        .collect();
    let inst = Universe::builtin().instrument("BTC-USD").unwrap().clone();
    let e = estimate(&rec(t, Vec::new()), &inst).unwrap();
    assert_eq!(e.whole_sessions, 28);
    assert_eq!(e.session_volume, 2_880.0);
    assert_eq!(e.curve_share, 28.0);
}

/// Where every print lies inside a session, the pass over the prints is
/// worked out from the running figures the recording keeps; it must give
/// exactly what reading every print gives: 30 days of a 24-hour market cut
/// at several points (mid-mark and on a mark, 256 prints apart), and AAPL
/// prints inside three consecutive sessions (a session's volume is then a
/// difference of running volumes). With one print outside, the scan is used.
#[test]
fn the_running_figures_give_the_pass_over_every_print() {
    let walk = bouncing_walk(0.02, 0.001, 5);
    let r = rec(walk.clone(), Vec::new());
    let btc = flat_btc();
    for n in [1, 2, 255, 256, 257, 1_440 * 7 + 13, 1_440 * 12, walk.len()] {
        let sessions = sessions_between(btc.calendar, &btc.listing, walk[0].ts, walk[n - 1].ts);
        assert_eq!(outside_sessions(&r.trades, &sessions, n), 0);
        let fast = from_running(&r.trades, &sessions, n).unwrap();
        assert_eq!(fast, scan(&r.trades, &sessions, n).unwrap(), "{n} prints");
        assert_eq!(fast.n_inside, n);
    }
    // AAPL, 2026-11-23 to 25 (Monday to Wednesday): a print every 7 seconds
    // from 09:30 to 15:59 New York (14:30 to 20:59 UTC), sizes 1 to 9.
    let mut t = Vec::new();
    for day in [(2026, 11, 23), (2026, 11, 24), (2026, 11, 25)] {
        for k in 0..(6 * 3_600 + 29 * 60) / 7 {
            let at = ts(day, 14, 30, 0) + Duration::secs(7 * k);
            let px = Price::from_int(100) + Price::from_raw(Price::SCALE / 100 * (k % 13));
            t.push(RecTrade { ts: at, px, qty: Qty::from_int(1 + k % 9), aggressor: None });
        }
    }
    let r = rec(t.clone(), Vec::new());
    let inst = aapl();
    let sessions = sessions_between(inst.calendar, &inst.listing, t[0].ts, t[t.len() - 1].ts);
    assert_eq!(sessions.len(), 3);
    assert_eq!(outside_sessions(&r.trades, &sessions, t.len()), 0);
    let fast = from_running(&r.trades, &sessions, t.len()).unwrap();
    assert_eq!(fast, scan(&r.trades, &sessions, t.len()).unwrap());
    assert!(fast.by_session.iter().all(|v| *v > Qty::ZERO));
    // One print at 21:30 UTC (16:30 New York, after the close) is outside.
    t.insert(3_000, RecTrade { ts: ts((2026, 11, 23), 21, 30, 0), ..t[2_999] });
    t.sort_by_key(|x| x.ts);
    let r = rec(t.clone(), Vec::new());
    assert_eq!(outside_sessions(&r.trades, &sessions, t.len()), 1);
    let e = estimate(&r, &inst).unwrap();
    assert_eq!((e.trades, e.outside_sessions), (t.len() - 1, 1));
}
