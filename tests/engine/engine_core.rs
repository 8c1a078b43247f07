//! The engine on the simulator: TWAP schedules and completion, impact,
//! sessions, life-cycle commands and permissions.

use crate::common;

use blotter::engine::{Actor, Amendment, Command, EventKind, RejectCode};
use blotter::model::{AlgoKind, ParentId, ParentStatus, Price, Qty, Role, Side, Timestamp};
use common::*;
use proptest::prelude::*;

fn twap(symbol: &str, side: Side, qty: i64, start: &str, end: &str) -> blotter::engine::OrderRequest {
    order(symbol, side, qty, AlgoKind::Twap, start, end, &[])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// TWAP slices sum exactly to the parent quantity, whatever the slicing.
    #[test]
    fn twap_slices_sum_to_parent(qty in 1i64..2_000_000, slices in 1i64..200, randomize in 0.0f64..0.5, minutes in 1i64..390) {
        let e = engine(1, &["AAPL"]);
        let start = ny("09:30");
        let mut req = twap("AAPL", Side::Buy, qty, "09:30", "16:00");
        req.end = Some(Timestamp(start.0 + minutes * 60_000_000_000));
        req.params.insert("slices".into(), slices.min(qty).to_string());
        req.params.insert("randomize".into(), format!("{randomize:.3}"));
        let plan = e.preview(&req).unwrap();
        prop_assert_eq!(plan.len() as i64, slices.min(qty));
        prop_assert_eq!(plan.iter().map(|s| s.qty).sum::<Qty>(), Qty::from_int(qty));
        prop_assert_eq!(plan.last().unwrap().cum, Qty::from_int(qty));
        prop_assert!(plan.iter().all(|s| s.qty.is_positive() || randomize > 0.0));
        prop_assert!(plan.windows(2).all(|w| w[0].at <= w[1].at));
        prop_assert!(plan.iter().all(|s| s.at >= start && s.at < req.end.unwrap()));
    }
}

#[test]
fn twap_completes_exactly_and_never_overfills() {
    let mut e = engine(3, &["MSFT"]);
    let id = e.apply(&advisor(), Command::Submit(twap("MSFT", Side::Sell, 60_000, "10:00", "12:00"))).unwrap().unwrap();
    e.run_until_idle();
    let p = e.parent(id).unwrap();
    assert_eq!(p.status, ParentStatus::Done);
    assert_eq!(p.filled, Qty::from_int(60_000));
    let by_children: Qty = e.children(id).iter().map(|c| c.filled).sum();
    assert_eq!(by_children, p.filled);
    assert!(e.children(id).iter().all(|c| c.filled <= c.qty));
    let fills = e.fills(id);
    assert!(fills.iter().all(|f| f.ts >= ny("10:00") && f.ts <= ny("12:00")));
    // Roughly on schedule: half the quantity by the middle of the window, within two slices.
    let by_11: Qty = fills.iter().filter(|f| f.ts < ny("11:00")).map(|f| f.qty).sum();
    assert!((by_11.to_f64() - 30_000.0).abs() <= 2.0 * 60_000.0 / 24.0, "{by_11} filled by 11:00");
}

#[test]
fn buying_a_fifth_of_adv_in_an_hour_lifts_the_price() {
    let qty = 11_000_000; // 20% of AAPL's 55M ADV
    let mut with = engine(21, &["AAPL"]);
    let mut req = twap("AAPL", Side::Buy, qty, "10:00", "11:00");
    req.params.insert("urgency".into(), "aggressive".into());
    req.params.insert("slices".into(), "60".into());
    let id = with.apply(&advisor(), Command::Submit(req)).unwrap().unwrap();
    let mut without = engine(21, &["AAPL"]);
    let t = ny("11:05");
    with.run_until(t);
    without.run_until(t);
    let bought = with.parent(id).unwrap().filled;
    assert!(bought.to_f64() > 1_000_000.0, "bought {bought}");
    let (a, b) = (with.market("AAPL").unwrap().mid(t), without.market("AAPL").unwrap().mid(t));
    assert!(a > b, "mid with the order {a} is not above the mid without {b}");
    // The difference is at least the permanent part (the transient part decays).
    let perm = with.market("AAPL").unwrap().permanent_impact();
    assert!(a - b >= perm * 0.99, "{a} - {b} < permanent impact {perm}");
    // Aggressive buying paid more than the market without us would have
    // quoted at the same moments (against arrival the day's drift could hide it).
    let base = &without.market("AAPL").unwrap().mids;
    let paid: f64 = with.fills(id).iter().map(|f| (f.px.to_f64() - base.at(f.ts).unwrap()) * f.qty.to_f64()).sum();
    assert!(paid > 0.0, "paid {paid} over the untouched mid");
}

