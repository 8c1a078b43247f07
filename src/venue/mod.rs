//! Simulated exchanges: our child orders meet the synthetic books here.
//!
//! Marketable orders walk the book and pay the taker fee. Passive orders rest
//! with a queue position (the displayed size ahead of them at their price when
//! they arrived, shrinking as others cancel by the queue-position model) and
//! fill only when market trades at that price have consumed the queue ahead
//! (`passive`); one unit of liquidity never fills two orders. Orders and
//! cancels reach the venue after its latency, so a cancel can lose the race
//! against a fill. At the close, resting DAY orders are cancelled.

pub mod auction;
mod passive;
mod replay;

use crate::market::rng::{SimRng, Stream, stream};
use crate::market::{BookSide, InstrumentMarket, Print, Universe, VenueId};
use crate::model::{Duration, Fee, Liquidity, Money, Price, Qty, QueueModel, Side, Tif, Timestamp};
use auction::{AuctionOrder, AuctionOutcome};
use rand::RngExt;

/// A child order as it reaches the venue.
#[derive(Debug, Clone, Copy)]
pub struct NewOrder {
    /// The engine's handle for the child.
    pub key: usize,
    /// Buy or sell.
    pub side: Side,
    /// Quantity.
    pub qty: Qty,
    /// Limit price; `None` for a market order.
    pub px: Option<Price>,
    /// Time in force.
    pub tif: Tif,
}

/// One execution of one of our orders.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Execution {
    /// The engine's handle for the child.
    pub key: usize,
    /// Price.
    pub px: Price,
    /// Quantity.
    pub qty: Qty,
    /// Fee (negative = rebate).
    pub fee: Money,
    /// Maker, taker or auction.
    pub liquidity: Liquidity,
}

/// What happened to an order when it reached the venue.
#[derive(Debug, Clone, PartialEq)]
pub enum Arrival {
    /// Some or none filled; the rest rests on the book.
    Resting,
    /// Done at once: filled, or the unfilled rest (IOC, market) was cancelled.
    Done {
        /// Quantity cancelled unfilled.
        cancelled: Qty,
    },
    /// Refused, with the reason.
    Rejected(String),
}

#[derive(Debug, Clone)]
struct Resting {
    key: usize,
    side: Side,
    px: Price,
    leaves: Qty,
    /// Others' displayed quantity ahead of us at our price.
    ahead: Qty,
    /// Others' displayed quantity at our price when last seen (after trades),
    /// so a drop at the next quote is known to be cancels.
    level_seen: Qty,
    seq: u64,
}

#[derive(Debug, Clone)]
struct VenueRules {
    maker: Fee,
    taker: Fee,
    latency_ns: f64,
    jitter_ns: f64,
    bump_ns: f64,
}

/// Every simulated venue's view of our orders, across instruments.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// Resting orders by [instrument][venue slot].
    resting: Vec<Vec<Vec<Resting>>>,
    rules: Vec<VenueRules>,
    rng: Vec<SimRng>,
    seq: u64,
    scratch: Vec<usize>,
    /// Per instrument: the venue slot running its closing auction, if any.
    auction_slot: Vec<Option<usize>>,
    auction_orders: Vec<Vec<AuctionOrder>>,
    auction_rng: Vec<SimRng>,
    auction_outcome: Vec<Option<AuctionOutcome>>,
    /// Per instrument: auction orders left (partly) unexecuted by the uncross.
    auction_unfilled: Vec<Vec<(usize, Qty)>>,
    /// How cancels move our place in the queue.
    queue_model: QueueModel,
}

/// Others' size ahead of an order joining `own` (its side of the book) at
/// `px`: none where it improves the venue's price, the displayed size at its
/// price, or the last displayed level's size when it rests deeper than that.
fn queue_on_arrival(own: &BookSide, side: Side, px: Price) -> Qty {
    match own.best_px() {
        None => Qty::ZERO,
        Some(best) if side.better(best, px) => Qty::ZERO,
        Some(_) => own.qty_at(px).unwrap_or_else(|| own.levels().last().map_or(Qty::ZERO, |l| l.qty)),
    }
}

