//! Our own orders' market impact: the square-root law applied to a decaying
//! net quantity, one model for the synthetic and the replayed market and for
//! the pre-trade estimate.
//!
//! Every one of our fills (signed `q`, buy positive) adds `q` to a permanent
//! net quantity `J_P` and `k * q` to a transient one `J_T` that decays
//! exponentially with half-life `h`. The mid is shifted by
//!
//! `I = Y * sigma * P * sgn(J) * sqrt(|J| / V)`, with `J = J_P + J_T`,
//!
//! where `sigma` is the daily volatility, `P` the price level, `V` the
//! average daily volume and `Y` the instrument's square-root-law coefficient.
//!
//! What follows from it (worked through in docs/market-model.md):
//! - A metaorder of `Q` traded slowly against `h` (a day-long TWAP) ends with
//!   `I ~= Y sigma P sqrt(Q / V)`: the square-root law of Toth et al. (2011)
//!   with `Y` of order one; its average cost over a constant-rate execution is
//!   two thirds of that (the integral of a square root).
//! - Traded faster than `h` it peaks at `sqrt(1 + k)` times that level and
//!   relaxes back to it with half-life `h`: with the default `k = 1.25` the
//!   impact that stays is two thirds of the peak, the "fair pricing" ratio
//!   (Farmer et al. 2013; Bershova and Rakhlin 2013).
//! - The permanent part's cost `Y sigma P (2/3) Q sqrt(Q / V)` does not depend
//!   on the schedule; only the transient part does, so trading faster (a
//!   front-loaded IS) pays more than trading evenly.
//! - Every time constant is in seconds and every quantity relative to ADV:
//!   nothing scales with the length of the session.
//!
//! The state is four numbers; `shift` is pure, `trade` the only mutation.

use crate::model::Timestamp;
use serde::{Deserialize, Serialize};

/// Coefficients of one instrument's impact.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ImpactCoeffs {
    /// `Y`, the square-root law's coefficient (impact at the end of a slow
    /// metaorder, in daily sigmas per square root of the fraction of ADV).
    pub y: f64,
    /// `k`: each fill adds `k` times its quantity to the transient net quantity.
    pub transient: f64,
    /// Half-life of the transient part, seconds.
    pub half_life_s: f64,
}

/// Transient weight: a fast metaorder's impact peaks at `sqrt(1 + k) = 1.5`
/// times what stays, so what stays is two thirds of the peak.
pub const DEFAULT_TRANSIENT: f64 = 1.25;

impl ImpactCoeffs {
    /// Checks the coefficients; the error is the field at fault (as named in
    /// the universe TOML) and what is allowed.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(self.y.is_finite() && (0.0..=10.0).contains(&self.y)) {
            return Err(("impact_y", format!("is {}; must be in 0..=10", self.y)));
        }
        if !(self.transient.is_finite() && (0.0..=100.0).contains(&self.transient)) {
            return Err(("impact_transient", format!("is {}; must be in 0..=100", self.transient)));
        }
        if !(self.half_life_s.is_finite() && self.half_life_s > 0.0 && self.half_life_s <= 604_800.0) {
            return Err((
                "impact_half_life_s",
                format!("is {}; must be > 0 and at most a week (604800)", self.half_life_s),
            ));
        }
        Ok(())
    }
}

/// What impact is measured against: the price level, the daily volatility
/// (fraction) and the average daily volume. Synthetic markets take them from
/// the instrument; a replay from its recording.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ImpactScale {
    /// Price level `P`.
    pub price: f64,
    /// Daily volatility `sigma` as a fraction.
    pub daily_vol: f64,
    /// Average daily volume `V`.
    pub daily_volume: f64,
}

/// The running impact of our own trading in one instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct Impact {
    coeffs: ImpactCoeffs,
    scale: ImpactScale,
    /// `Y sigma P / sqrt(V)`: the shift is this times `sgn(J) sqrt(|J|)`.
    unit: f64,
    transient: f64,
    /// Decay rate of the transient part per nanosecond (ln 2 / half-life).
    decay_per_ns: f64,
    /// Permanent net quantity.
    perm: f64,
    /// Transient net quantity as of `at`.
    trans: f64,
    at: Timestamp,
}

