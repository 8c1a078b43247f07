//! Smart order routing over the consolidated book.
//!
//! An algorithm asks for an *intent* (side, quantity, optional limit, and how
//! urgently); the router turns it into child orders on venues:
//! - **aggressive**: the venues' offers (bids for a sell) are merged into one
//!   ladder ranked by net price (price plus taker fee per unit, plus a small
//!   penalty for latency and for venues whose IOCs have come back short), and
//!   taken greedily until the quantity is covered: one IOC per venue, limited
//!   at the worst level it may take there;
//! - **passive**: join the national best bid (offer for a sell), on the venue
//!   with the lowest expected cost per unit: a fill (probability learned from
//!   this session's passive fills there, discounted by the queue ahead) earns
//!   the half spread and the maker fee or rebate; no fill means crossing later.
//!   Posts no more than a venue's displayed touch size on one venue and spreads
//!   the rest down the ranking;
//! - **close**: to the closing auction on the listing venue.
//!
//! Every decision records the per-venue scores and a sentence saying why.

use crate::market::{InstrumentMarket, Level, Universe};
use crate::model::{Name, OrderType, Price, Qty, Rounding, Side, Tif, Timestamp, human};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// How urgently a slice must execute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Urgency {
    /// Rest at the near touch and wait to be hit.
    Passive,
    /// Cross the spread now (IOC).
    Aggressive,
    /// Trade in the closing auction.
    Close,
}

/// What an algorithm wants executed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Intent {
    /// Buy or sell.
    pub side: Side,
    /// Quantity.
    pub qty: Qty,
    /// Worst acceptable price.
    pub limit: Option<Price>,
    /// Passive, aggressive or auction.
    pub urgency: Urgency,
}

impl Intent {
    /// An intent.
    pub fn new(side: Side, qty: Qty, limit: Option<Price>, urgency: Urgency) -> Intent {
        Intent { side, qty, limit, urgency }
    }
}

/// Quantity a venue displays on the side `side` would take from, at prices at
/// or inside `limit` (all of it without a limit).
pub fn takeable(book: &crate::market::L2Book, side: Side, limit: Option<Price>) -> Qty {
    book.side(side.opposite())
        .levels()
        .iter()
        .take_while(|l| limit.is_none_or(|lim| !side.better(lim, l.px)))
        .map(|l| l.qty)
        .sum()
}

/// One child order the router wants sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Allocation {
    /// Venue slot within the instrument.
    #[serde(skip)]
    pub slot: usize,
    /// Venue name.
    #[schema(value_type = String)]
    pub venue: Name,
    /// Quantity.
    pub qty: Qty,
    /// Limit price (None = market).
    pub px: Option<Price>,
    /// Market or limit.
    pub order_type: OrderType,
    /// Time in force.
    pub tif: Tif,
}

/// How one venue scored in a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VenueScore {
    /// Venue name.
    #[schema(value_type = String)]
    pub venue: Name,
    /// Price we would get there (best level for aggressive, our post for passive).
    pub px: Option<Price>,
    /// Net price per unit after fees (price units).
    pub net_px: Option<f64>,
    /// Fill probability learned from this session.
    pub fill_prob: f64,
    /// Displayed quantity ahead of us (passive) or available (aggressive).
    pub size: Qty,
    /// One-way latency in microseconds (including any speed bump).
    pub latency_us: f64,
    /// Expected cost in basis points of the mid (lower is better).
    pub cost_bps: Option<f64>,
    /// Quantity the router gave this venue.
    pub chosen: Qty,
}

/// A routing decision, kept for the venue view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RouteDecision {
    /// When it was made.
    pub ts: Timestamp,
    /// What was asked.
    pub intent: Intent,
    /// Child orders to send.
    pub allocations: Vec<Allocation>,
    /// Per-venue scores.
    pub scores: Vec<VenueScore>,
    /// Why, in one sentence.
    pub reason: String,
}

/// What the router has learned about one venue in one instrument.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct VenueStats {
    /// Quantity posted passively and since closed (filled or not).
    pub passive_posted: f64,
    /// Of which filled.
    pub passive_filled: f64,
    /// Quantity sent as IOC.
    pub aggressive_sent: f64,
    /// Of which filled.
    pub aggressive_filled: f64,
}

/// The smart order router and its per-venue learning.
#[derive(Debug, Clone)]
pub struct Router {
    stats: Vec<Vec<VenueStats>>,
}

impl Router {
    /// A router for instruments with the given venue counts.
    pub fn new(venue_counts: impl IntoIterator<Item = usize>) -> Router {
        Router { stats: venue_counts.into_iter().map(|n| vec![VenueStats::default(); n]).collect() }
    }

