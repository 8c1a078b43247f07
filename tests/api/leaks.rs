//! What a logged-in user is told when the ledger fails says what happened
//! (`ledger_unavailable`, nothing was done, try again) and never carries the
//! database's own text: no host, port, file path, SQL or driver message.
//! That detail is the operator's, in the server's log. Against the real
//! `blotter serve`, with PostgreSQL stopped mid-run and with an SQLite file
//! made unwritable (skipped, saying so, where neither can be arranged).

use crate::outage::Pg;
use crate::served::{Served, token};
use serde_json::{Value, json};
use std::process::Command;
use std::time::{Duration, Instant};

/// Words only the database's own messages carry (sqlx's, PostgreSQL's,
/// SQLite's, the OS's), lower case.
const DRIVER_TEXT: [&str; 14] = [
    "sqlx",
    "error returned from database",
    "error communicating",
    "pool timed out",
    "connection refused",
    "os error",
    "postgres",
    "sqlite",
    "disk i/o",
    "select ",
    "insert ",
    "update ",
    "(code:",
    "127.0.0.1",
];

/// Fails when `body` (a whole response) holds driver text or any of `secrets`.
pub(crate) fn assert_private(what: &str, body: &Value, secrets: &[&str]) {
    let text = body.to_string().to_lowercase();
    for w in DRIVER_TEXT.iter().copied().chain(secrets.iter().copied()) {
        assert!(!text.contains(&w.to_lowercase()), "{what} leaks {w:?}: {body}");
    }
}

fn wait_for(what: &str, within: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn order() -> Value {
    json!({"symbol": "AAPL", "side": "buy", "qty": 100, "algo": "twap"})
}

/// The answer of a request refused for the ledger: 503 `ledger_unavailable`,
/// saying nothing was done, with nothing of the database in it.
fn refused_privately(what: &str, (st, v): (u16, Value), secrets: &[&str]) {
    assert_eq!((st, v["code"].as_str()), (503, Some("ledger_unavailable")), "{what}: {v}");
    let m = v["message"].as_str().unwrap_or_default();
    assert!(m.contains("nothing was done") && m.contains("try again"), "{what} says what to do: {v}");
    assert_private(what, &v, secrets);
}

#[test]
fn a_postgres_outage_is_told_to_users_without_the_databases_text() {
    let Some((pg, url)) = Pg::start() else {
        eprintln!("skipped: no PostgreSQL server binaries under /usr/lib/postgresql");
        return;
    };
    let port = url.rsplit(':').next().and_then(|p| p.split('/').next()).unwrap().to_string();
    let secrets = [url.as_str(), port.as_str(), "blotter_ci"];
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    let sup = token(&file, "sup", "hq", "SUPERVISOR");
    let alice = token(&file, "alice", "ws", "ADVISOR");
    let args = ["--tokens", file.to_str().unwrap(), "--db", &url, "--date", "2026-11-25", "--symbols", "AAPL"];
    let s = Served::start(dir.path(), &[&args[..], &["--speed", "60", "--enable-tenants", "ws,hq"]].concat());
    assert_eq!(s.send("POST", "/v1/orders", &alice, order()).0, 201);

    pg.stop();
    // Before anything noticed (the desk lock's hold finds it), then once the
    // outage is known: an order, a read from the database, a control change.
    refused_privately("an order as the outage starts", s.send("POST", "/v1/orders", &alice, order()), &secrets);
    wait_for("the outage is noticed", Duration::from_secs(20), || s.get("/readyz", None).0 == 503);
    refused_privately("the audit log", s.get("/v1/audit", Some(&sup)), &secrets);
    refused_privately("an order in the outage", s.send("POST", "/v1/orders", &alice, order()), &secrets);
    let halt = s.send("PUT", "/v1/risk/state", &sup, json!({"tenant": "ws", "state": "HALTED"}));
    refused_privately("a control change in the outage", halt, &secrets);
    let (_, ready) = s.get("/readyz", Some(&alice));
    assert!(ready["checks"]["ledger"].as_str().is_some_and(|l| l.starts_with("unreachable")), "{ready}");
    assert_private("/readyz (a user's token)", &ready, &secrets);
    assert_private("/readyz (no token)", &s.get("/readyz", None).1, &secrets);
    assert_private("/healthz (no token)", &s.get("/healthz", None).1, &secrets);
    // The operator has the detail, in the server's log.
    let log = s.stderr();
    assert!(log.to_lowercase().contains("connection refused") || log.contains("pool timed out"), "{log}");
    drop(pg);
}

#[test]
fn an_unwritable_sqlite_ledger_is_told_to_users_without_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.json");
    let alice = token(&tokens, "alice", "ws", "ADVISOR");
    let db = dir.path().join("ledger.db");
    let dbarg = format!("sqlite:{}", db.display());
    let dir_text = dir.path().display().to_string();
    let secrets = [dir_text.as_str(), "ledger.db", "readonly", "read-only"];
    let args = ["--tokens", tokens.to_str().unwrap(), "--db", &dbarg, "--date", "2026-11-25", "--symbols", "AAPL"];
    let logs = tempfile::tempdir().unwrap();
    let s = Served::start(logs.path(), &[&args[..], &["--speed", "5", "--enable-tenants", "ws"]].concat());
    let pov = json!({"symbol": "AAPL", "side": "buy", "qty": 20_000, "algo": "pov", "params": {"rate": "0.2"}});
    assert_eq!(s.send("POST", "/v1/orders", &alice, pov).0, 201);
    let files: Vec<String> = ["", "-wal"].iter().map(|x| format!("{}{x}", db.display())).collect();
    let chattr = |flag: &str| Command::new("chattr").arg(flag).args(&files).output().is_ok_and(|o| o.status.success());
    if !chattr("+i") {
        eprintln!("skipped: chattr +i is not available here (the unwritable-ledger test)");
        return;
    }
    let unlock = Unlock(files.clone());
    let status = |s: &Served| s.get("/healthz", Some(&alice)).1["ledger"]["status"].as_str().unwrap_or("").to_string();
    wait_for("the ledger fails", Duration::from_secs(30), || status(&s) == "failed");
    refused_privately("an order on a failed ledger", s.send("POST", "/v1/orders", &alice, order()), &secrets);
    let (_, health) = s.get("/healthz", Some(&alice));
    assert!(
        health["ledger"]["error"].as_str().is_some_and(|e| e.contains("failed while")),
        "says what failed: {health}"
    );
    assert_private("/healthz (a user's token)", &health, &secrets);
    assert_eq!(s.get("/healthz", None).1, json!({"status": "degraded"}), "the status alone without a token");
    assert_private("/readyz (no token)", &s.get("/readyz", None).1, &secrets);
    // The operator has the detail, in the server's log.
    assert!(s.stderr().contains("disk I/O error"), "{}", s.stderr());
    drop((s, unlock));
}

/// Clears the immutable flag again, whatever happened.
struct Unlock(Vec<String>);

impl Drop for Unlock {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").args(&self.0).output();
    }
}
