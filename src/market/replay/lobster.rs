//! LOBSTER message and orderbook files (lobsterdata.com): no header; message
//! rows are `time, type, order id, size, price, direction` with time in
//! seconds after midnight (exchange time, America/New_York for Nasdaq) and
//! prices times 10,000; orderbook row `i` is the book after message `i`:
//! `ask px, ask size, bid px, bid size` per level, empty levels as
//! -9999999999 / 9999999999 with size 0.
//!
//! Executions (types 4 visible and 5 hidden) become trades; the direction is
//! the side of the resting order that was hit, so the aggressor is the other
//! side. A trading halt (type 7, price -1) lasts until trading resumes (type
//! 7, price 1): the book recorded meanwhile (orders may still be entered)
//! cannot be traded against, so it becomes an empty quote. A cross (type 6,
//! an auction) is refused with its line: see `read_messages`.

use super::csv::{ImportError, RecQuote, RecTrade, csv_error};
use crate::model::{Price, Qty, Side, Timestamp};
use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;
use std::path::Path;

/// Raw price units per LOBSTER price unit (1e9 / 1e4).
const PX_SCALE: i64 = Price::SCALE / 10_000;
/// LOBSTER's placeholder for an empty level.
const EMPTY_LEVEL: i64 = 9_999_999_999;

/// Finds `YYYY-MM-DD` in a LOBSTER file name (`AAPL_2012-06-21_34200000_...`).
pub fn date_from_name(path: &Path) -> Option<NaiveDate> {
    let name = path.file_name()?.to_str()?;
    name.split('_').find_map(|part| NaiveDate::parse_from_str(part, "%Y-%m-%d").ok())
}

/// True when the file name looks like a LOBSTER message file.
pub fn looks_like_lobster(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains("_message_"))
}

fn reader(path: &Path) -> Result<csv::Reader<std::fs::File>, ImportError> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| ImportError::file(path, e.to_string()))
}

fn row_err(path: &Path, line: u64, column: &str, message: impl Into<String>) -> ImportError {
    ImportError::Row { path: path.display().to_string(), line, column: column.into(), message: message.into() }
}

fn int(path: &Path, line: u64, rec: &csv::StringRecord, i: usize, column: &str) -> Result<i64, ImportError> {
    let s = rec.get(i).filter(|s| !s.is_empty()).ok_or_else(|| row_err(path, line, column, "is missing or empty"))?;
    s.parse().map_err(|_| row_err(path, line, column, format!("'{s}' is not an integer")))
}

/// Seconds after midnight (`34200.004241176`) on `date` in `tz`, exactly to the nanosecond.
fn time_of(s: &str, date: NaiveDate, tz: Tz) -> Result<Timestamp, String> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let secs: i64 = int.parse().map_err(|_| format!("'{s}' is not seconds after midnight"))?;
    if !(0..86_400 * 2).contains(&secs) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{s}' is not seconds after midnight"));
    }
    let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
    let nanos: i64 = digits.parse().map_err(|_| format!("'{s}' is not seconds after midnight"))?;
    let midnight = Timestamp::from_local(tz, date, NaiveTime::MIN);
    Ok(Timestamp(midnight.0 + secs * 1_000_000_000 + nanos))
}

/// One parsed message row: its time, for executions the trade, and for a
/// halt message (type 7) its price: -1 halt, 0 quoting resumes, 1 trading resumes.
struct Message {
    ts: Timestamp,
    trade: Option<RecTrade>,
    halt: Option<i64>,
}

