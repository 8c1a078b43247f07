//! Intraday volume profiles: what share of a session's continuous volume
//! trades in each equal bucket of it, learned from a recording (prints or
//! bars) or taken from the asset class's default.
//!
//! Learning is a pure function of `(time, volume)` pairs: each session the
//! recording covers whole is cut into equal buckets, its volume per bucket
//! divided by its own total, and the shares averaged over the sessions used,
//! every day weighing the same (a heavy day does not get to reshape the
//! curve). Sessions the recording covers only in part, half days and sessions
//! ending after an optional cut-off (`before`, so an evaluation learns only
//! from the days before its window) are left out and listed with the reason.
//!
//! The defaults, when nothing is learned:
//! - **US equity**: the U-shape of `curve::US_EQUITY_HALF_HOURS`; the closing
//!   auction's share is the instrument's `auction_share`, on top of it.
//! - **Crypto**: a 24-hour UTC day peaking at 15:00-16:00 UTC and quietest at
//!   03:00-04:00 UTC, peak/trough 2.5: between the 2.2-3.3 seen on Bitstamp
//!   (2014, hour-of-day averages over nine months) and on Coinbase (2020,
//!   one month: $6.5M at 15:00-16:00 UTC against $2M in the quietest hour).
//!   A smooth cosine with that peak, trough and ratio.
//! - **FX**: by trading session: each centre's share of global turnover (BIS
//!   Triennial Survey 2022, by sales desk: UK 38%, US 19%, Singapore 9%, Hong
//!   Kong 7%, Japan 4%) spread over its local business hours (08:00-17:00 in
//!   its own zone, so daylight saving moves it), the remaining 23% evenly over
//!   the day. The London/New York overlap comes out heaviest, the hours after
//!   the New York close lightest, as in the published hourly turnover.
//! - **Bonds and anything else**: flat.

use super::curve::US_EQUITY_HALF_HOURS;
use super::session::{self, Session};
use crate::model::{AssetClass, Calendar, Duration, Timestamp};
use chrono::{Datelike, NaiveDate, Timelike, Weekday};
use chrono_tz::Tz;
use serde::Serialize;

/// Default bucket length of a learned profile.
pub const DEFAULT_BUCKET: Duration = Duration::mins(30);

/// Where a profile came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileSource {
    /// Learned from recorded prints or bars.
    Learned,
    /// The asset class's default.
    Default,
}

/// A session the learning left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedDay {
    /// Exchange-local date of the session.
    pub date: NaiveDate,
    /// Why it was not used.
    pub reason: String,
}

/// An intraday volume profile over one session's equal buckets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VolumeProfile {
    /// Where it came from.
    pub source: ProfileSource,
    /// Length of one bucket.
    pub bucket_secs: i64,
    /// Share of the session's continuous volume in each bucket (sums to 1).
    pub shares: Vec<f64>,
    /// Sessions the shares are averaged over (empty for a default).
    pub days: Vec<NaiveDate>,
    /// Sessions in the recording that were not used.
    pub skipped: Vec<SkippedDay>,
    /// Mean continuous volume of a session over the days used (learned only).
    pub mean_volume: Option<f64>,
}

/// Why no profile could be learned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// The bucket does not fit the session.
    #[error("bucket {bucket_secs} s: {reason}")]
    Bucket {
        /// Bucket length asked for.
        bucket_secs: i64,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// The recording covers no whole session (before the cut-off).
    #[error("{0}")]
    NoDays(String),
}

/// What to learn from.
#[derive(Debug, Clone, Copy)]
pub struct LearnOptions<'a> {
    /// The instrument's calendar (decides sessions and day boundaries).
    pub calendar: Calendar,
    /// Its listing venue (decides the session on some calendars).
    pub listing: &'a str,
    /// Bucket length.
    pub bucket: Duration,
    /// Use only sessions that close at or before this time.
    pub before: Option<Timestamp>,
    /// Use at most this many sessions, the latest ones.
    pub max_days: Option<usize>,
    /// How long a recording's data take to settle after a session opens:
    /// a session counts as covered when the recording starts no later than
    /// this after its open and ends no earlier than this before its close.
    pub tolerance: Duration,
}

