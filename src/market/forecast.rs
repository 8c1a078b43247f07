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

mod plan;
mod recent;

pub use plan::{DEFAULT_PRIOR_WEIGHT, ForecastPlan, ForecastSettings};
pub use recent::{DEFAULT_LOOKBACK, DEFAULT_WEIGHT as DEFAULT_RECENT_WEIGHT, MAX_LOOKBACK, RecentLevel};

use super::curve::VolumeCurve;
use crate::model::{Duration, Timestamp};

/// The default half-life: the window's length, between 10 minutes and 4
/// hours. With the level set from the hours before the start (the default
/// look-back) the pace need forget less quickly than with the days-before
/// level alone (half the window before; BENCHMARKS.md).
pub fn default_half_life(start: Timestamp, end: Timestamp) -> Duration {
    Duration((end - start).0.clamp(Duration::mins(10).0, Duration::mins(240).0))
}

/// A number parameter of an order, `None` when absent or unreadable.
fn param_f64(params: &std::collections::BTreeMap<String, String>, name: &str) -> Option<f64> {
    params.get(name).and_then(|s| s.trim().parse::<f64>().ok()).filter(|v| v.is_finite())
}

/// Others' continuous volume `inst` is expected to trade over [start, end)
/// (the forecast's prior): its ADV without the auction, shaped by the curve.
pub fn prior_volume(inst: &crate::model::Instrument, curve: &VolumeCurve, start: Timestamp, end: Timestamp) -> f64 {
    inst.adv.to_f64() * (1.0 - inst.auction_share) * curve.share_between(start, end)
}

/// One stretch of a forecast's window over which volume is expected at a
/// constant rate: a bucket of the curve cut at the window's ends, or the part
/// of the window before the open or after the close.
#[derive(Debug, Clone, Copy)]
struct Segment {
    /// Where it ends (the next one starts there).
    to: Timestamp,
    /// Expected volume per nanosecond (prior level).
    rate: f64,
    /// `rate / k` (`k = ln 2 / H`): the level the decayed expected volume
    /// tends to inside the segment.
    level: f64,
    /// Expected volume from `to` to the window's end.
    after: f64,
}

/// The forecast of one window's volume, updated with each print.
///
/// The expected volume is piecewise linear in time (constant rate inside a
/// bucket of the curve), so each bucket's rate is worked out once when the
/// forecast is made, and a print's update costs a decay factor and two
/// multiply-adds (no division, no curve look-up): the dynamic VWAP and the
/// TCA's tracking update it on every print.
#[derive(Debug, Clone)]
pub struct VolumeForecast {
    start: Timestamp,
    end: Timestamp,
    half_life_ns: f64,
    /// The window's stretches of constant expected rate, in time order; the
    /// first starts at `start`, the last ends at `end`.
    segments: Vec<Segment>,
    /// The segment holding `t` (or the last one once `t` is `end`).
    seg: usize,
    /// Last update.
    t: Timestamp,
    realised: f64,
    /// Decayed realised volume (prior included).
    num: f64,
    /// Decayed expected volume (prior included).
    den: f64,
    /// Decay factors worked out before, by gap (ns): a tape's gaps between
    /// prints repeat, and the factor is the same `exp` of the same gap,
    /// without calling it again. Gaps of a whole number of milliseconds
    /// (exchanges print in milliseconds) under [`MS_DECAYS`] by that number
    /// (negative: not worked out yet), others in a small hashed table.
    ms_decays: Vec<f64>,
    decays: [(i64, f64); DECAYS],
}

/// Entries of [`VolumeForecast::decays`].
const DECAYS: usize = 32;
/// Entries of [`VolumeForecast::ms_decays`]: gaps up to about a second.
const MS_DECAYS: usize = 1_024;

/// The stretches of [start, end) with a constant expected rate on `curve`
/// (its buckets cut at the window's ends, and the parts before the open and
/// after the close), each with the volume expected in it: `prior` shaped by
/// the curve, or spread evenly in time where the curve expects nothing of
/// the window.
fn segments(curve: &VolumeCurve, start: Timestamp, end: Timestamp, prior: f64) -> Vec<Segment> {
    let window_share = curve.share_between(start, end);
    let len = (end - start).0.max(1) as f64;
    let stretches = curve.stretches(start, end);
    let expected: Vec<f64> = stretches
        .iter()
        .map(|&(a, b)| {
            if window_share > 0.0 {
                prior * curve.share_between(a, b) / window_share
            } else {
                prior * (b - a).0 as f64 / len
            }
        })
        .collect();
    let mut after = 0.0;
    let mut out = vec![Segment { to: end, rate: 0.0, level: 0.0, after: 0.0 }; stretches.len()];
    for (k, (&(a, b), &e)) in stretches.iter().zip(&expected).enumerate().rev() {
        let rate = e / (b - a).0.max(1) as f64;
        out[k] = Segment { to: b, rate, level: 0.0, after };
        after += e;
    }
    out
}

