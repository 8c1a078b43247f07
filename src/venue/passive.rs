//! Others' flow against our resting orders: market trades that reach them
//! through the queue, quotes that move through them, and the queue ahead of
//! them shrinking as others cancel (by the venue's queue-position model).

use super::{Exchange, Execution, Resting};
use crate::market::{BookSide, InstrumentMarket, Print, TradeDraw};
use crate::model::{Liquidity, Money, Qty, QueueModel, Side, Timestamp};

impl Exchange {
    /// A market trade from the flow arrives at its venue and sweeps the
    /// resting side from the best price outward, as far as its size goes. At
    /// each price our orders there trade after others' size ahead of them and
    /// before those behind; our orders priced better than a level trade before
    /// it. A recorded trade (replay) is matched by its printed price instead.
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
        let rs = d.aggressor.opposite();
        // Others' levels as they stood when the trade arrived (ten levels, copied).
        let levels: BookSide = m.venues[slot].side_mut(rs).clone();
        let orders = &mut self.resting[inst][slot];
        let mut left = d.size;
        let mut ours_filled = Qty::ZERO;
        let mut others_total = Qty::ZERO;
        let first_out = out.len();

        // Our orders on the side being hit in price-time priority.
        let idx = &mut self.scratch;
        idx.clear();
        idx.extend((0..orders.len()).filter(|&i| orders[i].side == rs && orders[i].leaves.is_positive()));
        idx.sort_by(|&a, &b| {
            let (oa, ob) = (&orders[a], &orders[b]);
            let price_order = if rs == Side::Buy { ob.px.cmp(&oa.px) } else { oa.px.cmp(&ob.px) };
            price_order.then(oa.ahead.cmp(&ob.ahead)).then(oa.seq.cmp(&ob.seq))
        });

