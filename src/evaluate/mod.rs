//! Evaluation of an algorithm over every window of a recording, as a desk
//! would try it before trusting it: one order per window (and side), each on
//! its own replay of the recording (from the session's open, so the day's
//! prints before the window are on the tape), sized as a share
//! of the volume the window printed, with the intraday profile learned from
//! the whole sessions before the window. The replay runs its market on the
//! recording's level figures (price level, daily volume, volatility, spread,
//! trade size, depth: `market::replay::coefficients`), estimated from what
//! was recorded before the window only (no look-ahead), as is the intraday
//! shape the algorithms plan on.
//!
//! Per window: the interval VWAP of the recorded prints in the window (the
//! recording itself, so none of ours), slippage against it in bps (positive
//! = cost), realised participation (ours over all volume printed in the
//! window, ours included) and completion. Per side and overall: the median,
//! 90th percentile and worst absolute slippage (nearest rank), the mean
//! signed slippage, and how participation and completion spread; for the
//! median and the 90th percentile, a 90% bootstrap interval over the windows
//! (`interval`): over 49 windows a median moves by a bp or more, a 90th
//! percentile by several, from one set of windows to another alike.
//!
//! Windows are cut from each session's open (`window` long, whole windows
//! only); a window is used when the recording covers it (a print within
//! `COVERAGE` of its start and of its end) and at least `min_history` whole
//! sessions before it give a profile.

mod decompose;
mod interval;

pub use decompose::{Decomposition, Order, OurFill, decompose};
pub use interval::{Interval, bootstrap};

use crate::engine::{Actor, Command, Engine, EngineConfig, OrderRequest};
use crate::market::profile::{self, LearnOptions};
use crate::market::replay::Recording;
use crate::market::{Universe, session};
use crate::model::{
    AlgoKind, AssetClass, Duration, Instrument, Liquidity, Money, ParentStatus, Price, Qty, Role, Side, Timestamp,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How close to a window's start and end the recording must print for the window to count as covered.
pub const COVERAGE: Duration = Duration::mins(5);

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct Options {
    /// The algorithm.
    pub algo: AlgoKind,
    /// Window length.
    pub window: Duration,
    /// Sides to trade, one order each per window.
    pub sides: Vec<Side>,
    /// Order size as our share of all the window's volume (POV: also its rate).
    pub participation: f64,
    /// The algorithm's parameters.
    pub params: BTreeMap<String, String>,
    /// Seed of each window's market.
    pub seed: u64,
    /// Whole sessions a window needs before it to learn its profile from.
    pub min_history: usize,
    /// Profile bucket.
    pub bucket: Duration,
    /// Learn the profile from the sessions before each window (else the
    /// instrument's own curve).
    pub learn: bool,
    /// Worker threads.
    pub jobs: usize,
}

/// One order's result.
#[derive(Debug, Clone, Serialize)]
pub struct WindowResult {
    /// Window start.
    pub start: Timestamp,
    /// Window end.
    pub end: Timestamp,
    /// Buy or sell.
    pub side: Side,
    /// Order quantity.
    pub qty: Qty,
    /// Filled quantity.
    pub filled: Qty,
    /// Final status.
    pub status: ParentStatus,
    /// Average fill price.
    pub avg_px: Option<Price>,
    /// VWAP of the recorded prints in the window.
    pub interval_vwap: Option<Price>,
    /// Average price against the interval VWAP, bps (positive = cost).
    pub slippage_bps: Option<f64>,
    /// VWAP of others' prints in the window as the replay printed them,
    /// carrying our impact (what a desk's own TCA of the order would show).
    pub market_vwap: Option<Price>,
    /// Average price against `market_vwap`, bps (positive = cost); the
    /// difference from `slippage_bps` is our impact on the window's prices.
    pub market_slippage_bps: Option<f64>,
    /// Ours over all volume printed in the window (ours included).
    pub participation: f64,
    /// Filled over ordered.
    pub completion: f64,
    /// Volume recorded in the window.
    pub window_volume: Qty,
    /// Sessions the window's profile was learned from.
    pub profile_days: usize,
    /// Child orders and fills.
    pub children: u32,
    /// Fills.
    pub fills: usize,
    /// Share of the filled quantity that rested (maker fills).
    pub passive_share: f64,
    /// The recorded prints' high-low range in the window, bps of its VWAP.
    pub range_bps: Option<f64>,
    /// Where the slippage against the recording came from (see `decompose`).
    pub decomposition: Option<Decomposition>,
}

/// A window left out, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// Window start.
    pub start: Timestamp,
    /// Window end.
    pub end: Timestamp,
    /// Why.
    pub reason: String,
}