impl VolumeForecast {
    /// A forecast of [start, end) shaped by `curve`, expecting `prior` in all.
    pub fn new(curve: &VolumeCurve, start: Timestamp, end: Timestamp, prior: f64, half_life: Duration) -> Self {
        let prior = prior.max(0.0);
        let len = (end - start).0.max(1) as f64;
        let half_life_ns = half_life.0.max(1) as f64;
        let k = std::f64::consts::LN_2 / half_life_ns;
        let w = prior / len * half_life_ns / std::f64::consts::LN_2;
        let mut segments = segments(curve, start, end, prior);
        for s in &mut segments {
            s.level = s.rate / k;
        }
        VolumeForecast {
            start,
            end,
            half_life_ns,
            segments,
            seg: 0,
            t: start,
            realised: 0.0,
            num: w,
            den: w,
            ms_decays: vec![-1.0; MS_DECAYS],
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
        if dt % 1_000_000 == 0
            && let Some(slot) = usize::try_from(dt / 1_000_000).ok().and_then(|ms| self.ms_decays.get_mut(ms))
        {
            if *slot < 0.0 {
                let k = std::f64::consts::LN_2 / self.half_life_ns;
                *slot = (-(dt as f64) * k).exp();
            }
            return *slot;
        }
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

    /// The segment holding `t` (`start <= t < end`; the last one at or after
    /// `end`), searched forward from `from` (time mostly moves forward).
    fn segment_from(&self, from: usize, t: Timestamp) -> usize {
        let n = self.segments.len();
        if n == 0 {
            return 0;
        }
        let mut j = from.min(n - 1);
        if j > 0 && self.segments[j - 1].to > t {
            // Before the segment asked from: search the whole window.
            return self.segments.partition_point(|s| s.to <= t).min(n - 1);
        }
        while j + 1 < n && self.segments[j].to <= t {
            j += 1;
        }
        j
    }

    /// Expected volume from `t` (inside the window) to its end, at the prior level.
    fn remaining_in(&self, j: usize, t: Timestamp) -> f64 {
        match self.segments.get(j) {
            Some(s) if t < s.to => s.after + s.rate * (s.to - t).0 as f64,
            Some(s) => s.after,
            None => 0.0,
        }
    }

    /// Expected volume over [t0, t1) at the prior level (the curve's shape;
    /// even in time where the curve expects nothing of the window).
    pub fn expected(&self, t0: Timestamp, t1: Timestamp) -> f64 {
        let (t0, t1) = (t0.max(self.start), t1.min(self.end));
        if t1 <= t0 {
            return 0.0;
        }
        let j0 = self.segment_from(if t0 >= self.t { self.seg } else { 0 }, t0);
        let j1 = self.segment_from(j0, t1);
        (self.remaining_in(j0, t0) - self.remaining_in(j1, t1)).max(0.0)
    }

    /// Brings the decayed sums to `now` (no earlier than the last update).
    pub fn advance(&mut self, now: Timestamp) {
        let now = now.min(self.end);
        if now <= self.t {
            return;
        }
        // Expected volume arrives at a constant rate within each segment:
        // over a gap `g` of it the decayed sum becomes
        // `den e^(-kg) + rate (1 - e^(-kg)) / k`.
        let mut s = self.t;
        while s < now {
            let j = self.segment_from(self.seg, s);
            self.seg = j;
            let seg = self.segments[j];
            let e = seg.to.clamp(Timestamp(s.0 + 1), now);
            let d = self.decay((e - s).0);
            self.den = self.den * d + seg.level * (1.0 - d);
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
        self.realised + self.pace() * self.remaining_in(self.seg, self.t.max(self.start))
    }

    /// Whether the share printed so far, `realised / total` as
    /// [`VolumeForecast::total`] computes it, is surely below `x`: the same
    /// comparison multiplied out (`total = realised + num R / den`, every
    /// term positive) and with a relative margin of 1e-9, far wider than the
    /// rounding of a few operations either way, so `true` is never wrong
    /// (near `x` it answers `false` and the share is worked out).
    pub fn share_surely_below(&self, x: f64) -> bool {
        if !(self.den > 0.0 && x > 0.0) {
            return false;
        }
        let rest = self.remaining_in(self.seg, self.t.max(self.start));
        let done = self.realised * self.den;
        done * (1.0 + 1e-9) < x * (done + self.num * rest)
    }

    /// [`VolumeForecast::total`] and [`VolumeForecast::forecast`] over
    /// [t0, t1) together, as a tracker asks for them on every print.
    pub fn total_and_forecast(&mut self, t0: Timestamp, t1: Timestamp) -> (f64, f64) {
        (self.total(), self.forecast(t0, t1))
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

    /// The check without division agrees with the share worked out, away
    /// from the margin: 600 printed of a total forecast near 2,400 (a
    /// quarter), checked against bounds a little either side of it.
    #[test]
    fn the_share_check_agrees_with_the_share() {
        let mut f = flat(2_400.0, 60);
        // Nothing printed yet: a share of zero.
        assert!(f.share_surely_below(1e-9));
        for m in 0..60 {
            f.observe(min(m), 10.0);
        }
        let share = f.realised() / f.total();
        assert!((share - 0.25).abs() < 0.01, "{share}");
        assert!(f.share_surely_below(share * (1.0 + 1e-6)));
        assert!(!f.share_surely_below(share));
        assert!(!f.share_surely_below(share * (1.0 - 1e-6)));
        assert!(!f.share_surely_below(0.0));
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
        assert_eq!(default_half_life(min(0), min(240)), Duration::mins(240));
        assert_eq!(default_half_life(min(0), min(390)), Duration::mins(240));
        assert_eq!(default_half_life(min(0), min(30)), Duration::mins(30));
        assert_eq!(default_half_life(min(0), min(10)), Duration::mins(10));
    }
}
