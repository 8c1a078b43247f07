//! The embedded client recording into the ledger through its event sink:
//! what it publishes is already committed, and every command is audited with
//! its outcome (refusals included).

use crate::common;
use crate::store_support;

use blotter::client::{Client, Embedded};
use blotter::engine::{Actor, EngineConfig};
use blotter::model::{AlgoKind, Role, Side};
use blotter::store::query::OrderFilter;
use blotter::store::sink::LedgerSink;
use blotter::store::{EngineSpec, Ledger, Sources};
use std::sync::Arc;
use store_support::Db;

on_both_backends!(the_embedded_client_publishes_only_what_is_committed);

fn the_embedded_client_publishes_only_what_is_committed(db: &Db) {
    let ledger = Arc::new(Ledger::open(&db.target).unwrap());
    let desk = common::advisor();
    let mut cfg = EngineConfig::new(21, common::date());
    cfg.symbols = Some(vec!["AAPL".into()]);
    let engine = common::engine(21, &["AAPL"]);
    let eref = ledger.register(&EngineSpec::new(&cfg, Sources::default(), &desk, engine.now())).unwrap();
    let sink = LedgerSink::new(Arc::clone(&ledger), eref.clone());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let client = Embedded::start_with_sink(engine, 0.0, desk.clone(), Some(Box::new(sink)));
        let row = client.submit(common::order("AAPL", Side::Buy, 5_000, AlgoKind::Twap, "10:00", "10:30", &[])).await;
        let row = row.unwrap();
        // Acknowledged: so already in the ledger.
        let page = ledger.orders(&OrderFilter::default()).unwrap();
        assert_eq!(page.total, 1);
        assert_eq!(page.items[0].order.id, row.order.id.on(eref.number()));
        let client_persona = client.as_actor(Actor { user: "cara".into(), tenant: "ws".into(), role: Role::Client });
        let refused = client_persona.cancel(row.order.id).await;
        assert!(refused.is_err());
        client.cancel(row.order.id).await.unwrap();
    });
    let audit = ledger.audit(eref.id).unwrap();
    let rows: Vec<(&str, &str, &str, &str)> =
        audit.iter().map(|a| (a.user.as_str(), a.role.as_str(), a.action.as_str(), a.outcome.as_str())).collect();
    assert_eq!(
        rows,
        vec![
            ("desk", "ADVISOR", "submit", "ok"),
            ("cara", "CLIENT", "cancel", "refused"),
            ("desk", "ADVISOR", "cancel", "ok"),
        ],
        "{audit:?}"
    );
    assert_eq!(audit[1].code.as_deref(), Some("forbidden"));
    assert_eq!(audit[0].parent, Some(blotter::model::ParentId::new(eref.number(), 1)));
    drop(rt);
    ledger.stop(&eref).unwrap();
}
