//! The desk-wide part of the event stream. Several `serve` instances on one
//! database run one desk; each streams its home engine's events from memory
//! (`sse`), and relays the desk's other engines' events from the ledger,
//! where they are committed before their instance acknowledges anything:
//! one feed per instance (`DeskFeed`) looks at every engine's last committed
//! sequence number every `POLL` and, while anyone listens, reads what is new
//! and broadcasts it to the streams, each of which keeps what its caller may
//! see (supervisors everything; others the events of their own orders,
//! wherever they were submitted, by the rule of `engine::view::event_visible`).
//!
//! A desk-wide stream's position is a `Cursor`: the home engine's sequence
//! number, then each other engine's (`120;E2=45;E3=77`). It is the `id` of
//! every frame once another engine is part of it, each engine named
//! (`E1=120;E2=45;E3=77`, the same on every instance), so `Last-Event-ID`
//! resumes every engine where the client left it, on any instance: what a
//! reconnecting client missed is read back from the ledger, an engine that
//! joined the desk since (the position does not name it) from its first
//! event. The older form (`120;E2=45`) is read with its first number as the
//! receiving instance's engine; a bare number (`120`) is the home engine's
//! alone, as on a desk of one engine; the other engines then start from the
//! moment of the request.

use crate::engine::{Actor, EngineEvent};
use crate::model::ParentId;
use crate::store::LedgerHandle;
use futures_util::{Stream, StreamExt};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

/// How often the feed looks for other engines' new events: the bound on how
/// late a relayed event is, beyond its own commit and one read.
pub const POLL: Duration = Duration::from_millis(100);

/// Relayed events buffered for a stream; one that falls further behind is
/// told it lagged and closed, and resumes from its cursor.
const BUFFER: usize = 4_096;

/// Events read from the ledger per query.
const PAGE: usize = 2_000;

/// Where a desk-wide stream stands in every engine of the desk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    /// The home engine's last event sent.
    pub home: u64,
    /// Every other engine's last event sent (or the position it started from).
    pub others: BTreeMap<i64, u64>,
    /// The home engine's number. Known, the id names every engine
    /// (`E1=120;E2=45`), so it means the same on every instance of the desk;
    /// the older form (`120;E2=45`) leaves the home engine unnamed, and read
    /// on another instance its first number was taken for that instance's
    /// own engine.
    pub home_engine: Option<i64>,
    /// Read from an id that names every engine (`home` is then unused: each
    /// instance takes its own engine's position from `others`).
    pub named: bool,
}

impl Cursor {
    /// `E1=120;E2=45;E3=77`, or the older `120;E2=45;E3=77` and `120`; `None`
    /// for anything else.
    pub fn parse(s: &str) -> Option<Cursor> {
        let engine = |p: &str| -> Option<(i64, u64)> {
            let (e, n) = p.trim().strip_prefix('E')?.split_once('=')?;
            Some((e.parse().ok()?, n.parse().ok()?))
        };
        let s = s.trim();
        if s.starts_with('E') {
            let others = s.split(';').map(engine).collect::<Option<BTreeMap<_, _>>>()?;
            return Some(Cursor { others, named: true, ..Cursor::default() });
        }
        let mut parts = s.split(';');
        let home = parts.next()?.trim().parse().ok()?;
        let others = parts.map(engine).collect::<Option<BTreeMap<_, _>>>()?;
        Some(Cursor { home, others, ..Cursor::default() })
    }

    /// The text `parse` reads: every engine named when the home engine's
    /// number is known and the desk has others, else the older form.
    pub fn text(&self) -> String {
        match self.home_engine.filter(|_| !self.others.is_empty()) {
            Some(h) => {
                let mut all = self.others.clone();
                all.insert(h, self.home);
                all.iter().map(|(e, n)| format!("E{e}={n}")).collect::<Vec<_>>().join(";")
            }
            None => {
                let mut s = self.home.to_string();
                for (e, n) in &self.others {
                    s.push_str(&format!(";E{e}={n}"));
                }
                s
            }
        }
    }

    /// Where a stream resumed from this position starts on the instance
    /// whose home engine is `home`: the home engine's position, the other
    /// engines', and whether the position names every engine it knew (then
    /// an engine it leaves out joined the desk after it). An id naming
    /// every engine means the same on every instance; in the older form the
    /// first number is this instance's engine's.
    pub fn resolve(mut self, home: Option<i64>) -> (u64, BTreeMap<i64, u64>, bool) {
        if !self.named {
            return (self.home, self.others, false);
        }
        // Not named: this instance's engine joined after it, all of it is new.
        let at = home.and_then(|h| self.others.remove(&h)).unwrap_or(0);
        (at, self.others, true)
    }
}

