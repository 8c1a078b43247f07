//! Trading calendars and sessions. Exchange sessions are defined in the
//! exchange's own zone (America/New_York, Europe/Zurich) and converted to UTC
//! timestamps here, so DST is handled in one place.

use crate::model::{Calendar, Timestamp};
use chrono::{Datelike, Duration as ChronoDuration, NaiveDate, NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The zone an instrument's session times are written in.
pub fn tz_of(cal: Calendar) -> Tz {
    match cal {
        Calendar::UsEquity | Calendar::UsBond | Calendar::Fx => chrono_tz::America::New_York,
        Calendar::SwissEquity => chrono_tz::Europe::Zurich,
        Calendar::Crypto => chrono_tz::UTC,
    }
}

/// The closing auction of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Auction {
    /// Last moment MOC/LOC orders are accepted.
    pub cutoff: Timestamp,
    /// When the auction uncrosses.
    pub uncross: Timestamp,
}

/// One trading day's session for one instrument.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Session {
    /// Exchange-local trading date.
    pub date: NaiveDate,
    /// Zone the times are defined in.
    #[serde(skip)]
    pub tz: Tz,
    /// Continuous trading starts.
    pub open: Timestamp,
    /// Continuous trading ends.
    pub close: Timestamp,
    /// Closing auction, where the venue runs one.
    pub auction: Option<Auction>,
    /// True on a shortened (half) day.
    pub early_close: bool,
}

/// Where a session is at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// Before continuous trading.
    PreOpen,
    /// Continuous trading.
    Open,
    /// After the auction cutoff, before the uncross (continuous may still run).
    ClosingAuction,
    /// After the close.
    Closed,
}

impl SessionState {
    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            SessionState::PreOpen => "pre-open",
            SessionState::Open => "open",
            SessionState::ClosingAuction => "closing auction",
            SessionState::Closed => "closed",
        }
    }
}

impl Session {
    /// The state at `t`.
    pub fn state_at(&self, t: Timestamp) -> SessionState {
        if t < self.open {
            SessionState::PreOpen
        } else if let Some(a) = self.auction
            && t >= a.cutoff
            && t < a.uncross.max(self.close)
        {
            SessionState::ClosingAuction
        } else if t < self.close {
            SessionState::Open
        } else {
            SessionState::Closed
        }
    }
    /// True while continuous trading runs.
    pub fn is_open(&self, t: Timestamp) -> bool {
        t >= self.open && t < self.close
    }
    /// `HH:MM` of a timestamp in the session's zone.
    pub fn local_hhmm(&self, t: Timestamp) -> String {
        t.in_tz(self.tz).format("%H:%M").to_string()
    }
    /// A one-line description, e.g. `09:30-16:00 America/New_York on
    /// 2026-11-25`; a session over two dates names both (a UTC crypto day,
    /// `00:00 UTC 2026-11-25 to 00:00 UTC 2026-11-26`; an FX value date from
    /// 17:00 New York the day before), where `00:00-00:00` would read as a
    /// day lasting no time.
    pub fn describe(&self) -> String {
        let day = |t: Timestamp| t.in_tz(self.tz).date_naive();
        let (open_day, close_day) = (day(self.open), day(self.close));
        let tz = self.tz.name();
        if open_day == self.date && close_day == self.date {
            format!("{}-{} {tz} on {}", self.local_hhmm(self.open), self.local_hhmm(self.close), self.date)
        } else {
            format!(
                "{} {tz} {open_day} to {} {tz} {close_day}",
                self.local_hhmm(self.open),
                self.local_hhmm(self.close)
            )
        }
    }
}

/// Why there is no session on a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("market closed on {date}: {reason}")]
pub struct Closed {
    /// The date asked for.
    pub date: NaiveDate,
    /// Weekend or the holiday's name.
    pub reason: String,
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("valid wall-clock time")
}

/// MOC/LOC entry cutoff (minutes before the uncross) by listing exchange.
/// NYSE 15:50 and Nasdaq 15:55 are from `shared/reference/closing_auction.json`;
/// NYSE Arca's 15:59 is its Rule 7.35-E cutoff.
fn moc_cutoff_minutes_before(listing: &str) -> i64 {
    match listing {
        "NASDAQ" => 5,
        "ARCA" => 1,
        _ => 10,
    }
}

