//! The synthetic market of one instrument: a latent mid that follows a seeded
//! random walk and our own trading's impact, per-venue L2 books quoted around
//! it with venue spread, depth and resilience, and market trades arriving as a
//! Poisson process that follows the intraday volume curve.
//!
//! Every random draw comes from a stream that our orders cannot influence (the
//! same number of draws happens whatever we do), so two runs with the same seed
//! see the same market except for the impact of what we traded.

use super::book::{Bbo, Level};
use super::curve::VolumeCurve;
use super::flow::{DEFAULT_SHAPE, Flow};
use super::impact::{DEFAULT_TRANSIENT, Impact, ImpactCoeffs, ImpactScale};
use super::intraday::IntradayShape;
use super::rng::{SimRng, Stream, stream};
use super::session::Session;
use super::tape::{MidSeries, Print, Tape};
use super::universe::Universe;
use crate::model::{AssetClass, Instrument, Money, Price, Qty, QueueModel, Side, Timestamp};
use rand::RngExt;

mod replay;
mod venue;
use rand_distr::{Exp1, StandardNormal};
pub use replay::{ImpactReport, ReplayReport, ReplayState, ReplaySummary};
use serde::{Deserialize, Serialize};
use venue::QuoteParams;
pub use venue::VenueMarket;

/// Tunable coefficients of the simulated market (documented in docs/market-model.md).
/// Missing fields take their defaults, so a ledger written by an older
/// version still reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MarketParams {
    /// Our impact's transient weight `k` (see `market::impact`).
    pub impact_transient: f64,
    /// Share of the daily price variance carried by others' order flow (the
    /// rest is the random walk); see `market::flow`.
    pub flow_share: f64,
    /// Growth of displayed depth per level away from the touch (level k holds 1 + slope*k times the touch).
    pub depth_slope: f64,
    /// Standard deviation of the slowly varying book-size noise.
    pub depth_noise: f64,
    /// Record every print and mid sample (TCA needs them; the benchmark measures with them on).
    pub record_tape: bool,
    /// Queue-position model of every venue (`None`: the universe's, by default risk-averse).
    pub queue: Option<QueueModel>,
    /// Others step one tick ahead of our resting order when it shows at least
    /// this many times the venue's touch size and the spread leaves room
    /// (0 turns it off).
    pub step_ahead: f64,
}

impl Default for MarketParams {
    fn default() -> Self {
        MarketParams {
            impact_transient: DEFAULT_TRANSIENT,
            flow_share: 0.5,
            depth_slope: 0.35,
            depth_noise: 0.25,
            record_tape: true,
            queue: None,
            step_ahead: 1.0,
        }
    }
}

/// Quote refresh interval by asset class, nanoseconds.
fn tick_interval(ac: AssetClass) -> i64 {
    match ac {
        AssetClass::Equity | AssetClass::Crypto => 100_000_000,
        AssetClass::Fx => 250_000_000,
        AssetClass::Bond => 500_000_000,
    }
}

/// The impact coefficients of an instrument under `params`.
pub fn impact_coeffs(inst: &Instrument, params: &MarketParams) -> ImpactCoeffs {
    ImpactCoeffs { y: inst.impact_y, transient: params.impact_transient, half_life_s: inst.impact_half_life_s }
}

fn side_ix(s: Side) -> usize {
    match s {
        Side::Buy => 0,
        Side::Sell => 1,
    }
}

/// A market trade drawn from the flow, before it is matched.
#[derive(Debug, Clone, Copy)]
pub struct TradeDraw {
    /// Venue slot.
    pub slot: usize,
    /// Side of the aggressor.
    pub aggressor: Side,
    /// Size the aggressor wants.
    pub size: Qty,
}

