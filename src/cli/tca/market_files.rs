//! Streams recorded trades and quotes of many symbols into a
//! `tca::batch::MarketPass`, fast enough for tapes of tens of millions of
//! prints: the file is cut into blocks at line ends, blocks are parsed on
//! worker threads and their rows handed over in file order.
//!
//! A file holds several symbols when it has a `symbol` column, or one when
//! given as `SYMBOL=FILE`. Columns are found by their header names (the
//! names `blotter tca` accepts everywhere); a one-symbol file may omit the
//! header and keep the column order timestamp, price, qty (trades) or
//! timestamp, bid, bid size, ask, ask size (quotes). Fields may be quoted but
//! not contain line breaks. Each symbol's rows must be in time order.

use crate::market::replay::csv::{
    Col, ImportError, Layout, QUOTE_COLS, TRADE_COLS, header_layout, parse_time, price_pos, qty_nonneg, qty_pos,
};
use crate::model::{Price, Qty, Timestamp};
use crate::tca::batch::{MarketPass, SymId};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Bytes per block handed to a parser.
const BLOCK: usize = 4 << 20;

const SYMBOL_COL: Col =
    Col { name: "symbol", aliases: &["symbol", "sym", "ticker", "instrument", "ric"], required: false };

/// One `--trades` or `--quotes` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketFile {
    /// The file.
    pub path: PathBuf,
    /// The symbol of every row (`SYMBOL=FILE`); `None` when the file names it in a `symbol` column.
    pub symbol: Option<String>,
}

impl MarketFile {
    /// `FILE` or `SYMBOL=FILE` (an existing file whose name holds `=` is taken as a file).
    pub fn parse(arg: &str) -> MarketFile {
        if let Some((sym, file)) = arg.split_once('=')
            && !sym.is_empty()
            && !sym.contains(['/', '\\'])
            && !Path::new(arg).exists()
        {
            return MarketFile { path: file.into(), symbol: Some(sym.trim().to_string()) };
        }
        MarketFile { path: arg.into(), symbol: None }
    }
}

/// What reading one file found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileStats {
    /// Rows fed to the analysis.
    pub used: u64,
    /// Rows of symbols no order needs.
    pub skipped: u64,
}

/// Which kind of data a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Trades: timestamp, [symbol], price, qty.
    Trades,
    /// Quotes: timestamp, [symbol], bid, bid size, ask, ask size.
    Quotes,
}

/// One parsed row: (symbol, time, price or bid, qty or ask) as raw fixed-point.
#[derive(Debug, Clone, Copy)]
struct Rec {
    sym: u32,
    ts: i64,
    a: i64,
    b: i64,
    line: u64,
}

struct Chunk {
    recs: Vec<Rec>,
    skipped: u64,
}

/// How to read the rows of a file.
struct Plan<'a> {
    path: &'a Path,
    kind: Kind,
    /// Field index of each column of the kind (`TRADE_COLS`/`QUOTE_COLS` order).
    ix: Vec<Option<usize>>,
    symbol_ix: Option<usize>,
    fixed: Option<Option<SymId>>,
    symbols: HashMap<Vec<u8>, SymId>,
}

fn cols(kind: Kind) -> &'static [Col] {
    match kind {
        Kind::Trades => &TRADE_COLS[..3],
        Kind::Quotes => &QUOTE_COLS,
    }
}

fn row_err(path: &Path, line: u64, column: &str, message: impl Into<String>) -> ImportError {
    ImportError::Row { path: path.display().to_string(), line, column: column.into(), message: message.into() }
}

