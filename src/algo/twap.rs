//! TWAP: equal slices over [start, end].
//!
//! Worked by the shared [`Slicer`]: each slice is first posted passively at
//! the near touch; whatever of it has not filled when the next slice starts is
//! cancelled and crossed; a final sweep shortly before `end` crosses any
//! residual. Optional randomisation moves slice times and sizes within a bound
//! so the pattern is harder to detect; sizes still sum exactly to the parent
//! quantity.
//!
//! Parameters: `slices` (default one per 5 minutes), `randomize` (0..=0.5,
//! fraction of the slice interval and size), `urgency` (`passive` posts first,
//! `aggressive` crosses every slice at once).

use super::slicer::{Slicer, default_slices, display_param, plan_from};
use super::{AlgoSpec, ExecAlgo, ParamError, Params};
use crate::market::rng::SimRng;
use crate::model::{AlgoKind, Timestamp};
use rand::RngExt;

/// The TWAP algorithm.
#[derive(Debug, Clone)]
pub struct Twap {
    slicer: Slicer,
}

impl Twap {
    /// Builds the schedule from the parameters.
    pub fn new(spec: &AlgoSpec<'_>, p: &mut Params<'_>, rng: &mut SimRng) -> Result<Twap, ParamError> {
        let window = spec.end - spec.start;
        let (default_n, lots) = default_slices(spec.start, spec.end, spec.qty, spec.inst.lot_size);
        let slices = p.int_in("slices", default_n, 1, 10_000)?;
        if slices > lots {
            return Err(ParamError::new(
                "slices",
                format!("{slices} slices of a {} order leave some slices empty; allowed: 1..={lots}", spec.qty),
            ));
        }
        let randomize = p.f64_in("randomize", 0.0, 0.0, 0.5, false)?;
        let aggressive = p.choice("urgency", "passive", &["passive", "aggressive"])? == "aggressive";
        let display = display_param(p)?;
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
        let plan = plan_from(&times, &weights, spec.qty, spec.inst.lot_size);
        Ok(Twap { slicer: Slicer::new(plan, None, spec.start, spec.end, aggressive).with_display(display) })
    }
}

impl ExecAlgo for Twap {
    fn kind(&self) -> AlgoKind {
        AlgoKind::Twap
    }

    super::slicer::delegate_to_slicer!();
}
