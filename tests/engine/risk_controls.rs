//! Pre-trade risk controls in the engine's command layer: every limit at and
//! just over its value, warnings with and without acknowledgement, trading
//! states, execution enablement and the kill switch.

use crate::common;

use blotter::engine::{Actor, Command, Engine, EngineConfig, EventKind, OrderRequest, RejectCode};
use blotter::market::Universe;
use blotter::model::{AlgoKind, Money, ParentStatus, Price, Qty, Role, Side};
use blotter::risk::{Limits, RiskConfig, TradingState};
use common::*;
use std::sync::Arc;

fn sup() -> Actor {
    Actor { user: "sup".into(), tenant: "hq".into(), role: Role::Supervisor }
}
fn alice() -> Actor {
    Actor { user: "alice".into(), tenant: "ws".into(), role: Role::Advisor }
}
fn bob() -> Actor {
    Actor { user: "bob".into(), tenant: "az".into(), role: Role::Advisor }
}

fn buy(qty: i64) -> OrderRequest {
    order("AAPL", Side::Buy, qty, AlgoKind::Twap, "09:30", "10:30", &[])
}

fn with_limits(limits: Limits) -> Engine {
    let mut e = engine(1, &["AAPL", "MSFT"]);
    e.apply(&sup(), Command::SetLimits { tenant: "ws".into(), user: None, limits }).unwrap();
    e
}

fn reject(e: &mut Engine, who: &Actor, req: OrderRequest) -> (RejectCode, Option<String>, String) {
    let r = e.apply(who, Command::Submit(req)).unwrap_err();
    (r.code, r.field, r.message)
}

#[test]
fn max_order_qty_at_and_over() {
    let mut e = with_limits(Limits { max_order_qty: Some(Qty::from_int(5_000)), ..Limits::default() });
    assert!(e.apply(&alice(), Command::Submit(buy(5_000))).is_ok());
    let (code, field, msg) = reject(&mut e, &alice(), buy(5_001));
    assert_eq!((code, field.as_deref()), (RejectCode::RiskLimit, Some("max_order_qty")));
    assert_eq!(msg, "risk limit breached: max_order_qty: limit 5000, order 5001");
}

#[test]
fn max_order_notional_names_limit_and_order_value() {
    // AAPL opens at 230.00 +/- a spread: 4,000 shares is ~920,000 USD.
    let mut e = with_limits(Limits { max_order_notional: Some(Money::from_int(1_000_000)), ..Limits::default() });
    assert!(e.apply(&alice(), Command::Submit(buy(4_000))).is_ok());
    let (code, field, msg) = reject(&mut e, &alice(), buy(5_000));
    assert_eq!((code, field.as_deref()), (RejectCode::RiskLimit, Some("max_order_notional")));
    assert!(msg.contains("limit 1,000,000 USD, order 1,15"), "{msg}");
}

#[test]
fn adv_percentage_hard_limit_and_warning() {
    // AAPL ADV is 55,000,000: 1% = 550,000 shares.
    let mut e = with_limits(Limits { max_adv_pct: Some(2.0), warn_adv_pct: Some(1.0), ..Limits::default() });
    assert!(e.apply(&alice(), Command::Submit(buy(550_000))).is_ok(), "exactly at the warning threshold passes");
    let (code, field, msg) = reject(&mut e, &alice(), buy(550_100));
    assert_eq!((code, field.as_deref()), (RejectCode::RiskWarning, Some("acknowledge_warnings")));
    assert!(msg.contains("warn_adv_pct: limit 1.00% of ADV, order 1.00% of ADV") || msg.contains("order 1.0"), "{msg}");
    let mut acked = buy(550_100);
    acked.acknowledge_warnings = true;
    let id = e.apply(&alice(), Command::Submit(acked)).unwrap().unwrap();
    let events = e.drain_events();
    assert!(events.iter().any(|ev| matches!(&ev.kind, EventKind::RiskWarning { parent, findings, .. } if *parent == id && findings[0].limit == "warn_adv_pct")));
    let mut over = buy(1_100_100);
    over.acknowledge_warnings = true;
    let (code, field, _) = reject(&mut e, &alice(), over);
    assert_eq!(
        (code, field.as_deref()),
        (RejectCode::RiskLimit, Some("max_adv_pct")),
        "acknowledgement does not lift a hard limit"
    );
}