impl Plan<'_> {
    fn field<'r>(
        &self,
        rec: &'r csv::ByteRecord,
        i: Option<usize>,
        col: &Col,
        line: u64,
    ) -> Result<&'r str, ImportError> {
        let raw = i.and_then(|i| rec.get(i)).map(<[u8]>::trim_ascii).filter(|f| !f.is_empty());
        let raw = raw.ok_or_else(|| row_err(self.path, line, col.name, "is missing or empty"))?;
        std::str::from_utf8(raw).map_err(|_| row_err(self.path, line, col.name, "is not valid UTF-8 text"))
    }

    fn parse_block(&self, block: &[u8], first_line: u64) -> Result<Chunk, ImportError> {
        // Fields are trimmed where read: the csv crate's own trimming builds a new record per row.
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(block);
        let mut rec = csv::ByteRecord::new();
        let mut out = Chunk { recs: Vec::with_capacity(block.len() / 32), skipped: 0 };
        let cs = cols(self.kind);
        loop {
            match rdr.read_byte_record(&mut rec) {
                Ok(false) => return Ok(out),
                Ok(true) => {}
                Err(e) => {
                    let line = first_line + e.position().map_or(1, |p| p.line()) - 1;
                    return Err(row_err(self.path, line, "-", e.to_string()));
                }
            }
            let line = first_line + rec.position().map_or(1, |p| p.line()) - 1;
            let sym = match self.fixed {
                Some(s) => s,
                None => {
                    let name = self.symbol_ix.and_then(|i| rec.get(i)).unwrap_or_default().trim_ascii();
                    if name.is_empty() {
                        return Err(row_err(self.path, line, "symbol", "is missing or empty"));
                    }
                    self.symbols.get(name).copied()
                }
            };
            let Some(sym) = sym else {
                out.skipped += 1;
                continue;
            };
            let ts = parse_time(self.field(&rec, self.ix[0], &cs[0], line)?)
                .map_err(|m| row_err(self.path, line, cs[0].name, m))?;
            let (a, b) = match self.kind {
                Kind::Trades => {
                    let px = price_pos(self.field(&rec, self.ix[1], &cs[1], line)?);
                    let px = px.map_err(|m| row_err(self.path, line, cs[1].name, m))?;
                    let q = qty_pos(self.field(&rec, self.ix[2], &cs[2], line)?);
                    (px.raw(), q.map_err(|m| row_err(self.path, line, cs[2].name, m))?.raw())
                }
                Kind::Quotes => {
                    let mut px = [Price::ZERO; 2];
                    for (k, c) in [(0, 1), (1, 3)] {
                        let v = price_pos(self.field(&rec, self.ix[c], &cs[c], line)?);
                        px[k] = v.map_err(|m| row_err(self.path, line, cs[c].name, m))?;
                        let size = qty_nonneg(self.field(&rec, self.ix[c + 1], &cs[c + 1], line)?);
                        size.map_err(|m| row_err(self.path, line, cs[c + 1].name, m))?;
                    }
                    if px[1] < px[0] {
                        let m = format!("{} is below the bid {} (crossed quote)", px[1], px[0]);
                        return Err(row_err(self.path, line, "ask", m));
                    }
                    (px[0].raw(), px[1].raw())
                }
            };
            out.recs.push(Rec { sym: sym.0, ts: ts.0, a, b, line });
        }
    }
}

/// Reads the header (if any) and decides how to read the rows; returns the plan and the header's length in bytes.
fn plan<'a>(f: &'a MarketFile, kind: Kind, pass: &MarketPass) -> Result<(Plan<'a>, usize), ImportError> {
    let path = f.path.as_path();
    let mut file = std::fs::File::open(path).map_err(|e| ImportError::file(path, e.to_string()))?;
    let mut head = vec![0u8; 64 << 10];
    let n = read_full(&mut file, &mut head).map_err(|e| ImportError::file(path, e.to_string()))?;
    head.truncate(n);
    let first_len = memchr_nl(&head).map_or(head.len(), |i| i + 1);
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&head[..first_len]);
    let mut first = csv::StringRecord::new();
    if !rdr.read_record(&mut first).unwrap_or(false) {
        return Err(ImportError::file(path, "is empty: expected a header or data rows"));
    }
    let has_header = parse_time(first.get(0).unwrap_or("").trim()).is_err();
    let cs = cols(kind);
    let (layout, symbol_ix) = if has_header {
        let mut all: Vec<Col> = cs.to_vec();
        all.push(SYMBOL_COL);
        let Layout { mut ix, .. } = header_layout(path, &first, &all)?;
        let sym = ix.pop().flatten();
        (ix, sym)
    } else {
        ((0..cs.len()).map(Some).collect(), None)
    };
    let fixed = match &f.symbol {
        Some(s) => Some(pass.symbol(s)),
        None if symbol_ix.is_none() => {
            return Err(row_err(
                path,
                1,
                "symbol",
                "the file has no symbol column: add a header with a `symbol` column, or give it as SYMBOL=FILE",
            ));
        }
        None => None,
    };
    let symbols = pass.symbols().map(|(id, name)| (name.as_bytes().to_vec(), id)).collect();
    let plan = Plan { path, kind, ix: layout, symbol_ix, fixed, symbols };
    Ok((plan, if has_header { first_len } else { 0 }))
}

