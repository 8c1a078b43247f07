//! An order's pre-trade estimate beside what it realised.
//!
//! The estimate (`PreTrade`) is fixed when the order is submitted and
//! recorded with it (the `accepted` event carries it), so a restarted engine,
//! a served one and an embedded one all show the same figures. It predicts
//! spread + impact; the market's own moves while the order works (timing)
//! have no expected value and are given as a risk (one standard deviation).
//!
//! The realised side splits each fill's cost against arrival into
//! - spread: the fill against the mid (with us) at the fill;
//! - impact: that mid against the mid the same market would have had without
//!   our orders (known in the simulator; a closing-auction fill against the
//!   price the auction cleared at without us);
//! - timing: the mid without us against arrival.
//!
//! Without a market without us (executions analysed from files) impact and
//! timing stay together. Realised figures are bps of arrival per filled unit
//! and currency on the filled quantity; the estimate's are bps of the
//! reference price (the mid at submission) and currency on the ordered
//! quantity; the difference is in bps, and in currency on the filled quantity.

pub mod history;

use super::mids::MidSource;
use crate::model::{Fill, Liquidity, Price, Qty, Side, Timestamp};
use history::MarketFigures;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The pre-trade estimate an order was submitted with (positive = cost).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreTrade {
    /// When it was estimated: the order's submission.
    pub at: Timestamp,
    /// The quantity estimated (an amend keeps the estimate made at submission).
    pub qty: Qty,
    /// Reference price: the mid at submission.
    pub price: f64,
    /// Paid against the mid at each fill (crossing the spread, latency and
    /// adverse selection of passive fills), bps of the reference notional.
    pub spread_bps: f64,
    /// The same in currency.
    pub spread: f64,
    /// Market impact of the schedule, bps.
    pub impact_bps: f64,
    /// The same in currency.
    pub impact: f64,
    /// One standard deviation of the timing cost along the schedule, bps.
    pub timing_risk_bps: f64,
    /// The same in currency.
    pub timing_risk: f64,
    /// Expected cost: spread + impact, bps.
    pub total_bps: f64,
    /// The same in currency.
    pub total: f64,
    /// The impact model in the total (`propagator`, `sqrt` or `linear`).
    pub model: String,
    /// What the models were given and the coefficients, by name.
    pub inputs: BTreeMap<String, f64>,
}

/// How a realised cost separated impact from timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImpactSplit {
    /// Against the simulated market's mid without our orders: exact.
    WithoutUs,
    /// Not separated (no market without us is known): `timing` holds both.
    None,
}

/// What an order realised, split like the estimate (positive = cost).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RealisedCost {
    /// How impact was separated from timing.
    pub split: ImpactSplit,
    /// Quantity the figures are over.
    pub filled: Qty,
    /// Fills against the mid at each fill, bps of arrival.
    pub spread_bps: f64,
    /// The same in currency.
    pub spread: f64,
    /// The mid with us against the mid without us (absent when not separated), bps.
    pub impact_bps: Option<f64>,
    /// The same in currency.
    pub impact: Option<f64>,
    /// The mid without us against arrival (with `split: none`: the mid against arrival, impact included), bps.
    pub timing_bps: f64,
    /// The same in currency.
    pub timing: f64,
    /// spread + impact + timing: the fills against arrival, bps.
    pub total_bps: f64,
    /// The same in currency.
    pub total: f64,
}

/// Realised minus estimated (positive = it cost more than estimated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostDifference {
    /// Spread, bps.
    pub spread_bps: f64,
    /// Impact, bps (absent when impact was not separated from timing).
    pub impact_bps: Option<f64>,
    /// Spread + impact against the estimate's total, bps: the estimate's own error.
    pub cost_bps: Option<f64>,
    /// Everything (timing included) against the estimate's total, bps.
    pub total_bps: f64,
    /// The same in currency, on the filled quantity.
    pub total: f64,
    /// Realised timing over the estimated timing risk (how many standard deviations).
    pub timing_sd: Option<f64>,
}

/// An order's pre-trade estimate beside its realised cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimateVsRealised {
    /// The estimate made at submission.
    pub estimate: PreTrade,
    /// What the order realised so far (absent before its first fill).
    pub realised: Option<RealisedCost>,
    /// Realised minus estimated (absent before the first fill).
    pub difference: Option<CostDifference>,
}

/// Whose schedule an imported order's estimate follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleFrom {
    /// The algorithm the orders file or the drop copy names.
    Order,
    /// None named (or not one of ours): the documented default, a VWAP
    /// schedule from arrival to end.
    Default,
}

/// How the pre-trade estimate of an order done elsewhere was made: the
/// market figures measured from the recording (before the arrival when it
/// holds enough history), the schedule, or why no estimate could be made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimateBasis {
    /// The market figures (absent when the data could not support an estimate).
    pub market: Option<MarketFigures>,
    /// The algorithm whose schedule was estimated (`vwap`, `twap`, `pov`, `is`, ...).
    pub algo: Option<String>,
    /// Whether that is the order's own algorithm or the default.
    pub schedule_from: ScheduleFrom,
    /// Why the algorithm named was not used (not one of ours, or it refused the window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_note: Option<String>,
    /// Why there is no estimate (too little data, an unknown instrument).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
}