impl LearnOptions<'_> {
    /// Defaults for a calendar: 30-minute buckets, every covered session, a tolerance of one bucket.
    pub fn new(calendar: Calendar, listing: &str) -> LearnOptions<'_> {
        LearnOptions {
            calendar,
            listing,
            bucket: DEFAULT_BUCKET,
            before: None,
            max_days: None,
            tolerance: DEFAULT_BUCKET,
        }
    }
}

/// Number of equal buckets of `bucket` in a session, when it divides evenly (to the second).
fn bucket_count(s: &Session, bucket: Duration) -> Option<usize> {
    let len = (s.close - s.open).0;
    (bucket.0 > 0 && len % bucket.0 == 0).then(|| (len / bucket.0) as usize)
}

/// Learns a profile from `(time, volume)` pairs in time order: prints, or
/// bars stamped at their start. Pairs outside every session (pre-market,
/// after hours, weekends) are ignored; so is volume at or after the close
/// (a closing auction is not continuous volume).
pub fn learn(events: &[(Timestamp, f64)], opts: &LearnOptions<'_>) -> Result<VolumeProfile, ProfileError> {
    let bad_bucket = |reason: String| ProfileError::Bucket { bucket_secs: opts.bucket.0 / 1_000_000_000, reason };
    if opts.bucket < Duration::mins(1) {
        return Err(bad_bucket("must be at least one minute".into()));
    }
    let (Some(first), Some(last)) = (events.first().map(|e| e.0), events.last().map(|e| e.0)) else {
        return Err(ProfileError::NoDays("the recording is empty".into()));
    };
    let tz = session::tz_of(opts.calendar);
    // A session may open the evening before its date (FX): start a day early.
    let mut date = first.in_tz(tz).date_naive().pred_opt().unwrap_or(NaiveDate::MIN);
    let end_date = last.in_tz(tz).date_naive().succ_opt().unwrap_or(NaiveDate::MAX);
    let mut sessions: Vec<Session> = Vec::new();
    let mut skipped = Vec::new();
    let mut regular: Option<i64> = None;
    while date <= end_date {
        if let Ok(s) = session::session(opts.calendar, opts.listing, date)
            && s.close > first
            && s.open <= last
        {
            let len = (s.close - s.open).0;
            regular = Some(regular.map_or(len, |r| r.max(len)));
            sessions.push(s);
        }
        date = match date.succ_opt() {
            Some(d) => d,
            None => break,
        };
    }
    let Some(regular) = regular else {
        return Err(ProfileError::NoDays("the recording falls on no trading session".into()));
    };
    let n = match sessions.iter().find(|s| (s.close - s.open).0 == regular).and_then(|s| bucket_count(s, opts.bucket)) {
        Some(n) => n,
        None => {
            return Err(bad_bucket(format!(
                "does not divide the {} min session evenly; allowed: a divisor of it, e.g. 30m",
                regular / 60_000_000_000
            )));
        }
    };
    let mut used: Vec<(NaiveDate, Vec<f64>)> = Vec::new();
    for s in &sessions {
        let reason = if (s.close - s.open).0 != regular {
            Some("shortened session (half day)".to_string())
        } else if first > s.open + opts.tolerance {
            Some(format!("the recording starts at {} UTC, after the open", first.to_utc().format("%Y-%m-%d %H:%M")))
        } else if last < s.close - opts.tolerance {
            Some(format!("the recording ends at {} UTC, before the close", last.to_utc().format("%Y-%m-%d %H:%M")))
        } else if opts.before.is_some_and(|b| s.close > b) {
            // Not data the learner may see: not reported as a flaw of the recording.
            continue;
        } else {
            None
        };
        if let Some(reason) = reason {
            skipped.push(SkippedDay { date: s.date, reason });
            continue;
        }
        let a = events.partition_point(|e| e.0 < s.open);
        let b = events.partition_point(|e| e.0 < s.close);
        let mut vols = vec![0.0; n];
        let len = (s.close - s.open).0 as f64 / n as f64;
        for &(t, v) in &events[a..b] {
            let k = (((t.0 - s.open.0) as f64 / len) as usize).min(n - 1);
            vols[k] += v.max(0.0);
        }
        if vols.iter().sum::<f64>() <= 0.0 {
            skipped.push(SkippedDay { date: s.date, reason: "no volume in the session".into() });
            continue;
        }
        used.push((s.date, vols));
    }
    if let Some(max) = opts.max_days
        && used.len() > max
    {
        used.drain(..used.len() - max);
    }
    if used.is_empty() {
        let why = match (opts.before, skipped.first()) {
            (Some(b), _) => format!(
                "no whole session in the recording closes by {} UTC; a profile needs at least one",
                b.to_utc().format("%Y-%m-%d %H:%M")
            ),
            (None, Some(s)) => format!("no whole session in the recording ({}: {})", s.date, s.reason),
            (None, None) => "no whole session in the recording".to_string(),
        };
        return Err(ProfileError::NoDays(why));
    }
    let mut shares = vec![0.0; n];
    let mut total = 0.0;
    for (_, vols) in &used {
        let day: f64 = vols.iter().sum();
        total += day;
        for (s, v) in shares.iter_mut().zip(vols) {
            *s += v / day;
        }
    }
    let days = used.len() as f64;
    shares.iter_mut().for_each(|s| *s /= days);
    Ok(VolumeProfile {
        source: ProfileSource::Learned,
        bucket_secs: opts.bucket.0 / 1_000_000_000,
        shares,
        days: used.into_iter().map(|(d, _)| d).collect(),
        skipped,
        mean_volume: Some(total / days),
    })
}

