//! The desk's orders for one caller: this instance's engines from memory,
//! every other engine of the desk from the ledger (committed before it was
//! acknowledged, so nothing acknowledged is missing). A row read from the
//! ledger has what the ledger knows: the order, what works at the venues,
//! the slippage so far; not the live mid or the schedule deviation, which
//! only the engine's market has.

use super::Desk;
use crate::client::{Client, ClientError};
use crate::engine::Actor;
use crate::engine::view::{OrderDetail, OrderQuery, OrderRow, Page, may_see};
use crate::model::ParentId;
use crate::store::desk::DeskOrder;

/// The caller's orders matching `q` across the desk, newest first.
pub async fn orders(desk: &Desk, actor: &Actor, q: OrderQuery) -> Result<Page<OrderRow>, ClientError> {
    let hosted = desk.hosted();
    let Some(l) = desk.ledger() else {
        // One engine: its own paging.
        return desk.home().as_actor(actor.clone()).orders(q).await;
    };
    let all = OrderQuery { offset: 0, limit: 0, ..q.clone() };
    let mut rows = Vec::new();
    for h in &hosted {
        rows.extend(h.engine.as_actor(actor.clone()).orders(all.clone()).await?.items);
    }
    let mine: Vec<i64> = hosted.iter().map(|h| i64::from(h.engine.number())).collect();
    let owner = (!actor.role.is_supervisor()).then(|| (actor.tenant.to_string(), actor.user.to_string()));
    let elsewhere = l.handle.desk_orders(mine, l.date, owner).await.map_err(|e| ClientError::ledger_unavailable(&e))?;
    rows.extend(elsewhere.into_iter().map(row).filter(|r| may_see(actor, &r.order) && q.matches(&r.order)));
    // Newest first across engines; engines' clocks differ, so ties go to the newer engine.
    rows.sort_by(|a, b| {
        (b.order.created_at, b.order.id.engine, b.order.id.n).cmp(&(
            a.order.created_at,
            a.order.id.engine,
            a.order.id.n,
        ))
    });
    let total = rows.len();
    let limit = if q.limit == 0 { usize::MAX } else { q.limit };
    let items = rows.into_iter().skip(q.offset).take(limit).collect();
    Ok(Page { items, total, offset: q.offset })
}

/// A blotter row from what the ledger holds.
fn row(d: DeskOrder) -> OrderRow {
    let o = d.order.order;
    let slippage_bps = match (o.avg_px(), o.arrival_px) {
        (Some(a), Some(b)) => Some(crate::tca::cost_bps(o.side, a, b)),
        _ => None,
    };
    OrderRow { order: o, working: d.working, slippage_bps, schedule_deviation: None, mid: None }
}

/// Completes an order's children with the finished ones its engine no
/// longer holds in memory (a served engine keeps only the most recent;
/// the ledger has every one). Nothing is read when none is missing.
pub async fn with_ledger_children(desk: &Desk, d: &mut OrderDetail) -> Result<(), ClientError> {
    let sent = d.row.order.children;
    if d.children.len() >= sent as usize {
        return Ok(());
    }
    let Some(l) = desk.ledger() else { return Ok(()) };
    let have: std::collections::HashSet<u32> = d.children.iter().map(|c| c.id.seq).collect();
    let Some(upto) = (1..=sent).rev().find(|s| !have.contains(s)) else { return Ok(()) };
    let id = d.row.order.id;
    let stored = l
        .handle
        .desk_children(i64::from(id.engine), id.n, upto)
        .await
        .map_err(|e| ClientError::ledger_unavailable(&e))?;
    d.children.extend(stored.into_iter().filter(|c| !have.contains(&c.id.seq)));
    d.children.sort_by_key(|c| c.id.seq);
    Ok(())
}

/// Order `id` of `engine`, which no instance runs right now, from the ledger.
pub async fn order(desk: &Desk, actor: &Actor, engine: i64, id: ParentId) -> Result<OrderDetail, ClientError> {
    let Some(l) = desk.ledger() else { return Err(ClientError::not_found(format!("no order {id}"))) };
    let found = l.handle.desk_order(engine, id.n).await.map_err(|e| ClientError::ledger_unavailable(&e))?;
    let Some(d) = found.filter(|d| may_see(actor, &d.order.order)) else {
        return Err(ClientError::not_found(format!("no order {id}")));
    };
    let working = d.children.iter().filter(|c| !c.status.is_terminal()).map(|c| c.qty - c.filled).sum();
    Ok(OrderDetail {
        row: row(DeskOrder { order: d.order, working }),
        children: d.children,
        fills: d.fills,
        decisions: Vec::new(),
        plan: Vec::new(),
        market: Vec::new(),
    })
}
