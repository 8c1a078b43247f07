//! The model inputs an order's schedule gives, the same for every caller
//! (the engine's estimate of its own orders, `blotter tca`'s of orders done
//! elsewhere): the slices' windows, the quantity expected to fill, the
//! participation, each slice's expected market volume, the signed schedule
//! the propagator runs along and the timing-risk integral. The callers keep
//! what differs between them (where the price, spread, latency, markouts and
//! the intraday variance shape come from) and pass plain data in: the plan
//! as `(start, qty)` and the market's expected volume as a closure, so this
//! module depends on neither the algorithms nor the market.

use super::Estimate;
use crate::model::Timestamp;

/// A slice of a schedule: it trades `qty` evenly from `.0` to `.1`.
pub type Window = (Timestamp, Timestamp, f64);

/// An order's schedule over `[start, end]` as the models read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Start of the order's window.
    pub start: Timestamp,
    /// End of the order's window.
    pub end: Timestamp,
    /// The plan's slices: each trades until the next one starts (the last
    /// until `end`). Empty when the algorithm cannot plan ahead.
    pub windows: Vec<Window>,
    /// The plan's total quantity.
    pub planned: f64,
    /// The quantity the schedule expects to fill: the order's, or what its
    /// plan reaches when that is less (POV at 10% of the volume cannot buy
    /// 20% of ADV in a day). Every figure is per unit of it, as the realised
    /// cost is per filled unit: spreading the planned part's impact over the
    /// whole order halved POV's estimate at 20% of ADV.
    pub qty: f64,
    /// Market volume expected over `[start, end]`.
    pub window_volume: f64,
    /// `qty` over `window_volume` (1 when no volume is expected).
    pub participation: f64,
    /// Each slice's quantity and the market volume expected while it trades.
    pub slices: Vec<(f64, f64)>,
}

impl Schedule {
    /// The schedule of an order of `order_qty` over `[start, end]` that plans
    /// `plan` (slice starts and quantities, in time order), with `expected(a, b)`
    /// the market volume expected between `a` and `b`.
    pub fn new(
        plan: &[(Timestamp, f64)],
        (start, end): (Timestamp, Timestamp),
        order_qty: f64,
        expected: impl Fn(Timestamp, Timestamp) -> f64,
    ) -> Schedule {
        let windows: Vec<Window> = plan
            .iter()
            .enumerate()
            .map(|(k, &(at, q))| (at, plan.get(k + 1).map_or(end, |n| n.0).max(at), q))
            .collect();
        let planned: f64 = windows.iter().map(|w| w.2).sum();
        let qty = if planned > 0.0 { planned.min(order_qty) } else { order_qty };
        let window_volume = expected(start, end);
        let participation = if window_volume > 0.0 { qty / window_volume } else { 1.0 };
        let slices = windows.iter().map(|&(a, b, q)| (q, expected(a, b))).collect();
        Schedule { start, end, windows, planned, qty, window_volume, participation, slices }
    }

    /// The windows the position is taken to trade along: the plan's, or for
    /// an algorithm that cannot plan ahead (iceberg, sniper) all of `qty`
    /// evenly over the order's window.
    pub fn traded(&self) -> Vec<Window> {
        if self.windows.is_empty() { vec![(self.start, self.end, self.qty)] } else { self.windows.clone() }
    }

    /// The share of a day's variance the position still to trade is exposed
    /// to along the schedule: the integral over `[start, end]` of `(remaining
    /// / qty)^2` times the intraday variance multiplier `variance(t)` (a flat
    /// shape passes `|_| 1.0`), over a session of `session_ns`. A slice trades
    /// evenly until the next one starts; before the first all of it remains;
    /// an empty plan trades evenly over the window.
    pub fn timing_variance(&self, variance: impl Fn(Timestamp) -> f64, session_ns: f64) -> f64 {
        exposure(variance, session_ns, self.start, self.end, &self.windows, self.qty)
    }
}

/// `windows` with their quantities signed by the side (`sign` +1 buy, -1
/// sell): the schedule the propagator's cost runs along.
pub fn signed(windows: &[Window], sign: f64) -> Vec<Window> {
    windows.iter().map(|&(a, b, q)| (a, b, sign * q)).collect()
}

/// The standard deviation of the price over one millisecond, price units,
/// from the daily volatility (a fraction) and a session of `session_ns`.
pub fn vol_per_ms(daily_vol: f64, price: f64, session_ns: f64) -> f64 {
    daily_vol * price / (session_ns / 1e6).sqrt()
}

/// Bonds are priced per 100 face: an estimate's currency amounts are
/// price x qty / `quote_per` (its bps do not change).
pub fn per_quote_unit(est: &mut Estimate, quote_per: i64) {
    let per = quote_per.max(1) as f64;
    if per > 1.0 {
        for m in &mut est.models {
            m.cost /= per;
        }
        est.total_cost /= per;
        est.timing_risk /= per;
    }
}

/// Sub-steps per slice of the timing-risk integral (the remaining quantity
/// falls linearly across a slice; the midpoint rule on 8 steps gives 170/512
/// for the 1/3 of one slice over the whole window, 0.4% under, and is far
/// closer for a schedule of many slices).
const TIMING_STEPS: usize = 8;

