//! OHLCV bars (timestamp, open, high, low, close, volume) as a replay source:
//! each bar becomes a deterministic sequence of prints inside it, so hours
//! or days of 1-minute bars can drive VWAP and POV like a recorded tape.
//!
//! How a bar becomes prints (`to_trades`):
//! - `PRINTS_PER_BAR` prints, evenly spaced over the bar: print k of n at
//!   `start + (k + 1/2) / n` of the bar's length (a bar is stamped at its
//!   start; its length is the most common spacing between bars);
//! - prices walk the bar's path open -> nearer extreme -> farther extreme ->
//!   close (on a tie the low first when the bar closed up, the high first
//!   when it closed down), the first print at the open, the last at the
//!   close, the others evenly spaced along the path's length except that the
//!   print nearest each extreme is moved onto it (the high and the low did
//!   trade), each on the file's price grid and never outside [low, high];
//! - the bar's volume is split evenly in lots (the finest grid the file's
//!   volumes sit on), the remainder one lot at a time to the first prints,
//!   so the prints add up to the bar's volume exactly; a bar with no volume
//!   prints nothing;
//! - the aggressor follows the tick rule: a print above the previous one was
//!   bought, below it sold, at the same price the same as before.
//!
//! Malformed bars are refused with the line: high below low, open or close
//! outside [low, high], a negative volume, time going back or repeating.

use super::csv::{Col, ImportError, RecTrade, parse_price, parse_qty, parse_time, rows};
use crate::model::{Duration, Price, Qty, Side, Timestamp};
use std::path::Path;

/// Prints a bar becomes.
pub const PRINTS_PER_BAR: usize = 12;

/// One OHLCV bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// Start of the bar.
    pub ts: Timestamp,
    /// First price.
    pub open: Price,
    /// Highest price.
    pub high: Price,
    /// Lowest price.
    pub low: Price,
    /// Last price.
    pub close: Price,
    /// Volume traded.
    pub volume: Qty,
}

const TS_ALIASES: &[&str] = &["timestamp", "ts", "time", "datetime", "date", "open_time", "ts_ms", "ts_event"];

const BAR_COLS: [Col; 6] = [
    Col { name: "timestamp", aliases: TS_ALIASES, required: true },
    Col { name: "open", aliases: &["open", "o"], required: true },
    Col { name: "high", aliases: &["high", "h"], required: true },
    Col { name: "low", aliases: &["low", "l"], required: true },
    Col { name: "close", aliases: &["close", "c"], required: true },
    Col { name: "volume", aliases: &["volume", "vol", "v", "qty", "base_volume"], required: true },
];

fn price_pos(s: &str) -> Result<Price, String> {
    parse_price(s).and_then(|p| if p.is_positive() { Ok(p) } else { Err(format!("{p} is not a positive price")) })
}

/// Reads a bars file: a header naming the columns, or none and the columns
/// in the order timestamp, open, high, low, close, volume.
pub fn read(path: &Path) -> Result<Vec<Bar>, ImportError> {
    let mut out: Vec<Bar> = Vec::new();
    rows(path, &BAR_COLS, |r, l| {
        let ix = &l.ix;
        let ts = r.parse(&BAR_COLS[0], ix[0], parse_time)?;
        let open = r.parse(&BAR_COLS[1], ix[1], price_pos)?;
        let high = r.parse(&BAR_COLS[2], ix[2], price_pos)?;
        let low = r.parse(&BAR_COLS[3], ix[3], price_pos)?;
        let close = r.parse(&BAR_COLS[4], ix[4], price_pos)?;
        let volume = r.parse(&BAR_COLS[5], ix[5], parse_qty)?;
        if high < low {
            return Err(r.err("high", format!("{high} is below the low {low}")));
        }
        for (name, v) in [("open", open), ("close", close)] {
            if v < low || v > high {
                return Err(r.err(name, format!("{v} is outside the bar's range [{low}, {high}]")));
            }
        }
        if volume.is_negative() {
            return Err(r.err("volume", format!("{volume} is negative")));
        }
        if let Some(prev) = out.last()
            && ts <= prev.ts
        {
            let what = if ts == prev.ts { "repeats" } else { "goes back from" };
            return Err(r.err(
                "timestamp",
                format!("{} {what} the previous bar's {}; bars must be in time order", ts.to_utc(), prev.ts.to_utc()),
            ));
        }
        out.push(Bar { ts, open, high, low, close, volume });
        Ok(())
    })?;
    if out.is_empty() {
        return Err(ImportError::file(path, "has no bars"));
    }
    Ok(out)
}

