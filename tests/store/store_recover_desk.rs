//! `blotter recover --resume` on a shared desk: the engine comes back under
//! the desk's controls as the servers left them in the ledger's control
//! tables (a HALT, REDUCING, limits set through another engine while it was
//! down), counting the user's orders on the desk's other engines, not under
//! the controls the engine itself saved when it stopped. On SQLite, and on
//! PostgreSQL when `BLOTTER_TEST_POSTGRES_URL` is set.

use crate::common::{self, ny, order};
use crate::store_support::{self, Db};
use blotter::engine::{Actor, Command, Engine, EngineConfig};
use blotter::market::Universe;
use blotter::model::{AlgoKind, ParentId, ParentStatus, Role, Side};
use blotter::risk::{Limits, TradingState};
use blotter::store::{DbTarget, EngineSpec, Ledger, Recorder, Sources};
use std::process::Command as Process;
use std::sync::Arc;

on_both_backends!(a_resumed_engine_comes_back_under_the_desks_controls_and_usage);

fn db_arg(t: &DbTarget) -> String {
    match t {
        DbTarget::Sqlite(p) => format!("sqlite:{}", p.display()),
        DbTarget::Postgres(u) => u.clone(),
    }
}

/// An engine of the desk recording into `ledger` (one instance of `serve`).
fn start<'l>(ledger: &'l Ledger, seed: u64) -> (Engine, Recorder<'l>) {
    let mut cfg = EngineConfig::new(seed, common::date());
    cfg.symbols = Some(vec!["AAPL".into()]);
    let engine = Engine::new(Arc::new(Universe::builtin()), cfg.clone()).unwrap();
    let eref = ledger.register(&EngineSpec::new(&cfg, Sources::default(), &common::advisor(), engine.now())).unwrap();
    ledger.mark_served(&eref).unwrap();
    (engine, Recorder::new(ledger, eref))
}

fn apply(e: &mut Engine, rec: &mut Recorder<'_>, who: &Actor, cmd: Command) {
    let (result, _) = rec.apply(e, who, cmd).unwrap();
    result.unwrap();
}

/// `blotter recover --resume` of E1-P1: the exit status and stderr.
fn resume(db: &Db, work: &std::path::Path) -> (bool, String) {
    let out = Process::new(env!("CARGO_BIN_EXE_blotter"))
        .env("BLOTTER_DATA_DIR", work)
        .env_remove("BLOTTER_DB")
        .args(["recover", "--db", &db_arg(&db.target), "--resume", "--order", "E1-P1", "--force", "--json"])
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn a_resumed_engine_comes_back_under_the_desks_controls_and_usage(db: &Db) {
    let work = tempfile::tempdir().unwrap();
    let (desk, sup) = (common::advisor(), Actor::local(Role::Supervisor));
    let ledger = Ledger::open(&db.target).unwrap();
    // E1 buys, part fills, and its process dies (no clean stop): it saved ACTIVE, no limits.
    let (mut e1, mut r1) = start(&ledger, 8);
    apply(
        &mut e1,
        &mut r1,
        &desk,
        Command::Submit(order("AAPL", Side::Buy, 20_000, AlgoKind::Twap, "10:00", "10:30", &[])),
    );
    e1.run_until(ny("10:10"));
    r1.push(&mut e1);
    r1.release(true).unwrap();
    assert!(e1.parent(ParentId::local(1)).unwrap().filled.is_positive(), "long some AAPL");
    drop((e1, r1));
    // Meanwhile another instance's engine carries the desk's controls.
    let (mut e2, mut r2) = start(&ledger, 9);
    let state = |state| Command::SetTradingState { tenant: Some("local".into()), state };

    apply(&mut e2, &mut r2, &sup, state(TradingState::Halted));
    let (ok, err) = resume(db, work.path());
    assert!(!ok && err.contains("HALTED"), "comes back halted: {err}");

    apply(&mut e2, &mut r2, &sup, state(TradingState::Reducing));
    let (ok, err) = resume(db, work.path());
    assert!(!ok && err.contains("REDUCING"), "comes back REDUCING (a buy does not reduce a long): {err}");

    // One open order per user, counted desk-wide: the user's order on E2 uses it.
    apply(&mut e2, &mut r2, &sup, state(TradingState::Active));
    apply(
        &mut e2,
        &mut r2,
        &desk,
        Command::Submit(order("AAPL", Side::Buy, 100, AlgoKind::Twap, "13:00", "13:30", &[])),
    );
    let one = Limits { max_open_orders: Some(1), ..Limits::default() };
    apply(&mut e2, &mut r2, &sup, Command::SetLimits { tenant: "local".into(), user: None, limits: one });
    let (ok, err) = resume(db, work.path());
    assert!(!ok && err.contains("max_open_orders") && err.contains("desk-wide"), "{err}");

    // With room for both, the same command resumes it to the end.
    let two = Limits { max_open_orders: Some(2), ..Limits::default() };
    apply(&mut e2, &mut r2, &sup, Command::SetLimits { tenant: "local".into(), user: None, limits: two });
    let (ok, err) = resume(db, work.path());
    assert!(ok, "{err}");
    let o = ledger.order(1, ParentId::local(1)).unwrap().unwrap();
    assert_eq!(o.order.order.status, ParentStatus::Done);
    r2.finish().unwrap();
}
