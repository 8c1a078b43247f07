//! The algorithm benchmark: 1,000 parent orders spread over 50 symbols and
//! every algorithm, for one full simulated equity day.
//!
//! The 50 instruments are generated here (variations of the built-in US
//! equities: price, volume, volatility and spread scaled by deterministic
//! factors) rather than added to the built-in defaults, so the shipped
//! universe stays small.

use super::bench_date;
use crate::engine::{Actor, Command, Engine, EngineConfig, OrderRequest};
use crate::market::{Universe, session};
use crate::model::{AlgoKind, Duration, Price, Qty, Role, Rounding, Side, Timestamp, time::parse_hhmm};
use serde::Serialize;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

/// Symbols in the scenario.
pub const SYMBOLS: usize = 50;
/// Parent orders in the scenario.
pub const PARENTS: usize = 1_000;

/// Per-algorithm outcome of the day.
#[derive(Debug, Clone, Serialize)]
pub struct AlgoOutcome {
    /// Algorithm.
    pub algo: AlgoKind,
    /// Parents run with it.
    pub parents: usize,
    /// Of which completely filled.
    pub done: usize,
    /// Share of the quantity asked that was filled.
    pub filled_pct: f64,
    /// Child orders sent.
    pub children: u64,
}

/// Result of the algorithm day.
#[derive(Debug, Clone, Serialize)]
pub struct AlgoDayRun {
    /// Instruments simulated.
    pub symbols: usize,
    /// Parent orders run.
    pub parents: usize,
    /// Market events processed (trades plus venue book updates).
    pub market_events: u64,
    /// Engine events emitted (orders, routing, children, fills, ...).
    pub engine_events: u64,
    /// Wall time in milliseconds, from building the engine to the end of the day.
    pub wall_ms: f64,
    /// Market plus engine events per second of wall time.
    pub events_per_sec: f64,
    /// Outcome per algorithm.
    pub by_algo: Vec<AlgoOutcome>,
}

/// Deterministic factor in [lo, hi) for instrument `i` and salt `k`.
fn factor(i: usize, k: usize, lo: f64, hi: f64) -> f64 {
    let x = ((i * 37 + k * 101 + 17) % 97) as f64 / 97.0;
    lo + (hi - lo) * x
}

/// The built-in universe plus 50 generated US equities (`AAPL_00` ... `JPM_49`).
pub fn universe() -> Universe {
    let base = Universe::builtin();
    let templates: Vec<_> = ["AAPL", "MSFT", "SPY", "JPM"]
        .iter()
        .map(|s| base.instrument(s).expect("built-in US equity").clone())
        .collect();
    let mut toml = String::new();
    for i in 0..SYMBOLS {
        let t = &templates[i % templates.len()];
        let px = Price::from_f64(t.ref_price.to_f64() * factor(i, 1, 0.2, 1.5))
            .unwrap_or(t.ref_price)
            .round_to(t.tick_size, Rounding::Nearest)
            .max(t.tick_size);
        let adv = factor(i, 2, 0.3, 1.5);
        let venues: Vec<String> = t.venues.iter().map(|v| format!("\"{v}\"")).collect();
        let _ = write!(
            toml,
            "[[instrument]]\nsymbol = \"{sym}_{i:02}\"\nname = \"bench {sym} variant {i}\"\nasset_class = \"equity\"\n\
             calendar = \"us_equity\"\nlisting = \"{listing}\"\ncurrency = \"USD\"\ntick_size = \"{tick}\"\n\
             lot_size = \"{lot}\"\nref_price = \"{px}\"\ndaily_vol = {vol}\nadv = \"{adv}\"\navg_trade_size = \"{ats}\"\n\
             spread_bps = {spread}\ntouch_depth = \"{depth}\"\nauction_share = {auction}\nvenues = [{venues}]\n\n",
            sym = t.symbol,
            listing = t.listing,
            tick = t.tick_size,
            lot = t.lot_size,
            vol = t.daily_vol * factor(i, 3, 0.7, 1.6),
            adv = (t.adv.to_f64() * adv).round(),
            ats = t.avg_trade_size,
            spread = t.spread_bps * factor(i, 4, 0.8, 3.0),
            depth = (t.touch_depth.to_f64() * adv).round().max(100.0),
            auction = t.auction_share,
            venues = venues.join(", "),
        );
    }
    Universe::with_overrides_str(&toml, "generated bench instruments").expect("generated instruments are valid")
}

