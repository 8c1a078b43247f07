//! Findings 5 and 6 of issue 14 against the real `blotter serve`: a revoked
//! token's open event stream ends within a second (revoked by another
//! process, `blotter token revoke`, on the shared ledger); subscribers that
//! stop reading are closed, and what the server held for them is released.

use crate::served::{Served, request};
use serde_json::json;
use std::io::{Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

fn token_in(db: &str, user: &str, tenant: &str, role: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_blotter"))
        .args(["token", "create", "--db", db, "--user", user, "--tenant", tenant, "--role", role])
        .env_remove("BLOTTER_TOKENS")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Opens `/v1/events` on a raw socket and reads the response head.
fn open_stream(port: u16, token: &str) -> std::net::TcpStream {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = [0u8; 12];
    s.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200", "the stream opens");
    s
}

/// Reads until the server ends the stream (the chunked body's last chunk, or
/// the connection closed); the text read and whether it ended.
fn read_to_close(s: &mut std::net::TcpStream, within: Duration) -> (String, bool) {
    let deadline = Instant::now() + within;
    let mut text = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        s.set_read_timeout(Some(deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1))))
            .unwrap();
        match s.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&text).to_string(), true),
            Ok(n) => {
                text.extend_from_slice(&buf[..n]);
                if text.ends_with(b"\r\n0\r\n\r\n") {
                    return (String::from_utf8_lossy(&text).to_string(), true);
                }
            }
            Err(_) => break,
        }
    }
    (String::from_utf8_lossy(&text).to_string(), false)
}

#[test]
fn a_revoked_tokens_stream_ends_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("ledger.db").display());
    let sup = token_in(&db, "sup", "hq", "SUPERVISOR");
    let other = token_in(&db, "eve", "hq", "SUPERVISOR");
    let s = Served::start(dir.path(), &["--db", &db, "--date", "2026-11-25", "--symbols", "AAPL", "--speed", "60"]);
    let mut revoked = open_stream(s.port, &sup);
    let mut kept = open_stream(s.port, &other);
    // The stream works: the server's cache of valid tokens now holds this one.
    assert_eq!(request(s.port, "GET", "/v1/whoami", Some(&sup), None).0, 200);
    let out = Command::new(env!("CARGO_BIN_EXE_blotter"))
        .args(["token", "revoke", "--db", &db, &sup])
        .env_remove("BLOTTER_TOKENS")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let t0 = Instant::now();
    let (text, closed) = read_to_close(&mut revoked, Duration::from_secs(5));
    let took = t0.elapsed();
    assert!(closed, "the revoked token's stream was closed: {text}");
    assert!(took <= Duration::from_secs(1), "closed {took:?} after the revocation, not within a second");
    assert!(text.contains("event: revoked"), "told why: {text}");
    // A new request with it is refused; the other token's stream goes on.
    assert_eq!(request(s.port, "GET", "/v1/events", Some(&sup), None).0, 401);
    let (_, other_closed) = read_to_close(&mut kept, Duration::from_millis(600));
    assert!(!other_closed, "another token's stream is untouched");
    let (st, v) = request(
        s.port,
        "POST",
        "/v1/orders",
        Some(&other),
        Some(&json!({"symbol": "AAPL", "side": "buy", "qty": 10, "algo": "twap"})),
    );
    assert!(st == 201 || st == 403, "{st} {v}");
}

