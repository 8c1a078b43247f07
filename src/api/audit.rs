//! The audit log of refusals: every 401, 403 and 429 the server gives, with
//! who asked (when known), what, and why. In memory for tests and as JSON
//! lines in a file for `blotter serve --audit FILE`; the ledger implements the
//! same trait when it lands.

use crate::model::Role;
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
}

/// Where refusals are recorded. Recording must not fail the request: an
/// implementation that cannot write reports it on stderr and carries on.
pub trait AuditLog: Send + Sync {
    /// Records one refusal.
    fn record(&self, entry: AuditEntry);
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
    fn record(&self, entry: AuditEntry) {
        let mut v = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if v.len() >= self.cap {
            v.remove(0);
        }
        v.push(entry);
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
    fn record(&self, entry: AuditEntry) {
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let Some(f) = guard.as_mut() else { return };
        let mut line = serde_json::to_vec(&entry).unwrap_or_default();
        line.push(b'\n');
        if let Err(e) = f.write_all(&line) {
            eprintln!("audit log {}: {e}", self.path.display());
        }
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
        }
    }

    #[test]
    fn file_audit_appends_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("audit.jsonl");
        let a = FileAudit::open(&p).unwrap();
        a.record(entry(403));
        a.record(entry(401));
        let lines: Vec<AuditEntry> =
            std::fs::read_to_string(&p).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines, vec![entry(403), entry(401)]);
        let m = MemoryAudit { entries: Mutex::new(Vec::new()), cap: 1 };
        m.record(entry(403));
        m.record(entry(429));
        assert_eq!(m.entries(), vec![entry(429)], "bounded: the oldest goes");
    }
}
