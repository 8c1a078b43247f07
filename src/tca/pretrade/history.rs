//! What the market looked like before an order arrived, for its pre-trade
//! estimate: daily volume, daily volatility, spread and average print size
//! from recorded prints, with no look-ahead.
//!
//! The prints are cut into one-hour chunks (aligned to UTC) as they stream
//! past, each chunk is measured by the recording estimators
//! (`market::replay::estimate`, the ones `blotter calibrate` and a replay
//! use) and only its figures are kept, so a month of tape costs a few
//! numbers per hour, never the tape. An hour rather than less: a chunk's
//! volatility is sampled on the coarsest grid giving 30 returns, which for
//! an hour of a liquid tape is the usual one minute (half an hour would
//! fall to ten seconds, deeper into the microstructure noise). The figures as of a time combine
//! the chunks that ended at or before it:
//! - volume over the share of a session's volume the instrument's intraday
//!   curve expects in the chunks' spans (a whole recorded day is exactly its
//!   volume), grossed up for the closing auction as a calibration does;
//! - daily variance: the chunks' realised variances (bounce-corrected, from
//!   prints) weighted by the session time each covered (realised variance
//!   adds up over disjoint stretches);
//! - spread: Roll's estimate per chunk, their median weighted by session time
//!   (used when the caller has no quoted spread at arrival);
//! - average print size: volume over prints.
//!
//! Figures before the arrival need [`MIN_HISTORY`] of session time, [`MIN_PRINTS`]
//! prints and a volatility; otherwise the whole recording is used and the
//! figures say so (`HistorySpan::WholeRecording`); when even that is too
//! little, the reason is returned instead of numbers.

use crate::market::VolumeCurve;
use crate::market::replay::estimate::{estimate, sessions_between, weighted_median};
use crate::market::replay::{RecTrade, RecTrades, Recording};
use crate::model::{Duration, Instrument, Timestamp};
use serde::{Deserialize, Serialize};

/// Length of a chunk.
pub const CHUNK: Duration = Duration::mins(60);
/// Session time the figures must cover.
pub const MIN_HISTORY: Duration = Duration::mins(30);
/// Prints inside sessions the figures must rest on.
pub const MIN_PRINTS: usize = 100;

/// Which data the figures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistorySpan {
    /// Only what printed before the order's arrival.
    BeforeArrival,
    /// The whole recording, after the arrival included: the data before it was too short.
    WholeRecording,
}

/// Where the spread came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpreadFrom {
    /// The last two-sided quote at or before the arrival.
    QuoteAtArrival,
    /// Roll's estimator on consecutive prints (no quotes).
    Roll,
}

/// The market figures an estimate rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketFigures {
    /// Which data they come from.
    pub history: HistorySpan,
    /// First print used.
    pub from: Timestamp,
    /// Last print used.
    pub until: Timestamp,
    /// Session time covered, seconds.
    pub session_time_s: f64,
    /// Prints inside sessions.
    pub prints: usize,
    /// Average daily volume (continuous trading grossed up for the closing auction).
    pub adv: f64,
    /// Daily volatility, a fraction.
    pub daily_vol: f64,
    /// Spread, bps of the mid.
    pub spread_bps: f64,
    /// Where the spread came from.
    pub spread_from: SpreadFrom,
    /// Mean print size.
    pub avg_trade_size: f64,
}

/// One chunk's figures.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    /// Nominal end of the chunk (exclusive): its figures are known from then.
    end: Timestamp,
    first: Timestamp,
    last: Timestamp,
    prints: usize,
    volume: f64,
    /// Share of a session's volume the curve expects in the chunk's span.
    share: f64,
    /// Session time its prints span, ns.
    observed: i64,
    /// Daily variance times `observed`, when the chunk gave a volatility.
    var_time: Option<f64>,
    /// Roll's spread, bps.
    roll_bps: Option<f64>,
}

/// Figures of an instrument's prints, chunk by chunk, as they stream past.
#[derive(Debug, Clone)]
pub struct MarketHistory {
    inst: Instrument,
    /// Start of the chunk being filled (ns since the epoch).
    open: Option<i64>,
    buf: Vec<RecTrade>,
    first: Option<Timestamp>,
    last: Timestamp,
    chunks: Vec<Chunk>,
}

fn chunk_start(t: Timestamp) -> i64 {
    t.0.div_euclid(CHUNK.0) * CHUNK.0
}

impl MarketHistory {
    /// An empty history of `inst` (its calendar, sessions, intraday curve and auction share).
    pub fn new(inst: Instrument) -> MarketHistory {
        MarketHistory { inst, open: None, buf: Vec::new(), first: None, last: Timestamp(0), chunks: Vec::new() }
    }

    /// The instrument.
    pub fn instrument(&self) -> &Instrument {
        &self.inst
    }

    /// One print (in time order; the caller checks the order).
    pub fn trade(&mut self, t: RecTrade) {
        let c = chunk_start(t.ts);
        if self.open.is_some_and(|o| o != c) {
            self.close_chunk(false);
        }
        self.open = Some(c);
        self.first.get_or_insert(t.ts);
        self.last = t.ts;
        self.buf.push(t);
    }

    /// Measures the last chunk (the data is over).
    pub fn finish(&mut self) {
        if self.open.is_some() {
            self.close_chunk(true);
        }
    }

