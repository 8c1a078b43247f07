//! VWAP: trade in step with the market's volume over [start, end].
//!
//! The schedule starts from the instrument's `VolumeCurve` (a profile
//! learned by `blotter profile`, the instrument's own `volume_curve`, or its
//! asset class's default): slice k of the plan gets the curve's share of
//! [t_k, t_k+1) out of the window's share.
//!
//! **Dynamic** (the default, `forecast=dynamic`): the order watches every
//! print and re-forecasts the window's volume (`market::forecast`: the
//! curve's shape, re-scaled by the pace at which volume has been printing
//! against it). What is due is the forecast fraction of the window's volume
//! printed so far, `qty x realised / (realised + forecast remaining)`, and
//! the [`Tracker`] keeps the fills on it as the prints come: a child rests
//! at the touch for what will be due a step (`step`, default one minute)
//! ahead, so prints that trade through it fill it in step with the volume;
//! the order may trail what is due by one step's quantity between steps, a
//! lag past that (a burst that outruns it) is crossed at once, and a child
//! the touch moved through is re-pegged at once, what is behind crossed
//! first (the tracker's rules: `algo::tracker`). On a
//! day busier than the profile expects the order speeds up with the volume,
//! on a quiet day it slows down, and where the volume comes in a burst it
//! trades in the burst.
//!
//! **Static** (`forecast=static`): the plan's slices as they are, worked by
//! the shared [`Slicer`]: each slice posted passively while time allows,
//! whatever is behind at the next slice crossed, a lead re-spread over the
//! rest of the curve.
//!
//! Participation: `max_pct` caps our share of the volume traded since the
//! start (ours included); `min_pct` keeps it at least that while quantity
//! is left. When the cap stops the order, `priority` decides:
//! `participation` (the default) keeps the cap to the end and lets the rest
//! expire; `completion` lifts it for the final sweep so the order finishes
//! on time.
//!
//! Parameters: `slices` (the plan's, default one per 5 minutes), `forecast`
//! (`dynamic` | `static`), `half_life` (how fast the pace forgets, default
//! the window within 10m-4h), `recent`, `recent_weight` and
//! `recent_mean` (dynamic: the prior re-scaled at the start by the volume
//! of the hours before it, see [`RecentLevel`]; default `recent=12h`,
//! `recent=0s` turns it off), `prior_weight` (dynamic: the prior counts as this many
//! half-lives of expected volume, default 1.5), `step` (dynamic: 10s-30m, default 1m, or a
//! tenth of a window shorter than 10 minutes),
//! `min_child` (dynamic: the smallest quantity crossed to catch up, default
//! the instrument's average trade size or, when smaller, what one step of
//! the window owes on average, `qty x step / window`; at least a lot),
//! `max_pct` and `min_pct`
//! (0 < p <= 0.5, default none), `priority` (`participation` |
//! `completion`), `urgency` (static: `passive` posts first, `aggressive`
//! crosses).

pub use crate::market::forecast::RecentLevel;

use super::slicer::{Slicer, default_slices, equal_times, plan_from};
use super::tracker::{Targets, Tracker};
use super::{AlgoCtx, AlgoSpec, ExecAlgo, ParamError, Params, PlannedSlice};
use crate::market::curve::VolumeCurve;
use crate::market::forecast::{
    DEFAULT_LOOKBACK, DEFAULT_PRIOR_WEIGHT, DEFAULT_RECENT_WEIGHT, ForecastPlan, ForecastSettings, MAX_LOOKBACK,
    VolumeForecast, default_half_life,
};
use crate::model::{AlgoKind, Duration, Price, Qty, Timestamp};

/// The VWAP algorithm.
#[derive(Debug, Clone)]
pub enum Vwap {
    /// The curve's plan as it is.
    Static(Slicer),
    /// Re-forecast from the prints, tracked on a volume clock.
    Dynamic(Box<Dynamic>),
}

/// The dynamic VWAP's state.
#[derive(Debug, Clone)]
pub struct Dynamic {
    forecast: VolumeForecast,
    tracker: Tracker,
    preview: Vec<PlannedSlice>,
    step: Duration,
    /// How the forecast is made (rebuilt at the start with the look-back's
    /// level, as the TCA's tracking makes it: `ForecastPlan`).
    settings: ForecastSettings,
    curve: VolumeCurve,
    window: (Timestamp, Timestamp),
}

/// The forecast's settings from the order's parameters, refused with the
/// allowed range when out of it; for an order accepted, the same values
/// `ForecastSettings::from_params` reads (the TCA's reading).
fn forecast_settings(spec: &AlgoSpec<'_>, p: &mut Params<'_>) -> Result<ForecastSettings, ParamError> {
    let half_life =
        p.duration("half_life", default_half_life(spec.start, spec.end), Duration::mins(1), Duration::mins(24 * 60))?;
    let lookback = p.duration("recent", DEFAULT_LOOKBACK, Duration(0), MAX_LOOKBACK)?;
    let weight = p.f64_in("recent_weight", DEFAULT_RECENT_WEIGHT, 0.0, 1.0, false)?;
    let hourly = p.choice("recent_mean", "volume", &["volume", "hourly"])? == "hourly";
    let prior_weight = p.f64_in("prior_weight", DEFAULT_PRIOR_WEIGHT, 0.25, 8.0, false)?;
    Ok(ForecastSettings { half_life, prior_weight, recent: RecentLevel { lookback, weight, hourly } })
}

