//! `cargo bench --bench ledger`: sustained fill persistence into SQLite with
//! durability on (WAL, synchronous=FULL, group commit), and the simulated day
//! recorded into the ledger. Prints the figures; `blotter bench --json` has
//! the same under `ledger`.

use blotter::bench::ledger::{equity_day_recorded, fill_persistence, fill_persistence_unpipelined};
use blotter::store::DbTarget;

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = |name: &str| DbTarget::Sqlite(dir.path().join(name));
    let grouped = fill_persistence(&db("grouped.db"), 200_000, 50).expect("fill persistence");
    println!(
        "fills persisted: {:.0}/s with group commit ({} fills in batches of {}, {:.0} ms)",
        grouped.fills_per_sec, grouped.fills, grouped.batch, grouped.wall_ms
    );
    let single = fill_persistence_unpipelined(&db("single.db"), 20_000, 50).expect("fill persistence");
    println!("fills persisted: {:.0}/s with one commit per batch of {}", single.fills_per_sec, single.batch);
    let without = blotter::bench::equity_day(42);
    let with = equity_day_recorded(42, &db("day.db")).expect("recorded day");
    println!(
        "equity day: {:.1} ms without the ledger, {:.1} ms recording {} events into it",
        without.wall_ms, with.wall_ms, with.engine_events
    );
}
