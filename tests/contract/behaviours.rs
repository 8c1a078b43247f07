//! Each behaviour of the client contract, written once over `Transport`.

use crate::Transport;
use crate::common::{ny, order};
use blotter::client::{
    AlgoConfig, AlgoSettings, Client, ClientError, ModeRequest, StreamItem, TcaGroupBy, TcaQuery, TradingMode,
};
use blotter::engine::view::OrderQuery;
use blotter::engine::{Amendment, EventKind};
use blotter::model::{AlgoKind, ParentId, ParentStatus, Price, Qty, Role, Side};
use futures_util::StreamExt;
use std::future::Future;
use std::time::Duration;

/// The error code of a call that must fail.
fn code<T: std::fmt::Debug>(r: Result<T, ClientError>) -> String {
    r.expect_err("the call should have been refused").code.to_string()
}

/// The error code and field of a call that must fail.
fn code_field<T: std::fmt::Debug>(r: Result<T, ClientError>) -> (String, Option<String>) {
    let e = r.expect_err("the call should have been refused");
    (e.code.to_string(), e.field)
}

/// Polls `f` until it holds, for at most `secs` seconds.
async fn eventually<F: FnMut() -> Fut, Fut: Future<Output = bool>>(what: &str, secs: u64, mut f: F) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !f().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn identity_health_and_mode<T: Transport>(t: &T) {
    let alice = t.as_("alice");
    let me = alice.whoami().await.unwrap();
    assert_eq!((me.user.as_ref(), me.tenant.as_ref(), me.role, me.paper_mode), ("alice", "ws", Role::Advisor, true));
    let h = alice.health().await.unwrap();
    assert_eq!((h.status.as_str(), h.paper_mode), ("ok", true), "{}", t.name());
    assert_eq!((h.engines.paper.as_str(), h.engines.live.as_str()), ("running", "unavailable"));
    assert_eq!((h.engines.date.as_str(), h.ledger.status.as_str()), ("2026-11-25", "memory"));
    let m = alice.mode().await.unwrap();
    assert_eq!((m.mode, m.paper_mode, m.live_available), (TradingMode::Paper, true, false));
    assert_eq!(code(alice.set_mode(ModeRequest { mode: TradingMode::Live }).await), "forbidden");
    assert_eq!(code(alice.set_mode(ModeRequest { mode: TradingMode::Paper }).await), "forbidden");
    let admin = t.as_("admin");
    let e = admin.set_mode(ModeRequest { mode: TradingMode::Live }).await.unwrap_err();
    assert_eq!(e.code, "live_not_enabled");
    assert!(e.message.contains("EXECUTION_LIVE_ENABLED=1") && e.message.contains("paper"), "{}", e.message);
    assert_eq!(admin.set_mode(ModeRequest { mode: TradingMode::Paper }).await.unwrap().mode, TradingMode::Paper);
    assert!(admin.health().await.unwrap().paper_mode);
    // Only a connection has a circuit breaker; it is closed while the sidecar answers.
    match alice.circuit() {
        None => assert_eq!(t.name(), "embedded"),
        Some(b) => assert_eq!((t.name(), b.state, b.failures), ("remote", blotter::client::BreakerState::Closed, 0)),
    }
    let persona = t.as_("uhnw_client");
    assert_eq!(code(persona.whoami().await), "forbidden", "a client persona is refused even its identity");
    assert!(alice.whoami().await.unwrap().controls.is_some(), "an advisor sees the controls their orders meet");
}

pub async fn submit_list_detail_and_paging<T: Transport>(t: &T) {
    let (alice, bob, sup) = (t.as_("alice"), t.as_("bob"), t.as_("sup"));
    let mut ids = Vec::new();
    for q in [1_000, 2_000, 3_000] {
        let row = alice.submit(order("AAPL", Side::Buy, q, AlgoKind::Twap, "09:30", "16:00", &[])).await.unwrap();
        assert_eq!((row.order.qty, row.order.owner.user.as_ref()), (Qty::from_int(q), "alice"));
        ids.push(row.order.id);
    }
    bob.submit(order("AAPL", Side::Sell, 500, AlgoKind::Twap, "09:30", "16:00", &[])).await.unwrap();
    let page = alice.orders(OrderQuery::default()).await.unwrap();
    let got: Vec<ParentId> = page.items.iter().map(|r| r.order.id).collect();
    assert_eq!((page.total, got), (3, vec![ids[2], ids[1], ids[0]]), "own orders, newest first");
    let p = alice.orders(OrderQuery { limit: 2, offset: 1, ..Default::default() }).await.unwrap();
    let got: Vec<ParentId> = p.items.iter().map(|r| r.order.id).collect();
    assert_eq!((p.total, p.offset, got), (3, 1, vec![ids[1], ids[0]]));
    assert_eq!(sup.orders(OrderQuery::default()).await.unwrap().total, 4, "supervisors see every desk");
    let by = |tenant: Option<&str>, user: Option<&str>| OrderQuery {
        tenant: tenant.map(str::to_string),
        user: user.map(str::to_string),
        ..Default::default()
    };
    assert_eq!(sup.orders(by(Some("az"), None)).await.unwrap().total, 1);
    assert_eq!(sup.orders(by(None, Some("alice"))).await.unwrap().total, 3);
    let q = OrderQuery { symbol: Some("MSFT".into()), ..Default::default() };
    assert_eq!(alice.orders(q).await.unwrap().total, 0);
    let q = OrderQuery { status: Some(ParentStatus::Cancelled), ..Default::default() };
    assert_eq!(alice.orders(q).await.unwrap().total, 0);
    let d = alice.order(ids[0]).await.unwrap();
    assert_eq!(d.row.order.id, ids[0]);
    assert_eq!(d.plan.last().map(|s| s.cum), Some(Qty::from_int(1_000)), "the plan covers the order");
    assert_eq!(code(bob.order(ids[0]).await), "not_found", "another desk's order does not exist for bob");
    assert_eq!(sup.order(ids[0]).await.unwrap().row.order.id, ids[0]);
    assert_eq!(code(alice.order(ParentId::local(99)).await), "not_found");
}

