use super::*;
use crate::market::replay::csv::parse_time;

/// Frames a message body (fields after BodyLength, each ended by `delim`) the
/// way a sender does: BodyLength is the body's bytes, CheckSum the byte sum of
/// everything before it mod 256, each delimiter counted as SOH (1).
fn frame(version: &str, body: &str, delim: char) -> String {
    let body = body.replace('|', &delim.to_string());
    let head = format!("8={version}{delim}9={}{delim}", body.len());
    let soh = |s: &str| s.chars().map(|c| if c == delim { 1 } else { c as u32 }).sum::<u32>();
    let sum = (soh(&head) + soh(&body)) % 256;
    format!("{head}{body}10={sum:03}{delim}")
}

fn t(s: &str) -> Timestamp {
    parse_time(s).unwrap()
}

/// A hand-written day: a FIX 4.4 order with a correction, a bust, a resent
/// execution and a cancel ('|' between fields, QuickFIX-style prefixes on some
/// lines); a FIX 4.2 order (SOH) corrected the 4.2 way (ExecTransType 2); an
/// order known only from its execution reports.
fn log() -> String {
    let f44 = |b: &str| frame("FIX.4.4", b, '|');
    let f42 = |b: &str| frame("FIX.4.2", b, '\u{1}');
    [
        f44("35=A|49=DC|56=US|34=1|52=20261125-14:00:00|98=0|108=30|"),
        // The order: broker and trader from Parties, algo VWAP, desk EQ1, limit 191.50.
        format!(
            "20261125-14:30:00.001 : {}",
            f44("35=D|49=US|56=GSCO|34=2|52=20261125-14:30:00.001|11=A1|55=AAPL|54=1|38=1000|40=2|44=191.50|60=20261125-14:30:00|453=2|448=GSCO|447=D|452=1|448=jsmith|447=D|452=11|847=1|284=EQ1|")
        ),
        f44("35=8|49=GSCO|56=US|34=3|52=20261125-14:30:01|37=X1|11=A1|17=E0|150=0|39=0|55=AAPL|54=1|38=1000|60=20261125-14:30:01|"),
        // 300 @ 191.20 on XNAS, commission 0.01 per share = 3.00.
        f44("35=8|49=GSCO|56=US|34=4|52=20261125-14:35:00|37=X1|11=A1|17=E1|150=F|39=1|55=AAPL|54=1|31=191.20|32=300|30=XNAS|12=0.01|13=1|60=20261125-14:35:00|"),
        // 200 @ 191.30 on ARCX, commission 2.50 absolute and a 0.10 exchange fee.
        f44("35=8|49=GSCO|56=US|34=5|52=20261125-14:40:00|37=X1|11=A1|17=E2|150=F|39=1|55=AAPL|54=1|31=191.30|32=200|30=ARCX|12=2.50|13=3|136=1|137=0.10|139=4|891=0|60=20261125-14:40:00|"),
        // The broker corrects E1 to 191.25.
        f44("35=8|49=GSCO|56=US|34=6|52=20261125-14:45:00|37=X1|11=A1|17=E3|19=E1|150=G|39=1|55=AAPL|54=1|31=191.25|32=300|30=XNAS|12=0.01|13=1|60=20261125-14:45:00|"),
        f44("35=8|49=GSCO|56=US|34=7|52=20261125-14:50:00|37=X1|11=A1|17=E4|150=F|39=1|55=AAPL|54=1|31=191.40|32=100|30=XNAS|60=20261125-14:50:00|"),
        // ... and busts E4.
        f44("35=8|49=GSCO|56=US|34=8|52=20261125-14:51:00|37=X1|11=A1|17=E5|19=E4|150=H|39=1|55=AAPL|54=1|31=191.40|32=100|60=20261125-14:51:00|"),
        // E2 resent.
        f44("35=8|49=GSCO|56=US|34=9|43=Y|52=20261125-14:52:00|37=X1|11=A1|17=E2|150=F|39=1|55=AAPL|54=1|31=191.30|32=200|30=ARCX|60=20261125-14:40:00|"),
        // The rest is cancelled at 15:00.
        f44("35=8|49=GSCO|56=US|34=10|52=20261125-15:00:00|37=X1|11=A1|17=E6|150=4|39=4|55=AAPL|54=1|60=20261125-15:00:00|"),
        // FIX 4.2: sell 500 MSFT through MSCO, filled in one go, the fill corrected from 500 to 400 (ExecTransType 2).
        f42("35=D|49=US|56=MSCO|34=11|52=20261125-15:10:00|11=B1|55=MSFT|54=2|38=500|40=1|76=MSCO|60=20261125-15:10:00|"),
        f42("35=8|49=MSCO|56=US|34=12|52=20261125-15:11:00|37=Y1|11=B1|17=F1|20=0|150=2|39=2|55=MSFT|54=2|31=410.10|32=500|30=XNYS|60=20261125-15:11:00|"),
        f42("35=8|49=MSCO|56=US|34=13|52=20261125-15:20:00|37=Y1|11=B1|17=F2|19=F1|20=2|150=2|39=2|55=MSFT|54=2|31=410.10|32=400|30=XNYS|60=20261125-15:20:00|"),
        // Known only from its execution reports: opened by the first one.
        f44("35=8|49=JPM|56=US|34=14|52=20261125-15:30:00|37=Z1|11=C1|17=G0|150=0|39=0|55=SPY|54=1|38=50|60=20261125-15:30:00|115=JPMS|"),
        f44("35=8|49=JPM|56=US|34=15|52=20261125-15:31:00|37=Z1|17=G1|150=F|39=1|55=SPY|54=1|31=600|32=20|60=20261125-15:31:00|"),
        "garbage line between messages".to_string(),
    ]
    .join("\n")
}

