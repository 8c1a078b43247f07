//! The ledger suite, run unchanged on SQLite and on PostgreSQL: what is
//! recorded is exactly what the engine did, queries filter and page, TCA
//! aggregates add up, a crashed engine comes back interrupted and finishes
//! without losing or repeating a fill, a stale writer is fenced off, a newer
//! schema is refused untouched, and two engines writing at once do not
//! interfere.

use crate::common;
use crate::store_support;

use blotter::engine::{Actor, Command, Engine, EngineConfig, EngineEvent, OrderRequest};
use blotter::market::Universe;
use blotter::model::{AlgoKind, ParentId, ParentStatus, Qty, Role, Side, Timestamp};
use blotter::store::query::{OrderFilter, Period};
use blotter::store::recover::recover;
use blotter::store::{Batch, EngineSpec, Ledger, Recorder, StoreError};
use common::{date, ny, order};
use std::sync::Arc;
use store_support::{Db, child_on, execute, fill_on, on_engine, scalars};

on_both_backends!(
    migrations_apply_once_and_reopening_changes_nothing,
    a_recorded_run_is_exactly_what_the_engine_did,
    refusals_are_audited_and_leave_no_order,
    queries_filter_page_and_aggregate,
    a_crashed_engine_comes_back_interrupted_and_finishes_exactly,
    an_order_that_ended_short_says_why_after_a_restart,
    a_taken_over_engine_cannot_record_and_numbers_cannot_repeat,
    a_newer_schema_is_refused_and_left_untouched,
    two_engines_writing_at_once_do_not_interfere,
    algo_configuration_is_supervised_and_audited,
    a_tampered_schema_is_refused_and_left_untouched,
    a_version_1_ledger_is_upgraded_in_place,
);

fn actor(user: &str, tenant: &str) -> Actor {
    Actor { user: user.into(), tenant: tenant.into(), role: Role::Advisor }
}

/// An engine recorded into a ledger.
struct Run<'l> {
    engine: Engine,
    rec: Recorder<'l>,
    released: Vec<EngineEvent>,
}

impl<'l> Run<'l> {
    fn start(ledger: &'l Ledger, seed: u64, symbols: &[&str], who: &Actor) -> Run<'l> {
        let mut cfg = EngineConfig::new(seed, date());
        cfg.symbols = Some(symbols.iter().map(|s| s.to_string()).collect());
        let engine = Engine::new(Arc::new(Universe::builtin()), cfg.clone()).unwrap();
        let eref =
            ledger.register(&EngineSpec::new(&cfg, blotter::store::Sources::default(), who, engine.now())).unwrap();
        Run { engine, rec: Recorder::new(ledger, eref), released: Vec::new() }
    }

    fn apply(&mut self, who: &Actor, cmd: Command) -> Result<Option<ParentId>, blotter::engine::Reject> {
        let (result, released) = self.rec.apply(&mut self.engine, who, cmd).unwrap();
        self.released.extend(released);
        result
    }

    fn submit(&mut self, who: &Actor, req: OrderRequest) -> ParentId {
        self.apply(who, Command::Submit(req)).unwrap().unwrap()
    }

    /// Runs to simulated time `t`, handing batches over as it goes.
    fn run_to(&mut self, t: Timestamp) {
        let mut steps = 0u64;
        while self.engine.next_time().is_some_and(|n| n <= t) {
            self.engine.step();
            steps += 1;
            if steps.is_multiple_of(256) {
                self.rec.push(&mut self.engine);
                self.released.extend(self.rec.release(false).unwrap());
            }
        }
        self.engine.run_until(t);
        self.rec.push(&mut self.engine);
        self.released.extend(self.rec.release(true).unwrap());
    }

    fn run_idle(&mut self) {
        while !self.engine.is_idle() && self.engine.step() {}
        self.rec.push(&mut self.engine);
        self.released.extend(self.rec.release(true).unwrap());
    }

    fn id(&self) -> i64 {
        self.rec.engine_ref().id
    }

    fn finish(self) -> (Engine, Vec<EngineEvent>) {
        let Run { engine, rec, mut released } = self;
        released.extend(rec.finish().unwrap());
        (engine, released)
    }
}

fn twap(symbol: &str, side: Side, qty: i64, start: &str, end: &str) -> OrderRequest {
    order(symbol, side, qty, AlgoKind::Twap, start, end, &[])
}

fn migrations_apply_once_and_reopening_changes_nothing(db: &Db) {
    drop(Ledger::open(&db.target).unwrap());
    drop(Ledger::open(&db.target).unwrap());
    // Two openers at once on the fresh database: the schema is applied once.
    let fresh = match &db.target {
        blotter::store::DbTarget::Sqlite(p) => Some(blotter::store::DbTarget::Sqlite(p.with_file_name("second.db"))),
        blotter::store::DbTarget::Postgres(_) => None,
    };
    if let Some(t) = &fresh {
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let t = t.clone();
                std::thread::spawn(move || Ledger::open(&t).map(drop))
            })
            .collect();
        for h in handles {
            h.join().unwrap().unwrap();
        }
        let applied = i64::try_from(blotter::store::schema_versions().len()).unwrap();
        assert_eq!(scalars(t, "SELECT COUNT(*) FROM blotter_migrations"), vec![applied]);
    }
    // One row per migration, each applied once.
    let versions = blotter::store::schema_versions();
    assert_eq!(scalars(&db.target, "SELECT version FROM blotter_migrations ORDER BY version"), versions);
    assert_eq!(scalars(&db.target, "SELECT COUNT(*) FROM engines"), vec![0]);
}

