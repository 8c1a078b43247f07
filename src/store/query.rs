//! What the UI, the API and `history`/`export` read from the ledger: orders
//! by status, user, tenant, symbol and time range with paging; one order with
//! its children and fills; TCA aggregated by algorithm and by venue over a
//! period; the audit log; engines left with open orders.
//!
//! An order still `working` or `pending` whose engine is no longer running
//! (stopped, or no heartbeat within the lease) is reported `interrupted`: that
//! is what a restart will make of it.

use super::lease::Liveness;
use super::rows::{self, col, int};
use super::{Backend, Ledger, StoreError};
use crate::model::{ChildOrder, Fill, Money, ParentId, ParentOrder, ParentStatus, Price, Qty, Timestamp};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

/// Which orders to list. Every filter is optional; `limit` 0 means all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderFilter {
    /// Only this status (`interrupted` includes orders of engines that stopped running).
    pub status: Option<ParentStatus>,
    /// Only this user's orders.
    pub user: Option<String>,
    /// Only this tenant's orders.
    pub tenant: Option<String>,
    /// Only this symbol.
    pub symbol: Option<String>,
    /// Only this engine's orders.
    pub engine: Option<i64>,
    /// Accepted at or after.
    pub since: Option<Timestamp>,
    /// Accepted before.
    pub until: Option<Timestamp>,
    /// Rows to skip.
    pub offset: usize,
    /// Rows to return (0 = all).
    pub limit: usize,
}

/// A page of rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Rows matching in all.
    pub total: usize,
    /// Rows skipped.
    pub offset: usize,
}

/// Post-trade figures stored for a finished order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TcaFigures {
    /// Market VWAP over the order's window, excluding our fills.
    pub interval_vwap: Option<Price>,
    /// Cost against arrival in bps (positive = worse).
    pub arrival_bps: Option<f64>,
    /// Cost against interval VWAP in bps.
    pub vwap_bps: Option<f64>,
    /// Our share of the volume in the window.
    pub participation: f64,
}

/// One order as the ledger has it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerOrder {
    /// Engine that ran it.
    pub engine: i64,
    /// Ledger-wide reference, `E3-P1`.
    pub reference: String,
    /// The order; its status is the effective one (see the module notes).
    pub order: ParentOrder,
    /// Average fill price.
    pub avg_px: Option<Price>,
    /// When its window started.
    pub started_at: Option<Timestamp>,
    /// TCA, once finished.
    pub tca: Option<TcaFigures>,
}

/// One order with everything under it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderDetail {
    /// The order.
    pub order: LedgerOrder,
    /// Its children, oldest first.
    pub children: Vec<ChildOrder>,
    /// Its fills, oldest first.
    pub fills: Vec<Fill>,
}

/// Which finished orders an aggregate covers (by completion time).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Period {
    /// Finished at or after.
    pub since: Option<Timestamp>,
    /// Finished before.
    pub until: Option<Timestamp>,
    /// Only this tenant.
    pub tenant: Option<String>,
    /// Only this user.
    pub user: Option<String>,
}

/// TCA of one algorithm over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlgoTca {
    /// Algorithm.
    pub algo: String,
    /// Finished orders.
    pub orders: u64,
    /// Quantity filled.
    pub filled: Qty,
    /// Notional filled.
    pub notional: Money,
    /// Fees paid (negative = rebates).
    pub fees: Money,
    /// Cost against arrival, bps, weighted by notional.
    pub arrival_bps: Option<f64>,
    /// Cost against interval VWAP, bps, weighted by notional.
    pub vwap_bps: Option<f64>,
    /// Mean participation.
    pub participation: f64,
}

