//! How far a median or 90th percentile over a few dozen windows can be
//! trusted: a bootstrap over the windows. The windows are drawn with
//! replacement (as many as there are), each with all of its orders (the buy
//! and the sell of one window share its volume and price path, so they are
//! not independent draws), the statistic is worked out on each draw, and the
//! interval is the 5th and 95th percentiles of those (nearest rank): a 90%
//! interval. Deterministic: the draws come from a fixed seed.

use crate::market::rng::SimRng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

/// Draws of the bootstrap: enough for the 5th and 95th percentiles of the
/// draws to move by well under the figures' last digit between seeds.
pub const DRAWS: usize = 2_000;
/// The seed of the draws (any fixed one: the interval must not change between runs).
const SEED: u64 = 0x5EED_B007;

/// A 90% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// 5th percentile of the statistic over the draws.
    pub lo: f64,
    /// 95th percentile.
    pub hi: f64,
}

/// Nearest-rank percentile `p` of `sorted` (non-empty).
fn rank(sorted: &[f64], p: f64) -> f64 {
    let r = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[r - 1]
}

/// The 90% bootstrap interval of the nearest-rank percentile `p` of the
/// values, drawn window by window (`groups`: each window's values); `None`
/// with fewer than two windows.
pub fn bootstrap(groups: &[Vec<f64>], p: f64) -> Option<Interval> {
    let groups: Vec<&Vec<f64>> = groups.iter().filter(|g| !g.is_empty()).collect();
    if groups.len() < 2 {
        return None;
    }
    let mut rng = SimRng::seed_from_u64(SEED);
    let mut stats = Vec::with_capacity(DRAWS);
    let mut draw = Vec::new();
    for _ in 0..DRAWS {
        draw.clear();
        for _ in 0..groups.len() {
            draw.extend_from_slice(groups[rng.random_range(0..groups.len())]);
        }
        draw.sort_by(f64::total_cmp);
        stats.push(rank(&draw, p));
    }
    stats.sort_by(f64::total_cmp);
    Some(Interval { lo: rank(&stats, 0.05), hi: rank(&stats, 0.95) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_repeated_has_no_spread_and_the_interval_holds_the_figure() {
        // Every window alike: every draw's median is 3.
        let same = vec![vec![3.0, 3.0]; 40];
        assert_eq!(bootstrap(&same, 0.5), Some(Interval { lo: 3.0, hi: 3.0 }));
        assert_eq!(bootstrap(&same[..1], 0.5), None);
        // 1..=99, one a window: the median is 50; the median of 99 draws has
        // a standard deviation of about sqrt(pi/2) x 28.6 / sqrt(99) = 3.6
        // (uniform values, sd 28.6), so the 90% interval is about 50 +- 5.9.
        let spread: Vec<Vec<f64>> = (1..=99).map(|i| vec![f64::from(i)]).collect();
        let i = bootstrap(&spread, 0.5).unwrap();
        assert!(i.lo < 50.0 && i.hi > 50.0, "{i:?}");
        assert!((42.0..=47.0).contains(&i.lo) && (53.0..=58.0).contains(&i.hi), "{i:?}");
        // The same seed: the same interval.
        assert_eq!(bootstrap(&spread, 0.5), Some(i));
    }
}