fn a_recorded_run_is_exactly_what_the_engine_did(db: &Db) {
    let ledger = Ledger::open(&db.target).unwrap();
    let desk = common::advisor();
    let mut run = Run::start(&ledger, 3, &["AAPL"], &desk);
    let id = run.submit(&desk, twap("AAPL", Side::Buy, 20_000, "10:00", "10:30"));
    run.run_idle();
    let eid = run.id();
    let (engine, released) = run.finish();
    let want = engine.parent(id).unwrap();
    assert_eq!(want.status, ParentStatus::Done);

    let page = ledger.orders(&OrderFilter::default()).unwrap();
    assert_eq!(page.total, 1);
    let got = &page.items[0];
    assert_eq!(got.reference, format!("E{eid}-P1"));
    assert_eq!(got.order, on_engine(eid, want), "the stored order is the engine's, to the last unit");
    let detail = ledger.order(eid, id).unwrap().unwrap();
    let children: Vec<_> = engine.children(id).into_iter().map(|c| child_on(eid, c)).collect();
    assert_eq!(detail.children, children);
    assert_eq!(detail.fills, engine.fills(id).iter().map(|f| fill_on(eid, f)).collect::<Vec<_>>());
    assert!(detail.fills.len() > 20);

    // The event log: every event, in order, exactly as released.
    assert_eq!(released.len() as u64, engine.event_count());
    let n = scalars(&db.target, &format!("SELECT COUNT(*) FROM events WHERE engine_id = {eid}"));
    assert_eq!(n, vec![engine.event_count() as i64]);
    let seqs = scalars(&db.target, &format!("SELECT seq FROM events WHERE engine_id = {eid} ORDER BY seq"));
    assert_eq!(seqs, (1..=engine.event_count() as i64).collect::<Vec<_>>());
    let filled = scalars(&db.target, &format!("SELECT CAST(SUM(qty) AS BIGINT) FROM fills WHERE engine_id = {eid}"));
    assert_eq!(filled, vec![Qty::from_int(20_000).raw()]);

    // TCA recorded with the order; the audit log holds the submit.
    let tca = got.tca.as_ref().expect("TCA of the finished order");
    let m = engine.market("AAPL").unwrap();
    let summary = blotter::tca::summary(want, engine.fills(id), &m.tape, want.done_at.unwrap());
    assert_eq!(tca.arrival_bps, summary.arrival_slippage_bps);
    let audit = ledger.audit(eid).unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!((audit[0].action.as_str(), audit[0].outcome.as_str()), ("submit", "ok"));
    assert_eq!((audit[0].user.as_str(), audit[0].role.as_str()), ("desk", "ADVISOR"));
    assert_eq!(audit[0].parent, Some(id.on(u32::try_from(eid).unwrap())));
}

