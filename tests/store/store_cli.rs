//! `history` and `export` from the command line, on the default ledger in a
//! temporary data directory.

use crate::fixtures;

use assert_cmd::Command;

fn blotter(data: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("blotter").unwrap();
    c.env("BLOTTER_DATA_DIR", data).env_remove("BLOTTER_DB");
    c
}

const ORDER: [&str; 14] = [
    "run",
    "--symbol",
    "AAPL",
    "--side",
    "buy",
    "--qty",
    "3000",
    "--date",
    "2026-11-25",
    "--start",
    "10:00",
    "--end",
    "10:10",
    "--json",
];

/// A ledger holding one finished order; returns its fill count.
fn one_order(data: &std::path::Path) -> usize {
    let out = blotter(data).args(ORDER).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(data.join("ledger.db").exists(), "recorded into the default ledger");
    doc["orders"][0]["fills"].as_u64().unwrap() as usize
}

#[test]
fn history_lists_what_run_recorded() {
    let dir = tempfile::tempdir().unwrap();
    one_order(dir.path());
    let out = blotter(dir.path()).arg("history").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().next().unwrap().starts_with("ORDER"), "{text}");
    let row = text.lines().nth(1).unwrap();
    // The reference is the whole first cell: `E1-P1`, its engine named once.
    assert_eq!(row.split_whitespace().next(), Some("E1-P1"), "{row}");
    for cell in ["2026-11-25", "AAPL", "buy", "3,000", "twap", "done", "desk@local"] {
        assert!(row.contains(cell), "{cell} in {row}");
    }
    assert!(text.contains("1-1 of 1 orders"), "{text}");
    // A second run is a second engine: its first order is E2-P1.
    one_order(dir.path());
    let out = blotter(dir.path()).args(["history", "--json"]).output().unwrap();
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut refs: Vec<&str> =
        page["items"].as_array().unwrap().iter().map(|o| o["reference"].as_str().unwrap()).collect();
    refs.sort_unstable();
    assert_eq!(refs, ["E1-P1", "E2-P1"], "{page}");
    let out = blotter(dir.path()).args(["history", "--since", "2026-11-26", "--json"]).output().unwrap();
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(page["total"], 0, "nothing accepted after the 25th");
    let out = blotter(dir.path()).args(["history", "--status", "sleeping"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: --status: status 'sleeping'"));
}

#[test]
fn export_writes_orders_and_fills_as_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let fills = one_order(dir.path());
    let out = blotter(dir.path()).args(["export", "--format", "csv"]).output().unwrap();
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!((head[0], head[head.len() - 1]), ("order", "ts"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), fills, "one row per fill");
    let qty_col = head.iter().position(|h| *h == "fill_qty").unwrap();
    let total: f64 = rows.iter().map(|r| r[qty_col].parse::<f64>().unwrap()).sum();
    assert_eq!(total, 3000.0);

    let out = blotter(dir.path()).args(["export", "--format", "json"]).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["orders"].as_array().unwrap().len(), 1);
    assert_eq!(doc["fills"].as_array().unwrap().len(), fills);
    assert_eq!(doc["fills"][0]["order"], "E1-P1");
    // Fill and child ids name the engine once: `E1-F7`, `E1-P1-C3`.
    let col = |name: &str| head.iter().position(|h| *h == name).unwrap();
    let (fill, child) = (col("fill"), col("child"));
    for r in &rows {
        assert_eq!(r[0], "E1-P1", "{r:?}");
        assert!(r[fill].strip_prefix("E1-F").is_some_and(|n| n.parse::<u64>().is_ok()), "{r:?}");
        assert!(r[child].strip_prefix("E1-P1-C").is_some_and(|n| n.parse::<u32>().is_ok()), "{r:?}");
    }

    let file = dir.path().join("orders.csv");
    let out = blotter(dir.path())
        .args(["export", "--format", "csv", "--table", "orders", "--out"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 2, "header and one order");

    let out = blotter(dir.path()).args(["export", "--format", "xml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--format: 'xml' is not one of: csv, json"));
}

#[test]
fn run_can_record_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = blotter(dir.path()).args(ORDER).args(["--db", "none"]).output().unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["orders"][0]["status"], "done");
    assert!(!dir.path().join("ledger.db").exists(), "no ledger was created");
    let out = blotter(dir.path()).args(&ORDER[..ORDER.len() - 1]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ledger           E1-P1 in sqlite:"), "the summary names the ledger order: {text}");
}

#[test]
fn a_replayed_run_is_rebuilt_from_its_recorded_files() {
    let dir = tempfile::tempdir().unwrap();
    let (trades, quotes) = fixtures::write_csv_market(dir.path());
    let out = blotter(dir.path())
        .args(["run", "--symbol", "AAPL", "--side", "buy", "--qty", "2000", "--json", "--trades"])
        .arg(&trades)
        .arg("--quotes")
        .arg(&quotes)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Rebuilding the (finished) engine reads the recording again.
    let out = blotter(dir.path()).args(["recover", "--engine", "E1", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["engines"][0]["engine"], "E1");
    assert_eq!(doc["engines"][0]["interrupted"], serde_json::json!([]));
    std::fs::remove_file(&trades).unwrap();
    let out = blotter(dir.path()).args(["recover", "--engine", "E1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("engine E1") && err.contains("trades.csv"), "{err}");
}

#[test]
fn compare_records_each_algorithm_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "compare",
        "--symbol",
        "AAPL",
        "--side",
        "buy",
        "--qty",
        "5000",
        "--algos",
        "twap,vwap",
        "--date",
        "2026-11-25",
        "--start",
        "10:00",
        "--end",
        "10:30",
        "--json",
    ];
    let plain = blotter(dir.path()).args(args).output().unwrap();
    assert!(plain.status.success(), "{}", String::from_utf8_lossy(&plain.stderr));
    assert!(!dir.path().join("ledger.db").exists(), "a comparison records nothing by default");
    let db = format!("sqlite:{}", dir.path().join("cmp.db").display());
    let recorded = blotter(dir.path()).args(args).args(["--db", &db]).output().unwrap();
    assert!(recorded.status.success(), "{}", String::from_utf8_lossy(&recorded.stderr));
    assert_eq!(plain.stdout, recorded.stdout, "recording changes nothing in the comparison");
    let out = blotter(dir.path()).args(["history", "--db", &db, "--json"]).output().unwrap();
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(page["total"], 2);
    let mut algos: Vec<&str> =
        page["items"].as_array().unwrap().iter().map(|o| o["order"]["algo"].as_str().unwrap()).collect();
    algos.sort();
    assert_eq!(algos, vec!["twap", "vwap"]);
    assert!(page["items"].as_array().unwrap().iter().all(|o| o["order"]["status"] == "done"));
}
