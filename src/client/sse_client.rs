//! The remote event stream: Server-Sent Events with our own reconnect.
//!
//! The first connection is made before `subscribe` returns, so a refusal
//! (401, 403) comes back as an error exactly as `Embedded` gives it. After
//! that a background task reads events and, when the connection drops or the
//! server closes a stream that fell behind, reconnects with backoff and
//! `Last-Event-ID` set to the last event it delivered: the server replays what
//! was missed, so the consumer sees every event once, in order. Connection
//! changes are reported as `StreamItem::Connection`.

use super::remote::{Remote, error_from, transport_error};
use super::{ClientError, EventStream, StreamItem};
use crate::engine::EngineEvent;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use std::time::Duration;
use tokio::sync::mpsc;

/// Events buffered between the reader task and a slow consumer; when full the
/// reader waits, the socket fills, and the server drops the stream (to be
/// resumed on reconnect) instead of ever holding the engine back.
const BUFFER: usize = 1024;

/// Opens the event stream after `after` (None = from now).
pub(super) async fn subscribe(remote: Remote, after: Option<u64>) -> Result<EventStream, ClientError> {
    let resp = connect(&remote, after).await?;
    let (tx, rx) = mpsc::channel(BUFFER);
    tokio::spawn(pump(remote, resp, after, tx));
    Ok(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx)))
}

/// One connection attempt through the breaker.
async fn connect(remote: &Remote, after: Option<u64>) -> Result<reqwest::Response, ClientError> {
    let permit = remote.inner.breaker.admit()?;
    let mut rb = remote.authorize(remote.stream_client().get(remote.url("/v1/events")));
    if let Some(seq) = after {
        rb = rb.header("Last-Event-ID", seq.to_string());
    }
    match rb.send().await {
        Ok(r) if r.status().is_success() => {
            permit.success();
            Ok(r)
        }
        Ok(r) => {
            let status = r.status();
            if status.is_server_error() {
                permit.failure(&format!("HTTP {status}"));
            } else {
                permit.success();
            }
            let body = r.bytes().await.unwrap_or_default();
            Err(error_from(status, &body))
        }
        Err(e) => {
            let why = transport_error(&e);
            permit.failure(&why);
            Err(ClientError::new("unavailable", why))
        }
    }
}

/// How one connection ended.
enum End {
    /// The consumer went away: stop.
    Closed,
    /// Reconnect, saying why.
    Dropped(String),
}

/// Reads one connection until it ends, delivering events and tracking the last id.
async fn read(resp: reqwest::Response, last: &mut Option<u64>, tx: &mpsc::Sender<StreamItem>) -> End {
    let mut events = Box::pin(resp.bytes_stream().eventsource());
    loop {
        let next = tokio::select! {
            n = events.next() => n,
            _ = tx.closed() => return End::Closed,
        };
        let ev = match next {
            None => return End::Dropped("the server closed the stream".into()),
            Some(Err(e)) => return End::Dropped(format!("stream error: {e}")),
            Some(Ok(ev)) => ev,
        };
        match ev.event.as_str() {
            "engine" => {
                let Ok(e) = serde_json::from_str::<EngineEvent>(&ev.data) else {
                    return End::Dropped(format!("undecodable event {}", ev.id));
                };
                // A replay never repeats what was delivered; guard anyway.
                if last.is_some_and(|l| e.seq <= l) {
                    continue;
                }
                *last = Some(e.seq);
                if tx.send(StreamItem::Event(e)).await.is_err() {
                    return End::Closed;
                }
            }
            // The position the stream starts from, before any event.
            "hello" => {
                if let Ok(seq) = ev.id.parse::<u64>() {
                    *last = Some(last.map_or(seq, |l| l.max(seq)));
                }
            }
            "lagged" => return End::Dropped("the server dropped this stream for falling behind".into()),
            _ => {}
        }
    }
}

async fn pump(remote: Remote, first: reqwest::Response, after: Option<u64>, tx: mpsc::Sender<StreamItem>) {
    let mut last = after;
    let mut resp = first;
    let (min, max) = (remote.inner.options.reconnect_min, remote.inner.options.reconnect_max);
    loop {
        let why = match read(resp, &mut last, &tx).await {
            End::Closed => return,
            End::Dropped(why) => why,
        };
        if tx.send(StreamItem::Connection { connected: false, detail: why }).await.is_err() {
            return;
        }
        let mut delay = min;
        resp = loop {
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = tx.closed() => return,
            }
            match connect(&remote, last).await {
                Ok(r) => break r,
                // The token was revoked or the role changed: retrying cannot help.
                Err(e) if matches!(e.code.as_str(), "unauthorized" | "forbidden") => {
                    let _ = tx.send(StreamItem::Connection { connected: false, detail: e.message }).await;
                    return;
                }
                Err(_) => delay = (delay * 2).min(max).max(Duration::from_millis(1)),
            }
        };
        let detail = match last {
            Some(seq) => format!("reconnected; resumed after event {seq}"),
            None => "reconnected".to_string(),
        };
        if tx.send(StreamItem::Connection { connected: true, detail }).await.is_err() {
            return;
        }
    }
}
