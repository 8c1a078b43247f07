//! One instance of a shared desk restarted (SIGTERM, then started again
//! with the same flags) while another keeps trading: the other takes the
//! stopped one's engine over (it has an open order) and keeps it: the
//! restarted instance starts a new engine rather than taking a live one
//! back (which ended the other's database sessions while its engine's
//! heartbeat was starved by its busy home engine), the other's orders are
//! all acknowledged and recorded once, and afterwards they are one desk
//! again: a HALT made on either holds on the other.
//! PostgreSQL only: skipped, saying so, without `BLOTTER_TEST_POSTGRES_URL`.

use crate::instances::{Instance, call, free_port, http, market, token, up};
use crate::store_support::{self, scalars};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[test]
fn one_instance_restarts_while_the_other_trades() {
    let Some(db) = store_support::postgres() else { return };
    let blotter::store::DbTarget::Postgres(url) = db.target.clone() else { unreachable!() };
    let (sup, alice, bob) = (
        token(&url, "sup", "hq", "SUPERVISOR"),
        token(&url, "alice", "ws", "ADVISOR"),
        token(&url, "bob", "ws", "ADVISOR"),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut flags = market();
    flags.extend(["--enable-tenants", "ws", "--lease", "2", "--speed", "10"].map(String::from));
    let start = |name: &str| up(dir.path(), name, &url, free_port(), &flags);
    let (i1, i2) = (start("i1"), start("i2"));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let c = http();
    let ask = |on: &Instance, t: &str, m: &str, p: &str, b: Option<Value>| rt.block_on(call(&c, &on.url(), t, m, p, b));
    let order = json!({"symbol": "AAPL", "side": "buy", "qty": 2_000, "algo": "twap"});
    let (st, row) = ask(&i1, &bob, "POST", "/v1/orders", Some(order.clone()));
    assert_eq!(st, 201, "{row}");
    let bobs = row["order"]["id"].as_str().unwrap().to_string();

    // alice trades on i2 throughout.
    let stop = Arc::new(AtomicBool::new(false));
    let trader = {
        let (base, token, stop, order) = (i2.url(), alice.clone(), Arc::clone(&stop), order.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let c = http();
            let (mut acked, mut refused) = (Vec::new(), Vec::new());
            while !stop.load(Ordering::Relaxed) {
                let (st, v) = rt.block_on(call(&c, &base, &token, "POST", "/v1/orders", Some(order.clone())));
                match st {
                    201 => acked.push(v["order"]["id"].as_str().unwrap().to_string()),
                    _ => refused.push((st, v)),
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            (acked, refused)
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    let log1 = i1.stop();
    assert!(!log1.contains("panicked"), "{log1}");
    std::thread::sleep(Duration::from_secs(3));
    let i1 = start("i1b");
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    let (acked, refused) = trader.join().unwrap();
    assert!(acked.len() > 10, "alice kept trading on i2: {acked:?}");
    assert!(
        refused.is_empty(),
        "nothing of i2's was refused while i1 restarted: {refused:?}\n{}\n{}",
        i2.stderr(),
        i1.stderr()
    );
    // Every acknowledged order is in the ledger once; bob's too.
    let held = scalars(&db.target, "SELECT COUNT(*) FROM parents WHERE tenant = 'ws' AND user_name = 'alice'");
    assert_eq!(held, vec![acked.len() as i64], "acknowledged and recorded, once each");
    for on in [&i1, &i2] {
        let (st, v) = ask(on, &bob, "GET", &format!("/v1/orders/{bobs}"), None);
        assert_eq!(st, 200, "bob's order is seen from every instance: {v}");
    }
    // One desk again: a HALT on either holds on the other.
    for (from, to) in [(&i1, &i2), (&i2, &i1)] {
        let (st, v) = ask(from, &sup, "PUT", "/v1/risk/state", Some(json!({"tenant": "ws", "state": "HALTED"})));
        assert_eq!(st, 200, "{v}");
        let (st, e) = ask(to, &alice, "POST", "/v1/orders", Some(order.clone()));
        assert_eq!((st, e["code"].as_str()), (409, Some("halted")), "{e}");
        let (st, v) = ask(from, &sup, "PUT", "/v1/risk/state", Some(json!({"tenant": "ws", "state": "ACTIVE"})));
        assert_eq!(st, 200, "{v}");
    }
    let logs = [i1.stop(), i2.stop()].join("\n");
    assert!(!logs.contains("duplicate key") && !logs.contains("ended "), "no live owner's sessions ended: {logs}");
}
