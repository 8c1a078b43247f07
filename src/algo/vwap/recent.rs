//! The dynamic VWAP's level from the hours before its start.
//!
//! The profile gives the window's expected volume at the instrument's daily
//! level (ADV from the days before). Volume is persistent within a day: a
//! market that printed twice what the profile expected over the last hours
//! tends to keep printing above it over the next ones (on the shared
//! 1-minute samples the window's volume over the profile's expectation
//! follows the ratio of the hours before it, see BENCHMARKS.md). So at the
//! start the order looks at what others printed over the look-back
//! (`recent`, default 12 hours, never before the session's open or the
//! market's start) against what the profile expected over the same span,
//! and scales the forecast's prior by that ratio to the power `recent_weight`
//! (default 0.75: a ratio shrunk toward 1 in log terms, since part of a busy
//! spell fades before the window ends; 0 turns it off, 1 takes the ratio as
//! it is). A look-back shorter than an hour, or one with no prints or no
//! expected volume, leaves the prior as it is; the factor is kept within
//! [1/8, 8], as one odd session should not move the level further.

use crate::algo::{ParamError, Params};
use crate::market::curve::VolumeCurve;
use crate::market::sim::InstrumentMarket;
use crate::model::{Duration, Timestamp};

/// The shortest look-back that counts.
const MIN_SPAN: Duration = Duration::mins(60);
/// The largest factor either way.
const MAX_FACTOR: f64 = 8.0;

/// How the prior takes the recent volume into account.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecentLevel {
    /// How far back to look (0: off).
    pub lookback: Duration,
    /// The exponent on realised over expected (0: off).
    pub weight: f64,
}

impl RecentLevel {
    /// From the `recent` and `recent_weight` parameters.
    pub fn from_params(p: &mut Params<'_>) -> Result<RecentLevel, ParamError> {
        let lookback = p.duration("recent", Duration::mins(12 * 60), Duration(0), Duration::mins(24 * 60))?;
        let weight = p.f64_in("recent_weight", 0.75, 0.0, 1.0, false)?;
        Ok(RecentLevel { lookback, weight })
    }

    /// The factor on the prior, from others' volume `printed` over
    /// [from, now) against the curve's expectation at `daily` a session:
    /// `(printed / expected)^weight` within [1/8, 8], or 1 when the span is
    /// shorter than an hour or either volume is nothing.
    pub fn factor(&self, curve: &VolumeCurve, daily: f64, from: Timestamp, now: Timestamp, printed: f64) -> f64 {
        if self.weight <= 0.0 || now - from < MIN_SPAN {
            return 1.0;
        }
        let expected = daily * curve.share_between(from, now);
        if !(expected > 0.0 && printed > 0.0) {
            return 1.0;
        }
        (printed / expected).powf(self.weight).clamp(1.0 / MAX_FACTOR, MAX_FACTOR)
    }

    /// The factor on the prior of an order starting `now` in `market`:
    /// others' prints over the look-back from its tape (1 when the tape no
    /// longer holds them, as a served engine keeps only recent prints).
    pub fn factor_in(&self, market: &InstrumentMarket, curve: &VolumeCurve, daily: f64, now: Timestamp) -> f64 {
        if self.lookback.0 <= 0 {
            return 1.0;
        }
        let from = (now - self.lookback).max(market.began).max(market.session.open);
        if from >= now {
            return 1.0;
        }
        match market.tape.between(from, now) {
            Some((others, _)) => self.factor(curve, daily, from, now, others.qty.to_f64()),
            None => 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn min(m: i64) -> Timestamp {
        Timestamp(m * 60_000_000_000)
    }

    #[test]
    fn the_prior_follows_the_recent_ratio_shrunk_by_the_weight() {
        // A flat 24-hour curve at 2,400 a day: 100 an hour expected.
        let curve = VolumeCurve::new(min(0), min(1440), &[1.0; 24]);
        let r = RecentLevel { lookback: Duration::mins(720), weight: 0.75 };
        // 12 hours expected 1,200; 4,800 printed: ratio 4, 4^0.75 = 2.828...
        let f = r.factor(&curve, 2_400.0, min(240), min(960), 4_800.0);
        assert!((f - 2f64.powf(1.5)).abs() < 1e-12, "{f}");
        // Half the expected volume: 0.5^0.75 = 0.5946...
        let f = r.factor(&curve, 2_400.0, min(240), min(960), 600.0);
        assert!((f - 0.5f64.powf(0.75)).abs() < 1e-12, "{f}");
        // Weight 1 takes the ratio as it is; weight 0 leaves the prior.
        let one = RecentLevel { weight: 1.0, ..r };
        assert!((one.factor(&curve, 2_400.0, min(240), min(960), 4_800.0) - 4.0).abs() < 1e-12);
        let off = RecentLevel { weight: 0.0, ..r };
        assert_eq!(off.factor(&curve, 2_400.0, min(240), min(960), 4_800.0), 1.0);
        // Too short a look-back (59 minutes), no prints: no change.
        assert_eq!(r.factor(&curve, 2_400.0, min(901), min(960), 500.0), 1.0);
        assert_eq!(r.factor(&curve, 2_400.0, min(240), min(960), 0.0), 1.0);
        // A hundred times the expected volume is held at 8.
        assert_eq!(one.factor(&curve, 2_400.0, min(240), min(960), 120_000.0), 8.0);
    }
}