impl Impact {
    /// No impact yet, starting at `start`.
    pub fn new(c: ImpactCoeffs, s: ImpactScale, start: Timestamp) -> Impact {
        let unit = if s.daily_volume > 0.0 { c.y * s.daily_vol * s.price / s.daily_volume.sqrt() } else { 0.0 };
        Impact {
            coeffs: c,
            scale: s,
            unit: if unit.is_finite() { unit } else { 0.0 },
            transient: c.transient,
            decay_per_ns: std::f64::consts::LN_2 / (c.half_life_s * 1e9),
            perm: 0.0,
            trans: 0.0,
            at: start,
        }
    }

    fn trans_at(&self, now: Timestamp) -> f64 {
        if self.trans == 0.0 || now <= self.at {
            return self.trans;
        }
        self.trans * (-((now.0 - self.at.0) as f64) * self.decay_per_ns).exp()
    }

    fn price_of(&self, j: f64) -> f64 {
        self.unit * j.signum() * j.abs().sqrt()
    }

    /// Our fill of `signed_qty` (buys positive) at `now`.
    pub fn trade(&mut self, signed_qty: f64, now: Timestamp) {
        self.trade_scaled(signed_qty, now, 1.0);
    }

    /// The same with the transient part scaled by `transient_scale` (a
    /// replay: the ADV's pace over the volume the recording printed lately).
    pub fn trade_scaled(&mut self, signed_qty: f64, now: Timestamp, transient_scale: f64) {
        self.trans = self.trans_at(now) + self.transient * transient_scale * signed_qty;
        self.at = self.at.max(now);
        self.perm += signed_qty;
    }

    /// The shift of the mid at `now`, in price units (positive = up).
    pub fn shift(&self, now: Timestamp) -> f64 {
        if self.perm == 0.0 && self.trans == 0.0 {
            return 0.0;
        }
        self.price_of(self.perm + self.trans_at(now))
    }

    /// Bounds on the shift at every time from `now` through `until` if
    /// nothing more is traded, as [`Impact::shift`] computes it. The net
    /// quantity `J(t)` moves monotonically (the transient part decays toward
    /// the permanent), and the shift is monotone in it, so the shifts lie
    /// between those at the two ends; each end is widened by far more than
    /// the rounding error of computing `J` (a few ulps of its terms; 1e-9 of
    /// them here), so the bounds hold for the computed shifts too, not only
    /// for the exact ones.
    /// Returns the shift at `now` (the same as [`Impact::shift`]) and the bounds.
    pub fn shift_bounds(&self, now: Timestamp, until: Timestamp) -> (f64, (f64, f64)) {
        if self.perm == 0.0 && self.trans == 0.0 {
            return (0.0, (0.0, 0.0));
        }
        let (a, b) = (self.perm + self.trans_at(now), self.perm + self.trans_at(until));
        let margin = 1e-9 * (self.perm.abs() + self.trans.abs());
        (self.price_of(a), (self.price_of(a.min(b) - margin), self.price_of(a.max(b) + margin)))
    }

    /// The shift that stays once the transient part has decayed.
    pub fn permanent_shift(&self) -> f64 {
        self.price_of(self.perm)
    }

    /// Our net quantity traded so far (buys minus sells).
    pub fn net_qty(&self) -> f64 {
        self.perm
    }

    /// The coefficients.
    pub fn coeffs(&self) -> ImpactCoeffs {
        self.coeffs
    }

    /// What impact is measured against.
    pub fn scale(&self) -> ImpactScale {
        self.scale
    }
}

