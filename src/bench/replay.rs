//! The replay benchmark: a VWAP order over a generated recorded tape shaped
//! like the Binance BTC/USDT sample in the shared data (the figure in
//! BENCHMARKS.md). The tape is generated once from a seed; the replay (the
//! engine building its market from the recording, the order start to finish
//! with every print matched against it) is timed.
//!
//! The sample's shape, scaled to a whole UTC day: 31.5% of prints share the
//! previous print's millisecond (one aggressor sweeping several resting
//! orders), the other gaps exponential; sizes log-normal with the sample's
//! median (0.0053 BTC) and a heavy tail (mean about 0.04 BTC); 54% of prints
//! buyer-initiated, each at the ask or the bid of a one-tick market whose mid
//! walks with a 5% daily volatility from 39,432.48. Trades only, like a tape:
//! the book is the one quoted around the last print.

use crate::engine::{Actor, Command, Engine, EngineConfig, OrderRequest};
use crate::market::Universe;
use crate::market::replay::{RecTrade, RecTrades, Recording};
use crate::model::{AlgoKind, Price, Qty, Role, Side, Timestamp};
use chrono::NaiveDate;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Exp1, StandardNormal};
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;

/// 2021-01-08 00:00 UTC, the sample's day.
const DAY_START: Timestamp = Timestamp(1_610_064_000_000_000_000);
const DAY_NS: f64 = 86_400e9;

/// Result of one replay.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayRun {
    /// Recorded trades replayed.
    pub trades: usize,
    /// Market events processed (prints plus book refreshes).
    pub market_events: u64,
    /// Engine events emitted.
    pub engine_events: u64,
    /// The order's fills.
    pub fills: usize,
    /// Its filled share of the order.
    pub filled_pct: f64,
    /// Wall time of the replay (engine built from the recording, order run to the end), ms.
    pub wall_ms: f64,
    /// CPU time the replay's thread spent on a core, ms (less sensitive than
    /// the wall time to other processes sharing the machine; Linux only).
    pub cpu_ms: Option<f64>,
}

/// A generated tape of `n` trades over 2021-01-08 (UTC), shaped like the sample.
pub fn generate(n: usize, seed: u64) -> Recording {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let same_ms = 0.315;
    // Mean gap between distinct milliseconds so the day holds `n` prints (a little room at the end).
    let mean_gap_ns = 0.99 * DAY_NS / (n.max(1) as f64 * (1.0 - same_ms));
    let tick = 10_000_000i64; // 0.01 in raw price units
    // Per new millisecond, the mid moves N(0, s) ticks with s for 5% a day over n(1 - 0.315) steps.
    let step_ticks = 39_432.48 * 0.05 / (n.max(1) as f64 * (1.0 - same_ms)).sqrt() / 0.01;
    let mut mid_ticks = 3_943_248.0f64;
    let mut t = DAY_START.0;
    let mut trades = Vec::with_capacity(n);
    for i in 0..n {
        if i > 0 && rng.random::<f64>() >= same_ms {
            let e: f64 = rng.sample(Exp1);
            // Millisecond timestamps, as the exchange prints them.
            t += ((e * mean_gap_ns / 1e6).ceil() as i64).max(1) * 1_000_000;
            // The day holds the whole tape, whatever the draws.
            t = t.min(DAY_START.0 + 86_400_000_000_000 - 1_000_000);
            let z: f64 = rng.sample(StandardNormal);
            mid_ticks += z * step_ticks;
        }
        let buy = rng.random::<f64>() < 0.543;
        let bid = mid_ticks.floor() as i64;
        let px = Price::from_raw((if buy { bid + 1 } else { bid }) * tick);
        let z: f64 = rng.sample(StandardNormal);
        let size = (0.005_3 * (2.0 * z).exp()).clamp(0.000_001, 50.0);
        trades.push(RecTrade {
            ts: Timestamp(t),
            px,
            qty: Qty::from_f64(size).unwrap_or(Qty::from_raw(1)).max(Qty::from_raw(1)),
            aggressor: Some(if buy { Side::Buy } else { Side::Sell }),
        });
    }
    let trades = RecTrades::new(&trades);
    Recording { source: format!("generated ({n} trades, seed {seed})"), trades, ..Recording::default() }
}

