//! The replay source of an `InstrumentMarket`: recorded quotes become the
//! venue's book and recorded trades its flow, shifted by our own impact (see
//! `market::replay` for the rules). The engine, venues, router and algorithms
//! see the same market interface as with the synthetic process.

use super::venue::QuoteParams;
use super::{InstrumentMarket, MarketParams, TradeDraw, VenueMarket};
use crate::market::book::DEPTH;
use crate::market::replay::coefficients::{Coefficient, recorded_instrument};
use crate::market::replay::estimate::estimate_before;
use crate::market::replay::trades::Pos;
use crate::market::replay::{RecQuote, RecTrade, Recording};
use crate::market::session::Session;
use crate::market::universe::Universe;
use crate::model::{Price, Qty, Rounding, Side, Timestamp};
use book::{Levels, Recorded, depth_offsets, made_touch, quote_recorded};
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Arc;

/// What a replay runs on, for reports.
#[derive(Debug, Clone, Serialize)]
pub struct ReplaySummary {
    /// The recorded files.
    pub source: String,
    /// The venue it is replayed on.
    pub venue: String,
    /// Recorded trades and quotes.
    pub trades: usize,
    /// Recorded quotes.
    pub quotes: usize,
    /// The instrument figures the market runs on, each with its source.
    pub coefficients: Vec<Coefficient>,
    /// Our participation is measured against the recorded volume of this
    /// trailing window (the transient impact's decay time), seconds.
    pub participation_window_s: f64,
}

/// What a replay did to one order's market, for its report.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    /// What the replay runs on.
    #[serde(flatten)]
    pub summary: ReplaySummary,
    /// The recorded price the order's arrival was taken from.
    pub arrival: Option<crate::market::replay::Reference>,
    /// Our impact on the recorded prices.
    pub impact: ImpactReport,
}

/// Our impact as a replay applied it to the recorded prices and book.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ImpactReport {
    /// The largest shift (in absolute value) added to the recording.
    pub max_shift: Price,
    /// The same in bps of the recording's price level.
    pub max_shift_bps: f64,
    /// The shift in force at the end of the run.
    pub final_shift: Price,
    /// Times the shift changed.
    pub changes: usize,
}

/// Where a replay stands in its recording.
#[derive(Debug, Clone)]
pub struct ReplayState {
    rec: Arc<Recording>,
    next_quote: usize,
    /// The next recorded trade (read ahead), and where the one after it starts.
    upcoming: Option<RecTrade>,
    cursor: Pos,
    /// The quote in force.
    quote: Option<usize>,
    last_px: Option<Price>,
    last_quoted: Timestamp,
    /// The recording's last event (trade or quote; for bars the end of the
    /// last bar): past it the venue's book is withdrawn, since nothing was
    /// recorded to trade with.
    data_end: Timestamp,
    /// True once the book has been withdrawn past `data_end`.
    ended: bool,
    /// Price of the recorded trade drawn last, with our impact (what the venue matches it at).
    printing: Option<Price>,
    /// Recorded volume (raw units) printed inside the participation window.
    window_vol: f64,
    /// The recorded trades replayed and still inside the window, oldest
    /// first: time and size (raw units). Kept rather than decoded a second
    /// time from the recording when they leave the window.
    window: VecDeque<(Timestamp, f64)>,
    window_ns: i64,
    /// Recorded volume a window holds at the recording's average pace.
    window_expected: f64,
    /// The same at the pace of the instrument's ADV (auction included), the
    /// pace the transient coefficient is stated against.
    window_adv: f64,
    /// Our impact on the recorded prices from each time on (an entry per change).
    shifts: Vec<(Timestamp, Price)>,
    /// The shift the venue's book was last quoted with.
    book_shift: Price,
    /// The shift worked out last, and the times from and through which it
    /// is known to be the same until our next fill (see `replay_shift`).
    shift_memo: Option<(Timestamp, Timestamp, Price)>,
    /// How far ahead the last shift was checked to hold, ns: the next
    /// check looks twice as far, or a quarter as far after a miss.
    shift_span: i64,
    /// How far each level extrapolated behind a recorded top of book lies
    /// from it (raw price units, level 0 the recorded touch): the impact
    /// model's depth profile (see `depth_offsets`).
    depth_offsets: [i64; DEPTH],
    summary: ReplaySummary,
}

