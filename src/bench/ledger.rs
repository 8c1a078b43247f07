//! Ledger benchmarks shared by `blotter bench` and `cargo bench`: sustained
//! fill persistence with durability on (every commit synced, group commit),
//! and the engine's simulated day with and without the ledger recording it.

use super::{DayRun, bench_date};
use crate::engine::{Actor, Command, Engine, EngineConfig, EngineEvent, EventKind};
use crate::market::Universe;
use crate::model::{
    AlgoKind, ChildId, ChildOrder, ChildStatus, Fill, FillId, Liquidity, Money, OrderType, Owner, ParentId,
    ParentOrder, ParentStatus, Price, Qty, Role, Side, Tif, Timestamp,
};
use crate::store::{Batch, DbTarget, EngineSpec, Ledger, Recorder, StoreError};
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;

/// Result of the fill-persistence benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct FillRun {
    /// Fills committed.
    pub fills: u64,
    /// Events committed (fills, children, progress).
    pub events: u64,
    /// Fills handed over per batch (the driver's batch; the writer groups batches further).
    pub batch: usize,
    /// Wall time from the first batch to the last commit, milliseconds.
    pub wall_ms: f64,
    /// Fills per second.
    pub fills_per_sec: f64,
}

/// Fills per child in the synthetic stream.
const FILLS_PER_CHILD: u64 = 10;

/// Synthetic events: one parent, children of ten fills each, a progress
/// event after every `batch` fills. Returned as the batches a driver would hand over.
fn fill_stream(fills: u64, batch: usize) -> Vec<Vec<EngineEvent>> {
    let lot = Qty::from_int(100);
    let t0 = Timestamp(1_795_000_000_000_000_000);
    let id = ParentId::local(1);
    let order = ParentOrder {
        id,
        owner: Owner::default(),
        symbol: "AAPL".into(),
        side: Side::Buy,
        qty: lot.mul_int(fills as i64),
        limit_px: None,
        algo: AlgoKind::Twap,
        params: Default::default(),
        start: t0,
        end: Timestamp(t0.0 + 23_400_000_000_000),
        status: ParentStatus::Pending,
        filled: Qty::ZERO,
        notional: Money::ZERO,
        fees: Money::ZERO,
        arrival_px: None,
        decision_px: None,
        created_at: t0,
        done_at: None,
        children: 0,
    };
    let mut seq = 0u64;
    let mut ev = |ts: Timestamp, kind: EventKind| {
        seq += 1;
        EngineEvent { seq, ts, kind }
    };
    let mut out = Vec::new();
    let mut cur = vec![
        ev(t0, EventKind::Accepted { order: Box::new(order), estimate: None }),
        ev(t0, EventKind::Started { parent: id, arrival_px: Price::parse("185.20").ok() }),
    ];
    let (mut filled, mut notional) = (Qty::ZERO, Money::ZERO);
    for n in 0..fills {
        let ts = Timestamp(t0.0 + n as i64 * 1_000_000);
        let child = ChildId { parent: id, seq: (n / FILLS_PER_CHILD) as u32 + 1 };
        if n % FILLS_PER_CHILD == 0 {
            let c = ChildOrder {
                id: child,
                venue: "NYSE".into(),
                side: Side::Buy,
                qty: lot.mul_int(FILLS_PER_CHILD as i64),
                px: Price::parse("185.21").ok(),
                order_type: OrderType::Limit,
                tif: Tif::Day,
                status: ChildStatus::PendingNew,
                filled: Qty::ZERO,
                notional: Money::ZERO,
                sent_at: ts,
                acked_at: None,
            };
            cur.push(ev(ts, EventKind::ChildSent { child: Box::new(c) }));
            cur.push(ev(ts, EventKind::ChildAcked { child, venue: "NYSE".into(), latency_ns: 150_000 }));
        }
        let px = Price::from_raw(185_210_000_000 - (n % 7) as i64 * 10_000_000);
        let fill = Fill {
            id: FillId(n + 1),
            child,
            venue: "NYSE".into(),
            side: Side::Buy,
            px,
            qty: lot,
            fee: Money::parse("-0.2").unwrap_or_default(),
            liquidity: Liquidity::Maker,
            ts,
        };
        filled += lot;
        notional += Money::notional(px, lot);
        cur.push(ev(ts, EventKind::Fill { fill }));
        if (n + 1) % batch as u64 == 0 || n + 1 == fills {
            let leaves = lot.mul_int(fills as i64) - filled;
            let avg_px = crate::model::vwap(notional, filled);
            cur.push(ev(ts, EventKind::Progress { parent: id, filled, leaves, working: Qty::ZERO, avg_px }));
            out.push(std::mem::take(&mut cur));
        }
    }
    out
}

/// Commits `fills` synthetic fills into `target`, handed over `batch` at a
/// time without waiting (as a running engine does), and times it to the last commit.
pub fn fill_persistence(target: &DbTarget, fills: u64, batch: usize) -> Result<FillRun, StoreError> {
    fill_run(target, fills, batch, true)
}

/// The same, waiting for each batch's commit before handing over the next:
/// one sync per batch, no grouping (the comparison for group commit).
pub fn fill_persistence_unpipelined(target: &DbTarget, fills: u64, batch: usize) -> Result<FillRun, StoreError> {
    fill_run(target, fills, batch, false)
}

