//! The tape (time and sales) and a regularly sampled mid series: what TCA and
//! volume-driven algorithms read after the fact.
//!
//! A tape keeps running cumulative sums (volume and notional, ours and
//! others' apart, in 128 bits) beside its prints, and resolves checkpoints
//! (the sums before a given time) as prints pass them: an interval's volume
//! and VWAP is the difference of two checkpoints, exact whatever the number
//! of prints. With `Retention::Bounded` (a served engine) the prints
//! themselves are kept only over a recent window (`KEPT`), so memory does not
//! grow with the day; with `Retention::Full` every print stays. Either way
//! the tape marks the sums before the first print of each minute, kept over
//! `MARKED` (a day and an hour), so the volume between two whole minutes of
//! the last day (the dynamic VWAP's look-back before its start) is exact on
//! a bounded tape too, and the same as on a full one.

use super::tracking::TrackingState;
use crate::model::{Duration, Money, Price, Qty, Side, Timestamp, vwap};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How much market history an engine keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Retention {
    /// Every print, mid sample and fill of the day (batch runs, benchmarks).
    #[default]
    Full,
    /// Prints and mid samples over the last `KEPT` only, the most recent fills
    /// of each order: memory bounded whatever the length of the day (`serve`).
    Bounded,
}

/// The recent window a bounded tape and mid series keep: the 5-minute markout
/// horizon after a fill and before it, with room to spare.
pub const KEPT: Duration = Duration::mins(15);

/// How far back a tape keeps its minute marks: the longest VWAP look-back
/// (`market::forecast::MAX_LOOKBACK`, a day) and an hour to spare.
pub const MARKED: Duration = Duration::mins(25 * 60);
/// A minute, ns.
const MINUTE_NS: i64 = 60_000_000_000;

/// One printed trade.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Print {
    /// When it printed.
    pub ts: Timestamp,
    /// Price.
    pub px: Price,
    /// Quantity.
    pub qty: Qty,
    /// Venue slot within the instrument's venue list.
    pub venue: u16,
    /// Side of the aggressor (Buy = lifted the offer).
    pub aggressor: Side,
    /// True when one side of the trade was our own child order.
    pub ours: bool,
}

/// Volume and notional of every print up to some point, ours and others'
/// apart. 128 bits: a day of notional at the money grid can pass 64 bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cumulative {
    others_qty: i128,
    others_notional: i128,
    ours_qty: i128,
    ours_notional: i128,
}

impl Cumulative {
    /// Adds (`sign` 1) or removes (-1) print `p` of notional `notional`
    /// (`Money::notional` of the print: rounded per print, as a sum of prints is).
    fn add(&mut self, p: &Print, notional: Money, sign: i128) {
        let (q, n) = (i128::from(p.qty.raw()), i128::from(notional.raw()));
        if p.ours {
            self.ours_qty += sign * q;
            self.ours_notional += sign * n;
        } else {
            self.others_qty += sign * q;
            self.others_notional += sign * n;
        }
    }

    /// The prints between `earlier` and `self`: (others', everyone's).
    pub fn since(&self, earlier: &Cumulative) -> (WindowStats, WindowStats) {
        let narrow = |x: i128| i64::try_from(x).unwrap_or(if x < 0 { i64::MIN } else { i64::MAX });
        let (oq, on) = (self.others_qty - earlier.others_qty, self.others_notional - earlier.others_notional);
        let (uq, un) = (self.ours_qty - earlier.ours_qty, self.ours_notional - earlier.ours_notional);
        let others = WindowStats { qty: Qty::from_raw(narrow(oq)), notional: Money::from_raw(narrow(on)) };
        let all = WindowStats { qty: Qty::from_raw(narrow(oq + uq)), notional: Money::from_raw(narrow(on + un)) };
        (others, all)
    }
}