/// TCA of one venue over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VenueTca {
    /// Venue.
    pub venue: String,
    /// Fills there.
    pub fills: u64,
    /// Quantity filled there.
    pub qty: Qty,
    /// Notional filled there.
    pub notional: Money,
    /// Fees paid there.
    pub fees: Money,
    /// Share of the period's filled quantity.
    pub share: f64,
    /// Share of its quantity that added liquidity.
    pub maker_share: f64,
    /// Cost of its fills against the orders' arrival prices, bps, weighted by quantity.
    pub arrival_bps: Option<f64>,
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRow {
    /// Engine (0 for ledger-wide actions).
    pub engine: i64,
    /// Number within the engine.
    pub n: i64,
    /// Wall-clock milliseconds.
    pub at: i64,
    /// User.
    pub user: String,
    /// Tenant.
    pub tenant: String,
    /// Role.
    pub role: String,
    /// Action.
    pub action: String,
    /// Order concerned.
    pub parent: Option<ParentId>,
    /// `ok` or `refused`.
    pub outcome: String,
    /// Refusal code.
    pub code: Option<String>,
    /// Command or message.
    pub detail: String,
}

/// An engine that still has orders open.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenEngine {
    /// Engine number.
    pub id: i64,
    /// Tenant that started it.
    pub tenant: String,
    /// User that started it.
    pub user: String,
    /// Trading date.
    pub date: String,
    /// Orders not final.
    pub open_orders: u64,
    /// Why it counts as running, if it does (then it must not be recovered).
    pub running: Option<String>,
}

/// Conditions and their bound values, built up together.
#[derive(Default)]
pub(crate) struct Where {
    parts: Vec<String>,
    vals: Vec<rows::Val>,
}

impl Where {
    pub(crate) fn add(&mut self, sql: &str, vals: impl IntoIterator<Item = rows::Val>) {
        self.parts.push(sql.to_string());
        self.vals.extend(vals);
    }
    pub(crate) fn text(&self) -> String {
        if self.parts.is_empty() { String::new() } else { format!("WHERE {}", self.parts.join(" AND ")) }
    }
    pub(crate) fn bind(&self, mut q: super::db::Q) -> super::db::Q {
        for v in &self.vals {
            q = match v.clone() {
                rows::Val::I(x) => q.bind(x),
                rows::Val::NI(x) => q.bind(x),
                rows::Val::T(x) => q.bind(x),
                rows::Val::NT(x) => q.bind(x),
                rows::Val::F(x) => q.bind(x),
            };
        }
        q
    }
}

const OPEN: &str = "('pending', 'working')";

/// SQL true when the order's engine is no longer running: stopped, or its
/// lease run out by the database's clock.
fn engine_gone(b: Backend) -> String {
    format!("(e.stopped_at IS NOT NULL OR e.heartbeat_at + e.lease_ms < {})", b.now_ms())
}

fn order_where(f: &OrderFilter, b: Backend) -> Where {
    use rows::Val::{I, T};
    let mut w = Where::default();
    let gone = engine_gone(b);
    match f.status {
        Some(ParentStatus::Interrupted) => {
            w.add(&format!("(p.status = 'interrupted' OR (p.status IN {OPEN} AND {gone}))"), [])
        }
        Some(s @ (ParentStatus::Working | ParentStatus::Pending)) => {
            w.add(&format!("p.status = ? AND NOT {gone}"), [T(s.as_str().into())])
        }
        Some(s) => w.add("p.status = ?", [T(s.as_str().into())]),
        None => {}
    }
    if let Some(u) = &f.user {
        w.add("p.user_name = ?", [T(u.clone())]);
    }
    if let Some(t) = &f.tenant {
        w.add("p.tenant = ?", [T(t.clone())]);
    }
    if let Some(s) = &f.symbol {
        w.add("UPPER(p.symbol) = ?", [T(s.trim().to_ascii_uppercase())]);
    }
    if let Some(e) = f.engine {
        w.add("p.engine_id = ?", [I(e)]);
    }
    if let Some(t) = f.since {
        w.add("p.created_at >= ?", [I(t.0)]);
    }
    if let Some(t) = f.until {
        w.add("p.created_at < ?", [I(t.0)]);
    }
    w
}

