//! A bound on the event streams one token holds open at once. A stream
//! holds a file descriptor, a subscription to the engine's events and what
//! is queued for it; without a bound one token, within its rate limit,
//! could open thousands and exhaust the server's descriptors, so that
//! nobody, the supervisor with the kill switch included, could connect.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The open streams per caller key (a token's public id, or `local`).
#[derive(Debug)]
pub struct StreamSlots {
    open: Mutex<HashMap<String, usize>>,
    max: usize,
}

/// One open stream's slot, given back when the stream ends (dropped).
#[derive(Debug)]
pub struct Slot {
    slots: Arc<StreamSlots>,
    key: String,
}

impl StreamSlots {
    /// At most `max` streams per key (at least one).
    pub fn new(max: usize) -> StreamSlots {
        StreamSlots { open: Mutex::default(), max: max.max(1) }
    }

    /// The most streams a key may hold.
    pub fn max(&self) -> usize {
        self.max
    }

    /// A slot for one more stream of `key`, or `None` when it holds the most already.
    pub fn take(self: &Arc<Self>, key: &str) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(key.to_string()).or_default();
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(Slot { slots: Arc::clone(self), key: key.to_string() })
    }

    /// Streams open for `key`.
    pub fn open(&self, key: &str) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).get(key).copied().unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_holds_at_most_max_and_gets_a_slot_back_when_one_ends() {
        let s = Arc::new(StreamSlots::new(2));
        let a = s.take("k1").unwrap();
        let b = s.take("k1").unwrap();
        assert!(s.take("k1").is_none(), "a third is refused");
        let other = s.take("k2").expect("another key has its own");
        drop(a);
        assert_eq!(s.open("k1"), 1);
        let c = s.take("k1").expect("the slot came back");
        drop((b, c, other));
        assert!(s.open.lock().unwrap().is_empty(), "nothing kept for keys without streams");
    }
}
