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
        let lot = m.inst.lot_size;
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
            // A venue fills whole lots: the part of a print finer than the
            // instrument's lot (recordings carry more decimals) is others'.
            let q = left.min(o.leaves).round_down_to(lot);
            if !q.is_positive() {
                continue;
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::replay::{RecQuote, RecTrade, RecTrades, Recording};
    use crate::market::session::session;
    use crate::market::{MarketParams, Universe};
    use crate::model::{Side, Tif};
    use crate::venue::{Arrival, NewOrder};
    use chrono::NaiveDate;
    use std::sync::Arc;

    fn px(s: &str) -> Price {
        s.parse().unwrap()
    }

    /// AAPL on NASDAQ replaying one recorded quote (100.00 bid for 500, 100.02
    /// offered for 500) and these seller-initiated prints at the open.
    fn market(prints: &[(i64, &str)]) -> (InstrumentMarket, Exchange) {
        let prints: Vec<(Qty, &str)> = prints.iter().map(|&(q, p)| (Qty::from_int(q), p)).collect();
        market_q(&prints)
    }

    /// The same with quantities that need not be whole shares.
    fn market_q(prints: &[(Qty, &str)]) -> (InstrumentMarket, Exchange) {
        // Everything is recorded at the open.
        let (m, ex, _) = quoted_market(|open| {
            prints.iter().map(|&(q, p)| RecTrade { ts: open, px: px(p), qty: q, aggressor: Some(Side::Sell) }).collect()
        });
        (m, ex)
    }

    /// AAPL replayed from one quote at the open, 100.00 x 500 / 100.02 x 500,
    /// and the prints `trades` makes from the open; the market stays known for
    /// the hour after the open (past the recording the book is withdrawn).
    fn quoted_market(trades: impl FnOnce(Timestamp) -> RecTrades) -> (InstrumentMarket, Exchange, Timestamp) {
        let u = Universe::builtin();
        let i = u.instrument_index("AAPL").unwrap();
        let s = session(u.instruments()[i].calendar, "NASDAQ", NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()).unwrap();
        let rec = Recording {
            source: "test".into(),
            venue: None,
            trades: trades(s.open),
            from_bars: false,
            until: Some(s.open + crate::model::Duration::mins(60)),
            quotes: vec![RecQuote {
                ts: s.open,
                bids: vec![(px("100"), Qty::from_int(500))],
                asks: vec![(px("100.02"), Qty::from_int(500))],
            }],
        };
        let mut m = InstrumentMarket::replay(&u, i, s, s.open, 1, MarketParams::default(), Arc::new(rec)).unwrap();
        m.on_tick(s.open);
        let ex = Exchange::new(&u, std::slice::from_ref(&m), 1);
        (m, ex, s.open)
    }

    /// The next recorded print reaches the venue.
    fn next_print(m: &mut InstrumentMarket, ex: &mut Exchange, out: &mut Vec<Execution>) {
        let t = m.next_trade.unwrap();
        let d = m.draw_trade(t);
        ex.market_trade(m, 0, d, t, out);
    }

    #[test]
    fn passive_fills_follow_recorded_prints_after_the_queue() {
        let (mut m, mut ex) = market(&[(400, "100"), (250, "100"), (1_000, "100.01"), (1_000, "99.99")]);
        assert_eq!(m.venues.len(), 1, "replay runs on the listing venue only");
        assert_eq!(m.venues[0].book().bids.best().unwrap().qty, Qty::from_int(500));
        // Extrapolated depth behind the recorded top of book.
        assert_eq!(m.venues[0].book().asks.levels().len(), 10);
        let t = m.session.open;
        let mut out = Vec::new();
        let o = NewOrder { key: 7, side: Side::Buy, qty: Qty::from_int(300), px: Some(px("100")), tif: Tif::Day };
        assert_eq!(ex.arrive(&mut m, 0, 0, o, t, &mut out), Arrival::Resting);
        assert!(out.is_empty());
        // 400 sold at 100.00: the 500 ahead of us absorb it.
        next_print(&mut m, &mut ex, &mut out);
        assert!(out.is_empty());
        // 250 more: 100 finish the queue ahead, we get 150.
        next_print(&mut m, &mut ex, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].qty, out[0].px), (Qty::from_int(150), px("100")));
        // A print above our bid does not reach us.
        next_print(&mut m, &mut ex, &mut out);
        assert_eq!(out.len(), 1);
        // A print through our price fills the rest at our price, up to the trade's size.
        next_print(&mut m, &mut ex, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!((out[1].qty, out[1].px), (Qty::from_int(150), px("100")));
        // Printed volume equals the recording: what we took is not printed twice.
        let ours: Qty = m.tape.prints().iter().filter(|p| p.ours).map(|p| p.qty).sum();
        let all: Qty = m.tape.prints().iter().map(|p| p.qty).sum();
        assert_eq!(ours, Qty::from_int(300));
        assert_eq!(all, Qty::from_int(400 + 250 + 1_000 + 1_000));
    }

    #[test]
    fn a_print_finer_than_the_lot_fills_whole_lots_only() {
        // AAPL trades in whole shares; a recording may carry fractions.
        let q = |s: &str| s.parse::<Qty>().unwrap();
        let (mut m, mut ex) = market_q(&[(q("500.6"), "100"), (q("150.7"), "99.99")]);
        let t = m.session.open;
        let mut out = Vec::new();
        let o = NewOrder { key: 7, side: Side::Buy, qty: Qty::from_int(300), px: Some(px("100")), tif: Tif::Day };
        assert_eq!(ex.arrive(&mut m, 0, 0, o, t, &mut out), Arrival::Resting);
        // 500.6 at our price: 500 ahead of us, the 0.6 left is less than a share: others'.
        next_print(&mut m, &mut ex, &mut out);
        assert!(out.is_empty(), "{out:?}");
        // 150.7 through our price: 150 whole shares ours, 0.7 others'.
        next_print(&mut m, &mut ex, &mut out);
        assert_eq!(out.iter().map(|e| e.qty).collect::<Vec<_>>(), vec![Qty::from_int(150)]);
        let ours: Qty = m.tape.prints().iter().filter(|p| p.ours).map(|p| p.qty).sum();
        let all: Qty = m.tape.prints().iter().map(|p| p.qty).sum();
        assert_eq!((ours, all), (Qty::from_int(150), q("651.3")), "the recording's volume, printed once");
    }

    /// The depth extrapolated behind a recorded top of book is priced by the
    /// impact model's depth profile and refills only as the tape prints on
    /// its side. Recording: AAPL, one quote 100.00 x 500 / 100.02 x 500 at
    /// the open, then one buyer-initiated print of 300 at 100.02 a minute
    /// later. The recording's figures come from `m.inst`; by hand:
    /// level k (k >= 1) lies `Y sigma P sqrt((1 + 1.25) C_k / ADV)` from the
    /// touch, rounded up to the tick, `C_k = d (1 + sum_{j<k} (1 + 0.35 j))`
    /// with d the typical touch, and at least k ticks.
    #[test]
    fn extrapolated_depth_follows_the_impact_profile_and_refills_with_the_tape() {
        let (mut m, mut ex, open) = quoted_market(|open| {
            let later = open + crate::model::Duration::secs(60);
            RecTrades::new(&[RecTrade {
                ts: later,
                px: px("100.02"),
                qty: Qty::from_int(300),
                aggressor: Some(Side::Buy),
            }])
        });
        let later = open + crate::model::Duration::secs(60);
        let inst = m.inst.clone();
        let d = inst.touch_depth.to_f64();
        let per_unit = inst.impact_y * inst.daily_vol * inst.ref_price.to_f64() * (2.25 / inst.adv.to_f64()).sqrt();
        let asks = m.venues[0].book().asks.levels().to_vec();
        assert_eq!(asks.len(), 10);
        let tick = inst.tick_size.to_f64();
        let mut ahead = d;
        for (k, l) in asks.iter().enumerate().skip(1) {
            let profile = (per_unit * ahead.sqrt() / tick - 1e-9).ceil() * tick;
            let off = l.px.to_f64() - 100.02;
            assert!(off + 1e-9 >= profile.max(k as f64 * tick), "level {k}: {off} against the profile's {profile}");
            assert!(l.px > asks[k - 1].px, "worse with every level");
            ahead += d * (1.0 + 0.35 * k as f64);
        }
        // Sweep the whole side: 500 recorded, the rest extrapolated.
        let total: Qty = asks.iter().map(|l| l.qty).sum();
        let mut out = Vec::new();
        let o = NewOrder { key: 1, side: Side::Buy, qty: total, px: None, tif: Tif::Ioc };
        ex.arrive(&mut m, 0, 0, o, open, &mut out);
        assert_eq!(out.iter().map(|e| e.qty).sum::<Qty>(), total);
        // The average price is worse than the touch: the profile, not one tick a level.
        let avg = out.iter().map(|e| e.px.to_f64() * e.qty.to_f64()).sum::<f64>() / total.to_f64();
        assert!(avg > 100.02 + per_unit * d.sqrt(), "{avg}");
        // Half a minute on (far past the venue's resilience), no print on
        // the offer side: the recorded 500 is back, the extrapolated levels
        // are not (before, all ten refilled over the resilience time).
        m.on_tick(open + crate::model::Duration::secs(30));
        let synthetic: Qty = m.venues[0].book().asks.levels().iter().skip(1).map(|l| l.qty).sum();
        assert_eq!(m.venues[0].book().asks.levels()[0].qty, Qty::from_int(500));
        assert_eq!(synthetic, Qty::ZERO, "{:?}", m.venues[0].book().asks);
        // The buyer-initiated print of 300: 300 of the extrapolated depth is back
        // (the first level, smaller than 300 when the typical touch is).
        let t = m.next_trade.unwrap();
        assert_eq!(t, later);
        let dr = m.draw_trade(t);
        ex.market_trade(&mut m, 0, dr, t, &mut out);
        m.on_tick(later + crate::model::Duration::millis(1));
        let synthetic: Qty = m.venues[0].book().asks.levels().iter().skip(1).map(|l| l.qty).sum();
        let lot = inst.lot_size;
        assert!(synthetic <= Qty::from_int(300) && synthetic + lot.mul_int(9) >= Qty::from_int(300), "{synthetic:?}");
    }

    #[test]
    fn aggressive_orders_walk_the_recorded_book_and_move_it() {
        let (mut m, mut ex) = market(&[(1, "100.01")]);
        let t = m.session.open;
        let mut out = Vec::new();
        let o = NewOrder { key: 1, side: Side::Buy, qty: Qty::from_int(600), px: None, tif: Tif::Ioc };
        ex.arrive(&mut m, 0, 0, o, t, &mut out);
        // 500 at the recorded offer, the rest one step further up.
        assert_eq!((out[0].qty, out[0].px), (Qty::from_int(500), px("100.02")));
        assert!(out[1].px > px("100.02"));
        assert_eq!(out.iter().map(|e| e.qty).sum::<Qty>(), Qty::from_int(600));
        // A millisecond later the recorded offer is re-quoted without the 500 we
        // took (it refills over the venue's resilience time), and our buying
        // has moved the mid up.
        m.on_tick(t + crate::model::Duration::millis(1));
        let after = m.venues[0].book().asks.best().unwrap();
        assert!(after.px > px("100.02"), "{after:?}");
        assert!(m.mid(t) > 100.01);
    }
}
