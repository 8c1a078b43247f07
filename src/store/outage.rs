//! Database outages: a PostgreSQL restart, a network blip. The ledger waits
//! them out instead of stopping for good: the writer keeps the batch it was
//! committing and tries again with backoff (nothing is acknowledged before
//! it is durable), refusals are kept and written when the database returns,
//! and everything that would wait on the database meanwhile asks `Outage`
//! first, so the server answers at once (`ledger_unavailable`, `/readyz`
//! 503) instead of hanging on a connection that cannot be made.
//!
//! Only errors that mean "cannot reach the database" count; anything else (a
//! constraint, a fenced engine, bad data) still fails at once.

use super::StoreError;
use std::sync::Mutex;
use std::time::Duration;

/// How long a connection is waited for before the database counts as down
/// (sqlx itself keeps retrying a refused connection until its pool timeout).
pub(crate) const CONNECT_WAIT: Duration = Duration::from_secs(5);

/// First wait between attempts; it doubles up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Longest wait between attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// An outage in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Down {
    /// Wall-clock milliseconds when it was noticed.
    pub since_ms: i64,
    /// The last error seen.
    pub why: String,
}

impl Down {
    /// One line for an error message or a readiness check. Without `why`:
    /// the database's own text (host names, file paths, SQL) is the
    /// operator's, in the server's log (`Outage::mark_down`), never a user's.
    pub fn describe(&self) -> String {
        let since = chrono::DateTime::from_timestamp_millis(self.since_ms)
            .map_or_else(String::new, |t| t.format("%H:%M:%S UTC").to_string());
        let what = if is_full(&self.why) { "cannot write (its disk is full)" } else { "is unreachable" };
        format!(
            "the ledger database {what} since {since}, trying again every {} s at most (the server's log says why)",
            MAX_BACKOFF.as_secs(),
        )
    }
}

/// How long a database call may take before a direct connection is tried
/// beside it, to tell a database that refuses connections (down) from one
/// that is slow or busy.
const PROBE_AFTER: Duration = Duration::from_millis(250);
/// How long that connection is waited for; no answer says nothing either way.
const PROBE_WAIT: Duration = Duration::from_secs(2);

/// Whether the ledger's database is reachable, shared by the writer, the
/// refusal log and the server (one per open ledger).
#[derive(Debug, Default)]
pub struct Outage {
    down: Mutex<Option<Down>>,
    /// Wall-clock milliseconds when the last outage ended.
    up_at_ms: Mutex<Option<i64>>,
    /// Where a direct connection can be tried (a PostgreSQL server; a SQLite
    /// file is never unreachable this way).
    probe: Option<String>,
}

impl Outage {
    /// For a ledger on a database server at `url`.
    pub(crate) fn probing(url: String) -> Outage {
        Outage { down: Mutex::default(), up_at_ms: Mutex::default(), probe: Some(url) }
    }

    /// The outage in progress, if any.
    pub fn down(&self) -> Option<Down> {
        self.down.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Notes that `e` could not reach the database (keeps the first time).
    pub(crate) fn mark_down(&self, e: &StoreError) {
        let mut d = self.down.lock().unwrap_or_else(|e| e.into_inner());
        let why = e.to_string();
        match d.as_mut() {
            Some(d) => d.why = why,
            None => {
                let what = if is_full(&why) { "cannot write (disk full)" } else { "unreachable" };
                tracing::warn!("ledger: database {what}, trying again: {why}");
                *d = Some(Down { since_ms: super::wall_ms(), why });
            }
        }
    }

    /// Notes that the database answered.
    pub(crate) fn mark_up(&self) {
        if let Some(was) = self.down.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let now = super::wall_ms();
            *self.up_at_ms.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
            let secs = (now - was.since_ms).max(0) as f64 / 1e3;
            tracing::warn!("ledger: database reachable again after {secs:.1} s");
        }
    }

    /// Whether the database is down, or came back less than `ms` ago: the
    /// other instances of the desk may not have renewed their leases yet
    /// (they were cut off too), so their engines look abandoned when they
    /// are not (`client::desk::keeper`).
    pub fn settling(&self, ms: i64) -> bool {
        let up_at = *self.up_at_ms.lock().unwrap_or_else(|e| e.into_inner());
        self.down().is_some() || up_at.is_some_and(|t| super::wall_ms() - t < ms)
    }

