//! Forecasting what is left of a window's volume from what has printed so
//! far: the dynamic VWAP trades on it and the TCA replays it to show what
//! the order expected bucket by bucket.
//!
//! The curve gives the shape (the share of the window's volume expected in
//! each part of it) and the prior its level (the window's expected volume,
//! from the instrument's ADV or a learned profile). While the window runs,
//! the *pace* (realised volume over expected volume) re-scales the rest of
//! it. The pace is an exponentially weighted ratio with half-life `H`:
//! volume regimes persist for a while (a busy hour tends to be followed by a
//! busy hour) but not all day, so recent prints count most. The prior enters
//! as if one steady-state half-life's worth of expected volume had printed at
//! pace 1, and fades at the same rate as real observations:
//!
//! `pace(t) = (w 2^(-(t - start)/H) + sum_i v_i 2^(-(t - t_i)/H)) / (w 2^(-(t - start)/H) + integral e(s) 2^(-(t - s)/H) ds)`
//!
//! with `v_i` the prints, `e(s)` the expected volume rate and `w` the
//! expected volume over `H / ln 2` at the window's average rate. Remaining
//! volume = pace x expected remaining volume; the forecast window total is
//! the realised volume plus that.

use super::curve::VolumeCurve;
use crate::model::{Duration, Timestamp};

/// The default half-life: half the window, between 10 minutes and 4 hours.
pub fn default_half_life(start: Timestamp, end: Timestamp) -> Duration {
    Duration(((end - start).0 / 2).clamp(Duration::mins(10).0, Duration::mins(240).0))
}

/// The half-life of an order's forecast from its `half_life` parameter (the
/// default when absent or unreadable: the algorithm refuses those).
pub fn half_life_param(
    params: &std::collections::BTreeMap<String, String>,
    start: Timestamp,
    end: Timestamp,
) -> Duration {
    params.get("half_life").and_then(|s| Duration::parse(s)).unwrap_or_else(|| default_half_life(start, end))
}

/// Others' continuous volume `inst` is expected to trade over [start, end)
/// (the forecast's prior): its ADV without the auction, shaped by the curve.
pub fn prior_volume(inst: &crate::model::Instrument, curve: &VolumeCurve, start: Timestamp, end: Timestamp) -> f64 {
    inst.adv.to_f64() * (1.0 - inst.auction_share) * curve.share_between(start, end)
}

/// The forecast of one window's volume, updated with each print.
#[derive(Debug, Clone)]
pub struct VolumeForecast {
    curve: VolumeCurve,
    start: Timestamp,
    end: Timestamp,
    prior: f64,
    window_share: f64,
    half_life_ns: f64,
    /// Last update.
    t: Timestamp,
    realised: f64,
    /// Decayed realised volume (prior included).
    num: f64,
    /// Decayed expected volume (prior included).
    den: f64,
    /// The curve's cumulative share at `end`, and at the two times asked
    /// about last (a print's update asks for the same times several times
    /// over, and the next print for the last one's again): exactly what
    /// `VolumeCurve::cumulative_at` gives, without working it out again.
    cum_end: f64,
    cum_seen: [(Timestamp, f64); 2],
    /// A time inside the session and the curve's `bucket_end` of it: every
    /// time from it up to that end has the same bucket end (see `bucket_end`).
    bucket_seen: (Timestamp, Timestamp),
    /// Decay factors worked out before, by gap (ns): a tape's gaps between
    /// prints repeat (whole milliseconds, mostly a few of them), and the
    /// factor is the same `exp` of the same gap, without calling it again.
    decays: [(i64, f64); DECAYS],
}

/// Entries of [`VolumeForecast::decays`].
const DECAYS: usize = 32;

impl VolumeForecast {
    /// A forecast of [start, end) shaped by `curve`, expecting `prior` in all.
    pub fn new(curve: &VolumeCurve, start: Timestamp, end: Timestamp, prior: f64, half_life: Duration) -> Self {
        let window_share = curve.share_between(start, end);
        let len = (end - start).0.max(1) as f64;
        let half_life_ns = half_life.0.max(1) as f64;
        let w = prior.max(0.0) / len * half_life_ns / std::f64::consts::LN_2;
        VolumeForecast {
            curve: curve.clone(),
            start,
            end,
            prior: prior.max(0.0),
            window_share,
            half_life_ns,
            t: start,
            realised: 0.0,
            num: w,
            den: w,
            cum_end: curve.cumulative_at(end),
            cum_seen: [(start, curve.cumulative_at(start)); 2],
            bucket_seen: (Timestamp(i64::MAX), Timestamp(i64::MIN)),
            decays: [(-1, 0.0); DECAYS],
        }
    }