impl Exchange {
    /// Venues for the given instrument markets.
    pub fn new(universe: &Universe, markets: &[InstrumentMarket], seed: u64) -> Exchange {
        let rules = universe
            .venues()
            .iter()
            .map(|v| VenueRules {
                maker: v.maker_fee,
                taker: v.taker_fee,
                latency_ns: v.latency_us * 1e3,
                jitter_ns: v.jitter_us * 1e3,
                bump_ns: v.speed_bump_us * 1e3,
            })
            .collect();
        let rng = (0..universe.venues().len()).map(|i| stream(seed, Stream::Latency, i as u64)).collect();
        let auction_slot = markets
            .iter()
            .map(|m| {
                m.session.auction?;
                m.venues.iter().position(|v| {
                    let venue = universe.venue(v.venue);
                    venue.closing_auction && venue.name == m.inst.listing
                })
            })
            .collect();
        Exchange {
            resting: markets.iter().map(|m| vec![Vec::new(); m.venues.len()]).collect(),
            rules,
            rng,
            seq: 0,
            scratch: Vec::new(),
            auction_slot,
            auction_orders: vec![Vec::new(); markets.len()],
            auction_rng: markets.iter().map(|m| stream(seed, Stream::Auction, m.uidx as u64)).collect(),
            auction_outcome: vec![None; markets.len()],
            auction_unfilled: vec![Vec::new(); markets.len()],
            queue_model: QueueModel::default(),
        }
    }

    /// The same venues with another queue-position model.
    pub fn with_queue_model(mut self, model: QueueModel) -> Exchange {
        self.queue_model = model;
        self
    }

    /// The queue-position model in force.
    pub fn queue_model(&self) -> QueueModel {
        self.queue_model
    }

    /// The venue slot that runs an instrument's closing auction, if any.
    pub fn auction_slot(&self, inst: usize) -> Option<usize> {
        self.auction_slot[inst]
    }

    /// The result of an instrument's closing auction once it has run.
    pub fn auction_outcome(&self, inst: usize) -> Option<AuctionOutcome> {
        self.auction_outcome[inst]
    }

    /// Our quantity waiting in an instrument's closing auction, signed (buy minus sell).
    pub fn auction_interest(&self, inst: usize) -> Qty {
        self.auction_orders[inst].iter().map(|o| if o.side == Side::Buy { o.qty } else { -o.qty }).sum()
    }

    /// A MOC/LOC order reaches the listing venue: accepted until the cutoff.
    pub fn enter_auction(
        &mut self,
        m: &InstrumentMarket,
        inst: usize,
        slot: usize,
        o: NewOrder,
        now: Timestamp,
    ) -> Arrival {
        let Some(auction) = m.session.auction else {
            return Arrival::Rejected(format!("{} has no closing auction", m.inst.symbol));
        };
        if self.auction_slot[inst] != Some(slot) {
            return Arrival::Rejected(format!(
                "closing auction for {} runs on its listing venue {}",
                m.inst.symbol, m.inst.listing
            ));
        }
        if now > auction.cutoff {
            return Arrival::Rejected(format!(
                "MOC/LOC entry cutoff {} {} has passed for {}",
                m.session.local_hhmm(auction.cutoff),
                m.session.tz.name(),
                m.inst.symbol
            ));
        }
        if self.auction_outcome[inst].is_some() {
            return Arrival::Rejected(format!("the closing auction for {} has already run", m.inst.symbol));
        }
        self.auction_orders[inst].push(AuctionOrder { key: o.key, side: o.side, qty: o.qty, limit: o.px });
        Arrival::Resting
    }