pub async fn order_life_cycle_amend_pause_resume_cancel<T: Transport>(t: &T) {
    let (alice, bob, rm, sup) = (t.as_("alice"), t.as_("bob"), t.as_("rm"), t.as_("sup"));
    let id =
        alice.submit(order("AAPL", Side::Buy, 10_000, AlgoKind::Twap, "09:30", "16:00", &[])).await.unwrap().order.id;
    let other =
        alice.submit(order("AAPL", Side::Buy, 1_000, AlgoKind::Twap, "09:30", "16:00", &[])).await.unwrap().order.id;
    let qty = |q: i64| Amendment { qty: Some(Qty::from_int(q)), limit_px: None, ..Default::default() };
    assert_eq!(alice.amend(id, qty(12_000)).await.unwrap().order.qty, Qty::from_int(12_000));
    let px = Price::parse("150").unwrap();
    let limited =
        alice.amend(id, Amendment { qty: None, limit_px: Some(Some(px)), ..Default::default() }).await.unwrap();
    assert_eq!(limited.order.limit_px, Some(px));
    let cleared = alice.amend(id, Amendment { qty: None, limit_px: Some(None), ..Default::default() }).await.unwrap();
    assert_eq!(cleared.order.limit_px, None);
    assert_eq!(code_field(alice.amend(id, qty(0)).await), ("invalid_qty".into(), Some("qty".into())));
    assert_eq!(code(alice.amend(id, Amendment::default()).await), "invalid_qty");
    assert_eq!(alice.pause(id).await.unwrap().order.status, ParentStatus::Paused);
    assert_ne!(alice.resume(id).await.unwrap().order.status, ParentStatus::Paused);
    assert_eq!(code(alice.resume(id).await), "state_conflict", "not paused");
    for c in [&bob, &rm] {
        assert_eq!(code(c.pause(id).await), "unknown_order", "only the owner (or a supervisor) acts");
        assert_eq!(code(c.cancel(id).await), "unknown_order");
        assert_eq!(code(c.amend(id, qty(5)).await), "unknown_order");
    }
    alice.cancel(id).await.unwrap();
    eventually("the cancel to complete", 20, || async {
        alice.order(id).await.unwrap().row.order.status == ParentStatus::Cancelled
    })
    .await;
    assert_eq!(code(alice.amend(id, qty(1)).await), "state_conflict", "a finished order cannot change");
    assert_eq!(code(alice.cancel(id).await), "state_conflict");
    assert_eq!(sup.pause(other).await.unwrap().order.status, ParentStatus::Paused, "supervisors act on any desk");
}

pub async fn refusals_change_nothing<T: Transport>(t: &T) {
    let (alice, sup) = (t.as_("alice"), t.as_("sup"));
    let seq = sup.health().await.unwrap().last_seq;
    let base = || order("AAPL", Side::Buy, 1_000, AlgoKind::Twap, "09:30", "16:00", &[]);
    let mut negative = base();
    negative.qty = Qty::from_int(-5);
    let mut unknown = base();
    unknown.symbol = "ZZZZ".into();
    let backwards = order("AAPL", Side::Buy, 1_000, AlgoKind::Twap, "10:00", "09:45", &[]);
    let bad_param = order("AAPL", Side::Buy, 1_000, AlgoKind::Twap, "09:30", "16:00", &[("slices", "0")]);
    let mut off_tick = base();
    off_tick.limit_px = Some(Price::parse("150.001").unwrap());
    let cases = [
        (negative, "invalid_qty", "qty"),
        (unknown, "unknown_symbol", "symbol"),
        (backwards, "invalid_window", "end"),
        (bad_param, "invalid_param", "params.slices"),
        (off_tick, "invalid_price", "limit_px"),
    ];
    let n = cases.len() as u64;
    for (req, c, f) in cases {
        assert_eq!(code_field(alice.submit(req).await), (c.to_string(), Some(f.to_string())), "{}", t.name());
    }
    assert_eq!(sup.orders(OrderQuery::default()).await.unwrap().total, 0, "no order was created");
    // The engine logs each refusal and nothing else.
    assert_eq!(sup.health().await.unwrap().last_seq, seq + n);
    let mut s = sup.subscribe(Some(seq)).await.unwrap();
    for _ in 0..n {
        let item = tokio::time::timeout(Duration::from_secs(5), s.next()).await.unwrap().unwrap();
        let StreamItem::Event(e) = item else { panic!("{item:?}") };
        assert!(matches!(e.kind, EventKind::Rejected { .. }), "{:?}", e.kind);
    }
}

