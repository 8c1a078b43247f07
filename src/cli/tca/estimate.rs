//! The pre-trade estimate of an order done elsewhere, beside what it
//! realised: the engine's own model (`impact::estimate`, the propagator
//! along the schedule by default) run on the market figures measured from
//! the recording before the order arrived (`tca::pretrade::history`) and on
//! the schedule of the order's algorithm as our engine would plan it
//! (`algo::build(..).plan()`), else a VWAP schedule from arrival to end.
//!
//! What differs from an engine order's estimate, and why:
//! - the instrument's ADV, volatility, spread and average print size are
//!   the recording's, the price level the arrival price;
//! - the spread is the quote at arrival (or Roll's), with no intraday
//!   multiplier: it was measured, not modelled;
//! - no latency (the venues are someone else's) and no history of our own
//!   passive fills: adverse selection is the coefficients' prior;
//! - the timing risk integrates the position left along the schedule over
//!   a flat intraday variance.
//!
//! The realised side is `tca::pretrade::realised` without a market without
//! us: spread against the mid at each fill, impact and timing together.

use crate::algo::{self, AlgoSpec};
use crate::impact::{self, Coefficients, OrderContext, Schedule, schedule};
use crate::market::impact::{ImpactScale, schedule_cost};
use crate::market::replay::estimate::sessions_between;
use crate::market::rng::{Stream, stream};
use crate::market::sim::impact_coeffs;
use crate::market::{MarketParams, VolumeCurve};
use crate::model::{AlgoKind, Fill, Instrument, Price, Qty, Side, Timestamp};
use crate::tca::mids::MidSource;
use crate::tca::pretrade::history::MarketFigures;
use crate::tca::pretrade::{self, EstimateBasis, EstimateVsRealised, PreTrade, RealisedInput, ScheduleFrom};
use std::collections::BTreeMap;

/// The order as the estimate needs it.
pub struct Order<'a> {
    /// Buy or sell.
    pub side: Side,
    /// Ordered quantity.
    pub qty: Qty,
    /// Arrival: when the estimate is taken.
    pub arrival: Timestamp,
    /// End of its window.
    pub end: Timestamp,
    /// The arrival price.
    pub arrival_px: Price,
    /// The algorithm as the input names it.
    pub algo: Option<&'a str>,
    /// Limit price.
    pub limit: Option<Price>,
    /// Prices per this many units (bonds: 100).
    pub quote_per: i64,
}

/// An algorithm named in an orders file or a drop copy, as one of ours.
pub fn algo_kind(name: &str) -> Option<AlgoKind> {
    let n = name.trim().to_ascii_lowercase().replace(['_', '-'], " ");
    if let Ok(k) = n.parse::<AlgoKind>() {
        return Some(k);
    }
    match n.as_str() {
        "percent of volume" | "participation" | "inline" => Some(AlgoKind::Pov),
        "implementation shortfall" | "arrival" | "arrival price" => Some(AlgoKind::Is),
        "market on close" | "close" => Some(AlgoKind::Moc),
        _ => None,
    }
}

/// The instrument with the recording's figures in place of the universe's.
fn recorded(inst: &Instrument, f: &MarketFigures, price: Price) -> Instrument {
    let mut i = inst.clone();
    i.ref_price = price;
    i.daily_vol = f.daily_vol;
    i.spread_bps = f.spread_bps;
    if let Some(q) = Qty::from_f64(f.adv).filter(|q| q.is_positive()) {
        i.adv = q;
    }
    if let Some(q) = Qty::from_f64(f.avg_trade_size).filter(|q| q.is_positive()) {
        i.avg_trade_size = q;
    }
    i
}

