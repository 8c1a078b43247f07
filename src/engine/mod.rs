//! The deterministic core: commands in, events out.
//!
//! Simulated time is integer nanoseconds; one priority queue orders every
//! job (market ticks and trades, child arrivals at venues, cancels, algorithm
//! timers, scheduled commands) by time and then by insertion. Every random
//! draw comes from a per-component seeded stream. The same seed and the same
//! commands therefore produce the same event log, byte for byte.
//!
//! The engine does no I/O. Drivers (`pace`) decide how fast simulated time
//! runs; the ledger and the API consume the events it emits.

mod analytics;
mod children;
pub mod command;
mod commands;
mod dispatch;
pub mod event;
mod order_stats;
pub mod pace;
mod queue;
mod restore;
mod risk;
mod risk_view;
pub mod view;
pub mod visibility;

use crate::algo::{Action, ExecAlgo, PlannedSlice};
use crate::market::replay::Recording;
use crate::market::rng::SimRng;
use crate::market::session::{self, Closed};
use crate::market::{InstrumentMarket, MarketParams, Universe};
use crate::model::{ChildOrder, Fill, Name, ParentId, ParentOrder, ParentStatus, Qty, Timestamp};
use crate::router::{RouteDecision, Router, VenueStats};
use crate::venue::{Exchange, Execution};
use children::{ChildSlot, FinishedKept, Slab};
use chrono::NaiveDate;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

pub use crate::market::Retention;
pub use children::FinishedChildren;
pub use command::{Actor, Amendment, Command, OrderRequest, Reject, RejectCode};
pub use event::{EngineEvent, EventKind};
pub use order_stats::RECENT_FILLS;
pub use restore::{RestorePoint, RestoreReport, RestoredParent};
pub use risk::{MAX_ORDER_NOTIONAL, MAX_ORDER_QTY, control_of};
pub use risk_view::{RiskView, TenantView};

/// How an engine is set up.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Seed of every random stream.
    pub seed: u64,
    /// Trading date (each instrument's exchange-local date).
    pub date: NaiveDate,
    /// Instruments to simulate (`None` = the whole universe).
    pub symbols: Option<Vec<String>>,
    /// Where simulated time starts (default: the earliest session open).
    pub origin: Option<Timestamp>,
    /// Market model coefficients.
    pub market: MarketParams,
    /// Recorded data replacing the synthetic market, by symbol.
    pub recordings: BTreeMap<String, Arc<Recording>>,
    /// Risk controls at start-up.
    pub risk: crate::risk::RiskConfig,
    /// A replay's level figures (price level, daily volume, volatility,
    /// spread, trade size, depth) from what was recorded before this time
    /// only (`None`: the whole recording).
    pub replay_levels_before: Option<Timestamp>,
    /// How much history the engine keeps: every print, mid sample and fill
    /// (`Full`, batch runs), or a recent window (`Bounded`, `serve`). The TCA
    /// is the same in both (running statistics).
    pub retention: Retention,
}

impl EngineConfig {
    /// Defaults for a date and seed.
    pub fn new(seed: u64, date: NaiveDate) -> EngineConfig {
        EngineConfig {
            seed,
            date,
            symbols: None,
            origin: None,
            market: MarketParams::default(),
            recordings: BTreeMap::new(),
            risk: crate::risk::RiskConfig::default(),
            replay_levels_before: None,
            retention: Retention::Full,
        }
    }
}

/// A scheduled piece of work.
#[derive(Debug)]
enum Job {
    Tick(usize),
    Trade(usize),
    Close(usize),
    Auction(usize),
    Arrive(usize),
    CancelArrive(usize),
    AmendArrive(usize),
    Start(usize),
    End(usize),
    Timer { parent: usize, token: u64, epoch: u32 },
    Command(Box<(Actor, Command)>),
}

/// Routing decisions kept per parent for the venue view.
const DECISIONS_KEPT: usize = 200;

#[derive(Debug)]
struct ParentSlot {
    order: ParentOrder,
    algo: Box<dyn ExecAlgo>,
    inst: usize,
    rng: SimRng,
    /// Keys of its children still in the slab, oldest first: cancelling a
    /// parent's children must not walk every child it ever sent, which made
    /// a day-long VWAP quadratic in its fills.
    open: Vec<usize>,
    /// Its finished children kept under the engine's retention policy, in
    /// the order they finished.
    done: VecDeque<ChildOrder>,
    live: usize,
    working: Qty,
    epoch: u32,
    started: bool,
    cancel_on_pause: bool,
    closing: Option<ParentStatus>,
    /// Why it is closing, when the engine closes it (its `Done` event and
    /// its TCA report say).
    closing_reason: Option<String>,
    /// Why it ended with a residual (its `Done` event's reason), kept for reports.
    done_reason: Option<String>,
    decisions: VecDeque<RouteDecision>,
    /// Its fills, oldest first (with `Retention::Bounded`, the most recent `RECENT_FILLS`).
    fills: Vec<Fill>,
    /// The running statistics its TCA reads.
    stats: order_stats::OrderStats,
    /// The pre-trade estimate recorded at submission.
    pre_trade: Option<Box<crate::tca::PreTrade>>,
}

