//! Orders analysed one by one, aggregated by broker, algo, venue, trader,
//! desk, symbol and day, in any combination, the way tcapy aggregates:
//! averages weighted by notional, their dispersion, counts, and the orders
//! that stand out.
//!
//! Shortfall and its parts are summed in money and divided by the summed
//! paper portfolio, which is the paper-weighted mean of the orders' bps;
//! their dispersion is the paper-weighted standard deviation of the orders'
//! total bps. Slippage against arrival and interval VWAP and the markouts
//! are weighted by executed notional. Grouped by venue, each order
//! contributes the fills it executed there: its paper is the decision value
//! of that quantity, and unfilled quantity (opportunity) belongs to no venue.

use super::batch::OrderTca;
use super::cost_bps;
use super::shortfall::{bps_of, notional, scale};
use crate::model::Money;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;

/// A dimension to group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    /// Executing broker.
    Broker,
    /// Algorithm or strategy.
    Algo,
    /// Venue of execution (fills, not orders).
    Venue,
    /// Trader.
    Trader,
    /// Desk.
    Desk,
    /// Symbol.
    Symbol,
    /// The arrival's date in the report's time zone.
    Day,
}

impl Dim {
    /// Every dimension, in the order tables list them.
    pub const ALL: [Dim; 7] = [Dim::Broker, Dim::Algo, Dim::Venue, Dim::Trader, Dim::Desk, Dim::Symbol, Dim::Day];

    /// The name used on the command line and in headers.
    pub fn name(self) -> &'static str {
        match self {
            Dim::Broker => "broker",
            Dim::Algo => "algo",
            Dim::Venue => "venue",
            Dim::Trader => "trader",
            Dim::Desk => "desk",
            Dim::Symbol => "symbol",
            Dim::Day => "day",
        }
    }
}

impl FromStr for Dim {
    type Err = String;
    fn from_str(s: &str) -> Result<Dim, String> {
        let t = s.trim().to_ascii_lowercase();
        Dim::ALL.into_iter().find(|d| d.name() == t).ok_or_else(|| {
            let names: Vec<&str> = Dim::ALL.iter().map(|d| d.name()).collect();
            format!("'{s}' is not a dimension; allowed: {}", names.join(", "))
        })
    }
}

/// Parses `broker,algo`: distinct dimensions joined by commas.
pub fn parse_dims(s: &str) -> Result<Vec<Dim>, String> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let d: Dim = part.parse()?;
        if out.contains(&d) {
            return Err(format!("'{}' is given twice in '{s}'", d.name()));
        }
        out.push(d);
    }
    Ok(out)
}

/// Weighted mean and spread of one figure over a group's orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    /// Weighted mean (`None` when no order has the figure).
    pub mean: Option<f64>,
    /// Weighted standard deviation around it.
    pub sd: Option<f64>,
    /// Orders (or order-venue slices) with the figure.
    pub n: usize,
    /// Smallest value.
    pub min: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
}

/// `(value, weight)` pairs to a `Stat`; non-positive weights count for nothing.
pub fn weighted(values: impl IntoIterator<Item = (f64, f64)>) -> Stat {
    let v: Vec<(f64, f64)> = values.into_iter().filter(|(x, w)| x.is_finite() && *w > 0.0).collect();
    let sw: f64 = v.iter().map(|(_, w)| w).sum();
    if v.is_empty() || sw <= 0.0 {
        return Stat { n: v.len(), ..Stat::default() };
    }
    let mean = v.iter().map(|(x, w)| x * w).sum::<f64>() / sw;
    let var = v.iter().map(|(x, w)| w * (x - mean).powi(2)).sum::<f64>() / sw;
    Stat {
        mean: Some(mean),
        sd: Some(var.max(0.0).sqrt()),
        n: v.len(),
        min: v.iter().map(|(x, _)| *x).reduce(f64::min),
        max: v.iter().map(|(x, _)| *x).reduce(f64::max),
    }
}

