//! Open event streams end within a second of their token's revocation or
//! expiry. Tokens are revoked outside the server (`blotter token revoke`,
//! another server on a shared ledger), so a watcher asks the token store,
//! bypassing any cache, about each token that has a stream open, four times
//! a second, and ends the streams of a token that is no longer valid: gone
//! (revoked) or past its expiry (read from the same record, so an expiry
//! changed in the store is honoured too).

use super::tokens::{TokenRecord, TokenStore};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// How often tokens with open streams are checked.
pub const CHECK_EVERY: Duration = Duration::from_millis(250);

/// Why a token's streams were ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The token was revoked (or is no longer in the store).
    Revoked,
    /// The token reached its expiry.
    Expired,
}

/// The signal a token's streams wait on: none until they must end, then why.
type EndSignal = watch::Sender<Option<Ended>>;

/// One token's open streams: the signal they wait on, how many are open,
/// and its expiry as last read from the store.
#[derive(Debug)]
struct Open {
    signal: EndSignal,
    count: usize,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The tokens with open streams (by hash).
#[derive(Debug, Default)]
pub struct TokenStreams {
    open: Mutex<HashMap<String, Open>>,
}

/// One open stream's registration: dropping it (the stream ends) forgets
/// the token once its last stream is gone.
#[derive(Debug)]
pub struct Registration {
    streams: Arc<TokenStreams>,
    hash: String,
    /// Turns to why, when the token is revoked or expires.
    pub ended: watch::Receiver<Option<Ended>>,
}

impl TokenStreams {
    /// Registers a stream of the token with `hash`, which expires at
    /// `expires_at` as the store said when the stream was opened.
    pub fn open(self: &Arc<Self>, hash: &str, expires_at: Option<chrono::DateTime<chrono::Utc>>) -> Registration {
        let mut map = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.entry(hash.to_string()).or_insert_with(|| Open {
            signal: watch::channel(None).0,
            count: 0,
            expires_at,
        });
        entry.count += 1;
        entry.expires_at = expires_at;
        Registration { streams: Arc::clone(self), hash: hash.to_string(), ended: entry.signal.subscribe() }
    }

    /// The expiry of the token with `hash` as last read from the store.
    fn expiry(&self, hash: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).get(hash).and_then(|o| o.expires_at)
    }

    /// Keeps what the store says now of the token's expiry (it may change).
    fn set_expiry(&self, hash: &str, expires_at: Option<chrono::DateTime<chrono::Utc>>) {
        if let Some(o) = self.open.lock().unwrap_or_else(|e| e.into_inner()).get_mut(hash) {
            o.expires_at = expires_at;
        }
    }

    /// Tokens with a stream open.
    pub fn hashes(&self) -> Vec<String> {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect()
    }

    /// Ends every stream of the token with `hash`, saying why.
    pub fn end(&self, hash: &str, why: Ended) {
        if let Some(o) = self.open.lock().unwrap_or_else(|e| e.into_inner()).get(hash) {
            // The first reason stays: a stream is told once.
            o.signal.send_if_modified(|now| {
                if now.is_some() {
                    return false;
                }
                *now = Some(why);
                true
            });
        }
    }

    /// Tokens registered (for tests of memory returning).
    pub fn len(&self) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// True when no stream is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut map = self.streams.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = map.get_mut(&self.hash) {
            entry.count -= 1;
            if entry.count == 0 {
                map.remove(&self.hash);
            }
        }
    }
}

/// Why a token's streams must end, from what the store holds of it now.
pub fn ending(found: Option<&TokenRecord>, now: chrono::DateTime<chrono::Utc>) -> Option<Ended> {
    match found {
        None => Some(Ended::Revoked),
        Some(r) if r.expired_at(now) => Some(Ended::Expired),
        Some(_) => None,
    }
}

