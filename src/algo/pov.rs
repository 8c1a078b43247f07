//! POV: hold a target share of the market's volume.
//!
//! The rate `r` is our share of all volume traded, ours included, so we may
//! trade `r / (1 - r)` times what others print. Every print on the tape by
//! someone else (our own fills excluded) adds that much to an *allowance*;
//! whenever the allowance exceeds what is filled or working by at least
//! `min_child`, a child of up to `max_child` is sent (crossing by default, one
//! sweep at a time, so the order keeps pace with the tape; `urgency=passive`
//! posts at the touch instead).
//!
//! The guarantee: the allowance may never run more than `burst` (default
//! `max_child`) ahead of what is filled, and filled plus working never exceed
//! it, so over **any** window of time
//! `our fills <= r / (1 - r) * others' volume in the window + burst`.
//! Over a 5-minute window of a liquid name (AAPL trades ~80,000 shares a
//! minute even at midday) the default burst (10 x 110 = 1,100 shares for
//! AAPL) moves the realised participation by under 0.3 percentage point. Volume missed
//! while unable to fill (a child short of liquidity) is forgiven rather than
//! chased; the order stops at its quantity and expires at `end` with the rest.
//!
//! Parameters: `rate` (0 < r <= 0.5, default 0.1), `min_child` (default the
//! instrument's average trade size), `max_child` (default 10 x `min_child`),
//! `burst` (>= `min_child`, default `max_child`), `urgency`
//! (`aggressive` | `passive`, default `aggressive`).

use super::slicer::equal_times;
use super::{AlgoCtx, AlgoSpec, ExecAlgo, ParamError, Params, PlannedSlice};
use crate::model::{AlgoKind, Price, Qty};
use crate::router::Urgency;

/// The POV algorithm.
#[derive(Debug, Clone)]
pub struct Pov {
    ratio: f64,
    min_child: Qty,
    max_child: Qty,
    burst: Qty,
    urgency: Urgency,
    /// Quantity we may have filled or working (raw units, fractional).
    allowance: f64,
    /// Crossing: one sweep at a time; what it should bring `filled` to.
    in_flight: Option<Qty>,
    preview: Vec<PlannedSlice>,
}

impl Pov {
    /// Validates the parameters.
    pub fn new(spec: &AlgoSpec<'_>, p: &mut Params<'_>) -> Result<Pov, ParamError> {
        let lot = spec.inst.lot_size;
        let rate = p.f64_in("rate", 0.1, 0.0, 0.5, true)?;
        let min_child =
            p.qty("min_child", lot)?.unwrap_or_else(|| spec.inst.avg_trade_size.round_down_to(lot).max(lot));
        let max_child = p.qty("max_child", lot)?.unwrap_or(min_child.mul_int(10));
        if max_child < min_child {
            return Err(ParamError::new(
                "max_child",
                format!("{max_child} is below min_child {min_child}; allowed: >= {min_child}"),
            ));
        }
        let burst = p.qty("burst", lot)?.unwrap_or(max_child);
        if burst < min_child {
            return Err(ParamError::new(
                "burst",
                format!("{burst} is below min_child {min_child}; allowed: >= {min_child}"),
            ));
        }
        let urgency = match p.choice("urgency", "aggressive", &["aggressive", "passive"])? {
            "passive" => Urgency::Passive,
            _ => Urgency::Aggressive,
        };
        let ratio = rate / (1.0 - rate);
        Ok(Pov {
            ratio,
            min_child,
            max_child,
            burst,
            urgency,
            allowance: 0.0,
            in_flight: None,
            preview: indicative_plan(spec, ratio),
        })
    }

    fn top_up(&mut self, ctx: &mut AlgoCtx<'_>) {
        if self.in_flight.is_some() {
            return;
        }
        let committed = (ctx.parent.filled + ctx.working).raw() as f64;
        let free = Qty::from_raw((self.allowance - committed).max(0.0) as i64).round_down_to(ctx.market.inst.lot_size);
        let q = free.min(self.max_child).min(ctx.unworked());
        if free >= self.min_child && q.is_positive() {
            ctx.send(q, self.urgency);
            if self.urgency == Urgency::Aggressive {
                self.in_flight = Some(ctx.parent.filled + q);
            }
        }
    }
}

/// What the order is expected to trade per 5 minutes if the curve's volume
/// prints (a preview only: POV follows the actual tape).
fn indicative_plan(spec: &AlgoSpec<'_>, ratio: f64) -> Vec<PlannedSlice> {
    let n = (((spec.end - spec.start).0 as f64 / 300e9).round() as usize).max(1);
    let times = equal_times(spec.start, spec.end, n);
    let others = spec.inst.adv.to_f64() * (1.0 - spec.inst.auction_share);
    let mut cum = Qty::ZERO;
    let mut out = Vec::new();
    for (k, &t) in times.iter().enumerate() {
        let until = times.get(k + 1).copied().unwrap_or(spec.end);
        let expect = others * spec.curve.share_between(t, until) * ratio;
        let q = Qty::from_f64(expect).unwrap_or(Qty::ZERO).round_down_to(spec.inst.lot_size).min(spec.qty - cum);
        cum += q;
        out.push(PlannedSlice { at: t, qty: q, cum });
        if cum >= spec.qty {
            break;
        }
    }
    out
}

impl ExecAlgo for Pov {
    fn kind(&self) -> AlgoKind {
        AlgoKind::Pov
    }

    fn plan(&self) -> Vec<PlannedSlice> {
        self.preview.clone()
    }

    fn on_start(&mut self, ctx: &mut AlgoCtx<'_>) {
        self.allowance = ctx.parent.filled.raw() as f64;
    }

    fn on_timer(&mut self, _ctx: &mut AlgoCtx<'_>, _token: u64) {}

    fn on_trade(&mut self, ctx: &mut AlgoCtx<'_>, _px: Price, qty: Qty) {
        let cap = (ctx.parent.filled + self.burst).raw() as f64;
        self.allowance = (self.allowance + self.ratio * qty.raw() as f64).min(cap);
        self.top_up(ctx);
    }

    fn on_child_closed(&mut self, ctx: &mut AlgoCtx<'_>) {
        if let Some(target) = self.in_flight
            && !ctx.working.is_positive()
        {
            // A sweep that came back short (no liquidity at the limit) forgives
            // the shortfall instead of chasing it on every print.
            self.in_flight = None;
            let short = target.saturating_sub(ctx.parent.filled).raw() as f64;
            self.allowance = (self.allowance - short).max(ctx.parent.filled.raw() as f64);
        }
    }

    fn on_resume(&mut self, ctx: &mut AlgoCtx<'_>) {
        // Volume printed while paused earns nothing; a sweep cancelled while
        // paused is no longer in flight.
        let cap = (ctx.parent.filled + self.burst).raw() as f64;
        self.allowance = self.allowance.min(cap);
        if !ctx.working.is_positive() {
            self.in_flight = None;
        }
        self.top_up(ctx);
    }

    fn wants_trades(&self) -> bool {
        true
    }

    fn summary(&self) -> Option<String> {
        let rate = self.ratio / (1.0 + self.ratio);
        Some(format!(
            "{:.1}% of volume; children {}..{}; never more than {} ahead of the rate over any window",
            rate * 100.0,
            self.min_child,
            self.max_child,
            self.burst
        ))
    }
}
