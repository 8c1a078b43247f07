//! TWAP: equal slices over [start, end].
//!
//! Each slice is first posted passively at the near touch; whatever of it has
//! not filled when the next slice starts is cancelled and crossed, so the
//! order never falls more than one slice behind. A final sweep shortly before
//! `end` crosses any residual; what still cannot fill by `end` is reported as
//! the residual. Optional randomisation moves slice times and sizes within a
//! bound so the pattern is harder to detect; sizes still sum exactly to the
//! parent quantity.
//!
//! Parameters: `slices` (default one per 5 minutes), `randomize` (0..=0.5,
//! fraction of the slice interval and size), `urgency` (`passive` posts first,
//! `aggressive` crosses every slice at once).

use super::{AlgoCtx, AlgoSpec, ExecAlgo, ParamError, Params, PlannedSlice, split_in_lots};
use crate::market::rng::SimRng;
use crate::model::{AlgoKind, Duration, Qty, Timestamp};
use crate::router::Urgency;
use rand::RngExt;

const FINAL: u64 = u64::MAX;
const RETRY: u64 = u64::MAX - 1;

/// The TWAP algorithm.
#[derive(Debug, Clone)]
pub struct Twap {
    plan: Vec<PlannedSlice>,
    end: Timestamp,
    final_at: Timestamp,
    aggressive: bool,
    current: Option<usize>,
    final_phase: bool,
    awaiting_cancels: bool,
}

impl Twap {
    /// Builds the schedule from the parameters.
    pub fn new(spec: &AlgoSpec<'_>, p: &mut Params<'_>, rng: &mut SimRng) -> Result<Twap, ParamError> {
        let window = spec.end - spec.start;
        let default_slices = ((window.0 as f64 / Duration::mins(5).0 as f64).round() as i64).max(1);
        let lots = (spec.qty.raw() / spec.inst.lot_size.raw()).max(1);
        let slices = p.int_in("slices", default_slices.min(lots), 1, 10_000)?;
        if slices > lots {
            return Err(ParamError::new(
                "slices",
                format!("{slices} slices of a {} order leave some slices empty; allowed: 1..={lots}", spec.qty),
            ));
        }
        let randomize = p.f64_in("randomize", 0.0, 0.0, 0.5, false)?;
        let aggressive = p.choice("urgency", "passive", &["passive", "aggressive"])? == "aggressive";
        let n = slices as usize;
        let interval = window.0 as f64 / n as f64;
        // Draw the same number of randoms whatever the parameters.
        let mut weights = Vec::with_capacity(n);
        let mut times = Vec::with_capacity(n);
        for k in 0..n {
            let u_t: f64 = rng.random();
            let u_q: f64 = rng.random();
            let jitter = if k == 0 { 0.0 } else { randomize * (u_t - 0.5) * interval };
            times.push(Timestamp(spec.start.0 + (k as f64 * interval + jitter).round() as i64));
            weights.push(1.0 + randomize * (2.0 * u_q - 1.0));
        }
        let sizes = split_in_lots(spec.qty, &weights, spec.inst.lot_size);
        let mut cum = Qty::ZERO;
        let plan = times
            .into_iter()
            .zip(sizes)
            .map(|(at, qty)| {
                cum += qty;
                PlannedSlice { at, qty, cum }
            })
            .collect();
        let grace = Duration(((interval / 4.0) as i64).clamp(Duration::secs(1).0, Duration::secs(30).0))
            .min(Duration(window.0 / 2));
        Ok(Twap {
            plan,
            end: spec.end,
            final_at: spec.end - grace,
            aggressive,
            current: None,
            final_phase: false,
            awaiting_cancels: false,
        })
    }

    fn due_before(&self, k: usize) -> Qty {
        if k == 0 { Qty::ZERO } else { self.plan[k - 1].cum }
    }

    fn act(&mut self, ctx: &mut AlgoCtx<'_>) {
        let filled = ctx.parent.filled;
        if self.final_phase {
            let left = ctx.unworked();
            if left.is_positive() {
                ctx.send(left, Urgency::Aggressive);
                let retry = ctx.now + Duration::secs(2);
                if retry < self.end {
                    ctx.timer(retry, RETRY);
                }
            }
            return;
        }
        let Some(k) = self.current else { return };
        let behind = self.due_before(k).saturating_sub(filled);
        ctx.send(behind, Urgency::Aggressive);
        let this_slice = self.plan[k].cum.saturating_sub(self.due_before(k).max(filled));
        ctx.send(this_slice, if self.aggressive { Urgency::Aggressive } else { Urgency::Passive });
        match self.plan.get(k + 1) {
            Some(next) if next.at < self.final_at => ctx.timer(next.at, (k + 1) as u64),
            _ => ctx.timer(self.final_at.max(ctx.now), FINAL),
        }
    }

    /// Cancels what is working, then acts once every cancel is confirmed.
    fn refresh(&mut self, ctx: &mut AlgoCtx<'_>) {
        if ctx.working.is_positive() {
            ctx.cancel_all();
            self.awaiting_cancels = true;
        } else {
            self.act(ctx);
        }
    }

    /// Scales the remaining slices so the plan ends at the (amended) parent quantity.
    fn replan_remaining(&mut self, total: Qty, lot: Qty, from: usize) {
        if from >= self.plan.len() {
            return;
        }
        let done = self.due_before(from).min(total);
        let weights: Vec<f64> = self.plan[from..].iter().map(|s| s.qty.to_f64().max(1.0)).collect();
        let sizes = split_in_lots(total - done, &weights, lot);
        let mut cum = done;
        for (s, q) in self.plan[from..].iter_mut().zip(sizes) {
            cum += q;
            s.qty = q;
            s.cum = cum;
        }
    }
}

impl ExecAlgo for Twap {
    fn kind(&self) -> AlgoKind {
        AlgoKind::Twap
    }

    fn plan(&self) -> Vec<PlannedSlice> {
        self.plan.clone()
    }

    fn on_start(&mut self, ctx: &mut AlgoCtx<'_>) {
        let first = self.plan.first().map_or(ctx.now, |s| s.at).max(ctx.now);
        ctx.timer(first, 0);
    }

    fn on_timer(&mut self, ctx: &mut AlgoCtx<'_>, token: u64) {
        match token {
            FINAL => {
                self.final_phase = true;
                self.refresh(ctx);
            }
            RETRY => {
                if self.final_phase && !ctx.working.is_positive() {
                    self.act(ctx);
                }
            }
            k => {
                self.current = Some(k as usize);
                self.refresh(ctx);
            }
        }
    }

    fn on_child_closed(&mut self, ctx: &mut AlgoCtx<'_>) {
        if self.awaiting_cancels && !ctx.working.is_positive() {
            self.awaiting_cancels = false;
            self.act(ctx);
        }
    }

    fn on_resume(&mut self, ctx: &mut AlgoCtx<'_>) {
        let lot = ctx.market.inst.lot_size;
        let k = self.plan.iter().rposition(|s| s.at <= ctx.now).unwrap_or(0);
        self.replan_remaining(ctx.parent.qty, lot, k);
        if ctx.now >= self.final_at {
            self.final_phase = true;
        } else if self.plan.first().is_some_and(|s| s.at > ctx.now) {
            // Not started yet: wait for the first slice.
            ctx.timer(self.plan[0].at, 0);
            return;
        }
        self.current = Some(k);
        self.refresh(ctx);
    }
}