    /// What has been learned about one venue.
    pub fn stats(&self, inst: usize, slot: usize) -> VenueStats {
        self.stats[inst][slot]
    }

    /// A passive child closed: `filled` of `posted` executed.
    pub fn learn_passive(&mut self, inst: usize, slot: usize, posted: Qty, filled: Qty) {
        let s = &mut self.stats[inst][slot];
        s.passive_posted += posted.to_f64();
        s.passive_filled += filled.to_f64();
    }

    /// An IOC child closed: `filled` of `sent` executed.
    pub fn learn_aggressive(&mut self, inst: usize, slot: usize, sent: Qty, filled: Qty) {
        let s = &mut self.stats[inst][slot];
        s.aggressive_sent += sent.to_f64();
        s.aggressive_filled += filled.to_f64();
    }

    /// Passive fill probability: this session's fill ratio at the venue, with a
    /// prior from its market share worth twenty average trades.
    pub fn passive_fill_prob(&self, m: &InstrumentMarket, inst: usize, slot: usize) -> f64 {
        let max_share = m.venues.iter().map(|v| v.share).fold(0.0, f64::max).max(1e-9);
        let prior = 0.2 + 0.6 * m.venues[slot].share / max_share;
        let k = 20.0 * m.inst.avg_trade_size.to_f64();
        let s = self.stats[inst][slot];
        (s.passive_filled + k * prior) / (s.passive_posted + k)
    }

    /// IOC fill ratio at the venue, with an optimistic prior.
    pub fn aggressive_fill_prob(&self, m: &InstrumentMarket, inst: usize, slot: usize) -> f64 {
        let k = 10.0 * m.inst.avg_trade_size.to_f64();
        let s = self.stats[inst][slot];
        (s.aggressive_filled + k * 0.95) / (s.aggressive_sent + k)
    }

    /// Routes an intent against the current books.
    pub fn route(
        &self,
        u: &Universe,
        m: &InstrumentMarket,
        inst: usize,
        intent: Intent,
        now: Timestamp,
    ) -> RouteDecision {
        self.route_with_min_size(u, m, inst, intent, None, now)
    }

    /// Routes an intent; an aggressive one with `min_size` takes only from
    /// venues displaying at least that much at or inside its limit (the
    /// sniper's rule) and leaves the others untouched.
    pub fn route_with_min_size(
        &self,
        u: &Universe,
        m: &InstrumentMarket,
        inst: usize,
        intent: Intent,
        min_size: Option<Qty>,
        now: Timestamp,
    ) -> RouteDecision {
        match intent.urgency {
            Urgency::Aggressive => self.route_aggressive(u, m, inst, intent, min_size, now),
            Urgency::Passive => self.route_passive(u, m, inst, intent, now),
            Urgency::Close => route_close(u, m, intent, now),
        }
    }

