//! The `blotter` binary: headless commands, JSON shape, and one-line errors.

use assert_cmd::Command;
use predicates::prelude::*;

fn blotter() -> Command {
    // `run` records into the default ledger: keep it in a temporary directory.
    static DATA: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let dir = DATA.get_or_init(|| tempfile::tempdir().unwrap());
    let mut c = Command::cargo_bin("blotter").unwrap();
    c.env("BLOTTER_DATA_DIR", dir.path()).env_remove("BLOTTER_DB");
    c
}

const BASE: [&str; 9] = ["--symbol", "AAPL", "--side", "buy", "--qty", "20000", "--date", "2026-11-25", "--seed=3"];

#[test]
fn run_json_has_orders_seed_and_events() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.jsonl");
    let out = blotter()
        .arg("run")
        .args(BASE)
        .args(["--algo", "twap", "--start", "10:00", "--end", "10:30", "--json", "--events"])
        .arg(&log)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["seed"], 3);
    let o = &doc["orders"][0];
    for key in ["id", "symbol", "side", "qty", "filled_qty", "avg_px", "algo", "status", "children"] {
        assert!(!o[key].is_null(), "missing {key}");
    }
    assert_eq!(o["id"], "P1");
    assert_eq!(o["status"], "done");
    assert_eq!(o["filled_qty"], 20000.0);
    let events = doc["events"].as_array().unwrap();
    assert!(events.len() > 10);
    let lines = std::fs::read_to_string(&log).unwrap();
    assert_eq!(lines.lines().count(), events.len(), "the event file has one line per event");
}

#[test]
fn run_prints_a_human_summary() {
    blotter().arg("run").args(BASE).args(["--start", "10:00", "--end", "10:15"]).assert().success().stdout(
        predicate::str::contains("status           done")
            .and(predicate::str::contains("interval VWAP"))
            .and(predicate::str::contains("venues")),
    );
}

#[test]
fn schedule_lists_slices_without_running() {
    let out = blotter()
        .args(["schedule", "--symbol", "AAPL", "--side", "sell", "--qty", "10k", "--date", "2026-11-25"])
        .args(["--start", "10:00", "--end", "11:00", "--param", "slices=4", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let slices = doc["slices"].as_array().unwrap();
    assert_eq!(slices.len(), 4);
    assert_eq!(slices[3]["cum"], 10000.0);
    assert_eq!(slices[0]["time"], "2026-11-25T10:00:00-05:00");
}

#[test]
fn bad_input_is_one_line_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["--symbol", "ZZZ", "--side", "buy", "--qty", "1"], "--symbol: unknown symbol 'ZZZ'"),
        (&["--symbol", "AAPL", "--side", "buy", "--qty", "0"], "--qty: 0 must be positive"),
        (&["--symbol", "AAPL", "--side", "buy", "--qty", "-5"], "--qty: -5 must be positive"),
        (
            &["--symbol", "AAPL", "--side", "buy", "--qty", "100", "--start", "11:00", "--end", "10:00"],
            "--end: 10:00 is not after --start 11:00",
        ),
        (
            &["--symbol", "AAPL", "--side", "buy", "--qty", "100", "--start", "17:00", "--end", "18:00"],
            "outside the session",
        ),
        (
            &["--symbol", "AAPL", "--side", "buy", "--qty", "100", "--param", "slices"],
            "--param: 'slices' is not key=value",
        ),
        (
            &["--symbol", "AAPL", "--side", "buy", "--qty", "100", "--param", "slices=0"],
            "--param slices: 0 is out of range",
        ),
        (&["--symbol", "AAPL", "--side", "buy", "--qty", "100", "--param", "bogus=1"], "unknown for twap"),
    ];
    for (args, expected) in cases {
        let out = blotter().arg("run").args(["--date", "2026-11-25"]).args(*args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: one line, got {err}");
        assert!(out.stdout.is_empty(), "nothing ran for {args:?}");
    }
}

#[test]
fn holiday_names_the_holiday() {
    blotter()
        .args(["run", "--symbol", "AAPL", "--side", "buy", "--qty", "100", "--date", "2026-11-26"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Thanksgiving"));
}

#[test]
fn the_desk_benchmark_says_what_it_needs() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "--db: --scenario desk needs a PostgreSQL server URL"),
        (&["--db", "sqlite:/tmp/x.db"], "--db: --scenario desk needs a PostgreSQL server URL"),
        (&["--db", "postgres://u@h/db", "--desk-instances", "1"], "--desk-instances: allowed 2 to 16"),
        (&["--db", "postgres://u@h/db", "--desk-lease", "0.1"], "--desk-lease: allowed 0.5 to 3600"),
        (&["--db", "postgres://u@h/db", "--desk-seconds=-1"], "--desk-seconds: must be positive"),
    ];
    for (args, expected) in cases {
        let out = blotter().args(["bench", "--scenario", "desk"]).args(*args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

/// `blotter run ... --json | head -c 1024`: the reader goes away with most of
/// the document unwritten (a 30-minute TWAP's events are far more than a
/// pipe's 64 KiB buffer), so the next write meets a broken pipe. The command
/// ends quietly, as `cat` would: status 0 or 141 (128 + SIGPIPE), nothing on stderr.
#[test]
fn run_stops_quietly_when_the_reader_goes_away() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("blotter"))
        .arg("run")
        .args(BASE)
        .args(["--algo", "twap", "--start", "10:00", "--end", "10:30", "--json", "--db", "none"])
        .env_remove("BLOTTER_DB")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 1024];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    // The read end is closed here (dropped with the `ChildStdout`).
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.trim().is_empty(), "nothing to say about a reader that left: {err}");
    assert!(matches!(out.status.code(), Some(0) | Some(141)), "{:?}", out.status);
    assert!(head.starts_with(b"{\"date\":"), "the document began: {}", String::from_utf8_lossy(&head[..40]));
}