fn refusals_are_audited_and_leave_no_order(db: &Db) {
    let ledger = Ledger::open(&db.target).unwrap();
    let client = Actor { user: "cara".into(), tenant: "ws".into(), role: Role::Client };
    let desk = common::advisor();
    let mut run = Run::start(&ledger, 4, &["AAPL"], &desk);
    let err = run.apply(&client, Command::Submit(twap("AAPL", Side::Buy, 1_000, "10:00", "10:30"))).unwrap_err();
    assert_eq!(err.code.as_str(), "forbidden");
    let err = run.apply(&desk, Command::Cancel { id: ParentId::local(9) }).unwrap_err();
    assert_eq!(err.code.as_str(), "unknown_order");
    let eid = run.id();
    run.finish();
    assert_eq!(ledger.orders(&OrderFilter::default()).unwrap().total, 0, "no half-written order");
    let audit = ledger.audit(eid).unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!((audit[0].user.as_str(), audit[0].role.as_str()), ("cara", "CLIENT"));
    assert_eq!((audit[0].outcome.as_str(), audit[0].code.as_deref()), ("refused", Some("forbidden")));
    assert!(audit[0].detail.contains("may not submit"), "{}", audit[0].detail);
    let p9 = ParentId::new(u32::try_from(eid).unwrap(), 9);
    assert_eq!((audit[1].action.as_str(), audit[1].parent), ("cancel", Some(p9)));
    assert_eq!(audit[1].code.as_deref(), Some("unknown_order"));
    let rejected =
        scalars(&db.target, &format!("SELECT COUNT(*) FROM events WHERE engine_id = {eid} AND kind = 'rejected'"));
    assert_eq!(rejected, vec![2], "the refusals are events too");
}