/// The simulated market of one instrument.
#[derive(Debug, Clone)]
pub struct InstrumentMarket {
    /// Index in the universe.
    pub uidx: usize,
    /// The instrument.
    pub inst: Instrument,
    /// Today's session.
    pub session: Session,
    /// Today's volume curve.
    pub curve: VolumeCurve,
    /// Venues, in the instrument's venue order.
    pub venues: Vec<VenueMarket>,
    /// Every print.
    pub tape: Tape,
    /// Mid sampled at every quote refresh.
    pub mids: MidSeries,
    /// The same samples without our own impact: the market as it would have
    /// been without our orders (every random draw is independent of them),
    /// which splits our cost into spread, impact and timing exactly.
    pub mids_without_us: MidSeries,
    /// When this market started printing (the engine's origin or the
    /// session's open, the later): its tape holds nothing before.
    pub began: Timestamp,
    /// Volume traded by others since the open (excluding our fills).
    pub market_volume: Qty,
    /// Notional traded by others since the open.
    pub market_notional: Money,
    /// Last print.
    pub last_trade: Option<(Timestamp, Price, Qty)>,
    /// Next quote refresh, if the session still runs.
    pub next_tick: Option<Timestamp>,
    /// Next market trade, if the session still runs.
    pub next_trade: Option<Timestamp>,
    /// Market events processed (trades plus venue book updates).
    pub events: u64,
    fundamental: f64,
    /// Our own trading's impact on the mid.
    impact: Impact,
    /// Others' flow: trade signs and the price moves they cause.
    flow: Flow,
    /// Intraday volatility and spread multipliers.
    shape: IntradayShape,
    /// Standard deviation of the random walk per quote refresh on an average
    /// stretch of the session (before the intraday multiplier).
    sigma_tick: f64,
    tick_ns: i64,
    /// The volume curve's bucket boundaries (`bucket_end` of each bucket's
    /// start, the close last) and each bucket's trade arrival rate per
    /// nanosecond, worked out once: the arrival of every trade needs them.
    arrivals: Arrivals,
    cum_share: Vec<f64>,
    params: MarketParams,
    rng_path: SimRng,
    rng_flow: SimRng,
    rng_book: SimRng,
    /// Recorded data driving this market instead of the synthetic process.
    replay: Option<Box<ReplayState>>,
}

impl InstrumentMarket {
    /// The market of `inst` for `session`, starting no earlier than `origin`.
    pub fn new(
        universe: &Universe,
        uidx: usize,
        session: Session,
        origin: Timestamp,
        seed: u64,
        params: MarketParams,
    ) -> InstrumentMarket {
        let inst = universe.instruments()[uidx].clone();
        Self::with_instrument(universe, uidx, inst, session, origin, seed, params)
    }

    /// The same with the instrument's figures given (a replay takes them
    /// from its recording rather than the universe).
    pub(crate) fn with_instrument(
        universe: &Universe,
        uidx: usize,
        inst: Instrument,
        session: Session,
        origin: Timestamp,
        seed: u64,
        params: MarketParams,
    ) -> InstrumentMarket {
        let curve = VolumeCurve::for_instrument(&inst, &session);
        let tick_ns = tick_interval(inst.asset_class);
        let session_ns = (session.close.0 - session.open.0).max(1) as f64;
        let ref_px = inst.ref_price.to_f64();
        let sigma_abs = ref_px * inst.daily_vol;
        let venues: Vec<VenueMarket> = universe
            .routes(uidx)
            .iter()
            .map(|&(vid, share)| {
                let v = universe.venue(vid);
                let tick = inst.tick_size.to_f64();
                let half_spread = (inst.half_spread() * v.spread_mult).max(tick * 0.5);
                // Levels one tick apart unless the tick is tiny against the spread (crypto).
                let step_ticks = ((inst.half_spread() / tick).round() as i64).max(1);
                VenueMarket::new(
                    vid,
                    share,
                    half_spread,
                    Price::from_raw(inst.tick_size.raw() * step_ticks),
                    inst.touch_depth.raw() as f64 * share * v.depth_mult,
                    (-(tick_ns as f64) / (v.resilience_ms * 1e6)).exp(),
                )
            })
            .collect();
        let mut cum_share = Vec::with_capacity(venues.len());
        let mut acc = 0.0;
        for v in &venues {
            acc += v.share;
            cum_share.push(acc);
        }
        let start = origin.max(session.open);
        let first_tick = if start < session.close { Some(start) } else { None };
        let idx = uidx as u64;
        let trades_per_day = inst.adv.to_f64() * (1.0 - inst.auction_share) / inst.avg_trade_size.to_f64();
        let flow_share = params.flow_share.clamp(0.0, 1.0);
        let mut rng_flow = stream(seed, Stream::Flow, idx);
        let flow = Flow::new(
            DEFAULT_SHAPE,
            Flow::theta_for(sigma_abs, flow_share, trades_per_day),
            inst.avg_trade_size.to_f64(),
            rng_flow.random(),
        );
        let shape = IntradayShape::new(&curve, inst.asset_class);
        let mut m = InstrumentMarket {
            uidx,
            tape: Tape::new(params.record_tape),
            mids: MidSeries::new(start, tick_ns),
            mids_without_us: MidSeries::new(start, tick_ns),
            began: start,
            market_volume: Qty::ZERO,
            market_notional: Money::ZERO,
            last_trade: None,
            next_tick: first_tick,
            next_trade: None,
            events: 0,
            fundamental: ref_px,
            impact: Impact::new(
                impact_coeffs(&inst, &params),
                ImpactScale { price: ref_px, daily_vol: inst.daily_vol, daily_volume: inst.adv.to_f64() },
                start,
            ),
            flow,
            shape,
            sigma_tick: sigma_abs * (tick_ns as f64 / session_ns * (1.0 - flow_share)).sqrt(),
            tick_ns,
            arrivals: Arrivals::new(&curve, trades_per_day),
            cum_share,
            rng_path: stream(seed, Stream::Path, idx),
            rng_flow,
            rng_book: stream(seed, Stream::Book, idx),
            replay: None,
            params,
            inst,
            session,
            curve,
            venues,
        };
        if first_tick.is_some() {
            m.next_trade = m.arrival_after(start);
        }
        m
    }

