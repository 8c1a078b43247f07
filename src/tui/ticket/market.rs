//! The market facts a ticket validates against: instruments, the trading
//! date, each exchange's zone, the desk's zone (times are typed in it) and
//! the simulated time, from which "market closed" is said plainly with the
//! next open, in the desk's time and the exchange's own.

use crate::engine::view::InstrumentView;
use crate::market::session;
use crate::model::Timestamp;
use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;

/// What the ticket needs to know about the market to validate.
#[derive(Debug, Clone)]
pub struct Market<'a> {
    /// Every instrument.
    pub instruments: &'a [InstrumentView],
    /// Trading date.
    pub date: Option<NaiveDate>,
    /// The desk's zone: start and end are typed in it.
    pub desk: Tz,
    /// Simulated time now, when known.
    pub now: Option<Timestamp>,
}

impl Default for Market<'_> {
    fn default() -> Self {
        Market { instruments: &[], date: None, desk: chrono_tz::America::New_York, now: None }
    }
}

impl<'a> Market<'a> {
    /// Instrument by symbol (case-insensitive).
    pub fn instrument(&self, s: &str) -> Option<&'a InstrumentView> {
        self.instruments.iter().find(|i| i.symbol.eq_ignore_ascii_case(s.trim()))
    }

    /// `HH:MM` typed in the desk's zone, on the trading date (None when empty or not a time).
    pub fn at(&self, hhmm: &str) -> Option<Timestamp> {
        Some(Timestamp::from_local(self.desk, self.date?, crate::model::time::parse_hhmm(hhmm.trim())?))
    }

    /// `HH:MM` typed in the desk's zone for a window's start in `inst`: the
    /// occurrence inside the instrument's session, which on a desk far from
    /// the exchange runs past the desk's midnight (NASDAQ is 20:15-02:45 in
    /// Kathmandu), else the trading date's.
    pub fn start_at(&self, inst: Option<&InstrumentView>, hhmm: &str) -> Option<Timestamp> {
        let plain = self.at(hhmm)?;
        let Some(s) = self.session_of(inst).filter(|s| self.spans_midnight(s)) else { return Some(plain) };
        // Not one already past: 20:00 for BTC-USD on a New York desk is tonight, after its UTC day.
        let ahead = |t: &Timestamp| self.now.is_none_or(|n| *t >= n);
        Some(self.occurrences(hhmm).find(|t| *t >= s.open && *t <= s.close && ahead(t)).unwrap_or(plain))
    }

    /// Whether a session opens and closes on different days of the desk's calendar.
    fn spans_midnight(&self, s: &session::Session) -> bool {
        s.open.in_tz(self.desk).date_naive() != s.close.in_tz(self.desk).date_naive()
    }

    /// `HH:MM` typed for a window's end. When the session runs past the
    /// desk's midnight, the first such time after `from` (the start, else
    /// now), so the window may cross it; else the trading date's (an end
    /// before the start is then said as such).
    pub fn end_at(&self, inst: Option<&InstrumentView>, hhmm: &str, from: Option<Timestamp>) -> Option<Timestamp> {
        let plain = self.at(hhmm)?;
        if from.is_none() || !self.session_of(inst).is_some_and(|s| self.spans_midnight(&s)) {
            return Some(plain);
        }
        Some(self.occurrences(hhmm).find(|t| from.is_some_and(|f| *t > f)).unwrap_or(plain))
    }

    /// `HH:MM` in the desk's zone from the day before the trading date to two days after.
    fn occurrences<'s>(&'s self, hhmm: &str) -> impl Iterator<Item = Timestamp> + 's {
        let t = crate::model::time::parse_hhmm(hhmm.trim());
        let date = self.date;
        (-1..=2).filter_map(move |d| Some(Timestamp::from_local(self.desk, date? + Duration::days(d), t?)))
    }

    fn session_of(&self, inst: Option<&InstrumentView>) -> Option<session::Session> {
        let i = inst?;
        session::session(i.calendar?, &i.listing, self.date?).ok()
    }

    /// A time in the desk's zone with its label (`11:20 EST`).
    fn desk_hm(&self, t: Timestamp) -> String {
        t.in_tz(self.desk).format("%H:%M %Z").to_string()
    }

    /// A time in the desk's zone and, when it differs, the exchange's (`03:00 EST (09:00 CET)`).
    fn both(&self, t: Timestamp, tz: Tz) -> String {
        let desk = self.desk_hm(t);
        let local = t.in_tz(tz).format("%H:%M %Z").to_string();
        if tz.name() == self.desk.name() || desk == local { desk } else { format!("{desk} ({local})") }
    }

    /// The next session after the trading date's that has not closed by
    /// `after`: the engine's rule (`session::next_session`), so the ticket
    /// names the same next open the engine's refusal does.
    fn next_open(&self, inst: &InstrumentView, after: Timestamp) -> Option<session::Session> {
        session::next_session(inst.calendar?, &inst.listing, self.date?, after)
    }

    /// Why an order in `inst` over [start, end] cannot trade, said plainly:
    /// the market is closed for the rest of the day (with the next open), or
    /// the window ends before it opens or starts after it closes.
    pub fn closed(&self, inst: &InstrumentView, start: Option<Timestamp>, end: Option<Timestamp>) -> Option<String> {
        let (cal, date, now) = (inst.calendar?, self.date?, self.now?);
        let tz = session::tz_of(cal);
        let s = match session::session(cal, &inst.listing, date) {
            Ok(s) => s,
            Err(c) => {
                let next = self.next_open(inst, now).map_or_else(String::new, |n| {
                    format!("; next open {} {}", n.open.in_tz(self.desk).format("%a %d %b"), self.both(n.open, tz))
                });
                return Some(format!("market closed today ({}){next}", c.reason));
            }
        };
        let next = |after: Timestamp| {
            self.next_open(inst, after).map_or_else(String::new, |n| {
                let when = format!("{} {}", n.open.in_tz(self.desk).format("%a %d %b"), self.both(n.open, tz));
                // Already under way: it is the real market's next day, not one this engine simulates.
                if n.open <= after {
                    format!("; its next day began {when}, after the simulated one")
                } else {
                    format!("; next open {when}")
                }
            })
        };
        let start = start.unwrap_or(now).max(now);
        if start >= s.close {
            return Some(format!(
                "market closed: {} closed at {}{}",
                inst.listing,
                self.both(s.close, tz),
                next(start)
            ));
        }
        if let Some(e) = end
            && e <= s.open
        {
            return Some(format!("the window ends before {} opens at {}", inst.listing, self.both(s.open, tz)));
        }
        None
    }

    /// Why a window ending at `end` runs past the session's close (a
    /// market-on-close order may run to the closing auction), in the desk's
    /// time and the exchange's: the engine would refuse it in the exchange's
    /// time alone (`end 00:30 is after the close 00:00`).
    pub fn past_close(&self, inst: &InstrumentView, end: Option<Timestamp>, moc: bool) -> Option<String> {
        let (cal, end) = (inst.calendar?, end?);
        let s = session::session(cal, &inst.listing, self.date?).ok()?;
        let close = match (moc, s.auction) {
            (true, Some(a)) => a.uncross.max(s.close),
            _ => s.close,
        };
        (end > close).then(|| {
            format!(
                "{} is after {} closes at {}",
                self.desk_hm(end),
                inst.listing,
                self.both(close, session::tz_of(cal))
            )
        })
    }

    /// The session hours of `inst` today in the desk's zone (and the
    /// exchange's); each end says its day when the session spans two of the
    /// desk's days (a UTC crypto day is 19:00-19:00 in New York).
    pub fn hours(&self, inst: &InstrumentView) -> Option<String> {
        let cal = inst.calendar?;
        let s = session::session(cal, &inst.listing, self.date?).ok()?;
        let tz = session::tz_of(cal);
        let day = |t: Timestamp| t.in_tz(self.desk).date_naive();
        let (open, close) = (self.both(s.open, tz), self.both(s.close, tz));
        Some(if day(s.open) == day(s.close) {
            format!("{} {open}-{close}", inst.listing)
        } else {
            let dated = |t: Timestamp| t.in_tz(self.desk).format("%a").to_string();
            format!("{} {} {open} - {} {close}", inst.listing, dated(s.open), dated(s.close))
        })
    }
}