    /// The prior counted as `k` steady-state half-lives of expected volume
    /// instead of one (set before the first update): a prior the order has
    /// reason to trust (e.g. set from the hours before the start) fades more
    /// slowly against the first prints.
    pub fn with_prior_weight(mut self, k: f64) -> Self {
        let k = if k.is_finite() && k > 0.0 { k } else { 1.0 };
        self.num *= k;
        self.den *= k;
        self
    }

    /// The decay over a gap of `dt` ns: `exp(-dt ln 2 / H)`, remembered.
    fn decay(&mut self, dt: i64) -> f64 {
        // Fibonacci hashing spreads whole milliseconds over the entries.
        let i = ((dt as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - DECAYS.trailing_zeros())) as usize;
        if self.decays[i].0 == dt {
            return self.decays[i].1;
        }
        let k = std::f64::consts::LN_2 / self.half_life_ns;
        let d = (-(dt as f64) * k).exp();
        self.decays[i] = (dt, d);
        d
    }

    /// `curve.bucket_end(s)` for `s` inside the session, remembered over the
    /// bucket. Exact: for `s0 <= s < e = bucket_end(s0)`, the bucket index
    /// `floor((s - open) / len)` of `s` is that of `s0` (the float quotient
    /// never decreases with `s`, and stays below the next whole number since
    /// `s - open <= round((b + 1) len) - 1` puts the exact quotient at least
    /// `0.49 / len` below it, far more than the division's rounding for any
    /// session shorter than 50 days), so its end is `e` again.
    fn bucket_end(&mut self, s: Timestamp) -> Timestamp {
        let (s0, e) = self.bucket_seen;
        if s0 <= s && s < e {
            return e;
        }
        let e = self.curve.bucket_end(s);
        self.bucket_seen = (s, e);
        e
    }

    /// `curve.cumulative_at(t)`, remembered.
    fn cum(&mut self, t: Timestamp) -> f64 {
        if t == self.end {
            return self.cum_end;
        }
        if self.cum_seen[0].0 == t {
            return self.cum_seen[0].1;
        }
        if self.cum_seen[1].0 == t {
            self.cum_seen.swap(0, 1);
            return self.cum_seen[0].1;
        }
        let c = self.curve.cumulative_at(t);
        self.cum_seen = [(t, c), self.cum_seen[0]];
        c
    }

    /// [`VolumeForecast::expected`], the same expression on remembered
    /// cumulative shares (`share_between` is their difference, at least 0).
    fn expected_mut(&mut self, t0: Timestamp, t1: Timestamp) -> f64 {
        let (t0, t1) = (t0.max(self.start), t1.min(self.end));
        if t1 <= t0 {
            return 0.0;
        }
        if self.window_share > 0.0 {
            let share = (self.cum(t1) - self.cum(t0)).max(0.0);
            self.prior * share / self.window_share
        } else {
            self.prior * (t1 - t0).0 as f64 / (self.end - self.start).0.max(1) as f64
        }
    }

    /// Expected volume over [t0, t1) at the prior level (the curve's shape;
    /// even in time where the curve expects nothing of the window).
    pub fn expected(&self, t0: Timestamp, t1: Timestamp) -> f64 {
        let (t0, t1) = (t0.max(self.start), t1.min(self.end));
        if t1 <= t0 {
            return 0.0;
        }
        if self.window_share > 0.0 {
            self.prior * self.curve.share_between(t0, t1) / self.window_share
        } else {
            self.prior * (t1 - t0).0 as f64 / (self.end - self.start).0.max(1) as f64
        }
    }

    /// Brings the decayed sums to `now` (no earlier than the last update).
    pub fn advance(&mut self, now: Timestamp) {
        let now = now.min(self.end);
        if now <= self.t {
            return;
        }
        let k = std::f64::consts::LN_2 / self.half_life_ns;
        // Expected volume arrives at a constant rate within each bucket of the curve.
        let mut s = self.t;
        while s < now {
            let next = if s < self.curve.open {
                self.curve.open
            } else if s >= self.curve.close {
                now
            } else {
                self.bucket_end(s)
            };
            let e = next.clamp(Timestamp(s.0 + 1), now);
            let rate = self.expected_mut(s, e) / (e - s).0.max(1) as f64;
            let d = self.decay((e - s).0);
            self.den = self.den * d + rate * (1.0 - d) / k;
            self.num *= d;
            s = e;
        }
        self.t = now;
    }

