//! One venue's synthetic book and the state that shapes it, quoted lazily.
//!
//! Every quote refresh (ten a second per venue) moves the venue's state on
//! (book-size noise, refill of the liquidity taken) and fixes the book it
//! quotes: the mid, the spread, the state and our own front order are noted
//! in a [`Quote`]. The ten levels a side are only built from it when someone
//! looks at the book (a trade at the venue, one of our orders arriving, an
//! algorithm or the router reading it) before the next refresh replaces it.
//! The book built is the one an eager refresh would have built, bit for bit
//! (the same function of the same inputs); on a synthetic equity day most
//! venues see no trade between two refreshes, and building every book took
//! half of the simulator's time.

use crate::market::book::{BookSide, DEPTH, L2Book, Level};
use crate::market::universe::VenueId;
use crate::model::{Price, Qty, Rounding, Side, Timestamp};
use std::cell::OnceCell;

/// One venue's market in one instrument: its synthetic book and the state
/// that shapes it.
#[derive(Debug, Clone)]
pub struct VenueMarket {
    /// The venue.
    pub venue: VenueId,
    /// Share of the instrument's volume printed here.
    pub share: f64,
    /// Displayed book (liquidity from everyone but us) as last built; stale
    /// while `pending` holds a newer quote.
    book: L2Book,
    /// The quote of the last refresh, not yet (wholly) built into `book`.
    pending: Option<Quote>,
    /// The sides of `pending` already built into `book`, bids then asks (a
    /// trade reads and eats one side only).
    sides_built: [bool; 2],
    /// `pending` built whole for a reader without mutable access.
    built: OnceCell<L2Book>,
    pub(super) half_spread: f64,
    pub(super) step: Price,
    pub(super) base_depth: f64,
    /// Liquidity consumed from the top of each side and not yet refilled (raw qty units).
    pub(super) depletion: [f64; 2],
    /// In a replay, what our aggressive orders took from the depth
    /// extrapolated behind a recorded top of book and the tape has not yet
    /// shown arriving again (raw qty units; see `market::sim::replay`).
    pub(super) synthetic_depletion: [f64; 2],
    /// In a replay quoting a recorded book, the recorded (not extrapolated)
    /// size each side still shows (raw qty units): a take splits into
    /// `depletion` (recorded) and `synthetic_depletion`. `None` for a
    /// synthetic book.
    pub(super) recorded_shown: [Option<f64>; 2],
    pub(super) refill_per_tick: f64,
    pub(super) noise: [f64; 2],
    /// Our own best resting price and the size there, bids then asks (set
    /// by the venue before each quote refresh; others step ahead of it).
    pub ours: [Option<(Price, Qty)>; 2],
}

/// Everything a synthetic quote refresh builds the book from.
#[derive(Debug, Clone, Copy)]
pub(super) struct Quote {
    /// When the refresh happened (the book's timestamp).
    pub ts: Timestamp,
    /// The latent mid.
    pub mid: f64,
    /// The intraday spread multiplier.
    pub spread_mult: f64,
    pub tick: Price,
    pub lot: Qty,
    /// Growth of depth per level.
    pub slope: f64,
    /// Others step ahead of an order this many times the touch (0: never).
    pub step_ahead: f64,
    /// The venue's state at the refresh.
    pub noise: [f64; 2],
    pub depletion: [f64; 2],
    pub ours: [Option<(Price, Qty)>; 2],
}

impl VenueMarket {
    /// A venue with an empty book.
    pub(super) fn new(
        venue: VenueId,
        share: f64,
        half_spread: f64,
        step: Price,
        base_depth: f64,
        refill_per_tick: f64,
    ) -> VenueMarket {
        VenueMarket {
            venue,
            share,
            book: L2Book::default(),
            pending: None,
            sides_built: [false; 2],
            built: OnceCell::new(),
            half_spread,
            step,
            base_depth,
            depletion: [0.0; 2],
            synthetic_depletion: [0.0; 2],
            recorded_shown: [None; 2],
            refill_per_tick,
            noise: [0.0; 2],
            ours: [None; 2],
        }
    }

    /// The displayed book (liquidity from everyone but us).
    pub fn book(&self) -> &L2Book {
        match &self.pending {
            None => &self.book,
            Some(q) => self.built.get_or_init(|| {
                let mut b = self.book.clone();
                for s in 0..2 {
                    if !self.sides_built[s] {
                        quote_side(self.half_spread, self.step, self.base_depth, q, s, &mut b);
                    }
                }
                b.ts = q.ts;
                b
            }),
        }
    }

