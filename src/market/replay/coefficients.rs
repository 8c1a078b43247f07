//! The instrument figures a recording implies: the built-in (or `--universe`)
//! instrument with its price level, daily volume, volatility, spread, trade
//! size and touch depth replaced by what the recording shows. A replay runs
//! its market on them (so impact, depth and the algorithms' volume
//! expectations follow the recording, not a reference price from another
//! year), and `blotter calibrate` writes them as a universe entry.

use super::estimate::{Estimates, SpreadSource};
use crate::model::{Instrument, Price, Qty, Rounding};
use serde::Serialize;

/// One figure and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coefficient {
    /// The instrument field (`ref_price`, `adv`, `daily_vol`, ...).
    pub name: &'static str,
    /// Its value (prices and quantities as decimals).
    pub value: f64,
    /// `recording` or `universe`.
    pub from: &'static str,
    /// How it was estimated, or why the universe's value was kept.
    pub note: String,
}

fn rec(name: &'static str, value: f64, note: String) -> Coefficient {
    Coefficient { name, value, from: "recording", note }
}

fn kept(name: &'static str, value: f64, why: &str) -> Coefficient {
    Coefficient { name, value, from: "universe", note: why.to_string() }
}

/// `inst` with the figures `est` gives replaced, and the list of every
/// figure with its source.
pub fn recorded_instrument(inst: &Instrument, est: &Estimates) -> (Instrument, Vec<Coefficient>) {
    let mut out = inst.clone();
    let mut list = Vec::new();
    let tick = inst.tick_size;
    let lot = inst.lot_size;

    let level = est.vwap.round_to(tick, Rounding::Nearest).max(tick);
    out.ref_price = level;
    list.push(rec("ref_price", level.to_f64(), format!("VWAP of {} prints", est.trades)));

    // The universe's ADV includes the closing auction; a trades file is continuous trading.
    let adv = est.session_volume / (1.0 - inst.auction_share);
    match Qty::from_f64(adv).map(|q| q.round_down_to(lot)).filter(|q| q.is_positive()) {
        Some(q) => {
            out.adv = q;
            let auction = if inst.auction_share > 0.0 {
                format!(", grossed up for a {:.0}% closing auction", inst.auction_share * 100.0)
            } else {
                String::new()
            };
            let how = if est.whole_sessions > 0 {
                format!("mean of the {} whole session(s) recorded (partial ones left out){auction}", est.whole_sessions)
            } else {
                format!(
                    "{} traded in {:.0} s of session time, where the intraday curve expects {:.4}% of a session's volume{auction}",
                    est.volume,
                    est.observed.as_secs_f64(),
                    est.curve_share * 100.0
                )
            };
            list.push(rec("adv", q.to_f64(), how));
        }
        None => list.push(kept("adv", inst.adv.to_f64(), "the recorded volume rounds to zero lots")),
    }

    match est.volatility.filter(|v| v.daily.is_finite() && v.daily > 0.0) {
        Some(v) => {
            out.daily_vol = v.daily;
            let of = if v.from_mids { "quote mids" } else { "prints" };
            list.push(rec(
                "daily_vol",
                v.daily,
                format!("realised, {} returns of {} sampled every {:.0} s", v.returns, of, v.interval.as_secs_f64()),
            ));
        }
        None => list.push(kept(
            "daily_vol",
            inst.daily_vol,
            if est.volatility.is_some() {
                "the recorded price never moved beyond the bid-ask bounce"
            } else {
                "the recording is too short for a realised volatility (needs 30 sampled returns)"
            },
        )),
    }

    // A spread below one tick (a locked book most of the time) is one tick.
    let one_tick_bps = tick.to_f64() / level.to_f64() * 1e4;
    match est.spread.filter(|s| s.bps.is_finite() && s.bps >= 0.0) {
        Some(s) => {
            out.spread_bps = s.bps.max(one_tick_bps);
            let how = match s.source {
                SpreadSource::Quotes => "time-weighted median of the quoted spread",
                SpreadSource::Roll => "Roll's estimator on consecutive prints (no quotes)",
            };
            let floor = if s.bps < one_tick_bps { ", floored at one tick" } else { "" };
            list.push(rec("spread_bps", out.spread_bps, format!("{how}{floor}")));
        }
        None => list.push(kept(
            "spread_bps",
            inst.spread_bps,
            if est.from_bars {
                "bars carry no spread"
            } else {
                "no quotes, and consecutive prints do not bounce (Roll's estimator needs a negative covariance)"
            },
        )),
    }

    // The market draws trade sizes in whole lots: the instrument holds the
    // mean rounded down to the lot, the report the exact mean (the LOBSTER
    // sample's 10,592 shares in 159 prints are 66.616352, not 66).
    let avg = est.avg_trade_size.round_down_to(lot).max(lot);
    out.avg_trade_size = avg;
    let note = if avg == est.avg_trade_size {
        format!("mean of {} prints", est.trades)
    } else {
        format!("mean of {} prints; the market draws {avg} (whole lots of {lot})", est.trades)
    };
    list.push(rec("avg_trade_size", est.avg_trade_size.to_f64(), note));

    match est.touch_depth.map(|d| d.round_down_to(lot)).filter(|d| d.is_positive()) {
        Some(d) => {
            out.touch_depth = d;
            list.push(rec(
                "touch_depth",
                d.to_f64(),
                "time-weighted median of the mean best bid and offer size".into(),
            ));
        }
        None => {
            // The universe's depth in trades, applied to the recorded trade size.
            let ratio = inst.touch_depth.to_f64() / inst.avg_trade_size.to_f64().max(f64::MIN_POSITIVE);
            let d = Qty::from_f64(avg.to_f64() * ratio).map(|d| d.round_down_to(lot).max(lot)).unwrap_or(lot);
            out.touch_depth = d;
            list.push(Coefficient {
                name: "touch_depth",
                value: d.to_f64(),
                from: "recording",
                note: format!("no quotes: the universe's {ratio:.1} average trades, at the recorded trade size"),
            });
        }
    }
    (out, list)
}

