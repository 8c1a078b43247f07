//! The tape (time and sales) and a regularly sampled mid series: what TCA and
//! volume-driven algorithms read after the fact.

use crate::model::{Money, Price, Qty, Side, Timestamp, vwap};
use serde::Serialize;

/// One printed trade.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Print {
    /// When it printed.
    pub ts: Timestamp,
    /// Price.
    pub px: Price,
    /// Quantity.
    pub qty: Qty,
    /// Venue slot within the instrument's venue list.
    pub venue: u16,
    /// Side of the aggressor (Buy = lifted the offer).
    pub aggressor: Side,
    /// True when one side of the trade was our own child order.
    pub ours: bool,
}

/// All prints of one instrument for one session, in time order.
#[derive(Debug, Clone, Default)]
pub struct Tape {
    prints: Vec<Print>,
    enabled: bool,
}

/// Volume and VWAP over a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct WindowStats {
    /// Volume traded.
    pub qty: Qty,
    /// Sum of price times quantity.
    pub notional: Money,
}

impl WindowStats {
    /// Volume-weighted average price.
    pub fn vwap(&self) -> Option<Price> {
        vwap(self.notional, self.qty)
    }
}

impl Tape {
    /// A tape that records prints when `enabled`.
    pub fn new(enabled: bool) -> Tape {
        Tape { prints: Vec::new(), enabled }
    }
    /// Appends a print.
    pub fn push(&mut self, p: Print) {
        if self.enabled {
            self.prints.push(p);
        }
    }
    /// Every print.
    pub fn prints(&self) -> &[Print] {
        &self.prints
    }
    /// Prints with `t0 <= ts < t1`.
    pub fn window(&self, t0: Timestamp, t1: Timestamp) -> &[Print] {
        let a = self.prints.partition_point(|p| p.ts < t0);
        let b = self.prints.partition_point(|p| p.ts < t1);
        &self.prints[a..b.max(a)]
    }
    /// Volume and notional over [t0, t1), with or without our own prints.
    pub fn stats(&self, t0: Timestamp, t1: Timestamp, include_ours: bool) -> WindowStats {
        let mut s = WindowStats::default();
        for p in self.window(t0, t1) {
            if include_ours || !p.ours {
                s.qty += p.qty;
                s.notional += Money::notional(p.px, p.qty);
            }
        }
        s
    }
}

/// Mid prices sampled at a fixed interval from a start time.
#[derive(Debug, Clone, Default)]
pub struct MidSeries {
    start: Timestamp,
    step_ns: i64,
    mids: Vec<f64>,
}

impl MidSeries {
    /// An empty series sampled every `step_ns` from `start`.
    pub fn new(start: Timestamp, step_ns: i64) -> MidSeries {
        MidSeries { start, step_ns: step_ns.max(1), mids: Vec::new() }
    }
    /// Records the mid for the sample at `t` (samples must arrive in order).
    pub fn record(&mut self, t: Timestamp, mid: f64) {
        let idx = ((t.0 - self.start.0) / self.step_ns).max(0) as usize;
        if idx >= self.mids.len() {
            let fill = self.mids.last().copied().unwrap_or(mid);
            self.mids.resize(idx, fill);
            self.mids.push(mid);
        } else {
            self.mids[idx] = mid;
        }
    }
    /// The last sampled mid at or before `t`.
    pub fn at(&self, t: Timestamp) -> Option<f64> {
        if t < self.start || self.mids.is_empty() {
            return None;
        }
        let idx = (((t.0 - self.start.0) / self.step_ns) as usize).min(self.mids.len() - 1);
        Some(self.mids[idx])
    }
    /// Time of the last sample.
    pub fn last_time(&self) -> Option<Timestamp> {
        (!self.mids.is_empty()).then(|| Timestamp(self.start.0 + (self.mids.len() as i64 - 1) * self.step_ns))
    }
    /// Sampling interval.
    pub fn step_ns(&self) -> i64 {
        self.step_ns
    }
    /// (time, mid) samples.
    pub fn samples(&self) -> impl Iterator<Item = (Timestamp, f64)> + '_ {
        self.mids.iter().enumerate().map(|(i, m)| (Timestamp(self.start.0 + i as i64 * self.step_ns), *m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(ts: i64, px: &str, q: i64, ours: bool) -> Print {
        Print {
            ts: Timestamp(ts),
            px: px.parse().unwrap(),
            qty: Qty::from_int(q),
            venue: 0,
            aggressor: Side::Buy,
            ours,
        }
    }

    #[test]
    fn window_vwap_with_and_without_ours() {
        let mut t = Tape::new(true);
        t.push(p(1, "10", 100, false));
        t.push(p(2, "11", 100, true));
        t.push(p(3, "12", 200, false));
        assert_eq!(t.stats(Timestamp(0), Timestamp(10), true).vwap().unwrap().to_string(), "11.25");
        assert_eq!(t.stats(Timestamp(0), Timestamp(10), false).vwap().unwrap().to_string(), "11.333333333");
        assert_eq!(t.window(Timestamp(2), Timestamp(3)).len(), 1);
        assert!(t.stats(Timestamp(5), Timestamp(6), true).vwap().is_none());
    }

    #[test]
    fn mid_series_holds_last_value() {
        let mut m = MidSeries::new(Timestamp(100), 10);
        m.record(Timestamp(100), 1.0);
        m.record(Timestamp(130), 2.0);
        assert_eq!(m.at(Timestamp(99)), None);
        assert_eq!(m.at(Timestamp(115)), Some(1.0));
        assert_eq!(m.at(Timestamp(135)), Some(2.0));
        assert_eq!(m.at(Timestamp(1000)), Some(2.0));
        assert_eq!(m.last_time(), Some(Timestamp(130)));
    }
}
