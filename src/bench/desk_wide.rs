//! What counting usage and streaming events across the desk cost and how
//! soon they hold, on the largest desk of `bench --scenario desk`: one
//! user's submissions from every instance at once when a daily-notional
//! limit makes each one read the user's usage on the other engines under
//! the user's desk lock; an open-order cap reached from every instance at
//! once (exactly the cap accepted, and how soon after the order that
//! reached it each other instance refuses); and how late an order accepted
//! on one instance reaches a supervisor's event stream on another.

use super::api::{Latency, SubmitRun, http, order_body, send_json};
use super::desk::{Desk, DeskBenchConfig, token};
use futures_util::StreamExt;
use serde::Serialize;
use std::time::{Duration, Instant};

/// Orders the open-order cap allows.
const CAP: usize = 200;
/// Orders timed from one instance to another's event stream.
const STREAMED: usize = 30;

/// The desk-wide figures.
#[derive(Debug, Clone, Serialize)]
pub struct DeskWideRun {
    /// One user with a daily-notional limit (never reached), every client of
    /// every instance submitting as that user, closed loop.
    pub limited_submit: SubmitRun,
    /// The open-order cap.
    pub cap: usize,
    /// Orders accepted while every client raced to the cap (must be `cap`).
    pub cap_accepted: usize,
    /// From the acknowledgement of the order that reached the cap to the
    /// first refusal answered on each instance (0 when one came first).
    pub refused_after_cap: Latency,
    /// From an order's acknowledgement on the second instance to its
    /// `event: desk` frame on a supervisor's stream from the first.
    pub stream: Latency,
}

async fn put_limits(d: &Desk, user: &str, limits: serde_json::Value) -> Result<(), String> {
    let r = http()
        .put(format!("{}/v1/risk/limits", d.servers[0].url()))
        .bearer_auth(&d.sup)
        .json(&serde_json::json!({ "tenant": "bench", "user": user, "limits": limits }))
        .send()
        .await
        .map_err(|e| format!("PUT /v1/risk/limits: {e}"))?;
    if !r.status().is_success() {
        return Err(format!("PUT /v1/risk/limits: {} {}", r.status(), r.text().await.unwrap_or_default()));
    }
    Ok(())
}

/// Every client of every instance submitting as one limited user.
async fn limited(cfg: &DeskBenchConfig, d: &Desk) -> Result<SubmitRun, String> {
    let tok = token(cfg, &d.db.url, "limited", "ADVISOR")?;
    put_limits(d, "limited", serde_json::json!({ "max_daily_notional": 1e11 })).await?;
    let deadline = Instant::now() + Duration::from_secs_f64(cfg.seconds);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for (k, s) in d.servers.iter().enumerate() {
        for c in 0..cfg.clients {
            let (url, tok) = (format!("{}/v1/orders", s.url()), tok.clone());
            tasks
                .push(tokio::spawn(async move { super::api::submit_until(&url, &tok, k * 1_000 + c, deadline).await }));
        }
    }
    let (lat, errors) = super::api::joined(tasks).await;
    let mode =
        format!("closed loop, one user limited desk-wide, {} instance(s) x {} clients", d.servers.len(), cfg.clients);
    Ok(SubmitRun::new(mode, lat, errors, t0.elapsed().as_secs_f64()))
}