/// The group's pre-trade estimates against what its orders realised: plain
/// means over the orders with an estimate, bps (positive = cost). Not by
/// venue: an estimate is of a whole order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PreTradeStat {
    /// Orders with an estimate and fills.
    pub orders: usize,
    /// The estimates (spread + impact).
    pub estimate_bps: Stat,
    /// The realised cost against arrival.
    pub realised_bps: Stat,
    /// Realised minus estimate: the estimate's error (its mean is the bias).
    pub error_bps: Stat,
}

fn pre_trade_stat(units: &[Unit<'_>]) -> PreTradeStat {
    let pts: Vec<(f64, f64, f64)> = units
        .iter()
        .filter(|u| u.venue.is_none())
        .filter_map(|u| {
            let p = u.order.tca.pre_trade.as_ref()?;
            let (r, d) = (p.realised.as_ref()?, p.difference.as_ref()?);
            Some((p.estimate.total_bps, r.total_bps, d.total_bps))
        })
        .collect();
    PreTradeStat {
        orders: pts.len(),
        estimate_bps: weighted(pts.iter().map(|p| (p.0, 1.0))),
        realised_bps: weighted(pts.iter().map(|p| (p.1, 1.0))),
        error_bps: weighted(pts.iter().map(|p| (p.2, 1.0))),
    }
}

/// An order (or its fills at one venue) whose shortfall stands out from its group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outlier {
    /// The order.
    pub order_id: String,
    /// The venue, when grouped by venue.
    pub venue: Option<String>,
    /// Its shortfall in bps of its paper portfolio.
    pub shortfall_bps: f64,
    /// Standard deviations from the group's mean.
    pub z: f64,
}

/// The aggregate of one group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    /// The group's value for each dimension (`-` when an order does not say).
    pub key: Vec<String>,
    /// Orders in the group.
    pub orders: usize,
    /// Fills in the group.
    pub fills: usize,
    /// Decision value of the ordered quantity (of the executed quantity, by venue).
    pub paper: Money,
    /// Executed notional.
    pub executed: Money,
    /// Decision value executed over paper: the fill rate by value.
    pub fill_rate: f64,
    /// Implementation shortfall: delay + trading + opportunity + fees.
    pub shortfall: Money,
    /// Delay.
    pub delay: Money,
    /// Trading (impact and timing).
    pub trading: Money,
    /// Opportunity.
    pub opportunity: Money,
    /// Fees.
    pub fees: Money,
    /// Shortfall in bps: mean weighted by paper (= shortfall / paper), its spread, range and count.
    pub shortfall_bps: Stat,
    /// Delay in bps of paper.
    pub delay_bps: f64,
    /// Trading in bps of paper.
    pub trading_bps: f64,
    /// Opportunity in bps of paper.
    pub opportunity_bps: f64,
    /// Fees in bps of paper.
    pub fees_bps: f64,
    /// Slippage of the average price against arrival, weighted by executed notional.
    pub arrival_bps: Stat,
    /// Slippage against the interval VWAP, weighted by executed notional.
    pub vwap_bps: Stat,
    /// Markouts after the fills at 1 s, 5 s, 30 s, 5 min, weighted by executed notional.
    pub markouts_bps: [Stat; 4],
    /// Orders whose shortfall is beyond the outlier threshold.
    pub outliers: Vec<Outlier>,
    /// Mean pre-trade estimate against mean realised cost.
    #[serde(default)]
    pub pre_trade: PreTradeStat,
}

/// The rows of one grouping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grouping {
    /// The dimensions, in the key's order.
    pub dims: Vec<Dim>,
    /// One row per group, largest paper first.
    pub rows: Vec<GroupRow>,
}

/// One order's (or one venue slice's) contribution.
struct Unit<'a> {
    order: &'a OrderTca,
    venue: Option<&'a str>,
    fills: usize,
    paper: Money,
    executed: Money,
    filled_paper: Money,
    delay: Money,
    trading: Money,
    opportunity: Money,
    fees: Money,
    arrival_bps: Option<f64>,
    vwap_bps: Option<f64>,
    markouts: [Option<f64>; 4],
}

