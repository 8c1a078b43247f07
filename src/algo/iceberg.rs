//! Iceberg: show only a tip at the limit, refill when it fills, until done.
//!
//! The tip is posted passively at the near touch, or at the limit when the
//! limit is the better price for us to wait at, so it never shows more than
//! the tip in total across venues (the router may split one tip over several
//! venues; each child is a piece of the same tip). A new tip goes up only when
//! every piece of the last one has closed. With `tip_variance = v` each tip is
//! `tip * (1 - v u)` for a fresh uniform `u` in [0, 1): the size varies so it
//! is harder to spot, but is never larger than `tip`. Every `repeg` interval
//! the tip is moved up to the touch if the market has moved away from it
//! (never beyond the limit).
//!
//! Parameters: `tip` (default 5 x the average trade size, at most the order),
//! `tip_variance` (0..=0.9, default 0), `repeg` (1s..=1h, default 30s). A limit
//! price is required.

use super::{AlgoCtx, AlgoSpec, ExecAlgo, ParamError, Params, PlannedSlice};
use crate::model::{AlgoKind, Duration, Price, Qty};
use crate::router::{Urgency, passive_price};
use rand::RngExt;

const REPEG: u64 = 1;

/// The Iceberg algorithm.
#[derive(Debug, Clone)]
pub struct Iceberg {
    tip: Qty,
    variance: f64,
    repeg: Duration,
    posted_px: Option<Price>,
}

impl Iceberg {
    /// Validates the parameters.
    pub fn new(spec: &AlgoSpec<'_>, p: &mut Params<'_>) -> Result<Iceberg, ParamError> {
        let lot = spec.inst.lot_size;
        if spec.limit.is_none() {
            return Err(ParamError::new("limit_px", "iceberg needs a limit price (--limit)"));
        }
        let default_tip = spec.inst.avg_trade_size.mul_int(5).round_down_to(lot).max(lot).min(spec.qty);
        let tip = p.qty("tip", lot)?.unwrap_or(default_tip);
        if tip > spec.qty {
            return Err(ParamError::new(
                "tip",
                format!("{tip} exceeds the order quantity; allowed: {lot}..={}", spec.qty),
            ));
        }
        let variance = p.f64_in("tip_variance", 0.0, 0.0, 0.9, false)?;
        let repeg = p.duration("repeg", Duration::secs(30), Duration::secs(1), Duration::mins(60))?;
        Ok(Iceberg { tip, variance, repeg, posted_px: None })
    }

    /// The largest quantity this iceberg ever shows.
    pub fn tip(&self) -> Qty {
        self.tip
    }

    /// Posts the next tip once nothing of the last one is working.
    fn refill(&mut self, ctx: &mut AlgoCtx<'_>) {
        if ctx.working.is_positive() {
            return;
        }
        let lot = ctx.market.inst.lot_size;
        // One draw per tip, whatever the variance, so runs stay comparable.
        let u: f64 = ctx.rng.random();
        let shown = Qty::from_f64(self.tip.to_f64() * (1.0 - self.variance * u))
            .unwrap_or(lot)
            .round_down_to(lot)
            .max(lot)
            .min(self.tip)
            .min(ctx.unworked());
        if shown.is_positive() {
            self.posted_px = Some(passive_price(ctx.market, ctx.parent.side, ctx.parent.limit_px, ctx.now));
            ctx.send(shown, Urgency::Passive);
        }
    }
}

impl ExecAlgo for Iceberg {
    fn kind(&self) -> AlgoKind {
        AlgoKind::Iceberg
    }

    fn plan(&self) -> Vec<PlannedSlice> {
        Vec::new()
    }

    fn on_start(&mut self, ctx: &mut AlgoCtx<'_>) {
        self.refill(ctx);
        ctx.timer(ctx.now + self.repeg, REPEG);
    }

    fn on_timer(&mut self, ctx: &mut AlgoCtx<'_>, _token: u64) {
        let side = ctx.parent.side;
        let now_px = passive_price(ctx.market, side, ctx.parent.limit_px, ctx.now);
        if ctx.working.is_positive()
            && let Some(px) = self.posted_px
            && side.better(px, now_px)
        {
            // The touch moved away: cancel, and re-post once the cancel is confirmed.
            ctx.cancel_all();
        }
        ctx.timer(ctx.now + self.repeg, REPEG);
    }

    fn on_child_closed(&mut self, ctx: &mut AlgoCtx<'_>) {
        self.refill(ctx);
    }

    fn on_amend(&mut self, ctx: &mut AlgoCtx<'_>) {
        // The engine moved a tip priced through the new limit onto it; the
        // re-peg timer still runs.
        let side = ctx.parent.side;
        if let (Some(px), Some(limit)) = (self.posted_px, ctx.parent.limit_px)
            && side.better(limit, px)
        {
            self.posted_px = Some(limit);
        }
        self.refill(ctx);
    }

    fn on_resume(&mut self, ctx: &mut AlgoCtx<'_>) {
        // Timers set before the pause are void: re-arm the re-peg.
        self.refill(ctx);
        ctx.timer(ctx.now + self.repeg, REPEG);
    }

    fn summary(&self) -> Option<String> {
        Some(format!(
            "reactive: shows at most {} at a time (variance {:.0}%), re-pegged every {}s",
            self.tip,
            self.variance * 100.0,
            self.repeg.as_secs_f64()
        ))
    }
}
