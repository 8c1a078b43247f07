//! The pre-trade estimate is unbiased against the simulator: over 50 seeds
//! for TWAP, VWAP, POV and IS at 1, 5 and 10% of ADV, the mean estimate of
//! spread + impact is within 1 bp or 20% (whichever is larger) of the mean
//! realised spread + impact (issue 12).
//!
//! 12 cells x 50 seeds = 600 orders. Full AAPL days cost ~1.3 s of CPU each
//! in a debug build (13 minutes); `LAW` days (AAPL's figures on one venue
//! with 2,000-share trades, `market_laws`) ~0.45 s (4.5 minutes). What
//! makes this test cheap enough for `cargo test` is the window: each order
//! trades over the session's first 60 minutes, its size scaled by the share
//! of the day's volume expected there (`Sweep::window_minutes`), and the
//! engine stops when the order is done, a sixth of a day. Why that checks
//! the same thing:
//! - the participation is a full-day order's (1% of ADV over the day is
//!   1.08% of the continuous volume; so is the 60-minute order), so the
//!   crossing share the estimate models (`aggressive_base + slope x
//!   participation`) is asked at the same points;
//! - the estimate integrates the simulator's own propagator along the
//!   algorithm's schedule and the spread over its window whatever the window,
//!   and the simulator's mechanics (impact, others' flow, queues, the
//!   intraday shape) are the same at any hour; the first hour is the hardest
//!   part of the day for it (widest spreads, the opening volatility spike,
//!   and with a window of six half-lives the transient impact is a larger
//!   share of the cost than over a day);
//! - the full-day figures stay measured in release by `blotter calibrate
//!   --simulated` (docs/market-model.md) with the same library.
//!
//! It can fail: the same runs re-estimated with the impact 30% too high
//! (`impact_scale` 1.3, what an uncalibrated square-root model with gamma
//! 0.65 would do) fail the bound in the large cells, shown below on the
//! same runs. The rule's own edges are unit-tested in `calibrate::tests`
//! (0.9 bp off a 3 bp cost passes, 6.5 bp off 30 fails).

use super::market_laws::{date, law_universe};
use blotter::calibrate::{self, Sweep};
use blotter::impact::Coefficients;
use blotter::market::MarketParams;
use blotter::model::AlgoKind;
use std::collections::BTreeMap;