#[test]
fn price_collar() {
    let mut e = with_limits(Limits { price_collar_bps: Some(100.0), ..Limits::default() });
    let mut near = buy(100);
    near.limit_px = Some(Price::parse("231.00").unwrap()); // ~43 bps from 230
    assert!(e.apply(&alice(), Command::Submit(near)).is_ok());
    let mut far = buy(100);
    far.limit_px = Some(Price::parse("235.00").unwrap()); // ~217 bps
    let (code, field, _) = reject(&mut e, &alice(), far);
    assert_eq!((code, field.as_deref()), (RejectCode::RiskLimit, Some("price_collar_bps")));
}

#[test]
fn restricted_symbols_open_orders_and_daily_notional() {
    let mut l =
        Limits { max_open_orders: Some(2), max_daily_notional: Some(Money::from_int(700_000)), ..Limits::default() };
    l.restricted_symbols.insert("MSFT".into());
    let mut e = with_limits(l);
    let (code, field, _) =
        reject(&mut e, &alice(), order("MSFT", Side::Buy, 10, AlgoKind::Twap, "09:30", "10:00", &[]));
    assert_eq!((code, field.as_deref()), (RejectCode::RiskLimit, Some("restricted_symbols")));
    e.apply(&alice(), Command::Submit(buy(1_000))).unwrap(); // ~230k
    e.apply(&alice(), Command::Submit(buy(1_000))).unwrap(); // ~460k
    let (code, field, _) = reject(&mut e, &alice(), buy(1));
    assert_eq!((code, field.as_deref()), (RejectCode::RiskLimit, Some("max_open_orders")));
    // Another user of the same tenant has their own count, but the daily notional caps them too.
    let carol = Actor { user: "carol".into(), tenant: "ws".into(), role: Role::Advisor };
    e.apply(&carol, Command::Submit(buy(2_000))).unwrap(); // ~460k of her own
    let (code, field, _) = reject(&mut e, &carol, buy(1_100));
    assert_eq!((code, field.as_deref()), (RejectCode::RiskLimit, Some("max_daily_notional")));
}

#[test]
fn a_finished_order_frees_its_open_order_slot() {
    let mut e = with_limits(Limits { max_open_orders: Some(1), ..Limits::default() });
    let first = e.apply(&alice(), Command::Submit(buy(100))).unwrap().unwrap();
    assert_eq!(reject(&mut e, &alice(), buy(100)).1.as_deref(), Some("max_open_orders"));
    e.run_until(ny("09:45"));
    e.apply(&alice(), Command::Cancel { id: first }).unwrap();
    e.run_until(ny("09:50"));
    assert_eq!(e.parent(first).unwrap().status, ParentStatus::Cancelled);
    assert!(e.apply(&alice(), Command::Submit(buy(100))).is_ok(), "the cancelled order no longer counts");
    assert_eq!(reject(&mut e, &alice(), buy(100)).1.as_deref(), Some("max_open_orders"));
}

#[test]
fn user_override_beats_tenant_limit() {
    let mut e = with_limits(Limits { max_order_qty: Some(Qty::from_int(100)), ..Limits::default() });
    e.apply(
        &sup(),
        Command::SetLimits {
            tenant: "ws".into(),
            user: Some("alice".into()),
            limits: Limits { max_order_qty: Some(Qty::from_int(1_000)), ..Limits::default() },
        },
    )
    .unwrap();
    assert!(e.apply(&alice(), Command::Submit(buy(1_000))).is_ok());
    let carol = Actor { user: "carol".into(), tenant: "ws".into(), role: Role::Advisor };
    assert_eq!(reject(&mut e, &carol, buy(101)).0, RejectCode::RiskLimit);
}