    /// Others printed `qty` at `now`.
    pub fn observe(&mut self, now: Timestamp, qty: f64) {
        self.advance(now);
        if now >= self.start && now < self.end && qty > 0.0 {
            self.realised += qty;
            self.num += qty;
        }
    }

    /// Realised volume over expected, recent prints weighing most (1 with nothing seen).
    pub fn pace(&self) -> f64 {
        if self.den > 0.0 { self.num / self.den } else { 1.0 }
    }

    /// Volume printed by others since the start.
    pub fn realised(&self) -> f64 {
        self.realised
    }

    /// Forecast volume over [t0, t1) (from the last update on).
    pub fn forecast(&self, t0: Timestamp, t1: Timestamp) -> f64 {
        self.pace() * self.expected(t0.max(self.t), t1)
    }

    /// Forecast volume of the whole window: realised plus the rest.
    pub fn total(&self) -> f64 {
        self.realised + self.forecast(self.t, self.end)
    }

    /// [`VolumeForecast::total`] and [`VolumeForecast::forecast`] over
    /// [t0, t1) together, as a tracker asks for them on every print: the
    /// same values, from remembered cumulative shares.
    pub fn total_and_forecast(&mut self, t0: Timestamp, t1: Timestamp) -> (f64, f64) {
        let pace = self.pace();
        let total = self.realised + pace * self.expected_mut(self.t, self.end);
        let t0 = t0.max(self.t);
        (total, pace * self.expected_mut(t0, t1))
    }

    /// The forecast fraction of the window's volume printed so far.
    pub fn done_fraction(&self) -> f64 {
        let total = self.total();
        if self.t >= self.end {
            1.0
        } else if total <= 0.0 {
            0.0
        } else {
            self.realised / total
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn min(m: i64) -> Timestamp {
        Timestamp(m * 60_000_000_000)
    }

    /// A flat curve over four hours; the window is all of it.
    fn flat(prior: f64, half_life_min: i64) -> VolumeForecast {
        let curve = VolumeCurve::new(min(0), min(240), &[1.0; 8]);
        VolumeForecast::new(&curve, min(0), min(240), prior, Duration::mins(half_life_min))
    }

    #[test]
    fn at_the_prior_pace_the_forecast_is_the_prior() {
        let mut f = flat(2_400.0, 60);
        assert_eq!(f.pace(), 1.0);
        assert!((f.total() - 2_400.0).abs() < 1e-9);
        // Ten a minute, as expected: the pace stays 1, the total 2,400.
        for m in 0..120 {
            f.observe(min(m), 10.0);
        }
        f.advance(min(120));
        assert!((f.pace() - 1.0).abs() < 0.01, "{}", f.pace());
        assert!((f.total() - 2_400.0).abs() < 25.0, "{}", f.total());
        assert!((f.done_fraction() - 0.5).abs() < 0.01);
    }

    #[test]
    fn a_busier_day_raises_the_forecast_and_the_prior_fades() {
        let mut f = flat(2_400.0, 30);
        // Thirty a minute, three times the prior, for two hours.
        for m in 0..120 {
            f.observe(min(m), 30.0);
        }
        f.advance(min(120));
        // Four half-lives in, the prior weighs 2^-4 of what it did: the pace is close to 3.
        assert!(f.pace() > 2.8 && f.pace() < 3.0, "{}", f.pace());
        // 3,600 printed, about 3 x 1,200 to come.
        assert!((f.total() - 3_600.0 - 3.0 * 1_200.0).abs() < 250.0, "{}", f.total());
        // Right after the start the prior still dominates.
        let mut g = flat(2_400.0, 30);
        g.observe(min(1), 30.0);
        assert!(g.pace() < 1.2, "{}", g.pace());
    }

    #[test]
    fn the_curve_shapes_what_is_expected() {
        // The first half hour expects three times what each other one does.
        let curve = VolumeCurve::new(min(0), min(240), &[3.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
        let f = VolumeForecast::new(&curve, min(0), min(240), 1_000.0, Duration::mins(60));
        assert!((f.expected(min(0), min(30)) - 300.0).abs() < 1e-9);
        assert!((f.expected(min(30), min(60)) - 100.0).abs() < 1e-9);
        // A window inside the session takes its own share as the whole.
        let g = VolumeForecast::new(&curve, min(30), min(90), 500.0, Duration::mins(60));
        assert!((g.expected(min(30), min(60)) - 250.0).abs() < 1e-9);
        assert_eq!(g.expected(min(0), min(30)), 0.0);
        assert_eq!(default_half_life(min(0), min(240)), Duration::mins(120));
        assert_eq!(default_half_life(min(0), min(10)), Duration::mins(10));
    }
}
