//! What a recording says about its instrument: price level, daily volume,
//! daily volatility, spread, trade size and displayed depth. Pure functions
//! over recorded trades and quotes: `blotter calibrate` prints them and
//! writes them as a universe entry, and a replay takes its market's
//! coefficients from them instead of the built-in instrument.
//!
//! - **Volume**: only prints inside the instrument's sessions count. When the
//!   recording covers at least one whole session, a session's volume is the
//!   mean over the whole sessions recorded (exact on a tape whose days are
//!   alike, whatever the intraday curve: the partial first and last days are
//!   left out rather than extrapolated with a curve that may not be the
//!   instrument's). Otherwise it is the recorded volume divided by the share
//!   of a session's volume the instrument's intraday curve expects in the
//!   stretches recorded (the first half hour of a US equity day holds 12% of
//!   it, not 1/13). Continuous trading only: a closing auction is not in a
//!   trades file.
//! - **Volatility**: realised, from log returns of the mid (the quotes, else
//!   the last print) sampled on a regular grid inside sessions: the coarsest
//!   of 5 minutes, 1 minute, 10 seconds and 1 second that gives at least
//!   [`MIN_RETURNS`] returns, scaled to a session by the square root of time.
//!   Mids rather than prints, where there are quotes. Prints (and bars, whose
//!   closes are prints) bounce between bid and ask: a print is the efficient
//!   price plus an independent noise `u` of variance `eta^2` (Roll 1984, with
//!   `eta` the half-spread), which adds `2 eta^2` to every squared return and
//!   `-eta^2` to the product of consecutive returns. The estimate from prints
//!   therefore adds twice the sum of those products to the sum of squares
//!   (Zhou 1996, "High-frequency data and volatility in foreign-exchange
//!   rates", JBES 14(1); the first-order kernel of Hansen & Lunde 2006),
//!   which removes the bounce in expectation at any sampling interval. Pure
//!   bounce (no efficient move) estimates zero, kept at zero.
//! - **Spread**: the time-weighted median of the quoted spread in bps of the
//!   mid; without quotes, Roll's estimator `2 sqrt(-cov(dp_t, dp_t-1))` on
//!   consecutive prints, when their price changes are negatively correlated.
//! - **Touch depth**: the time-weighted median of the mean of the best bid and
//!   offer sizes.

use super::running::Roll;
use super::{RecQuote, RecTrade, RecTrades, Recording};
use crate::market::curve::VolumeCurve;
use crate::market::session::{self, Session};
use crate::model::{Calendar, Duration, Instrument, Money, Price, Qty, Timestamp, vwap};
use chrono::Duration as ChronoDuration;
use serde::Serialize;

/// Fewest grid returns a volatility estimate is made from.
pub const MIN_RETURNS: usize = 30;

/// Sampling intervals tried for the volatility, coarsest first.
const GRID: [Duration; 4] = [Duration::mins(5), Duration::mins(1), Duration::secs(10), Duration::secs(1)];

/// A realised volatility estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Volatility {
    /// Daily (per session) return volatility as a fraction.
    pub daily: f64,
    /// Grid interval the returns were sampled on.
    pub interval: Duration,
    /// Grid returns with a new observation in them (steps without one are
    /// zero returns and count in the variance, not here).
    pub returns: usize,
    /// True when sampled from quote mids, false when from prints.
    pub from_mids: bool,
    /// True when corrected for the bid-ask bounce (prints: Zhou's
    /// first-order autocovariance term).
    pub bounce_corrected: bool,
}

/// Where a spread estimate comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpreadSource {
    /// Time-weighted median of the recorded quotes.
    Quotes,
    /// Roll's estimator over consecutive prints.
    Roll,
}

/// A spread estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    /// Spread in bps of the mid.
    pub bps: f64,
    /// How it was estimated.
    pub source: SpreadSource,
}

