//! The UI's background side against the real embedded client: greeting,
//! client calls, the event stream, refreshes of what the view wants, previews.

use blotter::client::{Embedded, StreamItem};
use blotter::engine::EventKind;
use blotter::model::ParentId;
use blotter::tui::app::{Effect, Msg, Want};
use blotter::tui::scenario::{actor, demo_orders, engine};
use blotter::tui::worker::Worker;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

async fn until(rx: &mut mpsc::UnboundedReceiver<Msg>, what: &str, pred: impl Fn(&Msg) -> bool) -> Msg {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(m)) if pred(&m) => return m,
            Ok(Some(_)) => {}
            _ => panic!("no {what} within 20 s"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_greets_acts_follows_and_refreshes() {
    let c = Arc::new(Embedded::start(engine(5), 600.0, actor()));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (want_tx, want_rx) = watch::channel(Want::default());
    let w = Worker::start(Arc::clone(&c), tx, want_rx);
    until(&mut rx, "hello", |m| matches!(m, Msg::Hello(id, inst) if id.paper_mode && inst.len() > 3)).await;

    w.run(Effect::Submit(demo_orders().remove(0)));
    until(&mut rx, "the acceptance", |m| matches!(m, Msg::Done(_, Ok(t)) if t.starts_with("P1 accepted"))).await;
    until(
        &mut rx,
        "a fill on the stream",
        |m| matches!(m, Msg::Stream(StreamItem::Event(e)) if matches!(e.kind, EventKind::Fill { .. })),
    )
    .await;
    until(&mut rx, "a refresh with the order", |m| matches!(m, Msg::Snapshot(s) if s.orders.len() == 1)).await;

    let p1 = ParentId::local(1);
    want_tx.send(Want { details: vec![p1], tca: Some(p1), symbol: Some("AAPL".into()), supervisor: None }).unwrap();
    until(&mut rx, "a refresh with detail, TCA and book", |m| {
        matches!(m, Msg::Snapshot(s) if s.details.contains_key(&p1) && s.tca.is_some() && s.book.is_some() && s.venues.len() == 5)
    })
    .await;

    w.run(Effect::Preview(7, Some(demo_orders().remove(1)), Some("MSFT".into())));
    until(&mut rx, "the preview", |m| {
        matches!(m, Msg::Preview(7, p) if matches!(p.slices, Some(Ok(ref s)) if !s.is_empty())
            && matches!(p.estimate, Some(Ok(ref e)) if !e.models.is_empty()) && p.book.is_some())
    })
    .await;

    w.run(Effect::SetSpeed(0.0));
    until(&mut rx, "the frozen clock", |m| matches!(m, Msg::Clock(c) if c.speed == Some(0.0))).await;
    w.run(Effect::Cancel(ParentId::local(42)));
    until(
        &mut rx,
        "the refusal",
        |m| matches!(m, Msg::Done(what, Err(e)) if what == "cancel P42" && e.code == "unknown_order"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_detail_carries_the_market_path_for_the_tca_chart() {
    use blotter::client::Client;
    let c = blotter::tui::scenario::demo_client(7).await;
    let d = c.order(ParentId::local(1)).await.unwrap();
    let m = &d.market;
    assert!(m.len() > 100 && m.len() <= 241, "{} samples", m.len());
    assert!(m.windows(2).all(|w| w[0].ts < w[1].ts), "in time order");
    assert_eq!(m[0].ts, d.row.order.start);
    assert!(m.iter().all(|p| p.mid > 0.0));
    // The running VWAP exists once the market has printed and stays within the mids' range.
    let (lo, hi) = m.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.mid), b.max(p.mid)));
    let last = m.last().unwrap().interval_vwap.unwrap();
    assert!(last > lo * 0.99 && last < hi * 1.01, "{last} outside {lo}..{hi}");
    // It ends at the simulated now (10:15), the order still working.
    assert_eq!(m.last().unwrap().ts.0 / 1_000_000_000, blotter::tui::scenario::snapshot_time().0 / 1_000_000_000);
}
