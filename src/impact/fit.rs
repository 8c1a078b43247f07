//! The square-root law's coefficient `Y` fitted to our own past executions:
//! each finished order's impact (its cost against arrival, less the half
//! spread paid on the part that crossed) against `sigma * sqrt(Q / V)`, by
//! least squares through the origin. `blotter calibrate --db` reads the orders
//! from the ledger; the fit itself is a pure function.

use serde::Serialize;

/// Fewest orders a coefficient is fitted from.
pub const MIN_ORDERS: usize = 5;

/// One finished order, reduced to what the fit needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImpactSample {
    /// Cost against arrival in bps (positive = cost), fees excluded.
    pub arrival_bps: f64,
    /// Share of the filled quantity that took liquidity (0..=1).
    pub aggressive_share: f64,
    /// Filled quantity over the daily volume.
    pub fraction_of_adv: f64,
}

/// A fitted coefficient.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ImpactFit {
    /// `Y` in `impact = Y * sigma * sqrt(Q / V)`.
    pub y: f64,
    /// Its standard error.
    pub std_err: f64,
    /// Orders it was fitted from.
    pub orders: usize,
}

/// Why no coefficient could be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// Too few orders.
    #[error(
        "{found} finished order(s) with fills and an arrival price; fitting the impact coefficient needs at least {MIN_ORDERS}"
    )]
    TooFew {
        /// Orders usable.
        found: usize,
    },
    /// The daily volatility is not a positive number.
    #[error("the daily volatility {0} is not a positive number")]
    BadSigma(f64),
}

/// Fits `Y` from samples, for an instrument of daily volatility `sigma`
/// (a fraction) and quoted spread `spread_bps`. Samples with no size or a
/// non-finite cost are left out.
pub fn fit_y(samples: &[ImpactSample], sigma: f64, spread_bps: f64) -> Result<ImpactFit, FitError> {
    if !(sigma.is_finite() && sigma > 0.0) {
        return Err(FitError::BadSigma(sigma));
    }
    let points: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.arrival_bps.is_finite() && s.fraction_of_adv.is_finite() && s.fraction_of_adv > 0.0)
        .map(|s| {
            let x = sigma * s.fraction_of_adv.sqrt() * 1e4;
            let impact = s.arrival_bps - spread_bps / 2.0 * s.aggressive_share.clamp(0.0, 1.0);
            (x, impact)
        })
        .collect();
    if points.len() < MIN_ORDERS {
        return Err(FitError::TooFew { found: points.len() });
    }
    let sxx: f64 = points.iter().map(|(x, _)| x * x).sum();
    let sxy: f64 = points.iter().map(|(x, c)| x * c).sum();
    let y = sxy / sxx;
    let rss: f64 = points.iter().map(|(x, c)| (c - y * x).powi(2)).sum();
    let std_err = (rss / (points.len() - 1) as f64 / sxx).sqrt();
    Ok(ImpactFit { y, std_err, orders: points.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(arrival_bps: f64, aggressive_share: f64, fraction_of_adv: f64) -> ImpactSample {
        ImpactSample { arrival_bps, aggressive_share, fraction_of_adv }
    }

    #[test]
    fn fits_through_the_origin_after_the_half_spread() {
        // sigma 2%, spread 2 bps. Orders of 1% and 4% of ADV:
        // x = 0.02 x sqrt(0.01) x 1e4 = 20 bps and 40 bps.
        // Costs: all aggressive, 1 bp of half spread on top of impact
        // 15, 17 (at x = 20) and 31, 33, 29 (at x = 40):
        // Sxy = 20 (15 + 17) + 40 (31 + 33 + 29) = 640 + 3,720 = 4,360;
        // Sxx = 2 x 400 + 3 x 1,600 = 5,600; Y = 4,360 / 5,600 = 0.778571.
        let samples = [
            s(16.0, 1.0, 0.01),
            s(18.0, 1.0, 0.01),
            s(32.0, 1.0, 0.04),
            s(34.0, 1.0, 0.04),
            s(30.0, 1.0, 0.04),
            // No size: left out.
            s(50.0, 1.0, 0.0),
        ];
        let f = fit_y(&samples, 0.02, 2.0).unwrap();
        assert_eq!(f.orders, 5);
        assert!((f.y - 0.778_571_428_6).abs() < 1e-9, "{}", f.y);
        // Residuals: 15 - 15.571, 17 - 15.571, 31 - 31.143, 33 - 31.143, 29 - 31.143;
        // RSS = 0.3265 + 2.0408 + 0.0204 + 3.4490 + 4.5918 = 10.4286;
        // se = sqrt(10.4286 / 4 / 5,600) = 0.021577.
        assert!((f.std_err - 0.021_577).abs() < 1e-5, "{}", f.std_err);
    }

    #[test]
    fn too_few_orders_or_no_volatility_say_so() {
        let e = fit_y(&[s(10.0, 0.5, 0.01); 4], 0.02, 1.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "4 finished order(s) with fills and an arrival price; fitting the impact coefficient needs at least 5"
        );
        assert_eq!(fit_y(&[s(10.0, 0.5, 0.01); 5], 0.0, 1.0).unwrap_err(), FitError::BadSigma(0.0));
    }
}