#[test]
fn only_supervisors_change_risk() {
    let mut e = engine(1, &["AAPL"]);
    for cmd in [
        Command::SetLimits { tenant: "ws".into(), user: None, limits: Limits::default() },
        Command::SetTradingState { tenant: Some("ws".into()), state: TradingState::Active },
        Command::SetExecution { tenant: "ws".into(), enabled: true },
        Command::KillTenant { tenant: "ws".into() },
        Command::KillAll,
    ] {
        assert_eq!(e.apply(&alice(), cmd.clone()).unwrap_err().code, RejectCode::Forbidden, "{cmd:?}");
    }
    assert_eq!(e.risk_view(&alice()).unwrap_err().code, RejectCode::Forbidden);
    let bad = Limits { warn_adv_pct: Some(5.0), max_adv_pct: Some(4.0), ..Limits::default() };
    let r = e.apply(&sup(), Command::SetLimits { tenant: "ws".into(), user: None, limits: bad }).unwrap_err();
    assert_eq!(r.field.as_deref(), Some("warn_adv_pct"));
}

#[test]
fn new_tenants_need_enabling_on_a_server() {
    let mut cfg = EngineConfig::new(1, date());
    cfg.symbols = Some(vec!["AAPL".into()]);
    cfg.risk = RiskConfig { new_tenants_enabled: false, enabled_tenants: vec!["ws".into()], ..RiskConfig::default() };
    let mut e = Engine::new(Arc::new(Universe::builtin()), cfg).unwrap();
    assert!(e.apply(&alice(), Command::Submit(buy(100))).is_ok());
    let (code, _, msg) = reject(&mut e, &bob(), buy(100));
    assert_eq!(code, RejectCode::ExecutionDisabled);
    assert!(msg.contains("'az'"), "{msg}");
    e.apply(&sup(), Command::SetExecution { tenant: "az".into(), enabled: true }).unwrap();
    assert!(e.apply(&bob(), Command::Submit(buy(100))).is_ok());
}

#[test]
fn halted_refuses_new_and_increase_allows_cancel() {
    let mut e = engine(1, &["AAPL"]);
    let id = e.apply(&alice(), Command::Submit(buy(2_000))).unwrap().unwrap();
    e.run_until(ny("09:45"));
    e.apply(&sup(), Command::SetTradingState { tenant: Some("ws".into()), state: TradingState::Halted }).unwrap();
    assert_eq!(reject(&mut e, &alice(), buy(100)).0, RejectCode::Halted);
    let up = blotter::engine::Amendment { qty: Some(Qty::from_int(3_000)), limit_px: None, ..Default::default() };
    assert_eq!(e.apply(&alice(), Command::Amend { id, change: up }).unwrap_err().code, RejectCode::Halted);
    // Other tenants still trade.
    assert!(e.apply(&bob(), Command::Submit(buy(100))).is_ok());
    e.apply(&alice(), Command::Cancel { id }).unwrap();
    e.run_until(ny("09:46"));
    assert_eq!(e.parent(id).unwrap().status, ParentStatus::Cancelled);
}

/// Alice's desk ("ws") bought 1,000 AAPL, then was set REDUCING.
fn long_1000_reducing() -> Engine {
    let mut e = engine(1, &["AAPL"]);
    let id = e
        .apply(&alice(), Command::Submit(order("AAPL", Side::Buy, 1_000, AlgoKind::Twap, "09:30", "09:45", &[])))
        .unwrap()
        .unwrap();
    e.run_until_idle();
    assert_eq!(e.parent(id).unwrap().filled, Qty::from_int(1_000));
    e.apply(&sup(), Command::SetTradingState { tenant: Some("ws".into()), state: TradingState::Reducing }).unwrap();
    e
}

#[test]
fn reducing_allows_only_orders_towards_flat() {
    let mut e = long_1000_reducing();
    let (code, _, msg) = reject(&mut e, &alice(), buy(10));
    assert_eq!(code, RejectCode::Reducing);
    assert!(msg.contains("position in AAPL is 1000"), "{msg}");
    let too_much = order("AAPL", Side::Sell, 1_001, AlgoKind::Twap, "10:00", "10:30", &[]);
    assert_eq!(reject(&mut e, &alice(), too_much).0, RejectCode::Reducing);
    assert!(
        e.apply(&alice(), Command::Submit(order("AAPL", Side::Sell, 1_000, AlgoKind::Twap, "10:00", "10:30", &[])))
            .is_ok()
    );
}