/// Every client of every instance racing one user's orders to an open-order cap.
async fn capped(cfg: &DeskBenchConfig, d: &Desk) -> Result<(usize, Latency), String> {
    let tok = token(cfg, &d.db.url, "capped", "ADVISOR")?;
    put_limits(d, "capped", serde_json::json!({ "max_open_orders": CAP })).await?;
    let mut tasks = Vec::new();
    for (k, s) in d.servers.iter().enumerate() {
        for c in 0..cfg.clients {
            let (url, tok) = (format!("{}/v1/orders", s.url()), tok.clone());
            tasks.push(tokio::spawn(async move {
                let http = http();
                let mut acks = Vec::new();
                for i in 0.. {
                    let r = send_json(&http, &url, &tok, order_body(k * 1_000 + c + i)).await;
                    let Ok(r) = r else { return (acks, None) };
                    match r.status().as_u16() {
                        201 => acks.push(Instant::now()),
                        409 => return (acks, Some((k, Instant::now()))),
                        _ => return (acks, None),
                    }
                }
                (acks, None)
            }));
        }
    }
    let (mut acks, mut refusals) = (Vec::new(), Vec::new());
    for t in tasks {
        let (a, r) = t.await.map_err(|e| e.to_string())?;
        acks.extend(a);
        refusals.extend(r);
    }
    let last_ack = acks.iter().max().copied().ok_or("no order was accepted under the cap")?;
    let mut first: std::collections::BTreeMap<usize, Instant> = std::collections::BTreeMap::new();
    for (k, at) in refusals {
        let e = first.entry(k).or_insert(at);
        *e = (*e).min(at);
    }
    let delays = first.values().map(|at| at.saturating_duration_since(last_ack).as_secs_f64() * 1e3).collect();
    Ok((acks.len(), Latency::of(delays)))
}

/// Orders submitted on the second instance, seen on a supervisor's stream from the first.
async fn streamed(d: &Desk) -> Result<Latency, String> {
    let resp = http()
        .get(format!("{}/v1/events", d.servers[0].url()))
        .bearer_auth(&d.sup)
        .send()
        .await
        .map_err(|e| format!("GET /v1/events: {e}"))?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
    let reader = tokio::spawn(async move {
        let mut body = resp.bytes_stream();
        let mut text = String::new();
        while let Some(Ok(chunk)) = body.next().await {
            let at = Instant::now();
            text.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = text.find("\n\n") {
                let frame: String = text.drain(..end + 2).collect();
                if frame.starts_with("event: desk\n") && frame.contains(r#""type":"accepted""#) {
                    let id = frame.split(r#""order":{"id":""#).nth(1).and_then(|r| r.split('"').next());
                    if let Some(id) = id {
                        let _ = tx.send((id.to_string(), at));
                    }
                }
            }
        }
    });
    let (c, url) = (http(), format!("{}/v1/orders", d.servers[1].url()));
    let mut acked = std::collections::BTreeMap::new();
    for i in 0..STREAMED {
        let r = send_json(&c, &url, &d.clients[0], order_body(i)).await.map_err(|e| e.to_string())?;
        let at = Instant::now();
        let v: serde_json::Value = r.json().await.map_err(|e| e.to_string())?;
        let id = v["order"]["id"].as_str().ok_or_else(|| format!("an order on the second instance: {v}"))?;
        acked.insert(id.to_string(), at);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut delays = Vec::new();
    let give_up = Instant::now() + Duration::from_secs(30);
    while delays.len() < acked.len() && Instant::now() < give_up {
        if let Ok(Some((id, at))) = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await
            && let Some(ack) = acked.get(&id)
        {
            delays.push(at.saturating_duration_since(*ack).as_secs_f64() * 1e3);
        }
    }
    reader.abort();
    if delays.len() < acked.len() {
        return Err(format!(
            "{} of {} orders never reached the other instance's stream",
            acked.len() - delays.len(),
            acked.len()
        ));
    }
    Ok(Latency::of(delays))
}

/// Every desk-wide figure on desk `d` (at least two instances).
pub(super) async fn run(cfg: &DeskBenchConfig, d: &Desk) -> Result<DeskWideRun, String> {
    let limited_submit = limited(cfg, d).await?;
    let (cap_accepted, refused_after_cap) = capped(cfg, d).await?;
    let stream = streamed(d).await?;
    Ok(DeskWideRun { limited_submit, cap: CAP, cap_accepted, refused_after_cap, stream })
}