fn mid_of(q: &RecQuote) -> Option<f64> {
    Some((q.bid()?.to_f64() + q.ask()?.to_f64()) / 2.0)
}

/// The first stretch our impact's shift is checked to hold over (see
/// `replay_shift`), and the longest, ns.
const SHIFT_SPAN_START: i64 = 100_000_000;
const SHIFT_SPAN_MAX: i64 = 3_600_000_000_000;

/// A window's recorded volume never counts for less than this share of its
/// average, so a silent stretch of tape does not make one fill's impact unbounded.
const WINDOW_FLOOR: f64 = 0.1;

impl InstrumentMarket {
    /// A market of `universe` instrument `uidx` that replays `rec` on one venue
    /// (the recording's, else the instrument's listing venue). Its figures
    /// (price level, volume, volatility, spread, trade size, depth) come from
    /// the recording; a replay has no closing auction (recordings carry none).
    pub fn replay(
        universe: &Universe,
        uidx: usize,
        session: Session,
        origin: Timestamp,
        seed: u64,
        params: MarketParams,
        rec: Arc<Recording>,
    ) -> Result<InstrumentMarket, String> {
        InstrumentMarket::replay_with_levels(universe, uidx, session, origin, seed, params, rec, None)
    }

    /// [`InstrumentMarket::replay`] with the level figures estimated from
    /// what was recorded before `levels_before` only (the whole recording
    /// when `None`): no look-ahead when the replay starts inside it.
    #[allow(clippy::too_many_arguments)]
    pub fn replay_with_levels(
        universe: &Universe,
        uidx: usize,
        session: Session,
        origin: Timestamp,
        seed: u64,
        params: MarketParams,
        rec: Arc<Recording>,
        levels_before: Option<Timestamp>,
    ) -> Result<InstrumentMarket, String> {
        let base = &universe.instruments()[uidx];
        let est = estimate_before(&rec, base, levels_before).map_err(|e| format!("{}: {e}", rec.source))?;
        let (inst, coefficients) = recorded_instrument(base, &est);
        let session = Session { auction: None, ..session };
        let mut m = InstrumentMarket::with_instrument(universe, uidx, inst, session, origin, seed, params);
        let want = rec.venue.clone().unwrap_or_else(|| m.inst.listing.to_string());
        let names: Vec<String> = m.venues.iter().map(|v| universe.venue(v.venue).name.to_string()).collect();
        let slot = names.iter().position(|n| n.eq_ignore_ascii_case(&want)).ok_or_else(|| {
            format!("{} does not trade on {want}; allowed venues: {}", m.inst.symbol, names.join(", "))
        })?;
        let mut v: VenueMarket = m.venues.swap_remove(slot);
        v.share = 1.0;
        // The depth estimated from the recording is this venue's own.
        v.base_depth = m.inst.touch_depth.raw() as f64;
        m.venues = vec![v];
        m.cum_share = vec![1.0];
        let start = origin.max(session.open);
        let next_trade = rec.trades.partition_point_ts(|t| t < start);
        let mut cursor = rec.trades.pos(next_trade);
        let upcoming = rec.trades.read(&mut cursor);
        let next_quote = rec.quotes.partition_point(|q| q.ts <= start);
        // Nothing recorded after the start is known at the start (a reference
        // from later is flagged in reports, see `Recording::reference_at`).
        if let Some(r) = rec.reference_at(start) {
            m.fundamental = r.px;
        }
        let open = |t: Timestamp| (t < session.close).then_some(t);
        m.next_trade = upcoming.and_then(|t| open(t.ts));
        m.next_tick = open(start);
        let window_ns = m.transient_tau_ns() as i64;
        let window_tail = rec.trades.partition_point_ts(|t| t.0 <= start.0 - window_ns);
        let window: VecDeque<(Timestamp, f64)> = rec
            .trades
            .iter_from(window_tail)
            .take(next_trade.saturating_sub(window_tail))
            .map(|t| (t.ts, t.qty.raw() as f64))
            .collect();
        let window_vol = window.iter().map(|w| w.1).sum();
        let session_ns = (session.close.0 - session.open.0).max(1) as f64;
        let depth_offsets = depth_offsets(&m, m.venues[0].base_depth, m.venues[0].step);
        let continuous = m.inst.adv.raw() as f64 * (1.0 - m.inst.auction_share);
        let summary = ReplaySummary {
            source: rec.source.clone(),
            venue: universe.venue(m.venues[0].venue).name.to_string(),
            trades: rec.trades.len(),
            quotes: rec.quotes.len(),
            coefficients,
            participation_window_s: window_ns as f64 / 1e9,
        };
        m.replay = Some(Box::new(ReplayState {
            next_quote,
            upcoming,
            cursor,
            quote: next_quote.checked_sub(1),
            last_px: next_trade.checked_sub(1).and_then(|i| rec.trades.get(i)).map(|t| t.px),
            last_quoted: start,
            data_end: rec.span().map_or(start, |s| s.1),
            ended: false,
            printing: None,
            window_vol,
            window,
            window_ns,
            window_expected: continuous * window_ns as f64 / session_ns,
            window_adv: m.inst.adv.raw() as f64 * window_ns as f64 / session_ns,
            shifts: Vec::new(),
            book_shift: Price::ZERO,
            shift_memo: None,
            shift_span: SHIFT_SPAN_START,
            depth_offsets,
            summary,
            rec,
        }));
        Ok(m)
    }

