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
//!
//! On a desk of several engines (several instances on one database), the
//! other engines' events are relayed from the ledger as `event: desk` and
//! ids become desk-wide positions (`desk_stream`).
//!
//! Ids are the ledger's event sequence: a restarted `serve` resumes the same
//! engine, so a client reconnecting with an id from before the restart is
//! sent the events it missed from the ledger, then the live ones. Memory
//! holds only a window of recent events: older ones come from the ledger
//! too; without a ledger the stream says `event: gap` (how many are gone)
//! and goes on.

use super::ApiState;
use super::auth::Caller;
use super::desk_stream::{Cursor, FeedItem};
use super::errors::{ApiError, ApiResult};
use super::extract::ApiQuery;
use crate::client::{Client, ClientError, ErrorCode, StreamItem};
use crate::engine::{Actor, EngineEvent};
use crate::model::ParentId;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::{FutureExt, StreamExt};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// Where to resume.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Resume after this sequence number (the `Last-Event-ID` header wins when both are given).
    pub after: Option<u64>,
}

/// Events of one frame at most (a batch is sent as soon as nothing more is ready).
const BATCH_EVENTS: usize = 512;
/// Bytes of one frame at most.
const BATCH_BYTES: usize = 256 * 1024;

/// The SSE frame of each recent event, made once and shared by every stream
/// (a busy day sends each event to every subscriber). Slots are indexed by
/// sequence number; an old event whose slot was reused is simply encoded again.
pub struct FrameCache {
    slots: Vec<Mutex<(u64, Bytes)>>,
}

impl FrameCache {
    /// A cache of `n` recent frames.
    pub fn new(n: usize) -> FrameCache {
        FrameCache { slots: (0..n.max(1)).map(|_| Mutex::new((0, Bytes::new()))).collect() }
    }

    fn frame(&self, e: &EngineEvent) -> Bytes {
        // Not the same for every stream (`engine::view::as_seen_by`): never shared.
        if matches!(e.kind, crate::engine::EventKind::KillAll { .. }) {
            return encode(e);
        }
        let slot = &self.slots[(e.seq % self.slots.len() as u64) as usize];
        {
            let g = slot.lock().unwrap_or_else(|p| p.into_inner());
            if g.0 == e.seq && !g.1.is_empty() {
                return g.1.clone();
            }
        }
        let f = encode(e);
        *slot.lock().unwrap_or_else(|p| p.into_inner()) = (e.seq, f.clone());
        f
    }
}

/// `event: gap`: events no longer held (and no ledger to read them from).
fn gap_frame(missed: u64, which: &str) -> String {
    format!(
        "event: gap\ndata: {{\"missed\":{missed},\"detail\":\"{which}no longer held (no ledger): resync from a snapshot\"}}\n\n"
    )
}

/// `event: engine`, `id: <seq>`, the event as one line of JSON.
fn encode(e: &EngineEvent) -> Bytes {
    let json = serde_json::to_string(e).unwrap_or_else(|err| format!("{{\"error\":\"{err}\"}}"));
    Bytes::from(format!("event: engine\nid: {}\ndata: {json}\n\n", e.seq))
}

/// What a stream sends: the home engine's items, and the desk's other engines' events.
// Items pass through by value, one at a time: boxing the home engine's (the
// many) to shrink the other variant would cost an allocation per event.
#[allow(clippy::large_enum_variant)]
pub(super) enum Item {
    /// From the home engine (memory, or the ledger before this process).
    Home(StreamItem),
    /// From the desk's other engines (`desk_stream`).
    Desk(FeedItem),
}

type Items = std::pin::Pin<Box<dyn futures_util::Stream<Item = Item> + Send>>;

struct Relay {
    inner: Items,
    /// A desk-wide stream's position (`None`: the home engine's alone, ids are its sequence numbers).
    cursor: Option<Cursor>,
    stop: watch::Receiver<u64>,
    cache: Arc<FrameCache>,
    keep_alive: tokio::time::Interval,
    done: bool,
    /// The token's registration: it says why when the token is revoked or expires.
    token: Option<super::revoke::Registration>,
    /// The stream's place in its token's bound, given back when it ends.
    _slot: super::stream_slots::Slot,
}

/// Resolves, saying why, once the stream's token is revoked or expires
/// (never without a token).
async fn token_ended(token: &mut Option<super::revoke::Registration>) -> super::revoke::Ended {
    let Some(reg) = token else { return std::future::pending().await };
    loop {
        if let Some(why) = *reg.ended.borrow_and_update() {
            return why;
        }
        if reg.ended.changed().await.is_err() {
            return std::future::pending().await;
        }
    }
}