fn memchr_nl(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Reads blocks of whole lines after `skip` bytes and sends them round-robin to `workers`.
fn read_blocks(path: &Path, skip: usize, workers: &[SyncSender<(Vec<u8>, u64)>]) -> Result<(), ImportError> {
    let mut file = std::fs::File::open(path).map_err(|e| ImportError::file(path, e.to_string()))?;
    let io = |e: std::io::Error| ImportError::file(path, e.to_string());
    std::io::copy(&mut (&mut file).take(skip as u64), &mut std::io::sink()).map_err(io)?;
    let mut line = if skip > 0 { 2 } else { 1 };
    let mut carry: Vec<u8> = Vec::new();
    let mut sent = 0;
    loop {
        let mut buf = std::mem::take(&mut carry);
        let start = buf.len();
        buf.resize(start + BLOCK, 0);
        let n = read_full(&mut file, &mut buf[start..]).map_err(io)?;
        buf.truncate(start + n);
        if buf.is_empty() {
            return Ok(());
        }
        // Cut after the last line end; the rest starts the next block (at the end of the file, send it all).
        let cut = if n == 0 { Some(buf.len()) } else { buf.iter().rposition(|&c| c == b'\n').map(|i| i + 1) };
        let Some(cut) = cut else {
            carry = buf; // a line longer than a block: read on
            continue;
        };
        carry = buf[cut..].to_vec();
        buf.truncate(cut);
        let lines = buf.iter().filter(|&&c| c == b'\n').count() as u64;
        if workers[sent % workers.len()].send((buf, line)).is_err() {
            return Ok(()); // the consumer stopped (an error is being reported)
        }
        sent += 1;
        line += lines;
    }
}

/// Feeds one file's rows into the pass.
pub fn feed(f: &MarketFile, kind: Kind, pass: &mut MarketPass) -> Result<FileStats, ImportError> {
    let (plan, skip) = plan(f, kind, pass)?;
    let n_workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4);
    let mut stats = FileStats::default();
    std::thread::scope(|scope| {
        let mut inputs = Vec::new();
        let mut outputs: Vec<Receiver<Result<Chunk, ImportError>>> = Vec::new();
        for _ in 0..n_workers {
            let (in_tx, in_rx) = sync_channel::<(Vec<u8>, u64)>(2);
            let (out_tx, out_rx) = sync_channel(2);
            let plan = &plan;
            scope.spawn(move || {
                for (block, line) in in_rx {
                    let r = plan.parse_block(&block, line);
                    let stop = r.is_err();
                    if out_tx.send(r).is_err() || stop {
                        return;
                    }
                }
            });
            inputs.push(in_tx);
            outputs.push(out_rx);
        }
        let reader = scope.spawn(move || read_blocks(plan.path, skip, &inputs));
        let consumed = consume(&outputs, &plan, pass, &mut stats);
        drop(outputs);
        let read = reader.join().unwrap_or_else(|_| Err(ImportError::file(plan.path, "the reader thread failed")));
        consumed.and(read)
    })?;
    Ok(stats)
}