    /// True when this market replays recorded data.
    pub fn is_replay(&self) -> bool {
        self.replay.is_some()
    }

    /// What a replay runs on (`None` for the synthetic market).
    pub fn replay_summary(&self) -> Option<&ReplaySummary> {
        self.replay.as_ref().map(|r| &r.summary)
    }

    /// A replay's report for an order that started at `start`.
    pub fn replay_report(&self, start: Timestamp) -> Option<ReplayReport> {
        let st = self.replay.as_deref()?;
        let max = st.shifts.iter().map(|s| s.1).max_by_key(|p| p.raw().unsigned_abs()).unwrap_or_default();
        Some(ReplayReport {
            summary: st.summary.clone(),
            arrival: st.rec.reference_at(start),
            impact: ImpactReport {
                max_shift: max,
                max_shift_bps: max.to_f64() / self.inst.ref_price.to_f64() * 1e4,
                final_shift: st.shifts.last().map_or(Price::ZERO, |s| s.1),
                changes: st.shifts.len(),
            },
        })
    }

    /// In a replay, why an order that worked from `from` to `to` on `side`
    /// (within `limit`, if any) ends with `left` unfilled, in the
    /// recording's terms: what it printed at or better than the limit over
    /// the part of the window it covers (the raw recording, without our
    /// impact), and when it ended if that was before `to`. `None` outside a
    /// replay.
    pub fn replay_residual(
        &self,
        side: Side,
        limit: Option<Price>,
        from: Timestamp,
        to: Timestamp,
        left: Qty,
    ) -> Option<String> {
        let st = self.replay.as_deref()?;
        let rec = &st.rec;
        let last = rec.span().map_or(to, |s| s.1);
        let until = to.min(last);
        let first = rec.trades.partition_point_ts(|t| t < from);
        let printed: Qty = rec
            .trades
            .iter_from(first)
            .take_while(|t| t.ts <= until)
            .filter(|t| limit.is_none_or(|l| !side.better(l, t.px)))
            .map(|t| t.qty)
            .sum();
        let tz = self.session.tz;
        let at = |t: Timestamp| t.in_tz(tz).format("%H:%M:%S%.3f").to_string();
        let within = match limit {
            Some(l) => format!(" at or better than the limit {l}"),
            None => String::new(),
        };
        // A window ending with the recording ends 1 ns after its last event
        // (`run`'s default, so the order sees it): only an earlier end is news.
        let ended = if last.0.saturating_add(1) < to.0 {
            format!(" (the recording ends at {})", at(last))
        } else {
            String::new()
        };
        Some(format!(
            "the recording printed {printed}{within} between {} and {} {}{ended}; {left} left",
            at(from.min(until)),
            at(until),
            tz.name()
        ))
    }

