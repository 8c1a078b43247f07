//! What the TCA of each order reads, kept as running statistics so that a
//! served engine's memory does not grow with the day: fills folded once
//! their markouts are final (the 5-minute horizon has passed in the mids),
//! the mid at a finished order's end once final, checkpoints of the tape's
//! running sums at the order's start and end (its interval VWAP is their
//! difference) and, for VWAP, the running bucket tracking. The figures are
//! those of a pass over every print and fill, in both retentions (see
//! `docs/tca.md`); only `Retention::Bounded` drops the prints, mid samples
//! and fills themselves.

use super::Engine;
use crate::market::{InstrumentMarket, Retention};
use crate::model::{Fill, Liquidity, ParentId, ParentOrder, Price, Timestamp};
use crate::tca::fold::FillFold;
use crate::tca::markout::{Direction, HORIZONS, fill_markouts};
use crate::tca::pretrade::{RealisedCost, RealisedFold};
use crate::tca::report::{Measured, assemble};
use crate::tca::{Summary, TcaReport};
use std::collections::VecDeque;

/// Fills an order keeps with `Retention::Bounded` (its recent fills view).
pub const RECENT_FILLS: usize = 1_000;

/// How often (simulated time) a market's orders' pending fills are looked at.
const SETTLE_EVERY: crate::model::Duration = crate::model::Duration::secs(1);

/// The running TCA state of one order.
#[derive(Debug, Default)]
pub(super) struct OrderStats {
    /// Fills whose markouts are final.
    fold: FillFold,
    /// The realised cost split of the same fills.
    realised: RealisedFold,
    /// Later fills, oldest first (at most the last 5 minutes' and a sample's).
    pending: VecDeque<Fill>,
    /// The mid at a finished order's end, once no later sample can change it.
    end_px: Option<Option<f64>>,
    /// The order's running VWAP tracking on its instrument's tape.
    tracker: Option<usize>,
    /// Listed in its market's `settling` list.
    settling: bool,
}

/// The end of an order's TCA window: when it finished, or now.
fn window_end(o: &ParentOrder, now: Timestamp) -> Timestamp {
    o.done_at.unwrap_or(now).max(o.start)
}

impl OrderStats {
    /// Folds `f` with its markouts and its realised cost parts read from `m` now.
    fn fold_one(
        fold: &mut FillFold,
        realised: &mut RealisedFold,
        f: &Fill,
        o: &ParentOrder,
        m: &InstrumentMarket,
        auction: Option<f64>,
    ) {
        fold.add(f, fill_markouts(f, Direction::After, &m.mids), fill_markouts(f, Direction::Before, &m.mids));
        if let Some(a) = o.arrival_px {
            realised.add(f, o.side, a, &m.mids, Some(&m.mids_without_us), auction);
        }
    }

    /// Everything folded as of now: the settled fills and the pending ones
    /// with what the mids show of them today.
    fn now(&self, o: &ParentOrder, m: &InstrumentMarket, auction: Option<f64>) -> (FillFold, RealisedFold) {
        let (mut fold, mut realised) = (self.fold.clone(), self.realised);
        for f in &self.pending {
            Self::fold_one(&mut fold, &mut realised, f, o, m, auction);
        }
        (fold, realised)
    }
}

impl Engine {
    /// Changes how much history the engine keeps from now on (a recovered
    /// engine replays its day with the default, then is served bounded).
    pub fn set_retention(&mut self, r: Retention) {
        self.retention = r;
        for m in &mut self.markets {
            m.tape.set_retention(r);
            m.mids.set_retention(r);
            m.mids_without_us.set_retention(r);
        }
    }

    /// How much history the engine keeps.
    pub fn retention(&self) -> Retention {
        self.retention
    }

    /// Sets an order's running statistics going: the tape checkpoints its
    /// start, a VWAP order's tracking starts; fills already known (a
    /// restored order's) wait to be folded.
    pub(super) fn track_parent(&mut self, p: usize) {
        let inst = self.parents[p].inst;
        let m = &mut self.markets[inst];
        let o = &self.parents[p].order;
        m.tape.checkpoint(o.start);
        let tracker = crate::tca::tracking::start_for(o, m).map(|t| m.tape.track(t));
        let ps = &mut self.parents[p];
        ps.stats.tracker = tracker;
        if let Some(t) = tracker.and_then(|h| self.markets[inst].tape.tracker_mut(h)) {
            for f in &ps.fills {
                t.on_fill(f.ts, f.qty);
            }
        }
        ps.stats.pending.extend(ps.fills.iter().cloned());
        if ps.order.done_at.is_some() {
            let end = window_end(&ps.order, self.now);
            self.markets[inst].tape.checkpoint(Timestamp(end.0 + 1));
        }
        self.settle_later(p);
        if self.retention == Retention::Bounded {
            trim_fills(&mut self.parents[p].fills);
        }
    }

    /// Records a fill in its order's running statistics.
    pub(super) fn track_fill(&mut self, p: usize, fill: &Fill) {
        let ps = &mut self.parents[p];
        if let Some(t) = ps.stats.tracker.and_then(|h| self.markets[ps.inst].tape.tracker_mut(h)) {
            t.on_fill(fill.ts, fill.qty);
        }
        ps.stats.pending.push_back(fill.clone());
        ps.fills.push(fill.clone());
        if self.retention == Retention::Bounded {
            trim_fills(&mut ps.fills);
        }
        self.settle_later(p);
    }

