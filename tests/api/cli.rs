//! `blotter token`, `blotter serve` and `blotter status` as a user runs them.

use assert_cmd::Command;
use predicates::prelude::*;
use std::process::Stdio;
use std::time::Duration;

fn blotter() -> Command {
    // `serve` opens the default ledger: never the one in the home directory.
    static DATA: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let dir = DATA.get_or_init(|| tempfile::tempdir().unwrap());
    let mut c = Command::cargo_bin("blotter").unwrap();
    c.env_remove("EXECUTION_LIVE_ENABLED").env_remove("BLOTTER_TOKENS").env_remove("BLOTTER_TOKEN");
    c.env("BLOTTER_DATA_DIR", dir.path()).env_remove("BLOTTER_DB");
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
    // Without a token: alive and ready, the detail withheld.
    assert_eq!((v["reachable"].as_bool(), v["status"].as_str()), (Some(true), Some("ok")), "{v}");
    assert_eq!((v["health"].is_null(), v["ready"]["ready"].as_bool()), (true, Some(true)), "{v}");
    assert!(json.status.success(), "{v}");
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

/// One HTTP request over a plain socket; the raw response.
fn http(port: u16, method: &str, path: &str, token: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// `blotter serve` on `db` (AAPL, 2026-11-25, clock stopped) on `port`, once it answers.
fn serve_on(db: &str, port: u16) -> std::process::Child {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_blotter"))
        .args(["serve", "--db", db, "--bind", &format!("127.0.0.1:{port}"), "--date", "2026-11-25"])
        .args(["--symbols", "AAPL", "--speed", "0", "--enable-tenants", "ws,hq"])
        .env_remove("EXECUTION_LIVE_ENABLED")
        .env_remove("BLOTTER_TOKENS")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if blotter().args(["status", "--connect", &url]).output().unwrap().status.success() {
            return child;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("blotter serve did not come up on {url}");
}

/// Stops a server as a service manager does (SIGTERM) and waits for it.
fn terminate(mut child: std::process::Child) {
    let killed = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    assert!(child.wait().unwrap().success(), "a clean stop");
}

#[test]
fn tokens_in_the_ledger_authenticate_serve_and_config_survives_its_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("ledger.db").display());
    let create = |user: &str, role: &str| {
        let out = blotter()
            .args(["token", "create", "--db", &db, "--user", user, "--tenant", "ws", "--role", role])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        let token = text.strip_suffix('\n').unwrap().to_string();
        assert!(token.starts_with("blt_") && token.len() == 68 && !token.contains('\n'), "alone on stdout: {text:?}");
        token
    };
    let sup = create("sup", "SUPERVISOR");
    let alice = create("alice", "ADVISOR");
    let list = blotter().args(["token", "list", "--db", &db, "--json"]).output().unwrap();
    let listed = String::from_utf8(list.stdout).unwrap();
    assert!(listed.contains("\"alice\"") && !listed.contains(&alice[4..]), "no secret listed: {listed}");
    let v: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let alice_id =
        v.as_array().unwrap().iter().find(|t| t["user"] == "alice").unwrap()["id"].as_str().unwrap().to_string();

    let port = free_port();
    let server = serve_on(&db, port);
    let me = http(port, "GET", "/v1/whoami", &alice, "");
    let config = r#"{"algos":{"vwap":{"enabled":false,"params":{}}}}"#;
    let put = http(port, "PUT", "/v1/config/algos", &sup, config);
    // Revoked in the ledger while the server runs: refused at once.
    blotter().args(["token", "revoke", "--db", &db, &alice_id]).assert().success();
    // Another process revoked it: refused once the server's cache is stale (one second).
    let mut revoked = http(port, "GET", "/v1/whoami", &alice, "");
    let since = std::time::Instant::now();
    while revoked.starts_with("HTTP/1.1 200") && since.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(50));
        revoked = http(port, "GET", "/v1/whoami", &alice, "");
    }
    blotter().args(["token", "revoke", "--db", &db, &alice_id]).assert().code(2);
    terminate(server);
    assert!(me.starts_with("HTTP/1.1 200") && me.contains("\"alice\""), "{me}");
    assert!(put.starts_with("HTTP/1.1 200"), "{put}");
    assert!(revoked.starts_with("HTTP/1.1 401"), "{revoked}");

    let server = serve_on(&db, port);
    let got = http(port, "GET", "/v1/config/algos", &sup, "");
    let audit = http(port, "GET", "/v1/audit?outcome=refused", &sup, "");
    let vwap = http(port, "POST", "/v1/orders", &sup, r#"{"symbol":"AAPL","side":"buy","qty":100,"algo":"vwap"}"#);
    terminate(server);
    assert!(got.ends_with(config), "the configuration survived the restart: {got}");
    assert!(audit.contains("\"GET /v1/whoami\"") && audit.contains("\"unauthorized\""), "{audit}");
    assert!(vwap.starts_with("HTTP/1.1 409") && vwap.contains("algo_disabled"), "{vwap}");
    // The same log from the command line.
    let refused = blotter().args(["history", "--db", &db, "--audit", "--refused", "--json"]).output().unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert!(rows.iter().all(|r| r["outcome"] == "refused"), "{rows:?}");
    assert!(rows.iter().any(|r| r["action"] == "GET /v1/whoami" && r["code"] == "unauthorized"), "{rows:?}");
    assert!(rows.iter().any(|r| r["action"] == "POST /v1/orders" && r["code"] == "algo_disabled"), "{rows:?}");
    let text = blotter().args(["history", "--db", &db, "--audit", "--user", "sup"]).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("set_algo_config") && !text.contains("alice@"), "{text}");
    blotter().args(["history", "--db", &db, "--refused"]).assert().code(2);
    blotter().args(["history", "--db", &db, "--audit", "--symbol", "AAPL"]).assert().code(2);
}

