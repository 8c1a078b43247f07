//! Recorded trades held compactly: a recording of ten million prints would
//! take 320 MB as plain records (32 bytes each), next to the replay's own
//! tape of prints of the same size. Here each print is its differences from
//! the one before (time in the file's own time unit, price in its price
//! unit, size in its size unit), variable-length encoded: about 5 bytes for
//! a tape like the Binance sample's (millisecond times). Reading is
//! sequential (a cursor), with a mark every [`MARK_EVERY`] prints for finding
//! a time or an index, or skipping to one.

use super::RecTrade;
use super::running::Running;
use crate::model::{Price, Qty, Side, Timestamp};

/// Prints between two marks.
pub const MARK_EVERY: usize = 256;

/// Where decoding can start: the state before print `k * MARK_EVERY`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Mark {
    ts: i64,
    px: i64,
    offset: usize,
    /// Time of the print at the mark (for searching by time).
    first_ts: i64,
}

/// A sequence of recorded trades in time order, compactly encoded.
#[derive(Clone, Default, PartialEq)]
pub struct RecTrades {
    bytes: Vec<u8>,
    marks: Vec<Mark>,
    len: usize,
    px_unit: i64,
    qty_unit: i64,
    /// Times in the recording's own unit too (a millisecond tape's gaps take
    /// a byte or two rather than four).
    ts_unit: i64,
    first: Option<RecTrade>,
    last: Option<RecTrade>,
    /// Total size of the trades (saturating, as `Qty` sums are).
    volume: Qty,
    /// The running figures before each mark's print (`running[k]`: trades
    /// `0..k * MARK_EVERY`), worked out while encoding.
    running: Vec<Running>,
}

impl std::fmt::Debug for RecTrades {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecTrades({} prints, {} bytes)", self.len, self.bytes.len())
    }
}

/// The largest power of ten (up to 10^18) dividing every value.
fn common_unit(values: impl Iterator<Item = i64>) -> i64 {
    let mut unit = 1_000_000_000_000_000_000i64;
    for v in values {
        while unit > 1 && v % unit != 0 {
            unit /= 10;
        }
        if unit == 1 {
            break;
        }
    }
    unit
}