    /// In a replay, how far each book level extrapolated behind a recorded
    /// top of book lies from the recorded touch (index 0, the touch, is 0):
    /// the impact model's depth profile, on the tick grid.
    pub fn replay_depth_offsets(&self) -> Option<[Price; DEPTH]> {
        self.replay.as_deref().map(|st| st.depth_offsets.map(Price::from_raw))
    }

    /// The recording a replay runs on.
    pub fn recording(&self) -> Option<&Arc<Recording>> {
        self.replay.as_ref().map(|r| &r.rec)
    }

    /// Our impact as added to the recorded prices and book: (from, shift),
    /// one entry each time it changed (on the tick grid; none before our
    /// first fill).
    pub fn replay_shifts(&self) -> &[(Timestamp, Price)] {
        self.replay.as_ref().map_or(&[], |r| &r.shifts)
    }

    /// Every shift our impact added to the recording at some point during
    /// the instant `t`: the one in force before it, and any that took over at
    /// `t` (several events share an instant, e.g. a burst of prints with our
    /// fill in between).
    pub fn replay_shifts_at(&self, t: Timestamp) -> Vec<Price> {
        let s = self.replay_shifts();
        let (a, b) = (s.partition_point(|x| x.0 < t), s.partition_point(|x| x.0 <= t));
        let before = a.checked_sub(1).map_or(Price::ZERO, |i| s[i].1);
        std::iter::once(before).chain(s[a..b].iter().map(|x| x.1)).collect()
    }

    /// In a replay, the price of the trade drawn last, with our impact: the
    /// venue matches that trade by this price rather than against the touch.
    pub fn recorded_print(&self) -> Option<Price> {
        self.replay.as_ref().and_then(|r| r.printing)
    }

    /// In a replay, how much an aggressive fill's transient impact is scaled
    /// (1 outside a replay): the coefficient is stated against the ADV's pace,
    /// a replay measures our participation against the volume the recording
    /// printed over the trailing window instead, so a fill of `q` adds
    /// `temp_coeff * sigma * price * q / V_window`. Before the recording has
    /// run a whole window, its average pace stands in for the part not yet
    /// seen.
    pub(super) fn replay_participation_scale(&mut self, now: Timestamp) -> f64 {
        let Some(st) = self.replay.as_deref_mut() else { return 1.0 };
        // A fill follows: our impact changes.
        st.shift_memo = None;
        if st.window_expected <= 0.0 {
            return 1.0;
        }
        st.advance_window(now);
        let first = st.rec.trades.first().map_or(now, |t| t.ts);
        let seen = ((now.0 - first.0) as f64 / st.window_ns as f64).clamp(0.0, 1.0);
        let volume = st.window_vol + st.window_expected * (1.0 - seen);
        st.window_adv / volume.max(WINDOW_FLOOR * st.window_expected)
    }

    /// Our impact now on the tick grid, noted in the shift path when it changed.
    ///
    /// Worked out once for a stretch of time rather than at every print:
    /// until our next fill the impact only decays, monotonically, so when
    /// the shift's bounds over [now, now + span] ([`Impact::shift_bounds`],
    /// rounding error included) both round to the same tick, every print in
    /// that stretch gets that tick, as working it out each time would give.
    /// The span adapts: doubled after a stretch that held, a quarter after
    /// one that did not (then only `now` is known).
    fn replay_shift(&mut self, now: Timestamp) -> Price {
        if let Some((from, until, shift)) = self.replay.as_deref().and_then(|st| st.shift_memo)
            && from <= now
            && now <= until
        {
            // Noted in the path when it was worked out.
            return shift;
        }
        let tick = self.inst.tick_size;
        let on_grid = |raw: f64| {
            if raw == 0.0 {
                Price::ZERO
            } else {
                Price::from_f64(raw).unwrap_or_default().round_to(tick, Rounding::Nearest)
            }
        };
        let span = self.replay.as_deref().map_or(SHIFT_SPAN_START, |st| st.shift_span);
        let ahead = Timestamp(now.0.saturating_add(span));
        let (raw, (lo, hi)) = self.impact.shift_bounds(now, ahead);
        let shift = on_grid(raw);
        let holds = on_grid(lo) == shift && on_grid(hi) == shift;
        if let Some(st) = self.replay.as_deref_mut() {
            if st.shifts.last().map_or(!shift.is_zero(), |l| l.1 != shift) {
                st.shifts.push((now, shift));
            }
            st.shift_span = if holds { span.saturating_mul(2).min(SHIFT_SPAN_MAX) } else { (span / 4).max(1) };
            st.shift_memo = Some((now, if holds { ahead } else { now }, shift));
        }
        shift
    }