/// The expected impact cost, in currency (positive = cost), of trading a
/// schedule through this model from a clean state: `slices` are
/// `(start, end, signed qty)` in time order, each traded at a constant rate
/// over its interval. Each slice is integrated in `steps` pieces, each paying
/// the shift at its midpoint quantity, which is what the simulator charges
/// fills that follow the schedule.
pub fn schedule_cost(c: ImpactCoeffs, s: ImpactScale, slices: &[(Timestamp, Timestamp, f64)], steps: usize) -> f64 {
    let Some(first) = slices.first() else { return 0.0 };
    let steps = steps.max(1);
    let mut m = Impact::new(c, s, first.0);
    let mut cost = 0.0;
    for &(t0, t1, q) in slices {
        let piece = q / steps as f64;
        let dt = (t1.0 - t0.0).max(0) as f64 / steps as f64;
        for k in 0..steps {
            let t = Timestamp(t0.0 + ((k as f64 + 0.5) * dt) as i64);
            // The piece trades from the shift before it to the shift after it.
            let before = m.shift(t);
            m.trade(piece, t);
            let after = m.shift(t);
            cost += piece * (before + after) / 2.0;
        }
    }
    cost
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    fn coeffs() -> ImpactCoeffs {
        ImpactCoeffs { y: 0.5, transient: 1.25, half_life_s: 600.0 }
    }

    fn scale() -> ImpactScale {
        ImpactScale { price: 100.0, daily_vol: 0.02, daily_volume: 1_000_000.0 }
    }

    /// The bounds over a stretch hold every shift computed inside it, the
    /// shift at its start is `shift`'s, and they are tight. Bought 40,000,
    /// then sold 39,700 30 s later: J = 300 permanent, and the transient
    /// 40,000 x 1.25 x 2^(-30/600) - 39,700 x 1.25 = -1,328.2, so the net
    /// quantity starts at -1,028 and crosses zero about 21 minutes later.
    #[test]
    fn shift_bounds_hold_every_shift_inside() {
        let mut m = Impact::new(coeffs(), scale(), Timestamp(0));
        assert_eq!(m.shift_bounds(Timestamp(0), Timestamp(S)), (0.0, (0.0, 0.0)));
        m.trade(40_000.0, Timestamp(0));
        m.trade(-39_700.0, Timestamp(30 * S));
        assert!(m.shift(Timestamp(30 * S)) < 0.0 && m.shift(Timestamp(3_600 * S)) > 0.0);
        for (from, len) in [(30 * S, S), (31 * S, 900 * S), (40 * S, 7 * S / 1_000), (100 * S, 86_400 * S)] {
            let (a, b) = (m.shift(Timestamp(from)), m.shift(Timestamp(from + len)));
            let (at_start, (lo, hi)) = m.shift_bounds(Timestamp(from), Timestamp(from + len));
            assert_eq!(at_start.to_bits(), a.to_bits());
            for k in 0..=1_000 {
                let x = m.shift(Timestamp(from + len / 1_000 * k));
                assert!(lo <= x && x <= hi, "{lo} {x} {hi}");
            }
            // The margin is 1e-9 of the quantities (1,628 here): at most
            // 0.001 x sqrt(1.7e-6) = 1.3e-6 on the shift, where J is near zero.
            assert!(a.min(b) - lo < 1e-5 && hi - a.max(b) < 1e-5, "{lo} {hi} {a} {b}");
        }
    }

    /// Buying 40,000 of an ADV of 1,000,000 at once: J = 40,000 x 2.25 = 90,000;
    /// 0.5 x 0.02 x 100 x sqrt(0.09) = 0.30. The permanent part alone is
    /// 0.5 x 0.02 x 100 x sqrt(0.04) = 0.20, two thirds of the peak.
    #[test]
    fn a_block_peaks_then_decays_to_two_thirds() {
        let mut m = Impact::new(coeffs(), scale(), Timestamp(0));
        assert_eq!(m.shift(Timestamp(0)), 0.0);
        m.trade(40_000.0, Timestamp(0));
        assert!((m.shift(Timestamp(0)) - 0.30).abs() < 1e-12);
        assert!((m.permanent_shift() - 0.20).abs() < 1e-12);
        // One half-life later J = 40,000 + 50,000 / 2 = 65,000: 0.1 x sqrt(6.5) = 0.254951.
        assert!((m.shift(Timestamp(600 * S)) - 0.1 * 6.5f64.sqrt()).abs() < 1e-12);
        // A day later only the permanent part is left.
        assert!((m.shift(Timestamp(86_400 * S)) - 0.20).abs() < 1e-9);
        assert_eq!(m.net_qty(), 40_000.0);
    }

    /// Selling undoes buying: impact is of our net quantity, signed.
    #[test]
    fn sells_push_down_and_undo_buys() {
        let mut m = Impact::new(coeffs(), scale(), Timestamp(0));
        m.trade(-10_000.0, Timestamp(0));
        // J = -22,500: -0.1 x sqrt(2.25) = -0.15.
        assert!((m.shift(Timestamp(0)) + 0.15).abs() < 1e-12);
        m.trade(10_000.0, Timestamp(0));
        assert!(m.shift(Timestamp(0)).abs() < 1e-12);
        assert_eq!(m.permanent_shift(), 0.0);
    }

    /// Nothing in the model depends on when the session closes: the same
    /// trades give the same shift a given time after them.
    #[test]
    fn independent_of_session_length() {
        let mut a = Impact::new(coeffs(), scale(), Timestamp(0));
        let mut b = Impact::new(coeffs(), scale(), Timestamp(1_000 * S));
        a.trade(5_000.0, Timestamp(10 * S));
        b.trade(5_000.0, Timestamp(1_010 * S));
        assert_eq!(a.shift(Timestamp(100 * S)), b.shift(Timestamp(1_100 * S)));
    }

    /// Square-root law: the permanent cost of a schedule is
    /// Y sigma P (2/3) Q sqrt(Q / V) whatever the schedule; with no transient
    /// part a day-long TWAP of 40,000 costs 0.5 x 0.02 x 100 x (2/3) x 40,000 x
    /// 0.2 = 5,333.33 (the midpoint rule converges to it from below).
    #[test]
    fn permanent_cost_is_two_thirds_of_the_final_impact() {
        let c = ImpactCoeffs { transient: 0.0, ..coeffs() };
        let day = 23_400 * S;
        let slices: Vec<_> =
            (0..78).map(|k| (Timestamp(k * day / 78), Timestamp((k + 1) * day / 78), 40_000.0 / 78.0)).collect();
        let cost = schedule_cost(c, scale(), &slices, 20);
        assert!((cost - 5_333.333).abs() < 5.0, "{cost}");
        // Quadrupling the size doubles the cost per share: exponent 1/2.
        let big: Vec<_> = slices.iter().map(|&(a, b, q)| (a, b, 4.0 * q)).collect();
        let ratio = schedule_cost(c, scale(), &big, 20) / (4.0 * cost);
        assert!((ratio - 2.0).abs() < 1e-3, "{ratio}");
    }

    /// Trading the same quantity faster pays more: the transient part has
    /// less time to decay. Front-loading beats neither.
    #[test]
    fn faster_costs_more() {
        let twap = |hours: i64| {
            let t = hours * 3_600 * S;
            let s: Vec<_> = (0..60).map(|k| (Timestamp(k * t / 60), Timestamp((k + 1) * t / 60), 500.0)).collect();
            schedule_cost(coeffs(), scale(), &s, 10)
        };
        let (fast, slow) = (twap(1), twap(6));
        assert!(fast > slow * 1.1, "{fast} {slow}");
        // Both lie between the slow limit (permanent only) and an instant block (peak times 2/3).
        let q = 30_000.0;
        let lower = 0.5 * 0.02 * 100.0 * (2.0 / 3.0) * q * (q / 1e6f64).sqrt();
        assert!(slow > lower && fast < lower * 1.5, "{lower} {slow} {fast}");
    }

    #[test]
    fn bad_coefficients_are_named() {
        let bad = ImpactCoeffs { y: -1.0, ..coeffs() };
        assert_eq!(bad.validate().unwrap_err().0, "impact_y");
        let bad = ImpactCoeffs { half_life_s: 0.0, ..coeffs() };
        assert_eq!(bad.validate().unwrap_err().0, "impact_half_life_s");
        assert!(coeffs().validate().is_ok());
        // A zero volume gives no impact rather than infinity.
        let m = Impact::new(coeffs(), ImpactScale { daily_volume: 0.0, ..scale() }, Timestamp(0));
        assert_eq!(m.shift(Timestamp(0)), 0.0);
    }
}