/// The JSON of a frame `encode` made, without copying it.
fn data_of(frame: &Bytes, seq: u64) -> Bytes {
    let from = "event: engine\nid: ".len() + seq.to_string().len() + "\ndata: ".len();
    frame.slice(from.min(frame.len())..frame.len().saturating_sub(2).max(from.min(frame.len())))
}

impl Relay {
    /// Appends one item; true when the stream must end after this batch.
    fn push(&mut self, buf: &mut BytesMut, item: Item) -> bool {
        let item = match item {
            Item::Home(i) => i,
            Item::Desk(FeedItem::Event(ev)) => {
                let cursor = self.cursor.get_or_insert_with(Cursor::default);
                cursor.others.insert(ev.0, ev.1.seq);
                buf.extend_from_slice(super::desk_stream::frame(ev.0, &ev.1, cursor).as_bytes());
                return false;
            }
            Item::Desk(FeedItem::Lagged) => StreamItem::Lagged { missed: 0 },
        };
        match item {
            StreamItem::Event(e) => {
                let frame = self.cache.frame(&e);
                match self.cursor.as_mut() {
                    // Shared frames while the position is the home engine's alone.
                    Some(c) if !c.others.is_empty() => {
                        c.home = e.seq;
                        buf.extend_from_slice(format!("event: engine\nid: {}\ndata: ", c.text()).as_bytes());
                        buf.extend_from_slice(&data_of(&frame, e.seq));
                        buf.extend_from_slice(b"\n\n");
                    }
                    Some(c) => {
                        c.home = e.seq;
                        buf.extend_from_slice(&frame);
                    }
                    None => buf.extend_from_slice(&frame),
                }
                false
            }
            StreamItem::Lagged { missed } => {
                buf.extend_from_slice(
                    format!(
                        "event: lagged\ndata: {{\"missed\":{missed},\"detail\":\"this stream fell behind and is closed: \
                         reconnect with Last-Event-ID\"}}\n\n"
                    )
                    .as_bytes(),
                );
                true
            }
            // Engines in this process never send another engine's events.
            StreamItem::Desk { .. } => false,
            StreamItem::Connection { detail, .. } => {
                buf.extend_from_slice(format!(": {}\n\n", detail.replace('\n', " ")).as_bytes());
                false
            }
            // Gone from memory and not in a ledger: reconnecting cannot bring them back.
            StreamItem::Gap { missed } => {
                buf.extend_from_slice(gap_frame(missed, "").as_bytes());
                false
            }
        }
    }
}

/// Engine items as SSE bytes, until the engine stream ends, the server asks
/// every stream to close, or the consumer lagged (told with `lagged`, then
/// closed). Events ready together go out in one write.
fn relay(
    inner: Items,
    cursor: Option<Cursor>,
    stop: watch::Receiver<u64>,
    cache: Arc<FrameCache>,
    keep_alive: Duration,
    token: Option<super::revoke::Registration>,
    slot: super::stream_slots::Slot,
) -> impl futures_util::Stream<Item = Result<Bytes, Infallible>> + Send {
    let mut keep_alive = tokio::time::interval_at(tokio::time::Instant::now() + keep_alive, keep_alive);
    keep_alive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let r = Relay { inner, cursor, stop, cache, keep_alive, done: false, token, _slot: slot };
    futures_util::stream::unfold(r, |mut r| async move {
        if r.done {
            return None;
        }
        let first = tokio::select! {
            item = r.inner.next() => item?,
            _ = r.stop.changed() => return None,
            why = token_ended(&mut r.token) => {
                r.done = true;
                let bye = match why {
                    super::revoke::Ended::Revoked => {
                        "event: revoked\ndata: {\"detail\":\"the token of this stream was revoked\"}\n\n"
                    }
                    super::revoke::Ended::Expired => {
                        "event: expired\ndata: {\"code\":\"token_expired\",\"detail\":\"the token of this stream expired\"}\n\n"
                    }
                };
                return Some((Ok(Bytes::from_static(bye.as_bytes())), r));
            }
            _ = r.keep_alive.tick() => return Some((Ok(Bytes::from_static(b":\n\n")), r)),
        };
        let mut buf = BytesMut::new();
        r.done = r.push(&mut buf, first);
        let mut n = 1;
        while !r.done && n < BATCH_EVENTS && buf.len() < BATCH_BYTES {
            match r.inner.next().now_or_never() {
                Some(Some(item)) => r.done = r.push(&mut buf, item),
                Some(None) => r.done = true,
                None => break,
            }
            n += 1;
        }
        Some((Ok(buf.freeze()), r))
    })
}