    /// Quote refresh interval in nanoseconds.
    pub fn tick_ns(&self) -> i64 {
        self.tick_ns
    }

    /// The next arrival of a market trade after `t`: exponential waiting time
    /// against the piecewise-constant intensity of the volume curve.
    fn arrival_after(&mut self, t: Timestamp) -> Option<Timestamp> {
        let mut need: f64 = self.rng_flow.sample(Exp1);
        let mut now = t.max(self.session.open);
        while now < self.session.close {
            let (end, rate) = self.arrivals.at(now);
            let avail = rate * (end.0 - now.0) as f64;
            if rate > 0.0 && need < avail {
                let dt = (need / rate).ceil() as i64;
                return Some(Timestamp(now.0 + dt.max(1)));
            }
            need -= avail;
            now = end;
        }
        None
    }

    /// The latent mid now (fundamental plus our impact).
    pub fn mid(&self, now: Timestamp) -> f64 {
        (self.fundamental + self.impact(now)).max(self.inst.tick_size.to_f64())
    }

    /// Our own trading's impact on the price now (permanent plus decayed
    /// transient), in price units: what a replay adds to the recorded prices.
    pub fn impact(&self, now: Timestamp) -> f64 {
        self.impact.shift(now)
    }

    /// The latent mid without our impact.
    pub fn mid_without_us(&self) -> f64 {
        self.fundamental.max(self.inst.tick_size.to_f64())
    }

    /// Samples the mid (`mid`, ours included) and the mid without us at a quote refresh.
    pub(super) fn record_mids(&mut self, now: Timestamp, mid: f64) {
        self.mids.record(now, mid);
        self.mids_without_us.record(now, self.mid_without_us());
    }

    /// The impact of our trading that stays, in price units.
    pub fn permanent_impact(&self) -> f64 {
        self.impact.permanent_shift()
    }

    /// Our impact model's state.
    pub fn impact_model(&self) -> &Impact {
        &self.impact
    }

    /// The intraday spread multiplier at `t` (1 on average over the session).
    pub fn spread_multiplier(&self, t: Timestamp) -> f64 {
        self.shape.spread(&self.curve, t)
    }

    /// The intraday variance multiplier of the mid at `t` (1 on average over
    /// the session): the random walk's part follows the intraday shape
    /// (trading time and the equity open spike), others' flow the volume
    /// curve (its moves come with its trades).
    pub fn variance_multiplier(&self, t: Timestamp) -> f64 {
        let f = self.params.flow_share.clamp(0.0, 1.0);
        let len = (self.curve.close.0 - self.curve.open.0).max(1) as f64;
        (1.0 - f) * self.shape.variance(&self.curve, t) + f * self.curve.density_at(t) * len
    }