/// What `realised` needs about the market.
pub struct RealisedInput<'a> {
    /// Buy or sell.
    pub side: Side,
    /// The arrival price.
    pub arrival: Price,
    /// The order's fills.
    pub fills: &'a [Fill],
    /// The mid (with us) over time.
    pub mids: &'a dyn MidSource,
    /// The mid the market would have had without our orders, when known.
    pub without_us: Option<&'a dyn MidSource>,
    /// The closing auction's price without our orders, when it ran.
    pub auction_without_us: Option<f64>,
    /// Prices are per this many units of quantity (bonds: 100).
    pub quote_per: i64,
}

/// The realised cost split into spread, impact and timing; `None` without fills.
pub fn realised(i: &RealisedInput<'_>) -> Option<RealisedCost> {
    let mut fold = RealisedFold::default();
    for f in i.fills {
        fold.add(f, i.side, i.arrival, i.mids, i.without_us, i.auction_without_us);
    }
    fold.finish(i.arrival, i.without_us.is_some(), i.quote_per)
}

/// The realised cost's sums, folded fill by fill (the engine folds a fill
/// once the mids at its time are final and keeps no more of it).
#[derive(Debug, Clone, Copy, Default)]
pub struct RealisedFold {
    spread: f64,
    impact: f64,
    timing: f64,
    filled: Qty,
}

impl RealisedFold {
    /// Folds one fill: the mid with us and without us at its time split its
    /// price against `arrival` into spread, impact and timing.
    pub fn add(
        &mut self,
        f: &Fill,
        side: Side,
        arrival: Price,
        mids: &dyn MidSource,
        without_us: Option<&dyn MidSource>,
        auction_without_us: Option<f64>,
    ) {
        let side = side.sign() as f64;
        let a = arrival.to_f64();
        let (px, q) = (f.px.to_f64(), f.qty.to_f64());
        self.filled += f.qty;
        let (with_us, without) = match (f.liquidity, auction_without_us, without_us) {
            // An auction fill has no spread: its price against the price without us is impact.
            (Liquidity::Auction, Some(b), _) => (px, b),
            (_, _, Some(w)) => {
                let with_us = mids.mid_at(f.ts).unwrap_or(px);
                (with_us, w.mid_at(f.ts).unwrap_or(with_us))
            }
            (_, _, None) => {
                let with_us = mids.mid_at(f.ts).unwrap_or(px);
                (with_us, with_us)
            }
        };
        self.spread += side * (px - with_us) * q;
        self.impact += side * (with_us - without) * q;
        self.timing += side * (without - a) * q;
    }

    /// The realised cost against `arrival`; `separated` when the impact was
    /// measured against the market without us. `None` without fills.
    pub fn finish(&self, arrival: Price, separated: bool, quote_per: i64) -> Option<RealisedCost> {
        let (spread, impact, timing, filled) = (self.spread, self.impact, self.timing, self.filled);
        let a = arrival.to_f64();
        let per = quote_per.max(1) as f64;
        let d = a * filled.to_f64();
        if d <= 0.0 {
            return None;
        }
        let bps = |x: f64| x / d * 1e4;
        let ccy = |x: f64| x / per;
        let split = if separated { ImpactSplit::WithoutUs } else { ImpactSplit::None };
        let total = spread + impact + timing;
        Some(RealisedCost {
            split,
            filled,
            spread_bps: bps(spread),
            spread: ccy(spread),
            impact_bps: separated.then(|| bps(impact)),
            impact: separated.then(|| ccy(impact)),
            timing_bps: bps(timing + if separated { 0.0 } else { impact }),
            timing: ccy(timing + if separated { 0.0 } else { impact }),
            total_bps: bps(total),
            total: ccy(total),
        })
    }
}