/// The estimate of `o` on `inst` with the figures `f`, and how its schedule was chosen.
pub fn estimate(
    inst: &Instrument,
    f: &MarketFigures,
    o: &Order<'_>,
    k: &Coefficients,
) -> Result<(PreTrade, EstimateBasis), String> {
    let inst = recorded(inst, f, o.arrival_px);
    let session = sessions_between(inst.calendar, &inst.listing, o.arrival, o.end.max(o.arrival))
        .into_iter()
        .find(|s| s.close > o.arrival)
        .ok_or_else(|| format!("the order's window lies outside every {} session", inst.symbol))?;
    let start = o.arrival.max(session.open);
    let end = o.end.min(session.close);
    if end <= start {
        return Err(format!(
            "the order's window {} to {} holds no trading time of the session {}",
            crate::tca::batch::when(o.arrival),
            crate::tca::batch::when(o.end),
            session.describe()
        ));
    }
    let curve = VolumeCurve::for_instrument(&inst, &session);
    let spec = AlgoSpec {
        side: o.side,
        qty: o.qty,
        limit: o.limit,
        start,
        end,
        inst: &inst,
        session: &session,
        curve: &curve,
        fee_per_unit: 0.0,
    };
    let build = |kind: AlgoKind| {
        let mut rng = stream(0, Stream::Algo, 1);
        algo::build(kind, &spec, &BTreeMap::new(), &mut rng).map_err(|e| e.to_string())
    };
    let named = o.algo.filter(|a| !a.trim().is_empty());
    let (algo, schedule_from, note) = match named.map(|a| (a, algo_kind(a))) {
        Some((_, Some(kind))) => match build(kind) {
            Ok(a) => (a, ScheduleFrom::Order, None),
            Err(e) => (build(AlgoKind::Vwap)?, ScheduleFrom::Default, Some(format!("{}: {e}", kind.as_str()))),
        },
        Some((name, None)) => (
            build(AlgoKind::Vwap)?,
            ScheduleFrom::Default,
            Some(format!("'{name}' is not one of our algorithms (twap, vwap, pov, is, iceberg, sniper, moc)")),
        ),
        None => (build(AlgoKind::Vwap)?, ScheduleFrom::Default, None),
    };
    let plan = algo.plan();
    let crosses = algo.crosses();
    let price = o.arrival_px.to_f64();
    let adv = inst.adv.to_f64();
    let expected = |a: Timestamp, b: Timestamp| adv * (1.0 - inst.auction_share) * curve.share_between(a, b);
    let plan: Vec<(Timestamp, f64)> = plan.iter().map(|s| (s.at, s.qty.to_f64())).collect();
    let sched = Schedule::new(&plan, (start, end), o.qty.to_f64(), expected);
    // As the engine's: an algorithm that cannot plan ahead (iceberg, sniper)
    // runs the propagator evenly over the window.
    let signed = schedule::signed(&sched.traded(), o.side.sign() as f64);
    let coeffs = impact_coeffs(&inst, &MarketParams::default());
    let scale = ImpactScale { price, daily_vol: inst.daily_vol, daily_volume: adv };
    let session_ns = (session.close.0 - session.open.0).max(1) as f64;
    // The variance is flat through the day: measured, not modelled.
    let timing_variance = sched.timing_variance(|_| 1.0, session_ns);
    let ctx = OrderContext {
        qty: sched.qty,
        price,
        sigma: inst.daily_vol,
        adv,
        window_volume: sched.window_volume,
        slices: sched.slices,
        spread: price * inst.spread_bps / 1e4,
        aggressive_fraction: k.aggressive_fraction(crosses, sched.participation),
        crosses,
        latency_ms: 0.0,
        vol_per_ms: schedule::vol_per_ms(inst.daily_vol, price, session_ns),
        markout_bps: k.adverse_prior_bps,
        markout_samples: 0,
        propagator_cost: schedule_cost(coeffs, scale, &signed, 8),
        impact_y: coeffs.y,
        impact_half_life_s: coeffs.half_life_s,
        timing_variance,
    };
    let mut est = impact::estimate(&ctx, k);
    schedule::per_quote_unit(&mut est, o.quote_per);
    let basis = EstimateBasis {
        market: Some(f.clone()),
        algo: Some(algo.kind().as_str().to_string()),
        schedule_from,
        schedule_note: note,
        unavailable: None,
    };
    Ok((est.record(o.arrival, o.qty), basis))
}