    fn close_chunk(&mut self, at_end: bool) {
        let Some(c0) = self.open.take() else { return };
        let trades = std::mem::take(&mut self.buf);
        let (Some(first), Some(last)) = (trades.first().map(|t| t.ts), trades.last().map(|t| t.ts)) else { return };
        let nominal_end = Timestamp(c0 + CHUNK.0);
        // The span recorded: the whole chunk, except before the recording's
        // first print and after its last.
        let a = Timestamp(c0).max(self.first.unwrap_or(first));
        let b = if at_end { last } else { nominal_end };
        let share: f64 = sessions_between(self.inst.calendar, &self.inst.listing, a, b)
            .iter()
            .filter_map(|s| {
                let (x, y) = (a.max(s.open), b.min(s.close));
                (y > x).then(|| VolumeCurve::for_instrument(&self.inst, s).share_between(x, y))
            })
            .sum();
        let rec = Recording { trades: RecTrades::new(&trades), ..Recording::default() };
        let chunk = match estimate(&rec, &self.inst) {
            Ok(e) => Chunk {
                end: nominal_end,
                first: e.first,
                last: e.last,
                prints: e.trades,
                volume: e.volume.to_f64(),
                share,
                observed: e.observed.0,
                var_time: e.volatility.map(|v| v.daily * v.daily * e.observed.0 as f64),
                roll_bps: e.spread.map(|s| s.bps),
            },
            // No print inside a session: nothing traded in the session time it spans.
            Err(_) => Chunk {
                end: nominal_end,
                first,
                last,
                prints: 0,
                volume: 0.0,
                share,
                observed: 0,
                var_time: None,
                roll_bps: None,
            },
        };
        self.chunks.push(chunk);
    }

    /// The figures as of `at`: from the chunks that ended at or before it
    /// when they are enough, else from the whole recording (flagged), else
    /// why not. `quoted_spread_bps` is the spread of the last quote at or
    /// before `at`, when there are quotes (else Roll's estimate is used).
    pub fn figures(&self, at: Timestamp, quoted_spread_bps: Option<f64>) -> Result<MarketFigures, String> {
        let before = self.chunks.partition_point(|c| c.end <= at);
        match combine(&self.inst, &self.chunks[..before], HistorySpan::BeforeArrival, quoted_spread_bps) {
            Ok(f) => Ok(f),
            Err(short) => {
                combine(&self.inst, &self.chunks, HistorySpan::WholeRecording, quoted_spread_bps).map_err(|all| {
                    format!(
                        "not enough market data for an estimate: before the arrival {short}; the whole recording {all}"
                    )
                })
            }
        }
    }
}

fn combine(
    inst: &Instrument,
    chunks: &[Chunk],
    history: HistorySpan,
    quoted_spread_bps: Option<f64>,
) -> Result<MarketFigures, String> {
    let prints: usize = chunks.iter().map(|c| c.prints).sum();
    let observed: i64 = chunks.iter().map(|c| c.observed).sum();
    let volume: f64 = chunks.iter().map(|c| c.volume).sum();
    let share: f64 = chunks.iter().map(|c| c.share).sum();
    let (var_time, var_obs) = chunks
        .iter()
        .filter_map(|c| c.var_time.map(|v| (v, c.observed)))
        .fold((0.0, 0i64), |(v, o), (x, y)| (v + x, o + y));
    let mut missing = Vec::new();
    if observed < MIN_HISTORY.0 {
        missing.push(format!(
            "covers {:.0} min of session time (needs {:.0})",
            observed as f64 / 60e9,
            MIN_HISTORY.0 as f64 / 60e9
        ));
    }
    if prints < MIN_PRINTS {
        missing.push(format!("has {prints} prints inside sessions (needs {MIN_PRINTS})"));
    }
    if var_obs == 0 && observed >= MIN_HISTORY.0 {
        missing.push("gives no realised volatility (too few price changes on any sampling grid)".into());
    } else if var_obs > 0 && var_time <= 0.0 {
        // A zero estimate would make a zero impact: say so rather than estimate nothing.
        missing.push("shows no volatility: the price never moved beyond the bid-ask bounce".into());
    }
    // Weighted by the session time each hour covered.
    let roll = weighted_median(chunks.iter().filter_map(|c| c.roll_bps.map(|b| (b, c.observed as f64))).collect());
    let spread = match (quoted_spread_bps, roll) {
        (Some(q), _) => Some((q, SpreadFrom::QuoteAtArrival)),
        (None, Some(r)) => Some((r, SpreadFrom::Roll)),
        (None, None) => None,
    };
    if spread.is_none() && missing.is_empty() {
        missing.push(
            "gives no spread: no quotes, and consecutive prints do not bounce (Roll's estimator needs a negative covariance)"
                .into(),
        );
    }
    if share <= 0.0 && missing.is_empty() {
        missing.push("falls outside the instrument's sessions".into());
    }
    match (missing.is_empty(), spread, chunks.first(), chunks.last()) {
        (true, Some((spread_bps, spread_from)), Some(f), Some(l)) => Ok(MarketFigures {
            history,
            from: f.first,
            until: l.last,
            session_time_s: observed as f64 / 1e9,
            prints,
            adv: volume / share / (1.0 - inst.auction_share).max(f64::MIN_POSITIVE),
            daily_vol: (var_time / var_obs as f64).max(0.0).sqrt(),
            spread_bps,
            spread_from,
            avg_trade_size: volume / prints as f64,
        }),
        _ if missing.is_empty() => Err("has no prints".into()),
        _ => Err(missing.join(", ")),
    }
}