    /// Applies the recorded quotes due by `now`, re-quotes the venue and returns the next update time.
    pub(super) fn replay_tick(&mut self, now: Timestamp) -> Option<Timestamp> {
        let (tick_ns, close) = (self.tick_ns, self.session.close);
        let st = self.replay.as_deref_mut()?;
        if now > st.data_end {
            // Past the recording nothing was quoted or printed: no book to
            // trade with (the last quote left standing would fill orders at a
            // time the market was not recorded), and no mids for markouts.
            if !st.ended {
                st.ended = true;
                for v in &mut self.venues {
                    let book = v.book_to_rewrite();
                    book.bids.clear();
                    book.asks.clear();
                    book.ts = now;
                }
                self.events += self.venues.len() as u64;
            }
            self.next_tick = None;
            return None;
        }
        let data_end = st.data_end;
        let rec = Arc::clone(&st.rec);
        while st.next_quote < rec.quotes.len() && rec.quotes[st.next_quote].ts <= now {
            st.quote = Some(st.next_quote);
            st.next_quote += 1;
        }
        let next_quote = rec.quotes.get(st.next_quote).map(|q| q.ts);
        let next = if st.quote.is_some() {
            next_quote
        } else {
            // No quote yet: a book quoted around the last print, refreshed
            // when the next print is due (at most once a tick: a sparse tape
            // costs one refresh a print, not ten a second), and never after the
            // last print (nothing is known beyond the data, so markouts there
            // are not made up).
            let stop = rec.trades.last().map_or(now, |t| t.ts);
            let due = st.upcoming.map_or(now, |t| t.ts);
            let t = Timestamp((now.0 + tick_ns).max(due.0));
            let synthetic = (t <= stop).then_some(t);
            match (synthetic, next_quote) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        };
        // After the last recorded event, one more tick withdraws the book.
        let next = next.or_else(|| (now <= data_end).then_some(Timestamp(data_end.0 + 1)));
        self.replay_requote(now);
        self.next_tick = next.filter(|t| *t < close && *t > now);
        self.next_tick
    }

