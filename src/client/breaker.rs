//! A circuit breaker in front of the sidecar, so a dead one is not hammered.
//!
//! Closed: calls go through; consecutive failures (transport errors and 5xx)
//! are counted, and at the threshold the breaker opens. Open: calls fail at
//! once with `circuit_open` until the cool-down has passed. Half-open: one
//! trial call goes through; success closes the breaker, failure opens it again
//! with a doubled cool-down (up to a ceiling). 4xx answers are successes here:
//! the sidecar is alive, the request was wrong.

use super::ClientError;
use crate::client::ErrorCode;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls fail fast until the cool-down ends.
    Open,
    /// One trial call is allowed through.
    HalfOpen,
}

impl std::fmt::Display for BreakerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half-open",
        })
    }
}

/// The breaker as shown in the status bar and by `blotter status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerView {
    /// Closed, open or half-open.
    pub state: BreakerState,
    /// Consecutive failures.
    pub failures: u32,
    /// Failures that open the breaker.
    pub threshold: u32,
    /// While open: milliseconds until a trial call is allowed.
    pub retry_in_ms: Option<u64>,
    /// The last failure.
    pub last_error: Option<String>,
}

#[derive(Debug)]
struct Inner {
    state: BreakerState,
    failures: u32,
    opened_at: Option<Instant>,
    cooldown: Duration,
    trial_in_flight: bool,
    last_error: Option<String>,
}

/// A closed/open/half-open circuit breaker.
#[derive(Debug)]
pub struct Breaker {
    inner: Mutex<Inner>,
    threshold: u32,
    base_cooldown: Duration,
    max_cooldown: Duration,
}

/// Permission for one call; report its outcome (dropping it unreported
/// releases a half-open trial without counting anything).
#[derive(Debug)]
pub struct Permit<'a> {
    breaker: &'a Breaker,
    trial: bool,
    done: bool,
}

impl Permit<'_> {
    /// The call reached the sidecar and it answered (any status below 500).
    pub fn success(mut self) {
        self.done = true;
        self.breaker.success();
    }
    /// The call failed in transport or with a 5xx.
    pub fn failure(self, why: &str) {
        self.fail_at(why, Instant::now());
    }

    fn fail_at(mut self, why: &str, now: Instant) {
        self.done = true;
        self.breaker.failure(why, now);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.done && self.trial {
            self.breaker.lock().trial_in_flight = false;
        }
    }
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker::new(5, Duration::from_millis(500), Duration::from_secs(30))
    }
}

impl Breaker {
    /// A breaker opening after `threshold` consecutive failures, first for
    /// `cooldown`, doubling on each failed trial up to `max_cooldown`.
    pub fn new(threshold: u32, cooldown: Duration, max_cooldown: Duration) -> Breaker {
        Breaker {
            inner: Mutex::new(Inner {
                state: BreakerState::Closed,
                failures: 0,
                opened_at: None,
                cooldown,
                trial_in_flight: false,
                last_error: None,
            }),
            threshold: threshold.max(1),
            base_cooldown: cooldown,
            max_cooldown: max_cooldown.max(cooldown),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Asks to make a call now.
    pub fn admit(&self) -> Result<Permit<'_>, ClientError> {
        self.admit_at(Instant::now())
    }

    fn admit_at(&self, now: Instant) -> Result<Permit<'_>, ClientError> {
        let mut i = self.lock();
        if i.state == BreakerState::Open && i.opened_at.is_some_and(|t| now.duration_since(t) >= i.cooldown) {
            i.state = BreakerState::HalfOpen;
        }
        match i.state {
            BreakerState::Closed => Ok(Permit { breaker: self, trial: false, done: false }),
            BreakerState::HalfOpen if !i.trial_in_flight => {
                i.trial_in_flight = true;
                Ok(Permit { breaker: self, trial: true, done: false })
            }
            _ => Err(ClientError::new(
                ErrorCode::CircuitOpen,
                format!(
                    "the sidecar is not answering ({} consecutive failures; last: {}); retrying later",
                    i.failures,
                    i.last_error.as_deref().unwrap_or("none")
                ),
            )),
        }
    }