/// The session of an instrument on an exchange-local date.
pub fn session(cal: Calendar, listing: &str, date: NaiveDate) -> Result<Session, Closed> {
    let tz = tz_of(cal);
    let closed = |reason: &str| Closed { date, reason: reason.to_string() };
    let at = |d: NaiveDate, t: NaiveTime| Timestamp::from_local(tz, d, t);
    match cal {
        Calendar::UsEquity => {
            if let Some(h) = weekend(date).or_else(|| nyse_holiday(date)) {
                return Err(closed(&h));
            }
            let early = nyse_early_close(date);
            let close_t = if early { hm(13, 0) } else { hm(16, 0) };
            let close = at(date, close_t);
            let cutoff = close - crate::model::Duration::mins(moc_cutoff_minutes_before(listing));
            Ok(Session {
                date,
                tz,
                open: at(date, hm(9, 30)),
                close,
                auction: Some(Auction { cutoff, uncross: close }),
                early_close: early,
            })
        }
        Calendar::SwissEquity => {
            if let Some(h) = weekend(date).or_else(|| six_holiday(date)) {
                return Err(closed(&h));
            }
            // SIX: continuous 09:00-17:20, pre-close call 17:20-17:30, uncross at 17:30.
            Ok(Session {
                date,
                tz,
                open: at(date, hm(9, 0)),
                close: at(date, hm(17, 20)),
                auction: Some(Auction { cutoff: at(date, hm(17, 30)), uncross: at(date, hm(17, 30)) }),
                early_close: false,
            })
        }
        Calendar::Crypto => {
            let next = date + ChronoDuration::days(1);
            Ok(Session {
                date,
                tz,
                open: at(date, hm(0, 0)),
                close: at(next, hm(0, 0)),
                auction: None,
                early_close: false,
            })
        }
        Calendar::Fx => {
            // FX trades Sunday 17:00 to Friday 17:00 New York; the value date D
            // runs from 17:00 on the previous calendar day to 17:00 on D.
            if let Some(w) = weekend(date) {
                return Err(closed(&w));
            }
            if (date.month(), date.day()) == (1, 1) || (date.month(), date.day()) == (12, 25) {
                return Err(closed("global FX holiday"));
            }
            let prev = date - ChronoDuration::days(1);
            Ok(Session {
                date,
                tz,
                open: at(prev, hm(17, 0)),
                close: at(date, hm(17, 0)),
                auction: None,
                early_close: false,
            })
        }
        Calendar::UsBond => {
            if let Some(h) = weekend(date).or_else(|| bond_holiday(date)) {
                return Err(closed(&h));
            }
            Ok(Session {
                date,
                tz,
                open: at(date, hm(8, 0)),
                close: at(date, hm(17, 0)),
                auction: None,
                early_close: false,
            })
        }
    }
}

/// The first session after the trading date `date` that has not closed by
/// `after`, within two weeks: it may already be open (a UTC crypto day
/// begins as the previous one closes).
pub fn next_session(cal: Calendar, listing: &str, date: NaiveDate, after: Timestamp) -> Option<Session> {
    (1..15).filter_map(|d| session(cal, listing, date + ChronoDuration::days(d)).ok()).find(|s| s.close > after)
}

/// The most recent date on or before `date` with a session.
pub fn last_trading_day(cal: Calendar, listing: &str, date: NaiveDate) -> NaiveDate {
    let mut d = date;
    for _ in 0..15 {
        if session(cal, listing, d).is_ok() {
            return d;
        }
        d -= ChronoDuration::days(1);
    }
    date
}

fn weekend(d: NaiveDate) -> Option<String> {
    match d.weekday() {
        Weekday::Sat => Some("Saturday".into()),
        Weekday::Sun => Some("Sunday".into()),
        _ => None,
    }
}

/// Easter Sunday (anonymous Gregorian algorithm).
fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("easter date is valid")
}

fn nth_weekday(year: i32, month: u32, wd: Weekday, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, wd, n).expect("nth weekday exists")
}