/// One relayed event.
pub type Relayed = Arc<(i64, EngineEvent)>;

/// What a stream gets from the feed.
#[derive(Debug, Clone)]
pub enum FeedItem {
    /// An event of another engine.
    Event(Relayed),
    /// The stream fell behind the feed (or the ledger could not be read): it
    /// is closed and the client resumes from its cursor.
    Lagged,
}

/// The instance's feed of the desk's other engines' events.
pub struct DeskFeed {
    home: i64,
    /// The last event broadcast of each other engine, changed with each broadcast.
    at: Mutex<BTreeMap<i64, u64>>,
    tx: broadcast::Sender<Relayed>,
}

impl DeskFeed {
    /// Starts the feed of the desk whose ledger is `handle`, for an instance
    /// whose home engine is `home`: other engines from their current position.
    pub async fn start(handle: LedgerHandle, home: i64) -> Result<Arc<DeskFeed>, crate::store::StoreError> {
        let at: BTreeMap<i64, u64> = handle.engine_positions().await?.into_iter().filter(|(e, _)| *e != home).collect();
        let (tx, _) = broadcast::channel(BUFFER);
        let feed = Arc::new(DeskFeed { home, at: Mutex::new(at), tx });
        let weak = Arc::downgrade(&feed);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(POLL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(feed) = weak.upgrade() else { return };
                if let Err(e) = feed.poll(&handle).await {
                    tracing::warn!("desk event feed: {e}");
                }
            }
        });
        Ok(feed)
    }

    fn at(&self) -> std::sync::MutexGuard<'_, BTreeMap<i64, u64>> {
        self.at.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads and broadcasts what the other engines committed since the last look.
    async fn poll(&self, handle: &LedgerHandle) -> Result<(), crate::store::StoreError> {
        for (engine, last) in handle.engine_positions().await? {
            if engine == self.home {
                continue;
            }
            // An engine registered since the feed started: from its first event.
            let mut from = *self.at().entry(engine).or_insert(0);
            while from < last {
                if self.tx.receiver_count() == 0 {
                    // Nobody listens: nothing to read, only the position moves.
                    self.at().insert(engine, last);
                    break;
                }
                let page = handle.events_between(engine, from, last, PAGE).await?;
                let Some(end) = page.last().map(|e| e.seq) else { break };
                {
                    let mut at = self.at();
                    for e in page {
                        // No receiver left is fine: they resume from the ledger.
                        let _ = self.tx.send(Arc::new((engine, e)));
                    }
                    at.insert(engine, end);
                }
                from = end;
            }
        }
        Ok(())
    }

    /// The other engines' events after `want` (an engine it leaves out:
    /// from its first event when `desk_wide`, else from where the feed
    /// is), those `actor` may see; `own` are the actor's
    /// orders on the other engines (for a caller who sees only their own).
    /// The positions each engine starts from are returned with the stream.
    pub fn subscribe(
        self: &Arc<DeskFeed>,
        handle: LedgerHandle,
        want: &BTreeMap<i64, u64>,
        desk_wide: bool,
        actor: Actor,
        own: BTreeSet<ParentId>,
    ) -> (BTreeMap<i64, u64>, impl Stream<Item = FeedItem> + Send + 'static) {
        // Subscribing under the position lock: everything broadcast after
        // `now` reaches the receiver, everything up to it is in the ledger.
        let (now, rx) = {
            let at = self.at();
            (at.clone(), self.tx.subscribe())
        };
        // A position naming every engine (`desk_wide`) names those the
        // feed knew when its stream began and those that joined while it
        // ran: an engine it leaves out joined after it, and is sent from its
        // first event (from where the feed is, the events it committed
        // meanwhile were skipped). In the older forms an engine left out
        // starts from now. A position past the feed's (another instance's
        // feed ahead of this one by a look) is kept: what the client
        // already has is not sent again.
        let start: BTreeMap<i64, u64> = now
            .iter()
            .map(|(e, n)| {
                let from = match want.get(e) {
                    Some(w) => *w,
                    None if desk_wide => 0,
                    None => *n,
                };
                (*e, from)
            })
            .collect();
        let mut seen = crate::engine::view::Seen::new(actor, own);
        let backlog: Vec<(i64, u64, u64)> =
            start.iter().filter(|(e, s)| now.get(e).is_some_and(|n| *n > **s)).map(|(e, s)| (*e, *s, now[e])).collect();
        // Live events up to where each engine starts were read back or sent before.
        let now: BTreeMap<i64, u64> = now.iter().map(|(e, n)| (*e, (*n).max(start[e]))).collect();
        let head = futures_util::stream::iter(backlog)
            .then(move |(engine, after, upto)| {
                let handle = handle.clone();
                async move { read_back(handle, engine, after, upto).await }
            })
            .flat_map(futures_util::stream::iter);
        let floor = now;
        let tail = tokio_stream::wrappers::BroadcastStream::new(rx).map(move |r| match r {
            Ok(ev) if floor.get(&ev.0).is_some_and(|f| ev.1.seq <= *f) => None,
            Ok(ev) => Some(FeedItem::Event(ev)),
            Err(_) => Some(FeedItem::Lagged),
        });
        let items = head.chain(tail.filter_map(futures_util::future::ready)).filter_map(move |item| {
            let item = match item {
                FeedItem::Event(ev) => seen.admit(&ev.1).map(|e| {
                    // Copied only when it was cut down for the caller (a kill switch).
                    FeedItem::Event(match e {
                        std::borrow::Cow::Borrowed(_) => Arc::clone(&ev),
                        std::borrow::Cow::Owned(e) => Arc::new((ev.0, e)),
                    })
                }),
                FeedItem::Lagged => Some(FeedItem::Lagged),
            };
            futures_util::future::ready(item)
        });
        (start, items)
    }
}