    fn success(&self) {
        let mut i = self.lock();
        i.state = BreakerState::Closed;
        i.failures = 0;
        i.opened_at = None;
        i.cooldown = self.base_cooldown;
        i.trial_in_flight = false;
    }

    fn failure(&self, why: &str, now: Instant) {
        let mut i = self.lock();
        i.failures = i.failures.saturating_add(1);
        i.last_error = Some(why.to_string());
        match i.state {
            BreakerState::HalfOpen => {
                i.cooldown = (i.cooldown * 2).min(self.max_cooldown);
                i.state = BreakerState::Open;
                i.opened_at = Some(now);
            }
            BreakerState::Closed if i.failures >= self.threshold => {
                i.state = BreakerState::Open;
                i.opened_at = Some(now);
            }
            _ => {}
        }
        i.trial_in_flight = false;
    }

    /// The state now.
    pub fn view(&self) -> BreakerView {
        self.view_at(Instant::now())
    }

    fn view_at(&self, now: Instant) -> BreakerView {
        let i = self.lock();
        let retry_in_ms = match (i.state, i.opened_at) {
            (BreakerState::Open, Some(t)) => {
                Some(i.cooldown.saturating_sub(now.duration_since(t)).as_millis().try_into().unwrap_or(u64::MAX))
            }
            _ => None,
        };
        // An open breaker whose cool-down has passed admits a trial: show it so.
        let state = if retry_in_ms == Some(0) { BreakerState::HalfOpen } else { i.state };
        BreakerView {
            state,
            failures: i.failures,
            threshold: self.threshold,
            retry_in_ms,
            last_error: i.last_error.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_at_the_threshold_fails_fast_then_half_opens_for_one_trial() {
        let b = Breaker::new(3, Duration::from_millis(100), Duration::from_millis(350));
        let t0 = Instant::now();
        for n in 1..=3 {
            assert_eq!(b.view_at(t0).state, BreakerState::Closed, "before failure {n}");
            b.admit_at(t0).unwrap().fail_at("connection refused", t0);
        }
        let v = b.view_at(t0);
        assert_eq!((v.state, v.failures, v.retry_in_ms), (BreakerState::Open, 3, Some(100)));
        assert_eq!(b.admit_at(t0 + Duration::from_millis(50)).unwrap_err().code, "circuit_open");
        let later = t0 + Duration::from_millis(100);
        let trial = b.admit_at(later).unwrap();
        assert_eq!(b.view_at(later).state, BreakerState::HalfOpen);
        assert!(b.admit_at(later).is_err(), "only one trial at a time");
        trial.fail_at("still down", later);
        // The failed trial opens it again for twice as long.
        assert_eq!(b.view_at(later).retry_in_ms, Some(200));
        assert!(b.admit_at(later + Duration::from_millis(199)).is_err());
        b.admit_at(later + Duration::from_millis(200)).unwrap().success();
        let v = b.view_at(later);
        assert_eq!((v.state, v.failures), (BreakerState::Closed, 0));
    }

    #[test]
    fn success_resets_the_count_and_an_abandoned_trial_frees_the_slot() {
        let b = Breaker::new(2, Duration::from_millis(10), Duration::from_millis(10));
        let t0 = Instant::now();
        b.admit_at(t0).unwrap().fail_at("x", t0);
        b.admit_at(t0).unwrap().success();
        b.admit_at(t0).unwrap().fail_at("x", t0);
        assert_eq!(b.view_at(t0).state, BreakerState::Closed, "failures must be consecutive");
        b.admit_at(t0).unwrap().fail_at("x", t0);
        let t1 = t0 + Duration::from_millis(10);
        drop(b.admit_at(t1).unwrap());
        assert!(b.admit_at(t1).is_ok(), "a dropped trial releases the half-open slot");
        // The cool-down never exceeds its ceiling.
        let mut t = t1;
        for _ in 0..5 {
            t += Duration::from_secs(1);
            b.admit_at(t).unwrap().fail_at("down", t);
        }
        assert_eq!(b.view_at(t).retry_in_ms, Some(10));
    }
}
