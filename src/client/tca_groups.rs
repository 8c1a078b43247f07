//! Post-trade analysis aggregated across orders, by algorithm, venue, desk
//! (tenant) or trading day.
//!
//! Computed here over the engine's finished orders in memory from the
//! per-order `TcaReport`; averages are weighted by executed notional. A
//! sidecar with a ledger reads the same figures from it instead
//! (`store::tca_groups`), so that orders of earlier sessions count too. Both
//! bound the period by the simulated time at which an order finished, and
//! both take its UTC date as its day.

use super::ClientError;
use crate::client::ErrorCode;
use crate::engine::{Actor, Engine};
use crate::model::{Money, Qty, Timestamp};
use crate::tca::cost_bps;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How to group aggregated TCA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TcaGroupBy {
    /// By execution algorithm.
    Algo,
    /// By venue.
    Venue,
    /// By desk (the owner's tenant).
    Desk,
    /// By day: the UTC date of completion (simulated time).
    Day,
}

/// Which aggregated TCA: the grouping, and the period of completion.
///
/// `since` and `until` bound the simulated time at which an order finished
/// (its `done_at`), as the ledger does: `since <= done < until`. The
/// simulated clock is UTC, so `2026-11-25T14:30:00Z` is 09:30 New York on
/// that trading day whatever the wall clock says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcaQuery {
    /// How to group.
    pub by: TcaGroupBy,
    /// Orders finished at or after this instant (simulated time).
    pub since: Option<DateTime<Utc>>,
    /// Orders finished before this instant (simulated time).
    pub until: Option<DateTime<Utc>>,
}

impl TcaQuery {
    /// Every finished order, grouped `by`.
    pub fn by(by: TcaGroupBy) -> TcaQuery {
        TcaQuery { by, since: None, until: None }
    }

    /// The same query over `[since, until)`.
    pub fn between(self, since: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) -> TcaQuery {
        TcaQuery { since, until, ..self }
    }

    /// Whether an order finished at `done` (simulated time) falls in the period.
    pub fn covers(&self, done: Option<Timestamp>) -> bool {
        let ns = |t: DateTime<Utc>| t.timestamp_nanos_opt();
        match done {
            None => self.since.is_none() && self.until.is_none(),
            Some(d) => {
                self.since.is_none_or(|s| ns(s).is_none_or(|s| d.0 >= s))
                    && self.until.is_none_or(|u| ns(u).is_none_or(|u| d.0 < u))
            }
        }
    }
}

/// Aggregated figures of one algorithm, venue, desk or day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TcaGroup {
    /// Algorithm or venue name, tenant, or date (YYYY-MM-DD).
    pub key: String,
    /// Finished orders with executions in the group.
    pub orders: usize,
    /// Fills in the group.
    pub fills: usize,
    /// Executed quantity.
    pub filled_qty: Qty,
    /// Executed notional.
    pub notional: Money,
    /// Fees paid (negative = rebates earned).
    pub fees: Money,
    /// Cost against arrival, bps, notional-weighted (positive = worse).
    pub arrival_slippage_bps: Option<f64>,
    /// Cost against interval VWAP, bps, notional-weighted (positive = worse).
    pub vwap_slippage_bps: Option<f64>,
}

#[derive(Default)]
struct Acc {
    orders: usize,
    fills: usize,
    qty: Qty,
    notional: Money,
    fees: Money,
    arrival: (f64, f64),
    vwap: (f64, f64),
}

impl Acc {
    fn add(&mut self, fills: usize, qty: Qty, notional: Money, fees: Money, arrival: Option<f64>, vwap: Option<f64>) {
        let w = notional.to_f64().abs();
        self.orders += 1;
        self.fills += fills;
        self.qty += qty;
        self.notional += notional;
        self.fees += fees;
        if let Some(b) = arrival {
            self.arrival.0 += b * w;
            self.arrival.1 += w;
        }
        if let Some(b) = vwap {
            self.vwap.0 += b * w;
            self.vwap.1 += w;
        }
    }

