//! Simulated time: integer nanoseconds since the Unix epoch, always UTC.
//! Exchange-local times are converted at the edges with an explicit zone.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, Sub};

/// Nanoseconds in common units.
pub const NANOS_PER_MICRO: i64 = 1_000;
/// Nanoseconds per millisecond.
pub const NANOS_PER_MILLI: i64 = 1_000_000;
/// Nanoseconds per second.
pub const NANOS_PER_SEC: i64 = 1_000_000_000;
/// Nanoseconds per minute.
pub const NANOS_PER_MIN: i64 = 60 * NANOS_PER_SEC;
/// Nanoseconds per hour.
pub const NANOS_PER_HOUR: i64 = 60 * NANOS_PER_MIN;

/// A point in simulated time (UTC nanoseconds since the epoch).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

/// A span of simulated time in nanoseconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Duration(pub i64);

impl Duration {
    /// Whole seconds.
    pub const fn secs(s: i64) -> Self {
        Duration(s * NANOS_PER_SEC)
    }
    /// Whole milliseconds.
    pub const fn millis(ms: i64) -> Self {
        Duration(ms * NANOS_PER_MILLI)
    }
    /// Whole microseconds.
    pub const fn micros(us: i64) -> Self {
        Duration(us * NANOS_PER_MICRO)
    }
    /// Whole minutes.
    pub const fn mins(m: i64) -> Self {
        Duration(m * NANOS_PER_MIN)
    }
    /// Seconds as a float.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
    /// Parses `500ms`, `30s`, `5m`, `2h`, `5d` (trading days are not implied: a
    /// day is 24 hours here; callers that mean trading days convert themselves).
    pub fn parse(s: &str) -> Option<Duration> {
        let t = s.trim();
        let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let (num, unit) = t.split_at(split);
        let v: f64 = num.parse().ok()?;
        let scale = match unit {
            "ns" => 1.0,
            "us" => NANOS_PER_MICRO as f64,
            "ms" => NANOS_PER_MILLI as f64,
            "s" => NANOS_PER_SEC as f64,
            "m" | "min" => NANOS_PER_MIN as f64,
            "h" => NANOS_PER_HOUR as f64,
            "d" => 24.0 * NANOS_PER_HOUR as f64,
            _ => return None,
        };
        let n = v * scale;
        (n.is_finite() && n >= 0.0).then_some(Duration(n.round() as i64))
    }
}

impl Timestamp {
    /// From a UTC date-time.
    pub fn from_utc(dt: DateTime<Utc>) -> Self {
        Timestamp(dt.timestamp_nanos_opt().unwrap_or(0))
    }
    /// A UTC time, `None` outside what nanoseconds in an i64 can hold
    /// (1677-09-21 to 2262-04-11).
    pub fn checked_from_utc(dt: DateTime<Utc>) -> Option<Self> {
        dt.timestamp_nanos_opt().map(Timestamp)
    }
    /// Exchange-local date and time in `tz` to UTC. Ambiguous local times (DST
    /// fall-back) take the earlier instant; nonexistent ones (spring-forward) the later.
    pub fn from_local(tz: Tz, date: NaiveDate, time: NaiveTime) -> Self {
        let naive = date.and_time(time);
        let dt = match tz.from_local_datetime(&naive) {
            chrono::LocalResult::Single(d) => d,
            chrono::LocalResult::Ambiguous(a, _) => a,
            chrono::LocalResult::None => {
                // Skip forward over the gap one hour.
                let later = naive + chrono::Duration::hours(1);
                tz.from_local_datetime(&later).earliest().unwrap_or_else(|| tz.from_utc_datetime(&naive))
            }
        };
        Self::from_utc(dt.with_timezone(&Utc))
    }
    /// As a UTC date-time.
    pub fn to_utc(self) -> DateTime<Utc> {
        DateTime::from_timestamp_nanos(self.0)
    }
    /// As a date-time in `tz`.
    pub fn in_tz(self, tz: Tz) -> DateTime<Tz> {
        self.to_utc().with_timezone(&tz)
    }
    /// Milliseconds since the epoch.
    pub fn as_millis(self) -> i64 {
        self.0.div_euclid(NANOS_PER_MILLI)
    }
    /// `HH:MM:SS.mmm` in `tz`.
    pub fn hms_in(self, tz: Tz) -> String {
        self.in_tz(tz).format("%H:%M:%S%.3f").to_string()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_utc().format("%Y-%m-%dT%H:%M:%S%.9fZ"))
    }
}
impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: Duration) -> Timestamp {
        Timestamp(self.0 + d.0)
    }
}
impl Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, d: Duration) -> Timestamp {
        Timestamp(self.0 - d.0)
    }
}
impl Sub for Timestamp {
    type Output = Duration;
    fn sub(self, o: Timestamp) -> Duration {
        Duration(self.0 - o.0)
    }
}

/// Parses a trading date written `YYYY-MM-DD` with a four-digit year
/// between 1970 and 2261 (simulated time is nanoseconds in an i64); the
/// error says what is allowed. `26-11-25` is refused, not read as year 26.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let t = s.trim();
    let bad = || format!("'{s}' is not a date; allowed: YYYY-MM-DD with a year from 1970 to 2261");
    let shaped = t.len() == 10
        && t.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !shaped {
        return Err(bad());
    }
    let d = NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| bad())?;
    if !(1970..=2261).contains(&chrono::Datelike::year(&d)) {
        return Err(bad());
    }
    Ok(d)
}

/// Parses `HH:MM` or `HH:MM:SS` as a local wall-clock time.
pub fn parse_hhmm(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H:%M:%S")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_need_four_digit_years_in_range() {
        assert_eq!(parse_date(" 2026-11-25 ").unwrap(), NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
        for bad in ["26-11-25", "2026-11-31", "2026-1-5", "0026-11-25", "2300-01-01", "2026/11/25", ""] {
            assert!(parse_date(bad).unwrap_err().contains("allowed: YYYY-MM-DD"), "{bad}");
        }
    }

    #[test]
    fn new_york_open_is_explicit_about_dst() {
        let tz: Tz = chrono_tz::America::New_York;
        let d = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let t = Timestamp::from_local(tz, d, parse_hhmm("09:30").unwrap());
        assert_eq!(t.to_string(), "2026-11-25T14:30:00.000000000Z"); // EST = UTC-5
        let summer = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        let t = Timestamp::from_local(tz, summer, parse_hhmm("09:30").unwrap());
        assert_eq!(t.to_string(), "2026-07-01T13:30:00.000000000Z"); // EDT = UTC-4
        assert_eq!(t.hms_in(tz), "09:30:00.000");
    }

    #[test]
    fn durations_parse() {
        assert_eq!(Duration::parse("5m"), Some(Duration::mins(5)));
        assert_eq!(Duration::parse("350us"), Some(Duration::micros(350)));
        assert_eq!(Duration::parse("1.5s"), Some(Duration::millis(1500)));
        assert_eq!(Duration::parse("5"), None);
        assert_eq!(Duration::parse("-5s"), None);
    }
}
