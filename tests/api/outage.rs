//! Finding 9 of issue 14 against the real `blotter serve` on a real
//! PostgreSQL that is stopped and started again (`.ci/postgres`): while the
//! database is down `/readyz` answers 503 at once, an order is refused at
//! once with `ledger_unavailable` (nothing is done), a refused request is
//! kept and in the audit log once the database is back; when it returns the
//! server reconnects by itself and takes orders again, without a restart.
//! Skipped, saying so, where no PostgreSQL server binaries are installed.

use crate::served::{Served, token};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A private PostgreSQL server (stopping it must not disturb other tests).
pub(crate) struct Pg {
    dir: tempfile::TempDir,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/postgres")
}

fn run(cmd: &str, dir: &Path) -> String {
    let out = Command::new("bash").arg(script()).args([cmd, dir.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), ".ci/postgres {cmd}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

impl Pg {
    /// Starts one, or `None` without PostgreSQL binaries (never installs them).
    pub(crate) fn start() -> Option<(Pg, String)> {
        let installed = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .any(|v| v.path().join("bin/pg_ctl").exists() && v.path().join("bin/initdb").exists());
        if !installed {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let url = run("start", dir.path());
        Some((Pg { dir }, url))
    }

    pub(crate) fn stop(&self) {
        run("stop", self.dir.path());
    }

    pub(crate) fn resume(&self) {
        run("resume", self.dir.path());
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        let _ = Command::new("bash").arg(script()).args(["stop", self.dir.path().to_str().unwrap()]).output();
    }
}

/// `GET /readyz` with a token (the checks are named to
/// it): the status, the body and how long the answer took.
fn readyz(s: &Served, token: &str) -> (u16, Value, Duration) {
    let t0 = Instant::now();
    let (st, v) = s.get("/readyz", Some(token));
    (st, v, t0.elapsed())
}

fn order() -> Value {
    json!({"symbol": "AAPL", "side": "buy", "qty": 100, "algo": "twap"})
}

#[test]
fn serve_waits_out_a_postgres_restart_and_answers_at_once_meanwhile() {
    let Some((pg, url)) = Pg::start() else {
        eprintln!("skipped: no PostgreSQL server binaries under /usr/lib/postgresql");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    let sup = token(&file, "sup", "hq", "SUPERVISOR");
    let alice = token(&file, "alice", "ws", "ADVISOR");
    let args = ["--tokens", file.to_str().unwrap(), "--db", &url, "--date", "2026-11-25", "--symbols", "AAPL"];
    let s = Served::start(dir.path(), &[&args[..], &["--speed", "60", "--enable-tenants", "ws,hq"]].concat());
    let (st, v) = s.send("POST", "/v1/orders", &alice, order());
    assert_eq!(st, 201, "{v}");
    assert_eq!(readyz(&s, &alice).0, 200);

    pg.stop();
    // An order sent before anything noticed the outage: its hold of the desk's
    // lock finds the database refusing connections (a direct connection tried
    // after 250 ms; sqlx's pool alone would retry for its 5 s timeout) and
    // says so, at once, not as a busy desk.
    let t0 = Instant::now();
    let (st, v) = s.send("POST", "/v1/orders", &alice, order());
    assert!(t0.elapsed() < Duration::from_secs(3), "refused in {:?}: {v}\n{}", t0.elapsed(), s.stderr());
    assert_eq!((st, v["code"].as_str()), (503, Some("ledger_unavailable")), "{v}");
    // Noticed within the heartbeat and its probe (1 s + 0.25 s) at the
    // latest; every answer meanwhile comes at once, never a hang.
    let deadline = Instant::now() + Duration::from_secs(20);
    let down = loop {
        let (st, v, took) = readyz(&s, &alice);
        assert!(took < Duration::from_secs(3), "/readyz took {took:?} during the outage");
        if st == 503 && v["checks"]["ledger"].as_str().is_some_and(|l| l.starts_with("unreachable")) {
            break v;
        }
        assert!(Instant::now() < deadline, "the outage was never reported: {st} {v}\n{}", s.stderr());
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(down["ready"], false, "{down}");
    // An order is refused at once, saying why; nothing is done.
    let t0 = Instant::now();
    let (st, v) = s.send("POST", "/v1/orders", &alice, order());
    assert!(t0.elapsed() < Duration::from_secs(3), "refused in {:?}", t0.elapsed());
    assert_eq!((st, v["code"].as_str()), (503, Some("ledger_unavailable")), "{v}");
    assert!(v["message"].as_str().unwrap().contains("unreachable"), "{v}");
    // A refusal during the outage: answered at once, kept for the audit log.
    let t0 = Instant::now();
    let (st, v) = s.send("PUT", "/v1/risk/state", &alice, json!({"tenant": "ws", "state": "HALTED"}));
    assert_eq!(st, 403, "{v}");
    assert!(t0.elapsed() < Duration::from_secs(3), "refused in {:?}: {v}\n{}", t0.elapsed(), s.stderr());

    pg.resume();
    let deadline = Instant::now() + Duration::from_secs(30);
    while readyz(&s, &alice).0 != 200 {
        assert!(Instant::now() < deadline, "never ready again: {:?}\n{}", readyz(&s, &alice).1, s.stderr());
        std::thread::sleep(Duration::from_millis(200));
    }
    // The same process takes orders again, and every one is in the ledger.
    let (st, v) = s.send("POST", "/v1/orders", &alice, order());
    assert_eq!(st, 201, "{v}");
    let (st, v) = s.get("/v1/orders", Some(&alice));
    assert_eq!(st, 200);
    assert_eq!(v["items"].as_array().map(Vec::len), Some(2), "the first and the last, not the refused one: {v}");
    // The refusals kept during the outage are written by the ledger's own
    // task once it is back: soon after, not necessarily before this order.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (st, v) = s.get("/v1/audit?outcome=refused", Some(&sup));
        assert_eq!(st, 200, "{v}");
        let rows = v.as_array().cloned().unwrap_or_default();
        if rows.iter().any(|r| r["user"] == "alice" && r["action"] == "PUT /v1/risk/state" && r["code"] == "forbidden")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the refusal made during the outage was written when the database returned: {v}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(s.stderr().contains("reachable again"), "{}", s.stderr());
}

/// A call another instance forwarded takes its user's desk lock alone
/// (`usage::prepare` without a hold of the control lock). The first one
/// after the database went down, before anything noticed it, finds the
/// database refusing connections and says so as a hold of the control lock
/// does: `ledger_unavailable` with the outage, not `desk_busy`.
#[test]
fn a_forwarded_call_in_an_outage_not_yet_noticed_says_ledger_unavailable() {
    use blotter::client::desk::{DeskLedger, Hosted, usage};
    use blotter::client::{Desk, Embedded, ErrorCode};
    use blotter::engine::{Actor, Command};
    use blotter::model::{Money, Role};
    use blotter::risk::Limits;
    use blotter::store::{DbTarget, Ledger};
    use std::sync::Arc;
    let Some((pg, url)) = Pg::start() else {
        eprintln!("skipped: no PostgreSQL server binaries under /usr/lib/postgresql");
        return;
    };
    let ledger = Arc::new(Ledger::open(&DbTarget::parse(&url).unwrap()).unwrap());
    let mut engine = crate::common::engine(7, &["AAPL"]);
    // A daily notional counted desk-wide: checking the user's orders takes their desk lock.
    let limits = Limits { max_daily_notional: Some(Money::from_int(1_000_000)), ..Limits::default() };
    let sup = Actor::local(Role::Supervisor);
    engine.apply(&sup, Command::SetLimits { tenant: "local".into(), user: None, limits }).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let home = Embedded::start(engine, 0.0, crate::common::advisor());
        let hosted = Hosted { engine: home.clone(), eref: None, resumed_at: 0 };
        let desk = Desk::new(
            hosted,
            DeskLedger { ledger: Arc::clone(&ledger), handle: ledger.handle(), date: crate::common::date() },
        );
        // With the database up the lock is had (and released when dropped).
        match usage::prepare(&desk, &home, "local", "desk", None).await {
            Ok(held) => drop(held),
            Err(e) => panic!("with the database up: {e:?}"),
        }

        pg.stop();
        assert!(ledger.outage().down().is_none(), "nothing noticed the outage yet");
        let e = usage::prepare(&desk, &home, "local", "desk", None).await.err().expect("refused");
        assert_eq!(e.code, ErrorCode::LedgerUnavailable, "{e:?}");
        assert!(e.message.contains("unreachable"), "{e:?}");
        assert!(ledger.outage().down().is_some(), "and the outage is noted for the next call");
    });
}
