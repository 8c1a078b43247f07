//! The engine's host inside the embedded client, and how its events reach
//! subscribers.
//!
//! Without a sink, events are published as soon as the engine emits them.
//! With a sink (the ledger), each batch is handed to the sink under the engine
//! lock (which fixes the order), the lock is released, and a publisher thread
//! waits for the commits in that order before the events reach the history and
//! the live channel. A command returns once its own batch is published, so it
//! is never acknowledged before it is durable, while other commands keep using
//! the engine during the commit and the ledger can group their batches into one
//! transaction.
//!
//! A sink slower than the engine pushes back (`Backpressure`): while it holds
//! as many events as it may, the clock is held where the engine stopped and
//! the pump waits (on its blocking thread, never on an async worker), so the
//! simulated market runs at the pace the sink makes events durable and the
//! memory waiting for commits stays bounded. Commands are not held back: their
//! own batches are small and go to the sink at once.

use crate::client::{ClientError, ErrorCode};
use crate::engine::pace::Pacer;
use crate::engine::{Actor, Command, Engine, EngineEvent, EventKind, Reject};
use crate::model::{ParentId, Timestamp};
use crate::risk::RiskBook;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{broadcast, oneshot};

/// The command behind a batch of events, for the sink's audit record.
pub type Audit<'a> = (&'a Actor, &'a Command, &'a Result<Option<ParentId>, Reject>);

/// Waits until a batch handed to a sink is durable.
pub type Commit = Box<dyn FnOnce() -> Result<(), String> + Send>;

/// How a sink slower than the engine holds it back.
pub trait Backpressure: Send + Sync {
    /// True when the sink may take more events now.
    fn has_room(&self) -> bool;
    /// Blocks the calling thread until the sink may take more events, at
    /// most `timeout`; true when it may.
    fn wait_for_room(&self, timeout: std::time::Duration) -> bool;
}