fn consume(
    outputs: &[Receiver<Result<Chunk, ImportError>>],
    plan: &Plan<'_>,
    pass: &mut MarketPass,
    stats: &mut FileStats,
) -> Result<(), ImportError> {
    for k in 0.. {
        let Ok(chunk) = outputs[k % outputs.len()].recv() else { return Ok(()) };
        let chunk = chunk?;
        stats.skipped += chunk.skipped;
        stats.used += chunk.recs.len() as u64;
        for r in &chunk.recs {
            let sym = SymId(r.sym);
            let ts = Timestamp(r.ts);
            let fed = match plan.kind {
                Kind::Trades => pass.trade(sym, ts, Price::from_raw(r.a), Qty::from_raw(r.b)),
                Kind::Quotes => pass.quote(sym, ts, Price::from_raw(r.a), Price::from_raw(r.b)),
            };
            fed.map_err(|e| row_err(plan.path, r.line, "timestamp", e.to_string()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass_for(symbols: &[&str], at: &[i64]) -> (MarketPass, Vec<crate::tca::batch::market_pass::LevelQ>) {
        let mut p = MarketPass::new();
        let mut qs = Vec::new();
        for s in symbols {
            let id = p.register(s);
            for t in at {
                qs.push(p.ask_level(id, Timestamp(*t * 1_000_000)));
            }
        }
        p.seal();
        (p, qs)
    }

    #[test]
    fn symbol_equals_file_and_plain_files() {
        assert_eq!(
            MarketFile::parse("AAPL=/tmp/a.csv"),
            MarketFile { path: "/tmp/a.csv".into(), symbol: Some("AAPL".into()) }
        );
        assert_eq!(MarketFile::parse("/tmp/x=y.csv"), MarketFile { path: "/tmp/x=y.csv".into(), symbol: None });
        assert_eq!(MarketFile::parse("t.csv").symbol, None);
    }

    /// Blocks much smaller than the file: rows cut across blocks still arrive whole and in order.
    #[test]
    fn a_multi_symbol_file_streams_in_order_across_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let mut text = String::from("ts,symbol,price,qty\n");
        for i in 0..200_000i64 {
            let sym = ["A", "B", "C"][(i % 3) as usize];
            text.push_str(&format!("{},{sym},{}.{:02},{}\n", 1_700_000_000_000 + i, 10 + i % 7, i % 100, 1 + i % 5));
        }
        std::fs::write(&path, text).unwrap();
        let (mut p, qs) = pass_for(&["A", "C"], &[1_700_000_000_000 + 199_998]);
        let st = feed(&MarketFile::parse(path.to_str().unwrap()), Kind::Trades, &mut p).unwrap();
        p.finish();
        // B's rows (i = 1 mod 3: 66,667 of 200,000) are skipped.
        assert_eq!(st.skipped, 66_667);
        assert_eq!(st.used, 133_333);
        // Row 199,998 is A (199,998 % 3 = 0): price 10 + 199,998 % 7 = 11, cents 98.
        assert_eq!(p.level(SymId(0), qs[0]).trade, Some("11.98".parse().unwrap()));
        // C's last row at or before it is 199,997 (% 3 = 2): 10 + 199,997 % 7 = 10, cents 97.
        assert_eq!(p.level(SymId(1), qs[1]).trade, Some("10.97".parse().unwrap()));
    }

    #[test]
    fn errors_name_the_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "timestamp,symbol,price,qty\n1700000000000,A,10,1\n1700000000001,A,abc,1\n").unwrap();
        let (mut p, _) = pass_for(&["A"], &[]);
        let e = feed(&MarketFile::parse(path.to_str().unwrap()), Kind::Trades, &mut p).unwrap_err().to_string();
        assert!(e.ends_with("t.csv:3: column 'price': 'abc' is not a number"), "{e}");

        std::fs::write(&path, "timestamp,symbol,price,qty\n1700000000005,A,10,1\n1700000000001,A,10,1\n").unwrap();
        let (mut p, _) = pass_for(&["A"], &[]);
        let e = feed(&MarketFile::parse(path.to_str().unwrap()), Kind::Trades, &mut p).unwrap_err().to_string();
        assert!(e.contains("t.csv:3: column 'timestamp'") && e.contains("time order"), "{e}");

        std::fs::write(&path, "1700000000005,10,1\n").unwrap();
        let (mut p, _) = pass_for(&["A"], &[]);
        let e = feed(&MarketFile::parse(path.to_str().unwrap()), Kind::Trades, &mut p).unwrap_err().to_string();
        assert!(e.contains("SYMBOL=FILE"), "{e}");
        // The same file given for one symbol reads without a header.
        let arg = format!("A={}", path.display());
        assert_eq!(feed(&MarketFile::parse(&arg), Kind::Trades, &mut p).unwrap().used, 1);
    }

    #[test]
    fn quotes_are_checked_and_give_mids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.csv");
        std::fs::write(&path, "timestamp,symbol,bid,bid_size,ask,ask_size\n1700000000000,A,9.9,1,10.1,2\n").unwrap();
        let (mut p, qs) = pass_for(&["A"], &[1_700_000_000_001]);
        feed(&MarketFile::parse(path.to_str().unwrap()), Kind::Quotes, &mut p).unwrap();
        p.finish();
        assert_eq!(p.level(SymId(0), qs[0]).mid, Some(10.0));
        // Spaces around fields (hand-made or spreadsheet files) are read past, the symbol's too.
        std::fs::write(&path, "timestamp, symbol, bid,bid_size,ask,ask_size\n1700000000000 , A ,9.8 , 1, 10.0,2\n")
            .unwrap();
        let (mut p, qs) = pass_for(&["A"], &[1_700_000_000_001]);
        assert_eq!(feed(&MarketFile::parse(path.to_str().unwrap()), Kind::Quotes, &mut p).unwrap().used, 1);
        p.finish();
        assert_eq!(p.level(SymId(0), qs[0]).mid, Some(9.9));
        std::fs::write(&path, "timestamp,symbol,bid,bid_size,ask,ask_size\n1700000000000,A,10.2,1,10.1,2\n").unwrap();
        let (mut p, _) = pass_for(&["A"], &[]);
        let e = feed(&MarketFile::parse(path.to_str().unwrap()), Kind::Quotes, &mut p).unwrap_err().to_string();
        assert!(e.contains("q.csv:2: column 'ask': 10.1 is below the bid 10.2"), "{e}");
    }
}