    fn route_aggressive(
        &self,
        u: &Universe,
        m: &InstrumentMarket,
        inst: usize,
        intent: Intent,
        min_size: Option<Qty>,
        now: Timestamp,
    ) -> RouteDecision {
        let side = intent.side;
        let mid = m.nbbo().mid().unwrap_or_else(|| m.mid(now));
        let tick = m.inst.tick_size.to_f64();
        let sigma_per_sqrt_ns = m.inst.ref_price.to_f64() * m.inst.daily_vol
            / ((m.session.close.0 - m.session.open.0).max(1) as f64).sqrt();
        // (effective net price, slot, level) for every level within the limit.
        let mut ladder: Vec<(f64, usize, Level)> = Vec::new();
        let mut scores = Vec::with_capacity(m.venues.len());
        let mut too_small: Vec<String> = Vec::new();
        for (slot, v) in m.venues.iter().enumerate() {
            let venue = u.venue(v.venue);
            let latency_us = venue.latency_us + venue.speed_bump_us;
            let p_fill = self.aggressive_fill_prob(m, inst, slot);
            let penalty = sigma_per_sqrt_ns * (latency_us * 1e3).sqrt() * 0.1 + (1.0 - p_fill) * tick;
            let levels = v.book().side(side.opposite()).levels();
            let available = takeable(v.book(), side, intent.limit);
            // A venue showing less than the minimum size is not touched at all.
            let qualifies = min_size.is_none_or(|min| available >= min);
            if !qualifies {
                too_small.push(format!("{} {}", venue.name, human::qty(available)));
            }
            for l in levels.iter().take_while(|l| intent.limit.is_none_or(|lim| !side.better(lim, l.px))) {
                if !qualifies {
                    break;
                }
                let fee = venue.taker_fee.per_unit_in_px(l.px.to_f64(), m.inst.quote_per);
                let net = l.px.to_f64() + side.sign() as f64 * (fee + penalty);
                ladder.push((net, slot, *l));
            }
            let best = levels.first();
            let net_best = best.map(|l| {
                l.px.to_f64() + side.sign() as f64 * venue.taker_fee.per_unit_in_px(l.px.to_f64(), m.inst.quote_per)
            });
            scores.push(VenueScore {
                venue: venue.name.clone(),
                px: best.map(|l| l.px),
                net_px: net_best,
                fill_prob: p_fill,
                size: available,
                latency_us,
                cost_bps: net_best.map(|n| (n - mid) * side.sign() as f64 / mid * 1e4),
                chosen: Qty::ZERO,
            });
        }
        // Best net price first (lowest for a buy, highest for a sell); larger venues win ties.
        ladder.sort_by(|a, b| {
            let ord = a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal);
            let ord = if side == Side::Buy { ord } else { ord.reverse() };
            ord.then(m.venues[b.1].share.partial_cmp(&m.venues[a.1].share).unwrap_or(std::cmp::Ordering::Equal))
        });
        let mut left = intent.qty;
        let mut per_slot: Vec<(Qty, Option<Price>)> = vec![(Qty::ZERO, None); m.venues.len()];
        for (_, slot, l) in &ladder {
            if !left.is_positive() {
                break;
            }
            let q = left.min(l.qty);
            left -= q;
            let e = &mut per_slot[*slot];
            e.0 += q;
            e.1 = Some(match e.1 {
                None => l.px,
                Some(p) if side.better(p, l.px) => l.px,
                Some(p) => p,
            });
        }
        let mut allocations = Vec::new();
        // Largest allocation first so the biggest child reaches its venue first.
        let mut order: Vec<usize> = (0..per_slot.len()).filter(|&s| per_slot[s].0.is_positive()).collect();
        order.sort_by(|&a, &b| per_slot[b].0.cmp(&per_slot[a].0).then(a.cmp(&b)));
        for slot in order {
            let (q, px) = per_slot[slot];
            scores[slot].chosen = q;
            allocations.push(Allocation {
                slot,
                venue: scores[slot].venue.clone(),
                qty: q,
                px,
                order_type: OrderType::Limit,
                tif: Tif::Ioc,
            });
        }
        let mut reason = String::new();
        if allocations.is_empty() {
            let _ = write!(
                reason,
                "aggressive {} {}: no displayed liquidity{}",
                side,
                human::qty(intent.qty),
                intent.limit.map(|l| format!(" at or inside the limit {l}")).unwrap_or_default()
            );
        } else {
            let _ = write!(reason, "aggressive {} {}: best net price after taker fees: ", side, human::qty(intent.qty));
            let parts: Vec<String> = allocations
                .iter()
                .map(|a| {
                    format!(
                        "{} {} up to {}",
                        a.venue,
                        human::qty(a.qty),
                        a.px.map(|p| p.to_string()).unwrap_or_default()
                    )
                })
                .collect();
            reason.push_str(&parts.join(", "));
            if left.is_positive() {
                let _ = write!(reason, "; {} short of displayed size", human::qty(left));
            }
        }
        if let Some(min) = min_size
            && !too_small.is_empty()
        {
            let _ = write!(
                reason,
                "; skipped (showing less than the minimum size {}): {}",
                human::qty(min),
                too_small.join(", ")
            );
        }
        RouteDecision { ts: now, intent, allocations, scores, reason }
    }

    fn route_passive(
        &self,
        u: &Universe,
        m: &InstrumentMarket,
        inst: usize,
        intent: Intent,
        now: Timestamp,
    ) -> RouteDecision {
        let side = intent.side;
        let nbbo = m.nbbo();
        let mid = nbbo.mid().unwrap_or_else(|| m.mid(now));
        let half_spread = nbbo.spread().map_or(m.inst.half_spread(), |s| s / 2.0);
        let px = passive_price(m, side, intent.limit, now);
        let horizon = Timestamp(now.0 + 60_000_000_000);
        let vol_minute = m.expected_volume(now, horizon);
        let taker_avg: f64 = m
            .venues
            .iter()
            .map(|v| v.share * u.venue(v.venue).taker_fee.per_unit_in_px(px.to_f64(), m.inst.quote_per))
            .sum();
        let q = intent.qty.to_f64().max(1e-9);
        let mut ranked: Vec<(f64, usize)> = Vec::new();
        let mut scores = Vec::with_capacity(m.venues.len());
        for (slot, v) in m.venues.iter().enumerate() {
            let venue = u.venue(v.venue);
            // Others' size at our price (none where we would improve the venue's quote).
            let queue = v.book().side(side).qty_at(px).unwrap_or(Qty::ZERO);
            let p_hist = self.passive_fill_prob(m, inst, slot);
            let reach = ((0.5 * v.share * vol_minute - queue.to_f64()) / q).clamp(0.05, 1.0);
            let p = p_hist * reach;
            let maker = venue.maker_fee.per_unit_in_px(px.to_f64(), m.inst.quote_per);
            let latency_us = venue.latency_us + venue.speed_bump_us;
            // Cost per unit relative to the mid, positive = bad (side-adjusted).
            let passive_cost = (px.to_f64() - mid) * side.sign() as f64 + maker;
            let cross_cost = half_spread + taker_avg;
            let cost = p * passive_cost + (1.0 - p) * cross_cost;
            ranked.push((cost, slot));
            scores.push(VenueScore {
                venue: venue.name.clone(),
                px: Some(px),
                net_px: Some(px.to_f64() + side.sign() as f64 * maker),
                fill_prob: p,
                size: queue,
                latency_us,
                cost_bps: Some(cost / mid * 1e4),
                chosen: Qty::ZERO,
            });
        }
        ranked.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal).then(a.1.cmp(&b.1)));
        let lot = m.inst.lot_size;
        let mut left = intent.qty;
        for &(_, slot) in &ranked {
            if !left.is_positive() {
                break;
            }
            let cap = m.venues[slot].book().side(side).best().map_or(lot, |l| l.qty).max(lot);
            let give = left.min(cap).round_down_to(lot);
            if give.is_positive() {
                scores[slot].chosen += give;
                left -= give;
            }
        }
        if left.is_positive()
            && let Some(&(_, best)) = ranked.first()
        {
            scores[best].chosen += left;
        }
        let mut allocations = Vec::new();
        for &(_, slot) in &ranked {
            if scores[slot].chosen.is_positive() {
                allocations.push(Allocation {
                    slot,
                    venue: scores[slot].venue.clone(),
                    qty: scores[slot].chosen,
                    px: Some(px),
                    order_type: OrderType::Limit,
                    tif: Tif::Day,
                });
            }
        }
        let mut reason = format!("passive {} {} at {}: ", side, human::qty(intent.qty), px);
        let parts: Vec<String> = allocations
            .iter()
            .map(|a| {
                let s = &scores[a.slot];
                format!(
                    "{} {} (exp. cost {:+.2} bps, fill p {:.2}, queue {})",
                    a.venue,
                    human::qty(a.qty),
                    s.cost_bps.unwrap_or(0.0),
                    s.fill_prob,
                    human::qty(s.size)
                )
            })
            .collect();
        reason.push_str(&parts.join(", "));
        RouteDecision { ts: now, intent, allocations, scores, reason }
    }
}

