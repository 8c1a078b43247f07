//! The intraday shape of volatility and spread.
//!
//! Volatility runs in trading time (Clark 1973; Ane and Geman 2000): the
//! random walk's variance per unit of clock time follows the volume curve,
//! so a U-shaped volume curve gives U-shaped volatility. Equities add an
//! opening spike (price discovery after the overnight gap; Harris 1986,
//! Wood, McInish and Ord 1985): variance times `1 + OPEN_SPIKE * exp(-t /
//! OPEN_SPIKE_TAU)` from the open. The shape is normalised so the day's
//! variance is the instrument's `daily_vol` squared.
//!
//! Spreads follow the square root of that volatility multiplier: wide at
//! the open, narrowest at midday, a little wider into the close (McInish and
//! Wood 1992 report this U/reverse-J shape for NYSE stocks), averaging the
//! instrument's `spread_bps` over the day.

use super::curve::VolumeCurve;
use crate::model::{AssetClass, Timestamp};

/// Extra variance at the equity open, as a multiple of the curve's.
pub const OPEN_SPIKE: f64 = 2.0;
/// Decay time of the opening spike, seconds.
pub const OPEN_SPIKE_TAU_S: f64 = 600.0;

/// Volatility and spread multipliers over one session.
#[derive(Debug, Clone, PartialEq)]
pub struct IntradayShape {
    open: Timestamp,
    spike: f64,
    spike_tau_ns: f64,
    /// 1 / (time-average of the unnormalised variance multiplier).
    inv_norm: f64,
    /// 1 / (time-average of the unnormalised spread multiplier).
    inv_spread_norm: f64,
}

impl IntradayShape {
    /// The shape of an instrument's session with its volume curve.
    pub fn new(curve: &VolumeCurve, ac: AssetClass) -> IntradayShape {
        let spike = if ac == AssetClass::Equity { OPEN_SPIKE } else { 0.0 };
        let mut s = IntradayShape {
            open: curve.open,
            spike,
            spike_tau_ns: OPEN_SPIKE_TAU_S * 1e9,
            inv_norm: 1.0,
            inv_spread_norm: 1.0,
        };
        // The variance multiplier's time average in closed form: each bucket's
        // trading time times the integral of the spike over it.
        let len = (curve.close.0 - curve.open.0).max(1) as f64;
        let bucket = len / curve.shares.len() as f64;
        let mut var = 0.0;
        for (b, share) in curve.shares.iter().enumerate() {
            let (a, z) = (b as f64 * bucket, (b + 1) as f64 * bucket);
            let tau = s.spike_tau_ns;
            let spike = s.spike * tau * ((-a / tau).exp() - (-z / tau).exp());
            var += share * (bucket + spike) / bucket;
        }
        s.inv_norm = if var > 0.0 { 1.0 / var } else { 1.0 };
        // The spread's (a fourth root) on a grid: 780 points, 20 per spike time on an equity day.
        let n = 780i64;
        let spread: f64 = (0..n)
            .map(|k| {
                s.raw_variance(curve, Timestamp(curve.open.0 + ((2 * k + 1) as f64 * len / (2 * n) as f64) as i64))
            })
            .map(|v| v.sqrt().sqrt())
            .sum();
        s.inv_spread_norm = if spread > 0.0 { n as f64 / spread } else { 1.0 };
        s
    }

    fn raw_variance(&self, curve: &VolumeCurve, t: Timestamp) -> f64 {
        let len = (curve.close.0 - curve.open.0).max(1) as f64;
        let trading_time = curve.density_at(t) * len;
        let since_open = (t.0 - self.open.0).max(0) as f64;
        trading_time * (1.0 + self.spike * (-since_open / self.spike_tau_ns).exp())
    }

    /// Variance multiplier at `t` (averages 1 over the session).
    pub fn variance(&self, curve: &VolumeCurve, t: Timestamp) -> f64 {
        self.raw_variance(curve, t) * self.inv_norm
    }

    /// Volatility multiplier at `t` (its square averages 1 over the session).
    pub fn volatility(&self, curve: &VolumeCurve, t: Timestamp) -> f64 {
        self.variance(curve, t).sqrt()
    }

