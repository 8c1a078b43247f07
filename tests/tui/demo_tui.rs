//! The interactive demo's driver (what `blotter demo` runs behind the
//! caption bar): the presenter advances the steps with a key, can leave the
//! script, and `--auto` plays the whole day to the same orders and fills as
//! the headless run.

use blotter::client::Client;
use blotter::demo::{BUILTIN, Script, run_headless};
use blotter::market::Universe;
use blotter::model::Timestamp;
use blotter::tui::demo::{DemoCmd, DemoLink, DemoOptions, DemoView, start};
use std::sync::Arc;
use std::time::Duration;

fn script() -> Script {
    Script::parse(BUILTIN, "built-in").expect("the built-in script parses")
}

/// Caption updates until one satisfies `pred` (the driver sends only changes).
async fn until(link: &mut DemoLink, what: &str, secs: u64, pred: impl Fn(&DemoView) -> bool) -> DemoView {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(deadline, link.views.recv()).await {
            Ok(Some(v)) if pred(&v) => return v,
            Ok(Some(_)) => {}
            Ok(None) => panic!("the driver stopped before {what}"),
            Err(_) => panic!("no {what} within {secs} s"),
        }
    }
}

fn at(s: &Script, i: usize) -> Option<Timestamp> {
    s.steps[i].at
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_presenter_advances_the_steps_and_can_leave_the_script() {
    let s = script();
    let engine = blotter::demo::engine_for(&s, Arc::new(Universe::builtin())).unwrap();
    let (client, mut link) = start(s.clone(), engine, DemoOptions { auto: false, hold_factor: 1.0 });
    // The first step needs nobody; the clock then runs (60x) to the next step's time and waits there.
    let v = until(&mut link, "the first caption", 20, |v| v.fired == 1).await;
    assert_eq!((v.total, v.caption.as_str()), (s.steps.len(), s.steps[0].caption.as_str()));
    assert!(!v.auto && !v.left);
    let v = until(&mut link, "the wait at the second step", 30, |v| v.waiting).await;
    assert_eq!((v.fired, v.next_at), (1, at(&s, 1)));
    assert!(client.orders(Default::default()).await.unwrap().items.is_empty(), "no order before its step");
    let c = client.clock().await.unwrap();
    assert_eq!((c.now, c.speed), (at(&s, 1).unwrap(), Some(0.0)), "held at the step, shown as paused");

    // The presenter's key fires it: its order is in the engine, at its time.
    link.cmds.send(DemoCmd::Next).unwrap();
    let v = until(&mut link, "the second caption", 20, |v| v.fired == 2).await;
    assert_eq!(v.caption, s.steps[1].caption);
    assert_eq!(v.select.map(|p| p.to_string()).as_deref(), Some("P1"));
    let orders = client.orders(Default::default()).await.unwrap().items;
    assert_eq!(orders.len(), 1);
    assert_eq!((orders[0].order.owner.user.as_ref(), orders[0].order.symbol.as_ref()), ("alice", "AAPL"));
    assert_eq!(Some(orders[0].order.created_at), at(&s, 1));

    // Asking before the next step's time fast-forwards to it.
    link.cmds.send(DemoCmd::Next).unwrap();
    until(&mut link, "the third caption", 30, |v| v.fired == 3).await;
    assert_eq!(client.orders(Default::default()).await.unwrap().items.len(), 2);
    assert!(client.clock().await.unwrap().now >= at(&s, 2).unwrap());

    // Leaving: no more steps, the caption says so, the clock runs on.
    link.cmds.send(DemoCmd::Leave).unwrap();
    let v = until(&mut link, "the script left", 20, |v| v.left).await;
    assert_eq!((v.fired, v.waiting, v.next_at), (3, false, None));
    let t0 = client.clock().await.unwrap().now;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(client.clock().await.unwrap().now > t0, "the clock runs on after leaving");
    link.cmds.send(DemoCmd::Next).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(client.orders(Default::default()).await.unwrap().items.len(), 2, "no step fires once left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_plays_the_day_to_the_same_fills_as_the_headless_run() {
    let s = script();
    let headless = run_headless(&s, Arc::new(Universe::builtin())).unwrap();
    let engine = blotter::demo::engine_for(&s, Arc::new(Universe::builtin())).unwrap();
    // No hold: each step fires as soon as the clock gets there (fast-forwarded).
    let (client, mut link) = start(s.clone(), engine, DemoOptions { auto: true, hold_factor: 0.0 });
    let v = until(&mut link, "the last caption", 240, |v| v.fired == v.total).await;
    assert_eq!(v.caption, s.steps.last().unwrap().caption);
    assert!(v.refused.is_empty(), "{:?}", v.refused);
    let got =
        client.engine.with_engine(|e| e.parents().map(|p| (p.id, p.status, p.filled, p.avg_px())).collect::<Vec<_>>());
    let want: Vec<_> = headless.orders.iter().map(|o| (o.id, o.status, o.filled_qty, o.avg_px)).collect();
    assert_eq!(got, want, "the same orders, statuses and fills as `blotter demo --headless`");
}
