//! Start-up that cannot hide orders: a `serve` that fails to start leaves
//! no engine behind; a second `serve` on one SQLite file is refused, naming
//! the first; a restart with other flags resumes the desk's engine when its
//! market is the same (symbols in another order, other tenants enabled),
//! and refuses another market on the same day naming the engine, unless
//! `--new-engine` asks for one (then it says what it starts).

use crate::instances::{call, free_port, http, market, refused, token, up};
use crate::store_support::{self, Db, scalars};
use serde_json::json;

fn db_url(db: &Db) -> String {
    match &db.target {
        blotter::store::DbTarget::Sqlite(p) => format!("sqlite:{}", p.display()),
        blotter::store::DbTarget::Postgres(u) => u.clone(),
    }
}

fn with(extra: &[&str]) -> Vec<String> {
    let mut f = market();
    f.extend(extra.iter().map(|s| s.to_string()));
    f
}

fn replace(flags: &[String], flag: &str, value: &str) -> Vec<String> {
    let mut f = flags.to_vec();
    let i = f.iter().position(|x| x == flag).unwrap();
    f[i + 1] = value.to_string();
    f
}

#[test]
fn a_second_serve_on_one_sqlite_file_is_refused_and_a_failed_start_leaves_no_engine() {
    let db = store_support::sqlite();
    let dir = db.dir.as_ref().unwrap().path().to_path_buf();
    let url = db_url(&db);
    let _ = token(&url, "sup", "hq", "SUPERVISOR");
    let port = free_port();
    let first = up(&dir, "first", &url, port, &with(&["--enable-tenants", "ws"]));
    let pid = first.child.as_ref().unwrap().id();

    // The same file, another port: refused by the lock, nothing written.
    let (code, err) = refused(&dir, "second", &url, free_port(), &market());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!("is already served by blotter serve pid {pid}")), "{err}");
    assert!(err.contains("one PostgreSQL database"), "{err}");

    // Another ledger on the port in use: refused before its ledger is even opened.
    let other = dir.join("other.db");
    let (code, err) = refused(&dir, "third", &format!("sqlite:{}", other.display()), port, &market());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!("--bind 127.0.0.1:{port}")) && err.contains("in use"), "{err}");
    assert!(!other.exists(), "the failed start created no ledger and no engine");

    assert_eq!(scalars(&db.target, "SELECT COUNT(*) FROM engines"), vec![1], "one engine: the first server's");
    first.stop();
}

fn restarting_with_other_flags_resumes_the_desk_or_says_what_it_starts(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let url = db_url(db);
    let alice = token(&url, "alice", "ws", "ADVISOR");
    let flags = with(&["--enable-tenants", "ws"]);
    let port = free_port();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let c = http();

    let a = up(dir.path(), "a", &url, port, &flags);
    let order = json!({"symbol": "AAPL", "side": "buy", "qty": 5000, "algo": "twap"});
    let (status, row) = rt.block_on(call(&c, &a.url(), &alice, "POST", "/v1/orders", Some(order)));
    assert_eq!(status, 201, "{row}\n{}", a.stderr());
    assert_eq!(row["order"]["id"], "E1-P1", "the ledger-wide id");
    a.stop();

    // The same market in other words, other tenants enabled: the same engine.
    let again = replace(&replace(&flags, "--symbols", "MSFT,aapl"), "--enable-tenants", "ws,hq");
    let b = up(dir.path(), "b", &url, port, &again);
    assert!(b.stderr().contains("resuming engine 1"), "{}", b.stderr());
    let (status, page) = rt.block_on(call(&c, &b.url(), &alice, "GET", "/v1/orders", None));
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"][0]["order"]["id"], "E1-P1");
    assert_eq!(page["items"][0]["order"]["status"], "interrupted", "{page}");
    // The short id still works where it is unambiguous.
    let (status, one) = rt.block_on(call(&c, &b.url(), &alice, "GET", "/v1/orders/P1", None));
    assert_eq!((status, &one["row"]["order"]["id"]), (200, &json!("E1-P1")), "{one}");
    b.stop();

    // Another market on the same day: refused, naming the engine; nothing registered.
    let other = replace(&flags, "--symbols", "AAPL");
    let (code, err) = refused(dir.path(), "c", &url, port, &other);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("engine E1 of this desk simulates seed 42, 2026-11-25, AAPL,MSFT (1 open order"), "{err}");
    assert!(err.contains("--symbols AAPL (it has AAPL,MSFT)") && err.contains("--new-engine"), "{err}");
    assert_eq!(scalars(&db.target, "SELECT COUNT(*) FROM engines"), vec![1]);

    // Asked for: a new engine, said so.
    let d = up(dir.path(), "d", &url, port, &[other, vec!["--new-engine".into()]].concat());
    let said = d.stderr();
    assert!(said.contains("engine E2 started: seed 42, 2026-11-25, AAPL"), "{said}");
    assert!(said.contains("engine E1"), "the engine with open orders is named: {said}");
    d.stop();
}

on_both_backends!(restarting_with_other_flags_resumes_the_desk_or_says_what_it_starts);
