//! The writer's backlog: how many events have been handed to the ledger and
//! not yet answered (committed or failed), with a bound.
//!
//! The engine can emit events faster than the database can make them durable
//! (at 2000x a served day produces about 500,000 events a second; SQLite
//! commits about 100,000). Whatever waits for its commit is held in memory,
//! so without a bound the backlog grows without limit. `Ledger::submit` never
//! blocks (a command's own batch must not wait behind the market's); the
//! producers that drive the clock ask `has_room` / `wait_for_room` before
//! handing over more, and wait while the backlog is at its bound: the
//! simulated market slows to what the ledger can make durable. So the backlog
//! stays under the bound plus one batch of the driver's (a bounded slice of
//! simulated time) plus the commands in flight.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Default bound of the backlog, in events: at the ~100,000 events a second
/// SQLite commits, a twelfth of a second of work. 32,768 held ~45 MB more
/// at the peak of the 10 M-event soak (BENCHMARKS.md) for no more throughput.
pub const BACKLOG_EVENTS: usize = 8_192;

#[derive(Debug, Default)]
struct Counts {
    /// Events handed over and not yet answered.
    events: usize,
    /// Highest `events` seen.
    peak: usize,
    /// Largest single batch handed over.
    largest: usize,
}

/// Events waiting for the writer, bounded (see the module docs).
#[derive(Debug)]
pub struct Backlog {
    counts: Mutex<Counts>,
    room: Condvar,
    bound: AtomicUsize,
    /// Test hook: a pause before every commit, in microseconds (0: none).
    delay_us: AtomicU64,
}

impl Default for Backlog {
    fn default() -> Self {
        Backlog::new(BACKLOG_EVENTS)
    }
}

impl Backlog {
    /// An empty backlog bounded at `bound` events (at least 1).
    pub fn new(bound: usize) -> Backlog {
        Backlog {
            counts: Mutex::default(),
            room: Condvar::new(),
            bound: AtomicUsize::new(bound.max(1)),
            delay_us: AtomicU64::new(0),
        }
    }

    fn counts(&self) -> MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a batch of `n` events handed to the writer.
    pub(crate) fn admit(&self, n: usize) {
        let mut c = self.counts();
        c.events += n;
        c.peak = c.peak.max(c.events);
        c.largest = c.largest.max(n);
    }

    /// The writer answered a batch of `n` events.
    pub(crate) fn release(&self, n: usize) {
        let mut c = self.counts();
        c.events = c.events.saturating_sub(n);
        if c.events < self.bound() {
            self.room.notify_all();
        }
    }

    /// Events handed over and not yet answered.
    pub fn len(&self) -> usize {
        self.counts().events
    }

    /// True when nothing waits for the writer.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most events ever waiting at once.
    pub fn peak(&self) -> usize {
        self.counts().peak
    }

    /// The largest batch handed over (how far one admitted batch can take
    /// the backlog past its bound).
    pub fn largest_batch(&self) -> usize {
        self.counts().largest
    }

    /// Most events waiting before producers are held back.
    pub fn bound(&self) -> usize {
        self.bound.load(Ordering::Relaxed)
    }

    /// Changes the bound (at least 1).
    pub fn set_bound(&self, bound: usize) {
        self.bound.store(bound.max(1), Ordering::Relaxed);
        self.room.notify_all();
    }

    /// True while the backlog is under its bound: a producer may hand over more.
    pub fn has_room(&self) -> bool {
        self.len() < self.bound()
    }

    /// Blocks the calling thread until the backlog is under its bound or
    /// `timeout` passes; true when there is room. Never call it from an
    /// async task (use a blocking thread).
    pub fn wait_for_room(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut c = self.counts();
        loop {
            if c.events < self.bound() {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            c = self.room.wait_timeout(c, left).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    /// Test hook: makes the writer pause `delay` before every commit, so
    /// a test can make the database the bottleneck. Not for production use.
    #[doc(hidden)]
    pub fn slow_writer(&self, delay: Duration) {
        self.delay_us.store(u64::try_from(delay.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// The writer's pause before each commit (the test hook; zero normally).
    pub(crate) fn writer_delay(&self) -> Duration {
        Duration::from_micros(self.delay_us.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_full_backlog_holds_producers_until_the_writer_answers() {
        let b = Arc::new(Backlog::new(10));
        b.admit(6);
        assert!(b.has_room());
        b.admit(6);
        assert!(!b.has_room(), "12 of 10");
        assert_eq!((b.peak(), b.largest_batch()), (12, 6));
        assert!(!b.wait_for_room(Duration::from_millis(5)), "nobody answers: still full");
        let writer = {
            let b = Arc::clone(&b);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                b.release(6);
            })
        };
        assert!(b.wait_for_room(Duration::from_secs(30)), "6 of 10 once one batch is answered");
        writer.join().unwrap();
        assert_eq!(b.len(), 6);
        b.release(6);
        assert!(b.is_empty());
        assert_eq!(b.peak(), 12, "the peak stays");
    }
}
