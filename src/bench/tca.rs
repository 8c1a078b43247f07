//! The TCA benchmark: one order with 100,000 fills against a 10-million-trade
//! tape (the figure in BENCHMARKS.md). The data is generated once from a seed;
//! only the analysis is timed.

use crate::market::{MidSeries, Print, Tape};
use crate::model::{AlgoKind, ChildId, Fill, FillId, Liquidity, Money, Name, ParentId, Price, Qty, Side, Timestamp};
use crate::tca::{TcaInput, TcaReport, analyse};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::time::Instant;

/// A generated order, tape and mid series.
#[derive(Debug)]
pub struct TcaScenario {
    /// The order's fills, in time order.
    pub fills: Vec<Fill>,
    /// Market prints with ours merged in.
    pub tape: Tape,
    /// Mids every 100 ms.
    pub mids: MidSeries,
    start: Timestamp,
    end: Timestamp,
    qty: Qty,
}

/// Timing of one analysis.
#[derive(Debug, Clone, Serialize)]
pub struct TcaRun {
    /// Fills analysed.
    pub fills: usize,
    /// Prints on the tape (market trades plus our fills).
    pub tape_prints: usize,
    /// Wall time of the analysis, milliseconds.
    pub wall_ms: f64,
}

impl TcaScenario {
    /// `n_fills` of ours among `n_trades` market trades over a 6.5-hour day, prices a random walk around 100.
    pub fn generate(n_fills: usize, n_trades: usize, seed: u64) -> TcaScenario {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let start = Timestamp(1_795_617_000_000_000_000); // 2026-11-25 09:30 New York
        let day_ns: i64 = 23_400_000_000_000;
        let total = n_trades + n_fills;
        let step = day_ns / total.max(1) as i64;
        let mut tape = Tape::new(true);
        let mut mids = MidSeries::new(start, 100_000_000);
        let mut fills = Vec::with_capacity(n_fills);
        let venues: [Name; 5] = ["NASDAQ".into(), "NYSE".into(), "BATS".into(), "ARCA".into(), "IEX".into()];
        let mut cents: i64 = 10_000;
        // Spread our fills evenly among the market's prints.
        let every = (total / n_fills.max(1)).max(1);
        for i in 0..total {
            let ts = Timestamp(start.0 + i as i64 * step);
            let r: f64 = rng.random();
            cents += if r < 0.49 {
                -1
            } else if r > 0.51 {
                1
            } else {
                0
            };
            let px = Price::from_raw(cents.max(1) * 10_000_000);
            mids.record(ts, px.to_f64());
            let qty = Qty::from_int(rng.random_range(1..=500));
            let ours = i % every == every - 1 && fills.len() < n_fills;
            if ours {
                fills.push(Fill {
                    id: FillId(fills.len() as u64 + 1),
                    child: ChildId { parent: ParentId::local(1), seq: fills.len() as u32 + 1 },
                    venue: venues[fills.len() % venues.len()].clone(),
                    side: Side::Buy,
                    px,
                    qty,
                    fee: Money::from_raw(qty.raw() / 1_000 * 3),
                    liquidity: if fills.len() % 2 == 0 { Liquidity::Maker } else { Liquidity::Taker },
                    ts,
                });
            }
            tape.push(Print { ts, px, qty, venue: 0, aggressor: Side::Buy, ours });
        }
        let qty = fills.iter().map(|f| f.qty).sum::<Qty>() + Qty::from_int(1_000);
        let end = fills.last().map_or(start, |f| f.ts);
        TcaScenario { fills, tape, mids, start, end, qty }
    }

    /// The full report of the order.
    pub fn analyse(&self) -> TcaReport {
        analyse(&TcaInput {
            side: Side::Buy,
            qty: self.qty,
            decision_px: None,
            arrival_px: Some(Price::from_int(100)),
            start: self.start,
            end: self.end,
            algo: Some(AlgoKind::Twap),
            quote_per: 1,
            fills: &self.fills,
            tape: &self.tape,
            mids: &self.mids,
        })
    }

    /// Times one analysis.
    pub fn time(&self) -> TcaRun {
        let t0 = Instant::now();
        let r = self.analyse();
        let wall = t0.elapsed();
        assert!(r.implementation_shortfall.is_some(), "the benchmark order has a decision price");
        TcaRun { fills: self.fills.len(), tape_prints: self.tape.prints().len(), wall_ms: wall.as_secs_f64() * 1e3 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_has_the_requested_shape() {
        let s = TcaScenario::generate(100, 10_000, 1);
        assert_eq!(s.fills.len(), 100);
        assert_eq!(s.tape.prints().len(), 10_100);
        assert_eq!(s.tape.prints().iter().filter(|p| p.ours).count(), 100);
        let r = s.analyse();
        assert_eq!(r.filled_qty, s.fills.iter().map(|f| f.qty).sum());
        assert_eq!(r.venues.len(), 5);
        assert!(r.markouts_bps.s1.is_some());
    }
}
