//! `cargo bench`: one full simulated equity day (AAPL, 5 venues, TWAP running).
//! Prints market events per second alongside divan's timing.

fn main() {
    let run = blotter::bench::equity_day(42);
    println!(
        "equity day: {} market events in {:.1} ms = {:.2} M events/s",
        run.market_events,
        run.wall_ms,
        run.market_events as f64 / run.wall_ms / 1e3
    );
    divan::main();
}

#[divan::bench(sample_count = 5)]
fn equity_day_twap() -> blotter::bench::DayRun {
    blotter::bench::equity_day(42)
}

/// TCA of one order with 100,000 fills against a 10-million-trade tape (analysis only).
#[divan::bench(sample_count = 5)]
fn tca_100k_fills_10m_trades(b: divan::Bencher) {
    let s = blotter::bench::tca::TcaScenario::generate(100_000, 10_000_000, 42);
    b.bench_local(|| s.analyse());
}