pub async fn client_personas_are_refused_every_execution_call<T: Transport>(t: &T) {
    let req = || order("AAPL", Side::Buy, 100, AlgoKind::Twap, "09:30", "16:00", &[]);
    for r in Role::ALL.into_iter().filter(|r| !r.can_execute()) {
        let c = t.as_(&r.as_str().to_ascii_lowercase());
        let id = ParentId::local(1);
        let f = "forbidden";
        assert_eq!(code(c.submit(req()).await), f, "{r} submit on {}", t.name());
        assert_eq!(code(c.orders(OrderQuery::default()).await), f, "{r} orders");
        assert_eq!(code(c.order(id).await), f, "{r} order");
        assert_eq!(code(c.amend(id, Amendment::default()).await), f, "{r} amend");
        assert_eq!(code(c.cancel(id).await), f);
        assert_eq!(code(c.pause(id).await), f);
        assert_eq!(code(c.resume(id).await), f);
        assert_eq!(code(c.kill_all().await), f);
        assert_eq!(code(c.schedule(req()).await), f);
        assert_eq!(code(c.estimate(req()).await), f);
        assert_eq!(code(c.book("AAPL").await), f);
        assert_eq!(code(c.venues("AAPL").await), f);
        assert_eq!(code(c.tca(id).await), f);
        assert_eq!(code(c.tca_groups(TcaQuery::by(TcaGroupBy::Algo)).await), f);
        assert_eq!(code(c.algo_config(None).await), f);
        assert_eq!(code(c.algo_config(Some("ws")).await), f, "{r} reads its own tenant's layer");
        assert_eq!(code(c.set_algo_config(None, AlgoConfig::default()).await), f);
        assert_eq!(code(c.set_algo_config(Some("ws"), AlgoConfig::default()).await), f);
        assert_eq!(code(c.set_speed(10.0).await), f);
        assert_eq!(code(c.set_mode(ModeRequest { mode: TradingMode::Paper }).await), f);
        assert_eq!(c.subscribe(None).await.err().map(|e| e.code.to_string()), Some(f.to_string()), "{r} events");
        assert_eq!(code(c.risk().await), f);
        assert_eq!(code(c.set_execution("ws", false).await), f);
        assert_eq!(code(c.kill_tenant("ws").await), f);
        // Identity, mode, clock and reference data too (finding 7 of issue 14); health alone answers.
        assert_eq!(code(c.whoami().await), f, "{r} whoami");
        assert_eq!(code(c.mode().await), f, "{r} mode");
        assert_eq!(code(c.clock().await), f, "{r} clock");
        assert_eq!(code(c.instruments().await), f, "{r} instruments");
        assert!(c.health().await.unwrap().paper_mode);
    }
    assert_eq!(t.as_("sup").orders(OrderQuery::default()).await.unwrap().total, 0);
}

pub async fn kill_all_cancels_every_working_child_across_tenants<T: Transport>(t: &T) {
    let (alice, bob, sup) = (t.as_("alice"), t.as_("bob"), t.as_("sup"));
    // Limits far from the market: the children rest at the venues until cancelled.
    let mut buy = order("AAPL", Side::Buy, 20_000, AlgoKind::Twap, "09:30", "16:00", &[("slices", "2")]);
    buy.limit_px = Some(Price::parse("150").unwrap());
    let mut sell = order("AAPL", Side::Sell, 20_000, AlgoKind::Twap, "09:30", "16:00", &[("slices", "2")]);
    sell.limit_px = Some(Price::parse("400").unwrap());
    let a = alice.submit(buy).await.unwrap();
    let b = bob.submit(sell).await.unwrap();
    let ids = [a.order.id, b.order.id];
    eventually("children working on both desks", 20, || async {
        let rows = sup.orders(OrderQuery::default()).await.unwrap().items;
        rows.len() == 2 && rows.iter().all(|r| r.working.is_positive())
    })
    .await;
    assert_eq!(code(alice.kill_all().await), "forbidden", "an advisor has no kill switch");
    let mut killed = sup.kill_all().await.unwrap();
    killed.sort();
    assert_eq!(killed, ids.to_vec(), "both desks' working orders were hit");
    eventually("every child cancelled", 20, || async {
        let mut done = true;
        for id in ids {
            let d = sup.order(id).await.unwrap();
            done &= d.row.order.status == ParentStatus::Paused
                && d.row.working.is_zero()
                && !d.children.is_empty()
                && d.children.iter().all(|c| c.status.is_terminal());
        }
        done
    })
    .await;
    let sent: Vec<usize> =
        [alice.order(ids[0]).await, bob.order(ids[1]).await].into_iter().map(|d| d.unwrap().children.len()).collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (id, n) in ids.iter().zip(sent) {
        assert_eq!(sup.order(*id).await.unwrap().children.len(), n, "a paused order sends nothing new");
    }
}

pub async fn market_views_and_clock<T: Transport>(t: &T) {
    let (alice, sup) = (t.as_("alice"), t.as_("sup"));
    eventually("quotes on both sides", 10, || async {
        let b = alice.book("AAPL").await.unwrap().nbbo;
        b.bid.is_some() && b.ask.is_some()
    })
    .await;
    let book = alice.book("AAPL").await.unwrap();
    assert_eq!((book.symbol.as_ref(), book.venues.len()), ("AAPL", 5));
    let (bid, ask) = (book.nbbo.bid.unwrap().px, book.nbbo.ask.unwrap().px);
    assert!(bid < ask, "{bid} < {ask}");
    assert_eq!(code(alice.book("ZZZ").await), "not_found");
    let venues = alice.venues("AAPL").await.unwrap();
    assert_eq!(venues.len(), 5);
    assert!(venues.iter().all(|v| (0.0..=1.0).contains(&v.fill_prob)));
    assert!(venues.iter().any(|v| v.venue.as_ref() == "IEX" && v.latency_us >= 350.0), "IEX speed bump");
    assert_eq!(code(alice.venues("ZZZ").await), "not_found");
    let inst = alice.instruments().await.unwrap();
    let open = |s: &str| inst.iter().find(|i| i.symbol.as_ref() == s).map(|i| i.open_today);
    assert_eq!((open("AAPL"), open("MSFT")), (Some(true), Some(false)), "only AAPL is simulated");
    let clock = alice.clock().await.unwrap();
    assert!(clock.sessions.iter().any(|(s, _, tz)| s.as_ref() == "AAPL" && tz == "America/New_York"));
    let frozen = sup.set_speed(0.0).await.unwrap();
    assert_eq!(frozen.speed, Some(0.0));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(sup.clock().await.unwrap().now, frozen.now, "speed 0 stops the clock");
    assert_eq!(code_field(sup.set_speed(-1.0).await), ("invalid_speed".into(), Some("speed".into())));
    assert_eq!(code(sup.set_speed(1e9).await), "invalid_speed");
}

