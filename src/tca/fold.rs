//! An order's fills folded one by one into what its report reads: totals,
//! quantity-weighted markouts (after and before) and per-venue executions.
//! The engine folds a fill once its markouts are final and keeps no more of
//! it; a batch folds its fills in one pass. The figures are the same, sum for
//! sum in the same order, as a pass over every fill.

use super::attribution::{VenueAttribution, VenueShare};
use super::markout::{MarkoutAcc, Markouts};
use super::shortfall::{bps_of, notional, scale};
use crate::model::{Fill, Liquidity, Money, Name, Price, Qty, Side, vwap};

/// One venue's executions.
#[derive(Debug, Clone)]
struct VenueFold {
    venue: Name,
    qty: Qty,
    notional: Money,
    fees: Money,
    fills: usize,
    maker: Qty,
    after: MarkoutAcc,
}

/// Fills folded: totals, markouts and venues.
#[derive(Debug, Clone, Default)]
pub struct FillFold {
    /// Filled quantity.
    pub filled: Qty,
    /// Sum of price times quantity.
    pub notional: Money,
    /// Fees paid (negative: rebates).
    pub fees: Money,
    /// Number of fills.
    pub count: usize,
    after: MarkoutAcc,
    before: MarkoutAcc,
    /// First seen first (the report sorts them).
    venues: Vec<VenueFold>,
}

impl FillFold {
    /// Folds every fill with its markouts after and before (`HORIZONS` order; missing: none).
    pub fn of(fills: &[Fill], after: &[[Option<f64>; 4]], before: &[[Option<f64>; 4]]) -> FillFold {
        let mut out = FillFold::default();
        for (k, f) in fills.iter().enumerate() {
            out.add(f, after.get(k).copied().unwrap_or_default(), before.get(k).copied().unwrap_or_default());
        }
        out
    }

    /// Folds one fill with its markouts after and before it.
    pub fn add(&mut self, f: &Fill, after: [Option<f64>; 4], before: [Option<f64>; 4]) {
        self.filled += f.qty;
        self.notional += Money::notional(f.px, f.qty);
        self.fees += f.fee;
        self.count += 1;
        let q = f.qty.to_f64();
        self.after.add_values(q, after);
        self.before.add_values(q, before);
        let i = match self.venues.iter().position(|v| v.venue == f.venue) {
            Some(i) => i,
            None => {
                self.venues.push(VenueFold {
                    venue: f.venue.clone(),
                    qty: Qty::ZERO,
                    notional: Money::ZERO,
                    fees: Money::ZERO,
                    fills: 0,
                    maker: Qty::ZERO,
                    after: MarkoutAcc::default(),
                });
                self.venues.len() - 1
            }
        };
        let v = &mut self.venues[i];
        v.qty += f.qty;
        v.notional += Money::notional(f.px, f.qty);
        v.fees += f.fee;
        v.fills += 1;
        if f.liquidity == Liquidity::Maker {
            v.maker += f.qty;
        }
        v.after.add_values(q, after);
    }

    /// Average fill price.
    pub fn avg_px(&self) -> Option<Price> {
        vwap(self.notional, self.filled)
    }

    /// Quantity-weighted markouts after the fills.
    pub fn markouts_after(&self) -> Markouts {
        self.after.finish()
    }

    /// Quantity-weighted markouts before the fills.
    pub fn markouts_before(&self) -> Markouts {
        self.before.finish()
    }

    /// The venues, largest first (ties by name).
    fn sorted(&self) -> Vec<&VenueFold> {
        let mut rows: Vec<&VenueFold> = self.venues.iter().collect();
        rows.sort_by(|a, b| b.qty.cmp(&a.qty).then(a.venue.cmp(&b.venue)));
        rows
    }

    fn share(&self, v: &VenueFold) -> VenueShare {
        VenueShare {
            venue: v.venue.clone(),
            qty: v.qty,
            share: v.qty.ratio(self.filled),
            avg_px: vwap(v.notional, v.qty),
            notional: v.notional,
            fees: v.fees,
            fills: v.fills,
        }
    }

    /// Executions by venue, largest first.
    pub fn venue_shares(&self) -> Vec<VenueShare> {
        self.sorted().into_iter().map(|v| self.share(v)).collect()
    }

    /// Venue attribution against the arrival mid, in bps of `paper`.
    pub fn venue_attribution(
        &self,
        side: Side,
        arrival: Option<Price>,
        paper: Money,
        quote_per: i64,
    ) -> Vec<VenueAttribution> {
        self.sorted()
            .into_iter()
            .map(|v| {
                let cost = arrival.map(|a| {
                    (scale(v.notional, quote_per) - notional(a, v.qty, quote_per)).mul_int(side.sign()) + v.fees
                });
                VenueAttribution {
                    passive_share: v.maker.ratio(v.qty),
                    cost,
                    cost_bps: cost.map(|c| bps_of(c, paper)),
                    markouts_bps: v.after.finish(),
                    exec: self.share(v),
                }
            })
            .collect()
    }
}