/// REDUCING looked at each order alone: with 1,000 bought, two sells of
/// 1,000 each passed (each "towards flat"), and together they would leave the
/// desk 1,000 short. The desk's working orders on the same side count too:
/// 600 and 400 fit, one more share does not, and raising one of them past
/// what is left (an amend) is refused as well.
#[test]
fn reducing_counts_the_desks_working_orders_not_each_alone() {
    let mut e = long_1000_reducing();
    let sell = |qty| order("AAPL", Side::Sell, qty, AlgoKind::Twap, "10:00", "10:30", &[]);
    let first = e.apply(&alice(), Command::Submit(sell(600))).unwrap().unwrap();
    // Another user of the same desk: the desk's position is one.
    let carol = Actor { user: "carol".into(), tenant: "ws".into(), role: Role::Advisor };
    e.apply(&carol, Command::Submit(sell(400))).unwrap();
    let (code, _, msg) = reject(&mut e, &alice(), sell(1));
    assert_eq!(code, RejectCode::Reducing, "{msg}");
    assert!(msg.contains("1000 already working"), "{msg}");
    let more =
        blotter::engine::Amendment { qty: Some(Qty::from_int(601)), limit_px: None, acknowledge_warnings: false };
    let r = e.apply(&alice(), Command::Amend { id: first, change: more }).unwrap_err();
    assert_eq!(r.code, RejectCode::Reducing, "{}", r.message);
    // Down, then up within what is left: passes (the order is not counted twice).
    let to =
        |q| blotter::engine::Amendment { qty: Some(Qty::from_int(q)), limit_px: None, acknowledge_warnings: false };
    e.apply(&alice(), Command::Amend { id: first, change: to(500) }).unwrap();
    e.apply(&alice(), Command::Amend { id: first, change: to(600) }).unwrap();
}

#[test]
fn kill_all_across_tenants_halts_and_needs_a_supervisor_to_resume() {
    let mut e = engine(1, &["AAPL", "MSFT"]);
    let a = e.apply(&alice(), Command::Submit(buy(20_000))).unwrap().unwrap();
    let b = e
        .apply(&bob(), Command::Submit(order("MSFT", Side::Sell, 20_000, AlgoKind::Twap, "09:30", "10:30", &[])))
        .unwrap()
        .unwrap();
    e.run_until(ny("09:50"));
    assert!(e.working(a).is_positive() || e.working(b).is_positive(), "something is working before the kill");
    e.apply(&sup(), Command::KillAll).unwrap();
    e.run_until(ny("09:51"));
    for id in [a, b] {
        assert_eq!(e.parent(id).unwrap().status, ParentStatus::Paused);
        assert_eq!(e.working(id), Qty::ZERO, "every working child cancelled");
        assert!(e.children(id).iter().all(|c| c.status.is_terminal()));
    }
    assert_eq!(reject(&mut e, &alice(), buy(1)).0, RejectCode::Halted);
    assert_eq!(e.apply(&alice(), Command::Resume { id: a }).unwrap_err().code, RejectCode::Halted);
    // A tenant first seen after a global kill is halted too.
    let newcomer = Actor { user: "dan".into(), tenant: "new".into(), role: Role::Advisor };
    assert_eq!(reject(&mut e, &newcomer, buy(1)).0, RejectCode::Halted);
    e.apply(&sup(), Command::SetTradingState { tenant: None, state: TradingState::Active }).unwrap();
    e.apply(&alice(), Command::Resume { id: a }).unwrap();
    assert_eq!(e.parent(a).unwrap().status, ParentStatus::Working);
    let view = e.risk_view(&sup()).unwrap();
    assert!(view.tenants.iter().any(|t| t.tenant == "ws" && t.state == TradingState::Active));
}

