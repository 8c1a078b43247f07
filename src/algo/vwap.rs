//! VWAP: slices proportional to the intraday volume curve over [start, end].
//!
//! The schedule follows the instrument's `VolumeCurve` (the U-shape by
//! default, or the instrument's own `volume_curve` from the universe file):
//! slice k gets the curve's share of [t_k, t_k+1) out of the window's share.
//! Worked by the shared [`Slicer`] with re-balancing on: each slice is posted
//! passively while time allows; at the next slice whatever is behind the curve
//! is crossed; when ahead (after an amend or a resume) or when the optional
//! participation cap stops a catch-up, the remaining quantity is re-planned
//! over the rest of the curve. With `max_pct` no slice takes the order above
//! that share of the volume traded (ours included), counting what others have
//! printed since the start plus what the curve expects until the next slice.
//!
//! Parameters: `slices` (default one per 5 minutes), `max_pct` (0 < p <= 0.5,
//! default none), `urgency` (`passive` posts first, `aggressive` crosses).

use super::slicer::{Slicer, default_slices, equal_times, plan_from};
use super::{AlgoSpec, ExecAlgo, ParamError, Params};
use crate::model::AlgoKind;

/// The VWAP algorithm.
#[derive(Debug, Clone)]
pub struct Vwap {
    slicer: Slicer,
}

impl Vwap {
    /// Plans the slices along the curve.
    pub fn new(spec: &AlgoSpec<'_>, p: &mut Params<'_>) -> Result<Vwap, ParamError> {
        let lot = spec.inst.lot_size;
        let (default_n, lots) = default_slices(spec.start, spec.end, spec.qty, lot);
        let slices = p.int_in("slices", default_n, 1, lots.min(10_000))? as usize;
        let max_pct = p.opt_f64_in("max_pct", 0.0, 0.5, true)?;
        let aggressive = p.choice("urgency", "passive", &["passive", "aggressive"])? == "aggressive";
        let times = equal_times(spec.start, spec.end, slices);
        let mut weights: Vec<f64> = times
            .iter()
            .enumerate()
            .map(|(k, &t)| spec.curve.share_between(t, times.get(k + 1).copied().unwrap_or(spec.end)))
            .collect();
        if weights.iter().sum::<f64>() <= 0.0 {
            // A window where the curve expects no volume: trade it evenly.
            weights = vec![1.0; slices];
        }
        let plan = plan_from(&times, &weights, spec.qty, lot);
        let slicer =
            Slicer::new(plan, Some(weights), spec.start, spec.end, aggressive).with_rebalance().with_max_pct(max_pct);
        Ok(Vwap { slicer })
    }
}

impl ExecAlgo for Vwap {
    fn kind(&self) -> AlgoKind {
        AlgoKind::Vwap
    }

    super::slicer::delegate_to_slicer!();
}