fn read_messages(path: &Path, date: NaiveDate, tz: Tz) -> Result<Vec<Message>, ImportError> {
    let mut rdr = reader(path)?;
    let mut rec = csv::StringRecord::new();
    let mut out = Vec::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(path, e)),
        }
        let line = rec.position().map_or(0, |p| p.line());
        let t = rec.get(0).unwrap_or("");
        let ts = time_of(t, date, tz).map_err(|m| row_err(path, line, "time", m))?;
        let kind = int(path, line, &rec, 1, "type")?;
        if !(1..=7).contains(&kind) {
            return Err(row_err(path, line, "type", format!("{kind} is not a LOBSTER event type (1-7)")));
        }
        let size = int(path, line, &rec, 3, "size")?;
        let px = int(path, line, &rec, 4, "price")?;
        let dir = int(path, line, &rec, 5, "direction")?;
        if kind == 6 {
            // A cross (LOBSTER's help, "Event type 6"): an auction's volume
            // summed under a pseudo order (id -1 the opening cross, -2 the
            // closing, -3/-4 halt and other crosses) whose executions the
            // file also holds as types 4 and 5. Read as a print it would
            // count that volume twice; dropped, the file would lose it
            // silently; and a replay has no auction to trade it in.
            let oid = rec.get(2).unwrap_or("").trim();
            let which = match oid {
                "-1" => "the opening cross",
                "-2" => "the closing cross",
                _ => "a cross",
            };
            return Err(row_err(
                path,
                line,
                "type",
                format!(
                    "6 is {which} (order id {oid}: {size} shares at {}), an auction a replay cannot trade in (its \
                     executions are also in the file as types 4 and 5); replay the file from the first message \
                     after the cross (continuous trading only)",
                    Price::from_raw(px.saturating_mul(PX_SCALE))
                ),
            ));
        }
        if kind == 7 {
            if !matches!(px, -1..=1) {
                return Err(row_err(path, line, "price", format!("{px} is not a halt indicator (-1, 0 or 1)")));
            }
            out.push(Message { ts, trade: None, halt: Some(px) });
            continue;
        }
        let resting = match dir {
            1 => Side::Buy,
            -1 => Side::Sell,
            d => return Err(row_err(path, line, "direction", format!("{d} is not 1 (buy) or -1 (sell)"))),
        };
        let trade = if matches!(kind, 4 | 5) {
            if size <= 0 || px <= 0 {
                return Err(row_err(path, line, "size", format!("execution of {size} at {px} is not positive")));
            }
            Some(RecTrade {
                ts,
                px: Price::from_raw(px * PX_SCALE),
                qty: Qty::from_int(size),
                aggressor: Some(resting.opposite()),
            })
        } else {
            None
        };
        out.push(Message { ts, trade, halt: None });
    }
    Ok(out)
}

