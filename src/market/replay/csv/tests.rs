use super::*;
use std::io::Write;

fn file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

#[test]
fn timestamps_iso_and_epoch_ms() {
    let t = parse_time("1610064001076").unwrap();
    assert_eq!(t.as_millis(), 1_610_064_001_076);
    assert_eq!(parse_time("2021-01-08T00:00:01.076000+00:00").unwrap(), t);
    assert_eq!(parse_time("2021-01-08T00:00:01.076Z").unwrap(), t);
    assert_eq!(parse_time("2021-01-08 00:00:01.076").unwrap(), t);
    assert_eq!(parse_time("2021-01-08T01:00:01.076+01:00").unwrap(), t);
    assert_eq!(parse_time("1610064001076.5").unwrap().0, t.0 + 500_000);
    assert!(parse_time("12:00").unwrap_err().contains("ISO-8601"));
    assert!(parse_time("34200.004").unwrap_err().contains("epoch milliseconds"));
}

#[test]
fn float_artefacts_round_onto_the_grid() {
    assert_eq!(parse_qty("0.00031099999999999997").unwrap().raw(), 311);
    assert_eq!(parse_price("39432.48").unwrap().to_string(), "39432.48");
    assert_eq!(parse_qty("2e-06").unwrap().raw(), 2);
    assert!(parse_qty("abc").is_err());
    assert!(parse_qty("inf").is_err());
}

#[test]
fn binance_style_trades_with_header() {
    let f = file(
        "ts_ms,timestamp,trade_id,price,quantity,buyer_maker\n\
         1610064000310,2021-01-08T00:00:00.310000+00:00,553287560,39439.44,0.004376,False\n\
         1610064000278,2021-01-08T00:00:00.278000+00:00,553287559,39432.48,0.000263,True\n",
    );
    let t = read_trades(f.path()).unwrap();
    assert_eq!(t.len(), 2);
    // Sorted by time; buyer_maker True means the seller was the aggressor.
    assert_eq!(t[0].px.to_string(), "39432.48");
    assert_eq!(t[0].aggressor, Some(Side::Sell));
    assert_eq!(t[1].aggressor, Some(Side::Buy));
    assert_eq!(t[1].qty.to_string(), "0.004376");
}

#[test]
fn headerless_files_use_the_documented_column_order() {
    let f = file("2024-03-01T14:30:00Z,100.5,200\n2024-03-01T14:30:01Z,100.6,100\n");
    let t = read_trades(f.path()).unwrap();
    assert_eq!(t[1].px.to_string(), "100.6");
    assert_eq!(t[1].aggressor, None);
    let q = file("1709303400000,100.4,300,100.6,200\n");
    let q = read_quotes(q.path()).unwrap();
    assert_eq!((q[0].bid().unwrap().to_string(), q[0].ask().unwrap().to_string()), ("100.4".into(), "100.6".into()));
    let fl = file("1709303400000,100.5,100,NYSE,0.3,maker\n1709303401000,100.55,50\n");
    let fl = read_fills(fl.path()).unwrap();
    assert_eq!(fl[0].venue.as_deref(), Some("NYSE"));
    assert_eq!(fl[0].fee.to_string(), "0.3");
    assert_eq!(fl[0].maker, Some(true));
    assert_eq!((fl[1].venue.clone(), fl[1].fee, fl[1].maker), (None, Money::ZERO, None));
}

#[test]
fn errors_name_the_line_and_the_column() {
    let f = file("timestamp,price,qty\n2024-03-01T14:30:00Z,100.5,200\n2024-03-01T14:30:01Z,abc,100\n");
    let e = read_trades(f.path()).unwrap_err().to_string();
    assert!(e.contains(":3: column 'price'") && e.contains("'abc'"), "{e}");
    let f = file("timestamp,price,qty\n2024-03-01T14:30:00Z,100.5,-2\n");
    let e = read_trades(f.path()).unwrap_err().to_string();
    assert!(e.contains(":2: column 'qty'") && e.contains("not a positive quantity"), "{e}");
    let f = file("timestamp,price,qty\n2024-03-01T14:30:00Z,100.5\n");
    let e = read_trades(f.path()).unwrap_err().to_string();
    assert!(e.contains(":2: column 'qty': is missing"), "{e}");
    let f = file("timestamp,price,qty\nyesterday,100.5,1\n");
    let e = read_trades(f.path()).unwrap_err().to_string();
    assert!(e.contains(":2: column 'timestamp'") && e.contains("not a timestamp"), "{e}");
    let f = file("time,px\n");
    let e = read_trades(f.path()).unwrap_err().to_string();
    assert!(e.contains(":1: column 'qty': missing from the header"), "{e}");
    let q = file("timestamp,bid,bid_size,ask,ask_size\n1709303400000,100.7,3,100.6,2\n");
    let e = read_quotes(q.path()).unwrap_err().to_string();
    assert!(e.contains(":2: column 'ask'") && e.contains("crossed"), "{e}");
    let fl = file("timestamp,price,qty,liquidity\n1709303400000,1,1,both\n");
    let e = read_fills(fl.path()).unwrap_err().to_string();
    assert!(e.contains(":2: column 'liquidity'"), "{e}");
    let empty = file("");
    assert!(read_fills(empty.path()).unwrap_err().to_string().contains("is empty"));
    let missing = read_trades(Path::new("/nonexistent/trades.csv")).unwrap_err().to_string();
    assert!(missing.contains("/nonexistent/trades.csv"), "{missing}");
}