/// All prints of one instrument for one session, in time order (with
/// `Retention::Bounded`, the recent ones), and their running sums.
#[derive(Debug, Clone, Default)]
pub struct Tape {
    prints: Vec<Print>,
    enabled: bool,
    retention: Retention,
    /// Every print pushed so far.
    total: Cumulative,
    /// Time of the last dropped print: windows from later on are still whole.
    dropped_through: Option<Timestamp>,
    /// The sums before each checkpoint time (`None` while no print at or after it has come).
    checkpoints: BTreeMap<Timestamp, Option<Cumulative>>,
    /// Checkpoints not resolved yet, and the earliest of them.
    pending: BTreeSet<Timestamp>,
    next_pending: Option<Timestamp>,
    /// Running VWAP tracking of orders on this instrument, fed print by print.
    trackers: Vec<TrackingState>,
    /// The trackers whose window has not ended (prints come in time order:
    /// one past its end never reads another).
    active: Vec<usize>,
    /// Pushes until the next look for prints to drop (bounded).
    until_trim: u32,
    /// The sums before the first print of each minute, by that print's
    /// time, in time order (over the last `MARKED` when bounded).
    marks: std::collections::VecDeque<(Timestamp, Cumulative)>,
    /// The next whole minute: a print at or after it is the first of its minute.
    next_mark: Option<Timestamp>,
    /// Marks are complete from this time on (marks before it were dropped).
    marked_from: Timestamp,
}

/// How often (in prints) a bounded tape looks for prints past its window.
const TRIM_EVERY: u32 = 4096;

/// Volume and VWAP over a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct WindowStats {
    /// Volume traded.
    pub qty: Qty,
    /// Sum of price times quantity.
    pub notional: Money,
}

impl WindowStats {
    /// Volume-weighted average price.
    pub fn vwap(&self) -> Option<Price> {
        vwap(self.notional, self.qty)
    }
}

