//! One `serve` per SQLite ledger. SQLite is the single-instance default:
//! two servers on one file would each run an engine and a desk state of
//! their own, which is what several instances on PostgreSQL are for. The
//! lock is an advisory file lock beside the database (`ledger.db.serve-lock`),
//! taken before anything is written and released by the operating system
//! when the process ends, however it ends.

use super::{DbTarget, StoreError};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

/// Held while this process serves an SQLite ledger.
#[derive(Debug)]
pub struct ServeLock {
    _file: File,
    /// The lock file.
    pub path: PathBuf,
}

impl DbTarget {
    /// Takes the single-instance lock of an SQLite ledger for `serve`
    /// (`None` for PostgreSQL, where several instances share one database).
    /// Refused, naming the process that holds it, while another `serve` runs
    /// on the same file.
    pub fn lock_for_serve(&self) -> Result<Option<ServeLock>, StoreError> {
        let Some(db) = self.sqlite_path() else { return Ok(None) };
        let mut name = db.as_os_str().to_owned();
        name.push(".serve-lock");
        let path = PathBuf::from(name);
        let io = |e: std::io::Error| StoreError::Connect {
            target: self.to_string(),
            message: format!("lock file {}: {e}", path.display()),
        };
        let mut file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let who = if holder.is_empty() { "another process".to_string() } else { holder.to_string() };
                return Err(StoreError::Busy(format!(
                    "{self} is already served by {who}: an SQLite ledger serves one `blotter serve` at a time. \
                     Stop that one first, or run several instances on one PostgreSQL database \
                     (docs/operations.md, \"Several instances\")"
                )));
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let me = format!(
            "blotter serve pid {} on {} since {}",
            std::process::id(),
            super::lease::host(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        // Who holds it, for the message of the next one to try.
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(me.as_bytes()))
            .map_err(io)?;
        Ok(Some(ServeLock { _file: file, path }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_serve_on_one_sqlite_file_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let target = DbTarget::Sqlite(dir.path().join("ledger.db"));
        let first = target.lock_for_serve().unwrap().expect("SQLite takes the lock");
        let e = target.lock_for_serve().unwrap_err().to_string();
        assert!(e.contains(&format!("is already served by blotter serve pid {}", std::process::id())), "{e}");
        assert!(e.contains("one PostgreSQL database"), "{e}");
        drop(first);
        assert!(target.lock_for_serve().unwrap().is_some(), "free again once the first is gone");
        let pg = DbTarget::Postgres("postgres://u@h/db".into());
        assert!(pg.lock_for_serve().unwrap().is_none(), "PostgreSQL is shared by design");
    }
}