pub async fn schedule_and_estimate<T: Transport>(t: &T) {
    let alice = t.as_("alice");
    let req = order("AAPL", Side::Buy, 10_000, AlgoKind::Twap, "10:00", "11:00", &[("slices", "4")]);
    let plan = alice.schedule(req.clone()).await.unwrap();
    assert_eq!(plan.len(), 4);
    assert_eq!((plan[0].at, plan[3].cum), (ny("10:00"), Qty::from_int(10_000)));
    let e = alice.estimate(req.clone()).await.unwrap();
    assert_eq!((e.context.slices.len(), e.context.qty), (4, 10_000.0), "the estimate follows the schedule");
    let total: f64 = e.models.iter().filter(|m| e.total_of.contains(&m.model)).map(|m| m.bps).sum();
    assert!(e.total_bps > 0.0 && e.total_cost > 0.0 && (total - e.total_bps).abs() < 1e-9, "{e:?}");
    let sqrt = |e: &blotter::impact::Estimate| e.models.iter().find(|m| m.model == "sqrt").map(|m| m.bps).unwrap();
    let bigger = alice.estimate(order("AAPL", Side::Buy, 40_000, AlgoKind::Twap, "10:00", "11:00", &[])).await;
    assert!(sqrt(&bigger.unwrap()) > sqrt(&e), "more size, more impact");
    let mut zero = req.clone();
    zero.qty = Qty::ZERO;
    assert_eq!(code_field(alice.estimate(zero).await), ("invalid_qty".into(), Some("qty".into())));
    let mut unknown = req;
    unknown.symbol = "ZZZZ".into();
    assert_eq!(code(alice.schedule(unknown).await), "unknown_symbol");
    assert_eq!(alice.orders(OrderQuery::default()).await.unwrap().total, 0, "previews submit nothing");
}

/// One algorithm's settings.
fn settings(enabled: bool, params: &[(&str, &str)]) -> AlgoSettings {
    AlgoSettings { enabled, params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
}

/// One algorithm's line of a configuration: enabled, default params.
type Line<'a> = (AlgoKind, bool, &'a [(&'a str, &'a str)]);