/// Everything estimated from one recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimates {
    /// Prints inside the instrument's sessions.
    pub trades: usize,
    /// Prints outside every session (ignored).
    pub outside_sessions: usize,
    /// Quotes inside the sessions.
    pub quotes: usize,
    /// First print inside a session.
    pub first: Timestamp,
    /// Last print inside a session.
    pub last: Timestamp,
    /// Time from the first to the last print that lies inside sessions
    /// (from the open, or to the close, when the recording starts or ends
    /// within two average print intervals of it).
    pub observed: Duration,
    /// Length of a whole session (the longest one the recording touches).
    pub session: Duration,
    /// Sessions the recording touches.
    pub sessions: Vec<Session>,
    /// Volume of the prints inside sessions.
    pub volume: Qty,
    /// Their notional.
    pub notional: Money,
    /// Their volume-weighted average price.
    pub vwap: Price,
    /// Continuous volume of a whole session: the recorded volume over the
    /// share of a session's volume the instrument's intraday curve expects in
    /// the stretches recorded.
    pub session_volume: f64,
    /// That share (in sessions: 0.5 is half a session's expected volume);
    /// when whole sessions were recorded, their number.
    pub curve_share: f64,
    /// Whole sessions recorded, whose mean volume is `session_volume` (0:
    /// extrapolated with the intraday curve).
    pub whole_sessions: usize,
    /// Mean print size.
    pub avg_trade_size: Qty,
    /// Realised volatility, when the recording is long enough.
    pub volatility: Option<Volatility>,
    /// Spread, when quotes (or negatively correlated price changes) give one.
    pub spread: Option<Spread>,
    /// Typical best-level size, when there are quotes.
    pub touch_depth: Option<Qty>,
    /// The prints were made from bars.
    pub from_bars: bool,
}

/// Why nothing could be estimated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EstimateError {
    /// No print falls inside a session of the instrument's calendar.
    #[error("none of the {trades} prints falls inside a {calendar} session")]
    NoPrintsInSession {
        /// Prints in the recording.
        trades: usize,
        /// The calendar's name.
        calendar: &'static str,
    },
    /// Volume or notional does not fit the fixed-point range.
    #[error("the recorded volume overflows the quantity range")]
    Overflow,
}

fn calendar_name(c: Calendar) -> &'static str {
    match c {
        Calendar::UsEquity => "US equity",
        Calendar::SwissEquity => "Swiss equity",
        Calendar::Crypto => "crypto (24-hour UTC)",
        Calendar::Fx => "FX",
        Calendar::UsBond => "US bond",
    }
}

/// The sessions of `cal` that overlap `first..=last`, in order.
pub fn sessions_between(cal: Calendar, listing: &str, first: Timestamp, last: Timestamp) -> Vec<Session> {
    let tz = session::tz_of(cal);
    let (d0, d1) = (first.in_tz(tz).date_naive(), last.in_tz(tz).date_naive());
    // An FX value date opens the evening before; one day either side covers every calendar.
    let mut d = d0 - ChronoDuration::days(1);
    let mut out = Vec::new();
    while d <= d1 + ChronoDuration::days(1) {
        if let Ok(s) = session::session(cal, listing, d)
            && s.close > first
            && s.open <= last
        {
            out.push(s);
        }
        d += ChronoDuration::days(1);
    }
    out
}

/// The session containing `t`, if any (sessions in order).
fn session_of(sessions: &[Session], t: Timestamp) -> Option<usize> {
    let i = sessions.partition_point(|s| s.close <= t);
    sessions.get(i).filter(|s| s.open <= t).map(|_| i)
}

/// Estimates the market of `inst` (its calendar, listing and intraday volume
/// curve) from a recording (trades and quotes in time order).
pub fn estimate(rec: &Recording, inst: &Instrument) -> Result<Estimates, EstimateError> {
    estimate_before(rec, inst, None)
}