fn last_weekday(year: i32, month: u32, wd: Weekday) -> NaiveDate {
    let mut d = NaiveDate::from_ymd_opt(year, month + 1, 1)
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("valid"))
        - ChronoDuration::days(1);
    while d.weekday() != wd {
        d -= ChronoDuration::days(1);
    }
    d
}

/// A fixed-date holiday moved to Friday when on Saturday, Monday when on Sunday.
fn observed(d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Sat => d - ChronoDuration::days(1),
        Weekday::Sun => d + ChronoDuration::days(1),
        _ => d,
    }
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// NYSE full-day holidays (NYSE Rule 7.2 and its published calendars).
fn nyse_holiday(d: NaiveDate) -> Option<String> {
    let y = d.year();
    // New Year's Day falling on a Saturday is not observed on the Friday before.
    let new_year = ymd(y, 1, 1);
    let mut list = vec![
        (
            if new_year.weekday() == Weekday::Sun { new_year + ChronoDuration::days(1) } else { new_year },
            "New Year's Day",
        ),
        (nth_weekday(y, 1, Weekday::Mon, 3), "Martin Luther King Jr. Day"),
        (nth_weekday(y, 2, Weekday::Mon, 3), "Washington's Birthday"),
        (easter(y) - ChronoDuration::days(2), "Good Friday"),
        (last_weekday(y, 5, Weekday::Mon), "Memorial Day"),
        (observed(ymd(y, 7, 4)), "Independence Day"),
        (nth_weekday(y, 9, Weekday::Mon, 1), "Labor Day"),
        (nth_weekday(y, 11, Weekday::Thu, 4), "Thanksgiving Day"),
        (observed(ymd(y, 12, 25)), "Christmas Day"),
    ];
    if y >= 2022 {
        list.push((observed(ymd(y, 6, 19)), "Juneteenth National Independence Day"));
    }
    list.into_iter().find(|(h, _)| *h == d).map(|(_, n)| format!("{n} (NYSE holiday)"))
}

/// NYSE 13:00 early closes: the day after Thanksgiving, and 3 July / 24 December
/// when they fall Monday to Thursday.
fn nyse_early_close(d: NaiveDate) -> bool {
    let y = d.year();
    let after_thanksgiving = nth_weekday(y, 11, Weekday::Thu, 4) + ChronoDuration::days(1);
    let mon_thu = |x: NaiveDate| matches!(x.weekday(), Weekday::Mon | Weekday::Tue | Weekday::Wed | Weekday::Thu);
    d == after_thanksgiving || (d == ymd(y, 7, 3) && mon_thu(d)) || (d == ymd(y, 12, 24) && mon_thu(d))
}

/// SIX Swiss Exchange trading holidays.
fn six_holiday(d: NaiveDate) -> Option<String> {
    let y = d.year();
    let e = easter(y);
    [
        (ymd(y, 1, 1), "New Year's Day"),
        (ymd(y, 1, 2), "Berchtoldstag"),
        (e - ChronoDuration::days(2), "Good Friday"),
        (e + ChronoDuration::days(1), "Easter Monday"),
        (ymd(y, 5, 1), "Labour Day"),
        (e + ChronoDuration::days(39), "Ascension Day"),
        (e + ChronoDuration::days(50), "Whit Monday"),
        (ymd(y, 8, 1), "Swiss National Day"),
        (ymd(y, 12, 24), "Christmas Eve"),
        (ymd(y, 12, 25), "Christmas Day"),
        (ymd(y, 12, 26), "St. Stephen's Day"),
        (ymd(y, 12, 31), "New Year's Eve"),
    ]
    .into_iter()
    .find(|(h, _)| *h == d)
    .map(|(_, n)| format!("{n} (SIX holiday)"))
}