/// Where a passive order of `side` rests now: the national near touch (or
/// a half spread from the mid when a side is empty), or the limit when the
/// limit is the better price for us to wait at.
pub fn passive_price(m: &InstrumentMarket, side: Side, limit: Option<Price>, now: Timestamp) -> Price {
    let tick = m.inst.tick_size;
    // The near side alone on most calls (a resting child re-checked at every
    // quote refresh); the whole touch only when that side is empty.
    let join = m.near_touch(side).map(|l| l.px).unwrap_or_else(|| {
        let nbbo = m.nbbo();
        let mid = nbbo.mid().unwrap_or_else(|| m.mid(now));
        let half_spread = nbbo.spread().map_or(m.inst.half_spread(), |s| s / 2.0);
        let raw = Price::from_f64(mid - side.sign() as f64 * half_spread).unwrap_or(tick);
        raw.round_to(tick, if side == Side::Buy { Rounding::Down } else { Rounding::Up })
    });
    match limit {
        Some(l) if side.better(l, join) => l,
        _ => join,
    }
}

fn route_close(u: &Universe, m: &InstrumentMarket, intent: Intent, now: Timestamp) -> RouteDecision {
    let slot = m.venues.iter().position(|v| {
        let venue = u.venue(v.venue);
        venue.closing_auction && venue.name == m.inst.listing
    });
    let (allocations, reason) = match slot {
        Some(slot) => (
            vec![Allocation {
                slot,
                venue: u.venue(m.venues[slot].venue).name.clone(),
                qty: intent.qty,
                px: intent.limit,
                order_type: if intent.limit.is_some() { OrderType::Limit } else { OrderType::Market },
                tif: Tif::Close,
            }],
            format!(
                "{} {} {} to the closing auction on the listing venue {}",
                if intent.limit.is_some() { "LOC" } else { "MOC" },
                intent.side,
                human::qty(intent.qty),
                m.inst.listing
            ),
        ),
        None => (Vec::new(), format!("{} has no closing auction", m.inst.symbol)),
    };
    RouteDecision { ts: now, intent, allocations, scores: Vec::new(), reason }
}
