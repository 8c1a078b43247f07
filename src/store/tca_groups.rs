//! Aggregated TCA over every finished order with executions the ledger
//! holds (every engine, every session), by algorithm, venue, desk (tenant)
//! or trading day (UTC date of completion, simulated time), over a
//! period of completion times: what `GET /v1/tca` serves. The figures are
//! the sidecar's (`client::TcaGroup`): sums are exact; slippage is weighted
//! by executed notional; by venue, an order's cost at a venue is its average
//! price there against the order's arrival price and interval VWAP.

use super::StoreError;
use super::handle::LedgerHandle;
use super::query::{Period, period_where, ratio};
use super::rows::col;
use crate::model::{Money, Qty};
use serde::Serialize;

/// Aggregated figures of one algorithm, venue, desk or day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupTca {
    /// Algorithm, venue, desk (tenant) or day (YYYY-MM-DD).
    pub key: String,
    /// Finished orders with executions in the group (by venue: those that traded there).
    pub orders: u64,
    /// Fills.
    pub fills: u64,
    /// Executed quantity.
    pub filled: Qty,
    /// Executed notional.
    pub notional: Money,
    /// Fees paid (negative = rebates).
    pub fees: Money,
    /// Cost against arrival, bps, notional-weighted (positive = worse).
    pub arrival_bps: Option<f64>,
    /// Cost against interval VWAP, bps, notional-weighted (positive = worse).
    pub vwap_bps: Option<f64>,
}

/// How to group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// By algorithm.
    Algo,
    /// By venue.
    Venue,
    /// By desk (the order's tenant).
    Desk,
    /// By UTC date of completion (simulated time).
    Day,
}

/// Nanoseconds in a day: `done_at` is simulated time in nanoseconds.
const DAY_NS: i64 = 86_400_000_000_000;

/// Fills per order (and venue), with their sums.
const PER_ORDER: &str = "SELECT engine_id, parent_id, COUNT(*) AS n, CAST(SUM(qty) AS BIGINT) AS qty, \
    CAST(SUM(notional) AS BIGINT) AS notional, CAST(SUM(fee) AS BIGINT) AS fees FROM fills";

/// `side * (avg / benchmark - 1) * 1e4 * notional`, with the average price of
/// `v` (notional / qty: raw money over raw quantity, both x 1e6) against a raw
/// price (x 1e9); 0 without a benchmark.
fn weighted_cost(bench: &str) -> String {
    format!(
        "CASE WHEN {bench} IS NULL OR {bench} = 0 OR v.qty = 0 THEN 0.0 ELSE \
         (CASE WHEN t.side = 'buy' THEN 1.0 ELSE -1.0 END) \
         * (CAST(v.notional AS DOUBLE PRECISION) * 1e9 / (CAST(v.qty AS DOUBLE PRECISION) * CAST({bench} AS DOUBLE PRECISION)) - 1.0) \
         * 1e4 * CAST(v.notional AS DOUBLE PRECISION) END"
    )
}

fn weight(bench: &str) -> String {
    format!("CASE WHEN {bench} IS NULL OR {bench} = 0 OR v.qty = 0 THEN 0 ELSE v.notional END")
}