#[test]
fn a_day_of_drop_copies_with_a_correction_and_a_bust() {
    let d = read("dc.log", &log(), true).unwrap();
    assert_eq!(d.orders.len(), 3);
    let a = &d.orders[0];
    assert_eq!((a.id.as_str(), a.symbol.as_str(), a.side, a.qty), ("A1", "AAPL", Side::Buy, Qty::from_int(1000)));
    assert_eq!((a.arrival, a.end), (t("2026-11-25T14:30:00Z"), t("2026-11-25T15:00:00Z")));
    assert_eq!(
        (a.broker.as_deref(), a.trader.as_deref(), a.algo.as_deref(), a.desk.as_deref()),
        (Some("GSCO"), Some("jsmith"), Some("VWAP"), Some("EQ1"))
    );
    assert_eq!(a.limit_px, Some("191.5".parse().unwrap()));
    assert_eq!(a.source.line, 2);
    let fa: Vec<&FillSpec> = d.fills.iter().filter(|f| f.order_id == "A1").collect();
    assert_eq!(fa.len(), 2, "E4 was busted and E2's resend skipped");
    // E1 as corrected: 300 @ 191.25, its time and venue the original's, commission 0.01 x 300.
    assert_eq!(
        (fa[0].exec.px, fa[0].exec.qty, fa[0].exec.ts),
        ("191.25".parse().unwrap(), Qty::from_int(300), t("2026-11-25T14:35:00Z"))
    );
    assert_eq!((fa[0].exec.venue.as_deref(), fa[0].exec.fee), (Some("XNAS"), Money::parse("3").unwrap()));
    // E2: 2.50 commission + 0.10 exchange fee.
    assert_eq!(
        (fa[1].exec.px, fa[1].exec.fee, fa[1].exec.venue.as_deref()),
        ("191.3".parse().unwrap(), Money::parse("2.6").unwrap(), Some("ARCX"))
    );
    let b = &d.orders[1];
    assert_eq!((b.side, b.broker.as_deref(), b.end), (Side::Sell, Some("MSCO"), t("2026-11-25T15:11:00Z")));
    let fb: Vec<&FillSpec> = d.fills.iter().filter(|f| f.order_id == "B1").collect();
    assert_eq!(fb.iter().map(|f| f.exec.qty).collect::<Vec<_>>(), vec![Qty::from_int(400)]);
    let c = &d.orders[2];
    assert_eq!((c.id.as_str(), c.qty, c.broker.as_deref()), ("C1", Qty::from_int(50), Some("JPMS")));
    assert_eq!(c.arrival, t("2026-11-25T15:30:00Z"));
    // Never ended: its last message.
    assert_eq!(c.end, t("2026-11-25T15:31:00Z"));
    assert_eq!(d.fills.iter().filter(|f| f.order_id == "C1").count(), 1, "found by OrderID 37 alone");
    let s = d.stats;
    assert_eq!(
        (s.messages, s.orders, s.executions, s.busts, s.corrections, s.duplicates, s.other),
        (15, 3, 5, 1, 2, 1, 1)
    );
}

#[test]
fn replaces_follow_the_client_order_id_chain_and_rejects_drop_the_order() {
    let f = |b: &str| frame("FIX.4.4", b, '|');
    let text = [
        f("35=D|49=US|56=B|34=1|52=20261125-14:30:00|11=R1|55=IBM|54=1|38=100|60=20261125-14:30:00|"),
        f("35=8|49=B|56=US|34=2|52=20261125-14:31:00|37=O1|11=R2|41=R1|17=E1|150=5|39=0|55=IBM|54=1|38=300|60=20261125-14:31:00|"),
        f("35=8|49=B|56=US|34=3|52=20261125-14:32:00|11=R2|17=E2|150=F|39=1|55=IBM|54=1|31=250|32=150|60=20261125-14:32:00|"),
        f("35=D|49=US|56=B|34=4|52=20261125-14:33:00|11=Q1|55=IBM|54=2|38=10|60=20261125-14:33:00|"),
        f("35=8|49=B|56=US|34=5|52=20261125-14:33:01|11=Q1|17=E3|150=8|39=8|55=IBM|54=2|58=no shorts|60=20261125-14:33:01|"),
    ]
    .join("\n");
    let d = read("r.log", &text, true).unwrap();
    assert_eq!(d.orders.len(), 1);
    assert_eq!(d.orders[0].qty, Qty::from_int(300), "the replace raised the quantity");
    assert_eq!(d.fills[0].order_id, "R1", "found through OrigClOrdID");
    assert_eq!(d.stats.rejected, 1);
}

