//! A token file that cannot be read (overwritten with something else while
//! `serve` runs) refuses every request, 503 `unavailable` (never open); but
//! the answer, given before anyone is authenticated, carried the server's
//! file path and the parser's complaint. The caller is told the token store
//! cannot be read; the detail goes to stderr, once.

use crate::served::{Served, token};

#[test]
fn an_unreadable_token_file_is_refused_without_its_internals() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    let alice = token(&file, "alice", "ws", "ADVISOR");
    let args = ["--tokens", file.to_str().unwrap(), "--db", "none", "--date", "2026-11-25", "--symbols", "AAPL"];
    let logs = tempfile::tempdir().unwrap();
    let s = Served::start(logs.path(), &[&args[..], &["--speed", "0"]].concat());
    assert_eq!(s.get("/v1/whoami", Some(&alice)).0, 200);
    std::fs::write(&file, "garbage{").unwrap();
    let path = file.display().to_string();
    let mut answers = Vec::new();
    for _ in 0..3 {
        answers.push(s.get("/v1/whoami", Some(&alice)));
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    for (status, v) in &answers {
        assert_eq!((*status, v["code"].as_str()), (503, Some("unavailable")), "{v}");
        let msg = v["message"].as_str().unwrap();
        assert!(!msg.contains(&path) && !msg.contains("line 1"), "no path, no parser detail: {msg}");
        assert!(msg.contains("token store"), "{msg}");
    }
    let log = s.stderr();
    assert!(log.contains(&path) && log.contains("is not a token file"), "the detail is on stderr: {log}");
    assert_eq!(log.matches("is not a token file").count(), 1, "once, not per request: {log}");
}