fn put(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn get(bytes: &[u8], at: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    while let Some(&b) = bytes.get(*at) {
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    v
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

const BUY: u8 = 1;
const SELL: u8 = 2;
const TS_MOVED: u8 = 4;
const PX_MOVED: u8 = 8;

impl RecTrades {
    /// Encodes trades (in time order).
    pub fn new(trades: &[RecTrade]) -> RecTrades {
        let px_unit = common_unit(trades.iter().map(|t| t.px.raw()));
        let qty_unit = common_unit(trades.iter().map(|t| t.qty.raw()));
        // Gaps are differences of times: in the times' unit only when none
        // overflows (then they are exact multiples of it).
        let gaps_fit = trades.windows(2).all(|w| w[1].ts.0.checked_sub(w[0].ts.0).is_some());
        let ts_unit = if gaps_fit { common_unit(trades.iter().map(|t| t.ts.0)) } else { 1 };
        let mut bytes = Vec::with_capacity(trades.len() * 8);
        let mut marks = Vec::with_capacity(trades.len() / MARK_EVERY + 1);
        let mut running = Vec::with_capacity(trades.len() / MARK_EVERY + 1);
        let mut sums = Running::default();
        let (mut ts, mut px) = (0i64, 0i64);
        for (i, t) in trades.iter().enumerate() {
            if i % MARK_EVERY == 0 {
                marks.push(Mark { ts, px, offset: bytes.len(), first_ts: t.ts.0 });
                running.push(sums);
            }
            sums.add(t);
            let dt = t.ts.0.wrapping_sub(ts);
            let dp = (t.px.raw() - px) / px_unit;
            let mut tag = match t.aggressor {
                None => 0,
                Some(Side::Buy) => BUY,
                Some(Side::Sell) => SELL,
            };
            if dt != 0 {
                tag |= TS_MOVED;
            }
            if dp != 0 {
                tag |= PX_MOVED;
            }
            bytes.push(tag);
            if dt != 0 {
                put(&mut bytes, zigzag(dt / ts_unit));
            }
            if dp != 0 {
                put(&mut bytes, zigzag(dp));
            }
            // Sizes are positive (the readers refuse anything else).
            put(&mut bytes, u64::try_from(t.qty.raw() / qty_unit).unwrap_or(0));
            ts = t.ts.0;
            px = t.px.raw();
        }
        bytes.shrink_to_fit();
        RecTrades {
            bytes,
            marks,
            len: trades.len(),
            px_unit,
            qty_unit,
            ts_unit,
            first: trades.first().copied(),
            last: trades.last().copied(),
            volume: trades.iter().map(|t| t.qty).sum(),
            running,
        }
    }

    /// The running figures of the first `n` trades (all of them when `n` is
    /// past the end): the mark's, then at most `MARK_EVERY - 1` trades decoded.
    pub fn running_to(&self, n: usize) -> Running {
        let n = n.min(self.len);
        let k = (n / MARK_EVERY).min(self.marks.len().saturating_sub(1));
        let Some(&start) = self.running.get(k) else { return Running::default() };
        let mut sums = start;
        let mut p = self.mark_pos(k);
        while p.index < n {
            match self.read(&mut p) {
                Some(t) => sums.add(&t),
                None => break,
            }
        }
        sums
    }

    /// Total size of the trades (worked out once, when they are encoded).
    pub fn volume(&self) -> Qty {
        self.volume
    }

    /// Number of trades.
    pub fn len(&self) -> usize {
        self.len
    }
    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The first trade.
    pub fn first(&self) -> Option<RecTrade> {
        self.first
    }
    /// The last trade.
    pub fn last(&self) -> Option<RecTrade> {
        self.last
    }
    /// Bytes the encoded trades take.
    pub fn encoded_bytes(&self) -> usize {
        self.bytes.len()
            + self.marks.len() * std::mem::size_of::<Mark>()
            + self.running.len() * std::mem::size_of::<Running>()
    }

    /// A cursor at the first trade.
    pub fn iter(&self) -> Cursor<'_> {
        self.iter_from(0)
    }

    /// A cursor at trade `i` (at the end when `i` is past it).
    pub fn iter_from(&self, i: usize) -> Cursor<'_> {
        Cursor { log: self, pos: self.pos(i) }
    }

    /// The position of trade `i` (the end when `i` is past it): plain data a
    /// reader can keep and resume from with [`RecTrades::read`].
    pub fn pos(&self, i: usize) -> Pos {
        let i = i.min(self.len);
        let k = (i / MARK_EVERY).min(self.marks.len().saturating_sub(1));
        let mut p = self.mark_pos(k);
        while p.index < i {
            self.read(&mut p);
        }
        p
    }

    fn mark_pos(&self, k: usize) -> Pos {
        match self.marks.get(k) {
            Some(m) => Pos { at: m.offset, index: k * MARK_EVERY, ts: m.ts, px: m.px },
            None => Pos { at: self.bytes.len(), index: self.len, ts: 0, px: 0 },
        }
    }

    /// The trade at `p`, moving `p` past it (`None` at the end).
    pub fn read(&self, p: &mut Pos) -> Option<RecTrade> {
        if p.index >= self.len {
            return None;
        }
        let bytes = &self.bytes;
        let tag = *bytes.get(p.at)?;
        p.at += 1;
        if tag & TS_MOVED != 0 {
            p.ts = p.ts.wrapping_add(unzigzag(get(bytes, &mut p.at)).wrapping_mul(self.ts_unit));
        }
        if tag & PX_MOVED != 0 {
            p.px += unzigzag(get(bytes, &mut p.at)) * self.px_unit;
        }
        let q = i64::try_from(get(bytes, &mut p.at)).unwrap_or(i64::MAX) * self.qty_unit;
        p.index += 1;
        let aggressor = match tag & 3 {
            BUY => Some(Side::Buy),
            SELL => Some(Side::Sell),
            _ => None,
        };
        Some(RecTrade { ts: Timestamp(p.ts), px: Price::from_raw(p.px), qty: Qty::from_raw(q), aggressor })
    }

    /// The trade at `p`, without moving.
    pub fn peek(&self, p: &Pos) -> Option<RecTrade> {
        self.read(&mut p.clone())
    }

    /// Trade `i`.
    pub fn get(&self, i: usize) -> Option<RecTrade> {
        self.peek(&self.pos(i))
    }

    /// The number of leading trades whose time satisfies `pred` (which must
    /// hold for a prefix of the trades and not after), like `partition_point`.
    pub fn partition_point_ts(&self, pred: impl Fn(Timestamp) -> bool) -> usize {
        let k = self.marks.partition_point(|m| pred(Timestamp(m.first_ts)));
        // Every trade before mark k satisfies pred; the answer lies from mark k-1 on.
        let Some(start) = k.checked_sub(1) else { return 0 };
        let mut p = self.mark_pos(start);
        while let Some(t) = self.peek(&p) {
            if !pred(t.ts) {
                break;
            }
            self.read(&mut p);
        }
        p.index
    }

    /// Moves `p` past every trade at or before `t` among the first `limit`,
    /// and returns the last one it passed (its index and the trade; `None`
    /// when it passed none). Whole stretches between marks that lie before
    /// `t` are skipped without decoding them, so sampling a long tape on a
    /// coarse time grid reads a few hundred trades a sample, not all of them.
    pub fn skip_through(&self, p: &mut Pos, t: Timestamp, limit: usize) -> Option<(usize, RecTrade)> {
        let limit = limit.min(self.len);
        // The last mark whose first trade is at or before `t` and below `limit`:
        // every trade before it is too, and it is passed itself.
        let k = self.marks.partition_point(|m| m.first_ts <= t.0);
        if let Some(k) = k.checked_sub(1)
            && k * MARK_EVERY > p.index
            && k * MARK_EVERY < limit
        {
            *p = self.mark_pos(k);
        }
        let mut last = None;
        while p.index < limit {
            let mut next = *p;
            match self.read(&mut next) {
                Some(x) if x.ts <= t => {
                    last = Some((p.index, x));
                    *p = next;
                }
                _ => break,
            }
        }
        last
    }

    /// Every trade, decoded.
    pub fn to_vec(&self) -> Vec<RecTrade> {
        self.iter().collect()
    }
}

impl From<Vec<RecTrade>> for RecTrades {
    fn from(v: Vec<RecTrade>) -> RecTrades {
        RecTrades::new(&v)
    }
}

impl FromIterator<RecTrade> for RecTrades {
    fn from_iter<I: IntoIterator<Item = RecTrade>>(iter: I) -> RecTrades {
        RecTrades::new(&iter.into_iter().collect::<Vec<_>>())
    }
}

/// A position in the trades: where the next one starts and the state it is
/// decoded against. Plain data, so a replay keeps it between events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    at: usize,
    index: usize,
    ts: i64,
    px: i64,
}

