//! The ledger: every order, child, fill, event, audit record and TCA result
//! in a real database, SQLite embedded by default and PostgreSQL for shared
//! desks, through one code path (sqlx runtime queries over the `Any` driver).
//!
//! The engine stays free of I/O. A driver takes each batch the engine emits,
//! hands it to the ledger's writer, and releases it to anyone else only once
//! it is committed (`Recorder`). The writer commits whatever batches are
//! waiting in one transaction (group commit), so durability costs one sync
//! per group, not one per event.
//!
//! Layout: `location` (which database), `db` (connections, dialect),
//! `migrate` (versioned schema), `replica` (events projected onto order rows),
//! `writer` (group commit), `backlog` (its bounded queue), `ledger` (the
//! handle), `recorder` (the driver),
//! `controls` (the desk's risk controls, restored on start), `usage` (what
//! the desk's engines used, for limits counted desk-wide),
//! `query` (what the UI and API read), `config` (algorithm defaults),
//! `recover` (restart after a crash), `outage` (waiting out a database outage),
//! `export` (CSV/JSON), `sink` (for the embedded client);
//! for the HTTP sidecar, `handle` (async access), `tokens`, `refusals` (the
//! audit of refused requests), `served` (the engine `serve` resumes, its
//! event log, TCA of its finished orders) and `tca_groups` (aggregated TCA).

pub mod backlog;
pub mod config;
pub mod controls;
mod db;
pub mod desk;
pub mod export;
pub mod guard;
pub mod handle;
mod lease;
mod ledger;
mod location;
mod migrate;
pub mod outage;
pub mod query;
mod record;
pub mod recorder;
pub mod recover;
pub mod refusals;
pub mod relay;
mod replica;
mod risk_state;
mod rows;
mod serve_lock;
pub mod served;
pub mod sink;
pub mod tca_groups;
pub mod tokens;
pub mod usage;
mod writer;

pub use db::Backend;
pub use handle::{LedgerHandle, WideRecord};
pub use lease::LEASE_MS;
pub use ledger::{Ledger, MIN_LEASE_MS, Ticket};
pub use location::{DbTarget, default_path};
pub use migrate::{SCHEMA_VERSION, versions as schema_versions};
pub use record::{AuditEntry, Batch, EngineRef, EngineSpec, Outcome, ReplaySource, Sources, TcaRecord};
pub use recorder::Recorder;
pub use serve_lock::ServeLock;

use std::fmt;

/// Why the ledger could not do what was asked. Cloneable so one failed group
/// commit can be reported to every batch in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The `--db` value is malformed or names an unsupported database.
    Url(String),
    /// No connection could be made.
    Connect {
        /// The database, password hidden.
        target: String,
        /// Why.
        message: String,
    },
    /// The database exists but is not a usable ledger (corrupt, foreign, or
    /// written by a newer blotter). Nothing was changed.
    Unusable {
        /// The database, password hidden.
        target: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// A query or commit failed.
    Db {
        /// What was being done.
        context: String,
        /// The database's message.
        message: String,
    },
    /// Another live process owns the engine.
    Busy(String),
    /// This process lost ownership of the engine (another process recovered it).
    Fenced(String),
    /// No such engine or order.
    NotFound(String),
    /// The caller may not do this, or gave a bad value (recorded in the audit log).
    Refused(String),
    /// Stored data could not be decoded.
    Data(String),
    /// The writer has stopped.
    Closed,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Url(m) => write!(f, "--db: {m}"),
            StoreError::Connect { target, message } => write!(f, "ledger {target}: cannot connect: {message}"),
            StoreError::Unusable { target, message } => write!(f, "ledger {target}: {message}"),
            StoreError::Db { context, message } => write!(f, "ledger: {context}: {message}"),
            StoreError::Busy(m) | StoreError::Fenced(m) | StoreError::NotFound(m) => write!(f, "ledger: {m}"),
            StoreError::Refused(m) => f.write_str(m),
            StoreError::Data(m) => write!(f, "ledger: stored data is inconsistent: {m}"),
            StoreError::Closed => f.write_str("ledger: the writer has stopped; nothing more can be recorded"),
        }
    }
}

impl std::error::Error for StoreError {}

impl StoreError {
    /// What a user may be told, in our own words: what could not be done,
    /// never the database's text (host names, file paths, SQL, the driver's
    /// messages), which is the operator's and goes to the server's log
    /// (`Display` has it). Our own refusals (a busy or fenced engine, a bad
    /// value) are already written for the user and are kept.
    pub fn for_users(&self) -> String {
        match self {
            StoreError::Url(_) | StoreError::Connect { .. } => "the ledger database cannot be reached".into(),
            StoreError::Unusable { .. } => "the ledger database is not usable as a ledger".into(),
            StoreError::Db { context, .. } => format!("the ledger database failed while {context}"),
            StoreError::Data(_) => "the ledger's stored data is inconsistent".into(),
            StoreError::Busy(_) | StoreError::Fenced(_) | StoreError::NotFound(_) | StoreError::Refused(_) => {
                self.to_string()
            }
            StoreError::Closed => self.to_string(),
        }
    }

    /// A database error while doing `context`.
    pub(crate) fn db(context: impl Into<String>, e: impl fmt::Display) -> StoreError {
        StoreError::Db { context: context.into(), message: e.to_string() }
    }
}

/// Wall-clock milliseconds since the Unix epoch.
pub(crate) fn wall_ms() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
