//! The remote event stream: Server-Sent Events with our own reconnect.
//!
//! The first connection is made before `subscribe` returns, so a refusal
//! (401, 403) comes back as an error exactly as `Embedded` gives it. After
//! that a background task reads events and, when the connection drops or the
//! server closes a stream that fell behind, reconnects with backoff and
//! `Last-Event-ID` set to the last event it delivered: the server replays what
//! was missed, so the consumer sees every event once, in order. Connection
//! changes are reported as `StreamItem::Connection`.

use super::Remote;
use super::errors::{error_from, transport_error};
use crate::client::{ClientError, ErrorCode, EventStream, StreamItem};
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
            Err(ClientError::new(ErrorCode::Unavailable, why))
        }
    }
}

/// `event: desk` data: another engine's event. Reconnecting sends the home
/// engine's position alone, so the other engines go on from the moment of
/// the reconnection (what they did meanwhile shows in a fresh snapshot).
#[derive(serde::Deserialize)]
struct DeskFrame {
    engine: i64,
    event: EngineEvent,
}

/// How one connection ended.
enum End {
    /// The consumer went away: stop.
    Closed,
    /// Reconnect, saying why.
    Dropped(String),
}

/// Longest run of bytes without an event boundary passed on whole.
const MAX_PENDING: usize = 64 * 1024;

/// Cuts the byte stream at event boundaries (`\n\n`), so the SSE parser
/// sees one event at a time: it copies its whole buffer for every line it
/// consumes, which turns a large batch of events into quadratic work.
fn frames<S, E>(bytes: S) -> impl futures_util::Stream<Item = Result<bytes::Bytes, E>>
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, E>>,
{
    let state = (Box::pin(bytes), bytes::BytesMut::new(), std::collections::VecDeque::<bytes::Bytes>::new());
    futures_util::stream::unfold(state, |(mut src, mut pending, mut ready)| async move {
        loop {
            if let Some(f) = ready.pop_front() {
                return Some((Ok(f), (src, pending, ready)));
            }
            match src.next().await {
                Some(Ok(chunk)) => {
                    pending.extend_from_slice(&chunk);
                    let mut from = 0;
                    while let Some(i) = pending[from..].windows(2).position(|w| w == b"\n\n") {
                        from += i + 2;
                    }
                    let mut complete = pending.split_to(from).freeze();
                    while let Some(i) = complete.windows(2).position(|w| w == b"\n\n") {
                        ready.push_back(complete.split_to(i + 2));
                    }
                    if pending.len() > MAX_PENDING {
                        ready.push_back(pending.split().freeze());
                    }
                }
                Some(Err(e)) => return Some((Err(e), (src, pending, ready))),
                None if !pending.is_empty() => ready.push_back(pending.split().freeze()),
                None => return None,
            }
        }
    })
}

/// Reads one connection until it ends, delivering events and tracking the last id.
async fn read(resp: reqwest::Response, last: &mut Option<u64>, tx: &mpsc::Sender<StreamItem>) -> End {
    let mut events = Box::pin(frames(resp.bytes_stream()).eventsource());
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
            // Another engine of the desk: passed on, outside the home engine's sequence.
            "desk" => {
                let Ok(d) = serde_json::from_str::<DeskFrame>(&ev.data) else {
                    return End::Dropped(format!("undecodable desk event {}", ev.id));
                };
                if tx.send(StreamItem::Desk { engine: d.engine, event: d.event }).await.is_err() {
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
            // Reconnecting would be refused (401): the pump says so and stops.
            "revoked" => return End::Dropped("the token of this stream was revoked".into()),
            "expired" => return End::Dropped("the token of this stream expired".into()),
            // Events the server no longer holds: the consumer resyncs from a snapshot; the stream goes on.
            "gap" => {
                let missed = serde_json::from_str::<serde_json::Value>(&ev.data)
                    .ok()
                    .and_then(|v| v["missed"].as_u64())
                    .unwrap_or(0);
                if tx.send(StreamItem::Gap { missed }).await.is_err() {
                    return End::Closed;
                }
            }
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
                // The token was revoked or expired, or the role changed: retrying cannot help.
                Err(e)
                    if matches!(e.code, ErrorCode::Unauthorized | ErrorCode::TokenExpired | ErrorCode::Forbidden) =>
                {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_are_cut_at_event_boundaries_across_chunks() {
        let chunks = ["event: a\ndata: 1\n\nevent: b\nda", "ta: 2\n\n", "\n", "event: c\ndata: 3\n\nevent: d\n"];
        let src = futures_util::stream::iter(chunks.map(|c| Ok::<_, ()>(bytes::Bytes::from(c))));
        let out: Vec<String> =
            frames(src).map(|f| String::from_utf8(f.unwrap().to_vec()).unwrap()).collect::<Vec<_>>().await;
        assert_eq!(
            out,
            ["event: a\ndata: 1\n\n", "event: b\ndata: 2\n\n", "\nevent: c\ndata: 3\n\n", "event: d\n"],
            "whole events, in order, nothing lost"
        );
        let parsed: Vec<String> =
            frames(futures_util::stream::iter(chunks.map(|c| Ok::<_, ()>(bytes::Bytes::from(c)))))
                .eventsource()
                .map(|e| e.unwrap().data)
                .collect()
                .await;
        assert_eq!(parsed, ["1", "2", "3"]);
    }
}