#[test]
fn tenant_kill_switch_leaves_others_alone() {
    let mut e = engine(1, &["AAPL"]);
    let a = e.apply(&alice(), Command::Submit(buy(5_000))).unwrap().unwrap();
    let b = e.apply(&bob(), Command::Submit(buy(5_000))).unwrap().unwrap();
    e.run_until(ny("09:40"));
    e.apply(&sup(), Command::KillTenant { tenant: "ws".into() }).unwrap();
    assert_eq!(e.parent(a).unwrap().status, ParentStatus::Paused);
    assert_eq!(e.parent(b).unwrap().status, ParentStatus::Working);
    let view = e.risk_view(&sup()).unwrap();
    let ws = view.tenants.iter().find(|t| t.tenant == "ws").unwrap();
    assert_eq!(ws.state, TradingState::Halted);
    let az = view.tenants.iter().find(|t| t.tenant == "az").unwrap();
    assert_eq!(az.state, TradingState::Active);
}

/// An instrument in a currency the engine has no USD rate for (a universe
/// file adding a London listing in GBP without GBP/USD) was valued one for
/// one in USD: 4,000 shares at about 230 GBP passed a 1,000,000 USD limit
/// at "920,000 USD". It cannot be valued, so a USD limit refuses it, saying
/// why; without a USD limit it trades.
#[test]
fn an_order_in_a_currency_without_a_usd_rate_is_refused_by_usd_limits() {
    let builtin = Universe::builtin();
    let aapl = builtin.instrument("AAPL").unwrap();
    let text = blotter::market::universe::instrument_toml(aapl, &Default::default())
        .replace("currency = \"USD\"", "currency = \"GBP\"");
    assert!(text.contains("\"GBP\""), "{text}");
    let universe = Arc::new(Universe::with_overrides_str(&text, "test").unwrap());
    let mut cfg = EngineConfig::new(1, date());
    cfg.symbols = Some(vec!["AAPL".into()]);
    let mut e = Engine::new(universe, cfg).unwrap();
    assert!(e.apply(&alice(), Command::Submit(buy(4_000))).is_ok(), "no USD limit: nothing to value");
    let limits = Limits { max_order_notional: Some(Money::from_int(1_000_000)), ..Limits::default() };
    e.apply(&sup(), Command::SetLimits { tenant: "ws".into(), user: None, limits }).unwrap();
    let (code, field, msg) = reject(&mut e, &alice(), buy(4_000));
    assert_eq!((code, field.as_deref()), (RejectCode::RiskLimit, Some("max_order_notional")), "{msg}");
    assert!(msg.contains("no GBP/USD or USD/GBP rate"), "{msg}");
}

/// A decision price is measured against the mid as a limit is against the
/// collar, in a band of 50% either side: 9,223,372,036 or 0.000000001 on a
/// $230 stock made every TCA figure against it meaningless.
#[test]
fn decision_price_within_half_the_mid_either_side() {
    let mut e = engine(1, &["AAPL"]);
    e.run_until(ny("09:31"));
    // The mid the engine measures against: the NBBO's.
    let mid = e.book(&alice(), "AAPL").unwrap().nbbo.mid().unwrap();
    let with = |d: Price| OrderRequest {
        decision_px: Some(d),
        ..order("AAPL", Side::Buy, 100, AlgoKind::Twap, "09:31", "10:30", &[])
    };
    let px = |x: f64| Price::from_f64(x).unwrap();
    let top = Price::parse("9223372036").unwrap();
    for far in [top, Price::parse("0.000000001").unwrap(), px(mid * 1.51), px(mid * 0.49)] {
        let (code, field, msg) = reject(&mut e, &alice(), with(far));
        assert_eq!((code, field.as_deref()), (RejectCode::InvalidPrice, Some("decision_px")), "{far}: {msg}");
        // The band by hand: mid/2 to 3*mid/2, rounded inwards to the cent.
        let (lo, hi) = ((mid * 50.0).ceil() / 100.0, (mid * 150.0).floor() / 100.0);
        assert!(msg.contains(&format!("allowed: {lo:.2} to {hi:.2} (50% either side of the mid)")), "{msg}");
    }
    let (_, _, msg) = reject(&mut e, &alice(), with(top));
    assert!(msg.starts_with("9,223,372,036 is "), "{msg}");
    for near in [mid * 1.49, mid * 0.51, mid] {
        assert!(e.apply(&alice(), Command::Submit(with(px(near)))).is_ok(), "{near} is within 50% of {mid}");
    }
}