/// [`estimate`] from what was recorded strictly before `before` only (all of
/// it when `None`): a replay that starts inside a recording takes its level
/// figures from the past, not from the stretch it is about to replay.
pub fn estimate_before(
    rec: &Recording,
    inst: &Instrument,
    before: Option<Timestamp>,
) -> Result<Estimates, EstimateError> {
    let (cal, listing) = (inst.calendar, &*inst.listing);
    let trades = &rec.trades;
    let n_all = before.map_or(trades.len(), |b| trades.partition_point_ts(|t| t < b));
    let quotes = &rec.quotes[..before.map_or(rec.quotes.len(), |b| rec.quotes.partition_point(|q| q.ts < b))];
    let none = || EstimateError::NoPrintsInSession { trades: n_all, calendar: calendar_name(cal) };
    let (Some(t0), Some(t1)) = (trades.first().filter(|_| n_all > 0), n_all.checked_sub(1).and_then(|i| trades.get(i)))
    else {
        return Err(none());
    };
    let sessions = sessions_between(cal, listing, t0.ts, t1.ts);
    let in_session = |t: &RecTrade| session_of(&sessions, t.ts).is_some();
    let Pass { n_inside, first, last, volume, notional, roll, by_session } = prints_pass(rec, &sessions, n_all)?;
    let Some(first) = first else { return Err(none()) };
    let vwap = vwap(notional, volume).ok_or_else(none)?;
    // A recording that starts or ends within two average print intervals of
    // the open or the close covers it: a whole recorded day is a whole
    // session even if nothing printed in its last minutes.
    let reach = 2 * (last.0 - first.0) / i64::try_from(n_inside.max(2) - 1).unwrap_or(i64::MAX);
    let stretch = |s: &Session| {
        let a = s.open.max(first);
        let b = s.close.min(last);
        let a = if a.0 - s.open.0 <= reach { s.open } else { a };
        let b = if s.close.0 - b.0 <= reach { s.close } else { b };
        (a, b)
    };
    let segments: Vec<(Timestamp, Timestamp)> = sessions.iter().map(stretch).filter(|(a, b)| b >= a).collect();
    let observed = Duration(segments.iter().map(|(a, b)| b.0 - a.0).sum());
    let session = Duration(sessions.iter().map(|s| s.close.0 - s.open.0).max().unwrap_or(0));
    // The share of a session's volume the instrument's curve expects in the
    // recorded stretches: half an hour after the open weighs more than half
    // an hour at lunch. A recording of one instant (no share) keeps the
    // plain pace over at least one nanosecond.
    let expected_share: f64 = sessions
        .iter()
        .filter_map(|s| {
            let (a, b) = stretch(s);
            (b > a).then(|| VolumeCurve::for_instrument(inst, s).share_between(a, b))
        })
        .sum();
    // Whole recorded sessions give the level without any curve.
    let whole: Vec<usize> =
        (0..sessions.len()).filter(|&i| stretch(&sessions[i]) == (sessions[i].open, sessions[i].close)).collect();
    let whole_volume: f64 = whole.iter().map(|&i| by_session[i].to_f64()).sum();
    let (session_volume, expected_share) = if !whole.is_empty() {
        (whole_volume / whole.len() as f64, whole.len() as f64)
    } else if expected_share > 0.0 {
        (volume.to_f64() / expected_share, expected_share)
    } else {
        (volume.to_f64() * session.0 as f64 / observed.0.max(1) as f64, expected_share)
    };
    let n = i64::try_from(n_inside).map_err(|_| EstimateError::Overflow)?;
    let avg_trade_size = Qty::from_raw(volume.raw() / n);
    let q_inside: Vec<&RecQuote> = quotes.iter().filter(|q| session_of(&sessions, q.ts).is_some()).collect();
    let volatility = if q_inside.iter().any(|q| mid(q).is_some()) {
        let q_inside = &q_inside;
        realised_vol(&segments, session, false, || {
            let mut i = 0;
            move |t: Timestamp| {
                i += q_inside[i..].partition_point(|q| q.ts <= t);
                i.checked_sub(1).and_then(|k| Some((k, mid(q_inside[k])?)))
            }
        })
        .map(|(daily, interval, returns)| Volatility {
            daily,
            interval,
            returns,
            from_mids: true,
            bounce_corrected: false,
        })
    } else {
        // The last print inside a session at or before each grid time. When
        // every print is inside one (a 24-hour market), whole stretches of
        // the tape between grid times are skipped rather than decoded.
        let all_inside = n_inside == n_all;
        realised_vol(&segments, session, true, || {
            let mut prints = trades.iter().take(n_all).enumerate().filter(|(_, t)| in_session(t)).peekable();
            let mut pos = trades.pos(0);
            let mut seen: Option<(usize, f64)> = None;
            move |t: Timestamp| {
                if all_inside {
                    if let Some((i, x)) = trades.skip_through(&mut pos, t, n_all) {
                        seen = Some((i, x.px.to_f64()));
                    }
                    return seen;
                }
                while let Some((i, x)) = prints.next_if(|(_, x)| x.ts <= t) {
                    seen = Some((i, x.px.to_f64()));
                }
                seen
            }
        })
        .map(|(daily, interval, returns)| Volatility {
            daily,
            interval,
            returns,
            from_mids: false,
            bounce_corrected: true,
        })
    };
    let weighted = |f: &dyn Fn(&RecQuote) -> Option<f64>| -> Option<f64> {
        let pts: Vec<(f64, f64)> = q_inside
            .iter()
            .enumerate()
            .filter_map(|(i, q)| {
                let s = session_of(&sessions, q.ts).map(|s| sessions[s].close.min(last.max(q.ts)))?;
                let until = q_inside.get(i + 1).map_or(s, |n| n.ts.min(s));
                Some((f(q)?, (until.0 - q.ts.0).max(0) as f64))
            })
            .collect();
        weighted_median(pts)
    };
    let spread = weighted(&|q| {
        let (b, a) = (q.bid()?.to_f64(), q.ask()?.to_f64());
        let m = (a + b) / 2.0;
        (m > 0.0).then(|| (a - b) / m * 1e4)
    })
    .map(|bps| Spread { bps, source: SpreadSource::Quotes })
    .or_else(|| {
        let bounce = !rec.from_bars;
        bounce.then(|| roll.spread_bps(vwap.to_f64())).flatten().map(|bps| Spread { bps, source: SpreadSource::Roll })
    });
    let touch_depth =
        weighted(&|q| Some((q.bids.first()?.1.to_f64() + q.asks.first()?.1.to_f64()) / 2.0)).and_then(Qty::from_f64);
    Ok(Estimates {
        trades: n_inside,
        outside_sessions: n_all - n_inside,
        quotes: q_inside.len(),
        first,
        last,
        observed,
        session,
        sessions,
        volume,
        notional,
        vwap,
        session_volume,
        curve_share: expected_share,
        whole_sessions: whole.len(),
        avg_trade_size,
        volatility,
        spread,
        touch_depth,
        from_bars: rec.from_bars,
    })
}

