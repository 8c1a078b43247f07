//! `blotter calibrate`: the figures of a constructed recording, worked out by
//! hand here; the universe file it writes, read back by `--universe`; the
//! impact coefficient from a ledger; and its errors.

use assert_cmd::Command;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn blotter(data: &Path) -> Command {
    let mut c = Command::cargo_bin("blotter").unwrap();
    c.env("BLOTTER_DATA_DIR", data).env_remove("BLOTTER_DB");
    c
}

/// 2021-01-08 00:00:00 UTC in epoch milliseconds.
const DAY_MS: i64 = 1_610_064_000_000;

/// One BTC-USD print every 10 minutes for the whole UTC day of 2021-01-08
/// (00:00 to 23:50, 144 prints): 40,000.00 and 40,010.00 in turn; 1 BTC each
/// before noon, 3 BTC each after.
fn write_day(dir: &Path) -> PathBuf {
    let mut t = String::from("timestamp,price,qty\n");
    for k in 0..144i64 {
        let px = if k % 2 == 0 { "40000.00" } else { "40010.00" };
        let qty = if k < 72 { 1 } else { 3 };
        writeln!(t, "{},{px},{qty}", DAY_MS + k * 600_000).unwrap();
    }
    let p = dir.join("day.csv");
    std::fs::write(&p, t).unwrap();
    p
}