/// Figures over a set of windows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Orders.
    pub orders: usize,
    /// Orders with at least one fill (the slippage figures are over these).
    pub with_fills: usize,
    /// Median absolute slippage, bps.
    pub median_abs_bps: Option<f64>,
    /// 90% bootstrap interval of that median over the windows (`interval`).
    pub median_abs_interval: Option<Interval>,
    /// 90th percentile of the absolute slippage (nearest rank), bps.
    pub p90_abs_bps: Option<f64>,
    /// 90% bootstrap interval of that percentile over the windows.
    pub p90_abs_interval: Option<Interval>,
    /// The slippage furthest from zero, bps (signed).
    pub worst_bps: Option<f64>,
    /// Mean signed slippage, bps.
    pub mean_bps: Option<f64>,
    /// Median absolute slippage against the replayed market's VWAP (our impact in it), bps.
    pub market_median_abs_bps: Option<f64>,
    /// 90% bootstrap interval of that median over the windows.
    pub market_median_abs_interval: Option<Interval>,
    /// 90th percentile of that, bps.
    pub market_p90_abs_bps: Option<f64>,
    /// 90% bootstrap interval of that percentile over the windows.
    pub market_p90_abs_interval: Option<Interval>,
    /// Median realised participation.
    pub median_participation: Option<f64>,
    /// Largest distance of a window's participation from the target, among completed orders.
    pub max_participation_gap: Option<f64>,
    /// Orders whose participation is within one percentage point of the target.
    pub within_1pp: usize,
    /// Mean completion.
    pub mean_completion: Option<f64>,
    /// Orders filled in full.
    pub completed: usize,
    /// Orders without a single fill while the window printed.
    pub zero_fills: usize,
    /// Mean of each order's schedule part of the slippage, bps (signed).
    pub mean_schedule_bps: Option<f64>,
    /// Mean execution part, bps (signed).
    pub mean_execution_bps: Option<f64>,
    /// Mean impact part, bps (signed).
    pub mean_impact_bps: Option<f64>,
    /// Median absolute schedule part, bps.
    pub median_abs_schedule_bps: Option<f64>,
    /// Median of each order's largest tracking gap, percentage points.
    pub median_tracking_max_pp: Option<f64>,
    /// Mean share of the filled quantity that rested.
    pub mean_passive_share: Option<f64>,
}

/// The evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// The algorithm.
    pub algo: AlgoKind,
    /// Window length in seconds.
    pub window_secs: f64,
    /// Order size as a share of all the window's volume.
    pub participation: f64,
    /// The instrument the orders ran on (before each window's profile).
    pub instrument: Instrument,
    /// True when the instrument was made from the recording.
    pub made_from_recording: bool,
    /// True when each window's profile was learned from the sessions before it
    /// (false: the instrument's own curve).
    pub profile_learned: bool,
    /// One result per window and side, in time order.
    pub windows: Vec<WindowResult>,
    /// Windows left out.
    pub skipped: Vec<Skipped>,
    /// Figures per side.
    pub by_side: BTreeMap<String, Summary>,
    /// Figures over every order.
    pub overall: Summary,
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// A figure of each order, grouped by window (its start), in time order:
/// what the bootstrap draws ([`bootstrap`]).
fn by_window(rows: &[&WindowResult], f: impl Fn(&WindowResult) -> Option<f64>) -> Vec<Vec<f64>> {
    let mut groups: BTreeMap<Timestamp, Vec<f64>> = BTreeMap::new();
    for r in rows {
        if let Some(x) = f(r) {
            groups.entry(r.start).or_default().push(x);
        }
    }
    groups.into_values().collect()
}

