//! `blotter tca --orders`: many orders with their own timelines over
//! multi-symbol market data, through the real binary and files.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn blotter() -> Command {
    Command::cargo_bin("blotter").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Monday-to-Wednesday tape of IR (New York times), the CFA curriculum's example.
const IR_TAPE: &str = "timestamp,symbol,price,qty\n\
    2026-11-23T15:30:00-05:00,IR,9.98,800\n\
    2026-11-23T16:00:00-05:00,IR,10.00,3000\n\
    2026-11-24T10:00:00-05:00,IR,9.99,1000\n\
    2026-11-24T16:00:00-05:00,IR,10.05,2500\n\
    2026-11-25T09:30:00-05:00,IR,10.06,500\n\
    2026-11-25T11:00:00-05:00,IR,10.07,1000\n\
    2026-11-25T14:00:00-05:00,IR,10.09,500\n\
    2026-11-25T16:00:00-05:00,IR,10.08,2000\n\
    2026-11-26T09:30:00-05:00,IR,10.20,100\n";

/// The CFA curriculum's implementation shortfall example from files.
///
/// Decided at Monday's close (10.00), not traded Tuesday (close 10.05), sent
/// Wednesday before the open (arrival = the last print, Tuesday's close 10.05),
/// 700 bought at 10.07 with 14.00 of commissions, the rest cancelled at
/// Wednesday's close (10.08).
///   delay       (10.05 - 10.00) x 700 = 35.00
///   trading     (10.07 - 10.05) x 700 = 14.00
///   opportunity (10.08 - 10.00) x 300 = 24.00
///   fees                               14.00
///   total                              87.00 = 87 bps of 10,000.00
#[test]
fn cfa_worked_example_from_files() {
    let d = tempfile::tempdir().unwrap();
    let orders = write(
        d.path(),
        "orders.csv",
        "order_id,symbol,side,qty,arrival,end,decision_time,broker\n\
         IR1,IR,buy,1000,2026-11-25T09:00:00-05:00,2026-11-25T16:00:00-05:00,2026-11-23T16:00:00-05:00,GS\n",
    );
    let fills =
        write(d.path(), "fills.csv", "order_id,timestamp,price,qty,fee\nIR1,2026-11-25T11:00:00-05:00,10.07,700,14\n");
    let trades = write(d.path(), "trades.csv", IR_TAPE);
    let out = blotter()
        .args(["tca", "--orders", s(&orders), "--fills", s(&fills), "--trades", s(&trades), "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let o = &v["orders"][0]["tca"];
    assert_eq!(
        (o["decision_px"].as_f64(), o["arrival_px"].as_f64(), o["end_px"].as_f64()),
        (Some(10.0), Some(10.05), Some(10.08))
    );
    let sf = &o["implementation_shortfall"];
    let parts: Vec<f64> =
        ["delay", "trading", "opportunity", "fees", "total"].iter().map(|k| sf[k].as_f64().unwrap()).collect();
    assert_eq!(parts, vec![35.0, 14.0, 24.0, 14.0, 87.0]);
    assert_eq!(sf["paper_notional"].as_f64(), Some(10_000.0));
    assert_eq!(v["total"]["shortfall"].as_f64(), Some(87.0));
    assert_eq!(v["issues"].as_array().unwrap().len(), 0);
    // The text form says the same, with the zone of its times.
    let text = blotter()
        .args(["tca", "--orders", s(&orders), "--fills", s(&fills), "--trades", s(&trades), "--tz", "America/New_York"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("times in America/New_York"), "{text}");
    assert!(text.contains("shortfall 87.00 = +87.00"), "{text}");
    assert!(text.contains("delay +35.00, trading +14.00, opportunity +24.00, fees +14.00 bps"), "{text}");
    assert!(text.contains("2026-11-25 09:00:00"), "arrival shown in New York time: {text}");
}

/// Two symbols: AAA in a shared file with a symbol column (which also holds
/// ZZZ, needed by no order), BBB in its own file given as BBB=FILE, BBB's
/// quotes for mids. AAA buy 100 arriving at 10:00 (last print 50.00) filled at
/// 50.05: 10 bps against arrival. BBB sell 200 arriving at 10:00, mid
/// (19.98 + 20.02) / 2 = 20.00, filled at 19.99: 5 bps.
#[test]
fn several_symbols_shared_and_per_symbol_files_and_quotes() {
    let d = tempfile::tempdir().unwrap();
    let orders = write(
        d.path(),
        "orders.csv",
        "order_id,symbol,side,qty,arrival,end,broker,algo\n\
         A,AAA,buy,100,2026-11-25T10:00:00Z,2026-11-25T10:30:00Z,GS,VWAP\n\
         B,BBB,sell,200,2026-11-25T10:00:00Z,2026-11-25T10:30:00Z,MS,VWAP\n",
    );
    let fills = write(
        d.path(),
        "fills.csv",
        "order_id,timestamp,price,qty,venue\nA,2026-11-25T10:10:00Z,50.05,100,XNAS\nB,2026-11-25T10:10:00Z,19.99,200,XNYS\n",
    );
    let shared = write(
        d.path(),
        "shared.csv",
        "timestamp,symbol,price,qty\n\
         2026-11-25T09:59:00Z,AAA,50.00,100\n2026-11-25T09:59:30Z,ZZZ,1.00,5\n\
         2026-11-25T10:20:00Z,AAA,50.10,300\n2026-11-25T11:00:00Z,AAA,50.10,1\n",
    );
    let bbb = write(
        d.path(),
        "bbb.csv",
        "2026-11-25T09:59:00Z,20.01,100\n2026-11-25T10:20:00Z,19.97,800\n2026-11-25T11:00:00Z,19.97,1\n",
    );
    let quotes = write(
        d.path(),
        "quotes.csv",
        "timestamp,symbol,bid,bid_size,ask,ask_size\n2026-11-25T09:59:50Z,BBB,19.98,10,20.02,10\n2026-11-25T10:40:00Z,BBB,19.96,10,19.98,10\n",
    );
    let out = blotter()
        .args(["tca", "--orders", s(&orders), "--fills", s(&fills), "--json", "--group-by", "broker,symbol"])
        .args(["--trades", s(&shared), "--trades", &format!("BBB={}", s(&bbb)), "--quotes", s(&quotes)])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let arr: Vec<f64> =
        v["orders"].as_array().unwrap().iter().map(|o| o["tca"]["arrival_slippage_bps"].as_f64().unwrap()).collect();
    assert!((arr[0] - 10.0).abs() < 1e-9 && (arr[1] - 5.0).abs() < 1e-9, "{arr:?}");
    assert_eq!(v["orders"][1]["price_source"], "mid");
    assert_eq!(v["orders"][0]["price_source"], "last_trade");
    // BBB's interval VWAP is its own file's print inside [10:00, 10:30]: 19.97.
    assert_eq!(v["orders"][1]["tca"]["interval_vwap"].as_f64(), Some(19.97));
    let g = &v["groupings"][0];
    assert_eq!(g["dims"], serde_json::json!(["broker", "symbol"]));
    let keys: Vec<String> = g["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect::<Vec<_>>().join("/"))
        .collect();
    // Largest paper first: A 100 x 50.00 = 5,000; B 200 x 20.00 = 4,000.
    assert_eq!(keys, vec!["GS/AAA", "MS/BBB"]);
}

/// Every kind of issue, each named with its file and line; the analysis goes on
/// without them unless --strict.
#[test]
fn issues_are_listed_with_file_and_line_and_strict_makes_them_fatal() {
    let d = tempfile::tempdir().unwrap();
    let orders = write(
        d.path(),
        "orders.csv",
        "order_id,symbol,side,qty,arrival,end\n\
         OK,AAA,buy,100,2026-11-25T10:00:00Z,2026-11-25T11:00:00Z\n\
         OVER,AAA,buy,100,2026-11-25T10:00:00Z,2026-11-25T11:00:00Z\n\
         NODATA,QQQ,buy,100,2026-11-25T10:00:00Z,2026-11-25T11:00:00Z\n",
    );
    let fills = write(
        d.path(),
        "fills.csv",
        "order_id,timestamp,price,qty\n\
         OK,2026-11-25T10:30:00Z,50,50\n\
         GHOST,2026-11-25T10:30:00Z,50,50\n\
         OK,2026-11-25T11:00:01Z,50,10\n\
         OVER,2026-11-25T10:30:00Z,50,60\n\
         OVER,2026-11-25T10:31:00Z,50,60\n",
    );
    let trades = write(
        d.path(),
        "trades.csv",
        "timestamp,symbol,price,qty\n2026-11-25T09:00:00Z,AAA,50,1\n2026-11-25T12:00:00Z,AAA,50,1\n",
    );
    let base = |c: &mut Command| {
        c.args(["tca", "--orders", s(&orders), "--fills", s(&fills), "--trades", s(&trades)]);
    };
    let mut c = blotter();
    base(&mut c);
    let out = c.arg("--json").assert().success().get_output().stdout.clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["orders"].as_array().unwrap().len(), 1);
    assert_eq!(v["orders"][0]["tca"]["filled_qty"].as_f64(), Some(50.0));
    let issues: Vec<(String, String, u64)> = v["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap().to_string(),
                i["source"]["file"].as_str().unwrap().rsplit('/').next().unwrap().to_string(),
                i["source"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = [
        ("over_filled", "orders.csv", 3),
        ("no_market_data", "orders.csv", 4),
        ("unknown_order", "fills.csv", 3),
        ("fill_outside_window", "fills.csv", 4),
    ];
    for (k, f, l) in want {
        assert!(issues.contains(&(k.to_string(), f.to_string(), l)), "{k} {f}:{l} missing from {issues:?}");
    }
    assert_eq!(issues.len(), 4);
    // --strict: exit 2, every issue on stderr, nothing on stdout.
    let mut c = blotter();
    base(&mut c);
    let out = c.arg("--strict").assert().code(2).get_output().clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.stdout.is_empty());
    assert!(err.contains("fills.csv:3: order id 'GHOST' is not among the orders"), "{err}");
    assert!(err.contains("fills.csv:4: fill at 2026-11-25T11:00:01"), "{err}");
    assert!(err.contains("orders.csv:3: its fills add up to 120, above the order's qty 100"), "{err}");
    assert!(err.contains("orders.csv:4: QQQ has no market data"), "{err}");
    assert!(err.contains("--strict makes them fatal"), "{err}");
}

#[test]
fn malformed_input_is_refused_naming_file_line_and_column() {
    let d = tempfile::tempdir().unwrap();
    let fills = write(d.path(), "fills.csv", "order_id,timestamp,price,qty\n");
    let trades = write(d.path(), "trades.csv", "timestamp,symbol,price,qty\n2026-11-25T09:00:00Z,AAA,50,1\n");
    let run = |orders: &str, trades: &Path| {
        let o = write(d.path(), "orders.csv", orders);
        let out = blotter()
            .args(["tca", "--orders", s(&o), "--fills", s(&fills), "--trades", s(trades)])
            .assert()
            .code(2)
            .get_output()
            .clone();
        assert!(out.stdout.is_empty());
        String::from_utf8(out.stderr).unwrap()
    };
    let e =
        run("order_id,symbol,side,qty,arrival,end\nA,AAA,buy,100,2026-11-25T10:00:00Z,2026-11-25T09:00:00Z\n", &trades);
    assert!(e.contains("orders.csv:2: column 'end'") && e.contains("is before the arrival"), "{e}");
    let e =
        run("order_id,symbol,side,qty,arrival,end\nA,AAA,buy,-5,2026-11-25T10:00:00Z,2026-11-25T11:00:00Z\n", &trades);
    assert!(e.contains("orders.csv:2: column 'qty'"), "{e}");
    let good = "order_id,symbol,side,qty,arrival,end\nA,AAA,buy,100,2026-11-25T10:00:00Z,2026-11-25T11:00:00Z\n";
    let unsorted = write(
        d.path(),
        "u.csv",
        "timestamp,symbol,price,qty\n2026-11-25T09:00:00Z,AAA,50,1\n2026-11-25T08:00:00Z,AAA,50,1\n",
    );
    let e = run(good, &unsorted);
    assert!(e.contains("--trades:") && e.contains("u.csv:3: column 'timestamp'") && e.contains("time order"), "{e}");
    let nosym = write(d.path(), "n.csv", "timestamp,price,qty\n2026-11-25T09:00:00Z,50,1\n");
    let e = run(good, &nosym);
    assert!(e.contains("SYMBOL=FILE"), "{e}");
}

/// One order with its own timeline: arrival at 10:00:01 takes the 10:00:00 print (100),
/// the decision at 09:59:00 the 09:59:00 print (99.50), the end at 10:05 the 10:04 print
/// (101) for the 500 unfilled. Buy 1,000, 500 filled at 100.40:
/// delay 0.50 x 500 = 250; trading 0.40 x 500 = 200; opportunity (101 - 99.50) x 500 = 750.
#[test]
fn single_order_with_arrival_end_and_decision_time() {
    let d = tempfile::tempdir().unwrap();
    let trades = write(
        d.path(),
        "t.csv",
        "timestamp,price,qty\n2026-11-25T09:59:00Z,99.50,10\n2026-11-25T10:00:00Z,100,10\n2026-11-25T10:04:00Z,101,10\n2026-11-25T10:09:00Z,102,10\n",
    );
    let fills = write(d.path(), "f.csv", "timestamp,price,qty\n2026-11-25T10:02:00Z,100.40,500\n");
    let out = blotter()
        .args(["tca", "--side", "buy", "--qty", "1000", "--fills", s(&fills), "--trades", s(&trades), "--json"])
        .args([
            "--arrival",
            "2026-11-25T10:00:01Z",
            "--end",
            "2026-11-25T10:05:00Z",
            "--decision-time",
            "2026-11-25T09:59:00Z",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let sf = &v["implementation_shortfall"];
    assert_eq!(
        (sf["delay"].as_f64(), sf["trading"].as_f64(), sf["opportunity"].as_f64()),
        (Some(250.0), Some(200.0), Some(750.0))
    );
    // A fill after --end is refused with the flag named.
    let out = blotter()
        .args(["tca", "--side", "buy", "--qty", "1000", "--fills", s(&fills), "--trades", s(&trades)])
        .args(["--end", "2026-11-25T10:01:00Z"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8(out).unwrap().contains("--end: 2026-11-25T10:01:00"));
    // The many-order flags need --orders.
    let out = blotter()
        .args(["tca", "--side", "buy", "--qty", "1000", "--fills", s(&fills), "--trades", s(&trades), "--strict"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8(out).unwrap().contains("--strict: needs --orders"));
}

/// Frames a FIX body with '|' the way a sender does (BodyLength, CheckSum with SOH counted as 1).
fn fix(body: &str) -> String {
    let head = format!("8=FIX.4.4|9={}|", body.len());
    let sum: u32 = format!("{head}{body}").chars().map(|c| if c == '|' { 1 } else { c as u32 }).sum();
    format!("{head}{body}10={:03}|", sum % 256)
}

/// A drop copy: buy 1,000 IR at 09:00 New York, 700 filled at 10.07 (commission
/// 14.00) after a busted 100 @ 10.50, cancelled at the close. The same figures as
/// the CFA example, without a decision time (so the decision price is the arrival,
/// 10.05): trading (10.07 - 10.05) x 700 = 14.00; opportunity (10.08 - 10.05) x 300 = 9.00; fees 14.00.
#[test]
fn a_fix_drop_copy_with_a_bust() {
    let d = tempfile::tempdir().unwrap();
    let log = [
        fix("35=D|49=US|56=GS|34=1|52=20261125-14:00:00|11=IR1|55=IR|54=1|38=1000|40=1|60=20261125-14:00:00|453=1|448=GSCO|447=D|452=1|"),
        fix("35=8|49=GS|56=US|34=2|52=20261125-15:00:00|37=G1|11=IR1|17=E1|150=F|39=1|55=IR|54=1|31=10.50|32=100|60=20261125-15:00:00|"),
        fix("35=8|49=GS|56=US|34=3|52=20261125-16:00:00|37=G1|11=IR1|17=E2|150=F|39=1|55=IR|54=1|31=10.07|32=700|12=14|13=3|30=XNYS|60=20261125-16:00:00|"),
        fix("35=8|49=GS|56=US|34=4|52=20261125-16:05:00|37=G1|11=IR1|17=E3|19=E1|150=H|39=1|55=IR|54=1|60=20261125-16:05:00|"),
        fix("35=8|49=GS|56=US|34=5|52=20261125-21:00:00|37=G1|11=IR1|17=E4|150=4|39=4|55=IR|54=1|60=20261125-21:00:00|"),
    ]
    .join("\n");
    let log_path = write(d.path(), "dc.log", &log);
    let trades = write(d.path(), "trades.csv", IR_TAPE);
    let out = blotter()
        .args(["tca", "--fix", s(&log_path), "--trades", s(&trades), "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["drop_copy"]["busts"].as_u64(), Some(1));
    assert_eq!(v["orders"][0]["order"]["broker"], "GSCO");
    let sf = &v["orders"][0]["tca"]["implementation_shortfall"];
    let parts: Vec<f64> =
        ["delay", "trading", "opportunity", "fees", "total"].iter().map(|k| sf[k].as_f64().unwrap()).collect();
    assert_eq!(parts, vec![0.0, 14.0, 9.0, 14.0, 37.0]);
    // A hand-edited checksum is refused with its line, unless the check is turned off.
    let edited = log.replacen("31=10.07", "31=10.08", 1);
    let log_path = write(d.path(), "edited.log", &edited);
    let err = blotter()
        .args(["tca", "--fix", s(&log_path), "--trades", s(&trades)])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("edited.log:3: CheckSum (10) says"), "{err}");
    blotter().args(["tca", "--fix", s(&log_path), "--trades", s(&trades), "--fix-no-checksum"]).assert().success();
}
