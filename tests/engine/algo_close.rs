//! Algorithms whose window ends at the close: no child reaches a venue after
//! it has closed (the venue would refuse it, an alert per child); the order
//! completes, or expires with its residual and says why.
//!
//! The path to guard is the close itself: at 16:00:00 the venue cancels every
//! child still resting (the engine's `Close` job runs before the orders' own
//! `End` jobs due at the same instant), and an algorithm told a child closed
//! refills it (an iceberg's next tip, a passive POV's next post). Sent then,
//! each refill reached a closed book and was refused; the engine must expire
//! the order instead. TWAP and VWAP cancel their resting children at their
//! final sweep before the end, so they rest nothing into the close.

use crate::common;

use blotter::engine::{Command, Engine, EngineEvent, EventKind, RejectCode};
use blotter::model::{AlgoKind, Duration, ParentId, ParentStatus, Price, Qty, Rounding, Side, Timestamp};
use common::*;

/// A limit `bps` through the mid (towards the far side), on the tick.
fn through_mid(e: &Engine, symbol: &str, side: Side, bps: f64) -> Price {
    let m = e.market(symbol).unwrap();
    let mid = m.nbbo().mid().unwrap();
    let px = mid * (1.0 + side.sign() as f64 * bps / 1e4);
    Price::from_f64(px).unwrap().round_to(m.inst.tick_size, Rounding::Nearest)
}

/// Submits the testers' desk at 15:43, every order ending at the 16:00
/// close, and steps the engine's clock past the close.
fn desk_into_the_close(seed: u64) -> (Engine, Vec<ParentId>, Vec<EngineEvent>) {
    let mut e = engine(seed, &["JPM", "AAPL"]);
    e.run_until(ny("15:43"));
    let mut reqs = Vec::new();
    // TWAPs and VWAPs, passive and aggressive, some too large to finish in
    // 17 minutes or held back by a participation cap or a limit.
    for (i, (symbol, algo, params)) in [
        ("JPM", AlgoKind::Twap, vec![]),
        ("AAPL", AlgoKind::Twap, vec![("urgency", "aggressive")]),
        ("JPM", AlgoKind::Vwap, vec![]),
        ("AAPL", AlgoKind::Vwap, vec![]),
        ("JPM", AlgoKind::Twap, vec![("slices", "17")]),
        ("AAPL", AlgoKind::Vwap, vec![("max_pct", "0.05")]),
        ("JPM", AlgoKind::Vwap, vec![("forecast", "static")]),
        ("AAPL", AlgoKind::Twap, vec![]),
        ("JPM", AlgoKind::Vwap, vec![("max_pct", "0.02"), ("priority", "completion")]),
    ]
    .into_iter()
    .enumerate()
    {
        let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
        let qty = [20_000, 5_000, 60_000, 8_000, 150_000, 40_000, 100_000, 120_000, 90_000][i];
        reqs.push(order(symbol, side, qty, algo, "15:43", "16:00", &params));
    }
    // Orders that rest at the touch until the close: icebergs (a marketable
    // limit, so the tip sits at the touch) and passive POVs, larger than
    // the volume lets them fill, and a TWAP held back by a limit.
    for (i, (symbol, algo, params)) in [
        ("JPM", AlgoKind::Iceberg, vec![]),
        ("AAPL", AlgoKind::Iceberg, vec![]),
        ("JPM", AlgoKind::Iceberg, vec![("tip", "2000")]),
        ("AAPL", AlgoKind::Iceberg, vec![("tip", "3000")]),
        ("JPM", AlgoKind::Pov, vec![("urgency", "passive")]),
        ("AAPL", AlgoKind::Pov, vec![("urgency", "passive"), ("rate", "0.2")]),
        ("JPM", AlgoKind::Pov, vec![("urgency", "passive")]),
        ("AAPL", AlgoKind::Twap, vec![]),
    ]
    .into_iter()
    .enumerate()
    {
        let side = if i % 2 == 0 { Side::Sell } else { Side::Buy };
        let mut req = order(symbol, side, 150_000, algo, "15:43", "16:00", &params);
        req.limit_px = match algo {
            AlgoKind::Iceberg => Some(through_mid(&e, symbol, side, 20.0)),
            // 5 bps behind the mid: it rests, and crosses only when the market comes to it.
            AlgoKind::Twap => Some(through_mid(&e, symbol, side, -5.0)),
            _ => None,
        };
        reqs.push(req);
    }
    assert_eq!(reqs.len(), 17);
    let ids = reqs.into_iter().map(|req| e.apply(&advisor(), Command::Submit(req)).unwrap().unwrap()).collect();
    e.run_until(ny("16:00") + Duration::secs(30));
    let events = e.drain_events();
    (e, ids, events)
}