/// A VWAP buy of 5% of the tape's volume over the whole recording, replayed on BTC-USD.
pub fn run(rec: &Arc<Recording>, seed: u64) -> ReplayRun {
    let (t0, c0) = (Instant::now(), thread_cpu_ns());
    // Worked out when the trades were encoded (as a loaded file's are).
    let volume: Qty = rec.trades.volume();
    let (first, last) = rec.span().unwrap_or((DAY_START, DAY_START));
    let date = NaiveDate::from_ymd_opt(2021, 1, 8).unwrap_or_default();
    let mut cfg = EngineConfig::new(seed, date);
    cfg.symbols = Some(vec!["BTC-USD".into()]);
    cfg.origin = Some(first);
    cfg.recordings.insert("BTC-USD".into(), Arc::clone(rec));
    let universe = Arc::new(Universe::builtin());
    let mut e = Engine::new(universe, cfg).expect("BTC-USD replays on BINANCE");
    let qty = Qty::from_f64(volume.to_f64() * 0.05).unwrap_or(Qty::from_int(1)).round_down_to(Qty::from_raw(10));
    let req = OrderRequest {
        symbol: "BTC-USD".into(),
        side: Side::Buy,
        qty,
        algo: AlgoKind::Vwap,
        params: Default::default(),
        start: Some(first),
        end: Some(last),
        limit_px: None,
        decision_px: None,
        acknowledge_warnings: true,
    };
    let id = e.apply(&Actor::local(Role::Advisor), Command::Submit(req)).expect("bench order is valid");
    // Hand the events over a simulated minute at a time, as a ledger or a
    // client would (a run keeps no event it has delivered).
    let mut t = first;
    while e.next_time().is_some() {
        t = t + crate::model::Duration::mins(1);
        e.run_until(t);
        drop(e.drain_events());
    }
    let wall = t0.elapsed();
    let cpu_ms = thread_cpu_ns().zip(c0).map(|(b, a)| b.saturating_sub(a) as f64 / 1e6);
    let id = id.expect("an order id");
    let p = e.parent(id).expect("the order");
    ReplayRun {
        trades: rec.trades.len(),
        market_events: e.market_events(),
        engine_events: e.event_count(),
        fills: e.fills(id).len(),
        filled_pct: p.filled.ratio(p.qty) * 100.0,
        wall_ms: wall.as_secs_f64() * 1e3,
        cpu_ms,
    }
}

/// CPU time of the calling thread so far, ns (Linux `schedstat`).
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Starts measuring peak memory afresh from the current resident size (so
/// the replay's peak is not the tape generator's).
pub fn reset_peak_rss() {
    // Writing 5 to clear_refs resets VmHWM (Linux 4.0 and later); elsewhere the peak stays the process's.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident memory of this process so far (Linux `VmHWM`), MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_tape_is_shaped_like_the_sample() {
        let rec = generate(20_000, 7);
        let t = rec.trades.to_vec();
        assert_eq!(t.len(), 20_000);
        assert!(t.windows(2).all(|w| w[0].ts <= w[1].ts));
        let same = t.windows(2).filter(|w| w[0].ts == w[1].ts).count() as f64 / (t.len() - 1) as f64;
        assert!((same - 0.315).abs() < 0.02, "{same}");
        let mut sizes: Vec<f64> = t.iter().map(|x| x.qty.to_f64()).collect();
        sizes.sort_by(f64::total_cmp);
        let median = sizes[sizes.len() / 2];
        assert!((median - 0.0053).abs() < 0.0005, "{median}");
        let buys = t.iter().filter(|x| x.aggressor == Some(Side::Buy)).count() as f64 / t.len() as f64;
        assert!((buys - 0.543).abs() < 0.02, "{buys}");
        // The day holds the tape, and it is the same for the same seed.
        assert!(t.last().unwrap().ts.0 - DAY_START.0 < 86_400_000_000_000);
        assert_eq!(generate(1_000, 7).trades.to_vec(), generate(1_000, 7).trades.to_vec());
    }

    #[test]
    fn a_vwap_order_replays_over_it() {
        let rec = Arc::new(generate(20_000, 3));
        let r = run(&rec, 42);
        assert_eq!(r.trades, 20_000);
        assert!(r.fills > 0 && r.filled_pct > 99.0, "{r:?}");
    }
}
