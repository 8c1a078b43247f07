//! The event stream: resume with Last-Event-ID after a forced disconnect
//! (no gap, no duplicate), the Remote client's own reconnect, and a consumer
//! that falls behind the engine's bounded buffer.

use crate::common::order;
use crate::support::{desk, desk_with};
use blotter::api::ApiOptions;
use blotter::client::{Client, Settings, StreamItem};
use blotter::engine::EventKind;
use blotter::model::{AlgoKind, Side};
use futures_util::StreamExt;
use std::time::Duration;

/// Reads SSE frames from a raw response until `n` engine events or the end; returns (ids, saw lagged).
pub async fn read_ids(resp: reqwest::Response, n: usize, secs: u64) -> (Vec<u64>, bool) {
    use eventsource_stream::Eventsource;
    let mut s = Box::pin(resp.bytes_stream().eventsource());
    let (mut ids, mut lagged) = (Vec::new(), false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while ids.len() < n {
        match tokio::time::timeout_at(deadline, s.next()).await {
            Ok(Some(Ok(ev))) if ev.event == "engine" => {
                let e: blotter::engine::EngineEvent = serde_json::from_str(&ev.data).unwrap();
                assert_eq!(ev.id, e.seq.to_string(), "the SSE id is the event's sequence number");
                ids.push(e.seq);
            }
            Ok(Some(Ok(ev))) if ev.event == "lagged" => lagged = true,
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) | Err(_) => break,
        }
    }
    (ids, lagged)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_event_id_resumes_after_a_forced_disconnect_without_gap_or_duplicate() {
    // The clock crawls until the order is in (a loaded machine must not see its window pass), then runs.
    let d = desk(41, 1.0).await;
    let url = format!("{}/v1/events", d.server.url());
    let first = d.http.get(&url).bearer_auth(&d.tokens["sup"]).send().await.unwrap();
    assert_eq!(first.status().as_u16(), 200);
    let alice = d.remote("alice");
    alice.submit(order("AAPL", Side::Buy, 4_000, AlgoKind::Twap, "09:30", "10:00", &[])).await.unwrap();
    d.engine.set_speed(1_800.0).await.unwrap();
    let (part1, _) = read_ids(first, 15, 20).await;
    assert_eq!(part1.len(), 15);
    // The connection is gone (dropped above); the order keeps running meanwhile.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let last = *part1.last().unwrap();
    let again = d.http.get(&url).bearer_auth(&d.tokens["sup"]).header("Last-Event-ID", last.to_string());
    let again = again.send().await.unwrap();
    // Everything published up to now, after `last`, arrives first and in order.
    let expected = d.engine.last_seq() - last;
    let (part2, _) = read_ids(again, expected as usize, 20).await;
    let all: Vec<u64> = part1.iter().chain(&part2).copied().collect();
    assert_eq!(all.first(), Some(&1));
    assert!(all.windows(2).all(|w| w[1] == w[0] + 1), "gap or duplicate across the reconnect: {all:?}");
    assert_eq!(all.len() as u64, last + expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_reconnects_after_the_server_drops_streams_and_resumes() {
    let d = desk(42, 1.0).await;
    let sup = d.remote("sup");
    let mut s = sup.subscribe(None).await.unwrap();
    d.remote("alice").submit(order("AAPL", Side::Buy, 4_000, AlgoKind::Twap, "09:30", "10:00", &[])).await.unwrap();
    d.engine.set_speed(1_800.0).await.unwrap();
    let (mut seqs, mut states) = (Vec::new(), Vec::new());
    let mut dropped = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let item = tokio::time::timeout_at(deadline, s.next()).await.expect("in time").expect("open");
        match item {
            StreamItem::Event(e) => {
                let done = matches!(e.kind, EventKind::Done { .. });
                seqs.push(e.seq);
                if seqs.len() == 10 && !dropped {
                    d.server.state.drop_streams();
                    dropped = true;
                }
                if done {
                    break;
                }
            }
            StreamItem::Connection { connected, .. } => states.push(connected),
            StreamItem::Lagged { .. } | StreamItem::Gap { .. } => {
                panic!("the remote stream resumes instead of lagging")
            }
            StreamItem::Desk { .. } => panic!("a desk of one engine relays no other engine"),
        }
    }
    assert_eq!(states, vec![false, true], "told of the drop and of the reconnect");
    assert_eq!(seqs.first(), Some(&1));
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "gap or duplicate: {seqs:?}");
    assert_eq!(*seqs.last().unwrap(), d.engine.last_seq(), "nothing missing at the end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_behind_the_bounded_buffer_is_told_and_resyncs_without_stalling_the_engine() {
    // A tiny buffer: a subscriber that does not read falls behind at once.
    let settings = Settings { live_buffer: 4, ..Settings::default() };
    let d = desk_with(43, &["AAPL"], 1.0, ApiOptions::default(), settings).await;
    let sup = d.engine.as_actor(crate::support::actor("sup"));
    let mut idle = sup.subscribe(None).await.unwrap();
    let remote = d.remote("sup");
    let mut live = remote.subscribe(None).await.unwrap();
    let alice = d.remote("alice");
    alice.submit(order("AAPL", Side::Sell, 5_000, AlgoKind::Twap, "09:30", "10:15", &[])).await.unwrap();
    alice.submit(order("AAPL", Side::Buy, 6_000, AlgoKind::Twap, "09:30", "10:20", &[])).await.unwrap();
    d.engine.set_speed(3_600.0).await.unwrap();
    // The engine runs the order to the end although `idle` reads nothing.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut seqs = Vec::new();
    let mut reconnects = 0;
    loop {
        let item = tokio::time::timeout_at(deadline, live.next()).await.expect("in time").expect("open");
        match item {
            StreamItem::Event(e) => {
                let done = matches!(e.kind, EventKind::Done { .. });
                seqs.push(e.seq);
                if done {
                    break;
                }
            }
            StreamItem::Connection { connected: true, .. } => reconnects += 1,
            _ => {}
        }
    }
    assert!(seqs.len() > 8, "more events than the buffer holds");
    assert!(reconnects >= 1, "the server dropped the stream that fell behind, and the client resumed");
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "the remote consumer misses nothing ({reconnects} resyncs)");
    // The idle in-process subscriber is told how many it missed.
    let mut lagged = None;
    while let Ok(Some(item)) = tokio::time::timeout(Duration::from_millis(200), idle.next()).await {
        if let StreamItem::Lagged { missed } = item {
            lagged = Some(missed);
            break;
        }
    }
    assert!(lagged.is_some_and(|m| m > 0), "the slow consumer is told it lagged");
}

/// A global kill switch's event names every order it paused; an advisor's
/// stream showed them all, so alice (desk ws) learnt the ids of bob's orders
/// (desk az). An advisor sees the kill, with her own orders only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_switch_event_shows_an_advisor_her_own_orders_only() {
    use eventsource_stream::Eventsource;
    let d = desk(64, 0.0).await;
    let mine = d.submit_as("alice", 100).await;
    let theirs = [d.submit_as("bob", 100).await, d.submit_as("bob", 200).await];
    let kill_of = |name: &'static str| {
        let r = d.http.get(format!("{}/v1/events?after=0", d.server.url())).bearer_auth(&d.tokens[name]).send();
        async move {
            let mut s = Box::pin(r.await.unwrap().bytes_stream().eventsource());
            loop {
                let ev = tokio::time::timeout(Duration::from_secs(10), s.next()).await.unwrap().unwrap().unwrap();
                let v: serde_json::Value = serde_json::from_str(&ev.data).unwrap();
                if v["type"] == "kill_all" {
                    return v["parents"].clone();
                }
            }
        }
    };
    // The supervisor's stream first, so that a frame encoded once for every
    // stream would be the one with every order.
    let (s, v) = d.send(Some("sup"), "POST", "/v1/kill", None).await;
    assert_eq!(s, 200, "{v}");
    let all = kill_of("sup").await;
    assert_eq!(all.as_array().map(Vec::len), Some(3), "the supervisor sees every order: {all}");
    assert_eq!(kill_of("alice").await, serde_json::json!([mine]), "alice sees her own order only");
    assert_eq!(kill_of("bob").await, serde_json::json!(theirs), "bob his");
}