/// Checks the tokens with open streams while the registry lives; a token
/// the store no longer accepts (revoked, or expired) has its streams ended.
/// A store that cannot answer ends nothing it would have to be asked about
/// (it is asked again next time), but a token past the expiry the store gave
/// last is expired all the same: a database outage does not keep a stream
/// open past its token's life.
pub async fn watch_tokens(tokens: Arc<dyn TokenStore>, streams: std::sync::Weak<TokenStreams>) {
    let mut tick = tokio::time::interval(CHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(streams) = streams.upgrade() else { return };
        for hash in streams.hashes() {
            let now = chrono::Utc::now();
            match tokens.lookup_fresh(&hash).await {
                Ok(found) => {
                    streams.set_expiry(&hash, found.as_ref().and_then(|r| r.expires_at));
                    if let Some(why) = ending(found.as_ref(), now) {
                        streams.end(&hash, why);
                    }
                }
                Err(_) if streams.expiry(&hash).is_some_and(|t| t <= now) => streams.end(&hash, Ended::Expired),
                Err(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_forgotten_when_its_last_stream_ends() {
        let s = Arc::new(TokenStreams::default());
        let a = s.open("h1", None);
        let b = s.open("h1", None);
        assert_eq!(s.hashes(), ["h1"]);
        let c = s.open("h2", None);
        s.end("h1", Ended::Expired);
        assert!(*a.ended.borrow() == Some(Ended::Expired) && *b.ended.borrow() == Some(Ended::Expired));
        assert_eq!(*c.ended.borrow(), None, "another token's streams go on");
        s.end("h1", Ended::Revoked);
        assert_eq!(*a.ended.borrow(), Some(Ended::Expired), "the first reason stays");
        drop(c);
        drop(a);
        assert_eq!(s.len(), 1);
        drop(b);
        assert!(s.is_empty(), "nothing kept once the streams are gone");
    }

    use crate::api::tokens::StoreError;
    use futures_util::future::BoxFuture;

    /// A token store that cannot answer, as during a database outage.
    struct Down;

    impl TokenStore for Down {
        fn insert(&self, _: TokenRecord) -> BoxFuture<'_, Result<(), StoreError>> {
            Box::pin(async { Err(StoreError("down".into())) })
        }
        fn lookup(&self, _: &str) -> BoxFuture<'_, Result<Option<TokenRecord>, StoreError>> {
            Box::pin(async { Err(StoreError("down".into())) })
        }
        fn revoke(&self, _: &str) -> BoxFuture<'_, Result<bool, StoreError>> {
            Box::pin(async { Err(StoreError("down".into())) })
        }
        fn list(&self) -> BoxFuture<'_, Result<Vec<TokenRecord>, StoreError>> {
            Box::pin(async { Err(StoreError("down".into())) })
        }
        fn set_expiry(
            &self,
            _: &str,
            _: Option<chrono::DateTime<chrono::Utc>>,
        ) -> BoxFuture<'_, Result<bool, StoreError>> {
            Box::pin(async { Err(StoreError("down".into())) })
        }
    }

    /// With the token store unreachable, a stream whose token's expiry (as
    /// read at authentication) has passed ends as expired; one whose token
    /// has time left, or none, goes on (the store is asked again later).
    #[tokio::test]
    async fn a_stream_ends_at_its_expiry_while_the_store_is_down() {
        let s = Arc::new(TokenStreams::default());
        let now = chrono::Utc::now();
        let past = s.open("past", Some(now - chrono::Duration::seconds(1)));
        let later = s.open("later", Some(now + chrono::Duration::hours(1)));
        let never = s.open("never", None);
        let watcher = tokio::spawn(watch_tokens(Arc::new(Down), Arc::downgrade(&s)));
        let mut ended = past.ended.clone();
        let why = tokio::time::timeout(Duration::from_secs(10), ended.wait_for(|w| w.is_some())).await;
        assert_eq!(why.ok().and_then(|r| r.ok()).and_then(|w| *w), Some(Ended::Expired));
        tokio::time::sleep(CHECK_EVERY * 3).await;
        assert_eq!(*later.ended.borrow(), None, "an hour left");
        assert_eq!(*never.ended.borrow(), None, "no expiry");
        watcher.abort();
    }
}