#[test]
fn seventeen_orders_ending_at_the_close_send_nothing_into_the_closed_book() {
    let close = ny("16:00");
    let (e, ids, events) = desk_into_the_close(7);
    // The close did meet resting children: each was one refill away from a refusal.
    let cancelled_at_close = events
        .iter()
        .filter(
            |ev| matches!(&ev.kind, EventKind::ChildCancelled { reason, .. } if reason.starts_with("session closed")),
        )
        .count();
    assert!(cancelled_at_close >= 6, "only {cancelled_at_close} children were resting at the close");
    let refused: Vec<_> = events
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::ChildRejected { child, reason } => Some((ev.ts, child, reason)),
            _ => None,
        })
        .collect();
    assert!(refused.is_empty(), "{} children refused: {:?}", refused.len(), &refused[..refused.len().min(3)]);
    let late: Vec<Timestamp> = events
        .iter()
        .filter(|ev| ev.ts >= close && matches!(ev.kind, EventKind::ChildSent { .. } | EventKind::Routed { .. }))
        .map(|ev| ev.ts)
        .collect();
    assert!(late.is_empty(), "{} children routed or sent at or after the close: {:?}", late.len(), late);
    let mut expired = 0;
    for id in ids {
        let p = e.parent(id).unwrap();
        let (status, filled, residual, reason) = events
            .iter()
            .find_map(|ev| match &ev.kind {
                EventKind::Done { parent, status, filled, residual, reason, .. } if *parent == id => {
                    Some((*status, *filled, *residual, reason.clone()))
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("{id:?} ({:?}) did not finish by 16:00:30", p.algo));
        assert_eq!(status, p.status);
        assert_eq!(filled + residual, p.qty, "filled plus residual is the order");
        assert!(p.done_at.is_some_and(|t| t <= close + Duration::secs(1)), "{id:?} finished at {:?}", p.done_at);
        match status {
            ParentStatus::Done => {
                assert_eq!(residual, Qty::ZERO);
                assert_eq!(e.tca_report(id).unwrap().end_reason, None);
            }
            ParentStatus::Expired => {
                expired += 1;
                assert!(residual.is_positive());
                let why = reason.unwrap_or_else(|| panic!("{id:?} expired without saying why"));
                // Either the window's end or the venue's close, named in New York time.
                assert!(why.contains("16:00") && why.contains("America/New_York"), "{why}");
                // Its TCA shows the residual (valued as opportunity) and why it was left.
                let tca = e.tca_report(id).unwrap();
                assert_eq!(tca.order_qty - tca.filled_qty, residual);
                assert_eq!(tca.implementation_shortfall.as_ref().map(|s| s.unfilled), Some(residual));
                assert_eq!(tca.end_reason.as_deref(), Some(why.as_str()), "{id:?}");
            }
            s => panic!("{id:?} ended {s:?}"),
        }
    }
    // The 150,000-share icebergs and POVs cannot fill in 17 minutes.
    assert!(expired >= 7, "only {expired} orders expired");
}

/// A child sent in the last moments of the session, whose entry latency
/// would bring it to the venue after the close, is not sent; the routing
/// decision shown (the Venues tab's recent decisions) lists only the
/// children that went out, and says why the rest did not.
#[test]
fn a_child_that_would_reach_the_venue_after_the_close_is_not_sent() {
    let close = ny("16:00");
    let mut e = engine(7, &["JPM"]);
    // 100 microseconds before the close: less than any US equity venue's
    // entry latency (at least 150 us: NASDAQ 200 +/- 50), so whatever the
    // aggressive TWAP crosses at its start would arrive after 16:00:00.
    let now = Timestamp(close.0 - 100_000);
    e.run_until(now);
    let mut req = order("JPM", Side::Buy, 1_000, AlgoKind::Twap, "15:43", "16:00", &[("urgency", "aggressive")]);
    req.start = Some(now);
    let id = e.apply(&advisor(), Command::Submit(req)).unwrap().unwrap();
    e.run_until(close + Duration::secs(30));
    let events = e.drain_events();
    let refused: Vec<_> =
        events.iter().filter(|ev| matches!(ev.kind, EventKind::ChildRejected { .. })).map(|ev| &ev.kind).collect();
    assert!(refused.is_empty(), "{refused:?}");
    let sent = events.iter().filter(|ev| matches!(ev.kind, EventKind::ChildSent { .. })).count();
    let routed: Vec<_> = events
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::Routed { decision, .. } => Some(decision),
            _ => None,
        })
        .collect();
    let listed: usize = routed.iter().map(|d| d.allocations.len()).sum();
    assert_eq!(listed, sent, "the decisions list {listed} children, {sent} were sent: {routed:?}");
    for d in &routed {
        assert!(d.reason.contains("after the 16:00 America/New_York close"), "{}", d.reason);
    }
    assert!(!routed.is_empty(), "the TWAP crossed at its start");
    let p = e.parent(id).unwrap();
    assert_eq!(p.status, ParentStatus::Expired);
    assert_eq!(p.filled, Qty::ZERO);
    let why = done_reason(&events).expect("an expired order says why");
    assert!(why.contains("venue closed") && why.contains("16:00"), "{why}");
}

