//! Matching against a recorded trade (replay of market data): our resting
//! orders fill when the recorded trade printed at their price, after the
//! displayed queue ahead of them, or through it, in full up to the trade's
//! size. What we take is no longer printed as someone else's trade, so one
//! unit of recorded liquidity never fills two orders.

use super::{Exchange, Execution};
use crate::market::{InstrumentMarket, Print, TradeDraw};
use crate::model::{Liquidity, Money, Price, Qty, Timestamp};

impl Exchange {
    /// A recorded trade of `d.size` at `px` arrives at its venue.
    pub(super) fn recorded_trade(
        &mut self,
        m: &mut InstrumentMarket,
        inst: usize,
        d: TradeDraw,
        px: Price,
        now: Timestamp,
        out: &mut Vec<Execution>,
    ) {
        let slot = d.slot;
        let resting_side = d.aggressor.opposite();
        let orders = &mut self.resting[inst][slot];
        let first_out = out.len();
        let mut left = d.size;
        let mut ours = Qty::ZERO;
        let idx = &mut self.scratch;
        idx.clear();
        // Ours at or through the print (a bid at or above it, an offer at or below).
        idx.extend(
            (0..orders.len()).filter(|&i| orders[i].side == resting_side && !resting_side.better(orders[i].px, px)),
        );
        idx.sort_by(|&a, &b| {
            let (oa, ob) = (&orders[a], &orders[b]);
            let price_order = if resting_side.better(oa.px, ob.px) {
                std::cmp::Ordering::Greater
            } else if oa.px == ob.px {
                std::cmp::Ordering::Equal
            } else {
                std::cmp::Ordering::Less
            };
            price_order.then(oa.ahead.cmp(&ob.ahead)).then(oa.seq.cmp(&ob.seq))
        });
        let mut others_at_px = Qty::ZERO;
        for &i in idx.iter() {
            if !left.is_positive() {
                break;
            }
            let o = &mut orders[i];
            if o.px == px {
                // The queue ahead of us at the print's price trades first.
                let before_us = o.ahead.saturating_sub(others_at_px);
                let q_others = left.min(before_us);
                others_at_px += q_others;
                left -= q_others;
                if !left.is_positive() {
                    break;
                }
            }
            let q = left.min(o.leaves);
            o.leaves -= q;
            left -= q;
            ours += q;
            out.push(Execution { key: o.key, px: o.px, qty: q, fee: Money::ZERO, liquidity: Liquidity::Maker });
            m.print(Print { ts: now, px: o.px, qty: q, venue: slot as u16, aggressor: d.aggressor, ours: true });
        }
        for &i in idx.iter() {
            let o = &mut orders[i];
            // A print through our price swept the level: nobody is ahead any more.
            o.ahead = if o.px == px { o.ahead.saturating_sub(others_at_px) } else { Qty::ZERO };
        }
        let others = d.size - ours;
        if others.is_positive() {
            m.print(Print { ts: now, px, qty: others, venue: slot as u16, aggressor: d.aggressor, ours: false });
        }
        self.finish_passive(m, inst, slot, resting_side, ours, first_out, now, out);
    }
}
