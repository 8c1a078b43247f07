//! Running figures of the recorded trades from the first one: count, volume,
//! notional and Roll's sums. `RecTrades` keeps them at every mark, worked
//! out while encoding (reading a file already passes over every print), so
//! estimating a recording's figures (`estimate`) over any leading stretch of
//! it decodes at most one mark's worth of prints instead of all of them.
//! The sums are accumulated in tape order exactly as a pass over the prints
//! would, so the figures are the same to the last bit.

use super::RecTrade;
use crate::model::{Money, Qty};

/// Fewest price changes Roll's spread is estimated from (the estimate's
/// `MIN_RETURNS`).
const MIN_CHANGES: usize = super::estimate::MIN_RETURNS;

/// Figures of the trades before some index, in tape order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Running {
    /// Trades added.
    pub trades: usize,
    /// Their volume (`None` once a checked sum overflowed).
    pub volume: Option<Qty>,
    /// Their notional, each print's `Money::notional` (`None` once it overflowed).
    pub notional: Option<Money>,
    /// Roll's sums over their consecutive price changes.
    pub roll: Roll,
}

impl Default for Running {
    fn default() -> Running {
        Running { trades: 0, volume: Some(Qty::ZERO), notional: Some(Money::ZERO), roll: Roll::default() }
    }
}

impl Running {
    /// Adds the next trade.
    #[inline]
    pub fn add(&mut self, t: &RecTrade) {
        self.trades += 1;
        self.volume = self.volume.and_then(|v| v.checked_add(t.qty));
        self.notional = self.notional.and_then(|n| n.checked_add(Money::notional(t.px, t.qty)));
        self.roll.add(t.px.to_f64());
    }
}

/// Roll's spread estimate, accumulated print by print: `2 sqrt(-cov)` of
/// consecutive price changes, when that covariance is negative.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Roll {
    prev_px: Option<f64>,
    prev_change: Option<f64>,
    changes: usize,
    pairs: usize,
    sx: f64,
    sy: f64,
    sxy: f64,
}

impl Roll {
    /// Adds the next print's price.
    #[inline]
    pub fn add(&mut self, px: f64) {
        if let Some(p) = self.prev_px {
            let d = px - p;
            self.changes += 1;
            if let Some(prev) = self.prev_change {
                self.pairs += 1;
                self.sx += prev;
                self.sy += d;
                self.sxy += prev * d;
            }
            self.prev_change = Some(d);
        }
        self.prev_px = Some(px);
    }

    /// The spread in bps of `level`.
    pub fn spread_bps(&self, level: f64) -> Option<f64> {
        if self.changes < MIN_CHANGES || self.pairs == 0 || level <= 0.0 {
            return None;
        }
        let n = self.pairs as f64;
        let cov = self.sxy / n - (self.sx / n) * (self.sy / n);
        (cov < 0.0).then(|| 2.0 * (-cov).sqrt() / level * 1e4)
    }
}
