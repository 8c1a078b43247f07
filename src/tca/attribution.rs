//! Attribution: where the cost came from, by venue and by cause.

use super::fold::FillFold;
use super::markout::Markouts;
use super::shortfall::{bps_of, notional};
use crate::model::{AlgoKind, Fill, Money, Name, Price, Qty, Side};
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
    /// Sum of price times quantity there (before any `quote_per`).
    pub notional: Money,
    /// Fees paid there (negative = rebates earned).
    pub fees: Money,
    /// Number of fills.
    pub fills: usize,
}

/// Executions grouped by venue, largest first.
pub fn venue_shares(fills: &[Fill]) -> Vec<VenueShare> {
    FillFold::of(fills, &[], &[]).venue_shares()
}

/// One venue's part in an order's cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VenueAttribution {
    /// Quantity, share, average price, fees and fill count.
    #[serde(flatten)]
    pub exec: VenueShare,
    /// Fraction of the venue's quantity that was passive (maker).
    pub passive_share: f64,
    /// The venue's contribution to trading cost plus fees: `s * (N_v - A * q_v) + fees_v`.
    pub cost: Option<Money>,
    /// The contribution in bps of the paper portfolio (the venues add up to trading + fees).
    pub cost_bps: Option<f64>,
    /// Quantity-weighted markouts of the venue's fills.
    pub markouts_bps: Markouts,
}

/// Venue attribution against the arrival mid, in bps of `paper`; `after`
/// holds each fill's markouts (`HORIZONS` order).
pub fn venues(
    side: Side,
    fills: &[Fill],
    arrival: Option<Price>,
    paper: Money,
    quote_per: i64,
    after: &[[Option<f64>; 4]],
) -> Vec<VenueAttribution> {
    FillFold::of(fills, after, &[]).venue_attribution(side, arrival, paper, quote_per)
}

/// The algorithm's part: trading cost split into impact and timing, and the
/// opportunity cost of what it left unfilled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlgoAttribution {
    /// The algorithm, when known.
    pub algo: Option<AlgoKind>,
    /// Cost against the interval VWAP: `s * (N - VWAP * q)` (what the order's own trading added).
    pub impact: Money,
    /// Impact in bps of the paper portfolio.
    pub impact_bps: f64,
    /// The market's drift over the window: `s * (VWAP - A) * q` (impact + timing = trading).
    pub timing: Money,
    /// Timing in bps.
    pub timing_bps: f64,
    /// The unfilled quantity's cost (same as the shortfall's).
    pub opportunity: Money,
    /// Opportunity in bps.
    pub opportunity_bps: f64,
}

#[allow(clippy::too_many_arguments)]
/// Splits `trading` into timing (arrival to interval VWAP) and impact (the rest).
pub fn algo(
    algo: Option<AlgoKind>,
    side: Side,
    filled: Qty,
    arrival: Price,
    interval_vwap: Option<Price>,
    trading: Money,
    opportunity: Money,
    paper: Money,
    quote_per: i64,
) -> AlgoAttribution {
    // Without market prints in the window there is no drift to separate out.
    let timing = interval_vwap
        .map(|v| (notional(v, filled, quote_per) - notional(arrival, filled, quote_per)).mul_int(side.sign()))
        .unwrap_or(Money::ZERO);
    let impact = trading - timing;
    AlgoAttribution {
        algo,
        impact,
        impact_bps: bps_of(impact, paper),
        timing,
        timing_bps: bps_of(timing, paper),
        opportunity,
        opportunity_bps: bps_of(opportunity, paper),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChildId, FillId, Liquidity, ParentId, Timestamp};

    fn fill(venue: &str, px: &str, q: i64, liq: Liquidity) -> Fill {
        Fill {
            id: FillId(1),
            child: ChildId { parent: ParentId::local(1), seq: 1 },
            venue: venue.into(),
            side: Side::Buy,
            px: px.parse().unwrap(),
            qty: Qty::from_int(q),
            fee: Money::parse("0.1").unwrap(),
            liquidity: liq,
            ts: Timestamp(0),
        }
    }

    #[test]
    fn venues_are_grouped() {
        let v = venue_shares(&[
            fill("NYSE", "10", 100, Liquidity::Maker),
            fill("IEX", "11", 300, Liquidity::Maker),
            fill("NYSE", "12", 100, Liquidity::Taker),
        ]);
        assert_eq!(v[0].venue.as_ref(), "IEX");
        assert_eq!(v[1].qty, Qty::from_int(200));
        assert_eq!(v[1].avg_px.unwrap().to_string(), "11");
        assert!((v[0].share - 0.6).abs() < 1e-12);
        assert_eq!(v[1].fees.to_string(), "0.2");
    }

    /// Buy 1,000 decided and arriving at 10.00 (paper 10,000): NYSE 100 @ 10 and
    /// 100 @ 12 (N = 2,200, fees 0.2) costs 2,200 - 2,000 + 0.2 = 200.20 = 200.2 bps;
    /// IEX 300 @ 11 (fees 0.1) costs 3,300 - 3,000 + 0.1 = 300.10 = 300.1 bps.
    #[test]
    fn venue_costs_add_up_to_trading_plus_fees() {
        let fills = [
            fill("NYSE", "10", 100, Liquidity::Maker),
            fill("IEX", "11", 300, Liquidity::Maker),
            fill("NYSE", "12", 100, Liquidity::Taker),
        ];
        let paper = Money::from_int(10_000);
        let v = venues(Side::Buy, &fills, Some("10".parse().unwrap()), paper, 1, &[[None; 4]; 3]);
        assert_eq!(v[0].cost, Some(Money::parse("300.1").unwrap()));
        assert_eq!(v[1].cost, Some(Money::parse("200.2").unwrap()));
        assert!((v[1].cost_bps.unwrap() - 200.2).abs() < 1e-9);
        assert!((v[1].passive_share - 0.5).abs() < 1e-12);
        assert_eq!(v[0].markouts_bps.s1, None);
    }

    /// Buy 500 filled at N = 5,500 (avg 11) against arrival 10 and interval VWAP 10.50:
    /// trading = 500; timing = (10.50 - 10) x 500 = 250; impact = 500 - 250 = 250.
    #[test]
    fn trading_splits_into_timing_and_impact() {
        let a = algo(
            Some(AlgoKind::Twap),
            Side::Buy,
            Qty::from_int(500),
            "10".parse().unwrap(),
            Some("10.5".parse().unwrap()),
            Money::from_int(500),
            Money::ZERO,
            Money::from_int(5_000),
            1,
        );
        assert_eq!(a.timing, Money::from_int(250));
        assert_eq!(a.impact, Money::from_int(250));
        assert!((a.impact_bps - 500.0).abs() < 1e-9);
    }
}
