//! The `--db` flag shared by every command that records into or reads the
//! ledger, and the `--since`/`--until` times of `history` and `export`.

use super::CliError;
use crate::model::Timestamp;
use crate::store::{Ledger, StoreError};
use chrono::{NaiveDate, Utc};
use clap::Args;

/// Which ledger to use.
#[derive(Debug, Clone, Args)]
pub struct DbArg {
    /// Ledger database: sqlite:PATH or postgres://USER@HOST/DB (default: ledger.db in the
    /// user's data directory, or $BLOTTER_DATA_DIR).
    #[arg(long = "db", value_name = "URL", env = "BLOTTER_DB")]
    pub db: Option<String>,
}

impl DbArg {
    /// Opens the ledger (checked, migrated).
    pub fn open(&self) -> Result<Ledger, CliError> {
        Ledger::open_arg(self.db.as_deref()).map_err(store_error)
    }
}

/// A ledger failure as a one-line CLI error: a bad `--db` is bad input (2),
/// anything else a failure while running (1).
pub fn store_error(e: StoreError) -> CliError {
    match e {
        StoreError::Url(_) => CliError::usage(e.to_string()),
        other => CliError::runtime(other.to_string()),
    }
}

/// Parses a time for `--since`/`--until`: `YYYY-MM-DD` (midnight UTC), an
/// RFC 3339 time, or an age such as `7d`, `12h`, `30m` before now.
pub fn parse_when(flag: &str, s: &str) -> Result<Timestamp, CliError> {
    let t = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let midnight = d.and_hms_opt(0, 0, 0).map(|dt| dt.and_utc());
        return midnight.map(Timestamp::from_utc).ok_or_else(|| bad_when(flag, s));
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(Timestamp::from_utc(dt.with_timezone(&Utc)));
    }
    if let Some(age) = crate::model::Duration::parse(t)
        && t.ends_with(['d', 'h', 'm', 's'])
    {
        return Ok(Timestamp(Timestamp::from_utc(Utc::now()).0 - age.0));
    }
    Err(bad_when(flag, s))
}

fn bad_when(flag: &str, s: &str) -> CliError {
    CliError::usage(format!("--{flag}: '{s}' is not a time; allowed: YYYY-MM-DD, an RFC 3339 time, or an age like 7d"))
}

/// Tells the user about orders other stopped processes left open (after `run`).
pub fn note_interrupted(ledger: &Ledger, actor: &crate::engine::Actor, except: Option<i64>) {
    let Ok(open) = ledger.open_engines(Some(&actor.tenant)) else { return };
    let stale: Vec<_> = open.iter().filter(|e| e.running.is_none() && Some(e.id) != except).collect();
    if stale.is_empty() {
        return;
    }
    let n: u64 = stale.iter().map(|e| e.open_orders).sum();
    let list: Vec<String> = stale.iter().map(|e| format!("E{}", e.id)).collect();
    eprintln!(
        "note: {n} order(s) left open by a stopped process ({}); `blotter recover` to resume or cancel them",
        list.join(", ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_in_three_forms() {
        assert_eq!(parse_when("since", "2026-11-25").unwrap().to_string(), "2026-11-25T00:00:00.000000000Z");
        assert_eq!(
            parse_when("since", "2026-11-25T14:30:00-05:00").unwrap().to_string(),
            "2026-11-25T19:30:00.000000000Z"
        );
        let week = parse_when("since", "7d").unwrap();
        let now = Timestamp::from_utc(Utc::now());
        assert!((now.0 - week.0 - 7 * 86_400_000_000_000).abs() < 60_000_000_000);
        let e = parse_when("until", "yesterday").unwrap_err();
        assert_eq!(e.code, 2);
        assert!(e.message.starts_with("--until: 'yesterday' is not a time"), "{}", e.message);
    }

    #[test]
    fn a_bad_db_is_bad_input() {
        let e = DbArg { db: Some("mysql://x/y".into()) }.open().unwrap_err();
        assert_eq!(e.code, 2);
        assert!(e.message.starts_with("--db: 'mysql' databases are not supported"), "{}", e.message);
    }
}
