//! A control change a running `serve` was not told of (recorded on its
//! ledger by another process: here an engine recorded as `blotter recover`
//! or a CLI run records, as an instance starting at the moment of a HALT
//! would miss it) is in force before its next order is checked: the order
//! is refused as the desk's control tables say, not accepted under the
//! controls the server's engine last applied.

use crate::served::{Served, token};
use blotter::engine::{Actor, Command};
use blotter::model::Role;
use blotter::risk::TradingState;
use blotter::store::{DbTarget, EngineSpec, Ledger, Recorder, Sources};
use serde_json::json;

#[test]
fn a_halt_recorded_by_another_process_holds_at_the_next_order() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    let alice = token(&file, "alice", "ws", "ADVISOR");
    let path = dir.path().join("ledger.db");
    let db = format!("sqlite:{}", path.display());
    let args = ["--tokens", file.to_str().unwrap(), "--db", &db, "--date", "2026-11-25", "--symbols", "AAPL"];
    let logs = tempfile::tempdir().unwrap();
    let s = Served::start(logs.path(), &[&args[..], &["--speed", "0", "--enable-tenants", "ws"]].concat());
    let order = json!({"symbol": "AAPL", "side": "buy", "qty": 100, "algo": "twap"});
    let (st, v) = s.send("POST", "/v1/orders", &alice, order.clone());
    assert_eq!(st, 201, "{v}");

    // Another process on the same ledger halts tenant ws.
    let ledger = Ledger::open(&DbTarget::Sqlite(path)).unwrap();
    let mut cfg = blotter::engine::EngineConfig::new(3, crate::common::date());
    cfg.symbols = Some(vec!["AAPL".into()]);
    let mut engine =
        blotter::engine::Engine::new(std::sync::Arc::new(blotter::market::Universe::builtin()), cfg.clone()).unwrap();
    let spec = EngineSpec::new(&cfg, Sources::default(), &crate::common::advisor(), engine.now());
    let mut rec = Recorder::new(&ledger, ledger.register(&spec).unwrap());
    let halt = Command::SetTradingState { tenant: Some("ws".into()), state: TradingState::Halted };
    let (result, _) = rec.apply(&mut engine, &Actor::local(Role::Supervisor), halt).unwrap();
    result.unwrap();
    rec.finish().unwrap();

    let (st, v) = s.send("POST", "/v1/orders", &alice, order.clone());
    assert_eq!((st, v["code"].as_str()), (409, Some("halted")), "{v}");
    // Once: the next order is checked against the same state, read again only when it changes.
    let (st, v) = s.send("POST", "/v1/orders", &alice, order);
    assert_eq!((st, v["code"].as_str()), (409, Some("halted")), "{v}");
}
