//! The desk-sized TCA benchmark's data: orders, their fills and a tape of
//! many symbols written as the CSV files `blotter tca --orders` reads. Every
//! figure comes from a seed: a per-second price path per symbol (one-cent
//! steps), prints scattered around it in time order, orders with their own
//! windows and fills inside them paying up to a cent over the path.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// 2026-11-25 09:30 New York in epoch milliseconds.
const OPEN_MS: i64 = 1_795_617_000_000;
/// A 6.5-hour session.
const DAY_MS: i64 = 23_400_000;

/// What to generate.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BatchSize {
    /// Orders.
    pub orders: usize,
    /// Fills per order.
    pub fills_per_order: usize,
    /// Market prints over all symbols.
    pub prints: u64,
    /// Symbols.
    pub symbols: usize,
}

/// The files written and their sizes.
#[derive(Debug, Clone, Serialize)]
pub struct BatchFiles {
    /// ORDERS.csv.
    pub orders: PathBuf,
    /// FILLS.csv.
    pub fills: PathBuf,
    /// TRADES.csv (a `symbol` column).
    pub trades: PathBuf,
    /// Bytes of the trades file.
    pub trades_bytes: u64,
    /// Fills written.
    pub fills_written: u64,
}

const BROKERS: [&str; 6] = ["GSCO", "MSCO", "JPMS", "BARC", "UBSS", "CITI"];
const ALGOS: [&str; 4] = ["VWAP", "TWAP", "POV", "IS"];
const VENUES: [&str; 6] = ["XNAS", "XNYS", "ARCX", "BATS", "IEXG", "EDGX"];
const DESKS: [&str; 3] = ["EQ-US", "EQ-PT", "EQ-QUANT"];

fn symbol(k: usize) -> String {
    format!("S{k:02}")
}

/// One price per second of the session per symbol, in cents.
fn paths(symbols: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<i64>> {
    let secs = (DAY_MS / 1000) as usize + 1;
    (0..symbols)
        .map(|_| {
            let mut c: i64 = rng.random_range(2_000..50_000);
            (0..secs)
                .map(|_| {
                    let r: f64 = rng.random();
                    c += if r < 0.3 {
                        -1
                    } else if r > 0.7 {
                        1
                    } else {
                        0
                    };
                    c = c.max(100);
                    c
                })
                .collect()
        })
        .collect()
}

fn cents(c: i64) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

fn io(p: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{}: {e}", p.display())
}

/// Writes the three files into `dir`.
pub fn write(dir: &Path, size: BatchSize, seed: u64) -> Result<BatchFiles, String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let path = paths(size.symbols.max(1), &mut rng);
    let at_sec = |s: usize, ms: i64| path[s][((ms - OPEN_MS) / 1000).clamp(0, DAY_MS / 1000) as usize];
    let (orders, fills, trades) = (dir.join("orders.csv"), dir.join("fills.csv"), dir.join("trades.csv"));

    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&trades).map_err(io(&trades))?);
    writeln!(w, "timestamp,symbol,price,qty").map_err(io(&trades))?;
    let names: Vec<String> = (0..size.symbols.max(1)).map(symbol).collect();
    let step = DAY_MS as f64 / size.prints.max(1) as f64;
    for i in 0..size.prints {
        let ms = OPEN_MS + (i as f64 * step) as i64;
        let s = rng.random_range(0..names.len());
        let c = at_sec(s, ms) + rng.random_range(-1..=1);
        let q = 100 * rng.random_range(1..=5) + rng.random_range(0..100);
        writeln!(w, "{ms},{},{},{q}", names[s], cents(c.max(1))).map_err(io(&trades))?;
    }
    w.flush().map_err(io(&trades))?;
    let trades_bytes = std::fs::metadata(&trades).map_err(io(&trades))?.len();

    let mut wo = BufWriter::new(std::fs::File::create(&orders).map_err(io(&orders))?);
    let mut wf = BufWriter::with_capacity(1 << 20, std::fs::File::create(&fills).map_err(io(&fills))?);
    writeln!(wo, "order_id,symbol,side,qty,arrival,end,decision_px,decision_time,broker,algo,trader,desk")
        .map_err(io(&orders))?;
    writeln!(wf, "order_id,timestamp,price,qty,venue,fee,liquidity").map_err(io(&fills))?;
    let mut fills_written = 0;
    for o in 0..size.orders {
        let s = o % names.len();
        let buy = rng.random_bool(0.5);
        let n = size.fills_per_order.max(1) as i64;
        let qty = 100 * rng.random_range(n..=10 * n);
        let arrival = OPEN_MS + rng.random_range(120_000..DAY_MS - 10 * 60_000);
        let end = (arrival + rng.random_range(5 * 60_000..=2 * 3_600_000)).min(OPEN_MS + DAY_MS);
        // A fifth decided a minute after the open, a fifth at a price a little off arrival, the rest at arrival.
        let (dpx, dtime) = match o % 5 {
            0 => (String::new(), (OPEN_MS + 60_000).to_string()),
            1 => (cents(at_sec(s, arrival) + rng.random_range(-20..=20)), String::new()),
            _ => (String::new(), String::new()),
        };
        writeln!(
            wo,
            "O{o},{},{},{qty},{arrival},{end},{dpx},{dtime},{},{},T{},{}",
            names[s],
            if buy { "buy" } else { "sell" },
            BROKERS[o % BROKERS.len()],
            ALGOS[(o / 7) % ALGOS.len()],
            o % 25,
            DESKS[o % DESKS.len()],
        )
        .map_err(io(&orders))?;
        let rate: f64 = rng.random_range(0.6..=1.0);
        let each = ((qty as f64 * rate) as i64 / n).max(1);
        let mut times: Vec<i64> = (0..n).map(|_| rng.random_range(arrival..=end)).collect();
        times.sort_unstable();
        for t in times {
            // Paying up to a cent over the path, and the costlier brokers a cent more at times.
            let extra = i64::from(o % BROKERS.len() >= 4 && rng.random_bool(0.3));
            let over = rng.random_range(0..=1) + extra;
            let c = at_sec(s, t) + if buy { over } else { -over };
            let venue = VENUES[rng.random_range(0..VENUES.len())];
            let liq = if rng.random_bool(0.4) { "maker" } else { "taker" };
            let fee = each as f64 * 0.0030;
            writeln!(wf, "O{o},{t},{},{each},{venue},{fee:.4},{liq}", cents(c.max(1))).map_err(io(&fills))?;
            fills_written += 1;
        }
    }
    wo.flush().map_err(io(&orders))?;
    wf.flush().map_err(io(&fills))?;
    Ok(BatchFiles { orders, fills, trades, trades_bytes, fills_written })
}

/// Peak resident memory of this process so far, MiB (Linux: VmHWM of /proc/self/status).
pub fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = s.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_have_the_requested_shape() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(dir.path(), BatchSize { orders: 10, fills_per_order: 5, prints: 1_000, symbols: 3 }, 7).unwrap();
        let lines = |p: &Path| std::fs::read_to_string(p).unwrap().lines().count();
        assert_eq!((lines(&f.orders), lines(&f.fills), lines(&f.trades)), (11, 51, 1_001));
        assert_eq!(f.fills_written, 50);
        // Every symbol's prints are in time order (the whole file is).
        let ts: Vec<i64> = std::fs::read_to_string(&f.trades)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().parse().unwrap())
            .collect();
        assert!(ts.windows(2).all(|w| w[0] <= w[1]));
    }
}
