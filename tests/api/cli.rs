//! `blotter token`, `blotter serve` and `blotter status` as a user runs them.

use assert_cmd::Command;
use predicates::prelude::*;
use std::process::Stdio;
use std::time::Duration;

fn blotter() -> Command {
    let mut c = Command::cargo_bin("blotter").unwrap();
    c.env_remove("EXECUTION_LIVE_ENABLED").env_remove("BLOTTER_TOKENS").env_remove("BLOTTER_TOKEN");
    c
}

#[test]
fn token_create_prints_only_the_token_and_stores_only_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    let f = file.to_str().unwrap();
    let out = blotter()
        .args(["token", "create", "--tokens", f, "--user", "alice", "--tenant", "ws", "--role", "advisor"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap();
    let token = token.strip_suffix('\n').unwrap();
    assert!(token.starts_with("blt_") && token.len() == 68 && !token.contains(char::is_whitespace), "{token}");
    let stored = std::fs::read_to_string(&file).unwrap();
    assert!(!stored.contains(&token[4..]), "the token itself is never stored");
    assert!(stored.contains(&blotter::api::tokens::hash(token)));
    blotter().args(["token", "list", "--tokens", f]).assert().success().stdout(predicate::str::contains("alice"));
    blotter().args(["token", "revoke", "--tokens", f, token]).assert().success();
    blotter().args(["token", "revoke", "--tokens", f, token]).assert().code(2);
    blotter()
        .args(["token", "create", "--tokens", f, "--user", "x", "--tenant", "ws", "--role", "king"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--role"));
}

#[test]
fn serve_refuses_a_public_bind_without_tokens_and_any_live_start() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("none.json");
    let f = f.to_str().unwrap();
    blotter()
        .args(["serve", "--tokens", f, "--bind", "0.0.0.0:0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("refusing to listen on 0.0.0.0:0 without tokens"));
    blotter()
        .args(["serve", "--tokens", f, "--live"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("EXECUTION_LIVE_ENABLED=1"));
    // With the flag, an approval and the ADMIN who would ask: still no live.
    blotter()
        .env("EXECUTION_LIVE_ENABLED", "1")
        .args(["serve", "--tokens", f, "--live", "--approval", "CHG-42"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no live venue adapters"));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn serve_answers_and_status_reports_health_and_the_breaker() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("tokens.json");
    let f = f.to_str().unwrap();
    let out = blotter()
        .args(["token", "create", "--tokens", f, "--user", "sup", "--tenant", "hq", "--role", "SUPERVISOR"])
        .output()
        .unwrap();
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let audit = dir.path().join("audit.jsonl");
    let db = format!("sqlite:{}", dir.path().join("ledger.db").display());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_blotter"))
        .args(["serve", "--tokens", f, "--bind", &format!("127.0.0.1:{port}"), "--date", "2026-11-25"])
        .args(["--symbols", "AAPL", "--audit", audit.to_str().unwrap(), "--db", &db, "--enable-tenants", "hq"])
        .env_remove("EXECUTION_LIVE_ENABLED")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut ok = false;
    for _ in 0..100 {
        if blotter().args(["status", "--connect", &url]).output().unwrap().status.success() {
            ok = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let submitted = post_order(port, &token);
    // Another desk, new to the server, is refused until a supervisor enables it.
    let ws = blotter()
        .args(["token", "create", "--tokens", f, "--user", "alice", "--tenant", "ws", "--role", "ADVISOR"])
        .output()
        .unwrap();
    let refused = post_order(port, String::from_utf8(ws.stdout).unwrap().trim());
    let status = blotter().args(["status", "--connect", &url, "--token", &token]).output().unwrap();
    let json = blotter().args(["status", "--connect", &url, "--json"]).output().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(ok, "the sidecar came up");
    assert!(submitted.starts_with("HTTP/1.1 201"), "{submitted}");
    assert!(refused.starts_with("HTTP/1.1 403") && refused.contains("execution_disabled"), "{refused}");
    let text = String::from_utf8(status.stdout).unwrap();
    assert!(text.contains("PAPER") && text.contains("identity sup@hq SUPERVISOR"), "{text}");
    assert!(text.contains("breaker  closed (0 consecutive failures of 5)"), "{text}");
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!((v["reachable"].as_bool(), v["health"]["paperMode"].as_bool()), (Some(true), Some(true)));
    assert_eq!(v["breaker"]["state"], "closed");
    // Once it is gone: unreachable, exit 1, and the breaker has counted the failure.
    let down = blotter().args(["status", "--connect", &url]).output().unwrap();
    assert_eq!(down.status.code(), Some(1));
    let text = String::from_utf8(down.stdout).unwrap();
    assert!(text.contains("UNREACHABLE") && text.contains("breaker  closed (1 consecutive failures"), "{text}");
    // The order went into the ledger before it was acknowledged.
    let history = blotter().args(["history", "--db", &db, "--json"]).output().unwrap();
    let text = String::from_utf8(history.stdout).unwrap();
    assert!(history.status.success() && text.contains("AAPL") && text.contains("\"sup\""), "{text}");
}

/// POST /v1/orders over a plain socket (this test has no async runtime).
fn post_order(port: u16, token: &str) -> String {
    use std::io::{Read, Write};
    let body = r#"{"symbol":"AAPL","side":"buy","qty":300,"algo":"twap"}"#;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "POST /v1/orders HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}