    /// Notes the outcome of a database call: down on an outage, up on success.
    pub(crate) fn note<T>(&self, r: &Result<T, StoreError>) {
        match r {
            Ok(_) => self.mark_up(),
            Err(e) if is_outage(e) => self.mark_down(e),
            Err(_) => {}
        }
    }
}

impl Outage {
    /// `f`, bounded by `CONNECT_WAIT` (free `within`), and ended as soon as the database refuses a
    /// direct connection (see `unless_refused`).
    pub(crate) async fn within<T>(
        &self,
        context: &str,
        f: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        self.unless_refused(within(context, f)).await
    }

    /// `f`, unless the database refuses a connection first: sqlx's pool
    /// retries a refused connection until its timeout, so without this an
    /// outage is noticed only after seconds of waiting (an order, a
    /// heartbeat). A call still waiting after `PROBE_AFTER` has a direct
    /// connection tried beside it; refused (an outage by `is_outage`), the
    /// call ends with that error and the outage is noted. A database that
    /// answers, or does not answer at all, leaves `f` to finish.
    pub(crate) async fn unless_refused<T>(
        &self,
        f: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let Some(url) = self.probe.as_deref() else { return f.await };
        tokio::pin!(f);
        tokio::select! {
            r = &mut f => return r,
            () = tokio::time::sleep(PROBE_AFTER) => {}
        }
        tokio::select! {
            r = f => r,
            e = refused(url) => {
                self.mark_down(&e);
                Err(e)
            }
        }
    }
}

/// The error of a direct connection to `url` when it means the database is
/// unreachable; never resolves otherwise.
async fn refused(url: &str) -> StoreError {
    use sqlx::Connection;
    match tokio::time::timeout(PROBE_WAIT, sqlx::AnyConnection::connect(url)).await {
        Ok(Err(e)) => {
            let e = StoreError::db("connecting", e);
            if is_outage(&e) {
                return e;
            }
        }
        Ok(Ok(c)) => {
            let _ = c.close().await;
        }
        Err(_) => {}
    }
    std::future::pending().await
}

/// The messages of a database that cannot write for want of room: SQLite's
/// `SQLITE_FULL`, PostgreSQL's `disk_full` (53100) and the OS's `ENOSPC`.
const FULL: [&str; 3] = ["database or disk is full", "could not extend file", "no space left on device"];

/// True when `message` says the database's disk is full.
fn is_full(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    FULL.iter().any(|s| m.contains(s))
}

/// True when `e` means the database could not be reached, or cannot write
/// until an operator acts (its disk is full, its file was made read-only),
/// as opposed to a query it refused. These are waited out like a server that
/// went away: the same process carries on once there is room again, instead
/// of marking its ledger failed for good. sqlx reports these only as text by
/// the time they are a `StoreError`, so the text is matched: its connection
/// errors, PostgreSQL's messages for a server going down or coming up, and
/// the disk-full and read-only errors of both databases.
pub(crate) fn is_outage(e: &StoreError) -> bool {
    let StoreError::Db { message, .. } = e else { return false };
    let m = message.to_ascii_lowercase();
    is_full(&m)
        || [
            "error communicating with database",
            "pool timed out",
            "establish a tls connection",
            "crashed background worker",
            "terminating connection",
            "the database system is",
            "server closed the connection",
            "connection reset",
            "connection refused",
            "broken pipe",
            "unexpected eof",
            "connection closed",
            "attempt to write a readonly database",
            "read-only file system",
        ]
        .iter()
        .any(|s| m.contains(s))
}

/// Waits between attempts: 100 ms, doubling to `MAX_BACKOFF`.
#[derive(Debug)]
pub(crate) struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: FIRST_BACKOFF }
    }
}

impl Backoff {
    /// The next wait.
    fn step(&mut self) -> Duration {
        let now = self.next;
        self.next = (self.next * 2).min(MAX_BACKOFF);
        now
    }