/// Reads a message file (and, optionally, its orderbook file) recorded on
/// `date` in `tz`. Returns the executions and the book after every message.
pub fn read(
    messages: &Path,
    orderbook: Option<&Path>,
    date: NaiveDate,
    tz: Tz,
) -> Result<(Vec<RecTrade>, Vec<RecQuote>), ImportError> {
    let msgs = read_messages(messages, date, tz)?;
    let trades: Vec<RecTrade> = msgs.iter().filter_map(|m| m.trade).collect();
    let Some(book) = orderbook else { return Ok((trades, Vec::new())) };
    let mut rdr = reader(book)?;
    let mut rec = csv::StringRecord::new();
    let mut quotes = Vec::with_capacity(msgs.len());
    let mut row = 0usize;
    let mut halted = false;
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(book, e)),
        }
        let line = rec.position().map_or(0, |p| p.line());
        let Some(m) = msgs.get(row) else {
            return Err(row_err(book, line, "-", format!("has more rows than the {} messages", msgs.len())));
        };
        if rec.len() < 4 || !rec.len().is_multiple_of(4) {
            return Err(row_err(book, line, "-", format!("{} fields: expected 4 per level", rec.len())));
        }
        let (mut bids, mut asks) = (Vec::new(), Vec::new());
        for lvl in 0..rec.len() / 4 {
            let name = |what: &str| format!("{what}_{}", lvl + 1);
            let ap = int(book, line, &rec, 4 * lvl, &name("ask_price"))?;
            let asz = int(book, line, &rec, 4 * lvl + 1, &name("ask_size"))?;
            let bp = int(book, line, &rec, 4 * lvl + 2, &name("bid_price"))?;
            let bsz = int(book, line, &rec, 4 * lvl + 3, &name("bid_size"))?;
            if ap.abs() != EMPTY_LEVEL && ap > 0 && asz > 0 {
                asks.push((Price::from_raw(ap * PX_SCALE), Qty::from_int(asz)));
            }
            if bp.abs() != EMPTY_LEVEL && bp > 0 && bsz > 0 {
                bids.push((Price::from_raw(bp * PX_SCALE), Qty::from_int(bsz)));
            }
        }
        match m.halt {
            Some(-1) => halted = true,
            Some(1) => halted = false,
            _ => {}
        }
        if halted {
            // Nothing trades during a halt: no book to take from.
            quotes.push(RecQuote { ts: m.ts, bids: Vec::new(), asks: Vec::new() });
        } else {
            quotes.push(RecQuote { ts: m.ts, bids, asks });
        }
        row += 1;
    }
    if row != msgs.len() {
        return Err(ImportError::file(book, format!("has {row} rows but the message file has {}", msgs.len())));
    }
    Ok((trades, quotes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::File::create(&p).unwrap().write_all(text.as_bytes()).unwrap();
        p
    }

    const NY: Tz = chrono_tz::America::New_York;

    #[test]
    fn messages_and_books() {
        let dir = tempfile::tempdir().unwrap();
        let msg = file(
            &dir,
            "TEST_2012-06-21_34200000_57600000_message_2.csv",
            "34200.004241176,1,16113575,18,5853300,1\n34200.5,4,16113575,10,5853300,1\n34201,5,0,7,5859100,-1\n",
        );
        let book = file(
            &dir,
            "TEST_2012-06-21_34200000_57600000_orderbook_2.csv",
            "5859400,200,5853300,18,5859800,200,5853000,150\n\
             5859400,200,5853300,8,5859800,200,5853000,150\n\
             5859400,200,5853300,8,9999999999,0,-9999999999,0\n",
        );
        assert_eq!(date_from_name(&msg), NaiveDate::from_ymd_opt(2012, 6, 21));
        assert!(looks_like_lobster(&msg) && !looks_like_lobster(&book));
        let (trades, quotes) = read(&msg, Some(&book), date_from_name(&msg).unwrap(), NY).unwrap();
        assert_eq!(trades.len(), 2);
        // 09:30:00.5 New York (EDT) is 13:30:00.5 UTC.
        assert_eq!(trades[0].ts.to_utc().to_rfc3339(), "2012-06-21T13:30:00.500+00:00");
        assert_eq!(trades[0].px.to_string(), "585.33");
        // A buy limit order was hit: the seller was the aggressor.
        assert_eq!(trades[0].aggressor, Some(Side::Sell));
        assert_eq!(trades[1].aggressor, Some(Side::Buy));
        assert_eq!(quotes.len(), 3);
        assert_eq!(
            quotes[0].ts.0,
            Timestamp::from_local(NY, date_from_name(&msg).unwrap(), NaiveTime::MIN).0 + 34_200_004_241_176
        );
        assert_eq!(quotes[1].bid().unwrap().to_string(), "585.33");
        assert_eq!(quotes[1].bids[0].1, Qty::from_int(8));
        assert_eq!((quotes[2].bids.len(), quotes[2].asks.len()), (1, 1));
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let d = NaiveDate::from_ymd_opt(2012, 6, 21).unwrap();
        let msg = file(&dir, "m.csv", "34200.1,1,1,18,5853300,1\n34200.2,4,1,x,5853300,1\n");
        let e = read(&msg, None, d, NY).unwrap_err().to_string();
        assert!(e.contains("m.csv:2: column 'size'") && e.contains("'x'"), "{e}");
        // An opening cross (type 6, order id -1), LOBSTER's auction print.
        let msg = file(&dir, "m6.csv", "34200.1,1,1,18,5853300,1\n34200.3,6,-1,12345,5850000,0\n");
        let e = read(&msg, None, d, NY).unwrap_err().to_string();
        assert!(
            e.contains("m6.csv:2: column 'type'") && e.contains("the opening cross (order id -1: 12345 shares at 585)"),
            "{e}"
        );
        let msg = file(&dir, "m2.csv", "34200.1,9,1,18,5853300,1\n");
        assert!(read(&msg, None, d, NY).unwrap_err().to_string().contains(":1: column 'type'"));
        let msg = file(&dir, "m3.csv", "34200.1,1,1,18,5853300,1\n");
        let book = file(&dir, "b.csv", "5859400,200,5853300\n");
        assert!(read(&msg, Some(&book), d, NY).unwrap_err().to_string().contains("b.csv:1"));
        let book = file(&dir, "b2.csv", "5859400,200,5853300,18\n5859400,200,5853300,18\n");
        assert!(read(&msg, Some(&book), d, NY).unwrap_err().to_string().contains("more rows"));
    }
}
