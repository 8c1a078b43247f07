//! L2 order books: a fixed number of price levels per side, best first.
//! Fixed-size arrays keep the simulator's hot path free of allocation.

use crate::model::{Price, Qty, Side, Timestamp};
use serde::{Deserialize, Serialize};

/// Price levels kept per side.
pub const DEPTH: usize = 10;

/// One price level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Level {
    /// Price.
    pub px: Price,
    /// Displayed quantity.
    pub qty: Qty,
}

/// One side of a book, best level first.
#[derive(Debug, Clone, Default)]
pub struct BookSide {
    levels: [Level; DEPTH],
    len: u8,
}

impl BookSide {
    /// The displayed levels, best first.
    pub fn levels(&self) -> &[Level] {
        &self.levels[..self.len as usize]
    }
    /// The best level, if any.
    pub fn best(&self) -> Option<Level> {
        self.levels().first().copied()
    }
    /// The best price, if any.
    pub fn best_px(&self) -> Option<Price> {
        self.best().map(|l| l.px)
    }
    /// Displayed quantity at exactly `px`.
    pub fn qty_at(&self, px: Price) -> Option<Qty> {
        self.levels().iter().find(|l| l.px == px).map(|l| l.qty)
    }
    /// Sum of displayed quantity.
    pub fn total(&self) -> Qty {
        self.levels().iter().map(|l| l.qty).sum()
    }
    /// Removes every level.
    pub fn clear(&mut self) {
        self.len = 0;
    }
    /// Appends a level behind the current worst (ignored when full or empty).
    pub fn push(&mut self, px: Price, qty: Qty) {
        if (self.len as usize) < DEPTH && qty.is_positive() {
            self.levels[self.len as usize] = Level { px, qty };
            self.len += 1;
        }
    }
    /// Replaces every level: `lead` first, then the levels `next` yields
    /// until it yields `None` or the side is full; levels without a positive
    /// quantity are left out. The same as `clear` and a `push` of each, in
    /// one pass (quote refreshes run this for every venue).
    pub fn rebuild(&mut self, lead: Option<Level>, mut next: impl FnMut() -> Option<Level>) {
        let mut n = 0usize;
        if let Some(l) = lead.filter(|l| l.qty.is_positive()) {
            self.levels[0] = l;
            n = 1;
        }
        while n < DEPTH {
            let Some(l) = next() else { break };
            if l.qty.is_positive() {
                self.levels[n] = l;
                n += 1;
            }
        }
        self.len = n as u8;
    }
    /// Removes `qty` from the best levels, dropping the levels it empties.
    pub fn eat_from_top(&mut self, qty: Qty) {
        let mut left = qty;
        let mut drop = 0;
        for l in &mut self.levels[..self.len as usize] {
            if !left.is_positive() {
                break;
            }
            if left >= l.qty {
                left -= l.qty;
                drop += 1;
            } else {
                l.qty -= left;
                left = Qty::ZERO;
            }
        }
        if drop > 0 {
            self.levels.copy_within(drop..self.len as usize, 0);
            self.len -= drop as u8;
        }
    }
    /// True when no level is displayed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A two-sided L2 book.
#[derive(Debug, Clone, Default)]
pub struct L2Book {
    /// Bids, highest first.
    pub bids: BookSide,
    /// Asks, lowest first.
    pub asks: BookSide,
    /// When it last changed.
    pub ts: Timestamp,
}

impl L2Book {
    /// The side resting orders of `side` join (bids for buys).
    pub fn side(&self, side: Side) -> &BookSide {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }
    /// Mutable access to one side.
    pub fn side_mut(&mut self, side: Side) -> &mut BookSide {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }
    /// Midpoint of the touch, when both sides are quoted.
    pub fn mid(&self) -> Option<f64> {
        Some((self.bids.best_px()?.to_f64() + self.asks.best_px()?.to_f64()) / 2.0)
    }
    /// True when the best bid is at or above the best ask.
    pub fn is_crossed(&self) -> bool {
        matches!((self.bids.best_px(), self.asks.best_px()), (Some(b), Some(a)) if b >= a)
    }
}

/// Best bid and offer with sizes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Bbo {
    /// Best bid price and size.
    pub bid: Option<Level>,
    /// Best ask price and size.
    pub ask: Option<Level>,
}

impl Bbo {
    /// Midpoint when both sides exist.
    pub fn mid(&self) -> Option<f64> {
        Some((self.bid?.px.to_f64() + self.ask?.px.to_f64()) / 2.0)
    }
    /// Spread in price units.
    pub fn spread(&self) -> Option<f64> {
        Some(self.ask?.px.to_f64() - self.bid?.px.to_f64())
    }
    /// The near touch for a side (the bid for a buyer).
    pub fn near(&self, side: Side) -> Option<Level> {
        match side {
            Side::Buy => self.bid,
            Side::Sell => self.ask,
        }
    }
    /// The far touch for a side (the ask for a buyer).
    pub fn far(&self, side: Side) -> Option<Level> {
        match side {
            Side::Buy => self.ask,
            Side::Sell => self.bid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(px: i64, q: i64) -> Level {
        Level { px: Price::from_int(px), qty: Qty::from_int(q) }
    }

    /// `rebuild` is `clear` and `push` of each level in one pass: empty
    /// levels left out, nothing past the depth.
    #[test]
    fn rebuild_is_clear_and_push() {
        let candidates: Vec<Level> = (0..12).map(|k| lv(100 - k, if k == 3 { 0 } else { 10 + k })).collect();
        let mut pushed = BookSide::default();
        pushed.push(Price::from_int(1), Qty::from_int(1));
        pushed.clear();
        pushed.push(Price::from_int(101), Qty::from_int(5));
        for l in &candidates {
            pushed.push(l.px, l.qty);
        }
        let mut rebuilt = BookSide::default();
        rebuilt.push(Price::from_int(1), Qty::from_int(1));
        let mut it = candidates.iter().copied();
        rebuilt.rebuild(Some(lv(101, 5)), || it.next());
        assert_eq!(rebuilt.levels(), pushed.levels());
        assert_eq!(rebuilt.levels().len(), DEPTH);
        assert!(rebuilt.levels().iter().all(|l| l.qty.is_positive()));
        // No lead, and a source that runs out early.
        let mut short = BookSide::default();
        let mut it = candidates.iter().copied().take(2);
        short.rebuild(None, || it.next());
        assert_eq!(short.levels(), &candidates[..2]);
    }
}