    /// Sleeps for the next wait.
    pub(crate) async fn wait(&mut self) {
        tokio::time::sleep(self.step()).await;
    }
}

/// `f`, failing as an outage if it has not finished within `CONNECT_WAIT`
/// (for acquiring a connection: the pool would wait much longer).
pub(crate) async fn within<T>(
    context: &str,
    f: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(CONNECT_WAIT, f).await.unwrap_or_else(|_| {
        Err(StoreError::db(context, format!("pool timed out: no connection within {} s", CONNECT_WAIT.as_secs())))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unreachable_databases_count_as_outages() {
        let db = |m: &str| StoreError::db("committing", m);
        assert!(is_outage(&db("error communicating with database: Connection refused (os error 111)")));
        assert!(is_outage(&db("error returned from database: terminating connection due to administrator command")));
        assert!(is_outage(&db("error returned from database: the database system is starting up")));
        assert!(is_outage(&db("pool timed out while waiting for an open connection")));
        assert!(!is_outage(&db("error returned from database: duplicate key value violates unique constraint")));
        assert!(!is_outage(&StoreError::Fenced("engine E1 was taken over".into())));
        assert!(!is_outage(&StoreError::Data("event 3 is not after 4".into())));
        // A database that cannot write until an operator acts is waited out too.
        let full = db("error returned from database: (code: 13) database or disk is full");
        assert!(is_outage(&full));
        assert!(is_outage(&db(
            "error returned from database: could not extend file \"base/5/16385\": No space left on device"
        )));
        assert!(is_outage(&db("error returned from database: (code: 8) attempt to write a readonly database")));
        let o = Outage::default();
        o.note::<()>(&Err(full));
        assert!(o.down().unwrap().describe().contains("cannot write (its disk is full)"), "{:?}", o.down());
    }

    #[test]
    fn an_outage_keeps_its_start_and_ends_on_success() {
        let o = Outage::default();
        o.note::<()>(&Err(StoreError::db("x", "error communicating with database: reset")));
        let first = o.down().unwrap();
        o.note::<()>(&Err(StoreError::db("x", "pool timed out")));
        assert_eq!(o.down().unwrap().since_ms, first.since_ms, "the start is kept");
        // The last error is kept for the log; what users are told never carries the driver's text.
        assert_eq!(o.down().unwrap().why, "ledger: x: pool timed out");
        assert!(!o.down().unwrap().describe().contains("pool timed out"), "{}", o.down().unwrap().describe());
        o.note::<()>(&Err(StoreError::Data("bad row".into())));
        assert!(o.down().is_some(), "a data error says nothing of reachability");
        assert!(o.settling(60_000), "down");
        o.note(&Ok(()));
        assert!(o.down().is_none());
        assert!(o.settling(60_000), "back a moment ago");
        assert!(!o.settling(-1), "back longer ago than that");
        assert!(!Outage::default().settling(60_000), "never down");
    }

    #[test]
    fn a_call_on_a_database_refusing_connections_ends_with_the_outage() {
        sqlx::any::install_default_drivers();
        // A port nobody listens on: bound, then closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let o = Outage::probing(format!("postgres://blotter@127.0.0.1:{port}/x"));
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        // A call that would wait forever (the pool retrying a refused connection).
        let r = rt.block_on(o.within("connecting", std::future::pending::<Result<(), StoreError>>()));
        let e = r.unwrap_err();
        assert!(is_outage(&e), "{e}");
        assert!(o.down().is_some(), "the outage is noted");
        // A call that answers is left alone, probe or not.
        assert_eq!(rt.block_on(o.unless_refused(async { Ok::<_, StoreError>(7) })).unwrap(), 7);
        // Without a server to probe (SQLite) the call is only bounded (`within`).
        let sqlite = Outage::default();
        assert_eq!(rt.block_on(sqlite.unless_refused(async { Ok::<_, StoreError>(8) })).unwrap(), 8);
    }

    #[test]
    fn backoff_doubles_to_its_cap() {
        let mut b = Backoff::default();
        let waits: Vec<u64> = (0..7).map(|_| b.step().as_millis() as u64).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1_600, 2_000, 2_000]);
    }
}
