//! `blotter bench --scenario desk`: several `serve` processes on one
//! PostgreSQL server as one desk (`bench::desk`).

use super::CliError;
use super::bench::BenchArgs;
use crate::bench::desk::{DeskBenchConfig, log_dir, ready, run};

pub(super) fn desk(a: &BenchArgs) -> Result<(), CliError> {
    let url = match a.db.as_deref().map(str::trim) {
        Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => u.to_string(),
        _ => {
            return Err(CliError::usage(
                "--db: --scenario desk needs a PostgreSQL server URL (postgres://USER@HOST:PORT/DB) whose user may \
                 create databases: each phase runs on a database of its own, dropped afterwards",
            ));
        }
    };
    if a.desk_instances < 2 || a.desk_instances > 16 {
        return Err(CliError::usage("--desk-instances: allowed 2 to 16 (a HALT and a takeover need two)"));
    }
    if a.desk_clients == 0 || a.desk_halts == 0 {
        return Err(CliError::usage("--desk-clients and --desk-halts must be at least 1"));
    }
    if !(a.desk_seconds.is_finite() && a.desk_seconds > 0.0) {
        return Err(CliError::usage("--desk-seconds: must be positive"));
    }
    if !(a.desk_lease.is_finite() && (0.5..=3_600.0).contains(&a.desk_lease)) {
        return Err(CliError::usage("--desk-lease: allowed 0.5 to 3600 seconds"));
    }
    let exe = std::env::current_exe().map_err(|e| CliError::runtime(format!("this executable: {e}")))?;
    let dir = log_dir();
    ready(&dir).map_err(CliError::runtime)?;
    let cfg = DeskBenchConfig {
        url,
        exe,
        instances: a.desk_instances,
        clients: a.desk_clients,
        seconds: a.desk_seconds,
        lease: a.desk_lease,
        halts: a.desk_halts,
        dir: dir.clone(),
        seed: a.seed,
    };
    let r =
        run(&cfg).map_err(|e| CliError::runtime(format!("bench desk: {e} (instance logs in {})", dir.display())))?;
    let _ = std::fs::remove_dir_all(&dir);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r).map_err(|e| CliError::runtime(e.to_string()))?);
        return Ok(());
    }
    for s in &r.submit {
        let x = &s.run;
        println!(
            "{} instance(s): {:.0} durable submissions/s ({} in {:.1} s, {} errors); p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            s.instances,
            x.per_sec,
            x.accepted,
            x.seconds,
            x.errors,
            x.latency.p50_ms,
            x.latency.p99_ms,
            x.latency.max_ms
        );
    }
    let h = &r.halt;
    println!(
        "HALT on one of {} instances, {} times: acknowledged p50 {:.1} ms, max {:.1} ms; refused on the others p50 {:.1} ms, max {:.1} ms; accepted after: {}",
        a.desk_instances,
        h.halts,
        h.acknowledged.p50_ms,
        h.acknowledged.max_ms,
        h.refused_elsewhere.p50_ms,
        h.refused_elsewhere.max_ms,
        h.accepted_after_ack
    );
    let w = &r.desk_wide;
    let x = &w.limited_submit;
    println!(
        "one user limited desk-wide from every instance: {:.0} durable submissions/s; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        x.per_sec, x.latency.p50_ms, x.latency.p99_ms, x.latency.max_ms
    );
    println!(
        "open-order cap {} raced from every instance: {} accepted; first refusal on each instance after the cap was reached: p50 {:.1} ms, max {:.1} ms",
        w.cap, w.cap_accepted, w.refused_after_cap.p50_ms, w.refused_after_cap.max_ms
    );
    println!(
        "an order accepted on instance 2 on a supervisor's stream from instance 1: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} orders)",
        w.stream.p50_ms, w.stream.p99_ms, w.stream.max_ms, w.stream.n
    );
    let t = &r.takeover;
    println!(
        "SIGKILL under a submit loop ({} acknowledged), lease {:.1} s: taken over after {:.2} s, its order cancelled through another instance after {:.2} s; every order once: {}",
        t.acknowledged,
        t.lease_s,
        t.taken_over_s,
        t.answered_s,
        if t.all_once { "yes" } else { "NO" }
    );
    println!("another frozen (SIGSTOP, as a machine cut off): taken over after {:.2} s", t.frozen_taken_over_s);
    Ok(())
}
