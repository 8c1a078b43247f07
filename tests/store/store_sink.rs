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

on_both_backends!(
    the_embedded_client_publishes_only_what_is_committed,
    an_engine_that_lets_finished_children_go_still_lists_them_through_the_desk
);

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

/// `serve` keeps only the most recent finished children in memory; the
/// desk reads the others back from the ledger. Here the engine keeps none.
fn an_engine_that_lets_finished_children_go_still_lists_them_through_the_desk(db: &Db) {
    use blotter::client::desk::{DeskLedger, Hosted};
    use blotter::client::{Desk, Settings};
    use blotter::engine::FinishedChildren;
    let ledger = Arc::new(Ledger::open(&db.target).unwrap());
    let desk = common::advisor();
    let mut cfg = EngineConfig::new(22, common::date());
    cfg.symbols = Some(vec!["AAPL".into()]);
    let mut engine = common::engine(22, &["AAPL"]);
    let eref = ledger.register(&EngineSpec::new(&cfg, Sources::default(), &desk, engine.now())).unwrap();
    engine.set_number(eref.number()).unwrap();
    let sink = LedgerSink::new(Arc::clone(&ledger), eref.clone());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let settings = Settings { finished_children: FinishedChildren::Recent(0), ..Settings::default() };
        let home = Embedded::start_with_settings(engine, 0.0, desk.clone(), Some(Box::new(sink)), settings);
        let hosted = Hosted { engine: home.clone(), eref: Some(eref.clone()), resumed_at: 0 };
        let ledgered = DeskLedger { ledger: Arc::clone(&ledger), handle: ledger.handle(), date: common::date() };
        let client = Desk::new(hosted, ledgered).as_actor(desk.clone());
        let order = common::order("AAPL", Side::Buy, 20_000, AlgoKind::Twap, "09:30", "10:00", &[]);
        let id = client.submit(order).await.unwrap().order.id;
        home.with_engine(|e| e.run_until(common::ny("09:45")));
        // Every batch before a command's is committed once it returns.
        client.pause(id).await.unwrap();
        let held = home.order(id).await.unwrap();
        let listed = client.order(id).await.unwrap();
        let sent = listed.row.order.children;
        assert!(sent > 5, "{sent} children in a quarter of an hour");
        assert!(held.children.len() < sent as usize, "the engine let finished children go: {held:?}");
        let seqs: Vec<u32> = listed.children.iter().map(|c| c.id.seq).collect();
        assert_eq!(seqs, (1..=sent).collect::<Vec<_>>(), "every child, once, in order");
        // The ones read back are the ledger's rows.
        let stored = ledger.order(eref.id, id).unwrap().unwrap();
        for c in listed.children.iter().filter(|c| !held.children.iter().any(|h| h.id == c.id)) {
            assert!(stored.children.contains(c), "{c:?}");
        }
    });
    drop(rt);
    ledger.stop(&eref).unwrap();
}