    /// One side of the displayed book as [`VenueMarket::book`] shows it,
    /// without building the other side when only this one is built (a
    /// replay's venue builds the side of our resting orders at each refresh
    /// and nothing reads the other).
    pub fn built_side(&self, side: Side) -> &BookSide {
        let s = match side {
            Side::Buy => 0,
            Side::Sell => 1,
        };
        if self.pending.is_none() || self.sides_built[s] { self.book.side(side) } else { self.book().side(side) }
    }

    /// The displayed book, to change it (built first if a quote is pending).
    pub fn book_mut(&mut self) -> &mut L2Book {
        self.build_side(0);
        self.build_side(1);
        &mut self.book
    }

    /// One side of the displayed book, to read or change it: only that side
    /// is built from a pending quote.
    pub fn side_mut(&mut self, side: Side) -> &mut BookSide {
        self.build_side(match side {
            Side::Buy => 0,
            Side::Sell => 1,
        });
        self.book.side_mut(side)
    }

    /// Builds side `s` (0 bids, 1 asks) of the pending quote into `book`
    /// unless it is there; the quote is done with once both are.
    fn build_side(&mut self, s: usize) {
        let Some(q) = &self.pending else { return };
        if let Some(b) = self.built.take() {
            // A reader built the whole book already.
            self.book = b;
            self.pending = None;
            return;
        }
        if !self.sides_built[s] {
            quote_side(self.half_spread, self.step, self.base_depth, q, s, &mut self.book);
            self.book.ts = q.ts;
            self.sides_built[s] = true;
        }
        if self.sides_built == [true; 2] {
            self.pending = None;
        }
    }

    /// The book to be rewritten whole (a recorded quote): any pending
    /// synthetic quote is dropped unbuilt.
    pub(super) fn book_to_rewrite(&mut self) -> &mut L2Book {
        self.pending = None;
        self.built = OnceCell::new();
        &mut self.book
    }

    /// Notes a synthetic quote refresh at `ts`; the book is built from it
    /// when first looked at.
    pub(super) fn quote(&mut self, mid: f64, spread_mult: f64, params: QuoteParams, ts: Timestamp) {
        self.pending = Some(Quote {
            ts,
            mid,
            spread_mult,
            tick: params.tick,
            lot: params.lot,
            slope: params.slope,
            step_ahead: params.step_ahead,
            noise: self.noise,
            depletion: self.depletion,
            ours: self.ours,
        });
        self.sides_built = [false; 2];
        self.built = OnceCell::new();
    }
}

/// What a quote refresh of an instrument's venues shares.
#[derive(Debug, Clone, Copy)]
pub(super) struct QuoteParams {
    pub tick: Price,
    pub lot: Qty,
    pub slope: f64,
    pub step_ahead: f64,
}

/// Rebuilds side `s` (0 bids, 1 asks) of one venue's book around
/// `q.mid`: the venue's spread (times the intraday multiplier) as a whole
/// number of ticks, at least one, centred on the mid; depth growing away
/// from the touch, and the unrefilled depletion eaten from the top. Where
/// our own resting order at the front shows `step_ahead` times the touch
/// size or more, others quote one tick better, ahead of it, with half a
/// touch (a large visible order invites others in front of it; 0 turns this
/// off). Each side is a function of the quote alone, so building one side
/// and later the other gives the book built whole.
fn quote_side(half_spread: f64, venue_step: Price, base_depth: f64, q: &Quote, s: usize, book: &mut L2Book) {
    let (tick, lot) = (q.tick, q.lot);
    let tick_f = tick.to_f64();
    // A width in ticks rounded to the nearest (not floor and ceiling of each
    // side, which widened a 2.3-tick spread to 3-4 ticks).
    let width = ((2.0 * half_spread * q.spread_mult / tick_f + 0.5) as i64).max(1);
    let bid0 = Price::from_f64(q.mid - width as f64 * tick_f / 2.0)
        .unwrap_or(tick)
        .round_to(tick, Rounding::Nearest)
        .max(tick);
    let ask0 = Price::from_raw(bid0.raw() + width * tick.raw());
    // Sizes are worked out in whole lots: one float-to-int conversion per
    // level instead of an integer division.
    let lot_raw = lot.raw().max(1);
    let base = |s: usize| base_depth / lot_raw as f64 * (1.0 + q.noise[s]).max(0.2);
    let ahead = [
        stepped_ahead(q.ours[0], Side::Buy, bid0, ask0, base(0) * lot_raw as f64, q.step_ahead, tick),
        stepped_ahead(q.ours[1], Side::Sell, ask0, bid0, base(1) * lot_raw as f64, q.step_ahead, tick),
    ];
    // Both sides stepping ahead must not cross: the offer keeps its place then.
    let ahead = match ahead {
        [Some(b), Some(a)] if a <= b => [Some(b), None],
        other => other,
    };
    let (first, dir) = if s == 0 { (bid0, -1i64) } else { (ask0, 1i64) };
    let base_lots = base(s);
    let side = if s == 0 { &mut book.bids } else { &mut book.asks };
    let lead = ahead[s].map(|px| Level { px, qty: Qty::from_raw((base_lots * 0.5) as i64 * lot_raw).max(lot) });
    let mut dep_lots = q.depletion[s] / lot_raw as f64;
    let step = dir * venue_step.raw();
    let mut px = first.raw();
    let mut k = 0usize;
    side.rebuild(lead, || {
        if k == DEPTH || px <= 0 {
            return None;
        }
        let mut size = base_lots * (1.0 + q.slope * k as f64);
        if dep_lots > 0.0 {
            let eaten = dep_lots.min(size);
            dep_lots -= eaten;
            size -= eaten;
        }
        let level = Level { px: Price::from_raw(px), qty: Qty::from_raw(size as i64 * lot_raw) };
        px += step;
        k += 1;
        Some(level)
    });
}

