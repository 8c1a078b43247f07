//! The live event stream over Server-Sent Events.
//!
//! Every engine event goes out as `event: engine`, `id: <seq>`, its JSON as
//! data; the stream opens with `event: hello` whose id is the position it
//! starts from, so a client that reconnects before any event arrived still
//! resumes without a gap. A reconnect with `Last-Event-ID` (or `?after=`)
//! replays exactly the events after it, in order, then continues live.
//!
//! Slow consumers never hold the engine back: live events reach each stream
//! through the engine's bounded broadcast buffer; a stream that falls further
//! behind than the buffer gets `event: lagged` and is closed, and its client
//! reconnects with its last id and is replayed what it missed.

use super::ApiState;
use super::auth::Caller;
use super::errors::{ApiError, ApiResult};
use super::extract::ApiQuery;
use crate::client::{Client, ClientError, EventStream, StreamItem};
use crate::engine::EngineEvent;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use std::convert::Infallible;
use tokio::sync::watch;

/// Where to resume.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Resume after this sequence number (the `Last-Event-ID` header wins when both are given).
    pub after: Option<u64>,
}

fn engine_event(e: &EngineEvent) -> Event {
    let base = Event::default().event("engine").id(e.seq.to_string());
    match serde_json::to_string(e) {
        Ok(json) => base.data(json),
        Err(err) => base.comment(format!("unserialisable event: {err}")),
    }
}

struct Relay {
    inner: EventStream,
    stop: watch::Receiver<u64>,
    done: bool,
}

/// Engine items as SSE events, until the engine stream ends, the server asks
/// every stream to close, or the consumer lagged (told with `lagged`, then closed).
fn relay(
    inner: EventStream,
    stop: watch::Receiver<u64>,
) -> impl futures_util::Stream<Item = Result<Event, Infallible>> + Send {
    let r = Relay { inner, stop, done: false };
    futures_util::stream::unfold(r, |mut r| async move {
        if r.done {
            return None;
        }
        let item = tokio::select! {
            item = r.inner.next() => item,
            _ = r.stop.changed() => None,
        }?;
        let ev = match item {
            StreamItem::Event(e) => engine_event(&e),
            StreamItem::Lagged { missed } => {
                r.done = true;
                Event::default().event("lagged").data(format!(
                    "{{\"missed\":{missed},\"detail\":\"this stream fell behind and is closed: reconnect with Last-Event-ID\"}}"
                ))
            }
            StreamItem::Connection { detail, .. } => Event::default().comment(detail),
        };
        Some((Ok::<Event, Infallible>(ev), r))
    })
}

/// Live engine events as SSE (see the module docs for resume and lag).
#[utoipa::path(get, path = "/v1/events", tag = "events",
    params(EventsQuery, ("Last-Event-ID" = Option<u64>, Header, description = "Resume after this event id")),
    responses((status = 200, description = "`text/event-stream`: `hello` (id = start position), then `engine` events \
        (id = sequence number, data = the event as JSON); `lagged` before a close when the stream fell behind",
        content_type = "text/event-stream", body = EngineEvent)))]
pub async fn events(
    State(s): State<ApiState>,
    axum::Extension(c): axum::Extension<Caller>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> ApiResult<Response> {
    let header = match headers.get("last-event-id") {
        None => None,
        Some(v) => Some(v.to_str().ok().and_then(|t| t.trim().parse::<u64>().ok()).ok_or_else(|| {
            ApiError::from(
                ClientError::new("invalid_header", "Last-Event-ID must be an event sequence number")
                    .with_field("Last-Event-ID"),
            )
        })?),
    };
    let last = s.engine().last_seq();
    let start = header.or(q.after).unwrap_or(last);
    if start > last {
        return Err(ClientError::new("invalid_header", format!("event {start} is ahead of the stream (last {last})"))
            .with_field("Last-Event-ID")
            .into());
    }
    let inner = s.client(&c).subscribe(Some(start)).await?;
    let hello = Event::default()
        .event("hello")
        .id(start.to_string())
        .data(format!("{{\"after\":{start},\"lastSeq\":{last},\"paperMode\":true}}"));
    let body = relay(inner, s.stream_stop());
    let stream = futures_util::stream::once(async move { Ok(hello) }).chain(body);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(s.keep_alive())).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EventKind;
    use crate::model::{ParentId, Timestamp};

    fn ev(seq: u64) -> StreamItem {
        StreamItem::Event(EngineEvent { seq, ts: Timestamp(0), kind: EventKind::Paused { parent: ParentId(1) } })
    }

    async fn body_of(items: Vec<StreamItem>, stop: watch::Receiver<u64>) -> String {
        let inner: EventStream = Box::pin(futures_util::stream::iter(items).chain(futures_util::stream::pending()));
        let res = Sse::new(relay(inner, stop)).into_response();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_lagging_stream_is_told_and_closed() {
        let (_tx, rx) = watch::channel(0);
        let text = body_of(vec![ev(7), StreamItem::Lagged { missed: 5 }, ev(13)], rx).await;
        assert!(text.contains("event: engine\nid: 7\n"), "{text}");
        assert!(text.contains("event: lagged\n") && text.contains("\"missed\":5"), "{text}");
        assert!(!text.contains("id: 13"), "nothing after the lag notice: the client resumes instead");
    }

    #[tokio::test]
    async fn drop_streams_closes_an_idle_stream() {
        let (tx, rx) = watch::channel(0);
        let closing = tokio::spawn(body_of(vec![ev(1)], rx));
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        tx.send_modify(|g| *g += 1);
        let text = tokio::time::timeout(std::time::Duration::from_secs(5), closing).await.unwrap().unwrap();
        assert!(text.contains("id: 1\n") && !text.contains("lagged"), "{text}");
    }
}
