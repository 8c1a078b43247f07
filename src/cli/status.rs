//! `blotter status --connect URL`: the sidecar's health, readiness and the
//! client's circuit breaker, for scripts and monitoring.

use super::CliError;
use crate::client::{BreakerView, Client, Remote};
use crate::engine::view::{Health, Identity};
use clap::Args;
use serde::Serialize;

/// Flags of `blotter status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Sidecar URL.
    #[arg(long, default_value = "http://127.0.0.1:8898", env = "BLOTTER_CONNECT")]
    connect: String,
    /// Bearer token (adds the health detail, the readiness checks and who-am-I).
    #[arg(long, env = "BLOTTER_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    url: String,
    reachable: bool,
    /// `ok` or `degraded`: what the sidecar tells anyone.
    status: Option<String>,
    /// The detail, for a token (or a sidecar without tokens).
    health: Option<Health>,
    ready: Option<crate::client::wire::Readiness>,
    identity: Option<Identity>,
    error: Option<String>,
    breaker: BreakerView,
}

pub fn status(a: &StatusArgs) -> Result<(), CliError> {
    let remote = Remote::new(&a.connect, a.token.clone()).map_err(|e| CliError::usage(format!("--connect: {e}")))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::runtime(format!("tokio: {e}")))?;
    let report = rt.block_on(async {
        let alive = remote.liveness().await;
        // One failed call is enough to report a dead sidecar. Without a token
        // the detail is not given: the status alone is the answer.
        let (health, ready) = match &alive {
            Ok(_) => (remote.health().await.ok(), remote.ready().await.ok()),
            Err(_) => (None, None),
        };
        let identity = match (&a.token, &alive) {
            (Some(_), Ok(_)) => remote.whoami().await.ok(),
            _ => None,
        };
        Report {
            url: remote.describe(),
            reachable: alive.is_ok(),
            error: alive.as_ref().err().map(|e| format!("{}: {}", e.code, e.message)),
            status: alive.ok().map(|l| l.status),
            health,
            ready,
            identity,
            breaker: remote.breaker(),
        }
    });
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| CliError::runtime(e.to_string()))?);
    } else {
        print_text(&report);
    }
    match (report.status.as_deref(), &report.ready) {
        (Some("ok"), Some(r)) if r.ready => Ok(()),
        (Some(_), _) => Err(CliError::runtime(format!("{} answers but is not ready", report.url))),
        (None, _) => Err(CliError::runtime(format!("{} is unreachable", report.url))),
    }
}

fn print_text(r: &Report) {
    let b = &r.breaker;
    let retry = b.retry_in_ms.map(|ms| format!(", retry in {ms} ms")).unwrap_or_default();
    match &r.health {
        Some(h) => {
            println!(
                "sidecar  {}  {}  version {}  {}",
                r.url,
                h.status,
                h.version,
                if h.paper_mode { "PAPER" } else { "LIVE" }
            );
            println!(
                "engines  paper {} ({} speed {}x), live {}",
                h.engines.paper, h.engines.date, h.engines.speed, h.engines.live
            );
            println!("orders   {} open, last event {}", h.open_orders, h.last_seq);
            let fill = h.ledger.last_fill_at.map_or("none".to_string(), |t| t.to_string());
            println!("ledger   {} (durable: {}), last fill {fill}", h.ledger.status, h.ledger.durable);
        }
        None => match &r.status {
            Some(status) => println!("sidecar  {}  {status}  (the detail needs --token)", r.url),
            None => println!("sidecar  {}  UNREACHABLE  {}", r.url, r.error.as_deref().unwrap_or("")),
        },
    }
    if let Some(ready) = &r.ready {
        let checks: Vec<String> = ready.checks.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("ready    {}  {}", ready.ready, checks.join(" "));
    }
    if let Some(i) = &r.identity {
        println!("identity {}@{} {}", i.user, i.tenant, i.role);
    }
    println!("breaker  {} ({} consecutive failures of {}{retry})", b.state, b.failures, b.threshold);
}
