//! POV: hold a target share of the market's volume.
//!
//! The rate `r` is our share of all volume traded, ours included, so we may
//! trade `r / (1 - r)` times what others print. Participation is measured on
//! the prints as they happen: every print by someone else (our own fills
//! excluded) adds that much to an *allowance*; whenever the allowance exceeds
//! what is filled or working by at least `min_child`, a child of up to
//! `max_child` is sent (crossing by default, one sweep at a time, so the
//! order keeps pace with the tape; `urgency=passive` posts at the touch
//! instead).
//!
//! The guarantee: the allowance may never run more than `burst` (default
//! `max_child`) ahead of what is filled, and filled plus working never exceed
//! it, so over **any** window of time
//! `our fills <= r / (1 - r) * others' volume in the window + burst`.
//! Over a 5-minute window of a liquid name (AAPL trades ~80,000 shares a
//! minute even at midday) the default burst (10 x 110 = 1,100 shares for
//! AAPL) moves the realised participation by under 0.3 percentage point.
//!
//! It never stalls. Volume it could not take (a sweep that came back short,
//! nothing displayed on the far side) stays owed, up to `burst`, and is
//! taken on the next print or as soon as liquidity returns:
//! - a sweep that comes back short is retried on the next print;
//! - with nothing to take on the far side (an empty or one-sided book, or
//!   nothing inside the limit) it posts at the near touch instead (at a half
//!   spread from the last price when that side is empty too), and cancels
//!   those posts to cross again as soon as the far side shows liquidity;
//! - a resting child the touch has moved away from for `PEG_AFTER` is
//!   cancelled and posted again at the new touch.
//!
//! The order stops at its quantity, and expires at `end` with the rest when
//! the volume did not allow more.
//!
//! Parameters: `rate` (0 < r <= 0.5, default 0.1), `min_child` (default the
//! instrument's average trade size), `max_child` (default 10 x `min_child`),
//! `burst` (>= `min_child`, default `max_child`), `urgency`
//! (`aggressive` | `passive`, default `aggressive`).

use super::slicer::equal_times;
use super::{AlgoCtx, AlgoSpec, ExecAlgo, ParamError, Params, PlannedSlice};
use crate::model::{AlgoKind, Duration, Price, Qty, Timestamp};
use crate::router::{Urgency, passive_price};

/// How long a posted child may rest behind a touch that moved away before it is re-posted there.
pub const PEG_AFTER: Duration = Duration::secs(5);

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
    /// Where and since when our posted children rest (the latest post).
    posted: Option<(Price, Timestamp)>,
    /// Posts made only because there was nothing to cross against.
    fallback: bool,
    /// Cancels sent to re-post or cross; act again once they are confirmed.
    refreshing: bool,
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
            posted: None,
            fallback: false,
            refreshing: false,
            preview: indicative_plan(spec, ratio),
        })
    }

    fn top_up(&mut self, ctx: &mut AlgoCtx<'_>) {
        if self.refreshing {
            return;
        }
        if self.in_flight.is_some() {
            if ctx.working.is_positive() {
                return;
            }
            // The sweep is over, or nothing left for want of liquidity: what it missed stays owed.
            self.in_flight = None;
        }
        let committed = (ctx.parent.filled + ctx.working).raw() as f64;
        let free = Qty::from_raw((self.allowance - committed).max(0.0) as i64).round_down_to(ctx.market.inst.lot_size);
        let q = free.min(self.max_child).min(ctx.unworked());
        if free < self.min_child || !q.is_positive() {
            return;
        }
        if self.urgency == Urgency::Aggressive && can_take(ctx) {
            ctx.send(q, Urgency::Aggressive);
            self.in_flight = Some(ctx.parent.filled + q);
        } else {
            self.fallback = self.urgency == Urgency::Aggressive;
            let px = passive_price(ctx.market, ctx.parent.side, ctx.parent.limit_px, ctx.now);
            ctx.send(q, Urgency::Passive);
            self.posted = Some((px, ctx.now));
        }
    }

    /// Cancels what rests, to act again once the cancels are confirmed.
    fn refresh(&mut self, ctx: &mut AlgoCtx<'_>) {
        self.refreshing = true;
        self.posted = None;
        self.fallback = false;
        ctx.cancel_all();
    }
}

/// Whether the far side displays liquidity at or inside the parent's limit.
fn can_take(ctx: &AlgoCtx<'_>) -> bool {
    let side = ctx.parent.side;
    ctx.market
        .nbbo()
        .far(side)
        .is_some_and(|l| l.qty.is_positive() && ctx.parent.limit_px.is_none_or(|limit| !side.better(limit, l.px)))
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
        if ctx.working.is_positive() {
            return;
        }
        self.in_flight = None;
        self.refreshing = false;
        self.posted = None;
        self.fallback = false;
        self.top_up(ctx);
    }

    fn on_quote(&mut self, ctx: &mut AlgoCtx<'_>) {
        if self.refreshing || !ctx.working.is_positive() {
            return;
        }
        let Some((px, since)) = self.posted else { return };
        if self.fallback && can_take(ctx) {
            // Liquidity is back: cross instead of waiting.
            self.refresh(ctx);
            return;
        }
        let side = ctx.parent.side;
        let touch = passive_price(ctx.market, side, ctx.parent.limit_px, ctx.now);
        if side.better(touch, px) && ctx.now - since >= PEG_AFTER {
            self.refresh(ctx);
        }
    }

    fn on_resume(&mut self, ctx: &mut AlgoCtx<'_>) {
        // Volume printed while paused earns nothing; children cancelled while
        // paused are no longer in flight.
        let cap = (ctx.parent.filled + self.burst).raw() as f64;
        self.allowance = self.allowance.min(cap);
        if !ctx.working.is_positive() {
            self.in_flight = None;
            self.refreshing = false;
            self.posted = None;
        }
        self.top_up(ctx);
    }

    fn wants_trades(&self) -> bool {
        true
    }

    fn wants_quotes(&self) -> bool {
        true
    }

    fn crosses(&self) -> bool {
        self.urgency == Urgency::Aggressive
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
