//! `cargo bench --bench algos`: 1,000 parent orders over 50 symbols and every
//! algorithm for one simulated day; prints wall time and events per second.

fn main() {
    let run = blotter::bench::algos::algo_day(42);
    println!(
        "algorithm day: {} parents over {} symbols, {} market + {} engine events in {:.2} s = {:.2} M events/s",
        run.parents,
        run.symbols,
        run.market_events,
        run.engine_events,
        run.wall_ms / 1e3,
        run.events_per_sec / 1e6
    );
    for o in &run.by_algo {
        println!("  {:<8} {:>4} parents {:>4} done {:>5.1}% filled", o.algo.as_str(), o.parents, o.done, o.filled_pct);
    }
}
