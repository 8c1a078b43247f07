//! The simulated market's laws, measured the way the literature measures
//! real markets: the square-root law of metaorder cost, front-loading
//! trading timing risk for impact, adverse selection of passive fills, and
//! the closing auction's share of the day's volume.
//!
//! A full AAPL day is ~1.6 million market events (five venues quoting ten
//! times a second, ~470,000 trades), ~1.6 s of CPU in a debug build: the
//! sweeps below would take minutes. They run on `LAW`, AAPL's figures (price
//! 230, daily volatility 1.6%, ADV 55 M, spread 1 bp, Y 0.6, half-life
//! 600 s) on one venue with 2,000-share average trades (~26,000 trades a
//! day): the impact model, the flow's price moves and the queue are the
//! same per unit of ADV and of volatility, at about a fifth of the events.
//! AAPL itself is checked at 20% of ADV over a few seeds.

use blotter::calibrate::{self, Run, Sweep};
use blotter::engine::{Actor, Command, Engine, EngineConfig};
use blotter::impact::Coefficients;
use blotter::market::{MarketParams, Universe};
use blotter::model::{AlgoKind, Duration, Liquidity, Role};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::sync::Arc;

pub(crate) const LAW: &str = r#"
[[instrument]]
symbol = "LAW"
name = "AAPL's figures on one venue"
asset_class = "equity"
calendar = "us_equity"
listing = "NASDAQ"
currency = "USD"
tick_size = "0.01"
lot_size = "1"
ref_price = "230.00"
daily_vol = 0.016
adv = "55000000"
avg_trade_size = "2000"
spread_bps = 1.0
touch_depth = "15000"
auction_share = 0.07
venues = ["NASDAQ"]
"#;

pub(crate) fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

pub(crate) fn law_universe() -> Arc<Universe> {
    Arc::new(Universe::with_overrides_str(LAW, "market_laws").unwrap())
}

fn sweep(symbol: &str, universe: Arc<Universe>, algos: &[AlgoKind], sizes: &[f64], seeds: u64) -> Vec<Run> {
    let s = Sweep {
        universe,
        symbol: symbol.into(),
        date: date(),
        market: MarketParams::default(),
        algos: algos.iter().map(|&a| (a, BTreeMap::new())).collect(),
        sizes: sizes.to_vec(),
        seeds: (1..=seeds).collect(),
        coefficients: Coefficients::default(),
        threads: 2,
        window_minutes: None,
    };
    calibrate::sweep(&s).unwrap_or_else(|(a, r)| panic!("{a}: {r:?}"))
}

fn mean(x: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = x.collect();
    v.iter().sum::<f64>() / v.len() as f64
}

fn sd(x: &[f64]) -> f64 {
    let m = x.iter().sum::<f64>() / x.len() as f64;
    (x.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
}

/// Spread + impact of a full-day TWAP at 0.5, 1, 2, 5, 10 and 20% of ADV,
/// 20 seeds each (120 days of `LAW`: 52 s of CPU in a debug build, on two
/// threads): the exponent of cost in size is 0.5 +- 0.1 (Almgren et al.
/// 2005 find 0.6, Toth et al. 2011 and Zarinelli et al. 2015 0.4-0.6). The
/// permanent part alone costs (2/3) Y sigma sqrt(Q/V) whatever the
/// schedule, 0.6667 x 0.6 x 160 bps x sqrt(Q/V): 4.53 bps at 0.5% and 28.6
/// bps at 20%. The transient part adds to it, by construction (transient
/// weight 1.25, peak 1.5 times what stays) less than half again on a
/// day-long schedule; passive fills earn back part of the spread (hence
/// 0.9 below, not 1).
#[test]
fn twap_cost_follows_the_square_root_law() {
    let sizes = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2];
    let runs = sweep("LAW", law_universe(), &[AlgoKind::Twap], &sizes, 20);
    let mut points = Vec::new();
    for &z in &sizes {
        let cost = mean(runs.iter().filter(|r| r.size == z).map(|r| r.realised.cost_bps()));
        let permanent = 2.0 / 3.0 * 0.6 * 0.016 * z.sqrt() * 1e4;
        assert!(
            cost > permanent * 0.9 && cost < permanent * 1.6,
            "{}% of ADV: {cost:.2} bps vs {permanent:.2}",
            z * 100.0
        );
        points.push((z, cost));
    }
    let b = calibrate::exponent(&points).unwrap();
    assert!((0.4..=0.6).contains(&b), "exponent {b:.3}: {points:?}");
}