/// A configuration of `(algorithm, enabled, params)`.
fn config(algos: &[Line<'_>]) -> AlgoConfig {
    AlgoConfig { algos: algos.iter().map(|(a, on, p)| (*a, settings(*on, p))).collect() }
}

pub async fn algo_config_round_trip_and_enforcement<T: Transport>(t: &T) {
    let (alice, sup) = (t.as_("alice"), t.as_("sup"));
    assert_eq!(alice.algo_config(None).await.unwrap(), AlgoConfig::default());
    let mut cfg = AlgoConfig::default();
    cfg.algos.insert(AlgoKind::Twap, settings(true, &[("slices", "6")]));
    assert_eq!(code(alice.set_algo_config(None, cfg.clone()).await), "forbidden");
    assert_eq!(sup.set_algo_config(None, cfg.clone()).await.unwrap(), cfg);
    assert_eq!(alice.algo_config(None).await.unwrap(), cfg);
    let row = alice.submit(order("AAPL", Side::Buy, 6_000, AlgoKind::Twap, "10:00", "11:00", &[])).await.unwrap();
    assert_eq!(row.order.params.get("slices").map(String::as_str), Some("6"), "the desk default applies");
    assert_eq!(alice.order(row.order.id).await.unwrap().plan.len(), 6);
    let mut bad = cfg.clone();
    bad.algos.insert(AlgoKind::Twap, settings(true, &[("slices", "0")]));
    let field = Some("algos.twap.params.slices".to_string());
    assert_eq!(code_field(sup.set_algo_config(None, bad).await), ("invalid_param".into(), field));
    bad = cfg.clone();
    bad.algos.insert(AlgoKind::Twap, settings(true, &[("bogus", "1")]));
    assert_eq!(code(sup.set_algo_config(None, bad).await), "invalid_param");
    assert_eq!(alice.algo_config(None).await.unwrap(), cfg, "a refused configuration changes nothing");
    let mut off = AlgoConfig::default();
    off.algos.insert(AlgoKind::Twap, settings(false, &[]));
    sup.set_algo_config(None, off).await.unwrap();
    let req = order("AAPL", Side::Buy, 1_000, AlgoKind::Twap, "10:00", "11:00", &[]);
    assert_eq!(code_field(alice.submit(req.clone()).await), ("algo_disabled".into(), Some("algo".into())));
    assert_eq!(code(alice.estimate(req.clone()).await), "algo_disabled");
    assert_eq!(code(alice.schedule(req).await), "algo_disabled");
}

pub async fn algo_config_tenant_layers_overlay_the_desk<T: Transport>(t: &T) {
    let (alice, bob, rm, sup, admin) = (t.as_("alice"), t.as_("bob"), t.as_("rm"), t.as_("sup"), t.as_("admin"));
    let desk =
        config(&[(AlgoKind::Twap, true, &[("slices", "5"), ("on_pause", "keep")]), (AlgoKind::Vwap, false, &[])]);
    assert_eq!(sup.set_algo_config(None, desk.clone()).await.unwrap(), desk);
    // ws: its own TWAP slices, VWAP asked for (the desk's "off" wins), POV off for ws alone.
    let ws =
        config(&[(AlgoKind::Twap, true, &[("slices", "7")]), (AlgoKind::Vwap, true, &[]), (AlgoKind::Pov, false, &[])]);
    assert_eq!(code(alice.set_algo_config(Some("ws"), ws.clone()).await), "forbidden", "{}", t.name());
    assert_eq!(admin.set_algo_config(Some("ws"), ws.clone()).await.unwrap(), ws);
    let merged = config(&[
        (AlgoKind::Twap, true, &[("slices", "7"), ("on_pause", "keep")]),
        (AlgoKind::Vwap, false, &[]),
        (AlgoKind::Pov, false, &[]),
    ]);
    assert_eq!(alice.algo_config(None).await.unwrap(), merged, "desk overlaid by ws's layer");
    assert_eq!(rm.algo_config(None).await.unwrap(), merged, "every ws member sees it");
    assert_eq!(bob.algo_config(None).await.unwrap(), desk, "az has no layer of its own");
    assert_eq!(sup.algo_config(None).await.unwrap(), desk, "hq has none either");
    // A layer alone: one's own tenant, or any tenant for supervisors.
    assert_eq!(alice.algo_config(Some("ws")).await.unwrap(), ws);
    assert_eq!(sup.algo_config(Some("ws")).await.unwrap(), ws);
    assert_eq!(sup.algo_config(Some("az")).await.unwrap(), AlgoConfig::default());
    assert_eq!(code(alice.algo_config(Some("az")).await), "forbidden", "another tenant's layer");
    for bad in ["", "a b", "x\ty"] {
        let f = Some("tenant".to_string());
        assert_eq!(code_field(sup.algo_config(Some(bad)).await), ("invalid_param".into(), f.clone()), "{bad:?}");
        assert_eq!(code_field(sup.set_algo_config(Some(bad), ws.clone()).await), ("invalid_param".into(), f));
    }
    let bad = config(&[(AlgoKind::Twap, true, &[("slices", "0")])]);
    assert_eq!(code(sup.set_algo_config(Some("ws"), bad).await), "invalid_param", "a layer is checked too");
    assert_eq!(sup.algo_config(Some("ws")).await.unwrap(), ws, "a refused layer changes nothing");
    // Orders see their tenant's view.
    let twap = order("AAPL", Side::Buy, 700, AlgoKind::Twap, "10:00", "11:00", &[]);
    let a = alice.submit(twap.clone()).await.unwrap();
    assert_eq!(a.order.params.get("slices").map(String::as_str), Some("7"), "ws's params win");
    assert_eq!(a.order.params.get("on_pause").map(String::as_str), Some("keep"), "the desk's fill in");
    let b = bob.submit(twap).await.unwrap();
    assert_eq!(b.order.params.get("slices").map(String::as_str), Some("5"), "az gets the desk's");
    let pov = order("AAPL", Side::Buy, 700, AlgoKind::Pov, "10:00", "11:00", &[]);
    assert_eq!(code(alice.submit(pov.clone()).await), "algo_disabled", "off for ws");
    bob.submit(pov).await.unwrap();
    let vwap = order("AAPL", Side::Buy, 700, AlgoKind::Vwap, "10:00", "11:00", &[]);
    assert_eq!(code(alice.submit(vwap).await), "algo_disabled", "the desk's off stays off");
    // Replacing the desk layer leaves the tenant's; emptying the tenant's removes it.
    let desk2 = config(&[(AlgoKind::Twap, true, &[("slices", "3")])]);
    sup.set_algo_config(None, desk2.clone()).await.unwrap();
    assert_eq!(alice.algo_config(Some("ws")).await.unwrap(), ws);
    let seen = alice.algo_config(None).await.unwrap();
    assert_eq!(seen.algos[&AlgoKind::Twap], settings(true, &[("slices", "7")]));
    assert!(seen.algos[&AlgoKind::Vwap].enabled, "the desk no longer disables VWAP");
    sup.set_algo_config(Some("ws"), AlgoConfig::default()).await.unwrap();
    assert_eq!(alice.algo_config(None).await.unwrap(), desk2);
    assert_eq!(alice.algo_config(Some("ws")).await.unwrap(), AlgoConfig::default());
}

pub async fn tca_per_order_and_aggregated<T: Transport>(t: &T) {
    let (alice, bob, sup) = (t.as_("alice"), t.as_("bob"), t.as_("sup"));
    let a = alice.submit(order("AAPL", Side::Buy, 3_000, AlgoKind::Twap, "09:30", "09:40", &[])).await.unwrap();
    let b = bob.submit(order("AAPL", Side::Sell, 2_000, AlgoKind::Twap, "09:30", "09:40", &[])).await.unwrap();
    // The clock crawled (1x) until both orders were in, so a loaded machine cannot see their window pass; now it runs.
    sup.set_speed(3_600.0).await.unwrap();
    let ids = [a.order.id, b.order.id];
    eventually("both orders to finish", 30, || async {
        let rows = sup.orders(OrderQuery { active: true, ..Default::default() }).await.unwrap();
        rows.total == 0
    })
    .await;
    let tca = alice.tca(ids[0]).await.unwrap();
    let filled = alice.order(ids[0]).await.unwrap().row.order.filled;
    assert!(filled.is_positive() && tca.arrival_px.is_some() && tca.interval_vwap.is_some());
    assert_eq!(tca.venues.iter().map(|v| v.exec.qty).sum::<Qty>(), filled);
    assert_eq!((tca.filled_qty, tca.side), (filled, Side::Buy));
    // The estimate fixed at submission beside the realised cost, on both transports.
    let pt = tca.pre_trade.as_ref().expect("the pre-trade estimate recorded at submission");
    assert_eq!(pt.estimate.qty, Qty::from_int(3_000));
    assert!((pt.estimate.spread_bps + pt.estimate.impact_bps - pt.estimate.total_bps).abs() < 1e-9);
    assert!(pt.estimate.impact_bps > 0.0 && pt.estimate.timing_risk_bps > 0.0, "{:?}", pt.estimate);
    let real = pt.realised.as_ref().expect("it filled");
    assert_eq!(real.filled, filled);
    let diff = pt.difference.as_ref().unwrap();
    assert!((diff.total_bps - (real.total_bps - pt.estimate.total_bps)).abs() < 1e-9);
    assert_eq!(code(bob.tca(ids[0]).await), "not_found");
    let total: Qty =
        [alice.order(ids[0]).await, bob.order(ids[1]).await].into_iter().map(|d| d.unwrap().row.order.filled).sum();
    let by_algo = sup.tca_groups(TcaQuery::by(TcaGroupBy::Algo)).await.unwrap();
    assert_eq!(by_algo.len(), 1);
    assert_eq!((by_algo[0].key.as_str(), by_algo[0].orders, by_algo[0].filled_qty), ("twap", 2, total));
    assert!(by_algo[0].arrival_slippage_bps.is_some() && by_algo[0].fills > 0);
    let by_venue = sup.tca_groups(TcaQuery::by(TcaGroupBy::Venue)).await.unwrap();
    assert!(!by_venue.is_empty());
    assert_eq!(by_venue.iter().map(|g| g.filled_qty).sum::<Qty>(), total, "venues add up to the orders");
    assert!(by_venue.iter().all(|g| g.fills > 0 && g.orders >= 1));
    assert_eq!(code(alice.tca_groups(TcaQuery::by(TcaGroupBy::Venue)).await), "forbidden", "aggregates span desks");
    // By desk: alice's and bob's tenants apart; by day: this engine's one day.
    let by_desk = sup.tca_groups(TcaQuery::by(TcaGroupBy::Desk)).await.unwrap();
    let desks: Vec<(&str, usize)> = by_desk.iter().map(|g| (g.key.as_str(), g.orders)).collect();
    assert_eq!(desks, [("az", 1), ("ws", 1)], "{by_desk:?}");
    assert_eq!(by_desk.iter().map(|g| g.filled_qty).sum::<Qty>(), total);
    let by_day = sup.tca_groups(TcaQuery::by(TcaGroupBy::Day)).await.unwrap();
    assert_eq!(by_day.len(), 1);
    assert_eq!((by_day[0].key.as_str(), by_day[0].orders, by_day[0].filled_qty), ("2026-11-25", 2, total));
    // The period bounds the simulated time of completion: both ran 09:30-09:40 New York.
    let at = |s: &str| Some(chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc());
    let algo = TcaQuery::by(TcaGroupBy::Algo);
    let around = sup.tca_groups(algo.between(at("2026-11-25T14:30:00Z"), at("2026-11-25T15:00:00Z"))).await;
    assert_eq!(around.unwrap(), by_algo, "the whole period");
    let done: Vec<_> = [alice.order(ids[0]).await, bob.order(ids[1]).await]
        .into_iter()
        .map(|d| d.unwrap().row.order.done_at.expect("finished"))
        .collect();
    let last = *done.iter().max().unwrap();
    let first = *done.iter().min().unwrap();
    let utc = |ts: blotter::model::Timestamp| Some(chrono::DateTime::from_timestamp_nanos(ts.0));
    let only_last = sup.tca_groups(TcaQuery::by(TcaGroupBy::Desk).between(utc(last), None)).await.unwrap();
    let expect = if first == last { 2 } else { 1 };
    assert_eq!(only_last.iter().map(|g| g.orders).sum::<usize>(), expect, "since is inclusive: {only_last:?}");
    let before_last = sup.tca_groups(TcaQuery::by(TcaGroupBy::Desk).between(None, utc(last))).await.unwrap();
    assert_eq!(before_last.iter().map(|g| g.orders).sum::<usize>(), 2 - expect, "until is exclusive");
    for (since, until) in [(at("2026-11-26T00:00:00Z"), None), (None, at("2026-11-25T14:30:00Z"))] {
        let none = sup.tca_groups(algo.between(since, until)).await.unwrap();
        assert!(none.is_empty(), "{since:?}..{until:?}: {none:?}");
    }
    let e = alice.tca_groups(algo.between(at("2026-11-25T14:30:00Z"), None)).await;
    assert_eq!(code(e), "forbidden");
}

async fn collect_until(s: &mut blotter::client::EventStream, done: &mut dyn FnMut(&EventKind) -> bool) -> Vec<u64> {
    let mut seqs = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let item = tokio::time::timeout_at(deadline, s.next()).await.expect("events in time").expect("stream open");
        if let StreamItem::Event(e) = item {
            seqs.push(e.seq);
            if done(&e.kind) {
                return seqs;
            }
        }
    }
}