/// `price` rounded onto the instrument's tick (at least one tick).
pub fn on_tick(price: Price, tick: Price) -> Price {
    price.round_to(tick, Rounding::Nearest).max(tick)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::Universe;
    use crate::market::replay::RecTrade;
    use crate::market::replay::estimate::estimate;
    use crate::model::{Side, Timestamp};

    /// The report shows the exact mean print, the market its whole lots.
    #[test]
    fn the_average_print_is_reported_exactly_and_drawn_in_lots() {
        let u = Universe::builtin();
        let aapl = u.instrument("AAPL").unwrap();
        // 2026-11-25 09:30 New York, one print a second: 67, 66, 67 shares,
        // 200 / 3 = 66.666666 (to the micro-share), 66 in whole shares.
        let t0 = 1_795_617_000_000_000_000i64;
        let trades: Vec<RecTrade> = [67, 66, 67]
            .iter()
            .enumerate()
            .map(|(k, &q)| RecTrade {
                ts: Timestamp(t0 + k as i64 * 1_000_000_000),
                px: Price::from_raw(100 * Price::SCALE),
                qty: Qty::from_int(q),
                aggressor: Some(Side::Buy),
            })
            .collect();
        let rec = crate::market::replay::Recording { trades: trades.into(), ..Default::default() };
        let est = estimate(&rec, aapl).unwrap();
        let (inst, list) = recorded_instrument(aapl, &est);
        assert_eq!(inst.avg_trade_size, Qty::from_int(66));
        let c = list.iter().find(|c| c.name == "avg_trade_size").unwrap();
        assert_eq!(c.value, 66.666666, "{c:?}");
        assert_eq!(c.note, "mean of 3 prints; the market draws 66 (whole lots of 1)");
    }

    #[test]
    fn the_recording_replaces_the_universe_figures() {
        let u = Universe::builtin();
        // A flat intraday curve: two minutes are 1/720 of the day's volume.
        let mut flat = u.instrument("BTC-USD").unwrap().clone();
        flat.volume_curve = Some(vec![1.0]);
        let btc = &flat;
        // 2021-01-08 00:00 UTC, then one print a second for two minutes:
        // 0.5 BTC at 39,400.00 and 39,400.40 in turn.
        let t0 = 1_610_064_000_000_000_000i64;
        let trades: Vec<RecTrade> = (0..=120)
            .map(|k| RecTrade {
                ts: Timestamp(t0 + k * 1_000_000_000),
                px: Price::from_raw(39_400 * Price::SCALE + (k % 2) * 400_000_000),
                qty: Qty::from_raw(500_000),
                aggressor: Some(Side::Buy),
            })
            .collect();
        let rec = crate::market::replay::Recording { trades: trades.into(), ..Default::default() };
        let est = estimate(&rec, btc).unwrap();
        let (inst, list) = recorded_instrument(btc, &est);
        // VWAP: 61 prints at 39,400.00 and 60 at 39,400.40, equal sizes:
        // 39,400 + 0.40 x 60/121 = 39,400.198347 -> 39,400.20 on the cent.
        assert_eq!(inst.ref_price.to_string(), "39400.2");
        // 60.5 BTC in 120 s, over 86,400 s: 43,560 BTC a day (no auction).
        assert_eq!(inst.adv, Qty::from_int(43_560));
        assert_eq!(inst.avg_trade_size.to_string(), "0.5");
        // Roll: price changes alternate +-0.40; over 119 pairs the covariance is
        // -0.16 x (1 - 1/119^2), so the spread is 0.8 x sqrt(1 - 1/14,161) =
        // 0.799972 (Roll reads a perfect bounce as twice the spread), 0.203037
        // bps of 39,400.198347.
        assert!((inst.spread_bps - 0.799_971_752 / 39_400.198_347 * 1e4).abs() < 1e-6, "{}", inst.spread_bps);
        // No quotes: depth from the universe's 60 trades per touch (3 / 0.05) at 0.5 = 30.
        assert_eq!(inst.touch_depth, Qty::from_int(30));
        assert!(list.iter().filter(|c| c.name != "daily_vol").all(|c| c.from == "recording"), "{list:?}");
        // The prices only bounce between two levels: the bounce-corrected
        // volatility is zero, so the universe's stands, and says why.
        let vol = list.iter().find(|c| c.name == "daily_vol").unwrap();
        assert_eq!((vol.from, inst.daily_vol), ("universe", btc.daily_vol), "{vol:?}");
        assert!(vol.note.contains("bid-ask bounce"), "{vol:?}");
    }
}