fn queries_filter_page_and_aggregate(db: &Db) {
    let ledger = Ledger::open(&db.target).unwrap();
    let (amy, bo) = (actor("amy", "ws"), actor("bo", "hk"));
    let mut a = Run::start(&ledger, 5, &["AAPL", "MSFT"], &amy);
    a.run_to(ny("09:40"));
    let a1 = a.submit(&amy, twap("AAPL", Side::Buy, 6_000, "09:40", "09:55"));
    a.run_to(ny("09:50"));
    let a2 = a.submit(&amy, twap("MSFT", Side::Sell, 4_000, "09:50", "10:05"));
    a.run_idle();
    let mut b = Run::start(&ledger, 6, &["AAPL"], &bo);
    b.run_to(ny("10:00"));
    let b1 = b.submit(&bo, twap("AAPL", Side::Sell, 5_000, "10:00", "10:15"));
    b.run_idle();
    let (ea, eb) = (a.id(), b.id());
    let (ae, _) = a.finish();
    let (be, _) = b.finish();

    let all = ledger.orders(&OrderFilter::default()).unwrap();
    assert_eq!(all.total, 3);
    let refs: Vec<&str> = all.items.iter().map(|o| o.reference.as_str()).collect();
    assert_eq!(refs, vec![format!("E{eb}-{b1}"), format!("E{ea}-{a2}"), format!("E{ea}-{a1}")], "newest first");
    let count = |f: OrderFilter| ledger.orders(&f).unwrap().total;
    assert_eq!(count(OrderFilter { tenant: Some("ws".into()), ..Default::default() }), 2);
    assert_eq!(count(OrderFilter { user: Some("bo".into()), ..Default::default() }), 1);
    assert_eq!(count(OrderFilter { symbol: Some("aapl".into()), ..Default::default() }), 2);
    assert_eq!(count(OrderFilter { status: Some(ParentStatus::Done), ..Default::default() }), 3);
    assert_eq!(count(OrderFilter { status: Some(ParentStatus::Working), ..Default::default() }), 0);
    assert_eq!(count(OrderFilter { since: Some(ny("09:45")), until: Some(ny("09:55")), ..Default::default() }), 1);
    assert_eq!(count(OrderFilter { engine: Some(eb), ..Default::default() }), 1);
    let p1 = ledger.orders(&OrderFilter { limit: 2, ..Default::default() }).unwrap();
    let p2 = ledger.orders(&OrderFilter { limit: 2, offset: 2, ..Default::default() }).unwrap();
    assert_eq!((p1.items.len(), p2.items.len(), p1.total, p2.total), (2, 1, 3, 3));
    assert_eq!(p2.items[0].reference, format!("E{ea}-{a1}"));

    // TCA by algorithm: exact sums of the orders; notional-weighted slippage.
    let orders = [ae.parent(a1).unwrap(), ae.parent(a2).unwrap(), be.parent(b1).unwrap()];
    let algos = ledger.tca_by_algo(&Period::default()).unwrap();
    assert_eq!(algos.len(), 1);
    let t = &algos[0];
    assert_eq!((t.algo.as_str(), t.orders), ("twap", 3));
    assert_eq!(t.filled, orders.iter().map(|o| o.filled).sum::<Qty>());
    assert_eq!(t.notional, orders.iter().map(|o| o.notional).sum());
    assert_eq!(t.fees, orders.iter().map(|o| o.fees).sum());
    let stored: Vec<_> = all.items.iter().map(|o| (o.order.notional.to_f64(), o.tca.clone().unwrap())).collect();
    let want = stored.iter().map(|(n, t)| n * t.arrival_bps.unwrap()).sum::<f64>()
        / stored.iter().map(|(n, _)| n).sum::<f64>();
    assert!((t.arrival_bps.unwrap() - want).abs() < 1e-6, "{:?} vs {want}", t.arrival_bps);
    let ws = ledger.tca_by_algo(&Period { tenant: Some("ws".into()), ..Default::default() }).unwrap();
    assert_eq!(ws[0].orders, 2);
    let later = ledger.tca_by_algo(&Period { since: Some(ny("16:00")), ..Default::default() }).unwrap();
    assert!(later.is_empty(), "nothing finished after the close");

    // TCA by venue: every fill counted once, shares add up to one.
    let venues = ledger.tca_by_venue(&Period::default()).unwrap();
    assert_eq!(venues.iter().map(|v| v.qty).sum::<Qty>(), t.filled);
    assert_eq!(venues.iter().map(|v| v.notional).sum::<blotter::model::Money>(), t.notional);
    let fills: usize = [ae.fills(a1), ae.fills(a2), be.fills(b1)].iter().map(|f| f.len()).sum();
    assert_eq!(venues.iter().map(|v| v.fills).sum::<u64>() as usize, fills);
    assert!((venues.iter().map(|v| v.share).sum::<f64>() - 1.0).abs() < 1e-9);
    assert!(venues.windows(2).all(|w| w[0].qty >= w[1].qty), "largest first");

    // An engine that stops beating shows its working order as interrupted.
    let elsewhere = Ledger::open(&db.target).unwrap();
    let mut c = Run::start(&elsewhere, 7, &["AAPL"], &amy);
    let c1 = c.submit(&amy, twap("AAPL", Side::Buy, 50_000, "09:30", "12:00"));
    c.run_to(ny("09:45"));
    let ec = c.id();
    let working = OrderFilter { status: Some(ParentStatus::Working), ..Default::default() };
    let interrupted = OrderFilter { status: Some(ParentStatus::Interrupted), ..Default::default() };
    assert_eq!(ledger.orders(&working).unwrap().items[0].reference, format!("E{ec}-{c1}"));
    // The process "dies": no clean stop, no more heartbeats.
    drop(c);
    drop(elsewhere);
    execute(&db.target, &format!("UPDATE engines SET heartbeat_at = 0 WHERE id = {ec}"));
    assert_eq!(ledger.orders(&working).unwrap().total, 0);
    let found = ledger.orders(&interrupted).unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.items[0].order.status, ParentStatus::Interrupted);
    let open = ledger.open_engines(Some("ws")).unwrap();
    assert_eq!(
        open.iter().map(|e| (e.id, e.open_orders, e.running.is_none())).collect::<Vec<_>>(),
        vec![(ec, 1, true)]
    );
}