pub async fn event_stream_is_ordered_visible_and_resumable<T: Transport>(t: &T) {
    let (alice, bob, sup) = (t.as_("alice"), t.as_("bob"), t.as_("sup"));
    let mut all = sup.subscribe(None).await.unwrap();
    let mut bobs = bob.subscribe(None).await.unwrap();
    let a = alice.submit(order("AAPL", Side::Buy, 3_000, AlgoKind::Twap, "09:30", "09:35", &[])).await.unwrap();
    let b = bob.submit(order("AAPL", Side::Sell, 2_000, AlgoKind::Twap, "09:30", "09:35", &[])).await.unwrap();
    // The clock crawled (1x) until both orders were in; now it runs.
    sup.set_speed(3_600.0).await.unwrap();
    let (aid, bid) = (a.order.id, b.order.id);
    let mut finished = 0;
    let seqs = collect_until(&mut all, &mut |k| {
        finished += matches!(k, EventKind::Done { .. }) as usize;
        finished == 2
    })
    .await;
    assert!(seqs.len() > 10, "{}", t.name());
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "gap or duplicate in {seqs:?}");
    // Bob sees his order's events only.
    let mut bob_seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let item = tokio::time::timeout_at(deadline, bobs.next()).await.unwrap().unwrap();
        let StreamItem::Event(e) = item else { continue };
        assert_ne!(e.kind.parent(), Some(aid), "bob must not see alice's events");
        let done = matches!(e.kind, EventKind::Done { parent, .. } if parent == bid);
        bob_seen.push(e.seq);
        if done {
            break;
        }
    }
    assert!(bob_seen.len() > 3 && bob_seen.windows(2).all(|w| w[1] > w[0]));
    // Resuming after any event replays exactly what followed it.
    let k = seqs[5];
    let mut resumed = sup.subscribe(Some(k)).await.unwrap();
    let last = *seqs.last().unwrap();
    let mut again = Vec::new();
    while again.last() != Some(&last) {
        let item = tokio::time::timeout(Duration::from_secs(10), resumed.next()).await.unwrap().unwrap();
        if let StreamItem::Event(e) = item {
            again.push(e.seq);
        }
    }
    assert_eq!(again, seqs[6..].to_vec());
}

