//! Who runs an engine: each engine row names the process writing it
//! (`owner`) and carries its heartbeat; an engine whose heartbeat is older
//! than its lease (or whose process is gone, on this machine) is no longer
//! running, and another process may take it over.

use super::wall_ms;
use std::sync::atomic::{AtomicU64, Ordering};

/// How long an engine counts as running after its last heartbeat, by default.
pub const LEASE_MS: i64 = 5_000;

/// What the ledger knows about whether an engine's process is alive.
#[derive(Debug, Clone)]
pub(crate) struct Liveness {
    pub host: String,
    pub pid: i64,
    pub heartbeat_at: i64,
    pub stopped: bool,
}

impl Liveness {
    /// Why the engine counts as running at wall time `now`, or `None` if it does not.
    pub fn running(&self, now: i64) -> Option<String> {
        if self.stopped || now - self.heartbeat_at > LEASE_MS {
            return None;
        }
        if self.host == host() && !pid_alive(self.pid) {
            return None;
        }
        Some(format!(
            "pid {} on {}, heartbeat {:.1} s ago",
            self.pid,
            self.host,
            (now - self.heartbeat_at).max(0) as f64 / 1e3
        ))
    }
}

/// This machine's name.
pub(crate) fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Whether a local process is alive (zombies count as gone). Without /proc
/// the heartbeat lease alone decides.
fn pid_alive(pid: i64) -> bool {
    let stat = format!("/proc/{pid}/stat");
    if !std::path::Path::new("/proc/self/stat").exists() {
        return true;
    }
    match std::fs::read_to_string(stat) {
        // The state letter follows the command name in parentheses.
        Ok(s) => s.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next()).is_some_and(|st| st != "Z"),
        Err(_) => false,
    }
}

/// A claim on an engine, unique to this process and moment.
pub(crate) fn owner_token() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{}:{}:{}:{}", host(), std::process::id(), wall_ms(), N.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liveness_needs_a_fresh_heartbeat_and_a_live_process() {
        let now = wall_ms();
        let me = Liveness { host: host(), pid: i64::from(std::process::id()), heartbeat_at: now, stopped: false };
        assert!(me.running(now).is_some(), "this process is alive");
        assert!(Liveness { stopped: true, ..me.clone() }.running(now).is_none());
        assert!(Liveness { heartbeat_at: now - LEASE_MS - 1, ..me.clone() }.running(now).is_none());
        assert!(Liveness { pid: i64::from(u32::MAX), ..me.clone() }.running(now).is_none(), "no such pid");
        let elsewhere = Liveness { host: "another-host".into(), pid: 1, ..me };
        assert!(elsewhere.running(now).unwrap().contains("another-host"));
    }
}