        let mut k = 0;
        let n_levels = levels.levels().len();
        // One pass per level, then one without a level when the side is empty
        // (ours are then the whole book).
        for li in 0..=n_levels {
            let lvl = levels.levels().get(li).copied();
            if lvl.is_none() && n_levels > 0 {
                break;
            }
            // Ours priced better than this level trade before it.
            while k < idx.len() && left.is_positive() {
                let o = &mut orders[idx[k]];
                if lvl.is_some_and(|l| !rs.better(l.px, o.px)) {
                    break;
                }
                let q = left.min(o.leaves);
                fill(o, q, slot, d.aggressor, now, out, m);
                left -= q;
                ours_filled += q;
                if o.leaves.is_positive() {
                    break;
                }
                k += 1;
            }
            let Some(lvl) = lvl else { break };
            if !left.is_positive() {
                break;
            }
            // The queue at this level: others ahead of each of ours, ours, the rest.
            let mut taken_here = Qty::ZERO;
            while k < idx.len() && left.is_positive() {
                let o = &mut orders[idx[k]];
                if o.px != lvl.px {
                    break;
                }
                let before_us = o.ahead.saturating_sub(taken_here).min(lvl.qty.saturating_sub(taken_here));
                let q_others = left.min(before_us);
                taken_here += q_others;
                left -= q_others;
                if !left.is_positive() {
                    break;
                }
                let q = left.min(o.leaves);
                fill(o, q, slot, d.aggressor, now, out, m);
                left -= q;
                ours_filled += q;
                if o.leaves.is_positive() {
                    break;
                }
                k += 1;
            }
            let q_rest = left.min(lvl.qty.saturating_sub(taken_here));
            taken_here += q_rest;
            left -= q_rest;
            if taken_here.is_positive() {
                for o in orders.iter_mut().filter(|o| o.side == rs && o.px == lvl.px) {
                    o.ahead = o.ahead.saturating_sub(taken_here);
                    o.level_seen = o.level_seen.saturating_sub(taken_here);
                }
                others_total += taken_here;
                m.print(Print {
                    ts: now,
                    px: lvl.px,
                    qty: taken_here,
                    venue: slot as u16,
                    aggressor: d.aggressor,
                    ours: false,
                });
            }
            if !left.is_positive() {
                break;
            }
        }
        if others_total.is_positive() {
            m.consume(slot, rs, others_total);
        }
        self.finish_passive(m, inst, slot, rs, ours_filled, first_out, now, out);
    }

    /// After the venue re-quotes: orders the market moved through fill at their
    /// price (someone crossed to reach them; not in a replay, where only
    /// recorded prints fill), and the queue ahead shrinks as displayed size at
    /// our price drops (others cancelled), by the queue-position model.
    pub fn on_requote(&mut self, m: &mut InstrumentMarket, inst: usize, now: Timestamp, out: &mut Vec<Execution>) {
        let model = self.queue_model;
        // In a replay only recorded prints fill passive orders (see
        // `replay`): the side opposite ours is not read, and not built.
        let replay = m.is_replay();
        for slot in 0..self.resting[inst].len() {
            if self.resting[inst][slot].is_empty() {
                continue;
            }
            if !replay {
                // Built once here rather than by every read below.
                m.venues[slot].book_mut();
            }
            for side in [Side::Buy, Side::Sell] {
                let first_out = out.len();
                let mut filled = Qty::ZERO;
                let n = self.resting[inst][slot].len();
                if replay && self.resting[inst][slot].iter().any(|o| o.side == side && o.leaves.is_positive()) {
                    // Ours only: the side an eager refresh would have built with it.
                    m.venues[slot].side_mut(side);
                }
                for i in 0..n {
                    let o = &mut self.resting[inst][slot][i];
                    if o.side != side || !o.leaves.is_positive() {
                        continue;
                    }
                    let v = &m.venues[slot];
                    // Crossed: others' opposite quotes at or through our price.
                    let crossing: Qty = if replay {
                        Qty::ZERO
                    } else {
                        v.book()
                            .side(side.opposite())
                            .levels()
                            .iter()
                            .take_while(|l| !side.better(o.px, l.px))
                            .map(|l| l.qty)
                            .sum()
                    };
                    if crossing.is_positive() {
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
                    let own = v.built_side(side);
                    match own.best_px() {
                        Some(best) if side.better(best, o.px) => (o.ahead, o.level_seen) = (Qty::ZERO, Qty::ZERO),
                        None => (o.ahead, o.level_seen) = (Qty::ZERO, Qty::ZERO),
                        Some(_) => {
                            if let Some(q) = own.qty_at(o.px) {
                                o.ahead = front_after_cancels(model, o.ahead, o.level_seen, q);
                                o.level_seen = q;
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
    pub(super) fn finish_passive(
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
        m.apply_impact(side, filled, now);
        self.resting[inst][slot].retain(|o| o.leaves.is_positive());
    }
}

/// One passive execution of one of ours, printed.
fn fill(
    o: &mut Resting,
    q: Qty,
    slot: usize,
    aggressor: Side,
    now: Timestamp,
    out: &mut Vec<Execution>,
    m: &mut InstrumentMarket,
) {
    o.leaves -= q;
    out.push(Execution { key: o.key, px: o.px, qty: q, fee: Money::ZERO, liquidity: Liquidity::Maker });
    m.print(Print { ts: now, px: o.px, qty: q, venue: slot as u16, aggressor, ours: true });
}

/// The size ahead after the displayed size at our price went from `before`
/// to `after`. The conservative model stays in exact quantities; the
/// probabilistic ones estimate in floating point and round down to whole raw
/// units (never more ahead than displayed).
fn front_after_cancels(model: QueueModel, front: Qty, before: Qty, after: Qty) -> Qty {
    if model == QueueModel::RiskAverse || after >= before {
        return front.min(after);
    }
    let est = model.front_after_cancels(front.to_f64(), before.to_f64(), after.to_f64());
    Qty::from_f64(est).unwrap_or(Qty::ZERO).min(after).min(front)
}
