//! The Almgren-Chriss model against the paper's example, and its limits.

use super::*;
use proptest::prelude::*;

/// The sample problem of Almgren & Chriss (2000), section "Construction of
/// optimal strategies" / Table 1: X = 10^6 shares, S0 = 50, T = 5 days, N = 5,
/// sigma = 0.95 $/share/day^0.5 (30% annual), eta = 2.5e-6, gamma = 2.5e-7,
/// epsilon = 0.0625 (half of the 1/8 spread).
fn paper(lambda: f64) -> AcParams {
    AcParams { lambda, sigma: 0.95, eta: 2.5e-6, gamma: 2.5e-7, epsilon: 0.0625, slices: 5, horizon: 5.0 }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-12)
}

#[test]
fn reproduces_the_papers_example() {
    // Figures derived by hand from the paper's formulas (eta~ = 2.375e-6,
    // kappa~^2 = lambda sigma^2 / eta~ = 0.38, cosh(kappa) = 1.19):
    // kappa = 0.60708/day, half-life 1/kappa = 1.6472 days,
    // holdings 1e6, 541,956, 289,854, 147,897, 62,142, 0,
    // E = $911,227, V = 3.6413e11 $^2 (sqrt(V) = $603,431).
    let s = solve(1e6, &paper(1e-6));
    assert!(close(s.eta_tilde, 2.375e-6, 1e-12));
    assert!(close(s.kappa_tilde * s.kappa_tilde, 0.38, 1e-9), "{}", s.kappa_tilde);
    assert!(close(s.kappa, 0.607_076, 1e-5), "kappa {}", s.kappa);
    assert!(close(s.half_life.unwrap(), 1.647_24, 1e-5), "half-life {:?}", s.half_life);
    let rounded: Vec<i64> = s.holdings.iter().map(|h| h.round() as i64).collect();
    assert_eq!(rounded, vec![1_000_000, 541_956, 289_854, 147_897, 62_142, 0]);
    assert!(close(s.expected_cost, 911_227.0, 1e-6), "E {}", s.expected_cost);
    assert!(close(s.variance, 3.641_286e11, 1e-6), "V {}", s.variance);
    // The naive straight line (lambda = 0) costs E = gamma X^2/2 + eps X +
    // eta~ X^2 / T = 125,000 + 62,500 + 475,000 and V = sigma^2 (0.8^2 + 0.6^2
    // + 0.4^2 + 0.2^2) X^2 = 1.083e12 exactly.
    let naive = solve(1e6, &paper(0.0));
    assert_eq!(naive.kappa, 0.0);
    assert_eq!(naive.half_life, None);
    assert!(close(naive.expected_cost, 662_500.0, 1e-12), "{}", naive.expected_cost);
    assert!(close(naive.variance, 1.083e12, 1e-12), "{}", naive.variance);
}

#[test]
fn frontier_trades_cost_for_risk() {
    let f = frontier(1e6, &paper(1e-6));
    assert_eq!(f.len(), 14);
    assert_eq!(f[0].lambda, 0.0);
    // Along increasing lambda: cost rises, risk falls.
    for w in f.windows(2) {
        assert!(w[1].expected_cost >= w[0].expected_cost - 1e-6, "{w:?}");
        assert!(w[1].std_dev <= w[0].std_dev + 1e-6, "{w:?}");
    }
    assert!(f[13].expected_cost > 2.0 * f[0].expected_cost);
}

#[test]
fn default_lambda_gives_half_life_of_half_the_window() {
    let u = crate::market::Universe::builtin();
    let inst = u.instrument("AAPL").unwrap();
    let map = std::collections::BTreeMap::new();
    let mut p = Params::new(AlgoKind::Is, &map);
    let ac = AcParams::from_params(inst, 0.0, 1.0, 78, 200_000, &mut p).unwrap();
    assert!(close(ac.sigma, 0.016 * 230.0, 1e-12));
    // One 1-bps spread (0.023) per 1% / 10% of the 55M ADV.
    assert!(close(ac.eta, 0.023 / 550_000.0, 1e-9));
    assert!(close(ac.gamma, 0.023 / 5_500_000.0, 1e-9));
    assert!(close(ac.epsilon, 0.0115, 1e-9));
    let s = solve(200_000.0, &ac);
    assert!(close(s.kappa, 2.0, 1e-9), "{}", s.kappa);
}

#[test]
fn bad_parameters_name_themselves() {
    let u = crate::market::Universe::builtin();
    let inst = u.instrument("AAPL").unwrap();
    let check = |k: &str, v: &str, needle: &str| {
        let map: std::collections::BTreeMap<String, String> = [(k.to_string(), v.to_string())].into();
        let mut p = Params::new(AlgoKind::Is, &map);
        let e = AcParams::from_params(inst, 0.0, 1.0, 78, 1000, &mut p).unwrap_err();
        assert_eq!(e.param, k);
        assert!(e.to_string().contains(needle), "{e}");
    };
    check("lambda", "-1", "allowed: [0,");
    check("sigma", "0", "allowed: (0,");
    check("eta", "abc", "not a number");
    check("slices", "0", "allowed: 1..=");
    check("slices", "2000", "allowed: 1..=1000");
    // eta~ = eta - gamma tau / 2 must stay positive.
    let map: std::collections::BTreeMap<String, String> =
        [("eta".to_string(), "1e-9".to_string()), ("gamma".to_string(), "1".to_string())].into();
    let mut p = Params::new(AlgoKind::Is, &map);
    let e = AcParams::from_params(inst, 0.0, 1.0, 78, 1000, &mut p).unwrap_err();
    assert_eq!(e.param, "eta");
    assert!(e.message.contains("gamma * tau / 2"), "{e}");
}

proptest! {
    /// lambda -> 0 is the straight line; more risk aversion front-loads
    /// (holdings fall at every step), and the trades always sum to X.
    #[test]
    fn lambda_orders_the_trajectories(
        l1 in 0.0f64..1e-4,
        factor in 1.0f64..100.0,
        n in 1usize..60,
        horizon in 0.05f64..10.0,
        sigma in 0.01f64..10.0,
        eta in 1e-8f64..1e-4,
    ) {
        let p = AcParams { lambda: l1, sigma, eta, gamma: 0.0, epsilon: 0.01, slices: n, horizon };
        let x = 1e6;
        let lo = solve(x, &p);
        let hi = solve(x, &AcParams { lambda: l1 * factor + 1e-9, ..p });
        let twap = solve(x, &AcParams { lambda: 0.0, ..p });
        let tiny = solve(x, &AcParams { lambda: 1e-16, ..p });
        for k in 0..=n {
            let linear = x * (n - k) as f64 / n as f64;
            prop_assert!((twap.holdings[k] - linear).abs() < 1e-6);
            prop_assert!((tiny.holdings[k] - linear).abs() < 1e-3 * x, "{} vs {}", tiny.holdings[k], linear);
            prop_assert!(hi.holdings[k] <= lo.holdings[k] + 1e-6 * x);
            prop_assert!(lo.holdings[k] <= twap.holdings[k] + 1e-6 * x);
        }
        prop_assert!((hi.trades.iter().sum::<f64>() - x).abs() < 1e-6 * x);
        prop_assert!(hi.trades.iter().all(|t| *t >= -1e-9));
        prop_assert!(hi.expected_cost >= lo.expected_cost - 1e-6 * lo.expected_cost.abs());
        prop_assert!(hi.variance <= lo.variance + 1e-6 * lo.variance.abs());
    }
}