/// What `order_from_row` reads, from `ORDER_FROM`.
pub(crate) fn order_columns(b: Backend) -> String {
    format!(
        "{}, CASE WHEN {} THEN 1 ELSE 0 END AS e_gone, t.interval_vwap AS t_vwap, \
         t.arrival_bps AS t_arrival, t.vwap_bps AS t_vwap_bps, t.participation AS t_part",
        rows::select_list("p", rows::PARENT_COLS),
        engine_gone(b)
    )
}

/// Orders with their engine and TCA.
pub(crate) const ORDER_FROM: &str = "FROM parents p JOIN engines e ON e.id = p.engine_id \
     LEFT JOIN tca t ON t.engine_id = p.engine_id AND t.parent_id = p.id";

fn order_select(b: Backend) -> String {
    format!("SELECT {} {ORDER_FROM}", order_columns(b))
}

pub(crate) fn order_from_row(r: &AnyRow) -> Result<LedgerOrder, StoreError> {
    let row = rows::parent_from_row(r)?;
    let engine: i64 = col(r, "engine_id")?;
    let mut order = row.order;
    let dead = col::<i64>(r, "e_gone")? != 0;
    if dead && matches!(order.status, ParentStatus::Working | ParentStatus::Pending) {
        order.status = ParentStatus::Interrupted;
    }
    let tca = match col::<Option<f64>>(r, "t_part")? {
        Some(participation) => Some(TcaFigures {
            interval_vwap: col::<Option<i64>>(r, "t_vwap")?.map(Price::from_raw),
            arrival_bps: col(r, "t_arrival")?,
            vwap_bps: col(r, "t_vwap_bps")?,
            participation,
        }),
        None => None,
    };
    Ok(LedgerOrder {
        engine,
        reference: order.id.to_string(),
        avg_px: order.avg_px(),
        order,
        started_at: row.started_at,
        tca,
    })
}

/// Order `n` of `engine` with its children and fills.
pub(crate) async fn order_detail(
    pool: &sqlx::AnyPool,
    b: Backend,
    engine: i64,
    n: u64,
) -> Result<Option<OrderDetail>, StoreError> {
    let read = |e: sqlx::Error| StoreError::db("reading an order", e);
    let sql = format!("{} WHERE p.engine_id = ? AND p.id = ?", order_select(b));
    let Some(r) = b.q(&sql).bind(engine).bind(int(n)).fetch_optional(pool).await.map_err(read)? else {
        return Ok(None);
    };
    let order = order_from_row(&r)?;
    let sql = format!(
        "SELECT {} FROM children WHERE engine_id = ? AND parent_id = ? ORDER BY seq",
        rows::CHILD_COLS.join(", ")
    );
    let kids = b.q(&sql).bind(engine).bind(int(n)).fetch_all(pool).await.map_err(read)?;
    let sql =
        format!("SELECT {} FROM fills WHERE engine_id = ? AND parent_id = ? ORDER BY id", rows::FILL_COLS.join(", "));
    let fills = b.q(&sql).bind(engine).bind(int(n)).fetch_all(pool).await.map_err(read)?;
    Ok(Some(OrderDetail {
        order,
        children: kids.iter().map(rows::child_from_row).collect::<Result<_, _>>()?,
        fills: fills.iter().map(rows::fill_from_row).collect::<Result<_, _>>()?,
    }))
}

/// The children of order `n` of `engine` numbered `seq` or below, by
/// number (what a served engine no longer holds in memory is among them).
pub(crate) async fn order_children(
    pool: &sqlx::AnyPool,
    b: Backend,
    engine: i64,
    n: u64,
    upto: u32,
) -> Result<Vec<ChildOrder>, StoreError> {
    let read = |e: sqlx::Error| StoreError::db("reading an order's children", e);
    let sql = format!(
        "SELECT {} FROM children WHERE engine_id = ? AND parent_id = ? AND seq <= ? ORDER BY seq",
        rows::CHILD_COLS.join(", ")
    );
    let kids = b.q(&sql).bind(engine).bind(int(n)).bind(i64::from(upto)).fetch_all(pool).await.map_err(read)?;
    kids.iter().map(rows::child_from_row).collect()
}