#[test]
fn the_estimate_is_unbiased_against_the_simulator() {
    let algos = [AlgoKind::Twap, AlgoKind::Vwap, AlgoKind::Pov, AlgoKind::Is];
    let s = Sweep {
        universe: law_universe(),
        symbol: "LAW".into(),
        date: date(),
        market: MarketParams::default(),
        algos: algos.iter().map(|&a| (a, BTreeMap::new())).collect(),
        sizes: vec![0.01, 0.05, 0.10],
        seeds: (1..=50).collect(),
        coefficients: Coefficients::default(),
        threads: 2,
        window_minutes: Some(60),
    };
    let runs = calibrate::sweep(&s).unwrap_or_else(|(a, r)| panic!("{a}: {r:?}"));
    assert_eq!(runs.len(), 600);
    let cells = calibrate::cells(&runs, &Coefficients::default());
    eprintln!("algo  %ADV  estimate  realised  +-se   error  timing sd  risk est");
    for c in &cells {
        eprintln!(
            "{:<5} {:>4.0} {:>9.2} {:>9.2} {:>5.2} {:>+7.2} {:>10.1} {:>9.1}",
            c.algo.as_str(),
            c.size * 100.0,
            c.estimate_bps,
            c.realised_bps,
            c.realised_se_bps,
            c.error_bps,
            c.timing_sd_bps,
            c.timing_risk_bps
        );
    }
    // The costs are per filled unit; POV at its default 10% rate leaves part of the largest size.
    let least = runs.iter().map(|r| r.realised.filled_share).fold(1.0, f64::min);
    eprintln!("least filled share {least:.3}");
    assert!(least > 0.5, "every order fills most of its quantity: {least}");
    for c in &cells {
        assert!(
            c.unbiased,
            "{} at {}% of ADV: estimate {:.2} bps against realised {:.2} (error {:+.2} bps, {:+.1}%)",
            c.algo,
            c.size * 100.0,
            c.estimate_bps,
            c.realised_bps,
            c.error_bps,
            c.error_pct
        );
    }
    // The timing risk is one standard deviation of the timing cost: compared
    // with its spread across the 50 seeds (a sample standard deviation's own
    // error is 1 / sqrt(2 x 49) = 10%). Measured: the spread is 0.83-1.01
    // times the risk (docs/market-model.md); the bound says the risk is the
    // right size, not that it is exact.
    for c in &cells {
        let ratio = c.timing_sd_bps / c.timing_risk_bps;
        eprintln!("{} {:.0}%: timing sd / risk {ratio:.2}", c.algo, c.size * 100.0);
        assert!(
            (0.65..=1.35).contains(&ratio),
            "{} {}%: timing sd {:.1} vs risk {:.1}",
            c.algo,
            c.size,
            c.timing_sd_bps,
            c.timing_risk_bps
        );
    }
    // A deliberately biased estimate (impact 30% too high) fails on the same runs.
    let biased = Coefficients { impact_scale: 1.3, ..Coefficients::default() };
    let failed: Vec<String> = calibrate::cells(&runs, &biased)
        .iter()
        .filter(|c| !c.unbiased)
        .map(|c| format!("{} {}% ({:+.1}%)", c.algo, c.size * 100.0, c.error_pct))
        .collect();
    eprintln!("with the impact 30% too high: {failed:?} fail");
    assert!(failed.len() >= 4, "a 30% impact bias must show: only {failed:?} failed");
}

/// POV at its default 10% rate cannot buy 20% of ADV in its window: it may
/// trade 0.1 / 0.9 of others' continuous volume, so its plan reaches 0.1111
/// x the window's volume, about half of an order of 20% of ADV (0.2 / 0.93
/// = 0.215 of the continuous volume), and the rest expires. The realised
/// cost is per filled unit, so the estimate is per unit of what the plan
/// expects to fill: spreading the planned part's impact over the whole
/// order put a full AAPL day at 11.8 bps against 22.3 realised (release,
/// `calibrate --simulated --algos pov --sizes 20`). Over 20 seeds of the
/// 60-minute window the estimate is within 1 bp or 20% of the realised
/// spread + impact, and the participation it records is the expected
/// fill's (0.111), not the order's (0.215).
#[test]
fn povs_estimate_at_twenty_percent_of_adv_is_per_unit_it_can_fill() {
    let s = Sweep {
        universe: law_universe(),
        symbol: "LAW".into(),
        date: date(),
        market: MarketParams::default(),
        algos: vec![(AlgoKind::Pov, BTreeMap::new())],
        sizes: vec![0.20],
        seeds: (1..=20).collect(),
        coefficients: Coefficients::default(),
        threads: 2,
        window_minutes: Some(60),
    };
    let runs = calibrate::sweep(&s).unwrap_or_else(|(a, r)| panic!("{a}: {r:?}"));
    for r in &runs {
        assert!((0.4..=0.65).contains(&r.realised.filled_share), "POV fills about half: {r:?}");
        let p = r.estimate.participation;
        assert!((0.105..=0.1112).contains(&p), "participation of the expected fill: {p}");
    }
    let cells = calibrate::cells(&runs, &Coefficients::default());
    let c = &cells[0];
    eprintln!("pov 20%: estimate {:.2} realised {:.2} error {:+.2}", c.estimate_bps, c.realised_bps, c.error_bps);
    assert!(
        c.unbiased,
        "POV at 20% of ADV: estimate {:.2} bps against realised {:.2} ({:+.1}%)",
        c.estimate_bps, c.realised_bps, c.error_pct
    );
}
