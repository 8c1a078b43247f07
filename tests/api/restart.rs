//! Risk controls survive a crash of `blotter serve` (finding 3 of issue 14):
//! a supervisor halts one desk, disables another, sets desk, tenant and user
//! limits; the server is SIGKILLed and started again on the same ledger;
//! every control is as it was, enforced, and the restart is an alert in the
//! event stream. Starting flags that would enable the disabled desk do not:
//! a restart never loosens a control. On SQLite, and PostgreSQL when set.

use crate::served::{Served, db_arg, token};
use crate::store_support::{Db, scalars};
use serde_json::{Value, json};

/// The controls of a risk view, without what trading changes (positions, usage, open orders).
fn controls(v: &Value) -> Value {
    let tenants: Vec<Value> = v["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            json!({"tenant": t["tenant"], "execution_enabled": t["execution_enabled"], "state": t["state"],
                   "limits": t["limits"], "users": t["users"], "changed": t["changed"]})
        })
        .collect();
    json!({"tenants": tenants, "default_limits": v["default_limits"], "desk_state": v["desk_state"],
           "desk_changed": v["desk_changed"]})
}

fn order(qty: i64) -> Value {
    json!({"symbol": "AAPL", "side": "buy", "qty": qty, "algo": "twap"})
}

fn controls_survive_sigkill(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    let sup = token(&file, "sup", "hq", "SUPERVISOR");
    let alice = token(&file, "alice", "ws", "ADVISOR");
    let bob = token(&file, "bob", "az", "ADVISOR");
    let max = token(&file, "max", "mx", "ADVISOR");
    let dbarg = db_arg(db);
    let args = [
        "--tokens",
        file.to_str().unwrap(),
        "--db",
        &dbarg,
        "--date",
        "2026-11-25",
        "--symbols",
        "AAPL",
        "--speed",
        "0",
        "--enable-tenants",
        "ws,az,mx,hq",
    ];
    let s = Served::start(dir.path(), &args);
    // Before any change every desk trades, under the fat-finger defaults.
    assert_eq!(s.send("POST", "/v1/orders", &max, order(100)).0, 201);
    let set = |path: &str, body: Value| {
        let (st, v) = s.send("PUT", path, &sup, body.clone());
        assert_eq!(st, 200, "{path} {body}: {v}");
    };
    set("/v1/risk/state", json!({"tenant": "ws", "state": "HALTED"}));
    set("/v1/risk/execution", json!({"tenant": "mx", "enabled": false}));
    set("/v1/risk/limits", json!({"tenant": "az", "limits": {"max_order_qty": 500, "max_daily_notional": 2_000_000}}));
    set("/v1/risk/limits", json!({"tenant": "az", "user": "bob", "limits": {"max_order_qty": 800}}));
    set("/v1/risk/limits", json!({"limits": {"price_collar_bps": 75, "max_order_notional": 3_000_000}}));
    let (_, before) = s.get("/v1/risk", Some(&sup));
    assert_eq!(s.send("POST", "/v1/orders", &bob, order(700)).0, 201, "bob's override allows 700");
    let (_, with_usage) = s.get("/v1/risk", Some(&sup));
    s.kill();

    let s = Served::start(dir.path(), &args);
    let (st, after) = s.get("/v1/risk", Some(&sup));
    assert_eq!(st, 200, "{after}");
    assert_eq!(controls(&after), controls(&before), "every control as it was");
    let az = |v: &Value| v["tenants"].as_array().unwrap().iter().find(|t| t["tenant"] == "az").cloned().unwrap();
    assert_eq!(az(&after)["daily_notional"], az(&with_usage)["daily_notional"], "the day's usage is kept too");
    let ws = after["tenants"].as_array().unwrap().iter().find(|t| t["tenant"] == "ws").unwrap();
    assert_eq!(ws["state"], "HALTED");
    assert_eq!(ws["changed"]["by"], "sup@hq SUPERVISOR");
    // Enforced, not only shown: HALTED, disabled although --enable-tenants names mx, the user override.
    let (st, v) = s.send("POST", "/v1/orders", &alice, order(100));
    assert_eq!((st, v["code"].as_str()), (409, Some("halted")), "{v}");
    let (st, v) = s.send("POST", "/v1/orders", &max, order(100));
    assert_eq!((st, v["code"].as_str()), (403, Some("execution_disabled")), "{v}");
    let (st, v) = s.send("POST", "/v1/orders", &bob, order(900));
    assert_eq!((st, v["field"].as_str()), (409, Some("max_order_qty")), "{v}");
    // The desk's notional cap: 3,000,000 USD is about 13,000 AAPL.
    let (st, v) = s.send("POST", "/v1/orders", &sup, order(20_000));
    assert_eq!((st, v["field"].as_str()), (409, Some("max_order_notional")), "{v}");
    assert!(s.stderr().contains("risk control(s) restored from the ledger"), "{}", s.stderr());
    // The restart itself is an event (the supervisor's alerts show it), durable like any other.
    let restored = scalars(&db.target, "SELECT COUNT(*) FROM events WHERE kind = 'controls_restored'")[0];
    assert_eq!(restored, 1, "one controls_restored event, from the restart");
    // Every change is audited with who made it.
    let audited = scalars(
        &db.target,
        "SELECT COUNT(*) FROM audit WHERE user_name = 'sup' AND action IN ('set_trading_state', 'set_execution', \
         'set_limits', 'set_desk_limits')",
    )[0];
    assert_eq!(audited, 5, "one audit row per change");
    assert_eq!(scalars(&db.target, "SELECT COUNT(*) FROM risk_changes")[0], 5);
    s.kill();
}

mod on_sqlite {
    #[test]
    fn controls_survive_sigkill() {
        super::controls_survive_sigkill(&crate::store_support::sqlite());
    }
}

mod on_postgres {
    #[test]
    fn controls_survive_sigkill() {
        if let Some(db) = crate::store_support::postgres() {
            super::controls_survive_sigkill(&db);
        }
    }
}