fn a_crashed_engine_comes_back_interrupted_and_finishes_exactly(db: &Db) {
    let desk = common::advisor();
    let estimate;
    let (eid, acked, filled_before) = {
        let ledger = Ledger::open(&db.target).unwrap();
        let mut run = Run::start(&ledger, 8, &["AAPL"], &desk);
        run.submit(&desk, twap("AAPL", Side::Buy, 60_000, "10:00", "11:00"));
        run.run_to(ny("10:25"));
        let acked: Vec<u64> = run
            .released
            .iter()
            .filter_map(|e| match &e.kind {
                blotter::engine::EventKind::Fill { fill } => Some(fill.id.0),
                _ => None,
            })
            .collect();
        let filled = run.engine.parent(ParentId::local(1)).unwrap().filled;
        estimate = run.engine.pre_trade_estimate(ParentId::local(1)).cloned();
        // The process dies here: no clean stop, children still at the venues.
        (run.id(), acked, filled)
    };
    let estimate = estimate.expect("the estimate recorded at submission");
    assert!(!acked.is_empty() && filled_before < Qty::from_int(60_000));

    let ledger = Ledger::open(&db.target).unwrap();
    let err = recover(&ledger, eid, &desk, false).unwrap_err();
    assert!(matches!(err, StoreError::Busy(_)), "this very process still holds it: {err}");
    let mut r = recover(&ledger, eid, &desk, true).unwrap();
    // The recovered engine is numbered: its orders name it.
    let p1 = ParentId::new(u32::try_from(eid).unwrap(), 1);
    assert_eq!(r.report.interrupted, vec![p1]);
    // The pre-trade estimate comes back as recorded at submission, not re-estimated on the restarted market.
    assert_eq!(r.engine.pre_trade_estimate(p1), Some(&estimate));
    let pt = r.engine.tca_report(p1).unwrap().pre_trade.unwrap();
    assert_eq!(pt.estimate, estimate);
    assert_eq!(pt.realised.unwrap().filled, filled_before);
    let o = ledger.order(eid, ParentId::local(1)).unwrap().unwrap();
    assert_eq!(o.order.order.status, ParentStatus::Interrupted);
    assert_eq!(o.order.order.filled, filled_before, "nothing acknowledged is lost");
    for f in &acked {
        let n = scalars(&db.target, &format!("SELECT COUNT(*) FROM fills WHERE engine_id = {eid} AND id = {f}"));
        assert_eq!(n, vec![1], "fill F{f} present exactly once");
    }
    assert!(o.children.iter().all(|c| c.status.is_terminal()), "children unknown at the venue were cancelled");

    let (result, _) = r.recorder.apply(&mut r.engine, &desk, Command::Resume { id: p1 }).unwrap();
    result.unwrap();
    while !r.engine.is_idle() && r.engine.step() {}
    r.recorder.push(&mut r.engine);
    r.recorder.finish().unwrap();
    let o = ledger.order(eid, ParentId::local(1)).unwrap().unwrap();
    assert_eq!(o.order.order.status, ParentStatus::Done);
    assert_eq!(o.order.order.filled, Qty::from_int(60_000), "the remaining quantity completes, no more");
    assert_eq!(o.fills.iter().map(|f| f.qty).sum::<Qty>(), Qty::from_int(60_000));
    let ids: std::collections::BTreeSet<u64> = o.fills.iter().map(|f| f.id.0).collect();
    assert_eq!(ids.len(), o.fills.len(), "no fill recorded twice");
    let seqs = scalars(&db.target, &format!("SELECT COUNT(*), MAX(seq) FROM events WHERE engine_id = {eid}"));
    let max = scalars(&db.target, &format!("SELECT MAX(seq) FROM events WHERE engine_id = {eid}"));
    assert_eq!(seqs[0], max[0], "one sequence, no gap, no repeat, across the restart");
    let actions: Vec<String> = ledger.audit(eid).unwrap().into_iter().map(|a| a.action).collect();
    assert_eq!(actions, vec!["submit", "recover", "resume"]);
}

