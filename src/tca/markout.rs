//! Markouts: how the mid moved after (and before) each fill, as a cost in
//! basis points of the fill price, weighted by quantity.
//!
//! For a fill at price `p` and the mid `m` at `t + h`:
//! `markout(h) = s * (p - m) / p * 1e4` with `s` = +1 for a buy, -1 for a sell.
//! Positive means the price moved against the fill afterwards (a buy the
//! market then sold off from: adverse selection). The negative windows use the
//! mid at `t - h` and show what the fill paid over the pre-trade price
//! (spread, impact and pre-trade drift).

use super::mids::MidSource;
use crate::model::{Duration, Fill, Price, Side, Timestamp};
use serde::{Deserialize, Serialize};

/// The horizons reported: 1 s, 5 s, 30 s and 5 min.
pub const HORIZONS: [Duration; 4] = [Duration::secs(1), Duration::secs(5), Duration::secs(30), Duration::mins(5)];

/// Quantity-weighted markouts at the standard horizons; `None` where no fill
/// had a mid that far from it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Markouts {
    /// One second.
    #[serde(rename = "1s")]
    pub s1: Option<f64>,
    /// Five seconds.
    #[serde(rename = "5s")]
    pub s5: Option<f64>,
    /// Thirty seconds.
    #[serde(rename = "30s")]
    pub s30: Option<f64>,
    /// Five minutes.
    #[serde(rename = "5m")]
    pub m5: Option<f64>,
}

impl Markouts {
    /// The values in `HORIZONS` order.
    pub fn values(&self) -> [Option<f64>; 4] {
        [self.s1, self.s5, self.s30, self.m5]
    }
    fn from_values(v: [Option<f64>; 4]) -> Markouts {
        Markouts { s1: v[0], s5: v[1], s30: v[2], m5: v[3] }
    }
}

/// After or before the fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Mid at `t + h`.
    After,
    /// Mid at `t - h`.
    Before,
}

/// Markout of one execution at one horizon, in bps (positive = cost).
pub fn markout_bps(
    side: Side,
    px: Price,
    t: Timestamp,
    h: Duration,
    dir: Direction,
    mids: &dyn MidSource,
) -> Option<f64> {
    let at = match dir {
        Direction::After => {
            let at = t + h;
            // A mid older than the horizon would be stale, not a markout.
            if mids.last_time().is_none_or(|last| last < at) {
                return None;
            }
            at
        }
        Direction::Before => t - h,
    };
    markout_against(side, px, mids.mid_at(at)?)
}

/// The markout of a fill at `px` against the mid `m` found at the horizon, in bps.
pub fn markout_against(side: Side, px: Price, m: f64) -> Option<f64> {
    let p = px.to_f64();
    (p > 0.0).then(|| side.sign() as f64 * (p - m) / p * 1e4)
}

/// One fill's markouts at every horizon (`HORIZONS` order).
pub fn fill_markouts(f: &Fill, dir: Direction, mids: &dyn MidSource) -> [Option<f64>; 4] {
    HORIZONS.map(|h| markout_bps(f.side, f.px, f.ts, h, dir, mids))
}

/// Accumulates quantity-weighted markouts fill by fill.
#[derive(Debug, Clone, Default)]
pub struct MarkoutAcc {
    sum: [f64; 4],
    qty: [f64; 4],
}

impl MarkoutAcc {
    /// Adds one fill.
    pub fn add(&mut self, f: &Fill, dir: Direction, mids: &dyn MidSource) {
        self.add_values(f.qty.to_f64(), fill_markouts(f, dir, mids));
    }
    /// Adds one fill of quantity `q` whose markouts are already known.
    pub fn add_values(&mut self, q: f64, values: [Option<f64>; 4]) {
        for (k, v) in values.iter().enumerate() {
            if let Some(b) = v {
                self.sum[k] += b * q;
                self.qty[k] += q;
            }
        }
    }
    /// The weighted averages.
    pub fn finish(&self) -> Markouts {
        Markouts::from_values(std::array::from_fn(|k| (self.qty[k] > 0.0).then(|| self.sum[k] / self.qty[k])))
    }
}