    /// Moves the mid for our own fill, passive or aggressive alike: the
    /// square-root law is measured on every execution of a metaorder. In a
    /// replay the transient part is scaled by the volume the recording
    /// actually printed (`replay_participation_scale`).
    pub fn apply_impact(&mut self, side: Side, qty: Qty, now: Timestamp) {
        let scale = self.replay_participation_scale(now);
        self.impact.trade_scaled(qty.to_f64() * side.sign() as f64, now, scale);
    }

    /// The transient impact's e-folding time (half-life / ln 2), nanoseconds.
    pub fn transient_tau_ns(&self) -> f64 {
        self.impact.coeffs().half_life_s * 1e9 / std::f64::consts::LN_2
    }

    /// Quote refresh: advance the random walk one step, refill consumed
    /// liquidity and re-quote every venue. Returns the next refresh time.
    pub fn on_tick(&mut self, now: Timestamp) -> Option<Timestamp> {
        if self.replay.is_some() {
            return self.replay_tick(now);
        }
        let z: f64 = self.rng_path.sample(StandardNormal);
        let (volatility, spread) = self.shape.volatility_and_spread(&self.curve, now);
        self.fundamental += self.sigma_tick * volatility * z;
        let mid = self.mid(now);
        let quote = QuoteParams {
            tick: self.inst.tick_size,
            lot: self.inst.lot_size,
            slope: self.params.depth_slope,
            step_ahead: self.params.step_ahead,
        };
        let noise_sd = self.params.depth_noise;
        for v in &mut self.venues {
            for s in 0..2 {
                let e: f64 = self.rng_book.sample(StandardNormal);
                // AR(1) around zero: book size wanders slowly.
                v.noise[s] = 0.98 * v.noise[s] + noise_sd * 0.2 * e;
                v.depletion[s] *= v.refill_per_tick;
                if v.depletion[s] < 1.0 {
                    v.depletion[s] = 0.0;
                }
            }
            v.quote(mid, spread, quote, now);
        }
        self.events += self.venues.len() as u64;
        self.record_mids(now, mid);
        let next = Timestamp(now.0 + self.tick_ns);
        self.next_tick = (next < self.session.close).then_some(next);
        self.next_tick
    }

    /// Draws the market trade due now and schedules the next arrival. The same
    /// draws happen whatever the book looks like.
    pub fn draw_trade(&mut self, now: Timestamp) -> TradeDraw {
        if self.replay.is_some() {
            return self.replay_trade(now);
        }
        let u_venue: f64 = self.rng_flow.random();
        let u_switch: f64 = self.rng_flow.random();
        let u_side: f64 = self.rng_flow.random();
        let e: f64 = self.rng_flow.sample(Exp1);
        let slot = self.cum_share.iter().position(|c| u_venue < *c).unwrap_or(self.venues.len() - 1);
        let aggressor = self.flow.next_side(u_switch, u_side);
        let lot = self.inst.lot_size;
        let size = Qty::from_f64(self.inst.avg_trade_size.to_f64() * e).unwrap_or(lot).round_down_to(lot).max(lot);
        // The trade's surprise moves the price for good (others' information).
        self.fundamental += self.flow.price_move(aggressor, size.to_f64());
        self.next_trade = self.arrival_after(now);
        self.events += 1;
        TradeDraw { slot, aggressor, size }
    }

    /// Others' liquidity at `slot` consumed by a trade: it leaves the top of the
    /// resting side and refills over the venue's resilience time.
    pub fn consume(&mut self, slot: usize, resting: Side, qty: Qty) {
        let v = &mut self.venues[slot];
        let s = side_ix(resting);
        let q = qty.raw() as f64;
        match &mut v.recorded_shown[s] {
            // A replay's recorded book: what is taken beyond the recorded
            // levels comes from the extrapolated depth, refilled by the tape.
            Some(shown) => {
                let recorded = q.min(*shown);
                *shown -= recorded;
                v.depletion[s] += recorded;
                v.synthetic_depletion[s] += q - recorded;
            }
            None => v.depletion[s] += q,
        }
        v.side_mut(resting).eat_from_top(qty);
    }

    /// Records a print on the tape (and in the market volume unless it is ours).
    pub fn print(&mut self, p: Print) {
        let notional = Money::notional(p.px, p.qty);
        if !p.ours {
            self.market_volume += p.qty;
            self.market_notional += notional;
        }
        self.last_trade = Some((p.ts, p.px, p.qty));
        self.tape.push_priced(p, notional);
    }