/// The estimate beside the realised cost, with the difference.
pub fn compare(
    estimate: &PreTrade,
    realised: Option<RealisedCost>,
    arrival: Option<Price>,
    quote_per: i64,
) -> EstimateVsRealised {
    let difference = realised.as_ref().map(|r| {
        let cost = r.impact_bps.map(|i| r.spread_bps + i - estimate.total_bps);
        let total_bps = r.total_bps - estimate.total_bps;
        // The estimate's bps on the filled quantity at arrival, in currency.
        let base = arrival.map_or(estimate.price, Price::to_f64) * r.filled.to_f64() / quote_per.max(1) as f64;
        CostDifference {
            spread_bps: r.spread_bps - estimate.spread_bps,
            impact_bps: r.impact_bps.map(|i| i - estimate.impact_bps),
            cost_bps: cost,
            total_bps,
            total: total_bps / 1e4 * base,
            timing_sd: (estimate.timing_risk_bps > 0.0 && r.split == ImpactSplit::WithoutUs)
                .then(|| r.timing_bps / estimate.timing_risk_bps),
        }
    });
    EstimateVsRealised { estimate: estimate.clone(), realised, difference }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::MidSeries;
    use crate::model::{ChildId, FillId, ParentId};

    fn fill(ts: i64, px: &str, qty: i64, liquidity: Liquidity) -> Fill {
        Fill {
            id: FillId(ts as u64),
            child: ChildId { parent: ParentId::new(0, 1), seq: 1 },
            venue: "NYSE".into(),
            side: Side::Buy,
            ts: Timestamp(ts),
            px: px.parse().unwrap(),
            qty: Qty::from_int(qty),
            fee: Default::default(),
            liquidity,
        }
    }

    struct Flat(f64);
    impl MidSource for Flat {
        fn mid_at(&self, _t: Timestamp) -> Option<f64> {
            Some(self.0)
        }
        fn last_time(&self) -> Option<Timestamp> {
            None
        }
    }

    /// A buy arriving at 100.00 fills 100 at 100.06 with the mid at 100.05
    /// and the mid without us at 100.02: spread 0.01 x 100 = 1.00 (1 bp of
    /// the 10,000 notional at arrival), impact 0.03 x 100 = 3.00 (3 bps),
    /// timing 0.02 x 100 = 2.00 (2 bps), total 6 bps = 6.00. Against an
    /// estimate of spread 0.5 + impact 2.0 = 2.5 bps with a 4 bp timing risk:
    /// spread +0.5, impact +1.0, cost +1.5, total +3.5 bps = 3.50 on 10,000,
    /// timing 0.5 standard deviations.
    #[test]
    fn split_and_difference_by_hand() {
        let fills = [fill(1, "100.06", 100, Liquidity::Taker)];
        let input = RealisedInput {
            side: Side::Buy,
            arrival: "100".parse().unwrap(),
            fills: &fills,
            mids: &Flat(100.05),
            without_us: Some(&Flat(100.02)),
            auction_without_us: None,
            quote_per: 1,
        };
        let r = realised(&input).unwrap();
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(r.spread_bps, 1.0) && close(r.spread, 1.0), "{r:?}");
        assert!(close(r.impact_bps.unwrap(), 3.0) && close(r.impact.unwrap(), 3.0), "{r:?}");
        assert!(close(r.timing_bps, 2.0) && close(r.total_bps, 6.0) && close(r.total, 6.0), "{r:?}");
        let est = PreTrade {
            at: Timestamp(0),
            qty: Qty::from_int(100),
            price: 100.0,
            spread_bps: 0.5,
            spread: 0.5,
            impact_bps: 2.0,
            impact: 2.0,
            timing_risk_bps: 4.0,
            timing_risk: 4.0,
            total_bps: 2.5,
            total: 2.5,
            model: "propagator".into(),
            inputs: BTreeMap::new(),
        };
        let c = compare(&est, Some(r), Some("100".parse().unwrap()), 1);
        let d = c.difference.unwrap();
        assert!(close(d.spread_bps, 0.5) && close(d.impact_bps.unwrap(), 1.0) && close(d.cost_bps.unwrap(), 1.5));
        assert!(close(d.total_bps, 3.5) && close(d.total, 3.5) && close(d.timing_sd.unwrap(), 0.5), "{d:?}");
        // Without a market without us, impact stays in timing: 3 + 2 = 5 bps.
        let r = realised(&RealisedInput { without_us: None, ..input }).unwrap();
        assert_eq!((r.split, r.impact_bps), (ImpactSplit::None, None));
        assert!(close(r.timing_bps, 5.0) && close(r.total_bps, 6.0));
        assert!(compare(&est, Some(r), None, 1).difference.unwrap().timing_sd.is_none());
    }

    /// A sell's auction fill at 99.90 when the auction cleared at 99.95
    /// without us, arrival 100: impact 5 bps, timing 5 bps, no spread.
    #[test]
    fn an_auction_fill_is_impact_against_the_price_without_us() {
        let fills = [fill(1, "99.90", 10, Liquidity::Auction)];
        let mids = MidSeries::new(Timestamp(0), 1);
        let r = realised(&RealisedInput {
            side: Side::Sell,
            arrival: "100".parse().unwrap(),
            fills: &fills,
            mids: &mids,
            without_us: Some(&mids),
            auction_without_us: Some(99.95),
            quote_per: 1,
        })
        .unwrap();
        assert!(
            r.spread_bps.abs() < 1e-9
                && (r.impact_bps.unwrap() - 5.0).abs() < 1e-9
                && (r.timing_bps - 5.0).abs() < 1e-9
        );
        assert!(
            realised(&RealisedInput {
                side: Side::Sell,
                arrival: "100".parse().unwrap(),
                fills: &[],
                mids: &mids,
                without_us: None,
                auction_without_us: None,
                quote_per: 1,
            })
            .is_none()
        );
    }
}