    /// An order has finished: the tape checkpoints its window's end.
    pub(super) fn track_done(&mut self, p: usize) {
        let ps = &self.parents[p];
        let end = window_end(&ps.order, self.now);
        self.markets[ps.inst].tape.checkpoint(Timestamp(end.0 + 1));
        self.settle_later(p);
    }

    fn settle_later(&mut self, p: usize) {
        let ps = &mut self.parents[p];
        if !ps.stats.settling {
            ps.stats.settling = true;
            self.settling[ps.inst].push(p);
        }
    }

    /// Folds what has become final of the orders on market `i` (after a new
    /// mid sample): fills past the longest markout horizon, a finished
    /// order's end mid.
    pub(super) fn settle(&mut self, i: usize) {
        // Once a simulated second is soon enough: a pending fill is read the
        // same whenever it is folded, and the mids it needs stay 10 minutes more.
        if self.settling[i].is_empty() || self.now < self.next_settle[i] {
            return;
        }
        self.next_settle[i] = self.now + SETTLE_EVERY;
        let auction = self.exchange.auction_outcome(i).map(|o| o.px_without_us.to_f64());
        let m = &self.markets[i];
        let last = HORIZONS[HORIZONS.len() - 1];
        let now = self.now;
        let parents = &mut self.parents;
        self.settling[i].retain(|&p| {
            let ps = &mut parents[p];
            let s = &mut ps.stats;
            while let Some(f) = s.pending.front() {
                let auction_unknown = f.liquidity == Liquidity::Auction && auction.is_none();
                if auction_unknown || !m.mids.is_final(f.ts + last) {
                    break;
                }
                let f = s.pending.pop_front().expect("front exists");
                OrderStats::fold_one(&mut s.fold, &mut s.realised, &f, &ps.order, m, auction);
            }
            if ps.order.done_at.is_some() && s.end_px.is_none() {
                let end = window_end(&ps.order, now);
                if m.mids.is_final(end) {
                    s.end_px = Some(m.mids.at(end));
                }
            }
            let open = !s.pending.is_empty() || (ps.order.done_at.is_some() && s.end_px.is_none());
            s.settling = open;
            open
        });
    }

    /// The full report of parent slot `p` from its running statistics.
    pub(super) fn report_of(&self, p: usize) -> TcaReport {
        let ps = &self.parents[p];
        let (o, m) = (&ps.order, &self.markets[ps.inst]);
        let auction = self.exchange.auction_outcome(ps.inst).map(|a| a.px_without_us.to_f64());
        let (fold, realised) = ps.stats.now(o, m, auction);
        let end = window_end(o, self.now);
        let (excl, incl) = m.tape.between(o.start, Timestamp(end.0 + 1)).unwrap_or_default();
        let end_px = match ps.stats.end_px {
            Some(px) if o.done_at.is_some() => px,
            _ => m.mids.at(end),
        };
        let mut report = assemble(&Measured {
            side: o.side,
            qty: o.qty,
            decision_px: o.decision_px,
            arrival_px: o.arrival_px,
            end_px: end_px.and_then(Price::from_f64),
            algo: Some(o.algo),
            quote_per: m.inst.quote_per,
            fills: &fold,
            market: excl,
            market_incl_ours: incl,
        });
        report.vwap_tracking = crate::tca::tracking::for_parent(o, ps.stats.tracker.and_then(|h| m.tape.tracker(h)));
        if o.status.is_terminal() {
            report.end_reason.clone_from(&ps.done_reason);
        }
        report.pre_trade = ps.pre_trade.as_deref().map(|est| {
            let real: Option<RealisedCost> = o.arrival_px.and_then(|a| realised.finish(a, true, m.inst.quote_per));
            crate::tca::pretrade::compare(est, real, o.arrival_px, m.inst.quote_per)
        });
        report
    }

    /// How many fills an order has had (all of them, whatever the retention).
    pub fn fill_count(&self, id: ParentId) -> usize {
        self.parent_index(id).map_or(0, |i| {
            let s = &self.parents[i].stats;
            s.fold.count + s.pending.len()
        })
    }

    /// The headline figures of an order (what the ledger records when it finishes).
    pub fn order_summary(&self, id: ParentId) -> Option<Summary> {
        let ps = &self.parents[self.parent_index(id)?];
        let (o, m) = (&ps.order, &self.markets[ps.inst]);
        let mut fold = ps.stats.fold.clone();
        for f in &ps.stats.pending {
            fold.add(f, [None; 4], [None; 4]);
        }
        let end = window_end(o, self.now);
        let (excl, incl) = m.tape.between(o.start, Timestamp(end.0 + 1)).unwrap_or_default();
        Some(crate::tca::summary_of(o, &excl, &incl, fold.venue_shares()))
    }
}

/// Keeps a bounded order's most recent fills (amortised: trimmed at twice the count).
fn trim_fills(fills: &mut Vec<Fill>) {
    if fills.len() >= 2 * RECENT_FILLS {
        fills.drain(..fills.len() - RECENT_FILLS);
    }
}
