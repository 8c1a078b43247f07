//! The closing auction: MOC/LOC orders accumulate until the cutoff and
//! uncross at one price at the close.
//!
//! Others' interest is drawn from the instrument's auction share of ADV
//! (log-normal around it) with a random imbalance; our orders add to the
//! imbalance. The clearing price is the closing mid moved by the total
//! imbalance relative to the paired volume, so a large MOC visibly moves the
//! close. Market orders fill at the clearing price (pro rata if they exceed
//! what the other side can pair); limit orders fill only if the price is at
//! or inside their limit.

use super::Execution;
use crate::market::rng::SimRng;
use crate::market::{InstrumentMarket, Print};
use crate::model::{Liquidity, Money, Price, Qty, Rounding, Side, Timestamp};
use rand::RngExt;
use rand_distr::StandardNormal;
use serde::Serialize;

/// Price move, in daily sigmas, for an imbalance equal to the paired volume.
pub const IMBALANCE_IMPACT: f64 = 0.25;

/// One of our orders in the auction.
#[derive(Debug, Clone, Copy)]
pub struct AuctionOrder {
    /// Engine handle of the child.
    pub key: usize,
    /// Buy or sell.
    pub side: Side,
    /// Quantity.
    pub qty: Qty,
    /// LOC limit; `None` for MOC.
    pub limit: Option<Price>,
}

/// What the auction did.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AuctionOutcome {
    /// Clearing price.
    pub px: Price,
    /// Volume printed (others plus ours).
    pub volume: Qty,
    /// Others' paired volume.
    pub paired: Qty,
    /// Total signed imbalance (buy minus sell) including ours.
    pub imbalance: f64,
    /// Where it would have uncrossed without us: others' imbalance alone,
    /// around the mid without our impact (what `compare` splits impact by).
    pub px_without_us: Price,
    /// When it uncrossed.
    pub ts: Timestamp,
}

/// Expected auction volume of an instrument (its auction share of ADV).
pub fn expected_volume(m: &InstrumentMarket) -> f64 {
    m.inst.adv.to_f64() * m.inst.auction_share
}

/// Runs the auction: fills `orders` into `out` and prints the cross.
pub fn uncross(
    m: &mut InstrumentMarket,
    slot: usize,
    orders: &[AuctionOrder],
    rng: &mut SimRng,
    now: Timestamp,
    maker_fee: impl Fn(&InstrumentMarket, Price, Qty) -> Money,
    out: &mut Vec<Execution>,
) -> AuctionOutcome {
    // Always the same number of draws, whatever our orders are.
    let z_vol: f64 = rng.sample(StandardNormal);
    let z_imb: f64 = rng.sample(StandardNormal);
    let lot = m.inst.lot_size;
    let paired = (expected_volume(m) * (0.3 * z_vol - 0.045).exp()).max(lot.to_f64());
    let others_imb = 0.15 * paired * z_imb;
    let (mid, mid_without_us) = (m.mid(now), m.mid_without_us());
    let sigma = m.inst.ref_price.to_f64() * m.inst.daily_vol;
    let tick = m.inst.tick_size;
    let price_at = move |mid: f64, imb: f64| {
        let raw = mid + IMBALANCE_IMPACT * sigma * imb / paired;
        Price::from_f64(raw).unwrap_or(tick).round_to(tick, Rounding::Nearest).max(tick)
    };
    let price_for = |imb: f64| price_at(mid, imb);
    // Our limit orders participate only if the price satisfies them, and the
    // price depends on who participates: iterate to a fixed point (a few rounds).
    let signed = |o: &AuctionOrder| o.qty.to_f64() * o.side.sign() as f64;
    let mut px = price_for(others_imb + orders.iter().filter(|o| o.limit.is_none()).map(signed).sum::<f64>());
    for _ in 0..4 {
        let ours: f64 = orders.iter().filter(|o| accepts(o, px)).map(signed).sum();
        let next = price_for(others_imb + ours);
        if next == px {
            break;
        }
        px = next;
    }
    let filling: Vec<&AuctionOrder> = orders.iter().filter(|o| accepts(o, px)).collect();
    let ours_net: f64 = filling.iter().map(|o| signed(o)).sum();
    // Contra available to our net side: paired volume plus others' imbalance on the other side.
    let contra = paired + if ours_net > 0.0 { (-others_imb).max(0.0) } else { others_imb.max(0.0) };
    let fill_ratio = if ours_net.abs() > contra { contra / ours_net.abs() } else { 1.0 };
    let net_side = if ours_net >= 0.0 { Side::Buy } else { Side::Sell };
    let mut ours_total = Qty::ZERO;
    let mut ours_signed = Qty::ZERO;
    for o in filling {
        let q = if o.side == net_side && fill_ratio < 1.0 {
            Qty::from_f64(o.qty.to_f64() * fill_ratio).unwrap_or(Qty::ZERO).round_down_to(lot)
        } else {
            o.qty
        };
        if q.is_positive() {
            out.push(Execution { key: o.key, px, qty: q, fee: maker_fee(m, px, q), liquidity: Liquidity::Auction });
            ours_total += q;
            ours_signed += if o.side == Side::Buy { q } else { -q };
        }
    }
    // `paired` is in units (shares), not raw fixed-point.
    let others = Qty::from_f64(paired).unwrap_or(Qty::ZERO).round_down_to(lot);
    m.print(Print { ts: now, px, qty: others, venue: slot as u16, aggressor: Side::Buy, ours: false });
    if ours_total.is_positive() {
        m.print(Print { ts: now, px, qty: ours_total, venue: slot as u16, aggressor: net_side.opposite(), ours: true });
    }
    if !ours_signed.is_zero() {
        let side = if ours_signed.is_positive() { Side::Buy } else { Side::Sell };
        m.apply_impact(side, ours_signed.abs(), now);
    }
    AuctionOutcome {
        px,
        volume: others + ours_total,
        paired: others,
        imbalance: others_imb + ours_net,
        px_without_us: price_at(mid_without_us, others_imb),
        ts: now,
    }
}

fn accepts(o: &AuctionOrder, px: Price) -> bool {
    match (o.limit, o.side) {
        (None, _) => true,
        (Some(l), Side::Buy) => px <= l,
        (Some(l), Side::Sell) => px >= l,
    }
}