/// Parses an order reference `E3-P1`.
pub fn parse_reference(s: &str) -> Result<(i64, ParentId), String> {
    let t = s.trim();
    match t.parse::<ParentId>() {
        Ok(id) if id.is_qualified() => Ok((i64::from(id.engine), id)),
        _ => Err(format!("'{t}' is not an order reference (expected e.g. E3-P1)")),
    }
}

fn u(x: i64) -> u64 {
    u64::try_from(x).unwrap_or(0)
}

impl Ledger {
    fn backend(&self) -> Backend {
        self.target().backend()
    }

    /// Orders matching `f`, newest first.
    pub fn orders(&self, f: &OrderFilter) -> Result<Page<LedgerOrder>, StoreError> {
        let b = self.backend();
        let w = order_where(f, b);
        let read = |e: sqlx::Error| StoreError::db("listing orders", e);
        self.block_on(async {
            let count_sql = format!("SELECT COUNT(*) FROM parents p JOIN engines e ON e.id = p.engine_id {}", w.text());
            let row = w.bind(b.q(&count_sql)).fetch_one(self.pool()).await.map_err(read)?;
            let total: i64 = sqlx::Row::try_get(&row, 0).map_err(read)?;
            let mut sql =
                format!("{} {} ORDER BY p.created_at DESC, p.engine_id DESC, p.id DESC", order_select(b), w.text());
            // The databases take signed 64-bit counts: larger ones mean "all".
            let (limit, offset) =
                (i64::try_from(f.limit).unwrap_or(i64::MAX), i64::try_from(f.offset).unwrap_or(i64::MAX));
            if f.limit > 0 {
                sql.push_str(&format!(" LIMIT {limit} OFFSET {offset}"));
            } else if f.offset > 0 {
                sql.push_str(&format!(" LIMIT {} OFFSET {offset}", i64::MAX));
            }
            let found = w.bind(b.q(&sql)).fetch_all(self.pool()).await.map_err(read)?;
            let items = found.iter().map(order_from_row).collect::<Result<Vec<_>, _>>()?;
            Ok(Page { items, total: usize::try_from(total).unwrap_or(0), offset: f.offset })
        })
    }

    /// One order with its children and fills.
    pub fn order(&self, engine: i64, id: ParentId) -> Result<Option<OrderDetail>, StoreError> {
        self.block_on(order_detail(self.pool(), self.backend(), engine, id.n))
    }

    /// Every fill of the orders matching `f` (same filters), oldest first.
    pub fn fills(&self, f: &OrderFilter) -> Result<Vec<(LedgerOrder, Fill)>, StoreError> {
        let orders = self.orders(&OrderFilter { offset: 0, limit: 0, ..f.clone() })?.items;
        let mut out = Vec::new();
        for o in orders.into_iter().rev() {
            if let Some(d) = self.order(o.engine, o.order.id)? {
                out.extend(d.fills.into_iter().map(|fl| (o.clone(), fl)));
            }
        }
        Ok(out)
    }