impl Tape {
    /// A tape that records prints when `enabled`, keeping all of them.
    pub fn new(enabled: bool) -> Tape {
        Tape { enabled, until_trim: TRIM_EVERY, ..Tape::default() }
    }
    /// Keeps every print (`Full`) or the recent window only (`Bounded`).
    pub fn set_retention(&mut self, r: Retention) {
        self.retention = r;
    }
    /// Appends a print (at or after the last one's time).
    pub fn push(&mut self, p: Print) {
        self.push_priced(p, Money::notional(p.px, p.qty));
    }
    /// Appends a print whose `Money::notional` the caller has computed (the
    /// market does for its volume figures: one 128-bit division per print, not two).
    #[inline]
    pub fn push_priced(&mut self, p: Print, notional: Money) {
        if !self.enabled {
            return;
        }
        if self.next_pending.is_some_and(|t| t <= p.ts) {
            self.resolve(p.ts);
        }
        if !self.active.is_empty() {
            self.feed_trackers(&p);
        }
        if self.next_mark.is_none_or(|t| p.ts >= t) {
            self.marks.push_back((p.ts, self.total));
            self.next_mark = Some(Timestamp((p.ts.0.div_euclid(MINUTE_NS) + 1) * MINUTE_NS));
        }
        self.total.add(&p, notional, 1);
        self.prints.push(p);
        if self.retention == Retention::Bounded {
            self.until_trim -= 1;
            if self.until_trim == 0 {
                self.until_trim = TRIM_EVERY;
                self.trim(Timestamp(p.ts.0 - KEPT.0));
            }
        }
    }
    fn feed_trackers(&mut self, p: &Print) {
        // A plain loop rather than `retain`: one or two trackers, on every print.
        let mut i = 0;
        while let Some(&h) = self.active.get(i) {
            // At the first print of its window the tape holds every print
            // before the start: the order's look-back.
            if let Some(f) = self.trackers[h].level_due(p.ts, self) {
                self.trackers[h].set_level(f);
            }
            let t = &mut self.trackers[h];
            t.on_print(p);
            if p.ts < t.end() {
                i += 1;
            } else {
                self.active.remove(i);
            }
        }
    }
    /// Drops the prints before `cutoff` once they are half the tape (each
    /// print is moved a bounded number of times on average).
    fn trim(&mut self, cutoff: Timestamp) {
        let old = Timestamp(cutoff.0 + KEPT.0 - MARKED.0);
        while let Some(&(t, _)) = self.marks.front().filter(|(t, _)| *t < old) {
            self.marks.pop_front();
            // A minute whose first print's mark is gone is no longer whole.
            self.marked_from = Timestamp((t.0.div_euclid(MINUTE_NS) + 1) * MINUTE_NS);
        }
        let k = self.prints.partition_point(|p| p.ts < cutoff);
        if k == 0 || k * 2 < self.prints.len() {
            return;
        }
        self.dropped_through = Some(self.prints[k - 1].ts);
        self.prints.drain(..k);
    }
    /// Resolves the pending checkpoints at or before `ts` (a print at `ts` is
    /// about to be added: every earlier print is in the sums).
    fn resolve(&mut self, ts: Timestamp) {
        while let Some(t) = self.pending.first().copied().filter(|t| *t <= ts) {
            self.pending.remove(&t);
            self.checkpoints.insert(t, Some(self.total));
        }
        self.next_pending = self.pending.first().copied();
    }
    /// Asks for the sums before `t` to be kept: an interval starting or
    /// ending there stays exact after its prints leave a bounded tape.
    pub fn checkpoint(&mut self, t: Timestamp) {
        if !self.enabled || self.checkpoints.contains_key(&t) {
            return;
        }
        if self.prints.last().is_some_and(|p| p.ts >= t) {
            // Prints at or after `t` are in already: the sums before it from the window.
            if let Some(c) = self.before(t) {
                self.checkpoints.insert(t, Some(c));
            }
            return;
        }
        self.checkpoints.insert(t, None);
        self.pending.insert(t);
        self.next_pending = self.pending.first().copied();
    }
    /// The sums of every print before `t`; `None` when a bounded tape has
    /// dropped prints at or after `t` and no checkpoint holds it.
    pub fn before(&self, t: Timestamp) -> Option<Cumulative> {
        if self.prints.last().is_none_or(|p| p.ts < t) {
            return Some(self.total);
        }
        if let Some(Some(c)) = self.checkpoints.get(&t) {
            return Some(*c);
        }
        if self.dropped_through.is_some_and(|d| d >= t) {
            return self.marked(t);
        }
        let mut c = self.total;
        let a = self.prints.partition_point(|p| p.ts < t);
        for p in &self.prints[a..] {
            c.add(p, Money::notional(p.px, p.qty), -1);
        }
        Some(c)
    }
    /// The sums before `t` from the minute marks, when `t` is a whole minute
    /// they are complete from: the first print at or after `t` (there is one)
    /// is the first of its minute, so its mark holds them.
    fn marked(&self, t: Timestamp) -> Option<Cumulative> {
        if t.0.rem_euclid(MINUTE_NS) != 0 || t < self.marked_from {
            return None;
        }
        let k = self.marks.partition_point(|(ts, _)| *ts < t);
        self.marks.get(k).map(|(_, c)| *c)
    }
    /// Volume and notional over [t0, t1): (others', everyone's), from the
    /// running sums; `None` when a bounded tape no longer holds it.
    pub fn between(&self, t0: Timestamp, t1: Timestamp) -> Option<(WindowStats, WindowStats)> {
        let (a, b) = (self.before(t0)?, self.before(t1.max(t0))?);
        Some(b.since(&a))
    }
    /// The prints kept: every print with `Retention::Full`, the recent window with `Bounded`.
    pub fn prints(&self) -> &[Print] {
        &self.prints
    }
    /// Time of the oldest print still held when a bounded tape has dropped some.
    pub fn held_from(&self) -> Option<Timestamp> {
        self.dropped_through.and(self.prints.first().map(|p| p.ts))
    }
    /// Prints kept with `t0 <= ts < t1`.
    pub fn window(&self, t0: Timestamp, t1: Timestamp) -> &[Print] {
        let a = self.prints.partition_point(|p| p.ts < t0);
        let b = self.prints.partition_point(|p| p.ts < t1);
        &self.prints[a..b.max(a)]
    }
    /// Volume and notional over [t0, t1), with or without our own prints
    /// (from the prints kept: for whole windows use `between`).
    pub fn stats(&self, t0: Timestamp, t1: Timestamp, include_ours: bool) -> WindowStats {
        let mut s = WindowStats::default();
        for p in self.window(t0, t1) {
            if include_ours || !p.ours {
                s.qty += p.qty;
                s.notional += Money::notional(p.px, p.qty);
            }
        }
        s
    }
    /// Starts a running tracking fed by every later print; returns its handle.
    pub fn track(&mut self, mut t: TrackingState) -> usize {
        // Prints already in at or after the window's start (the same instant
        // as the order): the level of its forecast is taken before them.
        if let Some(f) = self.window(t.start(), Timestamp(i64::MAX)).first().and_then(|p| t.level_due(p.ts, self)) {
            t.set_level(f);
        }
        for p in self.window(t.start(), Timestamp(i64::MAX)) {
            t.on_print(p);
        }
        self.trackers.push(t);
        self.active.push(self.trackers.len() - 1);
        self.trackers.len() - 1
    }
    /// A running tracking by handle.
    pub fn tracker(&self, h: usize) -> Option<&TrackingState> {
        self.trackers.get(h)
    }
    /// A running tracking by handle, to feed it the order's fills.
    pub fn tracker_mut(&mut self, h: usize) -> Option<&mut TrackingState> {
        self.trackers.get_mut(h)
    }
}

