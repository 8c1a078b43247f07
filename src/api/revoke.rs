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

/// The tokens with open streams (by hash), each with a signal its streams
/// wait on and how many are open.
#[derive(Debug, Default)]
pub struct TokenStreams {
    open: Mutex<HashMap<String, (EndSignal, usize)>>,
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
    /// Registers a stream of the token with `hash`.
    pub fn open(self: &Arc<Self>, hash: &str) -> Registration {
        let mut map = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.entry(hash.to_string()).or_insert_with(|| (watch::channel(None).0, 0));
        entry.1 += 1;
        Registration { streams: Arc::clone(self), hash: hash.to_string(), ended: entry.0.subscribe() }
    }

    /// Tokens with a stream open.
    pub fn hashes(&self) -> Vec<String> {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect()
    }

    /// Ends every stream of the token with `hash`, saying why.
    pub fn end(&self, hash: &str, why: Ended) {
        if let Some((tx, _)) = self.open.lock().unwrap_or_else(|e| e.into_inner()).get(hash) {
            // The first reason stays: a stream is told once.
            tx.send_if_modified(|now| {
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
            entry.1 -= 1;
            if entry.1 == 0 {
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
/// A store that cannot answer ends nothing (it is asked again next time).
pub async fn watch_tokens(tokens: Arc<dyn TokenStore>, streams: std::sync::Weak<TokenStreams>) {
    let mut tick = tokio::time::interval(CHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(streams) = streams.upgrade() else { return };
        for hash in streams.hashes() {
            if let Ok(found) = tokens.lookup_fresh(&hash).await
                && let Some(why) = ending(found.as_ref(), chrono::Utc::now())
            {
                streams.end(&hash, why);
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
        let a = s.open("h1");
        let b = s.open("h1");
        assert_eq!(s.hashes(), ["h1"]);
        let c = s.open("h2");
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
}