mod in_process {
    use crate::common::order;
    use crate::support::desk_with;
    use blotter::api::ApiOptions;
    use blotter::client::{Client, Settings};
    use blotter::model::{AlgoKind, Side};
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// An SSE connection that reads its response head, then nothing more,
    /// with a small receive buffer so the server's writes stall soon.
    async fn stalled(port: u16, token: &str) -> tokio::net::TcpStream {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.set_recv_buffer_size(4096).unwrap();
        let mut s = sock.connect(([127, 0, 0, 1], port).into()).await.unwrap();
        s.write_all(format!("GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut head = [0u8; 12];
        s.read_exact(&mut head).await.unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
        s
    }

    /// Finding 5: subscribers that never read are closed once their writes
    /// stall, and the server lets go of them (receivers, registrations); the
    /// event history in memory is a bounded window, and a subscriber resuming
    /// from before it (no ledger here) is told of the gap and goes on.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stalled_subscribers_are_closed_and_memory_is_bounded() {
        let options = ApiOptions { write_stall: Duration::from_secs(1), ..ApiOptions::default() };
        let settings = Settings { live_buffer: 512, history_window: 2_000, ..Settings::default() };
        // The clock stands still: the test drives it, so a loaded machine
        // cannot let the day run past the orders' windows.
        let d = desk_with(61, &["AAPL", "MSFT"], 0.0, options, settings).await;
        let port = d.server.addr.port();
        let base = d.engine.subscribers();
        let mut idle = Vec::new();
        for _ in 0..20 {
            idle.push(stalled(port, &d.tokens["sup"]).await);
        }
        assert_eq!(d.engine.subscribers(), base + 20);
        // A busy market: children, acks and fills on both symbols.
        let alice = d.remote("alice");
        for (sym, side) in [("AAPL", Side::Buy), ("MSFT", Side::Sell), ("AAPL", Side::Sell), ("MSFT", Side::Buy)] {
            let req = order(sym, side, 200_000, AlgoKind::Twap, "09:30", "15:30", &[("slices", "400")]);
            alice.submit(req).await.unwrap();
        }
        // Within the stall limit plus the time to fill the socket buffers, every one is let go.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(25);
        while d.engine.subscribers() > base && tokio::time::Instant::now() < deadline {
            d.engine.with_engine(|e| e.run_until(blotter::model::Timestamp(e.now().0 + 600_000_000_000)));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(d.engine.subscribers(), base, "every stalled subscriber was dropped");
        assert!(d.server.state.token_streams().is_empty(), "and its registration with it");
        // Each stream is over (its body ended, or the connection was closed),
        // not just forgotten: reading what is left reaches the end.
        for mut s in idle {
            let mut tail: Vec<u8> = Vec::new();
            let mut buf = vec![0u8; 65_536];
            let ended = loop {
                match tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => break true,
                    Ok(Ok(n)) => {
                        tail.extend_from_slice(&buf[..n]);
                        if tail.ends_with(b"\r\n0\r\n\r\n") {
                            break true;
                        }
                        let keep = tail.len().saturating_sub(16);
                        tail.drain(..keep);
                    }
                    Err(_) => break false,
                }
            };
            assert!(ended, "the stream ended");
        }
        // The rest of the day at once (not left to the wall clock of a loaded machine).
        d.engine.with_engine(|e| e.run_until(blotter::model::Timestamp(e.now().0 + 6 * 3_600_000_000_000)));
        let (last, first) = (d.engine.last_seq(), d.engine.first_held_seq());
        assert!(last > 2_000, "a busy day: {last} events");
        assert!(last - first < 2_000, "memory holds the last 2,000 events only ({first}..={last})");
        // Resuming from event 0 without a ledger: told of the gap, then live events.
        let r = d.http.get(format!("{}/v1/events", d.server.url())).bearer_auth(&d.tokens["sup"]);
        let mut r = r.header("Last-Event-ID", "0").send().await.unwrap();
        let mut text = String::new();
        while !text.contains("event: engine") {
            let chunk = tokio::time::timeout(Duration::from_secs(10), r.chunk()).await.unwrap().unwrap().unwrap();
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(text.contains("event: gap") && text.contains("no longer held"), "{text}");
        let _ = d.remote("sup").orders(Default::default()).await.unwrap();
    }

    /// One token could hold any number of event streams: 1,500 from one
    /// advisor's token in 5.5 s (its rate limit, 200 a second, was the only
    /// bound) took 130 MB and 1,500 file descriptors of the server, so in a
    /// couple of minutes one token exhausts the descriptors and nobody, the
    /// supervisor with the kill switch included, can connect. Each token holds
    /// at most `streams_per_token` streams; one more is refused with 429 (and
    /// audited), others are not affected, and a stream that ends frees its slot.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_token_holds_a_bounded_number_of_event_streams() {
        let options =
            ApiOptions { streams_per_token: 3, keep_alive: Duration::from_millis(100), ..ApiOptions::default() };
        let d = desk_with(62, &["AAPL"], 0.0, options, Settings::default()).await;
        let port = d.server.addr.port();
        let mut open = Vec::new();
        for _ in 0..3 {
            open.push(stalled(port, &d.tokens["alice"]).await);
        }
        let r = d.http.get(format!("{}/v1/events", d.server.url())).bearer_auth(&d.tokens["alice"]).send().await;
        let r = r.unwrap();
        assert_eq!(r.status().as_u16(), 429);
        assert!(r.headers().contains_key("retry-after"));
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["code"], "rate_limited", "{v}");
        assert!(v["message"].as_str().unwrap().contains("3 event streams are open for this token"), "{v}");
        assert!(d.audit.entries().iter().any(|e| e.status == 429 && e.user.as_deref() == Some("alice")), "audited");
        // Another token is not held back.
        let bob = stalled(port, &d.tokens["bob"]).await;
        // A stream that ends gives its slot back (the server sees it gone at its next write).
        drop(open.pop());
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let r = d.http.get(format!("{}/v1/events", d.server.url())).bearer_auth(&d.tokens["alice"]).send().await;
            if r.unwrap().status().as_u16() == 200 {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "the slot came back");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        drop((open, bob));
    }
}