/// Makes batches of events durable before they are published.
pub trait EventSink: Send {
    /// Hands a batch over (with the audit record of the command that caused
    /// it, if any, and the engine's risk state when the batch changed it:
    /// positions, daily usage or controls); the returned commit completes
    /// once the batch is durable. Batches are handed over in event order and
    /// must commit in that order.
    fn submit(&mut self, events: &[EngineEvent], audit: Option<Audit<'_>>, risk: Option<&RiskBook>) -> Commit;

    /// Why nothing can be made durable right now (the database is
    /// unreachable and being reconnected to), if so: commands are refused
    /// before they change anything, and the clock waits, until it returns.
    fn outage(&self) -> Option<String> {
        None
    }

    /// The sink's bounded queue, if it has one: the pump holds the clock
    /// while it is full (see the module docs).
    fn backpressure(&self) -> Option<Arc<dyn Backpressure>> {
        None
    }
}

/// True for events after which the risk state differs (what a restart must get back).
fn changes_risk(kind: &EventKind) -> bool {
    matches!(kind, EventKind::Accepted { .. } | EventKind::Amended { .. } | EventKind::Fill { .. })
        || crate::engine::control_of(kind).is_some()
}

/// Most simulated time processed under one lock hold (keeps queries responsive
/// at high speed, and bounds how far one batch takes a sink past its bound).
const MAX_CHUNK_NS: i64 = 2_000_000_000;

/// Longest one pump waits for a full sink before giving the tick back.
const ROOM_WAIT: std::time::Duration = std::time::Duration::from_millis(100);

/// The engine and its clock: what commands and queries lock.
pub struct Host {
    /// The engine.
    pub engine: Engine,
    /// Its wall-clock pacing.
    pub pacer: Pacer,
    /// Where batches go before they are published.
    pub sink: Option<Box<dyn EventSink>>,
}

/// What has been published, and whether the sink failed.
#[derive(Default)]
pub struct Published {
    /// The most recent published events, in sequence order: a window of at
    /// most `window` events, so memory does not grow with the day (older
    /// events are in the ledger, which serves a subscriber resuming from
    /// before the window).
    pub history: std::collections::VecDeque<EngineEvent>,
    /// Most events `history` holds.
    pub window: usize,
    /// Sequence number of the last published event (0 before the first).
    pub last_seq: u64,
    /// Time of the last published fill.
    pub last_fill_at: Option<Timestamp>,
    /// The sink's failure, after which nothing more is published.
    pub sink_error: Option<String>,
}

struct Pending {
    events: Vec<EngineEvent>,
    commit: Commit,
    reply: oneshot::Sender<Result<(), ClientError>>,
}

/// Shared between every handle of one embedded engine.
pub struct Shared {
    host: Mutex<Host>,
    published: Mutex<Published>,
    /// Live events for subscribers.
    pub live: broadcast::Sender<EngineEvent>,
    publisher: Option<Mutex<mpsc::Sender<Pending>>>,
    /// The sink's bounded queue (kept outside the engine lock: the pump
    /// waits on it without holding the engine).
    backpressure: Option<Arc<dyn Backpressure>>,
}

/// The outcome of handing events on: known now, or once a commit completes.
pub enum Flushed {
    /// Published (or failed) already.
    Now(Result<(), ClientError>),
    /// Waiting for the sink's commit.
    Later(oneshot::Receiver<Result<(), ClientError>>),
}

impl Flushed {
    /// Waits until the events are published.
    pub async fn wait(self) -> Result<(), ClientError> {
        match self {
            Flushed::Now(r) => r,
            Flushed::Later(rx) => rx.await.unwrap_or_else(|_| Err(unavailable("the publisher stopped"))),
        }
    }
}

fn unavailable(detail: &str) -> ClientError {
    ClientError::new(ErrorCode::LedgerUnavailable, format!("events not persisted: {detail}"))
}

impl Host {
    /// The sink's outage, if it is waiting one out.
    pub fn outage(&self) -> Option<String> {
        self.sink.as_ref().and_then(|s| s.outage())
    }
}

impl Shared {
    /// Hosts `engine`; with a sink, starts the thread that publishes in commit order.
    pub fn new(
        engine: Engine,
        pacer: Pacer,
        sink: Option<Box<dyn EventSink>>,
        live_buffer: usize,
        history_window: usize,
    ) -> Arc<Shared> {
        let (live, _) = broadcast::channel(live_buffer.max(1));
        let with_sink = sink.is_some();
        let backpressure = sink.as_ref().and_then(|s| s.backpressure());
        let (tx, rx) = mpsc::channel::<Pending>();
        let shared = Arc::new(Shared {
            host: Mutex::new(Host { engine, pacer, sink }),
            published: Mutex::new(Published { window: history_window.max(1), ..Published::default() }),
            live,
            publisher: with_sink.then(|| Mutex::new(tx)),
            backpressure,
        });
        if with_sink {
            let weak = Arc::downgrade(&shared);
            std::thread::Builder::new()
                .name("blotter-publisher".into())
                .spawn(move || {
                    // Ends when every handle (and so every sender) is gone.
                    for p in rx {
                        let result = (p.commit)();
                        let outcome = match weak.upgrade() {
                            Some(shared) => shared.publish_committed(p.events, result),
                            None => Err(unavailable("the engine was dropped")),
                        };
                        let _ = p.reply.send(outcome);
                    }
                })
                .expect("spawning the publisher thread");
        }
        shared
    }

    /// The engine, locked.
    pub fn lock(&self) -> MutexGuard<'_, Host> {
        // A panic while holding the lock leaves a consistent engine (every
        // mutation completes before events are drained), so keep going.
        self.host.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The published history, locked (take it after the engine lock, never before).
    pub fn published(&self) -> MutexGuard<'_, Published> {
        self.published.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The sink's failure, if it failed.
    pub fn sink_error(&self) -> Option<String> {
        self.published().sink_error.clone()
    }

    fn publish_now(&self, events: Vec<EngineEvent>) {
        let mut p = self.published();
        for e in &events {
            if let EventKind::Fill { fill } = &e.kind {
                p.last_fill_at = Some(fill.ts);
            }
            // No receiver is fine: nobody is listening yet.
            let _ = self.live.send(e.clone());
            p.last_seq = e.seq;
        }
        p.history.extend(events);
        let excess = p.history.len().saturating_sub(p.window);
        p.history.drain(..excess);
    }