    /// Best bid and offer across venues (others' liquidity only).
    pub fn nbbo(&self) -> Bbo {
        let mut bbo = Bbo::default();
        for v in &self.venues {
            let book = v.book();
            if let Some(b) = book.bids.best() {
                bbo.bid = Some(merge_best(bbo.bid, b, |a, b| a > b));
            }
            if let Some(a) = book.asks.best() {
                bbo.ask = Some(merge_best(bbo.ask, a, |a, b| a < b));
            }
        }
        bbo
    }

    /// The near touch across venues for `side` (the best bid for a buyer):
    /// `nbbo().near(side)`, reading that side of each book only.
    pub fn near_touch(&self, side: Side) -> Option<Level> {
        let mut best = None;
        for v in &self.venues {
            if let Some(l) = v.built_side(side).best() {
                best = Some(match side {
                    Side::Buy => merge_best(best, l, |a, b| a > b),
                    Side::Sell => merge_best(best, l, |a, b| a < b),
                });
            }
        }
        best
    }

    /// Expected continuous market volume between two times, from the curve.
    pub fn expected_volume(&self, t0: Timestamp, t1: Timestamp) -> f64 {
        self.inst.adv.to_f64() * (1.0 - self.inst.auction_share) * self.curve.share_between(t0, t1)
    }
}

/// `VolumeCurve::bucket_end` and the trade rate `trades_per_day *
/// VolumeCurve::density_at` inside the session, from tables: the same
/// values (the same expressions, evaluated once per bucket), without two
/// float divisions and a libm `round` per trade.
#[derive(Debug, Clone)]
struct Arrivals {
    open: Timestamp,
    /// Bucket length, as the curve computes it.
    len: f64,
    /// `ends[j]`: where bucket `j - 1` ends (`ends[0]` is the open).
    ends: Vec<Timestamp>,
    rates: Vec<f64>,
}

impl Arrivals {
    fn new(curve: &VolumeCurve, trades_per_day: f64) -> Arrivals {
        let n = curve.shares.len();
        let len = (curve.close.0 - curve.open.0) as f64 / n as f64;
        Arrivals {
            open: curve.open,
            len,
            ends: (0..=n).map(|j| Timestamp(curve.open.0 + (j as f64 * len).round() as i64).min(curve.close)).collect(),
            rates: curve.shares.iter().map(|s| trades_per_day * (s / len)).collect(),
        }
    }

    /// The end of the bucket holding `t` and the arrival rate in it, for
    /// `t` inside the session.
    fn at(&self, t: Timestamp) -> (Timestamp, f64) {
        let n = self.rates.len();
        let b = ((t.0 - self.open.0) as f64 / self.len) as usize;
        let end = self.ends.get((b + 1).min(n)).copied().unwrap_or(t).max(Timestamp(t.0 + 1));
        (end, self.rates.get(b.min(n - 1)).copied().unwrap_or(0.0))
    }
}