/// The figures of a set of results against the participation `target`.
pub fn summarise(rows: &[&WindowResult], target: f64) -> Summary {
    let mut abs: Vec<f64> = rows.iter().filter_map(|r| r.slippage_bps.map(f64::abs)).collect();
    abs.sort_by(f64::total_cmp);
    let signed: Vec<f64> = rows.iter().filter_map(|r| r.slippage_bps).collect();
    let mut market: Vec<f64> = rows.iter().filter_map(|r| r.market_slippage_bps.map(f64::abs)).collect();
    market.sort_by(f64::total_cmp);
    let mut parts: Vec<f64> = rows.iter().filter(|r| r.filled.is_positive()).map(|r| r.participation).collect();
    parts.sort_by(f64::total_cmp);
    let n = rows.len();
    let completed: Vec<&&WindowResult> = rows.iter().filter(|r| r.filled == r.qty).collect();
    let split: Vec<&Decomposition> = rows.iter().filter_map(|r| r.decomposition.as_ref()).collect();
    let mean = |f: &dyn Fn(&Decomposition) -> f64| {
        (!split.is_empty()).then(|| split.iter().map(|d| f(d)).sum::<f64>() / split.len() as f64)
    };
    let median = |f: &dyn Fn(&Decomposition) -> f64| {
        let mut v: Vec<f64> = split.iter().map(|d| f(d)).collect();
        v.sort_by(f64::total_cmp);
        percentile(&v, 0.5)
    };
    let filled: Vec<&&WindowResult> = rows.iter().filter(|r| r.filled.is_positive()).collect();
    let (by_window, market_by_window) =
        (by_window(rows, |r| r.slippage_bps.map(f64::abs)), by_window(rows, |r| r.market_slippage_bps.map(f64::abs)));
    Summary {
        orders: n,
        with_fills: signed.len(),
        median_abs_bps: percentile(&abs, 0.5),
        median_abs_interval: bootstrap(&by_window, 0.5),
        p90_abs_bps: percentile(&abs, 0.9),
        p90_abs_interval: bootstrap(&by_window, 0.9),
        worst_bps: signed.iter().copied().max_by(|a, b| a.abs().total_cmp(&b.abs())),
        mean_bps: (!signed.is_empty()).then(|| signed.iter().sum::<f64>() / signed.len() as f64),
        market_median_abs_bps: percentile(&market, 0.5),
        market_median_abs_interval: bootstrap(&market_by_window, 0.5),
        market_p90_abs_bps: percentile(&market, 0.9),
        market_p90_abs_interval: bootstrap(&market_by_window, 0.9),
        median_participation: percentile(&parts, 0.5),
        max_participation_gap: completed.iter().map(|r| (r.participation - target).abs()).max_by(f64::total_cmp),
        within_1pp: rows.iter().filter(|r| (r.participation - target).abs() <= 0.01).count(),
        mean_completion: (n > 0).then(|| rows.iter().map(|r| r.completion).sum::<f64>() / n as f64),
        completed: completed.len(),
        zero_fills: rows.iter().filter(|r| r.window_volume.is_positive() && !r.filled.is_positive()).count(),
        mean_schedule_bps: mean(&|d| d.schedule_bps),
        mean_execution_bps: mean(&|d| d.execution_bps),
        mean_impact_bps: mean(&|d| d.impact_bps),
        median_abs_schedule_bps: median(&|d| d.schedule_bps.abs()),
        median_tracking_max_pp: median(&|d| d.tracking_max_pp),
        mean_passive_share: (!filled.is_empty())
            .then(|| filled.iter().map(|r| r.passive_share).sum::<f64>() / filled.len() as f64),
    }
}

/// Volume and VWAP of the recorded prints in [t0, t1).
fn recorded_window(rec: &Recording, t0: Timestamp, t1: Timestamp) -> (Qty, Option<Price>) {
    let a = rec.trades.partition_point_ts(|ts| ts < t0);
    let b = rec.trades.partition_point_ts(|ts| ts < t1);
    let (mut q, mut n) = (Qty::ZERO, Money::ZERO);
    for t in rec.trades.iter_from(a).take(b.saturating_sub(a)) {
        q += t.qty;
        n += Money::notional(t.px, t.qty);
    }
    (q, crate::model::vwap(n, q))
}

/// The finest grid every value sits on.
fn grid(values: impl Iterator<Item = i64>) -> i64 {
    values.fold(0i64, |g, v| {
        let (mut a, mut b) = (g.abs(), v.abs());
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    })
}