    /// Rebuilds the venue's book from the recorded quote in force (or around
    /// the last print before the first quote), shifted by our impact now and
    /// missing the liquidity we took that has not refilled.
    fn replay_requote(&mut self, now: Timestamp) {
        let shift = self.replay_shift(now);
        let (tick, lot, slope, tick_ns) =
            (self.inst.tick_size, self.inst.lot_size, self.params.depth_slope, self.tick_ns as f64);
        let offsets = self.replay.as_deref().map_or([0; DEPTH], |st| st.depth_offsets);
        let Some(st) = self.replay.as_deref_mut() else { return };
        let rec = Arc::clone(&st.rec);
        let dt = (now.0 - st.last_quoted.0).max(0) as f64;
        st.last_quoted = now;
        st.book_shift = shift;
        let quote = st.quote.map(|i| &rec.quotes[i]);
        if let Some(recorded) = quote.and_then(mid_of).or(st.last_px.map(|p| p.to_f64())) {
            self.fundamental = recorded;
        }
        let mid = self.mid(now);
        let from_bars = rec.from_bars;
        let params = QuoteParams { tick, lot, slope, step_ahead: 0.0 };
        for v in &mut self.venues {
            // Liquidity we took from the recorded levels refills over the
            // venue's resilience time, whatever the recording says (what we
            // took from the extrapolated depth refills with the tape's
            // prints instead, `replay_trade`). Nothing to refill is the usual
            // case, and a refresh one tick after the last the next most
            // usual: `powf(x, 1.0)` is exactly `x`, without the libm call.
            if v.depletion != [0.0; 2] {
                let refill = if dt == tick_ns { v.refill_per_tick } else { v.refill_per_tick.powf(dt / tick_ns) };
                for d in &mut v.depletion {
                    *d *= refill;
                    if *d < 1.0 {
                        *d = 0.0;
                    }
                }
            }
            match quote {
                Some(q) => quote_recorded(v, Levels::of(q), Recorded::Yes, shift, lot, slope, &offsets),
                None if from_bars => {
                    // Bars carry no book and no side: their prints, made
                    // evenly over each bar, cannot say where liquidity
                    // arrived, so the synthetic book stands, refilled over
                    // the venue's resilience time.
                    v.recorded_shown = [None; 2];
                    v.quote(mid, 1.0, params, now);
                }
                None => {
                    // Nothing recorded on the book yet (a trades-only
                    // recording, or before its first quote): a top of book
                    // made around the last print at the venue's spread and
                    // the typical touch, extrapolated behind like a recorded
                    // one, and none of it recorded, so all of it refills only
                    // as the tape prints. Its mid carries our impact as it
                    // is (the synthetic market's touch, as before), so no
                    // shift is added on top.
                    let [bid, ask] = made_touch(mid, v.half_spread, tick, v.base_depth, lot);
                    let made = Levels { bids: std::slice::from_ref(&bid), asks: std::slice::from_ref(&ask) };
                    quote_recorded(v, made, Recorded::No, Price::ZERO, lot, slope, &offsets);
                }
            }
            if !(quote.is_none() && from_bars) {
                v.book_to_rewrite().ts = now;
            }
        }
        self.events += self.venues.len() as u64;
        self.record_mids(now, mid);
    }

    /// The recorded trade due now, and the time of the next one.
    pub(super) fn replay_trade(&mut self, now: Timestamp) -> TradeDraw {
        let shift = self.replay_shift(now);
        if self.replay.as_deref().is_some_and(|st| st.book_shift != shift) {
            // Our impact moved since the book was last quoted: the book moves with the prints.
            self.replay_requote(now);
        }
        let (close, tick) = (self.session.close, self.inst.tick_size);
        let fundamental = self.fundamental;
        let none = TradeDraw { slot: 0, aggressor: Side::Buy, size: Qty::ZERO };
        let Some(st) = self.replay.as_deref_mut() else { return none };
        let Some(t) = st.upcoming else { return none };
        st.upcoming = st.rec.trades.read(&mut st.cursor);
        st.window_vol += t.qty.raw() as f64;
        st.window.push_back((t.ts, t.qty.raw() as f64));
        st.last_px = Some(t.px);
        // Our impact moves the recorded print, as it moves the recorded book.
        st.printing = Some(if shift.is_zero() { t.px } else { (t.px + shift).max(tick) });
        let next = st.upcoming.map(|t| t.ts.max(now));
        self.next_trade = next.filter(|t| *t < close);
        self.events += 1;
        // Without a recorded side, a trade at or above the recorded mid was bought.
        let aggressor = t.aggressor.unwrap_or(if t.px.to_f64() >= fundamental { Side::Buy } else { Side::Sell });
        // The tape shows this much liquidity arriving on the side it hit:
        // the extrapolated depth we took refills by it, and no faster.
        let resting = match aggressor {
            Side::Buy => 1,
            Side::Sell => 0,
        };
        for v in &mut self.venues {
            let d = &mut v.synthetic_depletion[resting];
            *d = (*d - t.qty.raw() as f64).max(0.0);
        }
        TradeDraw { slot: 0, aggressor, size: t.qty }
    }
}

impl ReplayState {
    /// Drops recorded trades older than the window from its volume.
    fn advance_window(&mut self, now: Timestamp) {
        while let Some(&(ts, qty)) = self.window.front() {
            if ts.0 > now.0 - self.window_ns {
                break;
            }
            self.window_vol -= qty;
            self.window.pop_front();
        }
        if self.window.is_empty() {
            // Exactly zero, not a float residue.
            self.window_vol = 0.0;
        }
    }
}

mod book;
#[cfg(test)]
mod tests;