impl Vwap {
    /// Plans the slices along the curve.
    pub fn new(spec: &AlgoSpec<'_>, p: &mut Params<'_>) -> Result<Vwap, ParamError> {
        let lot = spec.inst.lot_size;
        let (default_n, lots) = default_slices(spec.start, spec.end, spec.qty, lot);
        let slices = p.int_in("slices", default_n, 1, lots.min(10_000))? as usize;
        let max_pct = p.opt_f64_in("max_pct", 0.0, 0.5, true)?;
        let min_pct = p.opt_f64_in("min_pct", 0.0, 0.5, true)?;
        if let (Some(lo), Some(hi)) = (min_pct, max_pct)
            && lo > hi
        {
            return Err(ParamError::new("min_pct", format!("{lo} is above max_pct {hi}; allowed: <= {hi}")));
        }
        let dynamic = p.choice("forecast", "dynamic", &["dynamic", "static"])? == "dynamic";
        let settings = forecast_settings(spec, p)?;
        // A step is at most a tenth of the window by default: a step longer
        // than the window (a minute on a 50 s recording) rested the whole
        // order at the touch and let it trail the prints by all of it, until
        // the touch moved and it crossed at once (the LOBSTER sample: nothing
        // for 12.6 s while 38% of the volume printed, then all of it by 25 s,
        // six levels swept).
        let default_step = Duration::mins(1).min(Duration((spec.end - spec.start).0 / 10)).max(Duration::secs(1));
        let step = p.duration("step", default_step, Duration::secs(10), Duration::mins(30))?;
        // What one step of the window owes on average: a catch-up is never
        // held back longer than that, however large the instrument's trades
        // are against the order (a small order in a market of large prints
        // would otherwise trail its target by a whole average trade).
        let window = (spec.end - spec.start).0.max(1) as f64;
        let per_step = Qty::from_f64(spec.qty.to_f64() * step.0 as f64 / window).unwrap_or(Qty::ZERO);
        let min_child = p
            .qty("min_child", lot)?
            .unwrap_or_else(|| spec.inst.avg_trade_size.min(per_step).round_down_to(lot).max(lot));
        let completion = p.choice("priority", "participation", &["participation", "completion"])? == "completion";
        let aggressive = p.choice("urgency", "passive", &["passive", "aggressive"])? == "aggressive";
        let display = super::slicer::display_param(p)?;
        let times = equal_times(spec.start, spec.end, slices);
        let mut weights: Vec<f64> = times
            .iter()
            .enumerate()
            .map(|(k, &t)| spec.curve.share_between(t, times.get(k + 1).copied().unwrap_or(spec.end)))
            .collect();
        if weights.iter().sum::<f64>() <= 0.0 {
            // A window where the curve expects no volume: trade it evenly.
            weights = vec![1.0; slices];
        }
        let plan = plan_from(&times, &weights, spec.qty, lot);
        if !dynamic {
            let slicer = Slicer::new(plan, Some(weights), spec.start, spec.end, aggressive)
                .with_rebalance()
                .with_max_pct(max_pct)
                .with_min_pct(min_pct)
                .with_finish_on_time(completion)
                .with_display(display);
            return Ok(Vwap::Static(slicer));
        }
        // Until the start, the forecast without a look-back (the session's
        // open as where the market began: the level is taken at the start).
        let window = (spec.start, spec.end);
        let forecast = ForecastPlan::new(settings, spec.inst, spec.curve, window, spec.session.open, spec.session.open)
            .forecast(spec.curve, 1.0);
        let tracker = Tracker::new(spec.start, spec.end, step, min_child)
            .with_participation(min_pct, max_pct, completion)
            .with_display(display);
        Ok(Vwap::Dynamic(Box::new(Dynamic {
            forecast,
            tracker,
            preview: plan,
            step,
            settings,
            curve: spec.curve.clone(),
            window,
        })))
    }
}

impl Dynamic {
    /// At the start: the forecast made on the market as it stands, the
    /// prior re-scaled by the volume of the hours before (see
    /// [`RecentLevel`]); the TCA's tracking makes the same one.
    fn start_level(&mut self, ctx: &AlgoCtx<'_>) {
        let (start, end) = self.window;
        let plan = ForecastPlan::on_market(self.settings, ctx.market, start, end);
        if plan.looks_back() {
            self.forecast = plan.forecast_on(&self.curve, &ctx.market.tape);
        }
    }

    /// What is due now and a step ahead, from the forecast brought to now.
    fn targets(&mut self, ctx: &AlgoCtx<'_>) -> Targets {
        self.targets_with(ctx, true)
    }

