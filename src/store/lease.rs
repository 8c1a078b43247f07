//! Who runs an engine: each engine row names the process writing it
//! (`owner`) and carries its heartbeat; an engine whose heartbeat is older
//! than its lease (or whose process is gone, on this machine) is no longer
//! running, and another process may take it over.

use super::rows::col;
use super::{Backend, StoreError, wall_ms};
use sqlx::any::AnyRow;
use std::sync::atomic::{AtomicU64, Ordering};

/// How long an engine counts as running after its last heartbeat, by default.
pub const LEASE_MS: i64 = 5_000;

/// What the ledger knows about whether an engine's process is alive.
#[derive(Debug, Clone)]
pub(crate) struct Liveness {
    pub host: String,
    pub machine: String,
    pub pid: i64,
    pub heartbeat_at: i64,
    pub lease_ms: i64,
    pub stopped: bool,
}

/// The `engines` columns `Liveness::from_row` reads, with the database's
/// clock as `db_now` (`backend.now_ms()`).
pub(crate) fn liveness_cols(b: Backend) -> String {
    format!("host, machine, pid, heartbeat_at, lease_ms, stopped_at, {} AS db_now", b.now_ms())
}

impl Liveness {
    /// The liveness in a row holding `liveness_cols`, and the database's clock.
    pub fn from_row(r: &AnyRow) -> Result<(Liveness, i64), StoreError> {
        let live = Liveness {
            host: col(r, "host")?,
            machine: col(r, "machine")?,
            pid: col(r, "pid")?,
            heartbeat_at: col(r, "heartbeat_at")?,
            lease_ms: col(r, "lease_ms")?,
            stopped: col::<Option<i64>>(r, "stopped_at")?.is_some(),
        };
        Ok((live, col(r, "db_now")?))
    }

    /// Why the engine counts as running at `now` (the database's clock, in
    /// milliseconds), or `None` if it does not: stopped, lease run out, or
    /// its process gone from this machine's process table.
    pub fn running(&self, now: i64) -> Option<String> {
        if self.stopped || now - self.heartbeat_at > self.lease_ms {
            return None;
        }
        if !self.machine.is_empty() && self.machine == machine() && !pid_alive(self.pid) {
            return None;
        }
        Some(format!(
            "pid {} on {}, heartbeat {:.1} s ago, lease {:.1} s",
            self.pid,
            self.host,
            (now - self.heartbeat_at).max(0) as f64 / 1e3,
            self.lease_ms as f64 / 1e3
        ))
    }
}

impl Liveness {
    /// The owner as a silent one (`desk::Silent`) when it has gone more than
    /// half its lease without a heartbeat at `now` (a live owner beats every
    /// quarter lease, so two beats are missing); `None` while it beats.
    pub fn silent(&self, now: i64) -> Option<super::desk::Silent> {
        let silent_ms = now - self.heartbeat_at;
        (!self.stopped && silent_ms * 2 > self.lease_ms).then(|| super::desk::Silent {
            owner: format!("pid {} on {}", self.pid, self.host),
            silent_ms,
            lease_ms: self.lease_ms,
            expires_at_ms: self.heartbeat_at + self.lease_ms,
        })
    }
}

/// This process table: the boot and the pid namespace. Two processes with
/// the same value see each other's pids; empty where /proc does not say.
pub(crate) fn machine() -> String {
    static M: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    M.get_or_init(|| {
        let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok();
        let ns = std::fs::read_link("/proc/self/ns/pid").ok();
        match (boot, ns) {
            (Some(b), Some(n)) => format!("{}/{}", b.trim(), n.display()),
            _ => String::new(),
        }
    })
    .clone()
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

/// The name this process's PostgreSQL sessions carry (`application_name`):
/// a process taking over an engine from a frozen owner can find and end the
/// owner's sessions, whose open transaction would otherwise keep the engine
/// row locked until the owner wakes.
pub(crate) fn session_tag() -> String {
    format!("blotter:{}:{}", host(), std::process::id())
}

/// The session tag of the process that made an owner token.
pub(crate) fn session_tag_of(owner: &str) -> Option<String> {
    let mut parts = owner.rsplitn(3, ':');
    let (_n, _wall, host_pid) = (parts.next()?, parts.next()?, parts.next()?);
    Some(format!("blotter:{host_pid}"))
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
    fn an_owner_token_names_its_process_session_tag() {
        assert_eq!(session_tag_of(&owner_token()), Some(session_tag()));
        assert_eq!(session_tag_of("desk-7:4242:1765000000000:3").as_deref(), Some("blotter:desk-7:4242"));
        assert_eq!(session_tag_of("garbage"), None);
    }

    #[test]
    fn liveness_needs_a_fresh_heartbeat_and_a_live_process() {
        let now = wall_ms();
        let me = Liveness {
            host: host(),
            machine: machine(),
            pid: i64::from(std::process::id()),
            heartbeat_at: now,
            lease_ms: LEASE_MS,
            stopped: false,
        };
        assert!(me.running(now).is_some(), "this process is alive");
        assert!(Liveness { stopped: true, ..me.clone() }.running(now).is_none());
        assert!(Liveness { heartbeat_at: now - LEASE_MS - 1, ..me.clone() }.running(now).is_none());
        assert!(Liveness { heartbeat_at: now - LEASE_MS, ..me.clone() }.running(now).is_some(), "lease inclusive");
        // A short lease runs out sooner.
        assert!(Liveness { heartbeat_at: now - 600, lease_ms: 500, ..me.clone() }.running(now).is_none());
        assert!(Liveness { pid: i64::from(u32::MAX), ..me.clone() }.running(now).is_none(), "no such pid");
        // A missing pid in another process table says nothing: the lease decides.
        let other_table = Liveness { machine: "another-boot/pid:[1]".into(), pid: i64::from(u32::MAX), ..me.clone() };
        assert!(other_table.running(now).is_some());
        // Silent past half the lease (two beats missed): still running, but unreachable.
        let quiet = Liveness { heartbeat_at: now - LEASE_MS / 2, ..me.clone() };
        assert!(quiet.silent(now).is_none(), "half the lease exactly is two beats late, not yet silent");
        let quiet = Liveness { heartbeat_at: now - LEASE_MS / 2 - 1, ..me.clone() };
        let s = quiet.silent(now).unwrap();
        assert_eq!((s.silent_ms, s.expires_at_ms), (LEASE_MS / 2 + 1, now + LEASE_MS / 2 - 1));
        assert!(quiet.running(now).is_some(), "the lease has not run out: nobody may take it over yet");
        let elsewhere = Liveness { host: "another-host".into(), machine: String::new(), pid: 1, ..me };
        assert!(elsewhere.running(now).unwrap().contains("another-host"));
    }
}