/// The paper execution engine.
#[derive(Debug)]
pub struct Engine {
    universe: Arc<Universe>,
    seed: u64,
    date: NaiveDate,
    markets: Vec<InstrumentMarket>,
    /// Universe index -> active market index.
    active: Vec<Option<usize>>,
    closed: Vec<(usize, Closed)>,
    exchange: Exchange,
    router: Router,
    parents: Vec<ParentSlot>,
    children: Slab,
    /// Which finished children are kept, and in what order they finished.
    finished: FinishedKept,
    queue: queue::JobQueue<Job>,
    now: Timestamp,
    events: Vec<EngineEvent>,
    event_seq: u64,
    next_fill: u64,
    execs: Vec<Execution>,
    actions: Vec<Action>,
    dirty: Vec<usize>,
    trade_subs: Vec<Vec<usize>>,
    quote_subs: Vec<Vec<usize>>,
    /// Reused copy of a subscriber list while its algorithms are called
    /// (they may unsubscribe): no allocation per market event.
    subs_scratch: Vec<usize>,
    pending_commands: usize,
    /// Parents not yet in a final state.
    open_parents: usize,
    /// The same, by (tenant, user): the risk gate's max-open-orders check
    /// runs on every submit and must not scan every parent.
    open_by_owner: BTreeMap<(Name, Name), usize>,
    risk: crate::risk::RiskBook,
    /// This engine's number in its ledger (0: not recorded): the `E3` of `E3-P17`.
    number: u32,
    retention: Retention,
    /// Per market, the parents with fills (or an end mid) not yet final in their TCA.
    settling: Vec<Vec<usize>>,
    /// Per market, when `settling` is next looked at.
    next_settle: Vec<Timestamp>,
}

impl Engine {
    /// An engine over `universe` for one trading date.
    pub fn new(universe: Arc<Universe>, cfg: EngineConfig) -> Result<Engine, Reject> {
        let wanted: Vec<usize> = match &cfg.symbols {
            None => (0..universe.instruments().len()).collect(),
            Some(list) => list
                .iter()
                .map(|s| {
                    universe
                        .instrument_index(s)
                        .ok_or_else(|| Reject::field(RejectCode::UnknownSymbol, "symbol", universe.unknown_symbol(s)))
                })
                .collect::<Result<_, _>>()?,
        };
        let mut sessions = Vec::new();
        let mut closed = Vec::new();
        for &u in &wanted {
            let inst = &universe.instruments()[u];
            match session::session(inst.calendar, &inst.listing, cfg.date) {
                Ok(s) => sessions.push((u, s)),
                Err(c) => closed.push((u, c)),
            }
        }
        let origin = cfg.origin.unwrap_or_else(|| sessions.iter().map(|(_, s)| s.open).min().unwrap_or_default());
        let mut active = vec![None; universe.instruments().len()];
        let mut markets: Vec<InstrumentMarket> = Vec::with_capacity(sessions.len());
        for (i, (u, s)) in sessions.into_iter().enumerate() {
            active[u] = Some(i);
            let symbol = universe.instruments()[u].symbol.to_string();
            let m = match cfg.recordings.get(&symbol) {
                Some(rec) => InstrumentMarket::replay_with_levels(
                    &universe,
                    u,
                    s,
                    origin,
                    cfg.seed,
                    cfg.market.clone(),
                    rec.clone(),
                    cfg.replay_levels_before,
                )
                .map_err(|e| Reject::field(RejectCode::InvalidParam, "trades", e))?,
                None => InstrumentMarket::new(&universe, u, s, origin, cfg.seed, cfg.market.clone()),
            };
            markets.push(m);
        }
        let exchange = Exchange::new(&universe, &markets, cfg.seed)
            .with_queue_model(cfg.market.queue.unwrap_or(universe.queue_model()));
        let router = Router::new(markets.iter().map(|m| m.venues.len()));
        let n = markets.len();
        let mut e = Engine {
            universe,
            seed: cfg.seed,
            date: cfg.date,
            markets,
            active,
            closed,
            exchange,
            router,
            parents: Vec::new(),
            children: Slab::default(),
            finished: FinishedKept::default(),
            queue: queue::JobQueue::new(),
            now: origin,
            events: Vec::new(),
            event_seq: 0,
            next_fill: 0,
            execs: Vec::new(),
            actions: Vec::new(),
            dirty: Vec::new(),
            trade_subs: vec![Vec::new(); n],
            quote_subs: vec![Vec::new(); n],
            subs_scratch: Vec::new(),
            pending_commands: 0,
            open_parents: 0,
            open_by_owner: BTreeMap::new(),
            risk: crate::risk::RiskBook::new(cfg.risk.clone()),
            number: 0,
            retention: Retention::Full,
            settling: vec![Vec::new(); n],
            next_settle: vec![Timestamp(i64::MIN); n],
        };
        e.set_retention(cfg.retention);
        for i in 0..n {
            let m = &e.markets[i];
            let (tick, trade, close, auction) =
                (m.next_tick, m.next_trade, m.session.close, m.session.auction.map(|a| a.uncross));
            if let Some(t) = tick {
                e.push(t, Job::Tick(i));
            }
            if let Some(t) = trade {
                e.push(t, Job::Trade(i));
            }
            e.push(close.max(origin), Job::Close(i));
            if let (Some(t), Some(_)) = (auction, e.exchange.auction_slot(i)) {
                e.push(t.max(origin), Job::Auction(i));
            }
        }
        Ok(e)
    }