fn merge_best(cur: Option<Level>, new: Level, better: impl Fn(Price, Price) -> bool) -> Level {
    match cur {
        None => new,
        Some(c) if better(new.px, c.px) => new,
        Some(c) if c.px == new.px => Level { px: c.px, qty: c.qty + new.qty },
        Some(c) => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::session::session;
    use chrono::NaiveDate;

    fn aapl(seed: u64) -> InstrumentMarket {
        let u = Universe::builtin();
        let i = u.instrument_index("AAPL").unwrap();
        let s = session(u.instruments()[i].calendar, "NASDAQ", NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()).unwrap();
        InstrumentMarket::new(&u, i, s, s.open, seed, MarketParams::default())
    }

    #[test]
    fn books_are_quoted_uncrossed_around_the_mid() {
        let mut m = aapl(1);
        let t = m.next_tick.unwrap();
        m.on_tick(t);
        let mid = m.mid(t);
        for v in &m.venues {
            assert_eq!(v.book().bids.levels().len(), 10);
            assert!(!v.book().is_crossed());
            assert!(v.book().bids.best_px().unwrap().to_f64() < mid);
            assert!(v.book().asks.best_px().unwrap().to_f64() > mid);
        }
        let nbbo = m.nbbo();
        assert!(nbbo.bid.unwrap().px < nbbo.ask.unwrap().px);
    }

    #[test]
    fn consumed_liquidity_refills_over_time() {
        let mut m = aapl(2);
        let t = m.next_tick.unwrap();
        m.on_tick(t);
        let before = m.venues[0].book().asks.total();
        let touch = m.venues[0].book().asks.best().unwrap();
        m.consume(0, Side::Sell, touch.qty);
        assert_ne!(m.venues[0].book().asks.best().unwrap().px, touch.px, "touch removed");
        // One tick later it has not fully refilled...
        m.on_tick(Timestamp(t.0 + m.tick_ns()));
        let shortly = m.venues[0].book().asks.total();
        // ...after a minute it has.
        let mut now = Timestamp(t.0 + m.tick_ns());
        for _ in 0..600 {
            now = Timestamp(now.0 + m.tick_ns());
            m.on_tick(now);
        }
        let later = m.venues[0].book().asks.total();
        assert!(shortly.to_f64() < later.to_f64() * 0.99 || shortly < before, "{shortly} {later} {before}");
        assert_eq!(m.venues[0].depletion[1], 0.0);
    }

    #[test]
    fn trades_follow_the_u_shaped_curve() {
        let mut m = aapl(3);
        let mut n_first = 0;
        let mut n_mid = 0;
        let open = m.session.open;
        while let Some(t) = m.next_trade {
            let _ = m.draw_trade(t);
            let mins = (t.0 - open.0) / 60_000_000_000;
            if mins < 30 {
                n_first += 1;
            } else if (180..210).contains(&mins) {
                n_mid += 1;
            }
        }
        assert!(n_first as f64 > 1.8 * n_mid as f64, "first half hour {n_first}, midday {n_mid}");
        // Roughly ADV * (1 - auction share) / avg trade size trades per day.
        let expected = 55e6 * 0.93 / 110.0;
        assert!((m.events as f64 - expected).abs() < expected * 0.05, "{} vs {expected}", m.events);
    }

    /// The arrival tables give what the curve gives, bit for bit, all day
    /// (bucket ends rounded either way included).
    #[test]
    fn arrival_tables_match_the_curve() {
        let m = aapl(5);
        let c = &m.curve;
        let trades_per_day = m.inst.adv.to_f64() * (1.0 - m.inst.auction_share) / m.inst.avg_trade_size.to_f64();
        let mut t = c.open;
        while t < c.close {
            let (end, rate) = m.arrivals.at(t);
            assert_eq!(end, c.bucket_end(t), "{t:?}");
            assert_eq!(rate.to_bits(), (trades_per_day * c.density_at(t)).to_bits(), "{t:?}");
            let edge = Timestamp(c.bucket_end(t).0 - 1);
            if edge > t && edge < c.close {
                assert_eq!(m.arrivals.at(edge).0, c.bucket_end(edge));
                assert_eq!(m.arrivals.at(edge).1.to_bits(), (trades_per_day * c.density_at(edge)).to_bits());
            }
            t = Timestamp(t.0 + 7_777_777_777);
        }
    }

    /// AAPL: Y 0.6, sigma 1.6%, price 230, ADV 55M, so the shift is
    /// 0.6 x 0.016 x 230 x sqrt(J / 55M). Buying 1M at once: J = 2.25M, 1.4122;
    /// six hours (36 half-lives) later J = 1M, 0.29775 stays.
    #[test]
    fn impact_moves_the_mid_and_transient_part_decays() {
        let mut m = aapl(4);
        let t = m.next_tick.unwrap();
        m.on_tick(t);
        let base = m.mid(t);
        m.apply_impact(Side::Buy, Qty::from_int(1_000_000), t);
        let unit = 0.6 * 0.016 * 230.0 / 55e6f64.sqrt();
        assert!((m.mid(t) - base - unit * 2.25e6f64.sqrt()).abs() < 1e-9);
        let later = m.mid(Timestamp(t.0 + 6 * 3_600_000_000_000));
        assert!((later - base - unit * 1e3).abs() < 1e-6, "{}", later - base);
        assert!((m.permanent_impact() - unit * 1e3).abs() < 1e-12);
    }
}
