//! Slippage against size: each order's cost against arrival over its size
//! as a share of the market's volume in its window, and the square-root law
//! fitted through it (`cost = a + b * sqrt(size)`; `a` picks up the spread,
//! `b` the impact coefficient, Y * sigma in Almgren's `Y sigma sqrt(Q/V)`).

use super::batch::OrderTca;
use serde::{Deserialize, Serialize};

/// `cost_bps = a + b * sqrt(size)` with `size` a fraction of interval volume, by ordinary least squares.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SqrtFit {
    /// Intercept, bps.
    pub a: f64,
    /// Coefficient on the square root of size, bps.
    pub b: f64,
    /// Share of the variance explained.
    pub r2: f64,
    /// Orders in the fit.
    pub n: usize,
}

impl SqrtFit {
    /// The fitted cost at `size` (a fraction of interval volume).
    pub fn at(&self, size: f64) -> f64 {
        self.a + self.b * size.max(0.0).sqrt()
    }
}

/// One point per order with fills and market volume in its window:
/// (filled / interval volume, arrival slippage bps).
pub fn size_points(orders: &[OrderTca]) -> Vec<(f64, f64)> {
    orders.iter().filter_map(|o| Some((o.size_pct? / 100.0, o.tca.arrival_slippage_bps?))).collect()
}

/// Fits `y = a + b * sqrt(x)`; `None` with fewer than three points or when every size is the same.
pub fn sqrt_fit(points: &[(f64, f64)]) -> Option<SqrtFit> {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| x.is_finite() && *x >= 0.0 && y.is_finite())
        .map(|(x, y)| (x.sqrt(), *y))
        .collect();
    let n = pts.len();
    if n < 3 {
        return None;
    }
    let nf = n as f64;
    let (mu, my) = (pts.iter().map(|p| p.0).sum::<f64>() / nf, pts.iter().map(|p| p.1).sum::<f64>() / nf);
    let suu: f64 = pts.iter().map(|(u, _)| (u - mu).powi(2)).sum();
    let suy: f64 = pts.iter().map(|(u, y)| (u - mu) * (y - my)).sum();
    if suu <= f64::EPSILON * nf {
        return None;
    }
    let b = suy / suu;
    let a = my - b * mu;
    let sst: f64 = pts.iter().map(|(_, y)| (y - my).powi(2)).sum();
    let ssr: f64 = pts.iter().map(|(u, y)| (y - a - b * u).powi(2)).sum();
    let r2 = if sst > 0.0 { 1.0 - ssr / sst } else { 1.0 };
    Some(SqrtFit { a, b, r2, n })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_an_exact_curve() {
        let pts: Vec<(f64, f64)> = [0.01f64, 0.05, 0.2, 0.5].iter().map(|x| (*x, 2.0 + 30.0 * x.sqrt())).collect();
        let f = sqrt_fit(&pts).unwrap();
        assert!((f.a - 2.0).abs() < 1e-9 && (f.b - 30.0).abs() < 1e-9 && (f.r2 - 1.0).abs() < 1e-12);
        assert!((f.at(0.25) - 17.0).abs() < 1e-9);
    }

    /// sqrt sizes 0.1, 0.2, 0.3, 0.4 with costs 5, 7, 12, 12 bps: mean u 0.25, mean y 9;
    /// Suy = 0.6 + 0.1 + 0.15 + 0.45 = 1.3; Suu = 0.05; b = 26; a = 9 - 26 x 0.25 = 2.5.
    /// Fitted 5.1, 7.7, 10.3, 12.9: SSR = 0.01 + 0.49 + 2.89 + 0.81 = 4.2; SST = 38;
    /// R2 = 1 - 4.2 / 38 = 0.889474.
    #[test]
    fn least_squares_by_hand() {
        let f = sqrt_fit(&[(0.01, 5.0), (0.04, 7.0), (0.09, 12.0), (0.16, 12.0)]).unwrap();
        assert!((f.b - 26.0).abs() < 1e-9, "{f:?}");
        assert!((f.a - 2.5).abs() < 1e-9);
        assert!((f.r2 - (1.0 - 4.2 / 38.0)).abs() < 1e-9);
        assert_eq!(f.n, 4);
    }

    #[test]
    fn too_few_or_degenerate_points_give_no_fit() {
        assert_eq!(sqrt_fit(&[(0.1, 1.0), (0.2, 2.0)]), None);
        assert_eq!(sqrt_fit(&[(0.1, 1.0), (0.1, 2.0), (0.1, 3.0)]), None);
        assert_eq!(sqrt_fit(&[(f64::NAN, 1.0), (0.1, 2.0), (-1.0, 3.0), (0.2, 1.0)]), None);
    }
}