impl Unit<'_> {
    fn total(&self) -> Money {
        self.delay + self.trading + self.opportunity + self.fees
    }
}

fn order_unit(o: &OrderTca) -> Unit<'_> {
    let r = &o.tca;
    let sf = r.implementation_shortfall;
    let qp = o.order.quote_per;
    let filled_paper = r.decision_px.map_or(Money::ZERO, |d| notional(d, r.filled_qty, qp));
    Unit {
        order: o,
        venue: None,
        fills: o.fill_count,
        paper: sf.map_or(Money::ZERO, |s| s.paper_notional),
        executed: o.executed_notional,
        filled_paper,
        delay: sf.map_or(Money::ZERO, |s| s.delay),
        trading: sf.map_or(Money::ZERO, |s| s.trading),
        opportunity: sf.map_or(Money::ZERO, |s| s.opportunity),
        fees: sf.map_or(Money::ZERO, |s| s.fees),
        arrival_bps: r.arrival_slippage_bps,
        vwap_bps: r.vwap_slippage_bps,
        markouts: r.markouts_bps.values(),
    }
}

fn venue_units(o: &OrderTca) -> impl Iterator<Item = Unit<'_>> {
    let r = &o.tca;
    let qp = o.order.quote_per;
    let s = r.side.sign();
    r.venues.iter().map(move |v| {
        let q = v.exec.qty;
        let n = scale(v.exec.notional, qp);
        let (dec, arr) = match (r.decision_px, r.arrival_px) {
            (Some(d), Some(a)) => (notional(d, q, qp), notional(a, q, qp)),
            _ => (Money::ZERO, Money::ZERO),
        };
        let known = r.decision_px.is_some() && r.arrival_px.is_some();
        Unit {
            order: o,
            venue: Some(&v.exec.venue),
            fills: v.exec.fills,
            paper: dec,
            executed: n,
            filled_paper: dec,
            delay: if known { (arr - dec).mul_int(s) } else { Money::ZERO },
            trading: if known { (n - arr).mul_int(s) } else { Money::ZERO },
            opportunity: Money::ZERO,
            fees: v.exec.fees,
            arrival_bps: v.exec.avg_px.zip(r.arrival_px).map(|(p, a)| cost_bps(r.side, p, a)),
            vwap_bps: v.exec.avg_px.zip(r.interval_vwap).map(|(p, a)| cost_bps(r.side, p, a)),
            markouts: v.markouts_bps.values(),
        }
    })
}

fn key_of(u: &Unit<'_>, d: Dim, tz: Tz) -> String {
    let o = &u.order.order;
    let or_dash = |s: &Option<String>| s.as_deref().filter(|s| !s.is_empty()).unwrap_or("-").to_string();
    match d {
        Dim::Broker => or_dash(&o.broker),
        Dim::Algo => or_dash(&o.algo),
        Dim::Trader => or_dash(&o.trader),
        Dim::Desk => or_dash(&o.desk),
        Dim::Symbol => o.symbol.clone(),
        Dim::Venue => u.venue.unwrap_or("-").to_string(),
        Dim::Day => o.arrival.in_tz(tz).date_naive().to_string(),
    }
}