/// `Schedule::timing_variance` on plain figures.
fn exposure(
    v: impl Fn(Timestamp) -> f64,
    session: f64,
    start: Timestamp,
    end: Timestamp,
    windows: &[Window],
    qty: f64,
) -> f64 {
    if qty <= 0.0 || end <= start || session <= 0.0 {
        return 0.0;
    }
    let even = [(start, end, qty)];
    let windows = if windows.is_empty() { &even[..] } else { windows };
    let mut var = 0.0;
    let mut add = |a: Timestamp, b: Timestamp, r0: f64, r1: f64| {
        let dt = (b.0 - a.0) as f64 / TIMING_STEPS as f64;
        if dt <= 0.0 {
            return;
        }
        for s in 0..TIMING_STEPS {
            let x = (s as f64 + 0.5) / TIMING_STEPS as f64;
            let r = (r0 + (r1 - r0) * x) / qty;
            let t = Timestamp(a.0 + ((s as f64 + 0.5) * dt) as i64);
            var += r * r * v(t) * dt / session;
        }
    };
    let mut remaining = qty;
    if let Some(first) = windows.first() {
        add(start, first.0.max(start), qty, qty);
    }
    for &(a, b, q) in windows {
        add(a, b, remaining, (remaining - q).max(0.0));
        remaining = (remaining - q).max(0.0);
    }
    var
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(x: i64) -> Timestamp {
        Timestamp(x * 1_000_000_000)
    }

    /// Flat variance, a session of 8 s: one slice over all of it leaves
    /// `(1 - x)^2` exposed, integral 1/3; the midpoint rule on 8 steps gives
    /// sum_k ((k + 1/2) / 8)^2 / 8 = 170 / 512. Two slices, the first half of
    /// the session idle then everything in the second half: 1/2 fully exposed
    /// plus 1/2 x 170/512 = 0.666015625. Nothing to trade, nothing exposed.
    #[test]
    fn timing_exposure_by_hand() {
        let s = 8e9;
        let one = exposure(|_| 1.0, s, t(0), t(8), &[(t(0), t(8), 100.0)], 100.0);
        assert!((one - 170.0 / 512.0).abs() < 1e-12, "{one}");
        let late = exposure(|_| 1.0, s, t(0), t(8), &[(t(4), t(8), 100.0)], 100.0);
        assert!((late - (0.5 + 0.5 * 170.0 / 512.0)).abs() < 1e-12, "{late}");
        // Twice the variance in the traded half doubles that half's part.
        let spiky = exposure(|x| if x >= t(4) { 2.0 } else { 1.0 }, s, t(0), t(8), &[(t(4), t(8), 100.0)], 100.0);
        assert!((spiky - (0.5 + 170.0 / 512.0)).abs() < 1e-12, "{spiky}");
        assert_eq!(exposure(|_| 1.0, s, t(0), t(8), &[], 0.0), 0.0);
    }

    /// Slices at 0 s (300), 2 s (500) and 6 s (400) of an 8 s window: they
    /// trade 0-2, 2-6 and 6-8 s. The plan's 1,200 is less than the order's
    /// 2,000, so 1,200 is expected to fill; 10 of volume a second gives 80 in
    /// the window (participation 15) and 20, 40, 20 for the slices. An empty
    /// plan fills the order's quantity, evenly over the window.
    #[test]
    fn windows_fill_participation_and_volumes_by_hand() {
        let per_s = |a: Timestamp, b: Timestamp| (b.0 - a.0) as f64 / 1e9 * 10.0;
        let s = Schedule::new(&[(t(0), 300.0), (t(2), 500.0), (t(6), 400.0)], (t(0), t(8)), 2_000.0, per_s);
        assert_eq!(s.windows, vec![(t(0), t(2), 300.0), (t(2), t(6), 500.0), (t(6), t(8), 400.0)]);
        assert_eq!((s.planned, s.qty, s.window_volume, s.participation), (1_200.0, 1_200.0, 80.0, 15.0));
        assert_eq!(s.slices, vec![(300.0, 20.0), (500.0, 40.0), (400.0, 20.0)]);
        assert_eq!(s.traded(), s.windows);
        assert_eq!(signed(&s.windows, -1.0)[1], (t(2), t(6), -500.0));
        // A plan above the order fills the order; no volume: participation 1.
        let over = Schedule::new(&[(t(0), 3_000.0)], (t(0), t(8)), 2_000.0, |_, _| 0.0);
        assert_eq!((over.qty, over.participation), (2_000.0, 1.0));
        let none = Schedule::new(&[], (t(0), t(8)), 2_000.0, per_s);
        assert_eq!((none.qty, none.slices.len()), (2_000.0, 0));
        assert_eq!(none.traded(), vec![(t(0), t(8), 2_000.0)]);
        let even = exposure(|_| 1.0, 8e9, t(0), t(8), &[(t(0), t(8), 2_000.0)], 2_000.0);
        assert_eq!(none.timing_variance(|_| 1.0, 8e9), even);
    }
}