    /// Uncrosses an instrument's closing auction (once), filling our orders.
    pub fn run_auction(
        &mut self,
        m: &mut InstrumentMarket,
        inst: usize,
        now: Timestamp,
        out: &mut Vec<Execution>,
    ) -> Option<AuctionOutcome> {
        let slot = self.auction_slot[inst]?;
        if self.auction_outcome[inst].is_some() {
            return None;
        }
        let orders = std::mem::take(&mut self.auction_orders[inst]);
        let maker = self.rules[m.venues[slot].venue.0 as usize].maker;
        let fee = |mk: &InstrumentMarket, px: Price, q: Qty| maker.charge(mk.inst.notional(px, q), q);
        let first = out.len();
        let outcome = auction::uncross(m, slot, &orders, &mut self.auction_rng[inst], now, fee, out);
        self.auction_outcome[inst] = Some(outcome);
        // LOCs the price did not satisfy and pro-rata remainders are done for the day.
        self.auction_unfilled[inst] = orders
            .iter()
            .filter_map(|o| {
                let got: Qty = out[first..].iter().filter(|e| e.key == o.key).map(|e| e.qty).sum();
                (got < o.qty).then(|| (o.key, o.qty - got))
            })
            .collect();
        Some(outcome)
    }

    /// Takes the auction orders the uncross left (partly) unexecuted, as
    /// (key, unexecuted quantity): they are over and must be closed.
    pub fn take_auction_unfilled(&mut self, inst: usize) -> Vec<(usize, Qty)> {
        std::mem::take(&mut self.auction_unfilled[inst])
    }

    /// One-way latency for the next message to `venue`: mean, uniform jitter
    /// and any speed bump.
    pub fn entry_latency(&mut self, venue: VenueId) -> Duration {
        let r = &self.rules[venue.0 as usize];
        let u: f64 = self.rng[venue.0 as usize].random();
        Duration((r.latency_ns + r.jitter_ns * (2.0 * u - 1.0) + r.bump_ns).max(1.0) as i64)
    }

    fn fee(&self, m: &InstrumentMarket, slot: usize, px: Price, qty: Qty, liq: Liquidity) -> Money {
        let r = &self.rules[m.venues[slot].venue.0 as usize];
        let f = match liq {
            Liquidity::Taker => r.taker,
            Liquidity::Maker | Liquidity::Auction => r.maker,
        };
        f.charge(m.inst.notional(px, qty), qty)
    }

    /// Shows each venue of an instrument our best resting price and the size
    /// there, per side, before it re-quotes (others react to what they see).
    pub fn show_front(&self, m: &mut InstrumentMarket, inst: usize) {
        for (slot, v) in m.venues.iter_mut().enumerate() {
            v.ours = [None; 2];
            for o in &self.resting[inst][slot] {
                let s = usize::from(o.side == Side::Sell);
                v.ours[s] = match v.ours[s] {
                    Some((px, q)) if px == o.px => Some((px, q + o.leaves)),
                    Some((px, q)) if o.side.better(o.px, px) => Some((px, q)),
                    _ => Some((o.px, o.leaves)),
                };
            }
        }
    }

    /// Quantity and number of our orders resting at a venue.
    pub fn resting_at(&self, inst: usize, slot: usize) -> (Qty, usize) {
        let r = &self.resting[inst][slot];
        (r.iter().map(|o| o.leaves).sum(), r.len())
    }