/// What one pass over the prints inside sessions gives.
#[derive(Debug, Clone, PartialEq)]
struct Pass {
    n_inside: usize,
    first: Option<Timestamp>,
    last: Timestamp,
    volume: Qty,
    notional: Money,
    roll: Roll,
    /// Volume per session.
    by_session: Vec<Qty>,
}

/// The pass over the first `n_all` prints: from the running figures the
/// recording keeps when every one of them lies inside a session (a 24-hour
/// market always; then at most a few hundred prints are decoded per session
/// boundary), else print by print.
fn prints_pass(rec: &Recording, sessions: &[Session], n_all: usize) -> Result<Pass, EstimateError> {
    if n_all > 0 && outside_sessions(&rec.trades, sessions, n_all) == 0 {
        from_running(&rec.trades, sessions, n_all)
    } else {
        scan(&rec.trades, sessions, n_all)
    }
}

/// The number of leading prints (of the first `n`) at a time before `x`.
fn count_before(trades: &RecTrades, x: Timestamp, n: usize) -> usize {
    trades.partition_point_ts(|t| t < x).min(n)
}

/// How many of the first `n` prints lie outside every session, counted by
/// searching the session boundaries: a print belongs to the first session
/// closing after it (`session_of`) and is outside when that one has not
/// opened yet, or when none closes after it.
fn outside_sessions(trades: &RecTrades, sessions: &[Session], n: usize) -> usize {
    let mut outside = 0;
    let mut from = 0;
    for s in sessions {
        outside += count_before(trades, s.open, n).saturating_sub(from);
        from = from.max(count_before(trades, s.close, n));
    }
    outside + n.saturating_sub(from)
}

/// [`scan`]'s figures when every one of the first `n_all` prints lies inside
/// a session: the running sums the recording keeps are the same additions
/// in the same order, and a session's volume is the difference of two exact
/// running volumes.
fn from_running(trades: &RecTrades, sessions: &[Session], n_all: usize) -> Result<Pass, EstimateError> {
    let total = trades.running_to(n_all);
    let volume = total.volume.ok_or(EstimateError::Overflow)?;
    let notional = total.notional.ok_or(EstimateError::Overflow)?;
    let mut by_session = Vec::with_capacity(sessions.len());
    let mut before = Qty::ZERO;
    for s in sessions {
        let to = trades.running_to(count_before(trades, s.close, n_all)).volume.ok_or(EstimateError::Overflow)?;
        // Running volumes only grow (sizes are positive), so this never underflows.
        by_session.push(to.checked_sub(before).ok_or(EstimateError::Overflow)?);
        before = to;
    }
    let first = trades.first().map(|t| t.ts);
    let last = n_all.checked_sub(1).and_then(|i| trades.get(i)).map_or(Timestamp(0), |t| t.ts);
    Ok(Pass { n_inside: n_all, first, last, volume, notional, roll: total.roll, by_session })
}

