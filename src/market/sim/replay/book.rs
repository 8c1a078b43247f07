//! The book a replay quotes: a recorded one shifted by our impact, the
//! levels extrapolated behind a recorded (or made) top of book, and the
//! touch made around the last print where nothing was quoted. Only what was
//! recorded refills over the venue's resilience time; everything made up
//! refills as the tape prints on its side (`InstrumentMarket::replay_trade`).

use super::super::VenueMarket;
use crate::market::InstrumentMarket;
use crate::market::book::DEPTH;
use crate::market::replay::RecQuote;
use crate::model::{Price, Qty, Rounding};

/// How far each level extrapolated behind a recorded top of book lies from
/// the recorded touch, raw price units (index 0, the touch itself, is 0):
/// the impact model's depth profile. Taking a quantity `Q` at once moves the
/// mid by `Y sigma P sqrt((1 + k) Q / ADV)` (permanent plus the whole
/// transient part, `market::impact`), the square-root law's locally linear
/// latent book (Toth et al. 2011; Donier et al. 2015); level `k` is placed
/// where that profile says the size in front of it (the typical touch and
/// the extrapolated levels before it) has taken the price, on the tick grid
/// rounded away from the touch, and never nearer than `k` venue steps (the
/// spacing before: a profile finer than the step keeps it).
pub(super) fn depth_offsets(m: &InstrumentMarket, typical_raw: f64, step: Price) -> [i64; DEPTH] {
    let (c, sc) = (m.impact.coeffs(), m.impact.scale());
    let tick = m.inst.tick_size.raw().max(1);
    let typical = typical_raw / Qty::SCALE as f64;
    let per_unit =
        c.y * sc.daily_vol * sc.price * ((1.0 + c.transient) / sc.daily_volume.max(f64::MIN_POSITIVE)).sqrt();
    let mut out = [0i64; DEPTH];
    let mut ahead = 0.0;
    for k in 1..DEPTH {
        ahead += typical * (1.0 + m.params.depth_slope * (k - 1) as f64);
        let profile = per_unit * ahead.sqrt() * Price::SCALE as f64;
        let on_grid =
            if profile.is_finite() { ((profile / tick as f64).ceil() as i64).saturating_mul(tick) } else { 0 };
        out[k] = on_grid.max(k as i64 * step.raw()).max(out[k - 1] + step.raw());
    }
    out
}

/// Quotes one venue from a recorded book shifted by our impact, with the
/// liquidity we took still missing from the top. A top-of-book-only
/// recording gets deeper levels at `offsets` from the touch (the impact
/// model's depth profile, `depth_offsets`), sized like the recording's
/// typical touch (a momentarily thin touch says nothing about the book
/// behind it) growing by `slope` per level; what we took from them
/// (`synthetic_depletion`) stays missing until the tape's prints on that
/// side make up for it.
///
/// With `Recorded::No` (a top of book made around the last print, see
/// `made_touch`) the touch is made up too: it shows nothing recorded, so
/// what we take from it also refills only with the tape (one rule for every
/// level the recording did not show, wherever it was made).
pub(super) fn quote_recorded(
    v: &mut VenueMarket,
    q: Levels<'_>,
    recorded: Recorded,
    shift: Price,
    lot: Qty,
    slope: f64,
    offsets: &[i64; DEPTH],
) {
    let (typical, depletion, synthetic) = (v.base_depth, v.depletion, v.synthetic_depletion);
    let mut shown = [0.0; 2];
    let book = v.book_to_rewrite();
    for (s, levels, dir) in [(0usize, q.bids, -1i64), (1usize, q.asks, 1i64)] {
        let side = if s == 0 { &mut book.bids } else { &mut book.asks };
        side.clear();
        let mut dep = match recorded {
            Recorded::Yes => depletion[s],
            // Nothing here was recorded: what the tape has not made up for
            // is missing from the top (a take from a recorded book before
            // this one, not yet refilled, too).
            Recorded::No => depletion[s] + synthetic[s],
        };
        let mut push = |dep: &mut f64, px: Price, size: f64| {
            let eaten = dep.min(size);
            *dep -= eaten;
            let left = Qty::from_f64((size - eaten) / Qty::SCALE as f64).unwrap_or_default().round_down_to(lot);
            if px.is_positive() {
                side.push(px, left);
                left.raw() as f64
            } else {
                0.0
            }
        };
        for &(px, size) in levels.iter().take(DEPTH) {
            shown[s] += push(&mut dep, px + shift, size.raw() as f64);
        }
        if let [(px, _)] = levels {
            // What we took from the recorded levels beyond what they show
            // now, then what the tape has not made up for, eat the
            // extrapolated levels from the top.
            if recorded == Recorded::Yes {
                dep += synthetic[s];
            }
            for (k, off) in offsets.iter().enumerate().skip(1) {
                let p = Price::from_raw(px.raw() + shift.raw() + dir * off);
                push(&mut dep, p, typical * (1.0 + slope * k as f64));
            }
        }
    }
    v.recorded_shown = match recorded {
        Recorded::Yes => [Some(shown[0]), Some(shown[1])],
        // A take from a made-up book is all the tape's to refill.
        Recorded::No => [Some(0.0); 2],
    };
}

/// Whether a book quoted by `quote_recorded` was recorded or made up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Recorded {
    Yes,
    No,
}

/// The top of book a replay shows where nothing was quoted (no quotes in
/// the recording, or before the first): one level a side around `mid` (the
/// last print with our impact), the venue's spread as a whole number of ticks (at least
/// one, as the synthetic market quotes it), `typical` (raw) on each side.
pub(super) fn made_touch(mid: f64, half_spread: f64, tick: Price, typical: f64, lot: Qty) -> [(Price, Qty); 2] {
    let tick_f = tick.to_f64();
    let width = ((2.0 * half_spread / tick_f + 0.5) as i64).max(1);
    let bid =
        Price::from_f64(mid - width as f64 * tick_f / 2.0).unwrap_or(tick).round_to(tick, Rounding::Nearest).max(tick);
    let ask = Price::from_raw(bid.raw() + width * tick.raw());
    let size = Qty::from_f64(typical / Qty::SCALE as f64).unwrap_or_default().round_down_to(lot);
    [(bid, size), (ask, size)]
}

/// One book's levels, best first, each side: a recorded quote's or a made
/// touch's (borrowed: a made touch is rebuilt at every refresh, without an
/// allocation).
#[derive(Clone, Copy)]
pub(super) struct Levels<'a> {
    pub bids: &'a [(Price, Qty)],
    pub asks: &'a [(Price, Qty)],
}

impl<'a> Levels<'a> {
    pub(super) fn of(q: &'a RecQuote) -> Self {
        Levels { bids: &q.bids, asks: &q.asks }
    }
}