/// Quantity-weighted markouts of a set of fills.
pub fn markouts<'a>(fills: impl IntoIterator<Item = &'a Fill>, dir: Direction, mids: &dyn MidSource) -> Markouts {
    let mut acc = MarkoutAcc::default();
    for f in fills {
        acc.add(f, dir, mids);
    }
    acc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::MidSeries;
    use crate::model::{ChildId, FillId, Liquidity, Money, ParentId, Qty};

    const S: i64 = 1_000_000_000;

    fn fill(side: Side, px: &str, q: i64, t: i64) -> Fill {
        Fill {
            id: FillId(1),
            child: ChildId { parent: ParentId::local(1), seq: 1 },
            venue: "NYSE".into(),
            side,
            px: px.parse().unwrap(),
            qty: Qty::from_int(q),
            fee: Money::ZERO,
            liquidity: Liquidity::Maker,
            ts: Timestamp(t),
        }
    }

    /// A constructed path sampled every second from t = 0 s to t = 400 s:
    /// the mid is 100.00 before 10 s, 100.10 from 10 s, 100.20 from 14 s and
    /// 99.90 from 39 s on.
    fn path() -> MidSeries {
        let mut m = MidSeries::new(Timestamp(0), S);
        for sec in 0..=400 {
            let mid = match sec {
                0..=9 => 100.0,
                10..=13 => 100.1,
                14..=38 => 100.2,
                _ => 99.9,
            };
            m.record(Timestamp(sec * S), mid);
        }
        m
    }

    #[test]
    fn markouts_on_a_constructed_path() {
        let mids = path();
        // A buy at 100.00 at t = 9 s: +1 s mid 100.10, +5 s 100.20, +30 s 99.90, +5 min 99.90.
        let b = fill(Side::Buy, "100", 300, 9 * S);
        let m = markouts([&b], Direction::After, &mids);
        assert!((m.s1.unwrap() - -10.0).abs() < 1e-9, "{m:?}");
        assert!((m.s5.unwrap() - -20.0).abs() < 1e-9);
        assert!((m.s30.unwrap() - 10.0).abs() < 1e-9);
        assert!((m.m5.unwrap() - 10.0).abs() < 1e-9);
        // A sell of 100 at 100.00 at the same time: the mirror image.
        let s = fill(Side::Sell, "100", 100, 9 * S);
        let ms = markouts([&s], Direction::After, &mids);
        assert!((ms.s1.unwrap() - 10.0).abs() < 1e-9);
        // Together, quantity-weighted: (300 x -10 + 100 x 10) / 400 = -5 at 1 s.
        let both = markouts([&b, &s], Direction::After, &mids);
        assert!((both.s1.unwrap() - -5.0).abs() < 1e-9);
        assert!((both.s30.unwrap() - 5.0).abs() < 1e-9);
    }

    #[test]
    fn negative_windows_look_before_the_fill() {
        let mids = path();
        // A buy at 100.30 at t = 35 s: 1 s before the mid was 100.20 (cost 9.97 bps),
        // 30 s before it was 100.00 (29.91 bps); 5 min before there is no mid.
        let b = fill(Side::Buy, "100.3", 10, 35 * S);
        let m = markouts([&b], Direction::Before, &mids);
        assert!((m.s1.unwrap() - (0.1 / 100.3 * 1e4)).abs() < 1e-6);
        assert!((m.s30.unwrap() - (0.3 / 100.3 * 1e4)).abs() < 1e-6);
        assert_eq!(m.m5, None);
    }

    #[test]
    fn horizons_beyond_the_data_are_not_reported() {
        let mids = path();
        let late = fill(Side::Buy, "100", 10, 380 * S);
        let m = markouts([&late], Direction::After, &mids);
        assert!(m.s1.is_some() && m.s5.is_some());
        assert_eq!(m.s30, None);
        assert_eq!(m.m5, None);
    }
}