pub async fn risk_controls_apply_to_every_desk<T: Transport>(t: &T) {
    use blotter::risk::{Limits, TradingState};
    let (alice, bob, sup) = (t.as_("alice"), t.as_("bob"), t.as_("sup"));
    let req = |q: i64| order("AAPL", Side::Buy, q, AlgoKind::Twap, "09:30", "16:00", &[]);
    assert_eq!(code(alice.risk().await), "forbidden");
    assert_eq!(code(alice.set_execution("ws", false).await), "forbidden");
    let limits = Limits { max_order_qty: Some(Qty::from_int(500)), ..Limits::default() };
    let view = sup.set_limits("ws", None, limits.clone()).await.unwrap();
    let ws = view.tenants.iter().find(|t| t.tenant == "ws").expect("ws in the risk view");
    assert_eq!(ws.limits, limits);
    assert_eq!(code(alice.submit(req(1_000)).await), "risk_limit");
    let mine = alice.submit(req(400)).await.unwrap().order.id;
    let bobs = bob.submit(req(1_000)).await.unwrap().order.id;
    sup.set_execution("ws", false).await.unwrap();
    assert_eq!(code(alice.submit(req(100)).await), "execution_disabled");
    sup.set_execution("ws", true).await.unwrap();
    let halted = sup.set_trading_state(Some("ws"), TradingState::Halted).await.unwrap();
    assert!(halted.tenants.iter().any(|t| t.tenant == "ws" && t.state == TradingState::Halted));
    assert_eq!(code(alice.submit(req(100)).await), "halted");
    bob.submit(req(100)).await.unwrap();
    sup.set_trading_state(Some("ws"), TradingState::Active).await.unwrap();
    // The per-tenant kill switch hits that desk only.
    assert_eq!(code(bob.kill_tenant("az").await), "forbidden");
    let killed = sup.kill_tenant("az").await.unwrap();
    assert!(killed.contains(&bobs) && !killed.contains(&mine), "{killed:?}");
    assert_eq!(sup.order(bobs).await.unwrap().row.order.status, ParentStatus::Paused);
    assert_ne!(sup.order(mine).await.unwrap().row.order.status, ParentStatus::Paused);
    let az = sup.risk().await.unwrap();
    assert!(az.tenants.iter().any(|t| t.tenant == "az" && t.state == TradingState::Halted));
}