/// One pass over the first `n_all` prints, keeping those inside sessions (a
/// recording may hold tens of millions).
fn scan(trades: &RecTrades, sessions: &[Session], n_all: usize) -> Result<Pass, EstimateError> {
    let (mut n_inside, mut first, mut last) = (0usize, None, Timestamp(0));
    let mut volume = Qty::ZERO;
    let mut notional = Money::ZERO;
    let mut roll = Roll::default();
    let mut by_session = vec![Qty::ZERO; sessions.len()];
    // The session of the print before, which is the next print's too until
    // its close: exactly `session_of` (the first session closing after the
    // print, if it has opened), without a search per print.
    let mut cur = 0usize;
    for t in trades.iter().take(n_all) {
        let same = sessions.get(cur).is_some_and(|s| s.open <= t.ts && t.ts < s.close)
            && cur.checked_sub(1).is_none_or(|p| sessions[p].close <= t.ts);
        let si = if same {
            cur
        } else {
            let Some(si) = session_of(sessions, t.ts) else { continue };
            cur = si;
            si
        };
        by_session[si] = by_session[si].checked_add(t.qty).ok_or(EstimateError::Overflow)?;
        n_inside += 1;
        first.get_or_insert(t.ts);
        last = t.ts;
        volume = volume.checked_add(t.qty).ok_or(EstimateError::Overflow)?;
        notional = notional.checked_add(Money::notional(t.px, t.qty)).ok_or(EstimateError::Overflow)?;
        roll.add(t.px.to_f64());
    }
    Ok(Pass { n_inside, first, last, volume, notional, roll, by_session })
}

fn mid(q: &RecQuote) -> Option<f64> {
    Some((q.bid()?.to_f64() + q.ask()?.to_f64()) / 2.0)
}

/// Realised volatility per session over grid points inside `segments`:
/// (daily, interval, returns), on the coarsest grid with enough returns that
/// saw a new observation. `sampler` makes, for each grid tried, a reader of
/// the observation in force at increasing times (its index and value); a
/// grid step without a new observation is a zero return that tells nothing,
/// so it does not count towards the minimum. With `bounce`, twice the sum of
/// products of consecutive returns that saw a new observation (within a
/// segment) is added to the sum of squares (Zhou 1996): under independent
/// bid-ask noise of variance `eta^2` each such squared return carries
/// `2 eta^2` too many and each product `-eta^2`, so the two cancel in
/// expectation. A negative total (the noise drew more than the moves) is zero.
fn realised_vol<S: FnMut(Timestamp) -> Option<(usize, f64)>>(
    segments: &[(Timestamp, Timestamp)],
    session: Duration,
    bounce: bool,
    mut sampler: impl FnMut() -> S,
) -> Option<(f64, Duration, usize)> {
    GRID.into_iter().find_map(|dt| {
        let mut value_at = sampler();
        let (mut sum_sq, mut sum_cross, mut n, mut informative) = (0.0, 0.0, 0usize, 0usize);
        for &(a, b) in segments {
            let mut prev = value_at(a);
            let mut prev_r: Option<f64> = None;
            let mut t = a + dt;
            while t <= b {
                let v = value_at(t);
                if let (Some((i, p)), Some((j, v))) = (prev, v)
                    && p > 0.0
                    && v > 0.0
                {
                    let r = (v / p).ln();
                    sum_sq += r * r;
                    n += 1;
                    // A step without a new observation is an exact zero and
                    // carries no noise: the bounce shows between the returns
                    // that saw new observations, however far apart.
                    if i != j {
                        informative += 1;
                        if let Some(q) = prev_r {
                            sum_cross += r * q;
                        }
                        prev_r = Some(r);
                    }
                }
                prev = v;
                t = t + dt;
            }
        }
        let var = if bounce { (sum_sq + 2.0 * sum_cross).max(0.0) } else { sum_sq };
        (informative >= MIN_RETURNS)
            .then(|| ((var / n as f64 * session.0 as f64 / dt.0 as f64).sqrt(), dt, informative))
    })
}

/// Median of values weighted by the time each stood; the plain median when no
/// time passed at all; `None` without values.
pub(crate) fn weighted_median(mut pts: Vec<(f64, f64)>) -> Option<f64> {
    pts.retain(|(v, _)| v.is_finite());
    if pts.is_empty() {
        return None;
    }
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = pts.iter().map(|p| p.1).sum();
    if total <= 0.0 {
        return Some(pts[pts.len() / 2].0);
    }
    let mut acc = 0.0;
    for (v, w) in &pts {
        acc += w;
        if acc >= total / 2.0 {
            return Some(*v);
        }
    }
    pts.last().map(|p| p.0)
}

#[cfg(test)]
mod tests;
