//! The dynamic VWAP's level from the hours before its start.
//!
//! The profile gives the window's expected volume at the instrument's daily
//! level (ADV from the days before). Volume is persistent within a day: a
//! market that printed twice what the profile expected over the last hours
//! tends to keep printing above it over the next ones (on the shared
//! 1-minute samples the window's volume over the profile's expectation
//! follows the ratio of the hours before it, see BENCHMARKS.md). So at the
//! start the order can look at what others printed over a look-back
//! (`recent`, e.g. `12h`; off by default, see below; never before the
//! session's open or the market's start) against what the profile expected
//! over the same span, and scale the forecast's prior by that ratio to the
//! power `recent_weight` (default 0.75: a ratio shrunk toward 1 in log
//! terms, since part of a busy spell fades before the window ends; 0 turns
//! it off, 1 takes the ratio as it is). `recent_mean=hourly` averages the
//! ratio hour by hour in logs instead (a burst in the look-back weighs as
//! one hour).
//!
//! On by default (`recent=12h`, with the half-life of the window and a prior
//! weight of 1.5): on the three shared samples it improves both figures of
//! every file; the generated tape's median moves by +0.4 bps, well inside
//! what the sample can tell (its 90% bootstrap interval, -0.9 to +1.2 bps),
//! and a forecast whose persistence is learned from the days before did no
//! better (BENCHMARKS.md). A look-back shorter than an hour, or one with no
//! prints or no expected volume, leaves the prior as it is (`recent=0s`
//! turns it off); the factor is kept within [1/8, 8], as one odd session
//! should not move the level further.

use super::param_f64;
use crate::market::curve::VolumeCurve;
use crate::market::tape::Tape;
use crate::model::{Duration, Timestamp};
use std::collections::BTreeMap;

/// The default look-back: the hours before the start, back to the
/// session's open (BENCHMARKS.md, "The level from the hours before the start").
pub const DEFAULT_LOOKBACK: Duration = Duration::mins(12 * 60);
/// The default exponent on realised over expected.
pub const DEFAULT_WEIGHT: f64 = 0.75;
/// The longest look-back.
pub const MAX_LOOKBACK: Duration = Duration::mins(24 * 60);
/// A minute: the look-back starts on one.
const MINUTE: Duration = Duration::mins(1);
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
    /// Average the ratio hour by hour (in logs) instead of over the whole look-back.
    pub hourly: bool,
}

impl RecentLevel {
    /// From an order's `recent`, `recent_weight` and `recent_mean`
    /// parameters, the defaults for those absent (or unreadable: the
    /// algorithm refuses those, see `algo::vwap`).
    pub fn from_params(params: &BTreeMap<String, String>) -> RecentLevel {
        let lookback = params.get("recent").and_then(|s| Duration::parse(s.trim())).unwrap_or(DEFAULT_LOOKBACK);
        let weight = param_f64(params, "recent_weight").unwrap_or(DEFAULT_WEIGHT);
        let hourly = params.get("recent_mean").is_some_and(|s| s.trim().eq_ignore_ascii_case("hourly"));
        RecentLevel { lookback, weight, hourly }
    }