/// The engine events of an SSE response until none arrives for a second: (id, sequence number) pairs.
async fn sse_ids(resp: reqwest::Response) -> Vec<(String, u64)> {
    use eventsource_stream::Eventsource;
    use futures_util::StreamExt;
    let mut s = Box::pin(resp.bytes_stream().eventsource());
    let mut out = Vec::new();
    while let Ok(Some(Ok(ev))) = tokio::time::timeout(Duration::from_secs(1), s.next()).await {
        if ev.event == "engine" {
            let e: blotter::engine::EngineEvent = serde_json::from_str(&ev.data).unwrap();
            out.push((ev.id, e.seq));
        }
    }
    out
}

#[test]
fn serve_killed_outright_resumes_its_engine_and_streams_what_a_client_missed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let db = format!("sqlite:{}", path.display());
    let out = blotter()
        .args(["token", "create", "--db", &db, "--user", "sup", "--tenant", "hq", "--role", "SUPERVISOR"])
        .output()
        .unwrap();
    let sup = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let port = free_port();
    let mut server = serve_on(&db, port);
    let order = r#"{"symbol":"AAPL","side":"buy","qty":300,"algo":"twap"}"#;
    let first = http(port, "POST", "/v1/orders", &sup, order);
    // No clean stop: the process is gone without releasing its engine.
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(first.starts_with("HTTP/1.1 201"), "{first}");
    let target = blotter::store::DbTarget::Sqlite(path.clone());
    let before = crate::store_support::scalars(&target, "SELECT MAX(seq) FROM events")[0] as u64;
    assert!(before >= 1, "the order's acceptance was committed before it was acknowledged");

    let server = serve_on(&db, port);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let got = rt.block_on(async {
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let r = http.get(format!("http://127.0.0.1:{port}/v1/events")).bearer_auth(&sup).header("Last-Event-ID", "0");
        sse_ids(r.send().await.unwrap()).await
    });
    terminate(server);
    assert_eq!(crate::store_support::scalars(&target, "SELECT COUNT(*) FROM engines"), [1], "the same engine, resumed");
    let stored: Vec<u64> = crate::store_support::scalars(&target, "SELECT seq FROM events WHERE seq > 0 ORDER BY seq")
        .into_iter()
        .map(|x| x as u64)
        .collect();
    assert!(stored.len() as u64 > before, "the restore added events (the order interrupted), removed none");
    let seqs: Vec<u64> = got.iter().map(|(_, s)| *s).collect();
    assert_eq!(seqs, stored, "exactly the events after id 0, from before and after the crash, in order");
    assert!(got.iter().all(|(id, seq)| *id == seq.to_string()), "SSE ids are the ledger sequence");
}