impl Pos {
    /// Index of the trade at this position.
    pub fn index(&self) -> usize {
        self.index
    }
}

/// Reads trades in order from some position.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    log: &'a RecTrades,
    pos: Pos,
}

impl Cursor<'_> {
    /// Index of the trade the cursor is at.
    pub fn index(&self) -> usize {
        self.pos.index
    }
}

impl Iterator for Cursor<'_> {
    type Item = RecTrade;

    fn next(&mut self) -> Option<RecTrade> {
        self.log.read(&mut self.pos)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.log.len - self.pos.index;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Cursor<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(ts: i64, px: i64, qty: i64, side: u8) -> RecTrade {
        let aggressor = match side % 3 {
            0 => None,
            1 => Some(Side::Buy),
            _ => Some(Side::Sell),
        };
        RecTrade { ts: Timestamp(ts), px: Price::from_raw(px), qty: Qty::from_raw(qty), aggressor }
    }

    proptest! {
        /// Whatever the trades (sorted by time), decoding gives them back
        /// exactly, from the start or any index, and searching by time agrees
        /// with a plain `partition_point`.
        #[test]
        fn round_trips_exactly(
            raw in proptest::collection::vec((0i64..5_000_000_000, 1i64..4_000_000_000_000_000, 1i64..1_000_000_000_000, 0u8..3), 0..1_200),
            probe in 0i64..6_000_000_000,
        ) {
            let mut ts = 1_610_064_000_000_000_000i64;
            let v: Vec<RecTrade> = raw.iter().map(|&(dt, px, q, s)| { ts += dt % 3 * 1_000_000; t(ts, px, q, s) }).collect();
            let log = RecTrades::new(&v);
            prop_assert_eq!(log.len(), v.len());
            prop_assert_eq!(log.to_vec(), v.clone());
            for i in [0, 1, 255, 256, 257, 700, v.len()] {
                prop_assert_eq!(log.iter_from(i).collect::<Vec<_>>(), v.get(i..).map(<[_]>::to_vec).unwrap_or_default());
            }
            let at = Timestamp(1_610_064_000_000_000_000 + probe);
            prop_assert_eq!(log.partition_point_ts(|x| x < at), v.partition_point(|x| x.ts < at));
            prop_assert_eq!(log.partition_point_ts(|x| x <= at), v.partition_point(|x| x.ts <= at));
            prop_assert_eq!(log.volume(), v.iter().map(|x| x.qty).sum::<Qty>());
            // The running figures of any leading stretch are a plain pass's, bit for bit.
            for n in [0, 1, 255, 256, 257, 700, v.len() / 2, v.len(), v.len() + 3] {
                let mut want = Running::default();
                v.iter().take(n).for_each(|x| want.add(x));
                prop_assert_eq!(log.running_to(n), want);
            }
            // Skipping forward through increasing times (and a limit) passes
            // what a plain scan does, and ends where it ends.
            let limit = v.len() * 3 / 4;
            let mut p = log.pos(0);
            let mut scan = 0usize;
            for k in 1..=8i64 {
                let at = Timestamp(1_610_064_000_000_000_000 + probe * k / 8);
                let passed = log.skip_through(&mut p, at, limit);
                let end = scan.max(v[..limit].partition_point(|x| x.ts <= at));
                let want = (end > scan).then(|| (end - 1, v[end - 1]));
                prop_assert_eq!(passed, want);
                prop_assert_eq!(p.index(), end);
                scan = end;
            }
            prop_assert_eq!(log.read(&mut p), v.get(scan).copied());
        }
    }

    #[test]
    fn a_sample_like_tape_is_a_quarter_of_the_plain_size() {
        // Millisecond times with bursts, cent prices near 39,400, sizes of a few thousandths.
        let v: Vec<RecTrade> = (0..10_000i64)
            .map(|i| {
                t(
                    1_610_064_000_000_000_000 + i / 3 * 23_000_000,
                    (3_943_248 + i % 7) * 10_000_000,
                    5_300 + i * 37 % 90_000,
                    1 + (i % 2) as u8,
                )
            })
            .collect();
        let log = RecTrades::new(&v);
        assert_eq!(log.to_vec(), v);
        let per = log.encoded_bytes() as f64 / v.len() as f64;
        assert!(per < 8.0, "{per} bytes a trade");
        assert_eq!(log.get(9_999), v.last().copied());
        assert_eq!(log.get(10_000), None);
    }
}