/// Live engine events as SSE (see the module docs for resume and lag).
#[utoipa::path(get, path = "/v1/events", tag = "events",
    params(EventsQuery, ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id: a \
        sequence number (120), or on a desk of several engines a position in each (E1=120;E2=45;E3=77)")),
    responses((status = 200, description = "`text/event-stream`: `hello` (id = start position), then `engine` events \
        (id = sequence number, or the desk-wide position once the desk has other engines; data = the event as JSON), \
        `desk` events from the desk's other engines (data = {\"engine\": n, \"event\": ...}); `lagged` before a close \
        when the stream fell behind",
        content_type = "text/event-stream", body = EngineEvent)))]
pub async fn events(
    State(s): State<ApiState>,
    axum::Extension(c): axum::Extension<Caller>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> ApiResult<Response> {
    let resume = match headers.get("last-event-id") {
        None => None,
        Some(v) => Some(v.to_str().ok().and_then(Cursor::parse).ok_or_else(|| {
            ApiError::from(
                ClientError::new(
                    ErrorCode::InvalidHeader,
                    "Last-Event-ID must be an event id this stream sent: a sequence number (120), or on a desk of \
                     several engines a position in each (E1=120;E2=45;E3=77)",
                )
                .with_field("Last-Event-ID"),
            )
        })?),
    };
    // Bounded per token before anything is subscribed or read.
    let slots = s.stream_slots();
    let Some(slot) = slots.take(&c.key) else {
        let e = ClientError::new(
            ErrorCode::RateLimited,
            format!(
                "{} event streams are open for this token, the most it may hold; close one (or resume on it) \
                 and retry",
                slots.max()
            ),
        );
        let mut res = ApiError::from(e).into_response();
        res.headers_mut().insert(header::RETRY_AFTER, axum::http::HeaderValue::from(1));
        return Ok(res);
    };
    // Which of the position's numbers is this instance's engine (an id that
    // names every engine means the same on every instance).
    let home_no = s.ledger().map(|l| l.engine);
    let (header, want, desk_wide) = match resume {
        Some(c) => {
            let (home, others, named) = c.resolve(home_no);
            (Some(home), others, named)
        }
        None => (None, std::collections::BTreeMap::new(), false),
    };
    // A resumed engine has published nothing in this process yet: its
    // position starts where the ledger left it.
    let last = s.engine().last_seq().max(s.ledger().map_or(0, |l| l.resumed_at));
    let start = header.or(q.after).unwrap_or(last);
    if start > last {
        return Err(ClientError::new(
            ErrorCode::InvalidHeader,
            format!("event {start} is ahead of the stream (last {last})"),
        )
        .with_field("Last-Event-ID")
        .into());
    }
    let client = s.client(&c);
    // Memory holds only the latest events (a window); older ones, and those
    // from before this process took the engine over, are in the ledger.
    let held = s.engine().first_held_seq();
    let mut gap = String::new();
    let inner = match s.ledger() {
        Some(l) if start < l.resumed_at.max(held.saturating_sub(1)) => {
            let floor = l.resumed_at.max(held.saturating_sub(1));
            let own = s.engine().with_engine(|e| e.visible_ids(&c.actor));
            let seen = History { actor: c.actor.clone(), own };
            let live = client.subscribe(Some(floor)).await?;
            Box::pin(from_ledger(l.clone(), start, floor, seen).chain(live))
        }
        Some(_) => client.subscribe(Some(start)).await?,
        // Without a ledger, what left memory is gone: say so once and go on
        // from what is held (reconnecting could not bring it back).
        None if start + 1 < held => {
            gap = gap_frame(held - 1 - start, &format!("events {}..{} ", start + 1, held - 1));
            client.subscribe(Some(held - 1)).await?
        }
        None => client.subscribe(Some(start)).await?,
    };
    let inner: Items = Box::pin(inner.map(Item::Home));
    // The desk's other engines, from the ledger, merged in as they come.
    let (inner, cursor) = match s.desk_feed().await.map_err(|e| ClientError::ledger_unavailable(&e))? {
        Some(feed) => {
            let l = s
                .ledger()
                .map(|l| l.handle.clone())
                .ok_or_else(|| ClientError::new(ErrorCode::Internal, "no ledger"))?;
            let own = others_own(&s, &c.actor).await?;
            let (from, desk) = feed.subscribe(l, &want, desk_wide, c.actor.clone(), own);
            let merged: Items = Box::pin(futures_util::stream::select(inner, desk.map(Item::Desk)));
            (merged, Some(Cursor { home: start, others: from, home_engine: home_no, named: false }))
        }
        None => (inner, None),
    };
    let id = cursor.as_ref().map_or_else(|| start.to_string(), Cursor::text);
    let hello =
        format!("event: hello\nid: {id}\ndata: {{\"after\":{start},\"lastSeq\":{last},\"paperMode\":true}}\n\n{gap}");
    let token = c.hash.as_deref().map(|h| s.token_streams().open(h, c.expires_at));
    let body = relay(inner, cursor, s.stream_stop(), s.frames(), s.keep_alive(), token, slot);
    let stream = futures_util::stream::once(async move { Ok(Bytes::from(hello)) }).chain(body);
    let headers = [(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "no-cache")];
    Ok((headers, Body::from_stream(stream)).into_response())
}

/// The caller's orders on the desk's other engines (for a caller who sees
/// only their own; supervisors see every event and need none).
async fn others_own(s: &ApiState, actor: &Actor) -> Result<BTreeSet<ParentId>, ClientError> {
    let (Some(d), false) = (s.desk().ledger(), actor.role.is_supervisor()) else { return Ok(BTreeSet::new()) };
    let home = i64::from(s.desk().home_number());
    let owner = Some((actor.tenant.to_string(), actor.user.to_string()));
    let orders =
        d.handle.desk_orders(vec![home], d.date, owner).await.map_err(|e| ClientError::ledger_unavailable(&e))?;
    Ok(orders.into_iter().map(|o| o.order.order.id).collect())
}

/// Which events of the ledger's history a subscriber may see: the same rule
/// as live (`engine::view::event_visible`).
struct History {
    actor: Actor,
    own: BTreeSet<ParentId>,
}

impl History {
    fn admit(&self, e: EngineEvent) -> Option<EngineEvent> {
        crate::engine::view::as_seen_by(&self.actor, &self.own, e)
    }
}

/// Events read from the ledger per query.
const LEDGER_PAGE: usize = 2_000;

/// The served engine's events in `(after, upto]` from the ledger, in order,
/// those `seen` allows, a page at a time as the client reads. A read failure
/// ends the stream as a lag does: the client reconnects from its last id, so
/// nothing is skipped.
fn from_ledger(
    l: super::ledger::ServedLedger,
    after: u64,
    upto: u64,
    seen: History,
) -> impl futures_util::Stream<Item = StreamItem> + Send {
    let seen = Arc::new(seen);
    futures_util::stream::unfold(Some(after), move |cursor| {
        let (l, seen) = (l.clone(), Arc::clone(&seen));
        async move {
            let after = cursor?;
            if after >= upto {
                return None;
            }
            match l.handle.events_between(l.engine, after, upto, LEDGER_PAGE).await {
                Ok(page) if page.is_empty() => None,
                Ok(page) => {
                    let next = page.last().map(|e| e.seq);
                    let items: Vec<StreamItem> =
                        page.into_iter().filter_map(|e| seen.admit(e)).map(StreamItem::Event).collect();
                    Some((futures_util::stream::iter(items), next))
                }
                Err(_) => Some((futures_util::stream::iter(vec![StreamItem::Lagged { missed: 0 }]), None)),
            }
        }
    })
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EventKind;
    use crate::model::{ParentId, Timestamp};

    /// A stream's slot in a bound of its own.
    fn slot() -> super::super::stream_slots::Slot {
        Arc::new(super::super::stream_slots::StreamSlots::new(1)).take("t").expect("a free slot")
    }

    fn ev(seq: u64) -> StreamItem {
        StreamItem::Event(EngineEvent { seq, ts: Timestamp(0), kind: EventKind::Paused { parent: ParentId::local(1) } })
    }

    async fn body_of(items: Vec<StreamItem>, stop: watch::Receiver<u64>) -> String {
        let inner: Items =
            Box::pin(futures_util::stream::iter(items).chain(futures_util::stream::pending()).map(Item::Home));
        let cache = Arc::new(FrameCache::new(8));
        let chunks: Vec<Result<Bytes, Infallible>> =
            relay(inner, None, stop, cache, Duration::from_secs(60), None, slot()).collect().await;
        let bytes: Vec<u8> = chunks.into_iter().flat_map(|c| c.unwrap().to_vec()).collect();
        String::from_utf8(bytes).unwrap()
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
    async fn an_idle_stream_gets_keep_alive_comments() {
        let (_tx, rx) = watch::channel(0);
        let inner: Items = Box::pin(futures_util::stream::pending());
        let chunks: Vec<Bytes> =
            relay(inner, None, rx, Arc::new(FrameCache::new(4)), Duration::from_millis(10), None, slot())
                .take(2)
                .map(|c| c.unwrap())
                .collect()
                .await;
        assert_eq!(chunks, vec![Bytes::from_static(b":\n\n"); 2]);
    }

    #[test]
    fn each_event_is_framed_once_and_shared() {
        let cache = FrameCache::new(4);
        let StreamItem::Event(e) = ev(9) else { unreachable!() };
        let a = cache.frame(&e);
        let b = cache.frame(&e);
        assert_eq!(a.as_ptr(), b.as_ptr(), "the second stream reuses the first one's frame");
        assert!(a.starts_with(b"event: engine\nid: 9\ndata: {") && a.ends_with(b"}\n\n"));
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
