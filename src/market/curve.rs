//! Intraday volume curves: what share of a day's continuous volume trades in
//! each part of the session. Drives the simulated trade arrival rate and the
//! VWAP algorithm's slicing; `profile` learns them or gives the defaults.

use super::session::Session;
use crate::model::{Instrument, Timestamp};
use serde::Serialize;

/// Default U-shape for equities: median volume per half hour of the regular
/// session (09:30-16:00 ET) of S&P 500 e-mini futures, 2009 (Steenbarger,
/// TraderFeed; see `shared/reference/volume_curve.json`), renormalised over the
/// 13 buckets of the cash session. Futures, not cash equities, but the public
/// figure with the right shape: heavy at the open and the close.
pub const US_EQUITY_HALF_HOURS: [f64; 13] = [
    242_978.0, 208_202.0, 173_246.0, 142_250.0, 117_904.0, 104_093.0, 97_808.0, 108_429.0, 113_074.0, 133_750.0,
    147_448.0, 180_139.0, 264_140.0,
];

/// A piecewise-constant intraday volume profile over one session.
#[derive(Debug, Clone, Serialize)]
pub struct VolumeCurve {
    /// Session open.
    pub open: Timestamp,
    /// Session close.
    pub close: Timestamp,
    /// Share of continuous volume in each equal-length bucket (sums to 1).
    pub shares: Vec<f64>,
    /// Cumulative share at the start of each bucket (len = shares.len() + 1).
    #[serde(skip)]
    cum: Vec<f64>,
    /// Length of a bucket, ns (the same quotient every call worked out).
    #[serde(skip)]
    bucket_ns: f64,
}

impl VolumeCurve {
    /// A curve from raw bucket weights spread evenly over [open, close).
    pub fn new(open: Timestamp, close: Timestamp, weights: &[f64]) -> VolumeCurve {
        let total: f64 = weights.iter().sum();
        let shares: Vec<f64> =
            if weights.is_empty() || total <= 0.0 { vec![1.0] } else { weights.iter().map(|w| w / total).collect() };
        let mut cum = Vec::with_capacity(shares.len() + 1);
        let mut acc = 0.0;
        cum.push(0.0);
        for s in &shares {
            acc += s;
            cum.push(acc);
        }
        if let Some(last) = cum.last_mut() {
            *last = 1.0;
        }
        let bucket_ns = (close.0 - open.0) as f64 / shares.len() as f64;
        VolumeCurve { open, close, shares, cum, bucket_ns }
    }

    /// The instrument's curve for a session: its own if configured (a
    /// learned profile written by `blotter profile`), else its asset class's
    /// default (`profile::default_weights`).
    pub fn for_instrument(inst: &Instrument, session: &Session) -> VolumeCurve {
        let weights: Vec<f64> = match &inst.volume_curve {
            Some(c) => c.clone(),
            None => super::profile::default_weights(inst.asset_class, session),
        };
        VolumeCurve::new(session.open, session.close, &weights)
    }

    fn bucket_len(&self) -> f64 {
        self.bucket_ns
    }

    /// Cumulative share of the day's continuous volume traded by `t`.
    pub fn cumulative_at(&self, t: Timestamp) -> f64 {
        if t <= self.open {
            return 0.0;
        }
        if t >= self.close {
            return 1.0;
        }
        let pos = (t.0 - self.open.0) as f64 / self.bucket_len();
        let b = (pos as usize).min(self.shares.len() - 1);
        self.cum[b] + self.shares[b] * (pos - b as f64)
    }

    /// Share of the day's continuous volume expected in [t0, t1).
    pub fn share_between(&self, t0: Timestamp, t1: Timestamp) -> f64 {
        (self.cumulative_at(t1) - self.cumulative_at(t0)).max(0.0)
    }

    /// Volume share per nanosecond at `t` (zero outside the session).
    pub fn density_at(&self, t: Timestamp) -> f64 {
        if t < self.open || t >= self.close {
            return 0.0;
        }
        let b = (((t.0 - self.open.0) as f64 / self.bucket_len()) as usize).min(self.shares.len() - 1);
        self.shares[b] / self.bucket_len()
    }

    /// The curve's buckets cut at a window's ends, in time order: [start,
    /// end) in stretches over which the curve expects volume at a constant
    /// rate (the part before the open and the part after the close are one
    /// stretch each).
    pub fn stretches(&self, start: Timestamp, end: Timestamp) -> Vec<(Timestamp, Timestamp)> {
        let mut out = Vec::new();
        let mut t = start;
        while t < end {
            let next = if t < self.open {
                self.open
            } else if t >= self.close {
                end
            } else {
                self.bucket_end(t)
            };
            let next = next.clamp(Timestamp(t.0 + 1), end);
            out.push((t, next));
            t = next;
        }
        out
    }

    /// End of the bucket containing `t` (the close for the last bucket).
    pub fn bucket_end(&self, t: Timestamp) -> Timestamp {
        if t < self.open {
            return self.open;
        }
        let len = self.bucket_len();
        let b = (((t.0 - self.open.0) as f64 / len) as usize + 1).min(self.shares.len());
        Timestamp(self.open.0 + (b as f64 * len).round() as i64).min(self.close).max(Timestamp(t.0 + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::session::session;
    use crate::model::Calendar;
    use chrono::NaiveDate;

    fn curve() -> VolumeCurve {
        let s = session(Calendar::UsEquity, "NYSE", NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()).unwrap();
        VolumeCurve::new(s.open, s.close, &US_EQUITY_HALF_HOURS)
    }

    #[test]
    fn u_shape_is_heavier_at_the_ends() {
        let c = curve();
        let first = c.shares[0];
        let mid = c.shares[6];
        let last = c.shares[12];
        assert!(first > 2.0 * mid && last > 2.0 * mid, "{first} {mid} {last}");
        assert!((c.shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(c.cumulative_at(c.close), 1.0);
        let half = Timestamp((c.open.0 + c.close.0) / 2);
        assert!((c.share_between(c.open, half) + c.share_between(half, c.close) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn density_integrates_to_the_bucket_share() {
        let c = curve();
        let t = c.open;
        let end = c.bucket_end(t);
        let integral = c.density_at(t) * (end.0 - t.0) as f64;
        assert!((integral - c.shares[0]).abs() < 1e-9);
        assert_eq!(c.density_at(c.close), 0.0);
    }
}
