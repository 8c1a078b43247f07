//! The desk's alerts, deduplicated and grouped: one line per kind per
//! subject (an order, a venue, the connection) with how often it happened,
//! grouped by kind so 46 orders expiring at the close read as one group,
//! not 46 lines. Pure state, no I/O.

use super::note::Level;
use crate::model::Timestamp;

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// The engine refused an order or an action on it.
    Refused,
    /// A venue refused child orders.
    VenueReject,
    /// An order ended with quantity unfilled (expired or cancelled).
    Residual,
    /// Kill-all or a desk's kill switch.
    Kill,
    /// A call failed (the engine did not answer or refused).
    Failed,
    /// The connection to the engine was lost or came back.
    Connection,
    /// The event stream skipped events.
    Lagged,
}

impl Kind {
    /// How a group of this kind is titled.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Refused => "refused",
            Kind::VenueReject => "venue rejects",
            Kind::Residual => "ended with quantity unfilled",
            Kind::Kill => "kill switch",
            Kind::Failed => "failed actions",
            Kind::Connection => "connection",
            Kind::Lagged => "event stream",
        }
    }
}

/// One alert line: the latest of its kind for its subject, with a count.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// What it is about.
    pub kind: Kind,
    /// The order, venue or thing concerned (`P3`, `connection`).
    pub subject: String,
    /// Severity of the latest.
    pub level: Level,
    /// The latest message.
    pub text: String,
    /// Simulated time of the first occurrence.
    pub first: Timestamp,
    /// Simulated time of the latest.
    pub ts: Timestamp,
    /// Occurrences.
    pub count: u32,
}

/// Alert lines kept (the oldest go first).
pub const KEPT: usize = 500;

/// The desk's alerts, newest last.
#[derive(Debug, Clone, Default)]
pub struct Alerts {
    items: Vec<Alert>,
}

/// A group of alerts of one kind, newest first.
#[derive(Debug)]
pub struct Group<'a> {
    /// The kind.
    pub kind: Kind,
    /// Its lines, newest first.
    pub items: Vec<&'a Alert>,
}

impl Alerts {
    /// Records an occurrence: a repeat of the same kind and subject updates its line.
    pub fn push(&mut self, ts: Timestamp, kind: Kind, subject: &str, level: Level, text: String) {
        if let Some(i) = self.items.iter().rposition(|a| a.kind == kind && a.subject == subject) {
            let mut a = self.items.remove(i);
            a.count += 1;
            a.ts = a.ts.max(ts);
            a.level = level;
            a.text = text;
            self.items.push(a);
        } else {
            self.items.push(Alert { kind, subject: subject.to_string(), level, text, first: ts, ts, count: 1 });
            if self.items.len() > KEPT {
                self.items.remove(0);
            }
        }
    }

    /// Alert lines (one per kind and subject).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Every line, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Alert> {
        self.items.iter()
    }

    /// The lines grouped by kind: the group with the newest line first.
    pub fn groups(&self) -> Vec<Group<'_>> {
        let mut groups: Vec<Group> = Vec::new();
        for a in self.items.iter().rev() {
            match groups.iter_mut().find(|g| g.kind == a.kind) {
                Some(g) => g.items.push(a),
                None => groups.push(Group { kind: a.kind, items: vec![a] }),
            }
        }
        groups
    }

    /// The worst level among the lines.
    pub fn worst(&self) -> Option<Level> {
        self.items.iter().map(|a| a.level).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_fold_into_one_line_and_kinds_group() {
        let mut a = Alerts::default();
        for i in 0..46 {
            a.push(Timestamp(i), Kind::Residual, &format!("P{i}"), Level::Warn, format!("P{i} expired"));
        }
        for i in 0..12 {
            a.push(Timestamp(100 + i), Kind::VenueReject, "P3", Level::Warn, format!("P3-C{i} refused"));
        }
        a.push(Timestamp(200), Kind::Refused, "order", Level::Error, "refused".into());
        assert_eq!(a.len(), 46 + 1 + 1, "one line per kind per subject");
        let g = a.groups();
        assert_eq!(g.iter().map(|g| g.kind).collect::<Vec<_>>(), [Kind::Refused, Kind::VenueReject, Kind::Residual]);
        assert_eq!(g[1].items[0].count, 12);
        assert_eq!(g[1].items[0].text, "P3-C11 refused", "the latest text");
        assert_eq!((g[1].items[0].first, g[1].items[0].ts), (Timestamp(100), Timestamp(111)));
        assert_eq!(g[2].items.len(), 46);
        assert_eq!(g[2].items[0].subject, "P45", "newest first");
        assert_eq!(a.worst(), Some(Level::Error));
    }
}