    /// Our resting orders at a venue as (key, side, price, leaves, queue ahead).
    pub fn orders_at(&self, inst: usize, slot: usize) -> impl Iterator<Item = (usize, Side, Price, Qty, Qty)> + '_ {
        self.resting[inst][slot].iter().map(|o| (o.key, o.side, o.px, o.leaves, o.ahead))
    }

    /// An order reaches the venue: take what is marketable, then rest (DAY) or
    /// cancel the rest (IOC, market).
    pub fn arrive(
        &mut self,
        m: &mut InstrumentMarket,
        inst: usize,
        slot: usize,
        o: NewOrder,
        now: Timestamp,
        out: &mut Vec<Execution>,
    ) -> Arrival {
        if !m.session.is_open(now) {
            return Arrival::Rejected(format!("venue closed: {} trades {}", m.inst.symbol, m.session.describe()));
        }
        if o.tif == Tif::Close {
            return Arrival::Rejected("closing-auction orders go to the auction, not the continuous book".into());
        }
        let opp = o.side.opposite();
        let mut left = o.qty;
        let mut taken = Qty::ZERO;
        while left.is_positive() {
            let Some(best) = m.venues[slot].side_mut(opp).best() else { break };
            if let Some(limit) = o.px
                && o.side.better(limit, best.px)
            {
                break;
            }
            let q = left.min(best.qty);
            m.consume(slot, opp, q);
            m.print(Print { ts: now, px: best.px, qty: q, venue: slot as u16, aggressor: o.side, ours: true });
            let fee = self.fee(m, slot, best.px, q, Liquidity::Taker);
            out.push(Execution { key: o.key, px: best.px, qty: q, fee, liquidity: Liquidity::Taker });
            left -= q;
            taken += q;
        }
        if taken.is_positive() {
            m.apply_impact(o.side, taken, now);
        }
        match (o.tif, o.px) {
            (Tif::Day, Some(px)) if left.is_positive() => {
                let ahead = queue_on_arrival(m.venues[slot].side_mut(o.side), o.side, px);
                self.seq += 1;
                self.resting[inst][slot].push(Resting {
                    key: o.key,
                    side: o.side,
                    px,
                    leaves: left,
                    ahead,
                    level_seen: ahead,
                    seq: self.seq,
                });
                Arrival::Resting
            }
            _ => Arrival::Done { cancelled: left },
        }
    }

    /// A cancel reaches the venue: the order's unfilled quantity, or why it
    /// could not be cancelled (already filled: the fill won the race; or an
    /// auction order after the cutoff).
    pub fn cancel(
        &mut self,
        m: &InstrumentMarket,
        inst: usize,
        slot: usize,
        key: usize,
        now: Timestamp,
    ) -> Result<Qty, String> {
        let book = &mut self.resting[inst][slot];
        if let Some(i) = book.iter().position(|o| o.key == key) {
            return Ok(book.swap_remove(i).leaves);
        }
        let auction = &mut self.auction_orders[inst];
        let Some(i) = auction.iter().position(|o| o.key == key) else {
            return Err("too late to cancel: the order is no longer on the book".into());
        };
        if let Some(a) = m.session.auction
            && now > a.cutoff
        {
            return Err(format!(
                "closing-auction orders cannot be cancelled after the {} cutoff",
                m.session.local_hhmm(a.cutoff)
            ));
        }
        Ok(auction.remove(i).qty)
    }

    /// Changes a resting order's quantity and/or price. A reduction keeps its
    /// place in the queue; a price change or an increase goes to the back.
    /// Returns the new leaves, or `None` if the order is no longer resting.
    pub fn amend(
        &mut self,
        m: &InstrumentMarket,
        inst: usize,
        slot: usize,
        key: usize,
        new_leaves: Qty,
        new_px: Price,
    ) -> Option<Qty> {
        let seq = self.seq + 1;
        let o = self.resting[inst][slot].iter_mut().find(|o| o.key == key)?;
        if new_px != o.px || new_leaves > o.leaves {
            o.ahead = queue_on_arrival(m.venues[slot].book().side(o.side), o.side, new_px);
            o.level_seen = o.ahead;
            o.seq = seq;
            self.seq = seq;
        }
        o.px = new_px;
        o.leaves = new_leaves;
        Some(new_leaves)
    }

    /// The session ended: every resting order of the instrument is cancelled.
    /// Returns (key, unfilled quantity).
    pub fn close_instrument(&mut self, inst: usize) -> Vec<(usize, Qty)> {
        let mut done = Vec::new();
        for book in &mut self.resting[inst] {
            done.extend(book.drain(..).map(|o| (o.key, o.leaves)));
        }
        done
    }
}