/// The price others step ahead of our order at, if they do: one tick better
/// than ours (or the side's first price) when ours is at the front, shows
/// `ratio` times the touch size or more, and the spread leaves room.
fn stepped_ahead(
    ours: Option<(Price, Qty)>,
    side: Side,
    first: Price,
    opposite: Price,
    touch: f64,
    ratio: f64,
    tick: Price,
) -> Option<Price> {
    let (px, qty) = ours?;
    if ratio <= 0.0 || side.better(px, first) || (qty.raw() as f64) < ratio * touch {
        return None;
    }
    // `better` is from the order's side: a bid below `first` is behind the front.
    let front = if side == Side::Buy { px.max(first) } else { px.min(first) };
    let step = Price::from_raw(front.raw() + side.sign() * tick.raw());
    let inside = if side == Side::Buy { step < opposite } else { step > opposite };
    inside.then_some(step)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn venue() -> VenueMarket {
        let mut v = VenueMarket::new(VenueId(0), 0.3, 0.015, Price::from_raw(10_000_000), 4.0e8, 0.9);
        v.noise = [0.1, -0.2];
        v.depletion = [1.5e8, 0.0];
        v.ours = [Some((Price::parse("99.99").unwrap(), Qty::from_int(5_000))), None];
        v
    }

    fn quote(v: &mut VenueMarket) {
        let params =
            QuoteParams { tick: Price::from_raw(10_000_000), lot: Qty::from_int(1), slope: 0.35, step_ahead: 1.0 };
        v.quote(100.0, 1.2, params, Timestamp(7));
    }

    fn levels(b: &L2Book) -> (Vec<Level>, Vec<Level>, Timestamp) {
        (b.bids.levels().to_vec(), b.asks.levels().to_vec(), b.ts)
    }

    /// The book is the same whichever way it is first looked at: whole for
    /// a reader, whole to change, or one side at a time (a trade).
    #[test]
    fn a_pending_quote_builds_the_same_book_every_way() {
        let mut whole = venue();
        quote(&mut whole);
        let read = levels(whole.book());
        assert_eq!(read.0.len(), 10);
        assert_eq!(read.1.len(), 10);
        assert_eq!(read.2, Timestamp(7));
        // Others step ahead of our 5,000 at 99.99; the depletion eats the bids' top.
        assert!(read.0[0].px > Price::parse("99.99").unwrap());
        let mut by_side = venue();
        quote(&mut by_side);
        let asks = by_side.side_mut(Side::Sell).clone();
        let bids = by_side.side_mut(Side::Buy).clone();
        assert_eq!((bids.levels().to_vec(), asks.levels().to_vec()), (read.0.clone(), read.1.clone()));
        assert_eq!(levels(by_side.book()), read);
        let mut to_change = venue();
        quote(&mut to_change);
        assert_eq!(levels(to_change.book_mut()), read);
        // A reader's build is kept when the book is then changed.
        let mut mixed = venue();
        quote(&mut mixed);
        let _ = mixed.book();
        mixed.side_mut(Side::Sell).eat_from_top(Qty::from_int(1));
        let after = levels(mixed.book());
        assert_eq!(after.0, read.0);
        assert_eq!(after.1[0].qty, read.1[0].qty - Qty::from_int(1));
    }
}
