//! `blotter recover --resume --order` of an engine recorded by `serve`, whose
//! orders belong to the desk's users (another tenant, another user than the
//! local desk): the operator running recover resumes them for their owner,
//! audited as the operator, the owner kept; an order the engine does not have
//! is refused before anything changes, naming the orders it has. On SQLite,
//! and on PostgreSQL when `BLOTTER_TEST_POSTGRES_URL` is set.

use crate::common::{self, ny, order};
use crate::store_support::{self, Db};
use blotter::engine::{Actor, Command, Engine, EngineConfig};
use blotter::market::Universe;
use blotter::model::{AlgoKind, ParentId, ParentStatus, Qty, Role, Side};
use blotter::risk::RiskConfig;
use blotter::store::{DbTarget, EngineSpec, Ledger, Recorder, Sources};
use std::process::Command as Process;
use std::sync::Arc;

on_both_backends!(the_operator_resumes_another_users_order_for_its_owner);

fn db_arg(t: &DbTarget) -> String {
    match t {
        DbTarget::Sqlite(p) => format!("sqlite:{}", p.display()),
        DbTarget::Postgres(u) => u.clone(),
    }
}

/// `blotter recover` with `args`, run by the operating-system user `ops`: exit status, stdout, stderr.
fn recover(db: &Db, work: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Process::new(env!("CARGO_BIN_EXE_blotter"))
        .env("BLOTTER_DATA_DIR", work)
        .env_remove("BLOTTER_DB")
        .env("USER", "ops")
        .args(["recover", "--db", &db_arg(&db.target)])
        .args(args)
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

fn the_operator_resumes_another_users_order_for_its_owner(db: &Db) {
    let work = tempfile::tempdir().unwrap();
    let alice = Actor { user: "alice".into(), tenant: "acme".into(), role: Role::Advisor };
    let ledger = Ledger::open(&db.target).unwrap();
    // As `serve --enable-tenants acme` registers it: the engine is the local
    // desk's, the order alice's of tenant acme.
    let mut cfg = EngineConfig::new(8, common::date());
    cfg.symbols = Some(vec!["AAPL".into()]);
    cfg.risk = RiskConfig { new_tenants_enabled: false, enabled_tenants: vec!["acme".into()], ..RiskConfig::desk() };
    let mut engine = Engine::new(Arc::new(Universe::builtin()), cfg.clone()).unwrap();
    let eref = ledger
        .register(&EngineSpec::new(&cfg, Sources::default(), &Actor::local(Role::Supervisor), engine.now()))
        .unwrap();
    ledger.mark_served(&eref).unwrap();
    let mut rec = Recorder::new(&ledger, eref);
    let submit = Command::Submit(order("AAPL", Side::Buy, 2_000, AlgoKind::Twap, "10:00", "10:30", &[]));
    rec.apply(&mut engine, &alice, submit).unwrap().0.unwrap();
    engine.run_until(ny("10:10"));
    rec.push(&mut engine);
    rec.release(true).unwrap();
    let filled = engine.parent(ParentId::local(1)).unwrap().filled;
    assert!(filled.is_positive() && filled < Qty::from_int(2_000), "part filled: {filled}");
    // The process dies here: no clean stop.
    drop((engine, rec));

    // An order the engine does not have: refused before the engine is taken
    // over (nothing recorded), naming the one it has with its owner.
    let (ok, _, err) = recover(db, work.path(), &["--resume", "--order", "E1-P9", "--force"]);
    assert!(!ok, "{err}");
    assert!(err.contains("no order E1-P9 in engine E1"), "{err}");
    assert!(err.contains("it has E1-P1 (") && err.contains("acme/alice"), "lists what the engine has: {err}");
    let actions: Vec<String> = ledger.audit(1).unwrap().into_iter().map(|a| a.action).collect();
    assert_eq!(actions, vec!["submit"], "the refused recovery changed nothing");

    // The operator resumes alice's order to the end.
    let (ok, out, err) = recover(db, work.path(), &["--resume", "--order", "E1-P1", "--force", "--json"]);
    assert!(ok, "stdout: {out}\nstderr: {err}");
    let o = ledger.order(1, ParentId::local(1)).unwrap().unwrap();
    assert_eq!(o.order.order.status, ParentStatus::Done);
    assert_eq!(o.order.order.filled, Qty::from_int(2_000));
    assert_eq!((&*o.order.order.owner.tenant, &*o.order.order.owner.user), ("acme", "alice"), "still alice's order");
    // Audited as the operator (the OS user, as SUPERVISOR), alice's submission as hers.
    let audit: Vec<(String, String, String, String)> =
        ledger.audit(1).unwrap().into_iter().map(|a| (a.action, a.user, a.tenant, a.role)).collect();
    let row = |a: &str, u: &str, t: &str, r: &str| (a.to_string(), u.to_string(), t.to_string(), r.to_string());
    assert_eq!(
        audit,
        vec![
            row("submit", "alice", "acme", "ADVISOR"),
            row("recover", "ops", "local", "SUPERVISOR"),
            row("resume", "ops", "local", "SUPERVISOR"),
        ]
    );
}