/// The bars' length: the most common spacing between consecutive bars (the
/// shorter on a tie), one minute for a single bar.
pub fn bar_length(bars: &[Bar]) -> Duration {
    let mut gaps: Vec<i64> = bars.windows(2).map(|w| (w[1].ts - w[0].ts).0).collect();
    gaps.sort_unstable();
    let mut best = (0usize, Duration::mins(1).0);
    let mut i = 0;
    while i < gaps.len() {
        let j = gaps[i..].partition_point(|g| *g == gaps[i]) + i;
        if j - i > best.0 {
            best = (j - i, gaps[i]);
        }
        i = j;
    }
    Duration(best.1)
}

fn gcd(a: i64, b: i64) -> i64 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The finest price grid every price of the bars sits on.
pub fn price_grid(bars: &[Bar]) -> Price {
    let g = bars.iter().flat_map(|b| [b.open, b.high, b.low, b.close]).fold(0, |g, p| gcd(g, p.raw()));
    Price::from_raw(g.max(1))
}

/// The finest quantity grid every volume of the bars sits on.
pub fn volume_grid(bars: &[Bar]) -> Qty {
    Qty::from_raw(bars.iter().fold(0, |g, b| gcd(g, b.volume.raw())).max(1))
}

/// The price at distance `at` along the bar's path (raw price units).
fn along(path: &[Price; 4], at: f64) -> f64 {
    let mut left = at;
    for w in path.windows(2) {
        let (a, b) = (w[0].raw(), w[1].raw());
        let len = (b - a).abs() as f64;
        if left <= len {
            return a as f64 + (b - a).signum() as f64 * left;
        }
        left -= len;
    }
    path[3].raw() as f64
}

/// Where each of `n` prints sits along a path of legs `l1, l2, l3`: evenly
/// spaced from the open to the close, with the two turning points (the
/// bar's high and low) each taken by the print nearest to it, so both
/// extremes trade.
fn positions(n: usize, l1: f64, l2: f64, l3: f64) -> Vec<f64> {
    let total = l1 + l2 + l3;
    let last = n - 1;
    let mut s: Vec<f64> = (0..n).map(|k| total * k as f64 / last as f64).collect();
    if total <= 0.0 || n < 4 {
        return s;
    }
    let nearest = |x: f64| (x / total * last as f64).round() as usize;
    let mut i1 = 0;
    if l1 > 0.0 {
        i1 = nearest(l1).clamp(1, last - 2);
        s[i1] = l1;
    }
    if l3 > 0.0 {
        let i2 = nearest(l1 + l2).clamp(i1 + 1, last - 1);
        s[i2] = l1 + l2;
    }
    s
}

