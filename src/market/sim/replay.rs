//! The replay source of an `InstrumentMarket`: recorded quotes become the
//! venue's book and recorded trades its flow, with our own impact on top
//! (see `market::replay` for the rules). The engine, venues, router and
//! algorithms see the same market interface as with the synthetic process.

use super::{InstrumentMarket, MarketParams, TradeDraw, VenueMarket, quote_venue};
use crate::market::book::DEPTH;
use crate::market::replay::{RecQuote, Recording};
use crate::market::session::Session;
use crate::market::universe::Universe;
use crate::model::{Price, Qty, Rounding, Side, Timestamp};
use std::sync::Arc;

/// Where a replay stands in its recording.
#[derive(Debug, Clone)]
pub struct ReplayState {
    rec: Arc<Recording>,
    next_quote: usize,
    next_trade: usize,
    /// The quote in force.
    quote: Option<usize>,
    last_px: Option<Price>,
    last_tick: Timestamp,
    /// Price of the recorded trade drawn last (what the venue matches it at).
    printing: Option<Price>,
}

fn mid_of(q: &RecQuote) -> Option<f64> {
    Some((q.bid()?.to_f64() + q.ask()?.to_f64()) / 2.0)
}

impl InstrumentMarket {
    /// A market of `universe` instrument `uidx` that replays `rec` on one venue
    /// (the recording's, else the instrument's listing venue).
    pub fn replay(
        universe: &Universe,
        uidx: usize,
        session: Session,
        origin: Timestamp,
        seed: u64,
        params: MarketParams,
        rec: Arc<Recording>,
    ) -> Result<InstrumentMarket, String> {
        let mut m = InstrumentMarket::new(universe, uidx, session, origin, seed, params);
        let want = rec.venue.clone().unwrap_or_else(|| m.inst.listing.to_string());
        let names: Vec<String> = m.venues.iter().map(|v| universe.venue(v.venue).name.to_string()).collect();
        let slot = names.iter().position(|n| n.eq_ignore_ascii_case(&want)).ok_or_else(|| {
            format!("{} does not trade on {want}; allowed venues: {}", m.inst.symbol, names.join(", "))
        })?;
        let mut v: VenueMarket = m.venues.swap_remove(slot);
        v.share = 1.0;
        m.venues = vec![v];
        m.cum_share = vec![1.0];
        let start = origin.max(session.open);
        let next_trade = rec.trades.partition_point(|t| t.ts < start);
        let next_quote = rec.quotes.partition_point(|q| q.ts <= start);
        let quote = next_quote.checked_sub(1);
        let first_mid = quote
            .or((!rec.quotes.is_empty()).then_some(0))
            .and_then(|i| mid_of(&rec.quotes[i]))
            .or_else(|| rec.trades.get(next_trade).map(|t| t.px.to_f64()));
        if let Some(mid) = first_mid {
            m.fundamental = mid;
        }
        let open = |t: Timestamp| (t < session.close).then_some(t);
        m.next_trade = rec.trades.get(next_trade).and_then(|t| open(t.ts));
        m.next_tick = if rec.quotes.is_empty() || quote.is_some() {
            open(start)
        } else {
            rec.quotes.get(next_quote).and_then(|q| open(q.ts))
        };
        m.replay = Some(Box::new(ReplayState {
            rec,
            next_quote,
            next_trade,
            quote,
            last_px: None,
            last_tick: start,
            printing: None,
        }));
        Ok(m)
    }

    /// True when this market replays recorded data.
    pub fn is_replay(&self) -> bool {
        self.replay.is_some()
    }

    /// In a replay, the recorded price of the trade drawn last: the venue
    /// matches that trade by its printed price rather than against the touch.
    pub fn recorded_print(&self) -> Option<Price> {
        self.replay.as_ref().and_then(|r| r.printing)
    }

