//! Post-trade transaction cost analysis.
//!
//! Sign convention: a cost is positive when it hurt the order (a buy paid
//! above the benchmark, a sell received below it).

use crate::market::Tape;
use crate::model::{Fill, Money, Name, ParentOrder, Price, Qty, Side, Timestamp, vwap};
use serde::{Deserialize, Serialize};

/// Per-venue share of an order's executions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VenueShare {
    /// Venue.
    pub venue: Name,
    /// Quantity executed there.
    pub qty: Qty,
    /// Fraction of the order's executed quantity.
    pub share: f64,
    /// Average price there.
    pub avg_px: Option<Price>,
    /// Fees paid there (negative = rebates earned).
    pub fees: Money,
    /// Number of fills.
    pub fills: usize,
}

/// Signed cost in basis points of `px` against `benchmark` for `side`.
pub fn cost_bps(side: Side, px: Price, benchmark: Price) -> f64 {
    px.bps_from(benchmark) * side.sign() as f64
}

/// Executions grouped by venue, largest first.
pub fn venue_shares(fills: &[Fill]) -> Vec<VenueShare> {
    let total: Qty = fills.iter().map(|f| f.qty).sum();
    let mut rows: Vec<(Name, Qty, Money, Money, usize)> = Vec::new();
    for f in fills {
        let i = match rows.iter().position(|r| r.0 == f.venue) {
            Some(i) => i,
            None => {
                rows.push((f.venue.clone(), Qty::ZERO, Money::ZERO, Money::ZERO, 0));
                rows.len() - 1
            }
        };
        let r = &mut rows[i];
        r.1 += f.qty;
        r.2 += Money::notional(f.px, f.qty);
        r.3 += f.fee;
        r.4 += 1;
    }
    let mut out: Vec<VenueShare> = rows
        .into_iter()
        .map(|(venue, qty, notional, fees, n)| VenueShare {
            venue,
            qty,
            share: qty.ratio(total),
            avg_px: vwap(notional, qty),
            fees,
            fills: n,
        })
        .collect();
    out.sort_by(|a, b| b.qty.cmp(&a.qty).then(a.venue.cmp(&b.venue)));
    out
}

/// The headline figures of one order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Mid at arrival.
    pub arrival_px: Option<Price>,
    /// Market VWAP over the order's active window, excluding our own fills.
    pub interval_vwap: Option<Price>,
    /// Same, including our own fills.
    pub interval_vwap_incl_ours: Option<Price>,
    /// Cost against arrival in bps (positive = worse).
    pub arrival_slippage_bps: Option<f64>,
    /// Cost against interval VWAP in bps (positive = worse).
    pub vwap_slippage_bps: Option<f64>,
    /// Our share of the volume traded in the window.
    pub participation: f64,
    /// Per-venue executions.
    pub venues: Vec<VenueShare>,
}

/// Headline figures for an order from its fills and the instrument's tape.
pub fn summary(order: &ParentOrder, fills: &[Fill], tape: &Tape, window_end: Timestamp) -> Summary {
    let avg = order.avg_px();
    let end = order.done_at.unwrap_or(window_end).max(order.start);
    // Include prints stamped exactly at the end (the last fill, an auction).
    let end = Timestamp(end.0 + 1);
    let excl = tape.stats(order.start, end, false);
    let incl = tape.stats(order.start, end, true);
    let iv = excl.vwap();
    Summary {
        arrival_px: order.arrival_px,
        interval_vwap: iv,
        interval_vwap_incl_ours: incl.vwap(),
        arrival_slippage_bps: avg.zip(order.arrival_px).map(|(a, b)| cost_bps(order.side, a, b)),
        vwap_slippage_bps: avg.zip(iv).map(|(a, b)| cost_bps(order.side, a, b)),
        participation: order.filled.ratio(incl.qty),
        venues: venue_shares(fills),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChildId, FillId, Liquidity, ParentId};

    fn fill(venue: &str, px: &str, q: i64) -> Fill {
        Fill {
            id: FillId(1),
            child: ChildId { parent: ParentId(1), seq: 1 },
            venue: venue.into(),
            side: Side::Buy,
            px: px.parse().unwrap(),
            qty: Qty::from_int(q),
            fee: Money::parse("0.1").unwrap(),
            liquidity: Liquidity::Maker,
            ts: Timestamp(0),
        }
    }

    #[test]
    fn sign_convention() {
        let p = |s: &str| s.parse::<Price>().unwrap();
        assert!((cost_bps(Side::Buy, p("100.10"), p("100")) - 10.0).abs() < 1e-9);
        assert!((cost_bps(Side::Sell, p("100.10"), p("100")) + 10.0).abs() < 1e-9);
        assert!((cost_bps(Side::Sell, p("99.90"), p("100")) - 10.0).abs() < 1e-9);
    }

    #[test]
    fn venues_are_grouped() {
        let v = venue_shares(&[fill("NYSE", "10", 100), fill("IEX", "11", 300), fill("NYSE", "12", 100)]);
        assert_eq!(v[0].venue.as_ref(), "IEX");
        assert_eq!(v[1].qty, Qty::from_int(200));
        assert_eq!(v[1].avg_px.unwrap().to_string(), "11");
        assert!((v[0].share - 0.6).abs() < 1e-12);
        assert_eq!(v[1].fees.to_string(), "0.2");
    }
}
