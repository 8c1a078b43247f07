//! The binary with every algorithm: basics-only runs, the IS schedule and
//! frontier, `compare`, and one-line refusals with exit code 2.

use assert_cmd::Command;
use predicates::prelude::*;

fn blotter() -> Command {
    // `run` records into the default ledger: keep it in a temporary directory.
    static DATA: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let mut c = Command::cargo_bin("blotter").unwrap();
    c.env("BLOTTER_DATA_DIR", DATA.get_or_init(|| tempfile::tempdir().unwrap()).path()).env_remove("BLOTTER_DB");
    c
}

const DAY: [&str; 4] = ["--date", "2026-11-25", "--seed", "5"];

#[test]
fn every_algorithm_runs_with_only_the_order_basics() {
    for (algo, symbol, limit) in [
        ("twap", "MSFT", None),
        ("vwap", "MSFT", None),
        ("pov", "MSFT", None),
        ("is", "MSFT", None),
        ("iceberg", "MSFT", Some("425")),
        ("sniper", "MSFT", Some("425")),
        ("moc", "JPM", None),
    ] {
        let mut cmd = blotter();
        cmd.args(["run", "--symbol", symbol, "--side", "buy", "--qty", "5000", "--algo", algo, "--json"]).args(DAY);
        if let Some(l) = limit {
            cmd.args(["--limit", l]);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{algo}: {}", String::from_utf8_lossy(&out.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let o = &doc["orders"][0];
        assert_eq!(o["algo"], algo);
        assert_eq!(o["status"], "done", "{algo}: {o}");
        assert_eq!(o["filled_qty"], 5000.0, "{algo}");
    }
}

#[test]
fn schedule_is_reproduces_the_papers_example_over_five_days() {
    let out = blotter()
        .args(["schedule", "--symbol", "JPM", "--side", "sell", "--qty", "1000000", "--algo", "is", "--horizon", "5d"])
        .args(["--param", "slices=5", "--param", "sigma=0.95", "--param", "eta=2.5e-6", "--param", "gamma=2.5e-7"])
        .args(["--param", "epsilon=0.0625", "--param", "lambda=1e-6", "--frontier", "--json"])
        .args(DAY)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = |k: &str| doc[k].as_f64().unwrap_or_else(|| panic!("no {k} in {doc}"));
    assert!((f("kappa") - 0.607_076).abs() < 1e-5);
    assert!((f("half_life") - 1.647_24).abs() < 1e-4);
    assert!((f("expected_cost") - 911_227.0).abs() < 1.0);
    assert!((f("variance") / 3.641_286e11 - 1.0).abs() < 1e-6);
    let holdings: Vec<f64> = doc["holdings"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(holdings.len(), 6);
    assert_eq!(holdings[0], 1e6);
    assert_eq!(holdings[5], 0.0);
    assert!((holdings[1] - 541_956.0).abs() < 1.0);
    let trades = doc["trades"].as_array().unwrap();
    assert_eq!(trades.len(), 5);
    let lots: f64 = doc["slices"].as_array().unwrap().iter().map(|s| s["qty"].as_f64().unwrap()).sum();
    assert_eq!(lots, 1e6, "the per-day quantities are whole shares summing to the order");
    let frontier = doc["frontier"].as_array().unwrap();
    assert_eq!(frontier.len(), 14);
    assert_eq!(frontier[0]["lambda"], 0.0);
    assert_eq!(frontier[0]["expected_cost"], 662_500.0);
}

#[test]
fn intraday_is_schedule_reports_the_model() {
    let out = blotter()
        .args(["schedule", "--symbol", "AAPL", "--side", "buy", "--qty", "200000", "--algo", "is"])
        .args(["--start", "10:00", "--horizon", "2h", "--param", "slices=8", "--json"])
        .args(DAY)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for k in ["holdings", "trades", "expected_cost", "variance", "kappa", "half_life", "slices"] {
        assert!(!doc[k].is_null(), "missing {k}");
    }
    let slices = doc["slices"].as_array().unwrap();
    assert_eq!(slices.len(), 8);
    assert!(slices[0]["time"].as_str().unwrap().contains("T10:00:00"));
    assert!(slices[7]["time"].as_str().unwrap().contains("T11:45:00"));
    // Default lambda: half-life of half the window (2 h of a 6.5 h day).
    assert!((doc["half_life"].as_f64().unwrap() - 1.0 / 6.5).abs() < 1e-9);
}

#[test]
fn compare_runs_each_algorithm_on_the_same_market() {
    let out = blotter()
        .args(["compare", "--symbol", "AAPL", "--side", "buy", "--qty", "30000", "--algos", "twap,pov,is"])
        .args(["--start", "10:00", "--end", "10:30", "--param", "pov.rate=0.05", "--json"])
        .args(DAY)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = doc["rows"].as_array().unwrap();
    assert_eq!(rows.iter().map(|r| r["algo"].as_str().unwrap()).collect::<Vec<_>>(), ["twap", "pov", "is"]);
    // Same market: the same arrival price for all.
    assert!(rows.iter().all(|r| r["arrival_px"] == rows[0]["arrival_px"]));
    for r in rows {
        let g = |k: &str| r[k].as_f64().unwrap_or_else(|| panic!("{k} missing in {r}"));
        // The decomposition adds up to the cost against arrival.
        let sum = g("spread_bps") + g("impact_bps") + g("timing_bps");
        assert!((sum - g("arrival_bps")).abs() < 0.5, "{}: {sum} vs {}", r["algo"], g("arrival_bps"));
        assert!(r["children"].as_u64().unwrap() > 0);
        assert!(!r["venues"].as_array().unwrap().is_empty());
    }
    // Table form.
    blotter()
        .args(["compare", "--symbol", "AAPL", "--side", "buy", "--qty", "30000", "--algos", "twap,is"])
        .args(["--start", "10:00", "--end", "10:20"])
        .args(DAY)
        .assert()
        .success()
        .stdout(predicate::str::contains("arr bps").and(predicate::str::contains("impact")))
        .stdout(predicate::str::contains("twap").and(predicate::str::contains("is ")));
}

#[test]
fn bad_input_is_refused_with_exit_code_2_and_nothing_runs() {
    let basics = ["--symbol", "AAPL", "--side", "buy", "--qty", "1000"];
    let cases: &[(&[&str], &str)] = &[
        (&["run", "--algo", "pov", "--param", "rate=0.9"], "--param rate: 0.9 is out of range; allowed: (0, 0.5]"),
        (&["run", "--algo", "iceberg"], "--limit: iceberg needs a limit price"),
        (&["run", "--algo", "moc", "--start", "15:56"], "MOC/LOC entry cutoff 15:55 America/New_York has passed"),
        (&["schedule", "--algo", "vwap", "--horizon", "5d"], "--horizon: only --algo is"),
        (&["schedule", "--algo", "is", "--horizon", "5x"], "--horizon: '5x' is not a horizon"),
        (&["compare", "--algo", "vwap"], "--algo: compare takes a list"),
        (&["compare", "--algos", "twap,bogus"], "--algos: algo 'bogus' is not one of"),
        (&["compare", "--algos", "twap,pov", "--param", "vwap.slices=3"], "not one of the compared"),
        (&["compare", "--algos", "twap,pov", "--param", "pov.rate=2"], "pov: --param rate"),
    ];
    for (args, needle) in cases {
        let mut cmd = blotter();
        cmd.arg(args[0]).args(basics).args(&args[1..]).args(DAY);
        cmd.assert().code(2).stdout(predicate::str::is_empty()).stderr(predicate::str::contains(*needle));
    }
}
