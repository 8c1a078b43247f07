//! Market-on-close: fills only at the auction price, refused after the
//! cutoff with the cutoff time in the message, optional imbalance-aware clip,
//! LOC left unexecuted is closed with its residual.

use crate::common;
use crate::support;

use blotter::engine::{Amendment, Command, EventKind, RejectCode};
use blotter::model::{AlgoKind, Liquidity, ParentStatus, Qty, Side};
use common::*;
use support::*;

fn moc(symbol: &str, qty: i64, params: &[(&str, &str)]) -> blotter::engine::OrderRequest {
    let mut r = order(symbol, Side::Buy, qty, AlgoKind::Moc, "09:30", "16:00", params);
    r.start = None;
    r.end = None;
    r
}

#[test]
fn fills_only_at_the_auction_price() {
    let mut e = engine(2, &["JPM"]);
    let id = e.apply(&advisor(), Command::Submit(moc("JPM", 50_000, &[]))).unwrap().unwrap();
    e.run_until_idle();
    let events = e.drain_events();
    let auction_px = events
        .iter()
        .find_map(|ev| match &ev.kind {
            EventKind::Auction { px, .. } => Some(*px),
            _ => None,
        })
        .expect("the auction ran");
    let p = e.parent(id).unwrap();
    assert_eq!(p.status, ParentStatus::Done);
    assert_eq!(p.filled, Qty::from_int(50_000));
    let fills = e.fills(id);
    assert!(!fills.is_empty());
    for f in fills {
        assert_eq!(f.px, auction_px);
        assert_eq!(f.liquidity, Liquidity::Auction);
        assert_eq!(f.ts, ny("16:00"));
    }
    // One child, to the listing venue, sent before the 15:50 cutoff.
    let kids = e.children(id);
    assert_eq!(kids.len(), 1);
    assert_eq!(&*kids[0].venue, "NYSE");
    assert!(kids[0].sent_at <= ny("15:45"));
}

#[test]
fn refused_after_the_cutoff_with_the_cutoff_time() {
    let mut e = engine(2, &["JPM", "AAPL"]);
    e.run_until(ny("15:51"));
    let r = e.apply(&advisor(), Command::Submit(moc("JPM", 1_000, &[]))).unwrap_err();
    assert_eq!(r.code, RejectCode::InvalidWindow);
    assert!(r.message.contains("15:50") && r.message.contains("JPM"), "{}", r.message);
    // Nasdaq's own cutoff is 15:55: still open for AAPL.
    let id = e.apply(&advisor(), Command::Submit(moc("AAPL", 1_000, &[]))).unwrap().unwrap();
    e.run_until(ny("15:56"));
    let r = e.apply(&advisor(), Command::Submit(moc("AAPL", 1_000, &[]))).unwrap_err();
    assert!(r.message.contains("15:55"), "{}", r.message);
    e.run_until_idle();
    assert_eq!(e.parent(id).unwrap().status, ParentStatus::Done);
    // Nothing at all was sent for the refused orders.
    assert_eq!(e.parents().count(), 1);
}

#[test]
fn can_be_cut_before_the_cutoff_but_not_after() {
    // Before the cutoff the auction order is pulled and the rest re-entered.
    let mut e = engine(2, &["JPM"]);
    let id = e.apply(&advisor(), Command::Submit(moc("JPM", 10_000, &[]))).unwrap().unwrap();
    e.run_until(ny("15:47"));
    let change = Amendment { qty: Some(Qty::from_int(6_000)), limit_px: None, ..Default::default() };
    e.apply(&advisor(), Command::Amend { id, change }).unwrap();
    e.run_until_idle();
    let p = e.parent(id).unwrap();
    assert_eq!((p.status, p.filled), (ParentStatus::Done, Qty::from_int(6_000)));
    assert!(e.children(id).len() >= 2, "the cut order was re-entered");

    let mut e = engine(2, &["JPM"]);
    let id = e.apply(&advisor(), Command::Submit(moc("JPM", 10_000, &[]))).unwrap().unwrap();
    e.run_until(ny("15:52"));
    let change = Amendment { qty: Some(Qty::from_int(5_000)), limit_px: None, ..Default::default() };
    let r = e.apply(&advisor(), Command::Amend { id, change }).unwrap_err();
    assert!(r.message.contains("15:50"), "{}", r.message);
    e.run_until_idle();
    assert_eq!(e.parent(id).unwrap().filled, Qty::from_int(10_000));
}

#[test]
fn imbalance_aware_clip_caps_the_order() {
    let mut e = engine(2, &["JPM"]);
    // Expected auction volume: ADV x the auction share (9M x 8% = 720,000); 1% of it is 7,200.
    let inst = blotter::market::Universe::builtin().instrument("JPM").unwrap().clone();
    let cap = (inst.adv.to_f64() * inst.auction_share * 0.01).floor() as i64;
    assert_eq!(cap, 7_200);
    let id = e.apply(&advisor(), Command::Submit(moc("JPM", 50_000, &[("max_pct", "0.01")]))).unwrap().unwrap();
    e.run_until_idle();
    let p = e.parent(id).unwrap();
    assert_eq!(p.filled, Qty::from_int(cap));
    assert_eq!(p.status, ParentStatus::Expired);
    assert_eq!(p.leaves(), Qty::from_int(50_000 - cap));
}

#[test]
fn an_unexecuted_loc_closes_with_its_residual() {
    let mut e = engine(2, &["JPM"]);
    let mut req = moc("JPM", 5_000, &[]);
    req.limit_px = Some(px("200.00")); // far below the ~245 close
    let id = e.apply(&advisor(), Command::Submit(req)).unwrap().unwrap();
    e.run_until_idle();
    let p = e.parent(id).unwrap();
    assert_eq!(p.status, ParentStatus::Expired);
    assert_eq!(p.filled, Qty::ZERO);
    assert!(e.children(id).iter().all(|c| c.status.is_terminal()), "{:?}", e.children(id));
}