/// An instrument for a recording the universe does not know: the calendar,
/// venues, listing and spread of the first `class` instrument, on the
/// recording's own price and quantity grids (the replay puts its level,
/// volume, volatility, trade size and depth in from the recording).
pub fn made_instrument(
    universe: &Universe,
    symbol: &str,
    class: AssetClass,
    rec: &Recording,
) -> Result<Instrument, String> {
    let template = universe.instruments().iter().find(|i| i.asset_class == class).ok_or_else(|| {
        format!("the universe has no {} instrument to take a calendar and venues from", class.as_str())
    })?;
    let tick = Price::from_raw(grid(rec.trades.iter().map(|t| t.px.raw())).max(1));
    let lot = Qty::from_raw(grid(rec.trades.iter().map(|t| t.qty.raw())).max(1));
    let first = rec.trades.first().ok_or("the recording has no prints")?;
    let mut inst = template.clone();
    inst.symbol = symbol.trim().to_ascii_uppercase().into();
    inst.name = format!("{} (made from {})", symbol.trim(), rec.source);
    inst.tick_size = tick;
    inst.lot_size = lot;
    inst.ref_price = first.px;
    inst.auction_share = 0.0;
    inst.volume_curve = None;
    Ok(inst)
}

/// One window's order, run.
struct Job {
    /// The session's open: the replay runs from it, so an algorithm sees the
    /// day's prints before its window, as it would live.
    open: Timestamp,
    start: Timestamp,
    end: Timestamp,
    side: Side,
    qty: Qty,
    date: chrono::NaiveDate,
    inst: Instrument,
    window_volume: Qty,
    interval_vwap: Option<Price>,
    profile_days: usize,
}

/// Evaluates `opts.algo` over every window of `rec` on `symbol`: the
/// universe's instrument, or one made from the recording (`class`) when the
/// universe does not know the symbol.
pub fn evaluate(
    universe: &Universe,
    symbol: &str,
    class: AssetClass,
    rec: Arc<Recording>,
    opts: &Options,
) -> Result<Evaluation, String> {
    if !(opts.participation > 0.0 && opts.participation < 1.0) {
        return Err(format!("participation {} is outside (0, 1)", opts.participation));
    }
    let (base, made) = match universe.instrument(symbol) {
        Some(i) => (i.clone(), false),
        None => (made_instrument(universe, symbol, class, &rec)?, true),
    };
    let (Some(first), Some(last)) = (rec.trades.first().map(|t| t.ts), rec.trades.last().map(|t| t.ts)) else {
        return Err("the recording has no prints".into());
    };
    let events: Vec<(Timestamp, f64)> = rec.trades.iter().map(|t| (t.ts, t.qty.to_f64())).collect();
    let tz = session::tz_of(base.calendar);
    let mut jobs = Vec::new();
    let mut skipped = Vec::new();
    let mut date = first.in_tz(tz).date_naive().pred_opt().unwrap_or(chrono::NaiveDate::MIN);
    let last_date = last.in_tz(tz).date_naive();
    while date <= last_date {
        let Ok(s) = session::session(base.calendar, &base.listing, date) else {
            date = date.succ_opt().unwrap_or(chrono::NaiveDate::MAX);
            continue;
        };
        let mut start = s.open;
        while start + opts.window <= s.close {
            let end = start + opts.window;
            let skip = |reason: String| Skipped { start, end, reason };
            if first > start + COVERAGE || last < end - COVERAGE {
                if first < end && last > start {
                    skipped.push(skip("the recording covers only part of it".into()));
                }
                start = end;
                continue;
            }
            let mut inst = base.clone();
            let mut profile_days = 0;
            if opts.learn {
                let lo = LearnOptions {
                    bucket: opts.bucket,
                    before: Some(start),
                    ..LearnOptions::new(base.calendar, &base.listing)
                };
                match profile::learn(&events, &lo) {
                    Ok(p) if p.days.len() >= opts.min_history => {
                        profile_days = p.days.len();
                        inst.volume_curve = Some(p.shares.clone());
                    }
                    Ok(p) => {
                        skipped.push(skip(format!(
                            "{} whole session(s) before it; a profile needs {}",
                            p.days.len(),
                            opts.min_history
                        )));
                        start = end;
                        continue;
                    }
                    Err(e) => {
                        skipped.push(skip(format!("no profile: {e}")));
                        start = end;
                        continue;
                    }
                }
            }
            // The replay's level figures come from before the window.
            if rec.trades.partition_point_ts(|t| t < start) == 0 {
                skipped.push(skip("nothing recorded before it to take the market's level from".into()));
                start = end;
                continue;
            }
            let (volume, vwap) = recorded_window(&rec, start, end);
            let r = opts.participation / (1.0 - opts.participation);
            let qty = Qty::from_f64(volume.to_f64() * r).unwrap_or(Qty::ZERO).round_down_to(inst.lot_size);
            if !qty.is_positive() {
                skipped.push(skip(format!("{volume} printed: too little for an order of a lot")));
                start = end;
                continue;
            }
            for &side in &opts.sides {
                jobs.push(Job {
                    open: s.open,
                    start,
                    end,
                    side,
                    qty,
                    date,
                    inst: inst.clone(),
                    window_volume: volume,
                    interval_vwap: vwap,
                    profile_days,
                });
            }
            start = end;
        }
        date = date.succ_opt().unwrap_or(chrono::NaiveDate::MAX);
    }
    let results = run_jobs(universe, &rec, opts, &jobs)?;
    let mut by_side = BTreeMap::new();
    for side in &opts.sides {
        let rows: Vec<&WindowResult> = results.iter().filter(|r| r.side == *side).collect();
        by_side.insert(side.to_string(), summarise(&rows, opts.participation));
    }
    let all: Vec<&WindowResult> = results.iter().collect();
    Ok(Evaluation {
        algo: opts.algo,
        window_secs: opts.window.as_secs_f64(),
        participation: opts.participation,
        instrument: base,
        made_from_recording: made,
        profile_learned: opts.learn,
        overall: summarise(&all, opts.participation),
        by_side,
        windows: results,
        skipped,
    })
}