#[test]
fn an_order_before_the_open_waits_and_fills_only_in_session() {
    let mut cfg = blotter::engine::EngineConfig::new(5, date());
    cfg.symbols = Some(vec!["AAPL".into()]);
    cfg.origin = Some(ny("08:00"));
    let mut e = blotter::engine::Engine::new(std::sync::Arc::new(blotter::market::Universe::builtin()), cfg).unwrap();
    let id = e.apply(&advisor(), Command::Submit(twap("AAPL", Side::Buy, 5_000, "08:30", "10:00"))).unwrap().unwrap();
    let p = e.parent(id).unwrap();
    assert_eq!(p.status, ParentStatus::Pending);
    assert_eq!(p.start, ny("09:30"), "start moves to the open");
    e.run_until(ny("09:29"));
    assert!(e.fills(id).is_empty());
    e.run_until_idle();
    assert_eq!(e.parent(id).unwrap().status, ParentStatus::Done);
    assert!(e.fills(id).iter().all(|f| f.ts >= ny("09:30")));
}

#[test]
fn window_outside_the_session_is_rejected_and_nothing_changes() {
    let mut e = engine(5, &["AAPL"]);
    let err = e.apply(&advisor(), Command::Submit(twap("AAPL", Side::Buy, 100, "16:30", "17:00"))).unwrap_err();
    assert_eq!(err.code, RejectCode::InvalidWindow);
    assert!(err.message.contains("09:30-16:00 America/New_York"), "{}", err.message);
    assert_eq!(e.parents().count(), 0);
    let events = e.drain_events();
    assert_eq!(events.len(), 1);
    assert!(matches!(events[0].kind, EventKind::Rejected { code: RejectCode::InvalidWindow, .. }));
}

#[test]
fn residual_is_reported_when_the_window_ends() {
    let mut e = engine(6, &["AAPL"]);
    let mut req = twap("AAPL", Side::Buy, 50_000, "09:30", "09:40");
    req.limit_px = Some(Price::parse("150.00").unwrap()); // far below the market: cannot fill
    let id = e.apply(&advisor(), Command::Submit(req)).unwrap().unwrap();
    e.run_until_idle();
    let p = e.parent(id).unwrap();
    assert_eq!(p.status, ParentStatus::Expired);
    assert_eq!(p.filled, Qty::ZERO);
    let done = e.drain_events().into_iter().find_map(|ev| match ev.kind {
        EventKind::Done { residual, status, .. } => Some((residual, status)),
        _ => None,
    });
    assert_eq!(done, Some((Qty::from_int(50_000), ParentStatus::Expired)));
}

#[test]
fn pause_cancels_children_and_sends_nothing_until_resumed() {
    let mut e = engine(8, &["AAPL"]);
    let id = e.apply(&advisor(), Command::Submit(twap("AAPL", Side::Buy, 30_000, "09:30", "10:30"))).unwrap().unwrap();
    e.run_until(ny("09:40"));
    e.apply(&advisor(), Command::Pause { id }).unwrap();
    e.run_until(ny("09:41"));
    assert_eq!(e.working(id), Qty::ZERO, "working children were cancelled");
    let sent_at_pause = e.parent(id).unwrap().children;
    let filled_at_pause = e.parent(id).unwrap().filled;
    e.run_until(ny("10:00"));
    assert_eq!(e.parent(id).unwrap().children, sent_at_pause, "nothing new while paused");
    assert_eq!(e.parent(id).unwrap().filled, filled_at_pause);
    e.apply(&advisor(), Command::Resume { id }).unwrap();
    e.run_until_idle();
    let p = e.parent(id).unwrap();
    assert_eq!((p.status, p.filled), (ParentStatus::Done, Qty::from_int(30_000)));
}

#[test]
fn cancel_reports_the_residual() {
    let mut e = engine(9, &["AAPL"]);
    let id = e.apply(&advisor(), Command::Submit(twap("AAPL", Side::Buy, 40_000, "09:30", "11:30"))).unwrap().unwrap();
    e.run_until(ny("10:00"));
    e.apply(&advisor(), Command::Cancel { id }).unwrap();
    e.run_until_idle();
    let p = e.parent(id).unwrap();
    assert_eq!(p.status, ParentStatus::Cancelled);
    assert!(p.filled.is_positive() && p.filled < p.qty);
    assert!(e.children(id).iter().all(|c| c.status.is_terminal()));
    let err = e.apply(&advisor(), Command::Resume { id }).unwrap_err();
    assert_eq!(err.code, RejectCode::StateConflict);
}

#[test]
fn amend_changes_the_target() {
    let mut e = engine(10, &["AAPL"]);
    let id = e.apply(&advisor(), Command::Submit(twap("AAPL", Side::Buy, 20_000, "09:30", "10:30"))).unwrap().unwrap();
    e.run_until(ny("10:00"));
    let filled = e.parent(id).unwrap().filled;
    let err = e
        .apply(
            &advisor(),
            Command::Amend {
                id,
                change: Amendment { qty: Some(filled - Qty::from_int(1)), limit_px: None, ..Default::default() },
            },
        )
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("qty"));
    assert!(err.message.contains("below"), "{}", err.message);
    e.apply(
        &advisor(),
        Command::Amend {
            id,
            change: Amendment { qty: Some(Qty::from_int(30_000)), limit_px: None, ..Default::default() },
        },
    )
    .unwrap();
    e.run_until_idle();
    let p = e.parent(id).unwrap();
    assert_eq!((p.status, p.filled), (ParentStatus::Done, Qty::from_int(30_000)));
}