/// The 1,000 orders: 20 per symbol, algorithms in turn, both sides, windows
/// of 30 minutes to 4 hours spread over the day, 0.05% to 1% of ADV each.
pub fn orders(u: &Universe, engine: &Engine) -> Vec<OrderRequest> {
    let mut out = Vec::with_capacity(PARENTS);
    for j in 0..PARENTS {
        let s = j % SYMBOLS;
        let inst = u.instrument(&format!("{}_{s:02}", ["AAPL", "MSFT", "SPY", "JPM"][s % 4])).expect("generated");
        let sess = engine.market(&inst.symbol).expect("simulated").session;
        let algo = AlgoKind::ALL[(j / SYMBOLS + s) % AlgoKind::ALL.len()];
        let side = if (j / 3) % 2 == 0 { Side::Buy } else { Side::Sell };
        let qty = Qty::from_f64(inst.adv.to_f64() * factor(j, 5, 0.0005, 0.01))
            .unwrap_or(inst.lot_size)
            .round_down_to(inst.lot_size)
            .max(inst.lot_size);
        let start_min = (factor(j, 6, 0.0, 1.0) * 300.0) as i64;
        let len_min = 30 + (factor(j, 7, 0.0, 1.0) * 210.0) as i64;
        let start = sess.open + Duration::mins(start_min);
        let end = (start + Duration::mins(len_min)).min(sess.close);
        // Limits a little through the touch: the sniper and the iceberg trade at times, not always.
        let through = inst.ref_price.to_f64() * (1.0 + side.sign() as f64 * factor(j, 8, -0.002, 0.004));
        let limit = Price::from_f64(through).map(|p| p.round_to(inst.tick_size, Rounding::Nearest));
        let (start, end, limit_px) = match algo {
            AlgoKind::Moc => (Some(start.min(sess.close - Duration::mins(30))), None, None),
            AlgoKind::Iceberg | AlgoKind::Sniper => (Some(start), Some(end), limit),
            _ => (Some(start), Some(end), None),
        };
        out.push(OrderRequest {
            symbol: inst.symbol.to_string(),
            side,
            qty,
            algo,
            params: Default::default(),
            start,
            end,
            limit_px,
            decision_px: None,
            acknowledge_warnings: false,
        });
    }
    out
}

/// Runs the scenario for one simulated day.
pub fn algo_day(seed: u64) -> AlgoDayRun {
    let u = Arc::new(universe());
    let symbols: Vec<String> =
        u.instruments().iter().filter(|i| i.symbol.contains('_')).map(|i| i.symbol.to_string()).collect();
    let mut cfg = EngineConfig::new(seed, bench_date());
    cfg.symbols = Some(symbols.clone());
    let t0 = Instant::now();
    let mut e = Engine::new(u.clone(), cfg).expect("generated instruments trade on the bench date");
    let actor = Actor::local(Role::Advisor);
    for r in orders(&u, &e) {
        e.apply(&actor, Command::Submit(r)).expect("bench orders are valid");
    }
    // Drain the event log as a ledger would, a simulated minute at a time.
    let tz = session::tz_of(crate::model::Calendar::UsEquity);
    let mut t = Timestamp::from_local(tz, bench_date(), parse_hhmm("09:31").expect("time"));
    while e.next_time().is_some() {
        e.run_until(t);
        drop(e.drain_events());
        t = t + Duration::mins(1);
    }
    let wall = t0.elapsed().as_secs_f64();
    let by_algo = AlgoKind::ALL
        .iter()
        .map(|&algo| {
            let ps: Vec<_> = e.parents().filter(|p| p.algo == algo).collect();
            let asked: f64 = ps.iter().map(|p| p.qty.to_f64()).sum();
            let filled: f64 = ps.iter().map(|p| p.filled.to_f64()).sum();
            AlgoOutcome {
                algo,
                parents: ps.len(),
                done: ps.iter().filter(|p| p.status == crate::model::ParentStatus::Done).count(),
                filled_pct: if asked > 0.0 { filled / asked * 100.0 } else { 0.0 },
                children: ps.iter().map(|p| u64::from(p.children)).sum(),
            }
        })
        .collect();
    let (market_events, engine_events) = (e.market_events(), e.event_count());
    AlgoDayRun {
        symbols: symbols.len(),
        parents: e.parents().count(),
        market_events,
        engine_events,
        wall_ms: wall * 1e3,
        events_per_sec: (market_events + engine_events) as f64 / wall,
        by_algo,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifty_symbols_and_a_thousand_valid_orders_over_every_algorithm() {
        let u = universe();
        let generated: Vec<_> = u.instruments().iter().filter(|i| i.symbol.contains('_')).collect();
        assert_eq!(generated.len(), SYMBOLS);
        assert!(generated.iter().all(|i| i.ref_price.is_positive() && i.adv.is_positive()));
        let mut cfg = EngineConfig::new(1, bench_date());
        cfg.symbols = Some(generated.iter().map(|i| i.symbol.to_string()).collect());
        let e = Engine::new(Arc::new(u.clone()), cfg).unwrap();
        let reqs = orders(&u, &e);
        assert_eq!(reqs.len(), PARENTS);
        for algo in AlgoKind::ALL {
            let n = reqs.iter().filter(|r| r.algo == algo).count();
            assert!(n >= PARENTS / 8, "{algo}: {n} orders");
        }
        for r in &reqs {
            e.preview(r).unwrap_or_else(|rej| panic!("{} {}: {rej}", r.symbol, r.algo));
        }
    }
}