    /// Where the look-back of an order starting at `start` begins: never
    /// before the session's `open` nor before the market `began` printing
    /// (`None`: off, or nothing to look back on).
    pub fn from_time(&self, began: Timestamp, open: Timestamp, start: Timestamp) -> Option<Timestamp> {
        if self.lookback.0 <= 0 || self.weight <= 0.0 {
            return None;
        }
        // A whole minute: a bounded tape keeps its sums there (`Tape`'s
        // minute marks), so a served engine's look-back is a full one's.
        let from = (start - self.lookback).max(began).max(open);
        let from = Timestamp(
            from.0.div_euclid(MINUTE.0) * MINUTE.0 + if from.0.rem_euclid(MINUTE.0) > 0 { MINUTE.0 } else { 0 },
        );
        (from < start).then_some(from)
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

    /// The factor on the prior of an order starting `now`, the look-back
    /// from `from` ([`RecentLevel::from_time`]): others' prints over it from
    /// `tape` (1 when the tape no longer holds them, as a served engine
    /// keeps only recent prints).
    pub fn factor_on(&self, tape: &Tape, curve: &VolumeCurve, daily: f64, from: Timestamp, now: Timestamp) -> f64 {
        if from >= now {
            return 1.0;
        }
        if !self.hourly {
            return match tape.between(from, now) {
                Some((others, _)) => self.factor(curve, daily, from, now, others.qty.to_f64()),
                None => 1.0,
            };
        }
        // Whole hours back from the last whole minute (where a bounded tape
        // keeps its sums; the first hour runs on to now); each hour's ratio
        // within [1/64, 64] (an hour without prints would otherwise weigh
        // without bound).
        let top = Timestamp(now.0.div_euclid(MINUTE.0) * MINUTE.0);
        let hours = (top - from).0 / MIN_SPAN.0;
        let mut logs = Vec::new();
        for i in 0..hours {
            let t1 = if i == 0 { now } else { top - Duration(MIN_SPAN.0 * i) };
            let t0 = top - Duration(MIN_SPAN.0 * (i + 1));
            let Some((others, _)) = tape.between(t0, t1) else { return 1.0 };
            let expected = daily * curve.share_between(t0, t1);
            if expected > 0.0 {
                logs.push((others.qty.to_f64() / expected).clamp(1.0 / 64.0, 64.0).ln());
            }
        }
        self.factor_of_hours(&logs)
    }

    /// The factor from each hour's log ratio: `exp(mean)^weight` within
    /// [1/8, 8], 1 with no hour or no weight.
    pub fn factor_of_hours(&self, logs: &[f64]) -> f64 {
        if logs.is_empty() || self.weight <= 0.0 {
            return 1.0;
        }
        let mean = logs.iter().sum::<f64>() / logs.len() as f64;
        (mean * self.weight).exp().clamp(1.0 / MAX_FACTOR, MAX_FACTOR)
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
        let r = RecentLevel { lookback: Duration::mins(720), weight: 0.75, hourly: false };
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
        // Hour by hour: ratios 1, 1, 1 and 8 (a burst) average in logs to
        // 8^(1/4) = 1.682, to the power 0.75: 1.477 (the volume ratio, 11/4,
        // would give 2.135).
        let logs = [0.0, 0.0, 0.0, 8f64.ln()];
        let f = r.factor_of_hours(&logs);
        assert!((f - 8f64.powf(0.25 * 0.75)).abs() < 1e-12 && (f - 1.477).abs() < 1e-3, "{f}");
        assert_eq!(r.factor_of_hours(&[]), 1.0);
    }

    #[test]
    fn a_heavier_prior_fades_more_slowly() {
        use super::super::VolumeForecast;
        // 2,400 expected over 240 minutes (10 a minute), half-life 60 min:
        // the prior weighs w = 10 x 60 / ln 2 = 865.6 of expected volume.
        // A print of 100 at the start: pace (w + 100) / w = 1.1155; with
        // the prior counted twice, (2w + 100) / 2w = 1.0578.
        let curve = VolumeCurve::new(min(0), min(240), &[1.0; 8]);
        let w = 10.0 * 60.0 / std::f64::consts::LN_2;
        for (k, pace) in [(1.0, (w + 100.0) / w), (2.0, (2.0 * w + 100.0) / (2.0 * w))] {
            let mut f = VolumeForecast::new(&curve, min(0), min(240), 2_400.0, Duration::mins(60)).with_prior_weight(k);
            f.observe(min(0), 100.0);
            assert!((f.pace() - pace).abs() < 1e-9, "{k}: {} against {pace}", f.pace());
        }
        assert!(((w + 100.0) / w - 1.1155).abs() < 1e-4 && ((2.0 * w + 100.0) / (2.0 * w) - 1.0578).abs() < 1e-4);
    }
}
