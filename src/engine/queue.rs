//! The engine's queue of scheduled jobs: earliest time first, and in the
//! order they were queued among jobs due at the same time.
//!
//! A binary heap with the earliest entry held in front of it. A replay's
//! jobs are mostly a market's next print, queued as the print before it runs
//! and usually due before anything else queued (the next quote refresh, a
//! timer): it waits in front and is taken from there, without a push and a
//! pop of the heap (those were a tenth of a replay's time). The order jobs
//! come out in is the heap's alone, `(time, sequence)`, whichever way they
//! are held.

use crate::model::Timestamp;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// One scheduled job.
#[derive(Debug)]
pub(super) struct Entry<J> {
    pub at: Timestamp,
    pub seq: u64,
    pub job: J,
}

impl<J> PartialEq for Entry<J> {
    fn eq(&self, o: &Self) -> bool {
        self.at == o.at && self.seq == o.seq
    }
}
impl<J> Eq for Entry<J> {}
impl<J> PartialOrd for Entry<J> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<J> Ord for Entry<J> {
    // Reversed so the max-heap pops the earliest job first.
    fn cmp(&self, o: &Self) -> Ordering {
        o.at.cmp(&self.at).then(o.seq.cmp(&self.seq))
    }
}

/// Jobs by time, then by the order they were queued.
#[derive(Debug)]
pub(super) struct JobQueue<J> {
    /// Earlier than every entry of `heap` when set.
    front: Option<Entry<J>>,
    heap: BinaryHeap<Entry<J>>,
    seq: u64,
}

impl<J> JobQueue<J> {
    pub fn new() -> Self {
        JobQueue { front: None, heap: BinaryHeap::new(), seq: 0 }
    }

    /// Queues `job` at `at`, after every job already queued for that time.
    pub fn push(&mut self, at: Timestamp, job: J) {
        self.seq += 1;
        let e = Entry { at, seq: self.seq, job };
        match &self.front {
            // `>` in the reversed order: earlier.
            Some(f) if e > *f => {
                if let Some(old) = self.front.replace(e) {
                    self.heap.push(old);
                }
            }
            Some(_) => self.heap.push(e),
            None if self.heap.peek().is_none_or(|top| e > *top) => self.front = Some(e),
            None => self.heap.push(e),
        }
    }

    /// The earliest job.
    pub fn peek(&self) -> Option<&Entry<J>> {
        self.front.as_ref().or_else(|| self.heap.peek())
    }

    /// Takes the earliest job.
    pub fn pop(&mut self) -> Option<Entry<J>> {
        self.front.take().or_else(|| self.heap.pop())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the order of pushes and pops, jobs come out as a plain
    /// heap gives them: by time, then by the order they were queued.
    #[test]
    fn jobs_come_out_by_time_then_queue_order() {
        let mut q = JobQueue::new();
        let mut plain = BinaryHeap::new();
        let mut seq = 0u64;
        // A fixed pseudo-random mix of pushes (times with ties) and pops.
        let mut x = 12_345u64;
        for i in 0..5_000u32 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            if (x >> 60) < 9 {
                let at = Timestamp(((x >> 20) % 50) as i64);
                seq += 1;
                q.push(at, i);
                plain.push(Entry { at, seq, job: i });
            } else {
                let (a, b) = (q.pop(), plain.pop());
                assert_eq!(a.map(|e| (e.at, e.job)), b.map(|e| (e.at, e.job)));
            }
            assert_eq!(q.peek().map(|e| e.job), plain.peek().map(|e| e.job));
        }
        while let Some(b) = plain.pop() {
            assert_eq!(q.pop().map(|e| e.job), Some(b.job));
        }
        assert!(q.pop().is_none());
    }
}
