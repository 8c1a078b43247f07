//! The ledger's memory under load (issue 14): a database slower than the
//! market holds the engine's clock instead of letting the writer's queue
//! grow, and no event is lost on the way; the writer's replica drops final
//! children and reads one back when a late event changes it.

use crate::common;
use crate::store_support;

use blotter::client::{Client, Embedded};
use blotter::engine::{Command, EngineConfig, EngineEvent, EventKind};
use blotter::model::{AlgoKind, ChildStatus, Side};
use blotter::store::sink::LedgerSink;
use blotter::store::{Batch, EngineSpec, Ledger, Recorder, Sources};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store_support::Db;

on_both_backends!(
    a_slow_ledger_holds_the_clock_and_its_queue_stays_bounded,
    a_late_event_about_a_dropped_final_child_reads_it_back
);

/// Events the test waits for: thirty times the bound.
const EVENTS: u64 = 6_000;
/// The writer's bound in the test.
const BOUND: usize = 200;

fn a_slow_ledger_holds_the_clock_and_its_queue_stays_bounded(db: &Db) {
    let ledger = Arc::new(Ledger::open(&db.target).unwrap());
    // The database as the bottleneck: every commit waits 100 ms first, so
    // the writer makes at most ~2,000 events a second durable (200 per
    // commit once the queue is at its bound), where the engine at 20000x
    // with a day's POV order makes many times that.
    ledger.backlog().set_bound(BOUND);
    ledger.backlog().slow_writer(Duration::from_millis(100));
    let desk = common::advisor();
    let mut cfg = EngineConfig::new(31, common::date());
    cfg.symbols = Some(vec!["AAPL".into()]);
    let engine = common::engine(31, &["AAPL"]);
    let eref = ledger.register(&EngineSpec::new(&cfg, Sources::default(), &desk, engine.now())).unwrap();
    let sink = LedgerSink::new(Arc::clone(&ledger), eref.clone());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (last, logged) = rt.block_on(async {
        let client = Embedded::start_with_sink(engine, 0.0, desk.clone(), Some(Box::new(sink)));
        let order = common::order("AAPL", Side::Buy, 2_000_000, AlgoKind::Pov, "09:30", "16:00", &[("rate", "0.2")]);
        client.submit(order).await.unwrap();
        client.set_speed(20_000.0).await.unwrap();
        // A guard against a hang, not a timing assertion: the events come at
        // whatever pace the slowed writer allows.
        let deadline = Instant::now() + Duration::from_secs(600);
        while client.last_seq() < EVENTS {
            assert!(Instant::now() < deadline, "only {} events published", client.last_seq());
            // What `serve`'s TCA recorder does every few seconds: catch the
            // engine up and look at it (a bounded slice, never the whole gap
            // between a lagging engine and the clock).
            client.with_engine(|e| e.now());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let clock = client.set_speed(0.0).await.unwrap();
        let last = client.last_seq();
        assert!(clock.now > common::ny("09:30"), "the market ran");
        let logged = ledger.handle().events_between(eref.id, 0, last, 1_000_000).await.unwrap();
        (last, logged)
    });
    let backlog = ledger.backlog();
    // Unbounded, the queue holds what the engine makes while the writer
    // sleeps (74,824 events at once, measured with the pump's check
    // removed). Bounded, a batch is handed over only while
    // the queue is under its bound, so it holds at most the bound plus one
    // batch (a slice of at most 2 simulated seconds).
    let (peak, largest) = (backlog.peak(), backlog.largest_batch());
    assert!(peak >= BOUND, "the writer was the bottleneck: peak {peak}");
    assert!(peak <= BOUND + largest, "the queue held {peak} events, past its bound {BOUND} plus one batch {largest}");
    assert!(peak < EVENTS as usize / 4, "the queue held {peak} of the {last} events that went through it");
    // Every published event is in the ledger, in order, none missing.
    let seqs: Vec<u64> = logged.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=last).collect::<Vec<_>>(), "events 1..={last} all recorded");
    drop(rt);
    ledger.stop(&eref).unwrap();
}

fn a_late_event_about_a_dropped_final_child_reads_it_back(db: &Db) {
    let ledger = Ledger::open(&db.target).unwrap();
    let desk = common::advisor();
    let mut cfg = EngineConfig::new(5, common::date());
    cfg.symbols = Some(vec!["AAPL".into()]);
    let mut engine = common::engine(5, &["AAPL"]);
    let eref = ledger.register(&EngineSpec::new(&cfg, Sources::default(), &desk, engine.now())).unwrap();
    let mut rec = Recorder::new(&ledger, eref.clone());
    let order = common::order("AAPL", Side::Buy, 50_000, AlgoKind::Twap, "09:30", "11:00", &[]);
    let (id, _) = rec.apply(&mut engine, &desk, Command::Submit(order)).unwrap();
    let id = id.unwrap().unwrap();
    engine.run_until(common::ny("09:45"));
    rec.push(&mut engine);
    let released = rec.release(true).unwrap();
    // Written in an earlier commit than the one below, so dropped from the
    // writer's memory while its parent works on.
    let filled = engine.children(id).into_iter().find(|c| c.status == ChildStatus::Filled).unwrap().clone();
    assert!(!engine.parent(id).unwrap().status.is_terminal(), "the parent still works");
    // A cancel that raced the fill is refused after it: the late event is
    // about a child the writer no longer holds.
    let late = EngineEvent {
        seq: released.last().unwrap().seq + 1,
        ts: engine.now(),
        kind: EventKind::CancelRejected { child: filled.id, reason: "too late to cancel".into() },
    };
    ledger.submit(Batch::events(&eref, vec![late])).wait().unwrap();
    let detail = ledger.order(eref.id, id.on(eref.number())).unwrap().unwrap();
    let got = detail.children.iter().find(|c| c.id.seq == filled.id.seq).unwrap();
    assert_eq!((got.status, got.filled), (ChildStatus::Filled, filled.filled), "read back, still filled");
    ledger.stop(&eref).unwrap();
}
