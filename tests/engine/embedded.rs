//! The in-process client: pacing, commands, views and the event stream.

use crate::common;

use blotter::client::{Client, Embedded, StreamItem};
use blotter::engine::view::OrderQuery;
use blotter::engine::{Actor, EventKind};
use blotter::model::{AlgoKind, ParentStatus, Role, Side};
use common::*;
use futures_util::StreamExt;
use std::time::Duration;

async fn wait_done(stream: &mut blotter::client::EventStream) -> Vec<EventKind> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while let Ok(Some(item)) = tokio::time::timeout_at(deadline, stream.next()).await {
        if let StreamItem::Event(e) = item {
            let done = matches!(e.kind, EventKind::Done { .. });
            seen.push(e.kind);
            if done {
                break;
            }
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paced_engine_runs_an_order_and_streams_its_events() {
    let e = engine(3, &["AAPL"]);
    let c = Embedded::start(e, 3_600.0, advisor());
    let mut stream = c.subscribe(None).await.unwrap();
    let row = c.submit(order("AAPL", Side::Buy, 5_000, AlgoKind::Twap, "09:30", "09:35", &[])).await.unwrap();
    assert_eq!(row.order.id.to_string(), "P1");
    let kinds = wait_done(&mut stream).await;
    assert!(matches!(kinds.first(), Some(EventKind::Accepted { .. })), "{:?}", kinds.first());
    assert!(kinds.iter().any(|k| matches!(k, EventKind::Fill { .. })));
    let d = c.order(row.order.id).await.unwrap();
    assert_eq!(d.row.order.status, ParentStatus::Done);
    assert!(!d.children.is_empty() && !d.fills.is_empty() && !d.plan.is_empty());
    let tca = c.tca(row.order.id).await.unwrap();
    assert!(tca.arrival_px.is_some() && tca.interval_vwap.is_some());
    let sf = tca.implementation_shortfall.unwrap();
    assert_eq!(sf.total, sf.delay + sf.trading + sf.opportunity + sf.fees);
    let est = c.estimate(order("AAPL", Side::Buy, 50_000, AlgoKind::Twap, "10:00", "11:00", &[])).await.unwrap();
    // linear, sqrt, propagator, spread, latency, adverse_selection.
    assert_eq!(est.models.len(), 6);
    assert!(est.total_bps > 0.0);
    let bad = c.estimate(order("ZZZ", Side::Buy, 1, AlgoKind::Twap, "10:00", "11:00", &[])).await.unwrap_err();
    assert_eq!(bad.code, "unknown_symbol");
    let book = c.book("AAPL").await.unwrap();
    assert_eq!(book.venues.len(), 5);
    assert!(c.book("ZZZ").await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_from_a_sequence_number_has_no_gap_and_no_duplicate() {
    let c = Embedded::start(engine(4, &["AAPL"]), 3_600.0, advisor());
    let mut all = c.subscribe(Some(0)).await.unwrap();
    c.submit(order("AAPL", Side::Sell, 3_000, AlgoKind::Twap, "09:30", "09:33", &[])).await.unwrap();
    wait_done(&mut all).await;
    let seqs = |v: Vec<StreamItem>| {
        v.into_iter().filter_map(|i| if let StreamItem::Event(e) = i { Some(e.seq) } else { None }).collect::<Vec<_>>()
    };
    let mut resumed = c.subscribe(Some(5)).await.unwrap();
    let mut got = Vec::new();
    while let Ok(Some(i)) = tokio::time::timeout(Duration::from_millis(300), resumed.next()).await {
        got.push(i);
    }
    let got = seqs(got);
    assert_eq!(got.first(), Some(&6));
    assert!(got.windows(2).all(|w| w[1] == w[0] + 1), "gap or duplicate in {got:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_desk_sees_its_own_orders() {
    let c = Embedded::start(engine(5, &["AAPL"]), 60.0, advisor());
    let alice = c.as_actor(Actor { user: "alice".into(), tenant: "ws".into(), role: Role::Advisor });
    let bob = c.as_actor(Actor { user: "bob".into(), tenant: "az".into(), role: Role::Advisor });
    let boss = c.as_actor(Actor { user: "sup".into(), tenant: "hq".into(), role: Role::Supervisor });
    let a = alice.submit(order("AAPL", Side::Buy, 1_000, AlgoKind::Twap, "09:30", "10:00", &[])).await.unwrap();
    bob.submit(order("AAPL", Side::Sell, 1_000, AlgoKind::Twap, "09:30", "10:00", &[])).await.unwrap();
    assert_eq!(alice.orders(OrderQuery::default()).await.unwrap().total, 1);
    assert_eq!(boss.orders(OrderQuery::default()).await.unwrap().total, 2);
    assert_eq!(bob.order(a.order.id).await.unwrap_err().code, "not_found");
    assert_eq!(bob.cancel(a.order.id).await.unwrap_err().code, "unknown_order");
    assert_eq!(alice.kill_all().await.unwrap_err().code, "forbidden");
    let killed = boss.kill_all().await.unwrap();
    assert_eq!(killed.len(), 2);
    assert_eq!(alice.order(a.order.id).await.unwrap().row.order.status, ParentStatus::Paused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speed_changes_and_pauses_the_clock() {
    let c = Embedded::start(engine(6, &["AAPL"]), 10.0, advisor());
    let frozen = c.set_speed(0.0).await.unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(c.clock().await.unwrap().now, frozen.now, "a speed of 0 stops the clock");
    assert!(c.set_speed(-1.0).await.is_err());
    c.set_speed(1_000.0).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let later = c.clock().await.unwrap();
    assert!(later.now.0 - frozen.now.0 >= 50_000_000_000, "at 1000x, 100 ms is over 50 s of market time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisors_manage_risk_through_the_client() {
    use blotter::risk::{Limits, TradingState};
    let c = Embedded::start(engine(7, &["AAPL"]), 60.0, advisor());
    let boss = c.as_actor(Actor { user: "sup".into(), tenant: "hq".into(), role: Role::Supervisor });
    assert_eq!(c.risk().await.unwrap_err().code, "forbidden");
    let limits = Limits { max_order_qty: Some(blotter::model::Qty::from_int(100)), ..Limits::default() };
    let view = boss.set_limits("local", None, limits).await.unwrap();
    assert!(view.tenants.iter().any(|t| t.tenant == "local" && t.limits.max_order_qty.is_some()));
    let err = c.submit(order("AAPL", Side::Buy, 101, AlgoKind::Twap, "09:30", "10:00", &[])).await.unwrap_err();
    assert_eq!((err.code.as_str(), err.field.as_deref()), ("risk_limit", Some("max_order_qty")));
    let ok = c.submit(order("AAPL", Side::Buy, 100, AlgoKind::Twap, "09:30", "10:00", &[])).await.unwrap();
    let killed = boss.kill_tenant("local").await.unwrap();
    assert_eq!(killed, vec![ok.order.id]);
    assert_eq!(c.resume(ok.order.id).await.unwrap_err().code, "halted");
    boss.set_trading_state(Some("local"), TradingState::Active).await.unwrap();
    assert_eq!(c.resume(ok.order.id).await.unwrap().order.status, ParentStatus::Working);
    let v = boss.set_execution("local", false).await.unwrap();
    assert!(v.tenants.iter().any(|t| t.tenant == "local" && !t.execution_enabled));
    assert_eq!(
        c.submit(order("AAPL", Side::Buy, 1, AlgoKind::Twap, "09:30", "10:00", &[])).await.unwrap_err().code,
        "execution_disabled"
    );
}

/// A sink whose commits complete only when the test says so.
struct GatedSink {
    gate: std::sync::Arc<(std::sync::Mutex<usize>, std::sync::Condvar)>,
    handed: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl blotter::client::embedded::EventSink for GatedSink {
    fn submit(
        &mut self,
        _events: &[blotter::engine::EngineEvent],
        _audit: Option<blotter::client::embedded::Audit<'_>>,
        _risk: Option<&blotter::risk::RiskBook>,
    ) -> blotter::client::embedded::Commit {
        let n = self.handed.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let gate = std::sync::Arc::clone(&self.gate);
        Box::new(move || {
            let (lock, cv) = &*gate;
            let mut open = lock.lock().unwrap();
            while *open < n {
                open = cv.wait(open).unwrap();
            }
            Ok(())
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_is_acknowledged_only_after_its_commit_and_others_proceed_meanwhile() {
    use std::sync::atomic::Ordering;
    let gate = std::sync::Arc::new((std::sync::Mutex::new(0usize), std::sync::Condvar::new()));
    let handed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let sink = GatedSink { gate: std::sync::Arc::clone(&gate), handed: std::sync::Arc::clone(&handed) };
    let c = Embedded::start_with_sink(engine(8, &["AAPL"]), 0.0, advisor(), Some(Box::new(sink)));
    let mut stream = c.subscribe(Some(0)).await.unwrap();
    let first = tokio::spawn({
        let c = c.clone();
        async move { c.submit(order("AAPL", Side::Buy, 1_000, AlgoKind::Twap, "09:30", "10:00", &[])).await }
    });
    // The first submit waits for its commit...
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!first.is_finished(), "acknowledged before its batch was durable");
    assert!(tokio::time::timeout(Duration::from_millis(50), stream.next()).await.is_err(), "published before durable");
    // ...while the engine stays usable: queries answer and a second command is handed to the sink.
    assert_eq!(c.orders(OrderQuery::default()).await.unwrap().total, 1);
    let second = tokio::spawn({
        let c = c.clone();
        async move { c.submit(order("AAPL", Side::Sell, 500, AlgoKind::Twap, "09:30", "10:00", &[])).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(handed.load(Ordering::SeqCst) >= 2, "the second batch reached the sink during the first commit");
    assert!(!second.is_finished());
    // Open everything: both complete, events arrive in sequence order.
    {
        let (lock, cv) = &*gate;
        *lock.lock().unwrap() = usize::MAX;
        cv.notify_all();
    }
    assert_eq!(first.await.unwrap().unwrap().order.id.to_string(), "P1");
    assert_eq!(second.await.unwrap().unwrap().order.id.to_string(), "P2");
    let mut seqs = Vec::new();
    while let Ok(Some(StreamItem::Event(e))) = tokio::time::timeout(Duration::from_millis(200), stream.next()).await {
        seqs.push(e.seq);
    }
    assert!(seqs.len() >= 2 && seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
}