#[test]
fn broken_logs_name_the_line_and_what_to_fix() {
    let f = |b: &str| frame("FIX.4.4", b, '|');
    let d = f("35=D|49=US|56=B|34=1|52=20261125-14:30:00|11=A|55=IBM|54=1|38=100|60=20261125-14:30:00|");
    let mut bad_sum = d.clone();
    bad_sum.truncate(bad_sum.len() - 4);
    bad_sum.push_str("000|");
    let e = read("x.log", &format!("\n{bad_sum}"), true).unwrap_err();
    assert_eq!(e.at.line, 2);
    assert!(e.message.starts_with("CheckSum (10) says 000 but the message sums to"), "{e}");
    assert!(read("x.log", &bad_sum, false).is_ok(), "the check can be turned off for hand-edited logs");

    let orphan =
        f("35=8|49=B|56=US|34=2|52=20261125-14:31:00|11=A|17=E9|19=E7|150=H|39=0|55=IBM|54=1|60=20261125-14:31:00|");
    let e = read("x.log", &format!("{d}\n{orphan}"), true).unwrap_err();
    assert!(e.to_string().starts_with("x.log:2: ExecRefID (19) 'E7' names no execution"), "{e}");

    let no_qty = f(
        "35=8|49=B|56=US|34=2|52=20261125-14:31:00|11=Z|17=E1|150=F|39=1|55=IBM|54=1|31=1|32=1|60=20261125-14:31:00|",
    );
    let e = read("x.log", &no_qty, true).unwrap_err();
    assert!(e.message.contains("OrderQty (38) is missing"), "{e}");

    let bad_time = f("35=D|49=US|56=B|34=1|52=20261125-14:30:00|11=A|55=IBM|54=1|38=100|60=2026-11-25 14:30|");
    assert!(
        read("x.log", &bad_time, true).unwrap_err().message.contains("tag 60 '2026-11-25 14:30' is not a UTCTimestamp")
    );

    let short_group = f(
        "35=D|49=US|56=B|34=1|52=20261125-14:30:00|11=A|55=IBM|54=1|38=100|60=20261125-14:30:00|453=2|448=GS|447=D|452=1|",
    );
    let e = read("x.log", &short_group, true).unwrap_err();
    assert!(e.message.contains("453 declares 2 entries but 1 follow"), "{e}");
    // A count that is not a number is an error with its line (fefix 0.7 and hotfix-encoding panic here).
    let bad_count = f(
        "35=D|49=US|56=B|34=1|52=20261125-14:30:00|11=A|55=IBM|54=1|38=100|60=20261125-14:30:00|453=x|448=GS|447=D|452=1|",
    );
    let e = read("x.log", &format!("\n\n{bad_count}"), true).unwrap_err();
    assert_eq!(e.at.line, 3);
    assert!(e.message.contains("group 453 must declare a count of entries, not 'x'"), "{e}");

    let dup = format!("{d}\n{d}");
    assert!(read("x.log", &dup, true).unwrap_err().message.contains("ClOrdID (11) 'A' was already used"));
}

/// The drop copy feeds the batch analysis like the CSV files do.
#[test]
fn drop_copy_orders_analyse_in_a_batch() {
    let d = read("dc.log", &log(), true).unwrap();
    let mut b = crate::tca::batch::Batch::new(d.orders, d.fills).unwrap();
    for (sym, px) in [("AAPL", "191.00"), ("MSFT", "410.00"), ("SPY", "599.50")] {
        let s = b.market().symbol(sym).unwrap();
        b.market().trade(s, t("2026-11-25T14:00:00Z"), px.parse().unwrap(), Qty::from_int(100)).unwrap();
        b.market().trade(s, t("2026-11-25T16:00:00Z"), px.parse().unwrap(), Qty::from_int(100)).unwrap();
    }
    let r = b.finish();
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    // A1: 300 @ 191.25 + 200 @ 191.30 = 57,375 + 38,260 = 95,635 against arrival 191.00 x 500 = 95,500:
    // trading 135.00; fees 3.00 + 2.60.
    let a = r.orders[0].tca.implementation_shortfall.unwrap();
    assert_eq!((a.trading, a.fees), (Money::parse("135").unwrap(), Money::parse("5.6").unwrap()));
}