/// US bond-market holidays (SIFMA): the NYSE list without Good Friday, plus
/// Columbus Day and Veterans Day.
fn bond_holiday(d: NaiveDate) -> Option<String> {
    let y = d.year();
    if d == nth_weekday(y, 10, Weekday::Mon, 2) {
        return Some("Columbus Day (SIFMA holiday)".into());
    }
    if d == observed(ymd(y, 11, 11)) {
        return Some("Veterans Day (SIFMA holiday)".into());
    }
    nyse_holiday(d).filter(|n| !n.starts_with("Good Friday")).map(|n| n.replace("NYSE", "SIFMA"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn us_equity_session_in_new_york() {
        let s = session(Calendar::UsEquity, "NYSE", ymd(2026, 11, 25)).unwrap();
        assert_eq!(s.describe(), "09:30-16:00 America/New_York on 2026-11-25");
        let a = s.auction.unwrap();
        assert_eq!(s.local_hhmm(a.cutoff), "15:50");
        assert_eq!(s.local_hhmm(a.uncross), "16:00");
        let nasdaq = session(Calendar::UsEquity, "NASDAQ", ymd(2026, 11, 25)).unwrap();
        assert_eq!(nasdaq.local_hhmm(nasdaq.auction.unwrap().cutoff), "15:55");
        assert_eq!(s.state_at(s.open - crate::model::Duration::secs(1)), SessionState::PreOpen);
        assert_eq!(s.state_at(s.open), SessionState::Open);
        assert_eq!(s.state_at(a.cutoff), SessionState::ClosingAuction);
        assert_eq!(s.state_at(s.close), SessionState::Closed);
    }

    #[test]
    fn holidays_and_half_days() {
        let e = session(Calendar::UsEquity, "NYSE", ymd(2026, 11, 26)).unwrap_err();
        assert!(e.to_string().contains("Thanksgiving"), "{e}");
        let friday = session(Calendar::UsEquity, "NYSE", ymd(2026, 11, 27)).unwrap();
        assert!(friday.early_close);
        assert_eq!(friday.local_hhmm(friday.close), "13:00");
        assert!(session(Calendar::UsEquity, "NYSE", ymd(2026, 4, 3)).unwrap_err().reason.contains("Good Friday"));
        assert!(session(Calendar::UsEquity, "NYSE", ymd(2026, 6, 19)).is_err());
        assert!(session(Calendar::UsEquity, "NYSE", ymd(2026, 5, 25)).unwrap_err().reason.contains("Memorial"));
        assert!(session(Calendar::UsEquity, "NYSE", ymd(2026, 11, 28)).unwrap_err().reason.contains("Saturday"));
        assert_eq!(last_trading_day(Calendar::UsEquity, "NYSE", ymd(2026, 11, 26)), ymd(2026, 11, 25));
        assert!(session(Calendar::UsBond, "USTB", ymd(2026, 4, 3)).is_ok());
        assert!(session(Calendar::UsBond, "USTB", ymd(2026, 10, 12)).is_err());
        assert!(session(Calendar::SwissEquity, "SIX", ymd(2026, 8, 1)).is_err());
        assert!(session(Calendar::SwissEquity, "SIX", ymd(2026, 5, 14)).unwrap_err().reason.contains("Ascension"));
    }

    #[test]
    fn other_calendars() {
        let c = session(Calendar::Crypto, "BINANCE", ymd(2026, 11, 28)).unwrap();
        assert_eq!((c.close - c.open).as_secs_f64(), 86_400.0);
        let fx = session(Calendar::Fx, "FXMB", ymd(2026, 11, 23)).unwrap(); // Monday
        assert_eq!(fx.open.in_tz(fx.tz).format("%a %H:%M").to_string(), "Sun 17:00");
        assert!(session(Calendar::Fx, "FXMB", ymd(2026, 11, 29)).is_err());
        let six = session(Calendar::SwissEquity, "SIX", ymd(2026, 11, 25)).unwrap();
        assert_eq!(six.describe(), "09:00-17:20 Europe/Zurich on 2026-11-25");
        assert_eq!(c.describe(), "00:00 UTC 2026-11-28 to 00:00 UTC 2026-11-29");
        assert_eq!(fx.describe(), "17:00 America/New_York 2026-11-22 to 17:00 America/New_York 2026-11-23");
    }

    #[test]
    fn easter_dates() {
        assert_eq!(easter(2024), ymd(2024, 3, 31));
        assert_eq!(easter(2026), ymd(2026, 4, 5));
        assert_eq!(easter(2027), ymd(2027, 3, 28));
    }
}