/// An equity order submitted after the close is refused as the market being
/// closed, naming the close in the exchange's zone and the next open (the
/// engine simulates one trading day; nothing is queued), whatever window it
/// asked for; nothing changes.
#[test]
fn an_order_after_the_close_is_refused_as_the_market_closed_with_the_next_open() {
    let mut e = engine(7, &["JPM", "AAPL"]);
    e.run_until(ny("16:05"));
    let mut no_window = order("JPM", Side::Buy, 1_000, AlgoKind::Twap, "16:05", "16:30", &[]);
    (no_window.start, no_window.end) = (None, None);
    let mut ending_at_the_close = no_window.clone();
    ending_at_the_close.end = Some(ny("16:00"));
    let mut moc = no_window.clone();
    moc.algo = AlgoKind::Moc;
    let mut aapl = order("AAPL", Side::Sell, 1_000, AlgoKind::Vwap, "15:00", "16:00", &[]);
    aapl.start = Some(ny("15:00"));
    for req in [no_window, ending_at_the_close, moc, aapl] {
        let symbol = req.symbol.clone();
        let r = e.apply(&advisor(), Command::Submit(req)).unwrap_err();
        assert_eq!((r.code, r.field.as_deref()), (RejectCode::MarketClosed, Some("symbol")), "{}", r.message);
        // Thursday 26 November 2026 is Thanksgiving: the next session is Friday's.
        assert_eq!(
            r.message,
            format!(
                "{symbol}: market closed at 16:00 EST (09:30-16:00 America/New_York on 2026-11-25); \
                 next open Fri 27 Nov 09:30 EST"
            )
        );
    }
    assert_eq!(e.parents().count(), 0);
}

/// Crypto trades around the clock, but the engine's crypto day ends at UTC
/// midnight: a passive POV resting into it is not refilled into the closed
/// book either, and its reason names both dates of the day (it read
/// "00:00-00:00 UTC on 2026-11-25", a day that seemed to last no time).
#[test]
fn a_crypto_order_resting_into_the_utc_midnight_close_expires_naming_the_day() {
    let mut e = engine(7, &["BTC-USD"]);
    // 00:00 UTC on 26 November is 19:00 in New York.
    e.run_until(ny("18:40"));
    let req = order("BTC-USD", Side::Buy, 400, AlgoKind::Pov, "18:40", "19:00", &[("urgency", "passive")]);
    let id = e.apply(&advisor(), Command::Submit(req)).unwrap().unwrap();
    e.run_until(ny("19:00") + Duration::secs(30));
    let events = e.drain_events();
    assert!(
        events.iter().any(
            |ev| matches!(&ev.kind, EventKind::ChildCancelled { reason, .. } if reason.starts_with("session closed"))
        ),
        "a child was resting at the close"
    );
    assert!(!events.iter().any(|ev| matches!(ev.kind, EventKind::ChildRejected { .. })));
    assert_eq!(e.parent(id).unwrap().status, ParentStatus::Expired);
    let why = done_reason(&events).expect("an expired order says why");
    assert_eq!(
        why,
        "venue closed: BTC-USD trades 00:00 UTC 2026-11-25 to 00:00 UTC 2026-11-26; nothing more is sent after 00:00 UTC"
    );
}

/// The reason the first `Done` event among `events` gives, if any.
fn done_reason(events: &[EngineEvent]) -> Option<String> {
    events.iter().find_map(|ev| match &ev.kind {
        EventKind::Done { reason, .. } => reason.clone(),
        _ => None,
    })
}
