//! Market-on-close: one order into the listing venue's closing auction.
//!
//! The order goes in `submit_before` ahead of the entry cutoff (NYSE 15:50,
//! Nasdaq 15:55, NYSE Arca 15:59 America/New_York; SIX 17:30 Europe/Zurich),
//! or at the start of the window if that is later. It is a market-on-close
//! order, or limit-on-close when the parent has a limit. It fills only in the
//! auction, at the single uncross price. With `max_pct` the order is capped at
//! that share of the auction's expected volume (imbalance-aware clip: a large
//! MOC is the imbalance, and moves the close against itself); the clipped rest
//! is reported as the residual. Submissions after the cutoff are refused by
//! the engine, with the cutoff time in the message.
//!
//! Parameters: `submit_before` (1s..=6h, default 5m), `max_pct` (0 < p <= 1,
//! default none).

use super::{AlgoCtx, AlgoSpec, ExecAlgo, ParamError, Params, PlannedSlice};
use crate::model::{AlgoKind, Duration, Qty, Timestamp};
use crate::router::Urgency;

const SUBMIT: u64 = 1;

/// The MOC algorithm.
#[derive(Debug, Clone)]
pub struct Moc {
    submit_at: Timestamp,
    cutoff: Timestamp,
    cap: Option<Qty>,
    planned: Qty,
}

impl Moc {
    /// Validates the parameters against the session's auction.
    pub fn new(spec: &AlgoSpec<'_>, p: &mut Params<'_>) -> Result<Moc, ParamError> {
        let Some(auction) = spec.session.auction else {
            return Err(ParamError::new("algo", format!("{} has no closing auction; moc needs one", spec.inst.symbol)));
        };
        let before = p.duration("submit_before", Duration::mins(5), Duration::secs(1), Duration::mins(360))?;
        let max_pct = p.opt_f64_in("max_pct", 0.0, 1.0, true)?;
        let lot = spec.inst.lot_size;
        let expected = spec.inst.adv.to_f64() * spec.inst.auction_share;
        let cap = max_pct.map(|pct| Qty::from_f64(expected * pct).unwrap_or(Qty::ZERO).round_down_to(lot));
        if cap.is_some_and(|c| !c.is_positive()) {
            return Err(ParamError::new(
                "max_pct",
                format!("caps the order at zero (expected auction volume {expected:.0}); allowed: a larger share"),
            ));
        }
        Ok(Moc {
            submit_at: (auction.cutoff - before).max(spec.start),
            cutoff: auction.cutoff,
            cap,
            planned: cap.map_or(spec.qty, |c| c.min(spec.qty)),
        })
    }

    /// Sends what is neither filled nor working (within the cap), if still in time.
    fn submit(&mut self, ctx: &mut AlgoCtx<'_>) {
        // The child must reach the venue by the cutoff; a second is ample.
        if ctx.now + Duration::secs(1) > self.cutoff {
            return;
        }
        let mut q = ctx.unworked();
        if let Some(cap) = self.cap {
            q = q.min(cap.saturating_sub(ctx.parent.filled + ctx.working));
        }
        ctx.send(q, Urgency::Close);
    }
}

impl ExecAlgo for Moc {
    fn kind(&self) -> AlgoKind {
        AlgoKind::Moc
    }

    fn plan(&self) -> Vec<PlannedSlice> {
        vec![PlannedSlice { at: self.submit_at, qty: self.planned, cum: self.planned }]
    }

    fn on_start(&mut self, ctx: &mut AlgoCtx<'_>) {
        ctx.timer(self.submit_at.max(ctx.now), SUBMIT);
    }

    fn on_timer(&mut self, ctx: &mut AlgoCtx<'_>, _token: u64) {
        self.submit(ctx);
    }

    fn on_child_closed(&mut self, ctx: &mut AlgoCtx<'_>) {
        // After an amend down the old order is cancelled; re-enter the rest.
        if ctx.now >= self.submit_at {
            self.submit(ctx);
        }
    }

    fn on_amend(&mut self, ctx: &mut AlgoCtx<'_>) {
        // Before the submission time the timer is still armed.
        if ctx.now >= self.submit_at {
            self.submit(ctx);
        }
    }

    fn on_resume(&mut self, ctx: &mut AlgoCtx<'_>) {
        if ctx.now >= self.submit_at {
            self.submit(ctx);
        } else {
            ctx.timer(self.submit_at, SUBMIT);
        }
    }

    fn summary(&self) -> Option<String> {
        Some(format!(
            "closing auction: {} submitted before the cutoff{}",
            self.planned,
            self.cap.map(|c| format!(", capped at {c} of the expected auction volume")).unwrap_or_default()
        ))
    }
}