/// AAPL itself at 20% of ADV over four seeds: the literature's Y of 0.5-1
/// (Almgren et al. 2005; Toth et al. 2011; Zarinelli et al. 2015) on
/// AAPL's 1.6% volatility puts the cost of a day-long 20% metaorder at
/// (2/3) x Y x 160 bps x sqrt(0.2) = 24-48 bps if impact is counted as the
/// average over the execution (two thirds of the final move), and up to
/// 72 bps if as the final move. We ask for 25-55 bps: our Y is 0.6, in the
/// lower half of that range, plus the transient part and the spread.
#[test]
fn aapl_at_twenty_percent_of_adv_costs_what_the_literature_says() {
    let runs = sweep("AAPL", Arc::new(Universe::builtin()), &[AlgoKind::Twap], &[0.2], 4);
    let cost = mean(runs.iter().map(|r| r.realised.cost_bps()));
    assert!((25.0..=55.0).contains(&cost), "{cost:.2} bps: {runs:#?}");
    let filled: Vec<f64> = runs.iter().map(|r| r.realised.filled_share).collect();
    assert!(filled.iter().all(|&f| f > 0.99), "a day-long 20% TWAP completes: {filled:?}");
}

/// The schedule algorithms (TWAP, IS and the dynamic VWAP, the default
/// VWAP) at 20% of ADV on AAPL over four seeds: most of the volume crosses.
/// A desk at 20% of ADV needs a quarter of everyone else's volume; a
/// passive child shows at most the touch depth (3,000 shares on AAPL, the
/// `display` default) and rests only what its period owes (a 5-minute
/// slice for TWAP and IS, a one-minute step of the volume forecast for the
/// VWAP), so it gets part of the contra flow and the rest is crossed when
/// the order falls behind. Industry and literature figures for the passive
/// share of schedule algorithms at high participation are 20-50%; we ask
/// for 15-50% of the filled quantity (measured, `calibrate --simulated
/// --sizes 20 --seeds 4`: see docs/market-model.md, "Passive share at 20%
/// of ADV"). Showing each 5-minute slice whole, 81-83% was passive; the
/// VWAP keeping a child at the touch all day, 80%.
#[test]
fn at_twenty_percent_of_adv_most_of_a_schedule_crosses() {
    let algos = [AlgoKind::Twap, AlgoKind::Is, AlgoKind::Vwap];
    let runs = sweep("AAPL", Arc::new(Universe::builtin()), &algos, &[0.2], 4);
    for a in algos {
        let passive = mean(runs.iter().filter(|r| r.algo == a).map(|r| 1.0 - r.realised.taker_share));
        assert!((0.15..=0.50).contains(&passive), "{a:?}: {:.1}% passive", passive * 100.0);
    }
}