/// The prints of `bars`, each `len` long, on the price grid `tick` and the
/// quantity grid `lot` (see the module's rules).
pub fn to_trades(bars: &[Bar], len: Duration, tick: Price, lot: Qty) -> Vec<RecTrade> {
    let n = PRINTS_PER_BAR;
    let mut out = Vec::with_capacity(bars.len() * n);
    let mut last: Option<(Price, Side)> = None;
    let tick_raw = tick.raw().max(1);
    let lot_raw = lot.raw().max(1);
    for b in bars {
        if !b.volume.is_positive() {
            continue;
        }
        let (near_high, far_high) = ((b.high.raw() - b.open.raw()).abs(), (b.open.raw() - b.low.raw()).abs());
        let high_first = near_high < far_high || (near_high == far_high && b.close < b.open);
        let path = if high_first { [b.open, b.high, b.low, b.close] } else { [b.open, b.low, b.high, b.close] };
        // Inside the range on the grid; a range with no grid point inside keeps exact prices.
        let lo = b.low.round_to(tick, crate::model::Rounding::Up);
        let hi = b.high.round_to(tick, crate::model::Rounding::Down);
        let leg = |a: Price, b: Price| (b.raw() - a.raw()).abs() as f64;
        let at = positions(n, leg(path[0], path[1]), leg(path[1], path[2]), leg(path[2], path[3]));
        let lots = b.volume.raw() / lot_raw;
        let (each, extra) = (lots / n as i64, lots % n as i64);
        let sub_lot = b.volume.raw() - lots * lot_raw;
        for (k, &at) in at.iter().enumerate() {
            let mut q = (each + i64::from((k as i64) < extra)) * lot_raw;
            if k == n - 1 {
                q += sub_lot;
            }
            if q <= 0 {
                continue;
            }
            let x = along(&path, at);
            let px = if lo <= hi {
                let on_grid = ((x / tick_raw as f64).round() as i64).saturating_mul(tick_raw);
                Price::from_raw(on_grid).clamp(lo, hi)
            } else {
                Price::from_raw(x.round() as i64).clamp(b.low, b.high)
            };
            let side = match last {
                Some((p, _)) if px > p => Side::Buy,
                Some((p, _)) if px < p => Side::Sell,
                Some((_, s)) => s,
                None if b.close >= b.open => Side::Buy,
                None => Side::Sell,
            };
            last = Some((px, side));
            let offset = (len.0 as i128 * (2 * k as i128 + 1) / (2 * n as i128)) as i64;
            out.push(RecTrade { ts: Timestamp(b.ts.0 + offset), px, qty: Qty::from_raw(q), aggressor: Some(side) });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    fn px(s: &str) -> Price {
        s.parse().unwrap()
    }

    #[test]
    fn reads_headers_iso_and_epoch_times_and_scientific_prices() {
        let f = file(
            "ts_ms,timestamp,open,high,low,close,volume\n\
             1516423980000,2018-01-20T04:53:00Z,4.137e-05,4.15e-05,4.105e-05,4.105e-05,442242.18657313\n\
             1516424040000,2018-01-20T04:54:00Z,4.105e-05,4.108e-05,4.101e-05,4.107e-05,0\n",
        );
        let bars = read(f.path()).unwrap();
        assert_eq!(bars.len(), 2);
        assert_eq!(bars[0].ts.as_millis(), 1_516_423_980_000);
        assert_eq!(bars[0].high, px("0.0000415"));
        assert_eq!(bars[0].volume, Qty::parse("442242.186573").unwrap());
        assert_eq!(bar_length(&bars), Duration::mins(1));
        assert_eq!(price_grid(&bars), px("0.00000001"));
        // Without a header: the columns in order, epoch milliseconds.
        let f = file("1516423980000,10,11,9,10.5,3\n1516424100000,10.5,10.5,10.5,10.5,1\n");
        let bars = read(f.path()).unwrap();
        assert_eq!((bars[1].close, bars[1].volume), (px("10.5"), Qty::from_int(1)));
        assert_eq!(bar_length(&bars), Duration::mins(2));
        assert_eq!(price_grid(&bars), px("0.5"));
    }

    #[test]
    fn malformed_bars_name_their_line() {
        let head = "timestamp,open,high,low,close,volume\n";
        let ok = "2018-01-20T04:53:00Z,10,11,9,10,5\n";
        for (row, line, needle) in [
            ("2018-01-20T04:54:00Z,10,9,11,10,5\n", 3, "high': 9 is below the low 11"),
            ("2018-01-20T04:54:00Z,10,11,9,10,-5\n", 3, "volume': -5 is negative"),
            ("2018-01-20T04:52:00Z,10,11,9,10,5\n", 3, "goes back from"),
            ("2018-01-20T04:53:00Z,10,11,9,10,5\n", 3, "repeats"),
            ("2018-01-20T04:54:00Z,12,11,9,10,5\n", 3, "open': 12 is outside the bar's range [9, 11]"),
            ("2018-01-20T04:54:00Z,10,11,9,8,5\n", 3, "close': 8 is outside"),
            ("2018-01-20T04:54:00Z,10,11,9,x,5\n", 3, "close'"),
            ("yesterday,10,11,9,10,5\n", 3, "timestamp"),
        ] {
            let f = file(&format!("{head}{ok}{row}"));
            let e = read(f.path()).unwrap_err().to_string();
            assert!(e.contains(&format!(":{line}: column '")) && e.contains(needle), "{row}: {e}");
        }
        let e = read(file(head).path()).unwrap_err().to_string();
        assert!(e.contains("has no bars"), "{e}");
        let e = read(file("time,open,high,low,close\n").path()).unwrap_err().to_string();
        assert!(e.contains("volume") && e.contains("missing from the header"), "{e}");
    }

    fn bar(ts_min: i64, o: &str, h: &str, l: &str, c: &str, v: &str) -> Bar {
        Bar {
            ts: Timestamp(ts_min * 60_000_000_000),
            open: px(o),
            high: px(h),
            low: px(l),
            close: px(c),
            volume: v.parse().unwrap(),
        }
    }

    #[test]
    fn a_bar_becomes_prints_inside_its_range_with_its_volume() {
        let tick = px("0.01");
        let lot = Qty::from_int(1);
        // Closer to the high: open -> high -> low -> close.
        let b = bar(0, "100.20", "100.30", "99.70", "99.90", "100");
        let t = to_trades(&[b], Duration::mins(1), tick, lot);
        assert_eq!(t.len(), PRINTS_PER_BAR);
        assert_eq!(t.iter().map(|p| p.qty).sum::<Qty>(), b.volume, "volume conserved");
        // 100 lots over 12 prints: 8 each, the first 4 one more.
        assert_eq!(t[0].qty, Qty::from_int(9));
        assert_eq!(t[11].qty, Qty::from_int(8));
        assert!(t.iter().all(|p| p.px >= b.low && p.px <= b.high && p.px.is_on_tick(tick)));
        assert_eq!((t[0].px, t[11].px), (b.open, b.close));
        assert_eq!(t.iter().map(|p| p.px).max(), Some(b.high));
        assert_eq!(t.iter().map(|p| p.px).min(), Some(b.low));
        // The path is 0.10 + 0.60 + 0.20 = 0.90 long, a print every 0.0818: print 1 is the
        // nearest to the high (0.10 along) and takes it, print 9 (0.7364) the low (0.70 along);
        // print 2 is 0.1636 along, 0.0636 down from the high.
        assert_eq!((t[1].px, t[9].px, t[2].px), (b.high, b.low, px("100.24")));
        // Evenly spaced over the minute, at the middle of each twelfth.
        assert_eq!(t[0].ts, Timestamp(2_500_000_000));
        assert_eq!(t[11].ts, Timestamp(57_500_000_000));
        // Tick rule: up from the open is bought, down is sold.
        assert_eq!((t[1].aggressor, t[3].aggressor), (Some(Side::Buy), Some(Side::Sell)));
    }

    #[test]
    fn every_bar_of_a_day_keeps_its_volume_and_range() {
        // A random walk of 1,440 bars with odd volumes on a 1e-8 grid (as the crypto samples).
        let mut bars = Vec::new();
        let mut p = 5_000i64;
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as i64
        };
        for m in 0..1440 {
            let o = p;
            let c = (o + next() % 21 - 10).max(10);
            let h = o.max(c) + next() % 7;
            let l = (o.min(c) - next() % 7).max(1);
            let v = next() % 5_000_000_000;
            let s = |r: i64| Price::from_raw(r * 10);
            bars.push(Bar {
                ts: Timestamp(m * 60_000_000_000),
                open: s(o),
                high: s(h),
                low: s(l),
                close: s(c),
                volume: Qty::from_raw(v),
            });
            p = c;
        }
        let tick = price_grid(&bars);
        let lot = volume_grid(&bars);
        let t = to_trades(&bars, Duration::mins(1), tick, lot);
        let mut i = 0;
        for b in &bars {
            let end = Timestamp(b.ts.0 + 60_000_000_000);
            let mut vol = Qty::ZERO;
            while i < t.len() && t[i].ts < end {
                assert!(t[i].ts >= b.ts);
                assert!(t[i].px >= b.low && t[i].px <= b.high, "{:?} outside {b:?}", t[i]);
                vol += t[i].qty;
                i += 1;
            }
            assert_eq!(vol, b.volume, "{b:?}");
        }
        assert_eq!(i, t.len());
        assert!(t.windows(2).all(|w| w[0].ts < w[1].ts));
    }

    #[test]
    fn a_range_between_grid_points_keeps_exact_prices() {
        let b = bar(0, "10.004", "10.006", "10.001", "10.002", "5");
        let t = to_trades(&[b], Duration::mins(1), px("0.01"), Qty::from_int(1));
        assert_eq!(t.iter().map(|p| p.qty).sum::<Qty>(), Qty::from_int(5));
        assert!(t.iter().all(|p| p.px >= b.low && p.px <= b.high));
        // A sub-lot volume still prints, on the last print.
        let b = bar(1, "10", "10", "10", "10", "0.25");
        let t = to_trades(&[b], Duration::mins(1), px("0.01"), Qty::from_int(1));
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].qty, "0.25".parse().unwrap());
    }
}
