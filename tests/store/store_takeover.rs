//! Taking an engine over from an owner frozen in the middle of a commit
//! (PostgreSQL): the owner's open transaction holds the engine's row lock,
//! and without ending its sessions the takeover would wait until the owner
//! woke up (or forever, for a process stopped by SIGSTOP).

use crate::common;
use crate::store_support;

use blotter::engine::{Engine, EngineConfig};
use blotter::market::Universe;
use blotter::store::{DbTarget, EngineSpec, Ledger, Sources};
use sqlx::Connection;
use std::sync::Arc;
use std::time::Duration;

#[test]
fn an_owner_frozen_mid_commit_does_not_hold_a_takeover_up() {
    let Some(db) = store_support::postgres() else { return };
    let desk = common::advisor();
    let first = Ledger::open(&db.target).unwrap();
    let mut cfg = EngineConfig::new(9, common::date());
    cfg.symbols = Some(vec!["AAPL".into()]);
    let engine = Engine::new(Arc::new(Universe::builtin()), cfg.clone()).unwrap();
    let eref = first.register(&EngineSpec::new(&cfg, Sources::default(), &desk, engine.now())).unwrap();

    // The engine's owner becomes another process whose lease has run out,
    // frozen while its session holds the engine row in an open transaction.
    store_support::execute(
        &db.target,
        &format!(
            "UPDATE engines SET owner = 'frozen-host:4242:1765000000000:0', host = 'frozen-host', machine = '', \
             pid = 4242, heartbeat_at = 0 WHERE id = {}",
            eref.id
        ),
    );
    let DbTarget::Postgres(url) = db.target.clone() else { unreachable!() };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut frozen = rt.block_on(async {
        sqlx::any::install_default_drivers();
        let mut c = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::query("SELECT set_config('application_name', 'blotter:frozen-host:4242', false)")
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::raw_sql("BEGIN; SELECT id FROM engines FOR UPDATE").execute(&mut c).await.unwrap();
        c
    });

    // Another process takes the engine over. Before, its update waited on
    // the frozen transaction for good: the guard below would have fired.
    let target = db.target.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let id = eref.id;
    let taker = std::thread::spawn(move || {
        let second = Ledger::open(&target).unwrap();
        match second.take_over(id, false) {
            Ok(eref) => {
                let _ = tx.send(Ok(eref.id));
                second.stop(&eref).unwrap();
            }
            Err(e) => {
                let _ = tx.send(Err(e.to_string()));
            }
        }
    });
    let taken = rx.recv_timeout(Duration::from_secs(120)).expect("the takeover waited on the frozen owner's lock");
    assert_eq!(taken, Ok(id));
    let owner = store_support::scalars(&db.target, &format!("SELECT pid FROM engines WHERE id = {id}"));
    assert_eq!(owner, vec![i64::from(std::process::id())], "the engine names its new owner");

    // The frozen owner's session was ended: nothing it had not committed can land.
    let after = rt.block_on(sqlx::raw_sql("COMMIT").execute(&mut frozen));
    assert!(after.is_err(), "the frozen owner's transaction is gone");
    taker.join().unwrap();
}