    /// Spread multiplier at `t` (averages 1 over the session).
    pub fn spread(&self, curve: &VolumeCurve, t: Timestamp) -> f64 {
        self.raw_variance(curve, t).sqrt().sqrt() * self.inv_spread_norm
    }

    /// The volatility and spread multipliers at `t` together: the same
    /// values as [`Self::volatility`] and [`Self::spread`], with the
    /// variance (an `exp` on equity days) worked out once per quote refresh.
    pub fn volatility_and_spread(&self, curve: &VolumeCurve, t: Timestamp) -> (f64, f64) {
        let raw = self.raw_variance(curve, t);
        ((raw * self.inv_norm).sqrt(), raw.sqrt().sqrt() * self.inv_spread_norm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::curve::US_EQUITY_HALF_HOURS;
    use crate::market::session::session;
    use crate::model::Calendar;
    use chrono::NaiveDate;

    fn curve(weights: &[f64]) -> VolumeCurve {
        let s = session(Calendar::UsEquity, "NYSE", NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()).unwrap();
        VolumeCurve::new(s.open, s.close, weights)
    }

    fn at(c: &VolumeCurve, minutes: i64) -> Timestamp {
        Timestamp(c.open.0 + minutes * 60_000_000_000)
    }

    /// Volatility: two minutes after the open the variance multiplier is the
    /// first bucket's trading time 242,978 / (2,033,461 / 13) = 1.5534 times
    /// the spike 1 + 2 e^(-0.2) = 2.6375, over the normaliser; at 12:50 it is
    /// 97,808 x 13 / 2,033,461 = 0.6253 over the same normaliser: a ratio of
    /// 6.55 in variance, 2.56 in volatility.
    #[test]
    fn equity_volatility_spikes_at_the_open_and_is_u_shaped() {
        let c = curve(&US_EQUITY_HALF_HOURS);
        let s = IntradayShape::new(&c, AssetClass::Equity);
        let (open, noon, close) =
            (s.volatility(&c, at(&c, 2)), s.volatility(&c, at(&c, 200)), s.volatility(&c, at(&c, 385)));
        let want = (1.5534 * (1.0 + 2.0 * (-0.2f64).exp()) / 0.6253).sqrt();
        assert!((open / noon - want).abs() < 0.01, "{} vs {want}", open / noon);
        assert!(close > noon * 1.5, "close {close} noon {noon}");
        // The day's variance is preserved: the multiplier averages 1.
        let n = 3_900;
        let avg: f64 =
            (0..n).map(|k| s.variance(&c, Timestamp(c.open.0 + k * 6_000_000_000 + 3_000_000_000))).sum::<f64>()
                / n as f64;
        assert!((avg - 1.0).abs() < 1e-3, "{avg}");
        // Spreads: widest at the open, narrowest at midday, averaging 1.
        assert!(s.spread(&c, at(&c, 2)) > 1.4 && s.spread(&c, at(&c, 200)) < 0.95);
        let avg: f64 =
            (0..n).map(|k| s.spread(&c, Timestamp(c.open.0 + k * 6_000_000_000 + 3_000_000_000))).sum::<f64>()
                / n as f64;
        assert!((avg - 1.0).abs() < 1e-3, "{avg}");
        // Both at once are the same values, bit for bit.
        for m in [0, 2, 200, 385] {
            let (vol, spread) = s.volatility_and_spread(&c, at(&c, m));
            assert_eq!(vol.to_bits(), s.volatility(&c, at(&c, m)).to_bits());
            assert_eq!(spread.to_bits(), s.spread(&c, at(&c, m)).to_bits());
        }
    }

    #[test]
    fn flat_markets_are_flat() {
        let c = curve(&[1.0; 24]);
        let s = IntradayShape::new(&c, AssetClass::Crypto);
        for m in [0, 100, 389] {
            assert!((s.volatility(&c, at(&c, m)) - 1.0).abs() < 1e-9);
            assert!((s.spread(&c, at(&c, m)) - 1.0).abs() < 1e-9);
        }
    }
}
