//! Messages to the user: the one-line note in the footer and the log of
//! every message (`L`). A note lives as long as its cause: one about the
//! connection goes when the connection is back, one about a failed
//! submission when the ticket is sent again, and any other after a few
//! seconds. Below both `app` and `supervisor`, which share `Level`.

use crate::model::Timestamp;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How serious a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Information.
    Info,
    /// Something to look at.
    Warn,
    /// A failure.
    Error,
}

impl Level {
    /// A word for the log (never colour alone).
    pub fn word(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "ERROR",
        }
    }
}

/// What a note is about, so it can go when its situation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The answer to a key or a call: goes after `Note::ttl`.
    Action,
    /// The connection to the engine: goes when it is back.
    Connection,
    /// A submission that failed: goes when the ticket is sent or closed.
    Submission,
}

/// The footer's message.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// Severity.
    pub level: Level,
    /// The message.
    pub text: String,
    /// What it is about.
    pub cause: Cause,
    /// When it was said (wall clock).
    pub at: Instant,
}

impl Note {
    /// How long a note about an action stays: errors longer, they need reading.
    pub fn ttl(&self) -> Duration {
        match self.level {
            Level::Info => Duration::from_secs(6),
            Level::Warn => Duration::from_secs(10),
            Level::Error => Duration::from_secs(20),
        }
    }

    /// Whether it has outlived its situation at `now` (connection and
    /// submission notes are cleared by their cause, not by time).
    pub fn expired(&self, now: Instant) -> bool {
        self.cause == Cause::Action && now.saturating_duration_since(self.at) >= self.ttl()
    }
}

/// One line of the message log.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Simulated time when said (None before the clock is known).
    pub sim: Option<Timestamp>,
    /// Severity.
    pub level: Level,
    /// The message, whole.
    pub text: String,
}

/// Messages kept in the log.
pub const LOG_KEPT: usize = 2_000;

/// Every message said, oldest first, bounded.
#[derive(Debug, Clone, Default)]
pub struct Log {
    entries: VecDeque<Entry>,
}

impl Log {
    /// Records a message.
    pub fn push(&mut self, e: Entry) {
        self.entries.push_back(e);
        if self.entries.len() > LOG_KEPT {
            self.entries.pop_front();
        }
    }

    /// Messages, oldest first.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &Entry> + ExactSizeIterator {
        self.entries.iter()
    }

    /// Messages kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing was said yet.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_about_actions_expire_and_others_wait_for_their_cause() {
        let t0 = Instant::now();
        let n = |level, cause| Note { level, text: "x".into(), cause, at: t0 };
        assert!(!n(Level::Info, Cause::Action).expired(t0 + Duration::from_secs(5)));
        assert!(n(Level::Info, Cause::Action).expired(t0 + Duration::from_secs(6)));
        assert!(!n(Level::Error, Cause::Action).expired(t0 + Duration::from_secs(19)));
        assert!(!n(Level::Error, Cause::Connection).expired(t0 + Duration::from_secs(3600)));
        let mut log = Log::default();
        for i in 0..LOG_KEPT + 5 {
            log.push(Entry { sim: None, level: Level::Info, text: i.to_string() });
        }
        assert_eq!(log.len(), LOG_KEPT);
        assert_eq!(log.entries().next().map(|e| e.text.as_str()), Some("5"), "the oldest go first");
    }
}
