//! The running form of a VWAP order's tracking (see `tca::tracking`): the
//! market's share per bucket of the window, the order's, and the dynamic
//! forecast as it stood when each bucket began, folded print by print and
//! fill by fill so nothing of the tape need be kept. The figures are those of
//! a pass over the whole tape afterwards, operation for operation.

use super::curve::VolumeCurve;
use super::forecast::{ForecastPlan, VolumeForecast};
use super::tape::{Print, Tape};
use crate::model::{Qty, Timestamp};
use serde::{Deserialize, Serialize};

/// A window's buckets: the curve's, cut at the window's ends.
pub fn buckets(curve: &VolumeCurve, start: Timestamp, end: Timestamp) -> Vec<(Timestamp, Timestamp)> {
    curve.stretches(start, end)
}

/// One bucket's shares: planned by the curve, forecast when it began,
/// printed by the market (others), executed by the order. The TCA reports
/// it as it is (`tca::BucketTracking`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BucketShares {
    /// Bucket start.
    pub start: Timestamp,
    /// Bucket end.
    pub end: Timestamp,
    /// Share of the order the curve planned here.
    pub planned: f64,
    /// Share of the window's volume the forecast expected here when the bucket began.
    pub forecast: f64,
    /// Share of the window's (others') volume printed here.
    pub market: f64,
    /// Share of the filled quantity executed here.
    pub executed: f64,
}

/// The tracking of one window, fed prints and fills as they happen.
#[derive(Debug, Clone)]
pub struct TrackingState {
    start: Timestamp,
    end: Timestamp,
    buckets: Vec<(Timestamp, Timestamp)>,
    planned: Vec<f64>,
    forecast: VolumeForecast,
    /// The order's plan and curve while its forecast waits for the prints
    /// before its start (a look-back): the level is taken from the tape
    /// when the first print at or after the start comes, as the order takes
    /// it when it starts.
    pending: Option<Box<(ForecastPlan, VolumeCurve)>>,
    /// Buckets whose forecast share is taken (they have begun).
    begun: usize,
    forecast_share: Vec<f64>,
    market: Vec<f64>,
    others: f64,
    executed: Vec<f64>,
    filled: f64,
}

fn share(x: f64, of: f64) -> f64 {
    if of > 0.0 { x / of } else { 0.0 }
}

impl TrackingState {
    /// The tracking of an order's window on `curve`, its forecast made as
    /// the order makes it (`plan`).
    pub fn new(curve: &VolumeCurve, plan: &ForecastPlan) -> Self {
        let (start, end) = (plan.start, plan.end);
        let buckets = buckets(curve, start, end);
        let window_share = curve.share_between(start, end);
        let planned = buckets.iter().map(|&(a, b)| share(curve.share_between(a, b), window_share)).collect();
        let n = buckets.len();
        TrackingState {
            start,
            end,
            buckets,
            planned,
            forecast: plan.forecast(curve, 1.0),
            pending: plan.looks_back().then(|| Box::new((plan.clone(), curve.clone()))),
            begun: 0,
            forecast_share: vec![0.0; n],
            market: vec![0.0; n],
            others: 0.0,
            executed: vec![0.0; n],
            filled: 0.0,
        }
    }

    /// Start of the window.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// End of the window.
    pub fn end(&self) -> Timestamp {
        self.end
    }

    /// The forecast at its level, when it still waits for it and a print
    /// at `ts` (at or after the start) must bring it first: the level from
    /// the prints before the start on `tape`.
    #[inline]
    pub fn level_due(&self, ts: Timestamp, tape: &Tape) -> Option<VolumeForecast> {
        match &self.pending {
            Some(pending) if ts >= self.start => Some(pending.0.forecast_on(&pending.1, tape)),
            _ => None,
        }
    }

    /// Takes the forecast at its level ([`TrackingState::level_due`]).
    pub fn set_level(&mut self, forecast: VolumeForecast) {
        self.forecast = forecast;
        self.pending = None;
    }

    /// Takes the forecast share of bucket `k` as it begins.
    fn begin(forecast: &mut VolumeForecast, (b0, b1): (Timestamp, Timestamp)) -> f64 {
        forecast.advance(b0);
        share(forecast.forecast(b0, b1), forecast.total())
    }

    /// A print on the instrument (ours and prints outside the window are not the market's).
    pub fn on_print(&mut self, p: &Print) {
        if p.ours || p.ts < self.start || p.ts >= self.end {
            return;
        }
        while self.begun < self.buckets.len() && self.buckets[self.begun].0 <= p.ts {
            self.forecast_share[self.begun] = Self::begin(&mut self.forecast, self.buckets[self.begun]);
            self.begun += 1;
        }
        let q = p.qty.to_f64();
        // Once the last bucket has begun nothing reads the forecast again.
        if self.begun < self.buckets.len() {
            self.forecast.observe(p.ts, q);
        }
        // `begun >= 1`: the first bucket starts at the window's start.
        if let Some(m) = self.market.get_mut(self.begun.wrapping_sub(1)) {
            *m += q;
        }
        self.others += q;
    }

    /// One of the order's fills.
    pub fn on_fill(&mut self, ts: Timestamp, qty: Qty) {
        let q = qty.to_f64();
        self.filled += q;
        if ts >= self.start && ts < self.end {
            let k = self.buckets.partition_point(|b| b.1 <= ts);
            if let Some(e) = self.executed.get_mut(k) {
                *e += q;
            }
        }
    }

    /// The shares of every bucket now (buckets not begun yet: the forecast as it stands).
    pub fn shares(&self) -> Vec<BucketShares> {
        let mut forecast = self.forecast.clone();
        let mut forecast_share = self.forecast_share.clone();
        for (share, &b) in forecast_share.iter_mut().zip(&self.buckets).skip(self.begun) {
            *share = Self::begin(&mut forecast, b);
        }
        self.buckets
            .iter()
            .enumerate()
            .map(|(k, &(start, end))| BucketShares {
                start,
                end,
                planned: self.planned[k],
                forecast: forecast_share[k],
                market: share(self.market[k], self.others),
                executed: share(self.executed[k], self.filled),
            })
            .collect()
    }
}
