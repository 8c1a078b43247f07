//! The scripted demo runs headless, end to end, deterministically.

use assert_cmd::Command;

fn headless() -> serde_json::Value {
    let out = Command::cargo_bin("blotter").unwrap().args(["demo", "--headless", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn headless_demo_is_deterministic_and_complete() {
    let a = headless();
    let b = headless();
    assert_eq!(a, b, "two headless runs differ");
    let orders = a["orders"].as_array().unwrap();
    assert!(orders.len() >= 2);
    for o in orders {
        assert!(["done", "expired", "cancelled"].contains(&o["status"].as_str().unwrap()), "{o}");
        assert!(!o["tca"]["arrival_px"].is_null(), "{o}");
    }
    assert_eq!(orders[0]["status"], "done");
    assert!(a["rejections"].as_array().unwrap().is_empty(), "{}", a["rejections"]);
}

#[test]
fn a_bad_script_names_the_step() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.toml");
    std::fs::write(&p, "title = \"t\"\nstart = \"09:25\"\n[[step]]\ncaption = \"c\"\nlook = \"everything\"\n").unwrap();
    let out = Command::cargo_bin("blotter").unwrap().args(["demo", "--headless", "--script"]).arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("step 1: look: 'everything' is not one of"), "{err}");
}

#[test]
fn json_needs_headless_and_a_negative_hold_is_refused() {
    let out = Command::cargo_bin("blotter").unwrap().args(["demo", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--json prints the headless run's report: add --headless"), "{err}");
    let out = Command::cargo_bin("blotter").unwrap().args(["demo", "--hold-factor=-1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--hold-factor: -1 must be 0 or more"), "{err}");
}
