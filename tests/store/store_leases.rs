//! Every engine a process runs keeps its lease while another of its engines
//! commits without pause: a commit renews only its own engines' rows, so it
//! must not stand in for the heartbeat of the others (an idle engine taken
//! over beside a busy one looked abandoned after a lease and was taken over
//! again, from a live process). PostgreSQL and SQLite.

use crate::common;
use crate::store_support::{self, Db, scalars};
use blotter::engine::{Command, Engine, EngineConfig};
use blotter::market::Universe;
use blotter::model::{AlgoKind, Side};
use blotter::store::{EngineSpec, Ledger, Recorder, Sources};
use std::sync::Arc;
use std::time::{Duration, Instant};

on_both_backends!(an_idle_engine_keeps_its_lease_beside_a_busy_one);

fn engine(seed: u64) -> (Engine, EngineConfig) {
    let mut cfg = EngineConfig::new(seed, common::date());
    cfg.symbols = Some(vec!["AAPL".into()]);
    (Engine::new(Arc::new(Universe::builtin()), cfg.clone()).unwrap(), cfg)
}

fn an_idle_engine_keeps_its_lease_beside_a_busy_one(db: &Db) {
    let ledger = Ledger::open(&db.target).unwrap();
    ledger.set_lease(Duration::from_secs(1));
    let (idle, cfg) = engine(1);
    let idle_ref = ledger.register(&EngineSpec::new(&cfg, Sources::default(), &common::advisor(), idle.now())).unwrap();
    let (mut busy, cfg) = engine(2);
    let busy_ref = ledger.register(&EngineSpec::new(&cfg, Sources::default(), &common::advisor(), busy.now())).unwrap();
    let mut rec = Recorder::new(&ledger, busy_ref);
    // The busy engine commits every 20 ms for three leases.
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(3) {
        let req = common::order("AAPL", Side::Buy, 100, AlgoKind::Twap, "13:00", "13:30", &[]);
        let (r, _) = rec.apply(&mut busy, &common::advisor(), Command::Submit(req)).unwrap();
        r.unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    // The idle engine's heartbeat is within a lease (beats go out every quarter lease).
    let now = match &db.target {
        blotter::store::DbTarget::Postgres(_) => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
        blotter::store::DbTarget::Sqlite(_) => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS BIGINT)",
    };
    let age = scalars(&db.target, &format!("SELECT {now} - heartbeat_at FROM engines WHERE id = {}", idle_ref.id));
    assert!(age[0] < 1_000, "the idle engine's heartbeat is {} ms old, past its 1 s lease", age[0]);
    rec.finish().unwrap();
}