/// Mid prices sampled at a fixed interval from a start time (with
/// `Retention::Bounded`, the samples over the last `KEPT` only).
#[derive(Debug, Clone, Default)]
pub struct MidSeries {
    start: Timestamp,
    step_ns: i64,
    mids: Vec<f64>,
    /// Sample number of `mids[0]` (samples before it were dropped).
    first: usize,
    /// Samples a bounded series keeps (`None`: all).
    keep: Option<usize>,
}

impl MidSeries {
    /// An empty series sampled every `step_ns` from `start`.
    pub fn new(start: Timestamp, step_ns: i64) -> MidSeries {
        MidSeries { start, step_ns: step_ns.max(1), ..MidSeries::default() }
    }
    /// Keeps every sample (`Full`) or the samples over the last `KEPT` (`Bounded`).
    pub fn set_retention(&mut self, r: Retention) {
        self.keep = (r == Retention::Bounded).then(|| (KEPT.0 / self.step_ns) as usize + 2);
    }
    fn index(&self, t: Timestamp) -> usize {
        ((t.0 - self.start.0) / self.step_ns).max(0) as usize
    }
    /// Samples recorded so far (dropped ones included).
    fn len(&self) -> usize {
        self.first + self.mids.len()
    }
    /// Records the mid for the sample at `t` (samples must arrive in order).
    pub fn record(&mut self, t: Timestamp, mid: f64) {
        let idx = self.index(t).max(self.first);
        if idx >= self.len() {
            let fill = self.mids.last().copied().unwrap_or(mid);
            self.mids.resize(idx - self.first, fill);
            self.mids.push(mid);
            if let Some(keep) = self.keep.filter(|k| self.mids.len() > 2 * k) {
                let drop = self.mids.len() - keep;
                self.mids.drain(..drop);
                self.first += drop;
            }
        } else {
            self.mids[idx - self.first] = mid;
        }
    }
    /// The last sampled mid at or before `t` (`None` before the first sample,
    /// or before the samples a bounded series still holds).
    pub fn at(&self, t: Timestamp) -> Option<f64> {
        if t < self.start || self.mids.is_empty() {
            return None;
        }
        let idx = self.index(t).min(self.len() - 1);
        idx.checked_sub(self.first).map(|i| self.mids[i])
    }
    /// True when the sample `at(t)` reads can no longer change: a later sample exists.
    pub fn is_final(&self, t: Timestamp) -> bool {
        t < self.start || self.index(t) + 1 < self.len()
    }
    /// Time of the last sample.
    pub fn last_time(&self) -> Option<Timestamp> {
        (!self.mids.is_empty()).then(|| Timestamp(self.start.0 + (self.len() as i64 - 1) * self.step_ns))
    }
    /// Sampling interval.
    pub fn step_ns(&self) -> i64 {
        self.step_ns
    }
    /// (time, mid) samples held.
    pub fn samples(&self) -> impl Iterator<Item = (Timestamp, f64)> + '_ {
        self.mids
            .iter()
            .enumerate()
            .map(|(i, m)| (Timestamp(self.start.0 + (self.first + i) as i64 * self.step_ns), *m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(ts: i64, px: &str, q: i64, ours: bool) -> Print {
        Print {
            ts: Timestamp(ts),
            px: px.parse().unwrap(),
            qty: Qty::from_int(q),
            venue: 0,
            aggressor: Side::Buy,
            ours,
        }
    }

    /// A print every 10 s for 36 hours, 1 to 7 lots by turn, every third
    /// one ours: the bounded tape has dropped all but its last minutes, yet
    /// from any whole minute of the last 25 hours to now it gives the full
    /// tape's sums (its minute marks), and nothing it cannot know: an instant
    /// inside a dropped minute, or a minute older than the marks it keeps
    /// (they go with the trims, every 4,096 prints: the last at print 12,288,
    /// 34.1 h, dropped those before 9.1 h).
    #[test]
    fn a_bounded_tape_keeps_the_sums_at_whole_minutes_of_the_last_day() {
        let (mut full, mut bounded) = (Tape::new(true), Tape::new(true));
        bounded.set_retention(Retention::Bounded);
        let s = 1_000_000_000i64;
        let n = 36 * 360;
        for i in 0..n {
            let q = p(i * 10 * s, "100.5", 1 + i % 7, i % 3 == 0);
            full.push(q);
            bounded.push(q);
        }
        let now = Timestamp(n * 10 * s);
        assert!(bounded.held_from().is_some() && bounded.prints().len() * 5 < full.prints().len());
        let min = |m: i64| Timestamp(m * 60 * s);
        for m in [12 * 60, 15 * 60 + 1, 30 * 60, 36 * 60 - 20] {
            let f = full.between(min(m), now).unwrap();
            assert_eq!(bounded.between(min(m), now), Some(f), "from minute {m}");
            // By hand: others' prints are those with i % 3 != 0 from 6 m on.
            let others: i64 = (6 * m..n).filter(|i| i % 3 != 0).map(|i| 1 + i % 7).sum();
            assert_eq!(f.0.qty, Qty::from_int(others));
        }
        assert_eq!(bounded.between(Timestamp(min(30 * 60).0 + 5 * s), now), None);
        assert_eq!(bounded.between(min(8 * 60), now), None);
        assert!(full.between(min(8 * 60), now).is_some());
    }

    #[test]
    fn window_vwap_with_and_without_ours() {
        let mut t = Tape::new(true);
        t.push(p(1, "10", 100, false));
        t.push(p(2, "11", 100, true));
        t.push(p(3, "12", 200, false));
        assert_eq!(t.stats(Timestamp(0), Timestamp(10), true).vwap().unwrap().to_string(), "11.25");
        assert_eq!(t.stats(Timestamp(0), Timestamp(10), false).vwap().unwrap().to_string(), "11.333333333");
        assert_eq!(t.window(Timestamp(2), Timestamp(3)).len(), 1);
        assert!(t.stats(Timestamp(5), Timestamp(6), true).vwap().is_none());
    }

    #[test]
    fn mid_series_holds_last_value() {
        let mut m = MidSeries::new(Timestamp(100), 10);
        m.record(Timestamp(100), 1.0);
        m.record(Timestamp(130), 2.0);
        assert_eq!(m.at(Timestamp(99)), None);
        assert_eq!(m.at(Timestamp(115)), Some(1.0));
        assert_eq!(m.at(Timestamp(135)), Some(2.0));
        assert_eq!(m.at(Timestamp(1000)), Some(2.0));
        assert_eq!(m.last_time(), Some(Timestamp(130)));
    }

    /// A bounded tape over 40 minutes, 500 prints of 100 a minute at 10 + m
    /// cents (every fifth minute ours): after the trims the early prints are
    /// gone, yet the window [2 min, 35 min) checkpointed before them is
    /// exact, against a full tape's print-by-print sums and by hand.
    #[test]
    fn a_bounded_tape_keeps_exact_windows_through_checkpoints() {
        let min = 60_000_000_000i64;
        let mut full = Tape::new(true);
        let mut bounded = Tape::new(true);
        bounded.set_retention(Retention::Bounded);
        bounded.checkpoint(Timestamp(2 * min));
        bounded.checkpoint(Timestamp(35 * min));
        for m in 0..40 {
            let px = format!("{}", 10.0 + m as f64 / 100.0);
            // Enough prints a minute for trims to run (every 4,096 prints).
            for k in 0..500 {
                let q = p(m * min + k, &px, 100, m % 5 == 0);
                full.push(q);
                bounded.push(q);
            }
        }
        assert!(bounded.held_from().is_some_and(|t| t > Timestamp(2 * min)), "early prints dropped");
        assert!(bounded.prints().len() < full.prints().len());
        let (a, b) = (Timestamp(2 * min), Timestamp(35 * min));
        let (ex, all) = bounded.between(a, b).unwrap();
        assert_eq!(ex, full.stats(a, b, false));
        assert_eq!(all, full.stats(a, b, true));
        // Minutes 2 to 34, of which 5, 10, ..., 30 (6) are ours: 27 x 500 x 100 others'.
        assert_eq!(ex.qty, Qty::from_int(27 * 500 * 100));
        assert_eq!(full.between(a, b), bounded.between(a, b));
        // A window never checkpointed whose prints are gone is not made up;
        // from a whole minute the tape's minute marks give it exactly.
        assert_eq!(bounded.between(Timestamp(min + 1), b), None);
        assert_eq!(bounded.between(Timestamp(min), b), full.between(Timestamp(min), b));
        // Recent windows need no checkpoint.
        let recent = (Timestamp(38 * min), Timestamp(40 * min));
        assert_eq!(bounded.between(recent.0, recent.1), full.between(recent.0, recent.1));
    }

    #[test]
    fn a_bounded_mid_series_keeps_the_recent_samples() {
        let s = 1_000_000_000i64;
        let mut m = MidSeries::new(Timestamp(0), s);
        m.set_retention(Retention::Bounded);
        let mut full = MidSeries::new(Timestamp(0), s);
        for k in 0..4_000 {
            m.record(Timestamp(k * s), k as f64);
            full.record(Timestamp(k * s), k as f64);
        }
        // 15 minutes of 1 s samples (+2), kept up to twice that between trims.
        assert!(m.samples().count() >= 902 && m.samples().count() <= 2 * 902);
        assert_eq!(m.at(Timestamp(3_999 * s)), Some(3_999.0));
        assert_eq!(m.at(Timestamp(3_500 * s + 7)), full.at(Timestamp(3_500 * s + 7)));
        assert_eq!(m.at(Timestamp(10 * s)), None, "dropped");
        assert_eq!(m.at(Timestamp(99_999 * s)), Some(3_999.0), "the last sample holds");
        assert_eq!(m.last_time(), full.last_time());
        assert!(m.is_final(Timestamp(3_998 * s + 5)) && !m.is_final(Timestamp(3_999 * s)));
    }
}