/// The asset class's default bucket weights for a session (not normalised).
pub fn default_weights(class: AssetClass, s: &Session) -> Vec<f64> {
    match class {
        AssetClass::Equity => US_EQUITY_HALF_HOURS.to_vec(),
        AssetClass::Crypto => half_hours(s, crypto_weight),
        AssetClass::Fx => half_hours(s, fx_weight),
        AssetClass::Bond => vec![1.0; 24],
    }
}

/// The default profile of an asset class on a session.
pub fn default_profile(class: AssetClass, s: &Session) -> VolumeProfile {
    let w = default_weights(class, s);
    let total: f64 = w.iter().sum();
    let bucket_secs = (s.close - s.open).0 / 1_000_000_000 / w.len().max(1) as i64;
    VolumeProfile {
        source: ProfileSource::Default,
        bucket_secs,
        shares: w.iter().map(|x| x / total).collect(),
        days: Vec::new(),
        skipped: Vec::new(),
        mean_volume: None,
    }
}

/// Weights of the session's half hours from a function of each one's midpoint.
fn half_hours(s: &Session, weight: fn(Timestamp) -> f64) -> Vec<f64> {
    let n = (((s.close - s.open).0 + DEFAULT_BUCKET.0 / 2) / DEFAULT_BUCKET.0).max(1);
    let len = (s.close - s.open).0 / n;
    (0..n).map(|k| weight(Timestamp(s.open.0 + k * len + len / 2))).collect()
}

/// Crypto: a cosine over the UTC day, peak at 15:30, trough at 03:30, peak/trough 2.5.
fn crypto_weight(t: Timestamp) -> f64 {
    const AMPLITUDE: f64 = 1.5 / 3.5; // (1 + a) / (1 - a) = 2.5
    let utc = t.to_utc();
    let hour = utc.hour() as f64 + utc.minute() as f64 / 60.0;
    1.0 + AMPLITUDE * (2.0 * std::f64::consts::PI * (hour - 15.5) / 24.0).cos()
}

/// FX trading centres and their share of global turnover (BIS 2022, by sales desk).
const FX_CENTRES: [(Tz, f64); 5] = [
    (chrono_tz::Europe::London, 0.38),
    (chrono_tz::America::New_York, 0.19),
    (chrono_tz::Asia::Singapore, 0.09),
    (chrono_tz::Asia::Hong_Kong, 0.07),
    (chrono_tz::Asia::Tokyo, 0.04),
];