    fn push(&mut self, at: Timestamp, job: Job) {
        self.queue.push(at, job);
    }

    fn emit(&mut self, kind: EventKind) {
        self.event_seq += 1;
        self.events.push(EngineEvent { seq: self.event_seq, ts: self.now, kind });
    }

    /// Current simulated time.
    pub fn now(&self) -> Timestamp {
        self.now
    }
    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// The trading date.
    pub fn date(&self) -> NaiveDate {
        self.date
    }
    /// The instruments and venues.
    pub fn universe(&self) -> &Arc<Universe> {
        &self.universe
    }
    /// Time of the next scheduled job.
    pub fn next_time(&self) -> Option<Timestamp> {
        self.queue.peek().map(|e| e.at)
    }

    /// Processes the next job. Returns false when nothing is left to do.
    pub fn step(&mut self) -> bool {
        let Some(queue::Entry { at, job, .. }) = self.queue.pop() else { return false };
        if at > self.now {
            self.now = at;
        }
        self.dispatch(job);
        true
    }

    /// Processes every job due at or before `t`, then sets the clock to `t`.
    pub fn run_until(&mut self, t: Timestamp) {
        while self.queue.peek().is_some_and(|e| e.at <= t) {
            self.step();
        }
        if t > self.now {
            self.now = t;
        }
    }

    /// Runs until every parent order is final and no command is pending (or
    /// nothing is left to simulate).
    pub fn run_until_idle(&mut self) {
        loop {
            if self.pending_commands == 0 && self.is_idle() {
                return;
            }
            if !self.step() {
                return;
            }
        }
    }

    /// Runs until nothing is left to simulate (the end of every session).
    pub fn run_to_end(&mut self) {
        while self.step() {}
    }

    /// Takes the events emitted since the last call.
    pub fn drain_events(&mut self) -> Vec<EngineEvent> {
        std::mem::take(&mut self.events)
    }

    /// Number of events emitted so far.
    pub fn event_count(&self) -> u64 {
        self.event_seq
    }

    /// Market events processed so far (trades plus venue book updates).
    pub fn market_events(&self) -> u64 {
        self.markets.iter().map(|m| m.events).sum()
    }

    /// Every simulated instrument market.
    pub fn markets(&self) -> &[InstrumentMarket] {
        &self.markets
    }

    /// One instrument's market, by symbol.
    pub fn market(&self, symbol: &str) -> Option<&InstrumentMarket> {
        let u = self.universe.instrument_index(symbol)?;
        self.active[u].map(|i| &self.markets[i])
    }

    /// The result of an instrument's closing auction, once it has run.
    pub fn auction_outcome(&self, symbol: &str) -> Option<crate::venue::auction::AuctionOutcome> {
        let u = self.universe.instrument_index(symbol)?;
        self.exchange.auction_outcome(self.active[u]?)
    }

    /// Why an instrument has no market today, if it is closed.
    pub fn closed_reason(&self, symbol: &str) -> Option<&Closed> {
        let u = self.universe.instrument_index(symbol)?;
        self.closed.iter().find(|(x, _)| *x == u).map(|(_, c)| c)
    }

    fn parent_index(&self, id: ParentId) -> Option<usize> {
        // Another engine's order is not this engine's order of the same number.
        if !id.matches(ParentId::new(self.number, id.n)) {
            return None;
        }
        let i = usize::try_from(id.n).ok()?.checked_sub(1)?;
        (i < self.parents.len()).then_some(i)
    }

    /// This engine's number in its ledger (0 when it is not recorded).
    pub fn number(&self) -> u32 {
        self.number
    }

