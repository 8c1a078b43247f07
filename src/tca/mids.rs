//! Where TCA reads the mid price at a given time: the simulator's sampled
//! mids, recorded quotes, or (when nothing better exists) the last trade.

use crate::market::{MidSeries, Tape};
use crate::model::{Price, Timestamp};

/// A mid price as of any time (the last known value at or before it).
pub trait MidSource {
    /// The mid at `t`, or `None` before the first observation.
    fn mid_at(&self, t: Timestamp) -> Option<f64>;
    /// Time of the last observation: later mids are stale, so markouts beyond it are not computed.
    fn last_time(&self) -> Option<Timestamp>;
}

impl MidSource for MidSeries {
    fn mid_at(&self, t: Timestamp) -> Option<f64> {
        self.at(t)
    }
    fn last_time(&self) -> Option<Timestamp> {
        MidSeries::last_time(self)
    }
}

/// Mids from recorded quotes, in time order.
#[derive(Debug, Clone, Default)]
pub struct QuoteMids {
    ts: Vec<Timestamp>,
    mids: Vec<f64>,
}

impl QuoteMids {
    /// Builds from `(time, bid, ask)` observations already sorted by time; one-sided quotes are skipped.
    pub fn new(quotes: impl IntoIterator<Item = (Timestamp, Option<Price>, Option<Price>)>) -> QuoteMids {
        let mut out = QuoteMids::default();
        for (t, bid, ask) in quotes {
            if let (Some(b), Some(a)) = (bid, ask) {
                out.ts.push(t);
                out.mids.push((b.to_f64() + a.to_f64()) / 2.0);
            }
        }
        out
    }
    /// Number of observations.
    pub fn len(&self) -> usize {
        self.ts.len()
    }
    /// True when there is no two-sided quote.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }
}

impl MidSource for QuoteMids {
    fn mid_at(&self, t: Timestamp) -> Option<f64> {
        let i = self.ts.partition_point(|x| *x <= t);
        i.checked_sub(1).map(|i| self.mids[i])
    }
    fn last_time(&self) -> Option<Timestamp> {
        self.ts.last().copied()
    }
}

/// The last market print (not ours) as a stand-in for the mid when no quotes exist.
#[derive(Debug, Clone, Copy)]
pub struct LastTrade<'a>(pub &'a Tape);

impl MidSource for LastTrade<'_> {
    fn mid_at(&self, t: Timestamp) -> Option<f64> {
        let prints = self.0.prints();
        let i = prints.partition_point(|p| p.ts <= t);
        prints[..i].iter().rev().find(|p| !p.ours).map(|p| p.px.to_f64())
    }
    fn last_time(&self) -> Option<Timestamp> {
        self.0.prints().iter().rev().find(|p| !p.ours).map(|p| p.ts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::Print;
    use crate::model::{Qty, Side};

    #[test]
    fn quote_mids_hold_the_last_two_sided_quote() {
        let p = |s: &str| Some(s.parse::<Price>().unwrap());
        let q = QuoteMids::new([
            (Timestamp(10), p("99"), p("101")),
            (Timestamp(20), None, p("102")),
            (Timestamp(30), p("100"), p("104")),
        ]);
        assert_eq!(q.len(), 2);
        assert_eq!(q.mid_at(Timestamp(9)), None);
        assert_eq!(q.mid_at(Timestamp(10)), Some(100.0));
        assert_eq!(q.mid_at(Timestamp(25)), Some(100.0));
        assert_eq!(q.mid_at(Timestamp(31)), Some(102.0));
        assert_eq!(q.last_time(), Some(Timestamp(30)));
    }

    #[test]
    fn last_trade_skips_our_prints() {
        let mut tape = Tape::new(true);
        for (ts, px, ours) in [(1, "10", false), (2, "11", true), (3, "12", false)] {
            tape.push(Print {
                ts: Timestamp(ts),
                px: px.parse().unwrap(),
                qty: Qty::from_int(1),
                venue: 0,
                aggressor: Side::Buy,
                ours,
            });
        }
        let m = LastTrade(&tape);
        assert_eq!(m.mid_at(Timestamp(0)), None);
        assert_eq!(m.mid_at(Timestamp(2)), Some(10.0));
        assert_eq!(m.mid_at(Timestamp(3)), Some(12.0));
        assert_eq!(m.last_time(), Some(Timestamp(3)));
    }
}
