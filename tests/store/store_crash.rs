//! Crash recovery end to end, on SQLite and PostgreSQL: `blotter run` paced
//! against the wall clock is killed with SIGKILL in the middle of a long
//! order; `blotter recover` on the same database finds it interrupted with
//! every acknowledged fill exactly once; `recover --resume` completes the
//! remaining quantity without exceeding the order.

use crate::store_support;

use blotter::engine::{EngineEvent, EventKind};
use blotter::model::{ParentId, ParentStatus, Qty};
use blotter::store::{DbTarget, Ledger};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use store_support::{Db, fill_on, scalars};

on_both_backends!(sigkill_mid_order_then_recover_and_resume);

fn db_arg(t: &DbTarget) -> String {
    match t {
        DbTarget::Sqlite(p) => format!("sqlite:{}", p.display()),
        DbTarget::Postgres(u) => u.clone(),
    }
}

fn blotter(data: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_blotter"));
    c.env("BLOTTER_DATA_DIR", data).env_remove("BLOTTER_DB");
    c
}

/// The complete lines of an events file (a killed writer may leave half a line).
fn acknowledged(path: &std::path::Path) -> Vec<EngineEvent> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

fn fills_in(events: &[EngineEvent]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Fill { fill } => Some(fill.id.0),
            _ => None,
        })
        .collect()
}

fn sigkill_mid_order_then_recover_and_resume(db: &Db) {
    let work = tempfile::tempdir().unwrap();
    let events = work.path().join("events.jsonl");
    let url = db_arg(&db.target);
    let qty = 120_000;
    let mut child = blotter(work.path())
        .args(["run", "--db", &url, "--symbol", "AAPL", "--side", "buy", "--qty", &qty.to_string()])
        .args(["--date", "2026-11-25", "--start", "09:35", "--end", "11:35", "--speed", "1200", "--json"])
        .arg("--events")
        .arg(&events)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill once a good number of fills has been acknowledged, well before the end.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n = fills_in(&acknowledged(&events)).len();
        if n >= 40 {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "the run ended before it could be killed");
        assert!(Instant::now() < deadline, "no fills within a minute ({n})");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let acked = acknowledged(&events);
    let acked_fills = fills_in(&acked);
    assert!(!acked.iter().any(|e| matches!(e.kind, EventKind::Done { .. })), "killed mid-order");

    // Every acknowledged event is in the ledger, as acknowledged.
    {
        let ledger = Ledger::open(&db.target).unwrap();
        let o = ledger.order(1, ParentId::local(1)).unwrap().expect("the order is in the ledger");
        assert!(o.order.order.filled < Qty::from_int(qty));
        let stored: std::collections::BTreeMap<u64, _> = o.fills.iter().map(|f| (f.id.0, f)).collect();
        for e in acked.iter().filter_map(|e| match &e.kind {
            EventKind::Fill { fill } => Some(fill),
            _ => None,
        }) {
            let want = fill_on(1, e);
            assert_eq!(stored.get(&e.id.0), Some(&&want), "acknowledged fill {} is stored as acknowledged", e.id);
        }
    }
    for f in &acked_fills {
        let n = scalars(&db.target, &format!("SELECT COUNT(*) FROM fills WHERE engine_id = 1 AND id = {f}"));
        assert_eq!(n, vec![1], "F{f} exactly once");
    }
    let last_acked = acked.last().unwrap().seq as i64;
    let committed = scalars(&db.target, "SELECT MAX(seq) FROM events WHERE engine_id = 1")[0];
    assert!(committed >= last_acked, "nothing acknowledged is missing ({committed} < {last_acked})");

    // Restart on the same database: the order comes back interrupted.
    let out = blotter(work.path()).args(["recover", "--db", &url, "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["engines"][0]["engine"], "E1");
    assert_eq!(doc["engines"][0]["interrupted"], serde_json::json!(["E1-P1"]));
    let history = blotter(work.path()).args(["history", "--db", &url, "--json"]).output().unwrap();
    let page: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(page["items"][0]["order"]["status"], "interrupted");

    // The user resumes it: it finishes, exactly the order's quantity.
    let out = blotter(work.path())
        .args(["recover", "--db", &url, "--resume", "--order", "E1-P1", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["engines"][0]["orders"][0]["status"], "done");
    let ledger = Ledger::open(&db.target).unwrap();
    let o = ledger.order(1, ParentId::local(1)).unwrap().unwrap();
    assert_eq!(o.order.order.status, ParentStatus::Done);
    assert_eq!(o.order.order.filled, Qty::from_int(qty));
    assert_eq!(o.fills.iter().map(|f| f.qty).sum::<Qty>(), Qty::from_int(qty), "never more than the order");
    let ids: std::collections::BTreeSet<u64> = o.fills.iter().map(|f| f.id.0).collect();
    assert_eq!(ids.len(), o.fills.len(), "no fill twice");
    assert!(acked_fills.iter().all(|f| ids.contains(f)));
}
