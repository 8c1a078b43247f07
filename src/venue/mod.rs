//! Simulated exchanges: our child orders meet the synthetic books here.
//!
//! Marketable orders walk the book and pay the taker fee. Passive orders rest
//! with a queue position (the displayed size ahead of them at their price when
//! they arrived) and fill only when market trades at that price have consumed
//! the queue ahead; one unit of liquidity never fills two orders. Orders and
//! cancels reach the venue after its latency, so a cancel can lose the race
//! against a fill. At the close, resting DAY orders are cancelled.

pub mod auction;
mod replay;

use crate::market::rng::{SimRng, Stream, stream};
use crate::market::{InstrumentMarket, Print, TradeDraw, Universe, VenueId};
use crate::model::{Duration, Fee, Liquidity, Money, Price, Qty, Side, Tif, Timestamp};
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
        }
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
            let Some(best) = m.venues[slot].book.side(opp).best() else { break };
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
            m.apply_impact(o.side, taken, true, now);
        }
        match (o.tif, o.px) {
            (Tif::Day, Some(px)) if left.is_positive() => {
                let own = m.venues[slot].book.side(o.side);
                let ahead = match own.best_px() {
                    None => Qty::ZERO,
                    Some(best) if o.side.better(best, px) => Qty::ZERO, // we improve the venue's price
                    Some(_) => own.qty_at(px).unwrap_or_else(|| own.levels().last().map_or(Qty::ZERO, |l| l.qty)),
                };
                self.seq += 1;
                self.resting[inst][slot].push(Resting {
                    key: o.key,
                    side: o.side,
                    px,
                    leaves: left,
                    ahead,
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
            o.ahead = m.venues[slot].book.side(o.side).qty_at(new_px).unwrap_or(Qty::ZERO);
            o.seq = seq;
            self.seq = seq;
        }
        o.px = new_px;
        o.leaves = new_leaves;
        Some(new_leaves)
    }

    /// A market trade from the flow arrives at its venue. It fills our resting
    /// orders that are better than the venue's displayed touch first, then
    /// works through the queue at the touch in time priority: others' size ahead
    /// of us, us, and those behind. It never trades through the touch. A
    /// recorded trade (replay) is matched by its printed price instead.
    pub fn market_trade(
        &mut self,
        m: &mut InstrumentMarket,
        inst: usize,
        d: TradeDraw,
        now: Timestamp,
        out: &mut Vec<Execution>,
    ) {
        if let Some(px) = m.recorded_print() {
            return self.recorded_trade(m, inst, d, px, now, out);
        }
        let slot = d.slot;
        let resting_side = d.aggressor.opposite();
        let touch = m.venues[slot].book.side(resting_side).best();
        let orders = &mut self.resting[inst][slot];
        let mut left = d.size;
        let mut ours_filled = Qty::ZERO;
        let first_out = out.len();

        // Our orders in price-time priority on the side being hit.
        let idx = &mut self.scratch;
        idx.clear();
        idx.extend((0..orders.len()).filter(|&i| orders[i].side == resting_side));
        idx.sort_by(|&a, &b| {
            let (oa, ob) = (&orders[a], &orders[b]);
            let price_order = if resting_side == Side::Buy { ob.px.cmp(&oa.px) } else { oa.px.cmp(&ob.px) };
            price_order.then(oa.ahead.cmp(&ob.ahead)).then(oa.seq.cmp(&ob.seq))
        });

        // Phase 1: our orders priced better than everyone else's touch.
        for &i in idx.iter() {
            let o = &mut orders[i];
            if !left.is_positive() || !touch.is_none_or(|t| resting_side.better(t.px, o.px)) {
                continue;
            }
            let q = left.min(o.leaves);
            o.leaves -= q;
            left -= q;
            ours_filled += q;
            out.push(Execution { key: o.key, px: o.px, qty: q, fee: Money::ZERO, liquidity: Liquidity::Maker });
            m.print(Print { ts: now, px: o.px, qty: q, venue: slot as u16, aggressor: d.aggressor, ours: true });
        }

        // Phase 2: the queue at the touch.
        if let Some(t) = touch
            && left.is_positive()
        {
            let mut others_taken = Qty::ZERO;
            for &i in idx.iter() {
                let o = &mut orders[i];
                if o.px != t.px || !o.leaves.is_positive() {
                    continue;
                }
                let before_us = o.ahead.saturating_sub(others_taken).min(t.qty.saturating_sub(others_taken));
                let q_others = left.min(before_us);
                others_taken += q_others;
                left -= q_others;
                if !left.is_positive() {
                    break;
                }
                let q = left.min(o.leaves);
                o.leaves -= q;
                left -= q;
                ours_filled += q;
                out.push(Execution { key: o.key, px: o.px, qty: q, fee: Money::ZERO, liquidity: Liquidity::Maker });
                m.print(Print { ts: now, px: o.px, qty: q, venue: slot as u16, aggressor: d.aggressor, ours: true });
            }
            // Whatever is left trades with others' size behind us at the touch.
            let q_rest = left.min(t.qty.saturating_sub(others_taken));
            others_taken += q_rest;
            for &i in idx.iter() {
                let o = &mut orders[i];
                if o.px == t.px {
                    o.ahead = o.ahead.saturating_sub(others_taken);
                }
            }
            if others_taken.is_positive() {
                m.consume(slot, resting_side, others_taken);
                m.print(Print {
                    ts: now,
                    px: t.px,
                    qty: others_taken,
                    venue: slot as u16,
                    aggressor: d.aggressor,
                    ours: false,
                });
            }
        }

        self.finish_passive(m, inst, slot, resting_side, ours_filled, first_out, now, out);
    }

    /// After the venue re-quotes: orders the market moved through fill at their
    /// price (someone crossed to reach them; not in a replay, where only
    /// recorded prints fill), and the queue ahead shrinks when displayed size
    /// at our price drops (orders ahead were cancelled).
    pub fn on_requote(&mut self, m: &mut InstrumentMarket, inst: usize, now: Timestamp, out: &mut Vec<Execution>) {
        for slot in 0..self.resting[inst].len() {
            if self.resting[inst][slot].is_empty() {
                continue;
            }
            for side in [Side::Buy, Side::Sell] {
                let first_out = out.len();
                let mut filled = Qty::ZERO;
                let n = self.resting[inst][slot].len();
                for i in 0..n {
                    let o = &mut self.resting[inst][slot][i];
                    if o.side != side || !o.leaves.is_positive() {
                        continue;
                    }
                    let book = &m.venues[slot].book;
                    // Crossed: others' opposite quotes at or through our price.
                    let crossing: Qty = book
                        .side(side.opposite())
                        .levels()
                        .iter()
                        .take_while(|l| !side.better(o.px, l.px))
                        .map(|l| l.qty)
                        .sum();
                    // In a replay only recorded prints fill passive orders (see `replay`).
                    if crossing.is_positive() && !m.is_replay() {
                        let q = crossing.min(o.leaves);
                        o.leaves -= q;
                        filled += q;
                        out.push(Execution {
                            key: o.key,
                            px: o.px,
                            qty: q,
                            fee: Money::ZERO,
                            liquidity: Liquidity::Maker,
                        });
                        let px = o.px;
                        m.consume(slot, side.opposite(), q);
                        m.print(Print {
                            ts: now,
                            px,
                            qty: q,
                            venue: slot as u16,
                            aggressor: side.opposite(),
                            ours: true,
                        });
                        continue;
                    }
                    let own = book.side(side);
                    match own.best_px() {
                        Some(best) if side.better(best, o.px) => o.ahead = Qty::ZERO,
                        None => o.ahead = Qty::ZERO,
                        Some(_) => {
                            if let Some(q) = own.qty_at(o.px) {
                                o.ahead = o.ahead.min(q);
                            }
                        }
                    }
                }
                self.finish_passive(m, inst, slot, side, filled, first_out, now, out);
            }
        }
    }

    /// Fees and impact for passive fills just appended to `out`, then removal
    /// of orders with nothing left.
    #[allow(clippy::too_many_arguments)]
    fn finish_passive(
        &mut self,
        m: &mut InstrumentMarket,
        inst: usize,
        slot: usize,
        side: Side,
        filled: Qty,
        first_out: usize,
        now: Timestamp,
        out: &mut [Execution],
    ) {
        if !filled.is_positive() {
            return;
        }
        for e in &mut out[first_out..] {
            e.fee = self.fee(m, slot, e.px, e.qty, Liquidity::Maker);
        }
        m.apply_impact(side, filled, false, now);
        self.resting[inst][slot].retain(|o| o.leaves.is_positive());
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