    /// Numbers this engine as its ledger does, so its order ids name it
    /// (`E3-P17`). Only before its first order: ids never change once given.
    pub fn set_number(&mut self, number: u32) -> Result<(), Reject> {
        if !self.parents.is_empty() && number != self.number {
            return Err(Reject::new(RejectCode::StateConflict, "an engine with orders cannot be renumbered"));
        }
        self.number = number;
        Ok(())
    }

    /// Every parent order, oldest first.
    pub fn parents(&self) -> impl Iterator<Item = &ParentOrder> {
        self.parents.iter().map(|p| &p.order)
    }
    /// One parent order.
    pub fn parent(&self, id: ParentId) -> Option<&ParentOrder> {
        self.parent_index(id).map(|i| &self.parents[i].order)
    }
    /// Why a parent ended with quantity left, as its `Done` event said
    /// (`None` while working, when complete, or for a user's cancel).
    pub fn done_reason(&self, id: ParentId) -> Option<&str> {
        self.parent_index(id).and_then(|i| self.parents[i].done_reason.as_deref())
    }
    /// A parent's children, in the order they were sent: the working ones
    /// and the finished ones the retention policy kept (every one by
    /// default; see `keep_finished_children`).
    pub fn children(&self, id: ParentId) -> Vec<&ChildOrder> {
        self.parent_index(id).map(|i| self.children_of(&self.parents[i])).unwrap_or_default()
    }

    fn children_of<'a>(&'a self, p: &'a ParentSlot) -> Vec<&'a ChildOrder> {
        let mut out: Vec<&ChildOrder> = p.done.iter().collect();
        out.extend(p.open.iter().filter_map(|&c| self.children.get(c)).map(|c| &c.order));
        out.sort_unstable_by_key(|c| c.id.seq);
        out
    }

    /// Which finished children the engine keeps in memory (default: all).
    /// `serve` keeps the most recent ones only: its ledger holds every child
    /// and its readers merge the two. Set it before the first order.
    /// Finished children kept already (a restored engine's) are trimmed to
    /// the new bound, the newest orders' first.
    pub fn keep_finished_children(&mut self, policy: FinishedChildren) {
        self.finished = FinishedKept { policy, ..FinishedKept::default() };
        let FinishedChildren::Recent(n) = policy else { return };
        let mut left = n;
        let mut kept = Vec::new();
        for (p, ps) in self.parents.iter_mut().enumerate().rev() {
            let k = ps.done.len().min(left);
            ps.done.drain(..ps.done.len() - k);
            ps.done.shrink_to_fit();
            left -= k;
            kept.push((p, k));
        }
        for (p, k) in kept.into_iter().rev() {
            self.finished.order.extend(std::iter::repeat_n(p, k));
        }
    }

    /// Child orders not yet released (working, or final with a message to
    /// the venue still in flight): what the engine holds besides the kept
    /// finished ones.
    pub fn children_held(&self) -> usize {
        self.children.len()
    }
    /// The pre-trade estimate a parent was submitted with.
    pub fn pre_trade_estimate(&self, id: ParentId) -> Option<&crate::tca::PreTrade> {
        self.parent_index(id).and_then(|i| self.parents[i].pre_trade.as_deref())
    }
    /// A parent's fills, in time order (with `Retention::Bounded`, the most
    /// recent `RECENT_FILLS`: its TCA still covers every fill).
    pub fn fills(&self, id: ParentId) -> &[Fill] {
        self.parent_index(id).map(|i| self.parents[i].fills.as_slice()).unwrap_or(&[])
    }
    /// A parent's most recent routing decisions.
    pub fn decisions(&self, id: ParentId) -> Vec<&RouteDecision> {
        self.parent_index(id).map(|i| self.parents[i].decisions.iter().collect()).unwrap_or_default()
    }
    /// Quantity working at venues for a parent.
    pub fn working(&self, id: ParentId) -> Qty {
        self.parent_index(id).map(|i| self.parents[i].working).unwrap_or_default()
    }
    /// The algorithm's current planned schedule for a parent.
    pub fn plan(&self, id: ParentId) -> Vec<PlannedSlice> {
        self.parent_index(id).map(|i| self.parents[i].algo.plan()).unwrap_or_default()
    }
    /// What the router has learned about each venue of an instrument.
    pub fn venue_stats(&self, symbol: &str) -> Vec<(crate::model::Name, VenueStats, f64)> {
        let Some(u) = self.universe.instrument_index(symbol) else { return Vec::new() };
        let Some(i) = self.active[u] else { return Vec::new() };
        let m = &self.markets[i];
        m.venues
            .iter()
            .enumerate()
            .map(|(s, v)| {
                (
                    self.universe.venue(v.venue).name.clone(),
                    self.router.stats(i, s),
                    self.router.passive_fill_prob(m, i, s),
                )
            })
            .collect()
    }
    /// True when every parent order is final.
    pub fn is_idle(&self) -> bool {
        self.open_parents == 0
    }
}

#[cfg(test)]
pub(crate) mod tests;