/// The reason an order ended with quantity left is in its `done` event; a
/// restarted engine reads it back, so the order's TCA says the same after the
/// restart as before it.
fn an_order_that_ended_short_says_why_after_a_restart(db: &Db) {
    let desk = common::advisor();
    let (eid, before) = {
        let ledger = Ledger::open(&db.target).unwrap();
        let mut run = Run::start(&ledger, 8, &["AAPL"], &desk);
        // A buy limited far under the market cannot fill: it expires with all of it left.
        let mut req = twap("AAPL", Side::Buy, 1_000, "10:00", "10:20");
        req.limit_px = Some(blotter::model::Price::from_f64(1.0).unwrap());
        run.submit(&desk, req);
        run.run_to(ny("10:25"));
        let o = run.engine.parent(ParentId::local(1)).unwrap();
        assert_eq!(o.status, ParentStatus::Expired);
        let before = run.engine.tca_report(ParentId::local(1)).unwrap().end_reason;
        (run.id(), before.expect("an expired order says why"))
    };
    assert!(before.starts_with("window ended at 10:20"), "{before}");
    let ledger = Ledger::open(&db.target).unwrap();
    let r = recover(&ledger, eid, &desk, true).unwrap();
    let p1 = ParentId::new(u32::try_from(eid).unwrap(), 1);
    assert_eq!(r.engine.tca_report(p1).unwrap().end_reason.as_deref(), Some(before.as_str()));
}

fn a_taken_over_engine_cannot_record_and_numbers_cannot_repeat(db: &Db) {
    let desk = common::advisor();
    let first = Ledger::open(&db.target).unwrap();
    let mut run = Run::start(&first, 9, &["AAPL"], &desk);
    run.submit(&desk, twap("AAPL", Side::Buy, 2_000, "10:00", "10:10"));
    let committed: Vec<EngineEvent> = run.released.clone();
    let eref = run.rec.engine_ref().clone();

    // Replaying an already committed event is refused, and nothing is written.
    let dup = first.submit(Batch::events(&eref, committed.clone())).wait().unwrap_err();
    assert!(matches!(&dup, StoreError::Data(m) if m.contains("is not after the last committed")), "{dup}");

    // A forced recovery elsewhere while this process still runs the engine:
    // the recovery commits events with the numbers this process would use
    // next, so the stale writer must be stopped by the owner check before
    // it writes a row, never by a duplicate key.
    let second = Ledger::open(&db.target).unwrap();
    let theirs = blotter::store::recover::recover(&second, eref.id, &desk, true).unwrap();
    let after_recovery = scalars(&db.target, &format!("SELECT COUNT(*) FROM events WHERE engine_id = {}", eref.id))[0];
    assert!(after_recovery > committed.len() as i64, "the recovery recorded events of its own");
    run.engine.run_until(ny("10:05"));
    run.rec.push(&mut run.engine);
    let err = run.rec.release(true).unwrap_err();
    assert!(matches!(err, StoreError::Fenced(_)), "{err}");
    let text = err.to_string();
    assert!(text.contains(&format!("engine E{} was taken over by pid {}", eref.id, std::process::id())), "{text}");
    assert!(text.contains("nothing of this request was recorded"), "{text}");
    assert!(!text.to_ascii_lowercase().contains("duplicate") && !text.contains("UNIQUE"), "{text}");
    let n = scalars(&db.target, &format!("SELECT COUNT(*) FROM events WHERE engine_id = {}", eref.id));
    assert_eq!(n, vec![after_recovery], "the stale writer added nothing");
    assert!(first.fenced().borrow().contains(&eref.id), "the stale process is told it lost the engine");
    second.stop(theirs.recorder.engine_ref()).unwrap();
}

fn a_newer_schema_is_refused_and_left_untouched(db: &Db) {
    let desk = common::advisor();
    {
        let ledger = Ledger::open(&db.target).unwrap();
        let mut run = Run::start(&ledger, 10, &["AAPL"], &desk);
        run.submit(&desk, twap("AAPL", Side::Buy, 1_000, "10:00", "10:05"));
        run.finish();
    }
    execute(
        &db.target,
        "INSERT INTO blotter_migrations (version, description, success, checksum, execution_time) \
         VALUES (99, 'from the future', TRUE, '\\x00', 0)",
    );
    let snapshot = |t: &blotter::store::DbTarget| {
        (
            scalars(t, "SELECT COUNT(*) FROM blotter_migrations"),
            scalars(t, "SELECT COUNT(*) FROM events"),
            scalars(t, "SELECT COUNT(*) FROM engines"),
        )
    };
    let before = snapshot(&db.target);
    let bytes = db.target.sqlite_path().map(|p| std::fs::read(p).unwrap());
    let err = Ledger::open(&db.target).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StoreError::Unusable { .. }), "{msg}");
    assert!(
        msg.contains("newer blotter") && msg.contains("schema version 99") && msg.contains("nothing was changed"),
        "{msg}"
    );
    assert_eq!(snapshot(&db.target), before);
    if let (Some(p), Some(b)) = (db.target.sqlite_path(), bytes) {
        assert_eq!(std::fs::read(p).unwrap(), b, "the file is byte for byte as it was");
    }
}

