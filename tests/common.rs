//! Fixture files the integration tests write for themselves (no shared data needed).

#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// 2026-11-25 09:30:00 New York (EST) in epoch milliseconds.
pub const OPEN_MS: i64 = 1_795_617_000_000;

/// A deterministic AAPL-like tape: one trade every 200 ms for two minutes from the
/// open, prices wandering a few cents around 100, with top-of-book quotes every 100 ms.
pub fn write_csv_market(dir: &Path) -> (PathBuf, PathBuf) {
    let mut trades = String::from("timestamp,price,qty,side\n");
    let mut quotes = String::from("timestamp,bid,bid_size,ask,ask_size\n");
    for i in 0..1_200i64 {
        let cents = 10_000 + ((i * 7) % 11) - 5 + i / 100;
        let mid = cents as f64 / 100.0;
        writeln!(quotes, "{},{:.2},{},{:.2},{}", OPEN_MS + i * 100, mid - 0.01, 300 + (i % 4) * 100, mid + 0.01, 400)
            .unwrap();
        if i % 2 == 0 {
            let side = if (i / 2) % 3 == 0 { "sell" } else { "buy" };
            let px = if side == "buy" { mid + 0.01 } else { mid - 0.01 };
            writeln!(trades, "{},{:.2},{},{side}", OPEN_MS + i * 100 + 50, px, 100 + (i % 5) * 50).unwrap();
        }
    }
    let (t, q) = (dir.join("trades.csv"), dir.join("quotes.csv"));
    std::fs::write(&t, trades).unwrap();
    std::fs::write(&q, quotes).unwrap();
    (t, q)
}

/// A small LOBSTER pair for AAPL on 2026-11-25: adds, then executions against both sides.
pub fn write_lobster(dir: &Path) -> PathBuf {
    let mut msg = String::new();
    let mut book = String::new();
    let mut bid = 1_000_000i64; // 100.0000 x 10,000
    for i in 0..300i64 {
        let t = 34_200.0 + i as f64 * 0.25;
        let (kind, dir, px) = match i % 3 {
            0 => (1, 1, bid),
            1 => (4, 1, bid),
            _ => (4, -1, bid + 200),
        };
        writeln!(msg, "{t:.9},{kind},{},{},{px},{dir}", 1_000 + i, 50 + i % 7 * 10).unwrap();
        if i % 30 == 29 {
            bid += 100;
        }
        writeln!(book, "{},{},{},{},{},{},{},{}", bid + 200, 500, bid, 400, bid + 300, 800, bid - 100, 900).unwrap();
    }
    let m = dir.join("AAPL_2026-11-25_34200000_57600000_message_2.csv");
    std::fs::write(&m, msg).unwrap();
    std::fs::write(dir.join("AAPL_2026-11-25_34200000_57600000_orderbook_2.csv"), book).unwrap();
    m
}

/// The shared data directory, or `None` (after saying so) when the environment does not give one.
pub fn shared_data() -> Option<PathBuf> {
    match std::env::var_os("BLOTTER_SHARED_DATA") {
        Some(d) => Some(PathBuf::from(d)),
        None => {
            println!("skipped: BLOTTER_SHARED_DATA not set");
            None
        }
    }
}
