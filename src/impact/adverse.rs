//! Adverse selection learned from the session's own passive fills: per venue,
//! the quantity-weighted markout of maker fills at a horizon.

use crate::model::{Duration, Fill, Liquidity, Name};
use crate::tca::MidSource;
use crate::tca::markout::{Direction, markout_bps};
use serde::Serialize;

/// What a venue's passive fills have shown so far.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VenueMarkout {
    /// Venue.
    pub venue: Name,
    /// Quantity-weighted markout in bps (positive = the price moved against the fill).
    pub bps: f64,
    /// Quantity observed.
    pub qty: f64,
    /// Fills observed.
    pub fills: usize,
}

/// Per-venue markouts of the maker fills among `fills` at `horizon`; fills whose
/// horizon lies beyond the mids are skipped.
pub fn venue_markouts<'a>(
    fills: impl IntoIterator<Item = &'a Fill>,
    mids: &dyn MidSource,
    horizon: Duration,
) -> Vec<VenueMarkout> {
    let mut out: Vec<VenueMarkout> = Vec::new();
    for f in fills.into_iter().filter(|f| f.liquidity == Liquidity::Maker) {
        let Some(b) = markout_bps(f.side, f.px, f.ts, horizon, Direction::After, mids) else { continue };
        let q = f.qty.to_f64();
        let row = match out.iter().position(|r| r.venue == f.venue) {
            Some(i) => &mut out[i],
            None => {
                out.push(VenueMarkout { venue: f.venue.clone(), bps: 0.0, qty: 0.0, fills: 0 });
                out.last_mut().expect("just pushed")
            }
        };
        // Running quantity-weighted mean.
        row.bps = (row.bps * row.qty + b * q) / (row.qty + q);
        row.qty += q;
        row.fills += 1;
    }
    out
}

/// The expected markout of the order's passive fills: venues weighted by where
/// passive orders are expected to rest; venues without history use `prior_bps`.
/// Returns (bps, fills observed).
pub fn expected_markout(history: &[VenueMarkout], weights: &[(Name, f64)], prior_bps: f64) -> (f64, usize) {
    let wsum: f64 = weights.iter().map(|w| w.1.max(0.0)).sum();
    if wsum <= 0.0 {
        return (prior_bps, 0);
    }
    let mut bps = 0.0;
    let mut samples = 0;
    for (venue, w) in weights {
        let h = history.iter().find(|h| &h.venue == venue);
        bps += w.max(0.0) / wsum * h.map_or(prior_bps, |h| h.bps);
        samples += h.map_or(0, |h| h.fills);
    }
    (bps, samples)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::MidSeries;
    use crate::model::{ChildId, FillId, Money, ParentId, Price, Qty, Side, Timestamp};

    const S: i64 = 1_000_000_000;

    fn fill(venue: &str, side: Side, px: &str, q: i64, t: i64, liq: Liquidity) -> Fill {
        Fill {
            id: FillId(1),
            child: ChildId { parent: ParentId::local(1), seq: 1 },
            venue: venue.into(),
            side,
            px: px.parse::<Price>().unwrap(),
            qty: Qty::from_int(q),
            fee: Money::ZERO,
            liquidity: liq,
            ts: Timestamp(t),
        }
    }

    /// The mid is 100.00 for 10 s and 99.90 afterwards. Passive buys at 100.00 at
    /// t = 8 s are marked at 99.90 five seconds later: 10 bps each. A passive sell
    /// at 100.00 gains 10 bps (-10). The taker fill is ignored.
    #[test]
    fn markouts_per_venue_from_passive_fills() {
        let mut mids = MidSeries::new(Timestamp(0), S);
        for s in 0..=60 {
            mids.record(Timestamp(s * S), if s < 10 { 100.0 } else { 99.9 });
        }
        let fills = [
            fill("NYSE", Side::Buy, "100", 300, 8 * S, Liquidity::Maker),
            fill("NYSE", Side::Sell, "100", 100, 8 * S, Liquidity::Maker),
            fill("IEX", Side::Buy, "100", 200, 8 * S, Liquidity::Maker),
            fill("IEX", Side::Buy, "100", 999, 8 * S, Liquidity::Taker),
        ];
        let h = venue_markouts(&fills, &mids, Duration::secs(5));
        assert_eq!(h.len(), 2);
        // NYSE: (300 x 10 + 100 x -10) / 400 = 5 bps.
        assert!((h[0].bps - 5.0).abs() < 1e-9, "{h:?}");
        assert_eq!(h[0].fills, 2);
        assert!((h[1].bps - 10.0).abs() < 1e-9);
        // Expected: NYSE weight 0.5 (5 bps), IEX 0.25 (10 bps), BATS 0.25 (prior 2 bps):
        // 2.5 + 2.5 + 0.5 = 5.5 bps over 3 fills observed.
        let w: Vec<(Name, f64)> = vec![("NYSE".into(), 2.0), ("IEX".into(), 1.0), ("BATS".into(), 1.0)];
        let (bps, n) = expected_markout(&h, &w, 2.0);
        assert!((bps - 5.5).abs() < 1e-9);
        assert_eq!(n, 3);
        assert_eq!(expected_markout(&h, &[], 1.5), (1.5, 0));
    }
}