    /// Whether what is due now ([`Dynamic::targets_with`]'s `now`, worked
    /// out with two divisions) is surely below the least target the tracker
    /// would act on ([`Tracker::acts_from`]): `now` is the quantity share
    /// `realised / total` rounded down to a lot, below `from` when the share
    /// is below `(from - 1 raw unit) / qty`, which the forecast checks
    /// without dividing, with a margin far wider than the rounding of
    /// either computation ([`VolumeForecast::share_surely_below`]).
    fn surely_below(&self, ctx: &AlgoCtx<'_>) -> bool {
        let Some(from) = self.tracker.acts_from(ctx) else { return false };
        let qty = ctx.parent.qty.to_f64() * Qty::SCALE as f64;
        qty > 0.0 && self.forecast.share_surely_below((from.raw() - 1) as f64 / qty)
    }

    /// The targets; without `ahead`, only what is due now (`ahead` left at
    /// it, no step volume), for a tracker that reads no more
    /// ([`Tracker::reads_ahead`]): on most prints an order rests and only
    /// checks whether it fell behind, and the step ahead costs as much to
    /// forecast again as the rest.
    fn targets_with(&mut self, ctx: &AlgoCtx<'_>, ahead: bool) -> Targets {
        let f = &mut self.forecast;
        f.advance(ctx.now);
        let (lot, qty) = (ctx.market.inst.lot_size, ctx.parent.qty.to_f64());
        let (total, step_volume) = if ahead {
            f.total_and_forecast(ctx.now, ctx.now + self.step)
        } else {
            (f.total_and_forecast(ctx.now, ctx.now).0, 0.0)
        };
        let share = |done: f64| if total > 0.0 { (done / total).min(1.0) } else { 0.0 };
        let q = |x: f64| Qty::from_f64(qty * x).unwrap_or(Qty::ZERO).round_down_to(lot);
        let now = q(share(f.realised()));
        if !ahead {
            return Targets { now, ahead: now, step_volume: 0.0 };
        }
        Targets { now, ahead: q(share(f.realised() + step_volume)), step_volume }
    }
}

impl ExecAlgo for Vwap {
    fn kind(&self) -> AlgoKind {
        AlgoKind::Vwap
    }

    fn plan(&self) -> Vec<PlannedSlice> {
        match self {
            Vwap::Static(s) => s.plan().to_vec(),
            Vwap::Dynamic(d) => d.preview.clone(),
        }
    }

    fn on_start(&mut self, ctx: &mut AlgoCtx<'_>) {
        match self {
            Vwap::Static(s) => s.on_start(ctx),
            Vwap::Dynamic(d) => {
                d.start_level(ctx);
                let t = d.targets(ctx);
                d.tracker.on_start(ctx, t);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut AlgoCtx<'_>, token: u64) {
        match self {
            Vwap::Static(s) => s.on_timer(ctx, token),
            Vwap::Dynamic(d) => {
                let t = d.targets(ctx);
                d.tracker.on_timer(ctx, token, t);
            }
        }
    }

    fn on_trade(&mut self, ctx: &mut AlgoCtx<'_>, _px: Price, qty: Qty) {
        if let Vwap::Dynamic(d) = self {
            d.forecast.observe(ctx.now, qty.to_f64());
            // Every print feeds the forecast; the targets are worked out as
            // far as the tracker will read them.
            if d.tracker.reads_targets(ctx) {
                let ahead = d.tracker.reads_ahead(ctx);
                if !ahead && d.surely_below(ctx) {
                    // What is due now stays below what would make the
                    // tracker act: it would change nothing.
                    return;
                }
                let t = d.targets_with(ctx, ahead);
                d.tracker.act(ctx, t);
            }
        }
    }

    fn on_quote(&mut self, ctx: &mut AlgoCtx<'_>) {
        if let Vwap::Dynamic(d) = self {
            d.tracker.on_quote(ctx);
        }
    }

    fn on_child_closed(&mut self, ctx: &mut AlgoCtx<'_>) {
        match self {
            Vwap::Static(s) => s.on_child_closed(ctx),
            Vwap::Dynamic(d) => {
                let t = d.targets(ctx);
                d.tracker.on_child_closed(ctx, t);
            }
        }
    }

    fn on_amend(&mut self, ctx: &mut AlgoCtx<'_>) {
        match self {
            Vwap::Static(s) => s.on_amend(ctx),
            Vwap::Dynamic(d) => {
                let t = d.targets(ctx);
                d.tracker.on_resume(ctx, t);
            }
        }
    }

    fn on_resume(&mut self, ctx: &mut AlgoCtx<'_>) {
        match self {
            Vwap::Static(s) => s.on_resume(ctx),
            Vwap::Dynamic(d) => {
                let t = d.targets(ctx);
                d.tracker.on_resume(ctx, t);
            }
        }
    }

    fn wants_trades(&self) -> bool {
        matches!(self, Vwap::Dynamic(_))
    }

    fn wants_quotes(&self) -> bool {
        matches!(self, Vwap::Dynamic(_))
    }

    fn summary(&self) -> Option<String> {
        Some(match self {
            Vwap::Dynamic(_) => "re-forecasts the window's volume from the prints and trades with them".to_string(),
            Vwap::Static(_) => "follows the volume curve as planned".to_string(),
        })
    }
}