    /// TCA of finished orders by algorithm.
    pub fn tca_by_algo(&self, period: &Period) -> Result<Vec<AlgoTca>, StoreError> {
        let w = period_where(period, "t");
        let sql = format!(
            "SELECT t.algo AS algo, COUNT(*) AS orders, CAST(SUM(t.filled) AS BIGINT) AS filled, \
             CAST(SUM(t.notional) AS BIGINT) AS notional, CAST(SUM(t.fees) AS BIGINT) AS fees, \
             CAST(SUM(CASE WHEN t.arrival_bps IS NULL THEN 0.0 ELSE t.arrival_bps * t.notional END) AS DOUBLE PRECISION) AS a_num, \
             CAST(SUM(CASE WHEN t.arrival_bps IS NULL THEN 0 ELSE t.notional END) AS DOUBLE PRECISION) AS a_den, \
             CAST(SUM(CASE WHEN t.vwap_bps IS NULL THEN 0.0 ELSE t.vwap_bps * t.notional END) AS DOUBLE PRECISION) AS v_num, \
             CAST(SUM(CASE WHEN t.vwap_bps IS NULL THEN 0 ELSE t.notional END) AS DOUBLE PRECISION) AS v_den, \
             CAST(AVG(t.participation) AS DOUBLE PRECISION) AS part \
             FROM tca t {} GROUP BY t.algo ORDER BY t.algo",
            w.text()
        );
        let b = self.backend();
        let found = self
            .block_on(w.bind(b.q(&sql)).fetch_all(self.pool()))
            .map_err(|e| StoreError::db("aggregating TCA by algorithm", e))?;
        found
            .iter()
            .map(|r| {
                Ok(AlgoTca {
                    algo: col(r, "algo")?,
                    orders: u(col(r, "orders")?),
                    filled: Qty::from_raw(col(r, "filled")?),
                    notional: Money::from_raw(col(r, "notional")?),
                    fees: Money::from_raw(col(r, "fees")?),
                    arrival_bps: ratio(col(r, "a_num")?, col(r, "a_den")?),
                    vwap_bps: ratio(col(r, "v_num")?, col(r, "v_den")?),
                    participation: col(r, "part")?,
                })
            })
            .collect()
    }