#[test]
fn advisors_see_only_their_own_orders_and_clients_cannot_trade() {
    let mut e = engine(2, &["AAPL"]);
    let alice = Actor { user: "alice".into(), tenant: "ws".into(), role: Role::Advisor };
    let bob = Actor { user: "bob".into(), tenant: "ws".into(), role: Role::Advisor };
    let boss = Actor { user: "carol".into(), tenant: "hq".into(), role: Role::Supervisor };
    let id = e.apply(&alice, Command::Submit(twap("AAPL", Side::Buy, 1_000, "09:30", "10:00"))).unwrap().unwrap();
    let err = e.apply(&bob, Command::Cancel { id }).unwrap_err();
    assert_eq!(err.code, RejectCode::UnknownOrder);
    let err = e.apply(&bob, Command::KillAll).unwrap_err();
    assert_eq!(err.code, RejectCode::Forbidden);
    let client = Actor { user: "c".into(), tenant: "ws".into(), role: Role::UhnwClient };
    let err = e.apply(&client, Command::Submit(twap("AAPL", Side::Buy, 1_000, "09:30", "10:00"))).unwrap_err();
    assert_eq!(err.code, RejectCode::Forbidden);
    e.apply(&boss, Command::KillAll).unwrap();
    assert_eq!(e.parent(id).unwrap().status, ParentStatus::Paused);
    assert_eq!(e.parent(ParentId::local(2)), None);
}

#[test]
fn routing_decisions_are_recorded_with_reasons() {
    let mut e = engine(4, &["AAPL"]);
    let id = e.apply(&advisor(), Command::Submit(twap("AAPL", Side::Buy, 10_000, "09:30", "10:00"))).unwrap().unwrap();
    e.run_until_idle();
    let d = e.decisions(id);
    assert!(!d.is_empty());
    assert!(d.iter().any(|x| x.reason.starts_with("passive buy")));
    assert!(d.iter().all(|x| x.scores.len() == 5 || x.allocations.is_empty() || x.scores.is_empty()));
    let venues: std::collections::BTreeSet<&str> = e.children(id).iter().map(|c| &*c.venue).collect();
    assert!(venues.len() >= 2, "a day of slices uses more than one venue: {venues:?}");
}

/// The reasons are read on the Venues tab next to grouped figures, so every
/// quantity in them is grouped too: a 1,700,000 sell reads "passive sell
/// 1,700,000", never "1700000" (four or more digits in a row would be one).
#[test]
fn routing_reasons_group_thousands() {
    let mut e = engine(4, &["AAPL"]);
    let id =
        e.apply(&advisor(), Command::Submit(twap("AAPL", Side::Buy, 1_000_000, "09:30", "10:00"))).unwrap().unwrap();
    e.run_until(ny("09:35"));
    let d = e.decisions(id);
    let ungrouped = |r: &str| {
        r.split(|c: char| !c.is_ascii_digit() && c != '.')
            .any(|w| w.split('.').next().is_some_and(|int| int.len() >= 4))
    };
    for x in &d {
        assert!(!ungrouped(&x.reason), "ungrouped quantity in {:?}", x.reason);
    }
    let grouped = |r: &str| {
        r.as_bytes().windows(5).any(|w| w[0].is_ascii_digit() && w[1] == b',' && w[2..].iter().all(u8::is_ascii_digit))
    };
    assert!(d.iter().any(|x| x.reason.starts_with("passive buy") && grouped(&x.reason)), "no grouped passive reason");
}

#[test]
fn amending_the_limit_moves_resting_children_with_latency() {
    let mut e = engine(12, &["AAPL"]);
    let id =
        e.apply(&advisor(), Command::Submit(twap("AAPL", Side::Buy, 2_000_000, "09:30", "10:30"))).unwrap().unwrap();
    e.run_until(ny("09:31"));
    assert!(e.working(id).is_positive(), "a passive slice is resting");
    e.drain_events();
    let limit = Price::parse("200.00").unwrap();
    e.apply(
        &advisor(),
        Command::Amend { id, change: Amendment { qty: None, limit_px: Some(Some(limit)), ..Default::default() } },
    )
    .unwrap();
    let sent: Vec<_> =
        e.drain_events().into_iter().filter(|ev| matches!(ev.kind, EventKind::AmendSent { .. })).collect();
    assert!(!sent.is_empty(), "resting children above the new limit get an amend");
    e.run_until(ny("09:32"));
    let events = e.drain_events();
    assert!(events.iter().any(|ev| matches!(&ev.kind, EventKind::ChildAmended { px: Some(p), .. } if *p == limit)
        || matches!(ev.kind, EventKind::AmendRejected { .. } | EventKind::ChildCancelled { .. })));
    assert!(events.iter().all(|ev| ev.ts > sent[0].ts), "the venue answers after its latency");
    for c in e.children(id) {
        if !c.status.is_terminal() {
            assert!(c.px.unwrap() <= limit, "{} still works at {:?} above the limit", c.id, c.px);
        }
    }
}