fn two_engines_writing_at_once_do_not_interfere(db: &Db) {
    let target = db.target.clone();
    let spawn = |user: &'static str, tenant: &'static str, seed: u64, symbol: &'static str| {
        let target = target.clone();
        std::thread::spawn(move || {
            // Each its own ledger handle and connections, as two processes would have.
            let ledger = Ledger::open(&target).unwrap();
            let who = actor(user, tenant);
            let mut run = Run::start(&ledger, seed, &[symbol], &who);
            let id = run.submit(&who, twap(symbol, Side::Buy, 30_000, "09:35", "10:35"));
            run.run_idle();
            let eid = run.id();
            let (engine, released) = run.finish();
            let order = engine.parent(id).unwrap().clone();
            let fills = engine.fills(id).to_vec();
            (eid, order, fills, released.len())
        })
    };
    let a = spawn("amy", "ws", 11, "AAPL");
    let b = spawn("bo", "hk", 12, "MSFT");
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    assert_ne!(a.0, b.0, "distinct engine numbers");
    let ledger = Ledger::open(&db.target).unwrap();
    for (eid, order, fills, events) in [a, b] {
        let tenant = order.owner.tenant.to_string();
        let mine = ledger.orders(&OrderFilter { tenant: Some(tenant), ..Default::default() }).unwrap();
        assert_eq!(mine.total, 1, "each tenant sees only its order");
        assert_eq!(mine.items[0].order, on_engine(eid, &order));
        let stored = ledger.order(eid, order.id).unwrap().unwrap().fills;
        assert_eq!(stored, fills.iter().map(|f| fill_on(eid, f)).collect::<Vec<_>>());
        let n = scalars(&db.target, &format!("SELECT COUNT(*) FROM events WHERE engine_id = {eid}"));
        assert_eq!(n, vec![events as i64]);
        assert_eq!(order.filled, Qty::from_int(30_000));
    }
}

fn algo_configuration_is_supervised_and_audited(db: &Db) {
    let ledger = Ledger::open(&db.target).unwrap();
    let params = |kv: &[(&str, &str)]| kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let boss = Actor { user: "sam".into(), tenant: "ws".into(), role: Role::Supervisor };
    let err =
        ledger.set_algo_config(&actor("amy", "ws"), "ws", AlgoKind::Twap, params(&[("slices", "12")])).unwrap_err();
    assert!(matches!(&err, StoreError::Refused(m) if m.contains("needs the SUPERVISOR or ADMIN role")), "{err}");
    assert!(ledger.algo_configs("ws").unwrap().is_empty(), "a refusal changes nothing");
    let err = ledger.set_algo_config(&boss, "ws", AlgoKind::Twap, params(&[("slices", " ")])).unwrap_err();
    assert_eq!(err.to_string(), "params.slices: key and value must not be empty");
    ledger.set_algo_config(&boss, "ws", AlgoKind::Twap, params(&[("slices", "12")])).unwrap();
    ledger.set_algo_config(&boss, "ws", AlgoKind::Twap, params(&[("slices", "6"), ("urgency", "aggressive")])).unwrap();
    ledger.set_algo_config(&boss, "hk", AlgoKind::Twap, params(&[("slices", "3")])).unwrap();
    let ws = ledger.algo_configs("ws").unwrap();
    assert_eq!(ws.len(), 1);
    assert_eq!(ws[0].params, params(&[("slices", "6"), ("urgency", "aggressive")]));
    assert_eq!((ws[0].algo, ws[0].updated_by.as_str()), (AlgoKind::Twap, "sam"));
    let audit = ledger.audit(0).unwrap();
    let outcomes: Vec<(&str, &str, &str)> =
        audit.iter().map(|a| (a.user.as_str(), a.role.as_str(), a.outcome.as_str())).collect();
    assert_eq!(
        outcomes,
        vec![
            ("amy", "ADVISOR", "refused"),
            ("sam", "SUPERVISOR", "refused"),
            ("sam", "SUPERVISOR", "ok"),
            ("sam", "SUPERVISOR", "ok"),
            ("sam", "SUPERVISOR", "ok")
        ]
    );
    assert!(audit.iter().all(|a| a.action == "set_algo_config"));
    assert_eq!(audit[0].code.as_deref(), Some("forbidden"));
}