    fn publish_committed(&self, events: Vec<EngineEvent>, commit: Result<(), String>) -> Result<(), ClientError> {
        {
            let mut p = self.published();
            if let Some(e) = &p.sink_error {
                // An earlier batch failed: publishing this one would leave a gap.
                return Err(unavailable(e));
            }
            if let Err(e) = commit {
                // The only time: every later batch is refused above. An
                // operator reading the log must learn the engine stopped.
                eprintln!(
                    "ledger: failed, the engine is stopped and every command refused until the process is restarted \
                     (its orders then resume as interrupted): {e}"
                );
                p.sink_error = Some(e.clone());
                return Err(unavailable(&e));
            }
        }
        self.publish_now(events);
        Ok(())
    }

    /// Hands on what the engine emitted since the last call, with the audit
    /// record of the command that caused it.
    pub fn flush(&self, host: &mut Host, audit: Option<Audit<'_>>) -> Flushed {
        let events = host.engine.drain_events();
        if events.is_empty() && audit.is_none() {
            return Flushed::Now(Ok(()));
        }
        let (Some(sink), Some(publisher)) = (host.sink.as_mut(), self.publisher.as_ref()) else {
            self.publish_now(events);
            return Flushed::Now(Ok(()));
        };
        if let Some(e) = self.sink_error() {
            return Flushed::Now(Err(unavailable(&e)));
        }
        let risk = events.iter().any(|e| changes_risk(&e.kind)).then(|| host.engine.risk());
        let commit = sink.submit(&events, audit, risk);
        let (reply, rx) = oneshot::channel();
        let sent = publisher.lock().unwrap_or_else(|e| e.into_inner()).send(Pending { events, commit, reply });
        match sent {
            Ok(()) => Flushed::Later(rx),
            Err(_) => Flushed::Now(Err(unavailable("the publisher stopped"))),
        }
    }

    /// Brings the engine to the pacer's clock before a command, a query that
    /// needs it current, or a speed change: all the way without a bounded
    /// sink; with one, at most one chunk and only while the sink has room
    /// (the pump does the rest, waiting for room), so a command can never
    /// hand the sink an unbounded batch, nor run it on an async worker.
    /// Nothing during a ledger outage (the clock waits, as in `pump`).
    pub fn catch_up(&self, host: &mut Host) {
        if host.outage().is_some() {
            return;
        }
        let now = host.pacer.sim_now();
        match &self.backpressure {
            None => loop {
                // Without a sink, a chunk at a time, each published before
                // the next: an engine far behind its clock (slower than the
                // speed asked) otherwise held the whole gap's events at once
                // (1.5 GB in a soak at 2000x with 40 orders and no ledger).
                let chunk = Timestamp(now.0.min(host.engine.now().0 + MAX_CHUNK_NS));
                host.engine.run_until(chunk);
                if chunk >= now {
                    break;
                }
                let _ = self.flush(host, None);
            },
            Some(bp) if bp.has_room() => {
                let chunk = Timestamp(now.0.min(host.engine.now().0 + MAX_CHUNK_NS));
                host.engine.run_until(chunk);
            }
            Some(_) => {}
        }
    }

    /// Advances simulated time to the pacer's clock, in bounded chunks.
    /// During a ledger outage the engine waits (nothing it did could be made
    /// durable) and catches up when it returns, event for event as it would
    /// have run. While the sink's queue is full the clock is held where the
    /// engine is and this waits for room (at most `ROOM_WAIT`, then the next
    /// tick tries again); the clock runs on from there once there is room.
    /// Call it from a thread that may block.
    pub fn pump(&self) {
        loop {
            let mut host = self.lock();
            if self.sink_error().is_some() || host.outage().is_some() {
                return;
            }
            // Checked under the engine lock, as `catch_up` does: once the sink
            // is full, at most the one batch that filled it goes in.
            if let Some(bp) = &self.backpressure
                && !bp.has_room()
            {
                let now = host.engine.now();
                host.pacer.hold(now);
                drop(host);
                if !bp.wait_for_room(ROOM_WAIT) {
                    return;
                }
                continue;
            }
            host.pacer.release();
            let target = host.pacer.sim_now();
            let chunk = Timestamp(target.0.min(host.engine.now().0 + MAX_CHUNK_NS));
            host.engine.run_until(chunk);
            let now = host.engine.now();
            host.pacer.note_progress(now);
            // Market-driven batches are not waited for: the publisher
            // releases them in order once they are committed.
            let _ = self.flush(&mut host, None);
            if chunk >= target {
                return;
            }
        }
    }
}