    fn finish(self, key: String) -> TcaGroup {
        let avg = |(s, w): (f64, f64)| (w > 0.0).then(|| s / w);
        TcaGroup {
            key,
            orders: self.orders,
            fills: self.fills,
            filled_qty: self.qty,
            notional: self.notional,
            fees: self.fees,
            arrival_slippage_bps: avg(self.arrival),
            vwap_slippage_bps: avg(self.vwap),
        }
    }
}

/// The UTC date of a simulated instant.
fn day_of(t: Option<Timestamp>) -> Option<chrono::NaiveDate> {
    t.map(|t| DateTime::from_timestamp_nanos(t.0).date_naive())
}

/// Aggregated TCA over every order with executions that `actor` may see and
/// that finished in the query's period; only supervisors and admins may ask
/// (it spans desks).
pub fn aggregate(engine: &Engine, actor: &Actor, q: TcaQuery) -> Result<Vec<TcaGroup>, ClientError> {
    let by = q.by;
    if !actor.role.is_supervisor() {
        return Err(ClientError::new(
            ErrorCode::Forbidden,
            format!("aggregated TCA needs the SUPERVISOR or ADMIN role; you are {}", actor.role),
        ));
    }
    let mut groups: BTreeMap<String, Acc> = BTreeMap::new();
    let finished = engine.parents().filter(|o| o.status.is_terminal() && o.filled.is_positive());
    for o in finished.filter(|o| q.covers(o.done_at)) {
        let Some(s) = engine.order_tca_report(actor, o.id) else { continue };
        // Per order, the key of its group (the venue split is per fill instead).
        let key = match by {
            TcaGroupBy::Algo => Some(o.algo.to_string()),
            TcaGroupBy::Desk => Some(o.owner.tenant.to_string()),
            // The UTC date of completion (simulated time), as the ledger groups.
            TcaGroupBy::Day => Some(day_of(o.done_at).unwrap_or_else(|| engine.date()).to_string()),
            TcaGroupBy::Venue => None,
        };
        match key {
            Some(k) => {
                let fills = engine.fill_count(o.id);
                groups.entry(k).or_default().add(
                    fills,
                    o.filled,
                    o.notional,
                    o.fees,
                    s.arrival_slippage_bps,
                    s.vwap_slippage_bps,
                );
            }
            None => {
                for v in s.venues.iter().map(|v| &v.exec) {
                    let Some(px) = v.avg_px else { continue };
                    let arrival = o.arrival_px.map(|a| cost_bps(o.side, px, a));
                    let vwap = s.interval_vwap.map(|b| cost_bps(o.side, px, b));
                    let notional = Money::notional(px, v.qty);
                    groups.entry(v.venue.to_string()).or_default().add(v.fills, v.qty, notional, v.fees, arrival, vwap);
                }
            }
        }
    }
    Ok(groups.into_iter().map(|(k, a)| a.finish(k)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_bounds_the_simulated_time_of_completion() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let done = Some(Timestamp(at("2026-11-25T14:40:00Z").timestamp_nanos_opt().unwrap()));
        let q = TcaQuery::by(TcaGroupBy::Algo);
        assert!(q.covers(done) && q.covers(None));
        assert!(q.between(Some(at("2026-11-25T14:40:00Z")), None).covers(done), "since is inclusive");
        assert!(!q.between(None, Some(at("2026-11-25T14:40:00Z"))).covers(done), "until is exclusive");
        assert!(!q.between(Some(at("2026-11-26T00:00:00Z")), None).covers(done));
        assert!(!q.between(Some(at("2026-11-25T00:00:00Z")), None).covers(None), "no completion time, no period");
    }

    #[test]
    fn a_day_is_the_utc_date_of_completion() {
        let ns = |s: &str| Timestamp(DateTime::parse_from_rfc3339(s).unwrap().timestamp_nanos_opt().unwrap());
        let day = |s: &str| day_of(Some(ns(s))).unwrap().to_string();
        assert_eq!(day("2026-11-25T20:59:59Z"), "2026-11-25", "16:00 New York is still the 25th");
        assert_eq!(day("2026-11-26T00:30:00Z"), "2026-11-26", "19:30 New York is the 26th in UTC");
        assert_eq!(day_of(None), None);
    }
}