fn a_tampered_schema_is_refused_and_left_untouched(db: &Db) {
    drop(Ledger::open(&db.target).unwrap());
    let tables = |t: &blotter::store::DbTarget| scalars(t, "SELECT COUNT(*) FROM engines");
    // The applied migration no longer matches this build's (edited by hand, or corrupt).
    execute(&db.target, "UPDATE blotter_migrations SET checksum = '\\x0102' WHERE version = 1");
    let before = tables(&db.target);
    let err = Ledger::open(&db.target).unwrap_err().to_string();
    assert!(err.contains("schema version 1 in the database differs") && err.contains("nothing was changed"), "{err}");
    assert_eq!(tables(&db.target), before);
    // Ledger tables without their history cannot be trusted either.
    execute(&db.target, "DROP TABLE blotter_migrations");
    let err = Ledger::open(&db.target).unwrap_err().to_string();
    assert!(err.contains("has ledger tables") && err.contains("no schema history"), "{err}");
    let history = match &db.target {
        blotter::store::DbTarget::Sqlite(_) => "SELECT COUNT(*) FROM sqlite_master WHERE name = 'blotter_migrations'",
        blotter::store::DbTarget::Postgres(_) => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'blotter_migrations'"
        }
    };
    assert_eq!(scalars(&db.target, history), vec![0], "the refused open did not recreate the history");
    assert_eq!(tables(&db.target), before);
}

/// A ledger written by a version 1 build (its migration applied alone, as that
/// build did) is upgraded to this build's schema on open, its rows kept.
fn a_version_1_ledger_is_upgraded_in_place(db: &Db) {
    use sqlx::Connection;
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    sqlx::any::install_default_drivers();
    let url = match &db.target {
        blotter::store::DbTarget::Sqlite(p) => format!("sqlite://{}?mode=rwc", p.display()),
        blotter::store::DbTarget::Postgres(u) => u.clone(),
    };
    let v1 = include_str!("../../migrations/0001_ledger.sql");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let sql = sqlx::SqlSafeStr::into_sql_str(v1);
        let mut m =
            Migrator::with_migrations(vec![Migration::new(1, "ledger".into(), MigrationType::Simple, sql, false)]);
        m.dangerous_set_table_name("blotter_migrations");
        let mut c = sqlx::AnyConnection::connect(&url).await.unwrap();
        m.run(&mut c).await.unwrap();
        c.close().await.unwrap();
    });
    execute(
        &db.target,
        "INSERT INTO algo_config (tenant, algo, params, updated_by, updated_at) VALUES ('ws', 'twap', '{\"slices\":\"9\"}', 'sup', 1)",
    );
    assert_eq!(scalars(&db.target, "SELECT COUNT(*) FROM blotter_migrations"), [1]);
    let ledger = Ledger::open(&db.target).unwrap();
    let versions = blotter::store::schema_versions();
    assert_eq!(scalars(&db.target, "SELECT version FROM blotter_migrations ORDER BY version"), versions);
    let kept = ledger.algo_configs("ws").unwrap();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].enabled, "rows of version 1 stay enabled");
    assert_eq!(kept[0].params["slices"], "9");
    assert_eq!(scalars(&db.target, "SELECT COUNT(*) FROM tokens"), [0]);
    drop(ledger);
    // Opening again changes nothing.
    drop(Ledger::open(&db.target).unwrap());
    assert_eq!(
        scalars(&db.target, "SELECT COUNT(*) FROM blotter_migrations"),
        [i64::try_from(blotter::store::schema_versions().len()).unwrap()]
    );
}