fn fill_run(target: &DbTarget, fills: u64, batch: usize, pipelined: bool) -> Result<FillRun, StoreError> {
    let batch = batch.max(1);
    let stream = fill_stream(fills.max(1), batch);
    let events: u64 = stream.iter().map(|b| b.len() as u64).sum();
    let ledger = Ledger::open(target)?;
    let mut cfg = EngineConfig::new(1, bench_date());
    cfg.symbols = Some(vec!["AAPL".into()]);
    let eref = ledger.register(&EngineSpec::new(
        &cfg,
        crate::store::Sources::default(),
        &Actor::local(Role::Advisor),
        Timestamp(0),
    ))?;
    let t0 = Instant::now();
    if pipelined {
        let tickets: Vec<_> = stream.into_iter().map(|events| ledger.submit(Batch::events(&eref, events))).collect();
        for t in tickets {
            t.wait()?;
        }
    } else {
        for events in stream {
            ledger.submit(Batch::events(&eref, events)).wait()?;
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    ledger.stop(&eref)?;
    Ok(FillRun { fills, events, batch, wall_ms: wall * 1e3, fills_per_sec: fills as f64 / wall })
}

/// The benchmark day of `crate::bench::equity_day`, recorded into `target`
/// as it runs (a batch whenever events are waiting, checked every 256 steps).
pub fn equity_day_recorded(seed: u64, target: &DbTarget) -> Result<DayRun, StoreError> {
    let ledger = Ledger::open(target)?;
    let actor = Actor::local(Role::Advisor);
    let mut cfg = EngineConfig::new(seed, bench_date());
    cfg.symbols = Some(vec!["AAPL".into()]);
    let t0 = Instant::now();
    let mut e = Engine::new(Arc::new(Universe::builtin()), cfg.clone())
        .map_err(|r| StoreError::Data(format!("bench engine: {r}")))?;
    let eref = ledger.register(&EngineSpec::new(&cfg, crate::store::Sources::default(), &actor, e.now()))?;
    let mut rec = Recorder::new(&ledger, eref);
    let s = e.market("AAPL").map(|m| m.session).ok_or_else(|| StoreError::Data("no AAPL market".into()))?;
    let (result, _) = rec.apply(&mut e, &actor, Command::Submit(crate::bench::day_order(&s)))?;
    result.map_err(|r| StoreError::Data(format!("bench order refused: {r}")))?;
    let mut steps = 0u64;
    let mut pushed = e.event_count();
    while e.step() {
        steps += 1;
        if steps.is_multiple_of(256) && e.event_count() > pushed {
            pushed = e.event_count();
            rec.push(&mut e);
            rec.release(false)?;
        }
    }
    rec.push(&mut e);
    rec.finish()?;
    let wall = t0.elapsed();
    Ok(DayRun { market_events: e.market_events(), engine_events: e.event_count(), wall_ms: wall.as_secs_f64() * 1e3 })
}

/// The ledger figures of `blotter bench`.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerBench {
    /// Where it was measured (`sqlite`, `postgres`).
    pub backend: &'static str,
    /// Durability: what a commit waits for.
    pub durability: &'static str,
    /// Sustained fill persistence with group commit.
    pub fills: FillRun,
    /// The same stream committed one batch at a time (no grouping).
    pub fills_ungrouped: FillRun,
    /// The benchmark day recorded into the ledger, best of the runs.
    pub day_with_ledger_ms: f64,
    /// The benchmark day without the ledger, best of the runs.
    pub day_without_ledger_ms: f64,
    /// Day throughput with the ledger over without (1 = no cost).
    pub day_throughput_ratio: f64,
    /// Engine events recorded in the day.
    pub day_engine_events: u64,
}

/// Runs the ledger benchmarks against `target` (a fresh database each time
/// for SQLite: `fresh` returns a new target per measurement).
pub fn ledger_bench(
    seed: u64,
    runs: u32,
    day_without_ms: f64,
    mut fresh: impl FnMut() -> DbTarget,
) -> Result<LedgerBench, StoreError> {
    let target = fresh();
    let backend = target.backend();
    let fills = fill_persistence(&target, 200_000, 50)?;
    let fills_ungrouped = fill_persistence_unpipelined(&fresh(), 20_000, 50)?;
    let mut best: Option<DayRun> = None;
    for _ in 0..runs.max(1) {
        let r = equity_day_recorded(seed, &fresh())?;
        if best.as_ref().is_none_or(|b| r.wall_ms < b.wall_ms) {
            best = Some(r);
        }
    }
    let day = best.ok_or_else(|| StoreError::Data("no run".into()))?;
    Ok(LedgerBench {
        backend: backend.name(),
        durability: match backend {
            crate::store::Backend::Sqlite => "WAL, synchronous=FULL: every commit synced to disk",
            crate::store::Backend::Postgres => "server defaults (fsync on, synchronous_commit on)",
        },
        fills,
        fills_ungrouped,
        day_with_ledger_ms: day.wall_ms,
        day_without_ledger_ms: day_without_ms,
        day_throughput_ratio: day_without_ms / day.wall_ms,
        day_engine_events: day.engine_events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_synthetic_stream_is_consistent() {
        let s = fill_stream(25, 10);
        assert_eq!(s.len(), 3, "batches of 10, 10 and 5 fills");
        let all: Vec<&EngineEvent> = s.iter().flatten().collect();
        assert!(all.windows(2).all(|w| w[1].seq == w[0].seq + 1));
        let fills = all.iter().filter(|e| matches!(e.kind, EventKind::Fill { .. })).count();
        assert_eq!(fills, 25);
        match &s[2].last().unwrap().kind {
            EventKind::Progress { leaves, filled, .. } => {
                assert_eq!(*leaves, Qty::ZERO);
                assert_eq!(*filled, Qty::from_int(2_500));
            }
            other => panic!("expected progress, got {other:?}"),
        }
    }
}
