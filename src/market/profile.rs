//! Intraday volume profiles learned from recorded prints: the share of a
//! session's volume traded in each equal-length bucket, averaged over the
//! sessions a recording covers in full.
//!
//! A pure function over (time, quantity) pairs and the sessions to learn
//! from, so anything that has prints (a trades file, bars turned into prints,
//! the simulator's own tape) learns a curve the same way. Each session counts
//! once whatever its volume, so one busy day does not set the shape of all
//! of them. A session only partly recorded is left out: its missing hours
//! would read as hours without volume.

use super::session::Session;
use crate::model::Timestamp;
use chrono::NaiveDate;
use serde::Serialize;

/// A learned profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LearnedProfile {
    /// Share of a session's volume in each bucket, in session order (sums to 1).
    pub shares: Vec<f64>,
    /// Sessions (their exchange-local dates) the shares are averaged over.
    pub days: Vec<NaiveDate>,
}

/// Why no profile could be learned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProfileError {
    /// No session is covered from its open to its close.
    #[error("no session is recorded from its open to its close (a profile needs at least one whole session)")]
    NoWholeSession,
    /// Whole sessions were covered but nothing traded in them.
    #[error("the whole sessions recorded ({0}) have no volume")]
    NoVolume(usize),
    /// A bucket count of zero.
    #[error("a profile needs at least one bucket")]
    NoBuckets,
}

/// The sessions among `sessions` that a recording spanning `first..=last`
/// covers from open to close, allowing `slack` at either end (a recording
/// starts with the first print, a moment after the open).
pub fn whole_sessions(sessions: &[Session], first: Timestamp, last: Timestamp, slack_ns: i64) -> Vec<Session> {
    sessions.iter().copied().filter(|s| first.0 <= s.open.0 + slack_ns && last.0 >= s.close.0 - slack_ns).collect()
}

/// Learns a profile of `buckets` equal buckets per session from prints in
/// time order, over the given whole sessions (prints outside them are
/// ignored). Quantities are in any unit (only shares come out).
pub fn learn(
    prints: impl IntoIterator<Item = (Timestamp, f64)>,
    sessions: &[Session],
    buckets: usize,
) -> Result<LearnedProfile, ProfileError> {
    if buckets == 0 {
        return Err(ProfileError::NoBuckets);
    }
    if sessions.is_empty() {
        return Err(ProfileError::NoWholeSession);
    }
    let mut per_day = vec![vec![0.0f64; buckets]; sessions.len()];
    let mut s = 0;
    for (t, q) in prints {
        while s < sessions.len() && t >= sessions[s].close {
            s += 1;
        }
        let Some(sess) = sessions.get(s) else { break };
        if t < sess.open || !(q.is_finite() && q > 0.0) {
            continue;
        }
        per_day[s][bucket_of(sess, t, buckets)] += q;
    }
    let mut shares = vec![0.0; buckets];
    let mut days = Vec::new();
    for (sess, vols) in sessions.iter().zip(&per_day) {
        let total: f64 = vols.iter().sum();
        if total <= 0.0 {
            continue;
        }
        for (acc, v) in shares.iter_mut().zip(vols) {
            *acc += v / total;
        }
        days.push(sess.date);
    }
    if days.is_empty() {
        return Err(ProfileError::NoVolume(sessions.len()));
    }
    let n = days.len() as f64;
    for x in &mut shares {
        *x /= n;
    }
    Ok(LearnedProfile { shares, days })
}

/// The bucket of `t` within its session (`t` inside the session).
fn bucket_of(s: &Session, t: Timestamp, buckets: usize) -> usize {
    let len = (s.close.0 - s.open.0).max(1) as i128;
    let k = (t.0 - s.open.0) as i128 * buckets as i128 / len;
    usize::try_from(k).unwrap_or(0).min(buckets - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::session::session;
    use crate::model::{Calendar, Duration};

    fn day(d: u32) -> Session {
        session(Calendar::Crypto, "BINANCE", NaiveDate::from_ymd_opt(2021, 1, d).unwrap()).unwrap()
    }

    #[test]
    fn shares_average_each_day_equally() {
        let (d1, d2) = (day(8), day(9));
        let h = |s: &Session, hours: i64| s.open + Duration::mins(hours * 60 + 1);
        // Four 6-hour buckets. Day 1: 10 in the first bucket, 30 in the last
        // (shares 0.25, 0, 0, 0.75). Day 2: 1000 in the second (0, 1, 0, 0).
        // Average: 0.125, 0.5, 0, 0.375 (day 2's size does not dominate).
        let prints = vec![
            (h(&d1, 0), 10.0),
            (h(&d1, 23), 30.0),
            (h(&d2, 7), 600.0),
            (h(&d2, 11), 400.0),
            // Outside the sessions given: ignored.
            (h(&day(10), 1), 5.0),
        ];
        let p = learn(prints, &[d1, d2], 4).unwrap();
        assert_eq!(p.shares, vec![0.125, 0.5, 0.0, 0.375]);
        assert_eq!(p.days.len(), 2);
    }

    #[test]
    fn partial_sessions_are_not_whole() {
        let (d1, d2) = (day(8), day(9));
        let slack = Duration::secs(1).0;
        // From a second after day 1's open to mid-day 2: only day 1 is whole.
        let w = whole_sessions(&[d1, d2], d1.open + Duration::millis(300), d2.open + Duration::mins(600), slack);
        assert_eq!(w, vec![d1]);
        assert_eq!(learn(Vec::new(), &[], 24), Err(ProfileError::NoWholeSession));
        assert_eq!(learn(Vec::new(), &[d1], 24), Err(ProfileError::NoVolume(1)));
        assert_eq!(learn(Vec::new(), &[d1], 0), Err(ProfileError::NoBuckets));
    }
}
