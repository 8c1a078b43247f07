//! The audit log of refusals: every 401, 403 and 429 the server gives, and
//! every other 4xx answer to a request that would change something (a
//! validation error on an execution route), with who asked (when known),
//! what, and why. In the ledger for `blotter serve` (`api::ledger`), in memory
//! for tests, and as JSON lines in a file with `blotter serve --audit FILE`.

use crate::model::Role;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

/// One refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Wall-clock time, RFC 3339 UTC.
    pub at: String,
    /// User, when the token was valid.
    pub user: Option<String>,
    /// Tenant, when the token was valid.
    pub tenant: Option<String>,
    /// Role, when the token was valid.
    pub role: Option<Role>,
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// HTTP status given.
    pub status: u16,
    /// Stable error code.
    pub code: String,
    /// Why.
    pub message: String,
    /// The engine's ledger sink recorded this refusal already (with the
    /// command): the ledger's log skips it, a file or memory log keeps it.
    #[serde(skip)]
    pub engine_audited: bool,
}

/// Where refusals are recorded. The refusal is answered once its record is
/// written; recording must not fail the request: an implementation that
/// cannot write reports it on stderr and carries on.
pub trait AuditLog: Send + Sync {
    /// Records one refusal.
    fn record(&self, entry: AuditEntry) -> BoxFuture<'_, ()>;
}

/// Refusals kept in memory (bounded: the oldest are dropped past `cap`).
#[derive(Debug)]
pub struct MemoryAudit {
    entries: Mutex<Vec<AuditEntry>>,
    cap: usize,
}

impl Default for MemoryAudit {
    fn default() -> Self {
        MemoryAudit { entries: Mutex::new(Vec::new()), cap: 100_000 }
    }
}

impl MemoryAudit {
    /// Every entry kept, oldest first.
    pub fn entries(&self) -> Vec<AuditEntry> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl AuditLog for MemoryAudit {
    fn record(&self, entry: AuditEntry) -> BoxFuture<'_, ()> {
        let mut v = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if v.len() >= self.cap {
            v.remove(0);
        }
        v.push(entry);
        Box::pin(std::future::ready(()))
    }
}

/// Refusals appended to a file as JSON lines.
#[derive(Debug)]
pub struct FileAudit {
    path: PathBuf,
    file: Mutex<Option<std::fs::File>>,
}

impl FileAudit {
    /// Appends to `path` (created if missing).
    pub fn open(path: impl Into<PathBuf>) -> std::io::Result<FileAudit> {
        let path = path.into();
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(FileAudit { path, file: Mutex::new(Some(file)) })
    }
}

impl AuditLog for FileAudit {
    fn record(&self, entry: AuditEntry) -> BoxFuture<'_, ()> {
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = guard.as_mut() {
            let mut line = serde_json::to_vec(&entry).unwrap_or_default();
            line.push(b'\n');
            if let Err(e) = f.write_all(&line) {
                eprintln!("audit log {}: {e}", self.path.display());
            }
        }
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u16) -> AuditEntry {
        AuditEntry {
            at: "2026-11-25T15:00:00Z".into(),
            user: Some("u".into()),
            tenant: Some("t".into()),
            role: Some(Role::Client),
            method: "POST".into(),
            path: "/v1/orders".into(),
            status: n,
            code: "forbidden".into(),
            message: "no".into(),
            engine_audited: false,
        }
    }

    #[tokio::test]
    async fn file_audit_appends_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("audit.jsonl");
        let a = FileAudit::open(&p).unwrap();
        a.record(entry(403)).await;
        a.record(entry(401)).await;
        // A refusal the engine's ledger sink recorded too: the file keeps every refusal.
        a.record(AuditEntry { engine_audited: true, ..entry(400) }).await;
        let lines: Vec<AuditEntry> =
            std::fs::read_to_string(&p).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines, vec![entry(403), entry(401), entry(400)]);
        assert!(!std::fs::read_to_string(&p).unwrap().contains("engine_audited"), "not a field of the file");
        let m = MemoryAudit { entries: Mutex::new(Vec::new()), cap: 1 };
        m.record(entry(403)).await;
        m.record(entry(429)).await;
        assert_eq!(m.entries(), vec![entry(429)], "bounded: the oldest goes");
    }
}