impl LedgerHandle {
    /// TCA of every finished order with executions in `period`, grouped, by key.
    pub async fn tca_groups(&self, by: GroupBy, period: &Period) -> Result<Vec<GroupTca>, StoreError> {
        let mut w = period_where(period, "t");
        w.add("t.filled > 0", []);
        let key = match by {
            GroupBy::Algo | GroupBy::Venue => "t.algo".to_string(),
            GroupBy::Desk => "t.tenant".to_string(),
            // Integer division of a non-negative BIGINT: the day number in both dialects.
            GroupBy::Day => format!("CAST(t.done_at / {DAY_NS} AS BIGINT)"),
        };
        let sql = match by {
            // The order's own figures, weighted by its notional.
            GroupBy::Algo | GroupBy::Desk | GroupBy::Day => format!(
                "SELECT {key} AS k, COUNT(*) AS orders, CAST(SUM(COALESCE(v.n, 0)) AS BIGINT) AS fills, \
                 CAST(SUM(t.filled) AS BIGINT) AS qty, CAST(SUM(t.notional) AS BIGINT) AS notional, \
                 CAST(SUM(t.fees) AS BIGINT) AS fees, \
                 CAST(SUM(CASE WHEN t.arrival_bps IS NULL THEN 0.0 ELSE t.arrival_bps * t.notional END) AS DOUBLE PRECISION) AS a_num, \
                 CAST(SUM(CASE WHEN t.arrival_bps IS NULL THEN 0 ELSE t.notional END) AS DOUBLE PRECISION) AS a_den, \
                 CAST(SUM(CASE WHEN t.vwap_bps IS NULL THEN 0.0 ELSE t.vwap_bps * t.notional END) AS DOUBLE PRECISION) AS v_num, \
                 CAST(SUM(CASE WHEN t.vwap_bps IS NULL THEN 0 ELSE t.notional END) AS DOUBLE PRECISION) AS v_den \
                 FROM tca t LEFT JOIN ({PER_ORDER} GROUP BY engine_id, parent_id) v \
                 ON v.engine_id = t.engine_id AND v.parent_id = t.parent_id {} GROUP BY {key} ORDER BY {key}",
                w.text()
            ),
            // Each order's fills at each venue, as one average price.
            GroupBy::Venue => format!(
                "SELECT v.venue AS k, COUNT(*) AS orders, CAST(SUM(v.n) AS BIGINT) AS fills, \
                 CAST(SUM(v.qty) AS BIGINT) AS qty, CAST(SUM(v.notional) AS BIGINT) AS notional, \
                 CAST(SUM(v.fees) AS BIGINT) AS fees, \
                 CAST(SUM({}) AS DOUBLE PRECISION) AS a_num, CAST(SUM({}) AS DOUBLE PRECISION) AS a_den, \
                 CAST(SUM({}) AS DOUBLE PRECISION) AS v_num, CAST(SUM({}) AS DOUBLE PRECISION) AS v_den \
                 FROM ({PER_ORDER_VENUE} GROUP BY engine_id, parent_id, venue) v \
                 JOIN tca t ON t.engine_id = v.engine_id AND t.parent_id = v.parent_id {} \
                 GROUP BY v.venue ORDER BY v.venue",
                weighted_cost("t.arrival_px"),
                weight("t.arrival_px"),
                weighted_cost("t.interval_vwap"),
                weight("t.interval_vwap"),
                w.text(),
                PER_ORDER_VENUE = PER_ORDER.replace("parent_id, COUNT", "parent_id, venue, COUNT"),
            ),
        };
        self.run(move |pool, b| async move {
            let found = w.bind(b.q(&sql)).fetch_all(&pool).await.map_err(|e| StoreError::db("aggregating TCA", e))?;
            found
                .iter()
                .map(|r| {
                    let u = |name: &str| col::<i64>(r, name).map(|x| u64::try_from(x).unwrap_or(0));
                    let key = match by {
                        GroupBy::Day => day(col::<i64>(r, "k")?),
                        _ => col(r, "k")?,
                    };
                    Ok(GroupTca {
                        key,
                        orders: u("orders")?,
                        fills: u("fills")?,
                        filled: Qty::from_raw(col(r, "qty")?),
                        notional: Money::from_raw(col(r, "notional")?),
                        fees: Money::from_raw(col(r, "fees")?),
                        arrival_bps: ratio(col(r, "a_num")?, col(r, "a_den")?),
                        vwap_bps: ratio(col(r, "v_num")?, col(r, "v_den")?),
                    })
                })
                .collect()
        })
        .await
    }
}

/// The date (YYYY-MM-DD) of day number `n` since the Unix epoch.
fn day(n: i64) -> String {
    chrono::DateTime::from_timestamp(n.saturating_mul(86_400), 0)
        .map_or_else(|| n.to_string(), |d| d.date_naive().to_string())
}