fn row(key: Vec<String>, units: &[Unit<'_>], outlier_sd: f64) -> GroupRow {
    let sum = |f: fn(&Unit<'_>) -> Money| units.iter().map(f).sum::<Money>();
    let paper = sum(|u| u.paper);
    let executed = sum(|u| u.executed);
    let (delay, trading, opportunity, fees) =
        (sum(|u| u.delay), sum(|u| u.trading), sum(|u| u.opportunity), sum(|u| u.fees));
    let shortfall = delay + trading + opportunity + fees;
    let unit_bps = |u: &Unit<'_>| bps_of(u.total(), u.paper);
    let mut shortfall_bps = weighted(units.iter().map(|u| (unit_bps(u), u.paper.to_f64())));
    // The mean from the money sums is exact; the weighted average of rounded bps only approximates it.
    if shortfall_bps.n > 0 {
        shortfall_bps.mean = Some(bps_of(shortfall, paper));
    }
    let by_exec = |f: &dyn Fn(&Unit<'_>) -> Option<f64>| {
        weighted(units.iter().filter_map(|u| f(u).map(|x| (x, u.executed.to_f64()))))
    };
    let mut orders: Vec<&str> = units.iter().map(|u| u.order.order.id.as_str()).collect();
    orders.sort_unstable();
    orders.dedup();
    let outliers = match (shortfall_bps.mean, shortfall_bps.sd) {
        (Some(m), Some(sd)) if sd > 0.0 => units
            .iter()
            .filter(|u| u.paper.is_positive())
            .map(|u| (u, unit_bps(u), (unit_bps(u) - m) / sd))
            .filter(|(_, _, z)| z.abs() > outlier_sd)
            .map(|(u, x, z)| Outlier {
                order_id: u.order.order.id.clone(),
                venue: u.venue.map(str::to_string),
                shortfall_bps: x,
                z,
            })
            .collect(),
        _ => Vec::new(),
    };
    GroupRow {
        key,
        orders: orders.len(),
        fills: units.iter().map(|u| u.fills).sum(),
        paper,
        executed,
        fill_rate: if paper.is_positive() { sum(|u| u.filled_paper).to_f64() / paper.to_f64() } else { 0.0 },
        shortfall,
        delay,
        trading,
        opportunity,
        fees,
        shortfall_bps,
        delay_bps: bps_of(delay, paper),
        trading_bps: bps_of(trading, paper),
        opportunity_bps: bps_of(opportunity, paper),
        fees_bps: bps_of(fees, paper),
        arrival_bps: by_exec(&|u| u.arrival_bps),
        vwap_bps: by_exec(&|u| u.vwap_bps),
        markouts_bps: std::array::from_fn(|k| by_exec(&|u| u.markouts[k])),
        outliers,
        pre_trade: pre_trade_stat(units),
    }
}

/// Groups the orders by `dims` (every order in one row when empty); `tz`
/// decides the day; orders more than `outlier_sd` standard deviations from
/// their group's mean shortfall are listed as outliers.
pub fn group(orders: &[OrderTca], dims: &[Dim], tz: Tz, outlier_sd: f64) -> Grouping {
    let units: Vec<Unit<'_>> = if dims.contains(&Dim::Venue) {
        orders.iter().flat_map(venue_units).collect()
    } else {
        orders.iter().map(order_unit).collect()
    };
    let mut groups: BTreeMap<Vec<String>, Vec<Unit<'_>>> = BTreeMap::new();
    for u in units {
        let key = dims.iter().map(|d| key_of(&u, *d, tz)).collect();
        groups.entry(key).or_default().push(u);
    }
    let mut rows: Vec<GroupRow> = groups.into_iter().map(|(k, us)| row(k, &us, outlier_sd)).collect();
    rows.sort_by(|a, b| b.paper.cmp(&a.paper).then_with(|| a.key.cmp(&b.key)));
    Grouping { dims: dims.to_vec(), rows }
}

/// The orders (indices into `orders`) that belong to the group `key` of a grouping by `dims`;
/// grouped by venue, an order belongs to every venue it executed at.
pub fn members(orders: &[OrderTca], dims: &[Dim], tz: Tz, key: &[String]) -> Vec<usize> {
    let matches = |u: &Unit<'_>| dims.iter().zip(key).all(|(d, k)| key_of(u, *d, tz) == *k);
    orders
        .iter()
        .enumerate()
        .filter(
            |(_, o)| {
                if dims.contains(&Dim::Venue) { venue_units(o).any(|u| matches(&u)) } else { matches(&order_unit(o)) }
            },
        )
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
pub(crate) mod tests;