/// FX: the turnover share of every centre in its business hours at `t`, per hour, plus an even floor.
fn fx_weight(t: Timestamp) -> f64 {
    let rest: f64 = 1.0 - FX_CENTRES.iter().map(|c| c.1).sum::<f64>();
    let mut w = rest / 24.0;
    for (tz, share) in FX_CENTRES {
        let local = t.in_tz(tz);
        let weekday = !matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
        if weekday && (8..17).contains(&local.hour()) {
            w += share / 9.0;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::NANOS_PER_MIN;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    /// One print per minute over whole UTC days, volume following `curve`
    /// (per hour, 24 entries), scaled by `level` on each day.
    fn tape(days: &[(u32, f64)], curve: &[f64; 24]) -> Vec<(Timestamp, f64)> {
        let mut out = Vec::new();
        for &(d, level) in days {
            let open = session::session(Calendar::Crypto, "BINANCE", day(d)).unwrap().open;
            for m in 0..1440 {
                out.push((Timestamp(open.0 + m * NANOS_PER_MIN), level * curve[(m / 60) as usize] / 60.0));
            }
        }
        out
    }

    #[test]
    fn learns_a_known_curve_from_a_constructed_tape() {
        // Hour h carries (h + 1) units: the shares are (h + 1) / 300 (1 + 2 + ... + 24 = 300).
        let mut curve = [0.0; 24];
        for (h, c) in curve.iter_mut().enumerate() {
            *c = (h + 1) as f64;
        }
        // A heavy day and a light day: the shape is the same, so the shares are too.
        let events = tape(&[(2, 10.0), (3, 1.0)], &curve);
        let opts = LearnOptions { bucket: Duration::mins(60), ..LearnOptions::new(Calendar::Crypto, "BINANCE") };
        let p = learn(&events, &opts).unwrap();
        assert_eq!(p.days, vec![day(2), day(3)]);
        assert_eq!(p.shares.len(), 24);
        for (h, s) in p.shares.iter().enumerate() {
            assert!((s - (h + 1) as f64 / 300.0).abs() < 1e-12, "hour {h}: {s}");
        }
        // Mean daily volume: (300 * 10 + 300 * 1) / 2 = 1650.
        assert!((p.mean_volume.unwrap() - 1650.0).abs() < 1e-9);
    }

    #[test]
    fn days_weigh_the_same_whatever_their_volume() {
        // Day 2 trades only in hour 0, day 3 only in hour 23, ten times more.
        let mut a = [0.0; 24];
        a[0] = 1.0;
        let mut b = [0.0; 24];
        b[23] = 1.0;
        let mut events = tape(&[(2, 1.0)], &a);
        events.extend(tape(&[(3, 10.0)], &b));
        let opts = LearnOptions { bucket: Duration::mins(60), ..LearnOptions::new(Calendar::Crypto, "BINANCE") };
        let p = learn(&events, &opts).unwrap();
        assert_eq!((p.shares[0], p.shares[23]), (0.5, 0.5));
    }

    #[test]
    fn partial_days_and_days_after_the_cut_off_are_left_out() {
        let curve = [1.0; 24];
        let mut events = tape(&[(2, 1.0), (3, 1.0), (4, 1.0)], &curve);
        // The recording starts at 04:53 on the 2nd.
        let start = Timestamp(events[0].0.0 + 293 * NANOS_PER_MIN);
        events.retain(|e| e.0 >= start);
        let cut = session::session(Calendar::Crypto, "BINANCE", day(4)).unwrap().open + Duration::mins(5);
        let opts = LearnOptions { before: Some(cut), ..LearnOptions::new(Calendar::Crypto, "BINANCE") };
        let p = learn(&events, &opts).unwrap();
        assert_eq!(p.days, vec![day(3)], "the 2nd is partial, the 4th not over by the cut-off");
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.skipped[0].date, day(2));
        assert!(p.skipped[0].reason.contains("starts at 2026-03-02 04:53"), "{:?}", p.skipped);
        assert_eq!(p.shares.len(), 48);
        // Nothing before the 3rd's close: a clear error.
        let early = LearnOptions { before: Some(cut - Duration::mins(24 * 60)), ..opts };
        let e = learn(&events, &early).unwrap_err().to_string();
        assert!(e.contains("no whole session") && e.contains("2026-03-03 00:05"), "{e}");
    }

    #[test]
    fn a_bucket_that_does_not_divide_the_session_is_refused() {
        let events = tape(&[(2, 1.0)], &[1.0; 24]);
        let opts = LearnOptions { bucket: Duration::mins(7), ..LearnOptions::new(Calendar::Crypto, "BINANCE") };
        let e = learn(&events, &opts).unwrap_err().to_string();
        assert!(e.contains("1440 min") && e.contains("divisor"), "{e}");
        assert!(learn(&[], &LearnOptions::new(Calendar::Crypto, "BINANCE")).is_err());
    }

    #[test]
    fn equity_sessions_ignore_pre_market_and_after_hours() {
        let s = session::session(Calendar::UsEquity, "NYSE", NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()).unwrap();
        let mut events = vec![(s.open - Duration::mins(60), 1e6)];
        for m in 0..390 {
            events.push((s.open + Duration::mins(m), if m < 30 { 3.0 } else { 1.0 }));
        }
        events.push((s.close, 1e6)); // the closing auction
        events.push((s.close + Duration::mins(30), 1e6));
        let p = learn(&events, &LearnOptions::new(Calendar::UsEquity, "NYSE")).unwrap();
        assert_eq!(p.shares.len(), 13);
        // 90 of 450 units in the first half hour.
        assert!((p.shares[0] - 90.0 / 450.0).abs() < 1e-12, "{:?}", p.shares);
        assert!((p.mean_volume.unwrap() - 450.0).abs() < 1e-9);
    }

    #[test]
    fn class_defaults_have_their_documented_shape() {
        let c = session::session(Calendar::Crypto, "BINANCE", day(2)).unwrap();
        let crypto = default_profile(AssetClass::Crypto, &c);
        assert_eq!(crypto.shares.len(), 48);
        let (max, min) = crypto.shares.iter().fold((0.0f64, 1.0f64), |(a, b), &s| (a.max(s), b.min(s)));
        assert!((max / min - 2.5).abs() < 0.02, "{max} {min}");
        // The half hours either side of 15:30 UTC are the busiest, those either side of 03:30 the quietest.
        assert!((crypto.shares[30] - max).abs() < 1e-12 && (crypto.shares[31] - max).abs() < 1e-12);
        assert!((crypto.shares[6] - min).abs() < 1e-12 && (crypto.shares[7] - min).abs() < 1e-12);
        // FX Monday session: Sunday 17:00 New York to Monday 17:00.
        let fx = session::session(Calendar::Fx, "FXMB", day(2)).unwrap();
        let w = default_profile(AssetClass::Fx, &fx);
        assert_eq!(w.shares.len(), 48);
        let at = |hhmm_utc: (u32, u32)| {
            let t = Timestamp::from_utc(day(2).and_hms_opt(hhmm_utc.0, hhmm_utc.1, 0).unwrap().and_utc());
            w.shares[((t - fx.open).0 / DEFAULT_BUCKET.0) as usize]
        };
        // Both in winter time: London 08:00-17:00 UTC, New York 13:00-22:00 UTC. Their overlap
        // carries (38% + 19%) / 9 + 23% / 24 = 7.29% an hour, London alone 5.18%, New York alone 3.07%.
        assert!((at((14, 0)) * 2.0 / (0.57 / 9.0 + 0.23 / 24.0) - 1.0).abs() < 1e-9, "{:?}", w.shares);
        assert!((at((9, 0)) * 2.0 / (0.38 / 9.0 + 0.23 / 24.0) - 1.0).abs() < 1e-9);
        assert!((at((20, 0)) * 2.0 / (0.19 / 9.0 + 0.23 / 24.0) - 1.0).abs() < 1e-9);
        let eq = session::session(Calendar::UsEquity, "NYSE", NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()).unwrap();
        assert_eq!(default_profile(AssetClass::Equity, &eq).shares.len(), 13);
        assert!(crypto.shares.iter().chain(&w.shares).all(|s| s.is_finite() && *s > 0.0));
    }
}