/// Runs every job, on up to `opts.jobs` threads; results in job order.
fn run_jobs(
    universe: &Universe,
    rec: &Arc<Recording>,
    opts: &Options,
    jobs: &[Job],
) -> Result<Vec<WindowResult>, String> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let out: std::sync::Mutex<Vec<Option<Result<WindowResult, String>>>> =
        std::sync::Mutex::new((0..jobs.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.clamp(1, jobs.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let r = run_one(universe, rec, opts, job);
                    if let Ok(mut o) = out.lock() {
                        o[i] = Some(r);
                    }
                }
            });
        }
    });
    let out = out.into_inner().map_err(|_| "a worker failed".to_string())?;
    out.into_iter().map(|r| r.unwrap_or_else(|| Err("a window was not run".into()))).collect()
}

fn run_one(universe: &Universe, rec: &Arc<Recording>, opts: &Options, job: &Job) -> Result<WindowResult, String> {
    let when = |t: Timestamp| t.to_utc().format("%Y-%m-%d %H:%M UTC").to_string();
    let u = universe.with_instrument(job.inst.clone())?;
    let symbol = job.inst.symbol.to_string();
    let mut cfg = EngineConfig::new(opts.seed, job.date);
    cfg.symbols = Some(vec![symbol.clone()]);
    cfg.origin = Some(job.open);
    // The level figures from before the window, as the profile: no look-ahead.
    cfg.replay_levels_before = Some(job.start);
    cfg.recordings.insert(symbol.clone(), rec.clone());
    let mut engine = Engine::new(Arc::new(u), cfg).map_err(|e| format!("{}: {}", when(job.start), e.message))?;
    let mut params = opts.params.clone();
    if opts.algo == AlgoKind::Pov {
        params.entry("rate".into()).or_insert_with(|| opts.participation.to_string());
    }
    let req = OrderRequest {
        symbol,
        side: job.side,
        qty: job.qty,
        algo: opts.algo,
        params,
        start: Some(job.start),
        end: Some(job.end),
        limit_px: None,
        decision_px: None,
        acknowledge_warnings: true,
    };
    let id = engine
        .apply(&Actor::local(Role::Advisor), Command::Submit(req))
        .map_err(|e| format!("{} {}: {}", when(job.start), job.side, e.message))?
        .ok_or_else(|| format!("{}: no order id", when(job.start)))?;
    engine.run_until_idle();
    // The rest of the window prints too, so participation is over all of its volume.
    engine.run_until(job.end);
    let p = engine.parent(id).ok_or("the order vanished")?;
    let m = engine.market(&job.inst.symbol).ok_or("the market vanished")?;
    let all = m.tape.stats(job.start, job.end + Duration(1), true);
    let market_vwap = m.tape.stats(job.start, job.end + Duration(1), false).vwap();
    let avg = p.avg_px();
    let a = rec.trades.partition_point_ts(|ts| ts < job.start);
    let b = rec.trades.partition_point_ts(|ts| ts < job.end);
    let prints: Vec<(Timestamp, Price, Qty)> =
        rec.trades.iter_from(a).take(b.saturating_sub(a)).map(|t| (t.ts, t.px, t.qty)).collect();
    let fills = engine.fills(id);
    let ours: Vec<OurFill> = fills
        .iter()
        .map(|f| OurFill {
            ts: f.ts,
            px: f.px,
            qty: f.qty,
            // The shift in force as the instant began: the one the fill was priced with.
            shift: m.replay_shifts_at(f.ts).first().map_or(0.0, |s| s.to_f64()),
        })
        .collect();
    let passive: Qty = fills.iter().filter(|f| f.liquidity == Liquidity::Maker).map(|f| f.qty).sum();
    let range_bps = job.interval_vwap.and_then(|v| {
        let hi = prints.iter().map(|p| p.1).max()?;
        let lo = prints.iter().map(|p| p.1).min()?;
        Some(hi.bps_from(lo) * lo.to_f64() / v.to_f64())
    });
    let decomposition = job.interval_vwap.and_then(|benchmark| {
        let o = Order { start: job.start, end: job.end, side: job.side, qty: job.qty, benchmark };
        decompose(&prints, &ours, &o, Duration::mins(1))
    });
    Ok(WindowResult {
        start: job.start,
        end: job.end,
        side: job.side,
        qty: job.qty,
        filled: p.filled,
        status: p.status,
        avg_px: avg,
        interval_vwap: job.interval_vwap,
        slippage_bps: avg.zip(job.interval_vwap).map(|(a, v)| crate::tca::cost_bps(job.side, a, v)),
        market_vwap,
        market_slippage_bps: avg.zip(market_vwap).map(|(a, v)| crate::tca::cost_bps(job.side, a, v)),
        participation: p.filled.ratio(all.qty),
        completion: p.filled.ratio(job.qty),
        window_volume: job.window_volume,
        profile_days: job.profile_days,
        children: p.children,
        fills: fills.len(),
        passive_share: passive.ratio(p.filled),
        range_bps,
        decomposition,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(slip: Option<f64>, participation: f64, filled: i64) -> WindowResult {
        WindowResult {
            start: Timestamp(0),
            end: Timestamp(1),
            side: Side::Buy,
            qty: Qty::from_int(10),
            filled: Qty::from_int(filled),
            status: ParentStatus::Done,
            avg_px: None,
            interval_vwap: None,
            slippage_bps: slip,
            market_vwap: None,
            market_slippage_bps: slip.map(|x| x / 2.0),
            participation,
            completion: filled as f64 / 10.0,
            window_volume: Qty::from_int(200),
            profile_days: 1,
            children: 1,
            fills: 1,
            passive_share: 0.5,
            range_bps: None,
            decomposition: None,
        }
    }

    #[test]
    fn summary_uses_nearest_rank_percentiles_of_absolute_slippage() {
        // |slippage| 1..=10: median (rank 5) 5, p90 (rank 9) 9, worst -10.
        let rows: Vec<WindowResult> =
            (1..=10).map(|k| row(Some(if k % 2 == 0 { -(k as f64) } else { k as f64 }), 0.05, 10)).collect();
        let refs: Vec<&WindowResult> = rows.iter().collect();
        let s = summarise(&refs, 0.05);
        assert_eq!((s.median_abs_bps, s.p90_abs_bps, s.worst_bps), (Some(5.0), Some(9.0), Some(-10.0)));
        // Signed mean: (1 - 2 + 3 - ... - 10) / 10 = -0.5.
        assert_eq!(s.mean_bps, Some(-0.5));
        // The market slippage of each row is half its slippage here: median 2.5, p90 4.5.
        assert_eq!((s.market_median_abs_bps, s.market_p90_abs_bps), (Some(2.5), Some(4.5)));
        assert_eq!((s.completed, s.within_1pp, s.zero_fills), (10, 10, 0));
        let none = row(None, 0.0, 0);
        let s = summarise(&[&none], 0.05);
        assert_eq!((s.zero_fills, s.with_fills, s.median_abs_bps), (1, 0, None));
        assert_eq!(percentile(&[1.0, 2.0], 0.9), Some(2.0));
    }
}
