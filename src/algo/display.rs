//! How a schedule's passive quantity is shown: the one rule the slicer
//! (TWAP, static VWAP, IS) and the tracker (dynamic VWAP) share.
//!
//! A resting child shows at most `display` times the instrument's touch
//! depth at once; the next piece goes up as what is shown fills, at the
//! back of the queue like any new order. A bid many times the touch is not
//! shown whole because it would advertise the order and, resting whole,
//! take a share of the contra flow no single order gets. What a schedule
//! rests at all is its own: the slicer a slice's quantity until the next
//! slice, the tracker what a step ahead owes.

use super::{AlgoCtx, ParamError, Params};
use crate::model::{Instrument, Qty};
use crate::router::Urgency;

/// Default display size of a passive child, in multiples of the instrument's
/// touch depth (the displayed size at the best price across its venues).
pub const DEFAULT_DISPLAY: f64 = 1.0;

/// The `display` parameter: what a passive child shows at most, in multiples
/// of the instrument's touch depth.
pub fn display_param(p: &mut Params<'_>) -> Result<f64, ParamError> {
    p.f64_in("display", DEFAULT_DISPLAY, 0.0, 1000.0, true)
}

/// The most a passive child shows on `inst`'s market with `display` touches:
/// at least one lot.
pub fn display_qty(inst: &Instrument, display: f64) -> Qty {
    let lot = inst.lot_size;
    Qty::from_f64(inst.touch_depth.to_f64() * display).unwrap_or(Qty::MAX).round_down_to(lot).max(lot)
}

/// Sends up to `qty` passively, no more than `display` touches beside what
/// already works. Returns what it sent.
pub fn show(ctx: &mut AlgoCtx<'_>, display: f64, qty: Qty) -> Qty {
    let show = display_qty(&ctx.market.inst, display).saturating_sub(ctx.working).min(qty);
    ctx.send(show, Urgency::Passive);
    show
}

/// A period's passive quantity: what is shown and what is still to show.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shown {
    /// The most shown at once, in multiples of the touch depth.
    display: f64,
    /// What of the period's quantity is still to be shown.
    pending: Qty,
}

impl Shown {
    /// Nothing to show yet, at most `display` touches at a time.
    pub fn new(display: f64) -> Shown {
        Shown { display, pending: Qty::ZERO }
    }

    /// Works `qty` passively for the period (replacing what was pending):
    /// shows what the display size leaves beside what already works and
    /// keeps the rest to show as that fills. Returns what it sent.
    pub fn post(&mut self, ctx: &mut AlgoCtx<'_>, qty: Qty) -> Qty {
        let shown = show(ctx, self.display, qty);
        self.pending = qty.saturating_sub(shown);
        shown
    }

    /// A child closed: shows the next piece of what is pending (never more
    /// than the order has unworked). Returns what it sent.
    pub fn refill(&mut self, ctx: &mut AlgoCtx<'_>) -> Qty {
        if !self.pending.is_positive() {
            return Qty::ZERO;
        }
        let pending = self.pending.min(ctx.unworked());
        self.post(ctx, pending)
    }

    /// What of the period's quantity is still to be shown.
    pub fn pending(&self) -> Qty {
        self.pending
    }

    /// Nothing more to show this period (the order crosses, or the period ended).
    pub fn clear(&mut self) {
        self.pending = Qty::ZERO;
    }
}