pub async fn user_overrides_and_every_desk_state<T: Transport>(t: &T) {
    use blotter::risk::{Limits, TradingState};
    let (alice, bob, sup) = (t.as_("alice"), t.as_("bob"), t.as_("sup"));
    let req = |q: i64| order("AAPL", Side::Buy, q, AlgoKind::Twap, "09:30", "16:00", &[]);
    // One user's override on a desk: alice is held to 200, the rest of ws is not.
    let tight = Limits { max_order_qty: Some(Qty::from_int(200)), ..Limits::default() };
    assert_eq!(code(alice.set_limits("ws", Some("alice"), tight.clone()).await), "forbidden");
    let view = sup.set_limits("ws", Some("alice"), tight.clone()).await.unwrap();
    let ws = view.tenants.iter().find(|t| t.tenant == "ws").expect("ws in the risk view");
    assert_eq!(ws.users, vec![("alice".to_string(), tight)]);
    assert_eq!(ws.limits, Limits::default(), "the desk's own limits are untouched");
    assert_eq!(code(alice.submit(req(300)).await), "risk_limit");
    let working = alice.submit(req(150)).await.unwrap().order.id;
    bob.submit(req(300)).await.unwrap();
    // Every desk at once: HALTED refuses new orders everywhere without pausing any; ACTIVE lifts it.
    assert_eq!(code(alice.set_trading_state(None, TradingState::Halted).await), "forbidden");
    let halted = sup.set_trading_state(None, TradingState::Halted).await.unwrap();
    assert!(halted.global_halt && halted.tenants.iter().all(|t| t.state == TradingState::Halted), "{halted:?}");
    assert_eq!(code(alice.submit(req(100)).await), "halted");
    assert_eq!(code(bob.submit(req(100)).await), "halted");
    assert_ne!(sup.order(working).await.unwrap().row.order.status, ParentStatus::Paused, "not the kill switch");
    let active = sup.set_trading_state(None, TradingState::Active).await.unwrap();
    assert!(!active.global_halt && active.tenants.iter().all(|t| t.state == TradingState::Active), "{active:?}");
    bob.submit(req(100)).await.unwrap();
}

/// Attack round 2: the book's `ours` listed every desk's resting children, so
/// an advisor saw another desk's orders (their side, price, size and queue
/// position) in `GET /v1/book/{symbol}`. Each caller sees their own there; a
/// supervisor every desk's. Likewise the venues' routed quantities.
pub async fn the_book_shows_each_desk_its_own_resting_orders<T: Transport>(t: &T) {
    let (alice, bob, sup) = (t.as_("alice"), t.as_("bob"), t.as_("sup"));
    eventually("quotes on both sides", 10, || async {
        let b = alice.book("AAPL").await.unwrap().nbbo;
        b.bid.is_some() && b.ask.is_some()
    })
    .await;
    // Two dollars under the bid: passive, it rests.
    let bid = alice.book("AAPL").await.unwrap().nbbo.bid.unwrap().px;
    let mut req = order("AAPL", Side::Buy, 1_000, AlgoKind::Twap, "09:30", "16:00", &[]);
    req.limit_px = Some(bid - Price::from_int(2));
    bob.submit(req).await.unwrap();
    let resting = |v: &blotter::engine::view::BookView| v.venues.iter().map(|v| v.ours.len()).sum::<usize>();
    eventually("bob's child resting", 15, || async { resting(&bob.book("AAPL").await.unwrap()) > 0 }).await;
    let (b, s, a) =
        (bob.book("AAPL").await.unwrap(), sup.book("AAPL").await.unwrap(), alice.book("AAPL").await.unwrap());
    assert!(b.venues.iter().flat_map(|v| &v.ours).all(|o| o.px <= bid - Price::from_int(2)), "bob's own: {b:?}");
    assert!(resting(&s) >= 1, "the supervisor sees every desk's: {s:?}");
    assert_eq!(resting(&a), 0, "alice (desk ws) sees none of bob's (desk az): {:?}", a.venues);
    // The venues' routed quantities count every desk's orders: watching them
    // grow, alice saw bob trade. They are the supervisor's.
    for v in alice.venues("AAPL").await.unwrap() {
        let counts = [v.passive_posted, v.passive_filled, v.aggressive_sent, v.aggressive_filled];
        assert_eq!(counts, [None; 4], "{}: desk-wide counts shown to an advisor", v.venue);
    }
    assert!(
        sup.venues("AAPL").await.unwrap().iter().all(|v| v.passive_posted.is_some() && v.aggressive_sent.is_some())
    );
}

/// Figures past a double's 17 digits reach the engine as sent on both
/// transports (the remote client sent `123456789012.345678` as a float, which
/// the server refused as `invalid_body`: it would have read 123456789012.34567),
/// and the engine's answer names them digit for digit.
pub async fn figures_cross_the_wire_exactly<T: Transport>(t: &T) {
    let alice = t.as_("alice");
    let mut o = order("AAPL", Side::Buy, 100, AlgoKind::Twap, "09:30", "16:00", &[]);
    o.qty = Qty::parse("123456789012.345678").unwrap();
    let e = alice.submit(o).await.expect_err("AAPL trades whole shares");
    assert_eq!((e.code.as_str(), e.field.as_deref()), ("invalid_qty", Some("qty")), "{}: {}", t.name(), e.message);
    assert!(e.message.starts_with("123456789012.345678 is not a multiple of the lot size 1"), "{}", e.message);
    for px in ["0.00000001", "999999.99999999", "229.000000001"] {
        let mut o = order("AAPL", Side::Buy, 100, AlgoKind::Twap, "09:30", "16:00", &[]);
        o.limit_px = Some(Price::parse(px).unwrap());
        let e = alice.submit(o).await.expect_err("off the 0.01 tick");
        assert_eq!((e.code.as_str(), e.field.as_deref()), ("invalid_price", Some("limit_px")), "{}", e.message);
        assert!(e.message.starts_with(&format!("{px} is not a multiple of the tick size")), "{}", e.message);
    }
    // An accepted order's figures come back as sent.
    let mut o = order("AAPL", Side::Buy, 100, AlgoKind::Twap, "09:30", "16:00", &[]);
    o.qty = Qty::from_int(123_457);
    let row = alice.submit(o).await.unwrap();
    let d = alice.order(row.order.id).await.unwrap();
    assert_eq!((row.order.qty, d.row.order.qty), (Qty::from_int(123_457), Qty::from_int(123_457)));
}
