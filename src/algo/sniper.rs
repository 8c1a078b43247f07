//! Sniper: take liquidity only when it appears at the limit or better.
//!
//! On every quote update it looks at each venue's book: a venue qualifies when
//! it displays at least `min_size` at prices at or inside the limit. When at
//! least one does, it sends one aggressive sweep of up to `max_clip` that the
//! router spreads over the qualifying venues only (one IOC per venue, best net
//! price first), and waits for that sweep to close before the next. It never
//! rests an order, so it shows nothing.
//!
//! Parameters: `min_size` (default the average trade size), `max_clip`
//! (default the instrument's typical displayed touch size). A limit price is
//! required.

use super::{AlgoCtx, AlgoSpec, ExecAlgo, ParamError, Params, PlannedSlice};
use crate::model::{AlgoKind, Qty};
use crate::router::takeable;

/// The Sniper algorithm.
#[derive(Debug, Clone)]
pub struct Sniper {
    min_size: Qty,
    max_clip: Qty,
}

impl Sniper {
    /// Validates the parameters.
    pub fn new(spec: &AlgoSpec<'_>, p: &mut Params<'_>) -> Result<Sniper, ParamError> {
        let lot = spec.inst.lot_size;
        if spec.limit.is_none() {
            return Err(ParamError::new("limit_px", "sniper needs a limit price (--limit)"));
        }
        let min_size = p.qty("min_size", lot)?.unwrap_or_else(|| spec.inst.avg_trade_size.round_down_to(lot).max(lot));
        let max_clip = p.qty("max_clip", lot)?.unwrap_or_else(|| spec.inst.touch_depth.round_down_to(lot).max(lot));
        Ok(Sniper { min_size, max_clip })
    }

    fn look(&mut self, ctx: &mut AlgoCtx<'_>) {
        if ctx.working.is_positive() {
            return;
        }
        let (side, limit) = (ctx.parent.side, ctx.parent.limit_px);
        let qualifies = ctx.market.venues.iter().any(|v| takeable(v.book(), side, limit) >= self.min_size);
        if qualifies {
            let q = ctx.unworked().min(self.max_clip);
            ctx.sweep(q, self.min_size);
        }
    }
}

impl ExecAlgo for Sniper {
    fn kind(&self) -> AlgoKind {
        AlgoKind::Sniper
    }

    fn plan(&self) -> Vec<PlannedSlice> {
        Vec::new()
    }

    fn on_start(&mut self, ctx: &mut AlgoCtx<'_>) {
        self.look(ctx);
    }

    fn on_timer(&mut self, _ctx: &mut AlgoCtx<'_>, _token: u64) {}

    fn on_quote(&mut self, ctx: &mut AlgoCtx<'_>) {
        self.look(ctx);
    }

    fn on_resume(&mut self, ctx: &mut AlgoCtx<'_>) {
        self.look(ctx);
    }

    fn wants_quotes(&self) -> bool {
        true
    }

    fn crosses(&self) -> bool {
        true
    }

    fn summary(&self) -> Option<String> {
        Some(format!(
            "reactive: takes up to {} per sweep from venues showing at least {} at the limit or better",
            self.max_clip, self.min_size
        ))
    }
}