    /// Applies the recorded quotes due by `now`, re-quotes the venue and returns the next update time.
    pub(super) fn replay_tick(&mut self, now: Timestamp) -> Option<Timestamp> {
        let tick_ns = self.tick_ns as f64;
        let (tick, lot, slope, close) =
            (self.inst.tick_size, self.inst.lot_size, self.params.depth_slope, self.session.close);
        let st = self.replay.as_deref_mut()?;
        let rec = Arc::clone(&st.rec);
        while st.next_quote < rec.quotes.len() && rec.quotes[st.next_quote].ts <= now {
            st.quote = Some(st.next_quote);
            st.next_quote += 1;
        }
        let dt = (now.0 - st.last_tick.0).max(0) as f64;
        st.last_tick = now;
        let quote = st.quote.map(|i| &rec.quotes[i]);
        let recorded = quote.and_then(mid_of).or(st.last_px.map(|p| p.to_f64()));
        let next = if rec.quotes.is_empty() {
            // Nothing is known after the last trade: stop there, so markouts beyond the data are not made up.
            let stop = rec.trades.last().map_or(now, |t| t.ts);
            let t = Timestamp(now.0 + self.tick_ns);
            (t <= stop).then_some(t)
        } else {
            rec.quotes.get(st.next_quote).map(|q| q.ts)
        };
        if let Some(mid) = recorded {
            self.fundamental = mid;
        }
        let mid = self.mid(now);
        let shift = Price::from_f64(mid - self.fundamental).unwrap_or_default().round_to(tick, Rounding::Nearest);
        for v in &mut self.venues {
            for s in 0..2 {
                // Liquidity we took refills over the venue's resilience time, whatever the recording says.
                v.depletion[s] *= v.refill_per_tick.powf(dt / tick_ns);
                if v.depletion[s] < 1.0 {
                    v.depletion[s] = 0.0;
                }
            }
            match quote {
                Some(q) => quote_recorded(v, q, shift, lot, slope),
                None => quote_venue(v, mid, tick, lot, slope),
            }
            v.book.ts = now;
        }
        self.events += self.venues.len() as u64;
        self.mids.record(now, mid);
        self.next_tick = next.filter(|t| *t < close && *t > now);
        self.next_tick
    }

    /// The recorded trade due now, and the time of the next one.
    pub(super) fn replay_trade(&mut self, now: Timestamp) -> TradeDraw {
        let close = self.session.close;
        let fundamental = self.fundamental;
        let none = TradeDraw { slot: 0, aggressor: Side::Buy, size: Qty::ZERO };
        let Some(st) = self.replay.as_deref_mut() else { return none };
        let Some(t) = st.rec.trades.get(st.next_trade).copied() else { return none };
        st.next_trade += 1;
        st.last_px = Some(t.px);
        st.printing = Some(t.px);
        let next = st.rec.trades.get(st.next_trade).map(|t| t.ts.max(now));
        self.next_trade = next.filter(|t| *t < close);
        self.events += 1;
        // Without a recorded side, a trade at or above the mid was bought.
        let aggressor = t.aggressor.unwrap_or(if t.px.to_f64() >= fundamental { Side::Buy } else { Side::Sell });
        TradeDraw { slot: 0, aggressor, size: t.qty }
    }
}

/// Quotes one venue from a recorded book shifted by our impact, with the
/// liquidity we took still missing from the top. A top-of-book-only
/// recording gets deeper levels one venue step apart, the touch size growing
/// by `slope` per level.
fn quote_recorded(v: &mut VenueMarket, q: &RecQuote, shift: Price, lot: Qty, slope: f64) {
    for (s, levels, dir) in [(0usize, &q.bids, -1i64), (1usize, &q.asks, 1i64)] {
        let side = if s == 0 { &mut v.book.bids } else { &mut v.book.asks };
        side.clear();
        let mut dep = v.depletion[s];
        let mut push = |px: Price, size: f64| {
            let eaten = dep.min(size);
            dep -= eaten;
            if px.is_positive() {
                side.push(px, Qty::from_raw((size - eaten) as i64).round_down_to(lot));
            }
        };
        for &(px, size) in levels.iter().take(DEPTH) {
            push(px + shift, size.raw() as f64);
        }
        if let [(px, size)] = levels.as_slice() {
            for k in 1..DEPTH as i64 {
                let p = Price::from_raw(px.raw() + shift.raw() + dir * k * v.step.raw());
                push(p, size.raw() as f64 * (1.0 + slope * k as f64));
            }
        }
    }
}