/// Engine `engine`'s events in `(after, upto]` from the ledger (a read
/// failure ends the stream as a lag does: the client resumes).
async fn read_back(handle: LedgerHandle, engine: i64, after: u64, upto: u64) -> Vec<FeedItem> {
    let mut out = Vec::new();
    let mut from = after;
    while from < upto {
        match handle.events_between(engine, from, upto, PAGE).await {
            Ok(page) if page.is_empty() => break,
            Ok(page) => {
                from = page.last().map_or(upto, |e| e.seq);
                out.extend(page.into_iter().map(|e| FeedItem::Event(Arc::new((engine, e)))));
            }
            Err(_) => {
                out.push(FeedItem::Lagged);
                break;
            }
        }
    }
    out
}

/// `event: desk`, `id: <cursor>`, `{"engine": n, "event": {...}}`.
pub fn frame(engine: i64, e: &EngineEvent, cursor: &Cursor) -> String {
    let json = serde_json::to_string(e).unwrap_or_else(|err| format!("{{\"error\":\"{err}\"}}"));
    format!("event: desk\nid: {}\ndata: {{\"engine\":{engine},\"event\":{json}}}\n\n", cursor.text())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_what_it_writes_and_a_bare_number_is_the_home_engine() {
        let c = Cursor { home: 120, others: BTreeMap::from([(2, 45), (3, 0)]), ..Cursor::default() };
        assert_eq!(c.text(), "120;E2=45;E3=0");
        assert_eq!(Cursor::parse(&c.text()), Some(c));
        assert_eq!(Cursor::parse(" 7 "), Some(Cursor { home: 7, ..Cursor::default() }));
        for bad in ["", "x", "7;2=4", "7;E2", "7;E2=-1", "-1", "E1=3;7", "E1=3;", "E1"] {
            assert_eq!(Cursor::parse(bad), None, "{bad:?}");
        }
    }

    /// An id names every engine, home included, so it means the same on
    /// every instance: from instance 2 (home E2) `E1=120;E2=45;E3=0`, read on
    /// instance 1 as E1 at 120 and E2 at 45. The older form read there took
    /// its first number, E2's, for E1's.
    #[test]
    fn a_named_cursor_resumes_on_any_instance() {
        let on2 = Cursor { home: 45, others: BTreeMap::from([(1, 120), (3, 0)]), home_engine: Some(2), named: false };
        assert_eq!(on2.text(), "E1=120;E2=45;E3=0");
        let read = Cursor::parse(&on2.text()).unwrap();
        assert_eq!(read.clone().resolve(Some(1)), (120, BTreeMap::from([(2, 45), (3, 0)]), true));
        assert_eq!(read.clone().resolve(Some(2)), (45, BTreeMap::from([(1, 120), (3, 0)]), true));
        // An instance whose engine joined after the position: all of it is new.
        assert_eq!(read.resolve(Some(4)), (0, BTreeMap::from([(1, 120), (2, 45), (3, 0)]), true));
        // The older forms: the first number is the receiving instance's engine.
        let old = Cursor::parse("120;E2=45").unwrap();
        assert_eq!(old.resolve(Some(1)), (120, BTreeMap::from([(2, 45)]), false));
        // Alone, the home engine is written as before.
        assert_eq!(Cursor { home: 9, home_engine: Some(1), ..Cursor::default() }.text(), "9");
    }
}