/// The estimate beside the realised cost; without figures (or when the
/// window holds no session time), the basis says why instead.
pub fn compare(
    inst: Option<&Instrument>,
    figures: Result<&MarketFigures, &str>,
    o: &Order<'_>,
    fills: &[Fill],
    mids: &dyn MidSource,
    k: &Coefficients,
) -> (Option<EstimateVsRealised>, EstimateBasis) {
    let unavailable = |why: String| EstimateBasis {
        market: figures.ok().cloned(),
        algo: None,
        schedule_from: ScheduleFrom::Default,
        schedule_note: None,
        unavailable: Some(why),
    };
    let Some(inst) = inst else {
        return (None, unavailable("the symbol is not in the universe: its calendar, sessions and intraday volume curve are unknown (give --universe with an entry for it)".into()));
    };
    let f = match figures {
        Ok(f) => f,
        Err(why) => return (None, unavailable(why.to_string())),
    };
    match estimate(inst, f, o, k) {
        Ok((pre, basis)) => {
            let realised = pretrade::realised(&RealisedInput {
                side: o.side,
                arrival: o.arrival_px,
                fills,
                mids,
                without_us: None,
                auction_without_us: None,
                quote_per: o.quote_per,
            });
            (Some(pretrade::compare(&pre, realised, Some(o.arrival_px), o.quote_per)), basis)
        }
        Err(why) => (None, unavailable(why)),
    }
}

/// The spread, bps of the mid, of the last two-sided quote at or before `t`.
pub fn spread_at(quotes: &[crate::market::replay::csv::RecQuote], t: Timestamp) -> Option<f64> {
    let i = quotes.partition_point(|q| q.ts <= t);
    quotes[..i].iter().rev().find_map(|q| {
        let (b, a) = (q.bid()?.to_f64(), q.ask()?.to_f64());
        let m = (a + b) / 2.0;
        (m > 0.0 && a >= b).then(|| (a - b) / m * 1e4)
    })
}

/// One line on how the estimate was made, or why there is none.
pub fn basis_line(b: &EstimateBasis) -> String {
    if let Some(why) = &b.unavailable {
        return format!("pre-trade        no estimate: {why}");
    }
    let algo = b.algo.as_deref().unwrap_or("-");
    let schedule = match b.schedule_from {
        ScheduleFrom::Order => format!("{algo} schedule (the order's algo)"),
        ScheduleFrom::Default => match &b.schedule_note {
            Some(n) => format!("{algo} schedule (default; {n})"),
            None => format!("{algo} schedule from arrival to end (default: no algo given)"),
        },
    };
    match &b.market {
        Some(m) => {
            let span = match m.history {
                crate::tca::pretrade::history::HistorySpan::BeforeArrival => "before the arrival",
                crate::tca::pretrade::history::HistorySpan::WholeRecording => {
                    "the WHOLE recording (too little before the arrival: look-ahead)"
                }
            };
            let spread = match m.spread_from {
                crate::tca::pretrade::history::SpreadFrom::QuoteAtArrival => "quote at arrival",
                crate::tca::pretrade::history::SpreadFrom::Roll => "Roll",
            };
            format!(
                "pre-trade basis  {schedule}; market from {span} ({} prints, {:.1} h of session): ADV {}, sigma {:.2}%/day, spread {:.2} bps ({spread}), avg print {}",
                m.prints,
                m.session_time_s / 3600.0,
                crate::model::human::group(&format!("{:.0}", m.adv)),
                m.daily_vol * 100.0,
                m.spread_bps,
                crate::model::human::group(&format!("{:.2}", m.avg_trade_size)),
            )
        }
        None => format!("pre-trade basis  {schedule}"),
    }
}

/// The mids at an order's fills (in time order) as a mid source: the
/// realised cost's split reads the mid at each fill and nothing else.
pub struct AtFills<'a> {
    /// The fills, in time order.
    pub fills: &'a [Fill],
    /// The mid at each.
    pub mids: &'a [Option<f64>],
}

impl MidSource for AtFills<'_> {
    fn mid_at(&self, t: Timestamp) -> Option<f64> {
        let i = self.fills.partition_point(|f| f.ts <= t);
        i.checked_sub(1).and_then(|k| self.mids.get(k).copied().flatten())
    }
    fn last_time(&self) -> Option<Timestamp> {
        self.fills.last().map(|f| f.ts)
    }
}

#[cfg(test)]
mod tests;