fn calibrate_json(data: &Path, args: &[&str]) -> Value {
    let out = blotter(data).arg("calibrate").args(args).arg("--json").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn coefficient(doc: &Value, name: &str) -> (f64, String) {
    let c = doc["coefficients"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap();
    (c["value"].as_f64().unwrap(), c["from"].as_str().unwrap().to_string())
}

#[test]
fn a_whole_recorded_day_gives_the_figures_worked_out_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let day = write_day(dir.path());
    let out = dir.path().join("btc.toml");
    let doc = calibrate_json(
        dir.path(),
        &["--symbol", "BTC-USD", "--trades", day.to_str().unwrap(), "--out", out.to_str().unwrap()],
    );
    // Volume: 72 x 1 + 72 x 3 = 288 BTC over the whole session: the ADV.
    assert_eq!(coefficient(&doc, "adv"), (288.0, "recording".into()));
    // VWAP: 40,000 and 40,010 each carry 144 BTC: 40,005.
    assert_eq!(coefficient(&doc, "ref_price").0, 40_005.0);
    // Mean print: 288 / 144 = 2.
    assert_eq!(coefficient(&doc, "avg_trade_size").0, 2.0);
    // Volatility: on the 5-minute grid over the day (288 returns; the last
    // print, 10 minutes before the close, counts as covering it), the 143
    // returns with a new print alternate +-r = ln(40,010 / 40,000), the rest
    // are 0. That is pure bid-ask bounce: squares 143 r^2, products of
    // consecutive returns with a new print 142 x -r^2, 143 r^2 - 2 x 142 r^2
    // < 0, so zero (the plain estimate was sqrt(143) r = 0.30% a day, all
    // bounce), and the universe's 3% stands.
    let (vol, from) = coefficient(&doc, "daily_vol");
    assert_eq!((vol, from.as_str()), (0.03, "universe"));
    assert_eq!(doc["estimates"]["volatility"]["returns"], 143);
    assert_eq!(doc["estimates"]["volatility"]["daily"], 0.0);
    assert_eq!(doc["estimates"]["whole_sessions"], 1);
    // Spread (no quotes): Roll on the 143 changes alternating +10, -10: in
    // the 142 consecutive pairs both means are 0 and every product -100, so
    // cov = -100 and the spread 2 x sqrt(100) = 20, on 40,005: 4.999375 bps.
    let (spread, _) = coefficient(&doc, "spread_bps");
    assert!((spread - 4.999_375_078_1).abs() < 1e-6, "{spread}");
    // Depth without quotes: the universe's 3 / 0.05 = 60 trades at 2 BTC.
    assert_eq!(coefficient(&doc, "touch_depth").0, 120.0);
    // Profile, 48 half hours: 3 BTC in each morning one (3 / 288 = 1/96),
    // 9 BTC in each afternoon one (9 / 288 = 1/32).
    let shares: Vec<f64> =
        doc["volume_profile"]["shares"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(shares.len(), 48);
    assert!(shares[..24].iter().all(|s| (s - 1.0 / 96.0).abs() < 1e-12), "{shares:?}");
    assert!(shares[24..].iter().all(|s| (s - 1.0 / 32.0).abs() < 1e-12), "{shares:?}");
    assert!(doc["impact"].is_null());

    // The file it wrote replaces the built-in entry under --universe.
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("adv = \"288\"") && text.contains("ref_price = \"40005\""), "{text}");
    let run = blotter(dir.path())
        .args(["schedule", "--symbol", "BTC-USD", "--side", "buy", "--qty", "2.88", "--algo", "vwap"])
        .args(["--date", "2021-01-08", "--universe", out.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let s: Value = serde_json::from_slice(&run.stdout).unwrap();
    // The pre-trade estimate works from the calibrated figures.
    let ctx = &s["estimate"]["context"];
    assert_eq!((ctx["adv"].as_f64(), ctx["price"].as_f64()), (Some(288.0), Some(40_005.0)), "{ctx}");
    assert!((ctx["sigma"].as_f64().unwrap() - vol).abs() < 1e-12, "{ctx}");
}

#[test]
fn the_impact_coefficient_comes_from_our_orders_in_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let day = write_day(dir.path());
    let db = format!("sqlite:{}", dir.path().join("ledger.db").display());
    let run = |qty: &str, side: &str, start: &str| {
        let out = blotter(dir.path())
            .args(["run", "--symbol", "BTC-USD", "--side", side, "--qty", qty, "--algo", "twap"])
            .args(["--start", start, "--end", "23:59", "--trades", day.to_str().unwrap(), "--db", &db])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    run("2", "buy", "01:00");
    run("4", "sell", "02:00");
    // Two orders: too few to fit.
    let out = blotter(dir.path())
        .args(["calibrate", "--symbol", "BTC-USD", "--trades", day.to_str().unwrap(), "--db", &db])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--db") && err.contains("2 finished order(s)") && err.contains("at least 5"), "{err}");
    run("8", "buy", "03:00");
    run("16", "sell", "04:00");
    run("30", "buy", "05:00");
    let doc = calibrate_json(dir.path(), &["--symbol", "BTC-USD", "--trades", day.to_str().unwrap(), "--db", &db]);
    assert_eq!(doc["impact"]["orders"], 5, "{doc}");
    let y = doc["impact"]["y"].as_f64().unwrap();
    assert!(y.is_finite() && doc["impact"]["std_err"].as_f64().unwrap() >= 0.0, "{doc}");
}

#[test]
fn bad_or_too_short_recordings_say_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let fail = |args: &[&str]| {
        let out = blotter(dir.path()).arg("calibrate").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
        assert!(out.stdout.is_empty());
        String::from_utf8(out.stderr).unwrap()
    };
    // Ten minutes of prints, one a second.
    let short = dir.path().join("short.csv");
    let mut t = String::from("timestamp,price,qty\n");
    for k in 0..600i64 {
        writeln!(t, "{},{},1", DAY_MS + k * 1_000, 40_000 + k % 3).unwrap();
    }
    std::fs::write(&short, t).unwrap();
    let e = fail(&["--symbol", "BTC-USD", "--trades", short.to_str().unwrap()]);
    assert!(
        e.contains("too short to calibrate BTC-USD") && e.contains("30 min of session time (it covers 10 min)"),
        "{e}"
    );
    // A malformed row is named by file, line and column.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "timestamp,price,qty\n1610064000000,40000,1\n1610064001000,4OOOO,1\n").unwrap();
    let e = fail(&["--symbol", "BTC-USD", "--trades", bad.to_str().unwrap()]);
    assert!(e.contains("bad.csv:3: column 'price'"), "{e}");
    // Equity prints on a Saturday: nothing inside a session.
    let sat = dir.path().join("sat.csv");
    std::fs::write(&sat, "timestamp,price,qty\n2026-11-28T15:00:00Z,100,10\n").unwrap();
    let e = fail(&["--symbol", "AAPL", "--trades", sat.to_str().unwrap()]);
    assert!(e.contains("none of the 1 prints falls inside a US equity session"), "{e}");
    // An unknown symbol, and no recording at all.
    let e = fail(&["--symbol", "NOPE", "--trades", short.to_str().unwrap()]);
    assert!(e.contains("--symbol") && e.contains("unknown symbol 'NOPE'"), "{e}");
    let out = blotter(dir.path()).args(["calibrate", "--symbol", "BTC-USD"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--trades"));
}

/// `--simulated` sweeps the simulated market instead of reading a recording:
/// one full AAPL day (TWAP at 1% of ADV, one seed) gives one cell whose
/// estimate and realised cost are both there; bad sweeps are refused before
/// anything runs, naming the flag, and a recording beside it is refused.
#[test]
fn simulated_calibration_prints_estimate_against_realised_and_refuses_bad_sweeps() {
    let dir = tempfile::tempdir().unwrap();
    let out = blotter(dir.path())
        .args(["calibrate", "--simulated", "--symbol", "AAPL", "--algos", "twap", "--sizes", "1", "--seeds", "1"])
        .args(["--threads", "1", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cell = &v["cells_with_defaults"][0];
    assert_eq!(cell["algo"], "twap");
    assert_eq!(cell["size"].as_f64(), Some(0.01));
    // Impact of 1% of ADV: at least the permanent part's (2/3) x 0.6 x 160 bps x 0.1 = 6.4 bps, less than 1.5x it.
    let realised = cell["realised_bps"].as_f64().unwrap();
    assert!((6.0..12.0).contains(&realised), "{realised}");
    assert!(cell["estimate_bps"].as_f64().unwrap() > 0.0);
    let fail = |args: &[&str]| {
        let out =
            blotter(dir.path()).args(["calibrate", "--simulated", "--symbol", "AAPL"]).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    assert!(fail(&["--sizes", "0"]).contains("--sizes: '0' is not a percentage of ADV in (0, 100]"));
    assert!(fail(&["--algos", "moc"]).contains("allowed: twap, vwap, pov, is"));
    assert!(fail(&["--seeds", "0"]).contains("--seeds"));
    assert!(fail(&["--trades", "x.csv"]).contains("cannot be used with"));
}