    /// TCA of finished orders' fills by venue.
    pub fn tca_by_venue(&self, period: &Period) -> Result<Vec<VenueTca>, StoreError> {
        let w = period_where(period, "t");
        let sql = format!(
            "SELECT f.venue AS venue, COUNT(*) AS fills, CAST(SUM(f.qty) AS BIGINT) AS qty, \
             CAST(SUM(f.notional) AS BIGINT) AS notional, CAST(SUM(f.fee) AS BIGINT) AS fees, \
             CAST(SUM(CASE WHEN f.liquidity = 'maker' THEN f.qty ELSE 0 END) AS BIGINT) AS maker, \
             CAST(SUM(CASE WHEN t.arrival_px IS NULL THEN 0.0 ELSE \
                 (CASE WHEN f.side = 'buy' THEN 1.0 ELSE -1.0 END) * CAST(f.px - t.arrival_px AS DOUBLE PRECISION) \
                 / CAST(t.arrival_px AS DOUBLE PRECISION) * CAST(f.qty AS DOUBLE PRECISION) END) AS DOUBLE PRECISION) AS s_num, \
             CAST(SUM(CASE WHEN t.arrival_px IS NULL THEN 0 ELSE f.qty END) AS DOUBLE PRECISION) AS s_den \
             FROM fills f JOIN tca t ON t.engine_id = f.engine_id AND t.parent_id = f.parent_id {} \
             GROUP BY f.venue ORDER BY f.venue",
            w.text()
        );
        let b = self.backend();
        let found = self
            .block_on(w.bind(b.q(&sql)).fetch_all(self.pool()))
            .map_err(|e| StoreError::db("aggregating TCA by venue", e))?;
        let mut out = found
            .iter()
            .map(|r| {
                let qty = Qty::from_raw(col(r, "qty")?);
                let maker = Qty::from_raw(col(r, "maker")?);
                Ok(VenueTca {
                    venue: col(r, "venue")?,
                    fills: u(col(r, "fills")?),
                    qty,
                    notional: Money::from_raw(col(r, "notional")?),
                    fees: Money::from_raw(col(r, "fees")?),
                    share: 0.0,
                    maker_share: maker.ratio(qty),
                    arrival_bps: ratio(col(r, "s_num")?, col(r, "s_den")?).map(|x| x * 1e4),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let total: Qty = out.iter().map(|v| v.qty).sum();
        for v in &mut out {
            v.share = v.qty.ratio(total);
        }
        out.sort_by(|a, b| b.qty.cmp(&a.qty).then(a.venue.cmp(&b.venue)));
        Ok(out)
    }

    /// The audit log of one engine (or ledger-wide actions with 0), oldest first.
    pub fn audit(&self, engine: i64) -> Result<Vec<AuditRow>, StoreError> {
        let b = self.backend();
        let found = self
            .block_on(
                b.q("SELECT engine_id, n, at, user_name, tenant, role, action, parent_id, outcome, code, detail \
                     FROM audit WHERE engine_id = ? ORDER BY n")
                    .bind(engine)
                    .fetch_all(self.pool()),
            )
            .map_err(|e| StoreError::db("reading the audit log", e))?;
        found
            .iter()
            .map(|r| {
                Ok(AuditRow {
                    engine: col(r, "engine_id")?,
                    n: col(r, "n")?,
                    at: col(r, "at")?,
                    user: col(r, "user_name")?,
                    tenant: col(r, "tenant")?,
                    role: col(r, "role")?,
                    action: col(r, "action")?,
                    parent: col::<Option<i64>>(r, "parent_id")?
                        .map(|p| rows::parent_id(col(r, "engine_id")?, p))
                        .transpose()?,
                    outcome: col(r, "outcome")?,
                    code: col(r, "code")?,
                    detail: col(r, "detail")?,
                })
            })
            .collect()
    }

    /// Engines with orders not yet final (of one tenant, or all).
    pub fn open_engines(&self, tenant: Option<&str>) -> Result<Vec<OpenEngine>, StoreError> {
        let b = self.backend();
        let mut w = Where::default();
        w.add("p.status IN ('pending', 'working', 'paused', 'interrupted')", []);
        if let Some(t) = tenant {
            w.add("e.tenant = ?", [rows::Val::T(t.to_string())]);
        }
        let sql = format!(
            "SELECT e.id AS id, e.tenant AS tenant, e.user_name AS user_name, e.trade_date AS trade_date, \
             e.host AS host, e.machine AS machine, e.pid AS pid, e.heartbeat_at AS heartbeat_at, \
             e.lease_ms AS lease_ms, e.stopped_at AS stopped_at, {} AS db_now, \
             COUNT(*) AS open_orders FROM engines e JOIN parents p ON p.engine_id = e.id {} \
             GROUP BY e.id, e.tenant, e.user_name, e.trade_date, e.host, e.machine, e.pid, e.heartbeat_at, \
             e.lease_ms, e.stopped_at ORDER BY e.id",
            b.now_ms(),
            w.text()
        );
        let found = self
            .block_on(w.bind(b.q(&sql)).fetch_all(self.pool()))
            .map_err(|e| StoreError::db("listing engines with open orders", e))?;
        found
            .iter()
            .map(|r| {
                let (live, now) = Liveness::from_row(r)?;
                Ok(OpenEngine {
                    id: col(r, "id")?,
                    tenant: col(r, "tenant")?,
                    user: col(r, "user_name")?,
                    date: col(r, "trade_date")?,
                    open_orders: u(col(r, "open_orders")?),
                    running: live.running(now),
                })
            })
            .collect()
    }
}

pub(crate) fn period_where(p: &Period, alias: &str) -> Where {
    use rows::Val::{I, T};
    let mut w = Where::default();
    if let Some(t) = p.since {
        w.add(&format!("{alias}.done_at >= ?"), [I(t.0)]);
    }
    if let Some(t) = p.until {
        w.add(&format!("{alias}.done_at < ?"), [I(t.0)]);
    }
    if let Some(t) = &p.tenant {
        w.add(&format!("{alias}.tenant = ?"), [T(t.clone())]);
    }
    if let Some(u) = &p.user {
        w.add(&format!("{alias}.user_name = ?"), [T(u.clone())]);
    }
    w
}

pub(crate) fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num / den)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse() {
        assert_eq!(parse_reference("E3-P17").unwrap(), (3, ParentId::new(3, 17)));
        assert_eq!(parse_reference(" e1-p2 ").unwrap(), (1, ParentId::new(1, 2)));
        for bad in ["P1", "E0-P1", "E1-C1", "E-P1", "3-P1"] {
            assert!(parse_reference(bad).unwrap_err().contains("expected e.g. E3-P1"), "{bad}");
        }
    }
}
