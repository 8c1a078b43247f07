//! Findings 10 and 12 of issue 14 through the real binary: every message
//! names the flag or the line at fault and says what is allowed; nothing
//! hangs or runs on a misread value.

use assert_cmd::Command;
use std::time::Duration;

fn blotter(dir: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("blotter").unwrap();
    c.env("BLOTTER_DATA_DIR", dir).env_remove("BLOTTER_DB").env_remove("BLOTTER_TOKENS");
    c.timeout(Duration::from_secs(60));
    c
}

/// Runs and returns (exit code, stderr).
fn fails(c: &mut Command) -> (Option<i32>, String) {
    let out = c.output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).to_string())
}

const ORDER: [&str; 8] = ["--symbol", "AAPL", "--side", "buy", "--qty", "100", "--algo", "twap"];

#[test]
fn run_refuses_a_two_digit_year_and_an_unbounded_speed() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = fails(blotter(dir.path()).arg("run").args(ORDER).args(["--date", "26-11-25", "--db", "none"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--date: '26-11-25' is not a date; allowed: YYYY-MM-DD"), "{err}");
    assert!(!err.contains("--end"), "the date, not a window, is at fault: {err}");
    // 1e18 simulated seconds per second used to wrap the clock and hang.
    for speed in ["1e18", "1e300", "inf", "0", "-5"] {
        let flag = format!("--speed={speed}");
        let (code, err) =
            fails(blotter(dir.path()).arg("run").args(ORDER).args(["--date", "2026-11-25", "--db", "none", &flag]));
        assert_eq!(code, Some(2), "{speed}: {err}");
        assert!(err.contains("--speed:") && err.contains("at most 100000"), "{speed}: {err}");
        // 1e300 was written out in 301 digits.
        assert!(err.len() < 300 && !err.contains("0000000000000000"), "{speed}: {err}");
    }
}

#[test]
fn history_bounds_its_paging_flags() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("l.db").display());
    let (code, err) = fails(blotter(dir.path()).args(["history", "--db", &db, "--offset", "18446744073709551615"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--offset: 18446744073709551615 is too large; allowed: at most 9223372036854775807"), "{err}");
    assert!(!err.contains("datatype mismatch"), "{err}");
}

#[test]
fn serve_names_the_flag_at_fault() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) =
        fails(blotter(dir.path()).args(["serve", "--db", "none", "--symbols", "ZZZ", "--bind", "127.0.0.1:0"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--symbols: unknown symbol 'ZZZ'"), "{err}");
    let (code, err) = fails(blotter(dir.path()).args(["serve", "--db", "none", "--body-limit", "0"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--body-limit: 0 is not a body limit; allowed: 1 to"), "{err}");
    assert!(!err.contains("--timeout"), "{err}");
}

#[test]
fn data_file_errors_name_the_file_flag_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str, body: &[u8]| {
        let f = dir.path().join(name);
        std::fs::write(&f, body).unwrap();
        f.to_str().unwrap().to_string()
    };
    let trades = p("t.csv", b"ts,price,qty\n2026-11-25T14:30:00Z,230.00,100\n2026-11-25T14:31:00Z,230.10,100\n");
    let quotes = p("q.csv", b"ts,bid,bid_size,ask,ask_size\n2026-11-25T14:30:00Z,229.9,100,x,100\n");
    let (code, err) = fails(
        blotter(dir.path()).arg("run").args(ORDER).args(["--trades", &trades, "--quotes", &quotes, "--db", "none"]),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--quotes: ") && err.contains("q.csv:2: column 'ask'"), "{err}");
    // Invalid UTF-8 on the third line is reported there, not at line 1.
    let bad = p("bad.csv", b"ts,price,qty\n2026-11-25T14:30:00Z,230.00,100\n2026-11-25T14:31:00Z,23\xff0.10,100\n");
    let (code, err) = fails(
        blotter(dir.path()).args(["tca", "--fills", &bad, "--trades", &trades, "--side", "buy"]).args(["--qty", "300"]),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--fills: ") && err.contains("bad.csv:3:") && err.contains("invalid utf-8"), "{err}");
    // A time past what nanoseconds hold is refused, not collapsed to 1970.
    let far = p("far.csv", b"ts,price,qty\n2026-11-25T14:30:00Z,230.00,100\n2300-01-01T00:00:00Z,230.00,100\n");
    let (code, err) = fails(
        blotter(dir.path()).args(["tca", "--fills", &far, "--trades", &trades, "--side", "buy"]).args(["--qty", "300"]),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("far.csv:3:") && err.contains("allowed: 1677-09-21 to 2262-04-11 UTC"), "{err}");
}