/// A front-loaded IS (the default risk aversion) against TWAP on the same
/// 20 market paths at 5% of ADV: trading faster leaves less time for the
/// transient part to decay, so IS pays more impact; it is exposed to the
/// market's drift for less time, so its timing part varies less from path
/// to path.
#[test]
fn front_loading_pays_impact_for_less_timing_risk() {
    let runs = sweep("LAW", law_universe(), &[AlgoKind::Twap, AlgoKind::Is], &[0.05], 20);
    let of = |a: AlgoKind| runs.iter().filter(|r| r.algo == a).collect::<Vec<_>>();
    let (twap, is) = (of(AlgoKind::Twap), of(AlgoKind::Is));
    let impact = |rs: &[&Run]| mean(rs.iter().map(|r| r.realised.impact_bps));
    let timing = |rs: &[&Run]| sd(&rs.iter().map(|r| r.realised.timing_bps).collect::<Vec<_>>());
    assert!(impact(&is) > impact(&twap), "impact IS {:.2} TWAP {:.2}", impact(&is), impact(&twap));
    assert!(timing(&is) < timing(&twap), "timing sd IS {:.2} TWAP {:.2}", timing(&is), timing(&twap));
}

/// Passive fills are adversely selected: 30 seconds after a passive fill
/// the mid has on average moved against it (for a buy, below the fill
/// price), because the sellers who filled it carry information that moves
/// the price. Measured on the mid without our own impact (our buying pushes
/// the mid up and would hide it), over a 1%-of-ADV TWAP on ten paths.
#[test]
fn passive_fills_are_adversely_selected() {
    let u = law_universe();
    let (mut sum, mut qty) = (0.0, 0.0);
    for seed in 1..=10 {
        let mut cfg = EngineConfig::new(seed, date());
        cfg.symbols = Some(vec!["LAW".into()]);
        let mut e = Engine::new(u.clone(), cfg).unwrap();
        let req = calibrate::order(&u, "LAW", AlgoKind::Twap, &BTreeMap::new(), 0.01).unwrap();
        let id = e.apply(&Actor::local(Role::Advisor), Command::Submit(req)).unwrap().unwrap();
        e.run_until_idle();
        let m = e.market("LAW").unwrap();
        for f in e.fills(id).iter().filter(|f| f.liquidity == Liquidity::Maker) {
            let Some(later) = m.mids_without_us.at(f.ts + Duration::secs(30)) else { continue };
            let now = m.mids_without_us.at(f.ts).unwrap();
            // A buy: the price's move after the fill, positive = in our favour.
            sum += (later - now) / now * 1e4 * f.qty.to_f64();
            qty += f.qty.to_f64();
        }
    }
    assert!(qty > 0.0, "passive fills");
    let markout = sum / qty;
    assert!(markout < 0.0, "30 s markout of passive buys {markout:.3} bps");
}

/// The closing auction prints the configured share of the day's volume
/// (7% of 55 M = 3.85 M shares; each day's paired size is lognormal with
/// mean 1 and a 30% spread, so 10 days average within 15%), and continuous
/// plus auction volume adds up to the ADV (the continuous part is drawn
/// trade by trade: within 5% on a day of ~26,000 trades, and the average of
/// ten days within 3%).
#[test]
fn the_auction_and_the_continuous_market_add_up_to_the_adv() {
    let u = law_universe();
    let (mut auction, mut total) = (Vec::new(), Vec::new());
    for seed in 1..=10 {
        let mut cfg = EngineConfig::new(seed, date());
        cfg.symbols = Some(vec!["LAW".into()]);
        cfg.market.record_tape = false;
        let mut e = Engine::new(u.clone(), cfg).unwrap();
        let close = e.market("LAW").unwrap().session.close;
        e.run_until(close + Duration::mins(1));
        let a = e.auction_outcome("LAW").expect("the auction ran").paired.to_f64();
        // Others' volume since the open, the auction's print included.
        auction.push(a);
        total.push(e.market("LAW").unwrap().market_volume.to_f64());
    }
    let adv = 55e6;
    let a = mean(auction.iter().copied());
    assert!((a / (0.07 * adv) - 1.0).abs() < 0.15, "auction {a} vs {}", 0.07 * adv);
    let t = mean(total.iter().copied());
    assert!((t / adv - 1.0).abs() < 0.03, "total {t} vs {adv}");
    assert!(total.iter().all(|x| (x / adv - 1.0).abs() < 0.05 + 0.3 * 0.07 * 2.0), "{total:?}");
}
