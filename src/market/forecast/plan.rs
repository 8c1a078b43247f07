//! An order's forecast as it is made: the settings read from its parameters
//! (half-life, prior weight, look-back) and the prior and look-back worked
//! out on its market. The dynamic VWAP trades on the forecast this makes and
//! the TCA's tracking replays the same one, so the "forecast" column of an
//! order's tracking is what the order traded on.

use super::recent::RecentLevel;
use super::{VolumeForecast, default_half_life, param_f64, prior_volume};
use crate::market::curve::VolumeCurve;
use crate::market::sim::InstrumentMarket;
use crate::market::tape::Tape;
use crate::model::{Duration, Instrument, ParentOrder, Timestamp};
use std::collections::BTreeMap;

/// The default prior weight: one and a half steady-state half-lives of
/// expected volume (a prior set from the hours before the start is better
/// informed than the days-before level alone, and fades more slowly).
pub const DEFAULT_PRIOR_WEIGHT: f64 = 1.5;

/// How an order's forecast is made, from its parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastSettings {
    /// How fast the pace forgets (`half_life`).
    pub half_life: Duration,
    /// The prior counts as this many half-lives of expected volume (`prior_weight`).
    pub prior_weight: f64,
    /// The prior re-scaled at the start by the hours before (`recent`, `recent_weight`, `recent_mean`).
    pub recent: RecentLevel,
}

impl ForecastSettings {
    /// The defaults for a window [start, end).
    pub fn default_for(start: Timestamp, end: Timestamp) -> ForecastSettings {
        ForecastSettings::from_params(&BTreeMap::new(), start, end)
    }

    /// From an order's parameters, the defaults for those absent (or
    /// unreadable: the algorithm refuses an order with those, with the
    /// allowed ranges, before it exists; see `algo::vwap`).
    pub fn from_params(params: &BTreeMap<String, String>, start: Timestamp, end: Timestamp) -> ForecastSettings {
        let half_life = params
            .get("half_life")
            .and_then(|s| Duration::parse(s.trim()))
            .unwrap_or_else(|| default_half_life(start, end));
        let prior_weight = param_f64(params, "prior_weight").unwrap_or(DEFAULT_PRIOR_WEIGHT);
        ForecastSettings { half_life, prior_weight, recent: RecentLevel::from_params(params) }
    }
}

/// An order's forecast before its start: its window, prior and look-back.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastPlan {
    /// The settings it is made with.
    pub settings: ForecastSettings,
    /// Window start.
    pub start: Timestamp,
    /// Window end.
    pub end: Timestamp,
    /// Others' volume expected over the window at the instrument's daily level.
    pub prior: f64,
    /// Others' continuous volume a session at that level (what the look-back compares with).
    pub daily: f64,
    /// Where the look-back begins (`None`: no look-back).
    pub lookback_from: Option<Timestamp>,
}

impl ForecastPlan {
    /// The plan of [start, end) on `inst` and `curve`, the look-back never
    /// before the session's `open` or the time the market `began` printing.
    pub fn new(
        settings: ForecastSettings,
        inst: &Instrument,
        curve: &VolumeCurve,
        (start, end): (Timestamp, Timestamp),
        began: Timestamp,
        open: Timestamp,
    ) -> ForecastPlan {
        ForecastPlan {
            settings,
            start,
            end,
            prior: prior_volume(inst, curve, start, end),
            daily: inst.adv.to_f64() * (1.0 - inst.auction_share),
            lookback_from: settings.recent.from_time(began, open, start),
        }
    }

    /// The plan of [start, end) on market `m`.
    pub fn on_market(
        settings: ForecastSettings,
        m: &InstrumentMarket,
        start: Timestamp,
        end: Timestamp,
    ) -> ForecastPlan {
        ForecastPlan::new(settings, &m.inst, &m.curve, (start, end), m.began, m.session.open)
    }

    /// The plan of an order on its market, its settings from its parameters.
    pub fn for_order(order: &ParentOrder, m: &InstrumentMarket) -> ForecastPlan {
        let settings = ForecastSettings::from_params(&order.params, order.start, order.end);
        ForecastPlan::on_market(settings, m, order.start, order.end)
    }

    /// Whether the level waits for the tape up to the start (a look-back).
    pub fn looks_back(&self) -> bool {
        self.lookback_from.is_some()
    }

    /// The factor on the prior from others' prints before the start on
    /// `tape` (1 without a look-back).
    pub fn level(&self, curve: &VolumeCurve, tape: &Tape) -> f64 {
        match self.lookback_from {
            Some(from) => self.settings.recent.factor_on(tape, curve, self.daily, from, self.start),
            None => 1.0,
        }
    }

    /// The forecast with the prior scaled by `level`.
    pub fn forecast(&self, curve: &VolumeCurve, level: f64) -> VolumeForecast {
        VolumeForecast::new(curve, self.start, self.end, self.prior * level, self.settings.half_life)
            .with_prior_weight(self.settings.prior_weight)
    }

    /// The forecast as the order makes it at its start, from `tape`.
    pub fn forecast_on(&self, curve: &VolumeCurve, tape: &Tape) -> VolumeForecast {
        self.forecast(curve, self.level(curve, tape))
    }
}
