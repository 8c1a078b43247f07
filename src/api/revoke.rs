//! Open event streams end within a second of their token's revocation.
//! Tokens are revoked outside the server (`blotter token revoke`, another
//! server on a shared ledger), so a watcher asks the token store, bypassing
//! any cache, about each token that has a stream open, four times a second,
//! and ends the streams of a token that is no longer valid.

use super::tokens::TokenStore;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// How often tokens with open streams are checked.
pub const CHECK_EVERY: Duration = Duration::from_millis(250);

/// The tokens with open streams (by hash), each with a signal its streams
/// wait on and how many are open.
#[derive(Debug, Default)]
pub struct TokenStreams {
    open: Mutex<HashMap<String, (watch::Sender<bool>, usize)>>,
}

/// One open stream's registration: dropping it (the stream ends) forgets
/// the token once its last stream is gone.
#[derive(Debug)]
pub struct Registration {
    streams: Arc<TokenStreams>,
    hash: String,
    /// Turns true when the token is revoked.
    pub revoked: watch::Receiver<bool>,
}

impl TokenStreams {
    /// Registers a stream of the token with `hash`.
    pub fn open(self: &Arc<Self>, hash: &str) -> Registration {
        let mut map = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.entry(hash.to_string()).or_insert_with(|| (watch::channel(false).0, 0));
        entry.1 += 1;
        Registration { streams: Arc::clone(self), hash: hash.to_string(), revoked: entry.0.subscribe() }
    }

    /// Tokens with a stream open.
    pub fn hashes(&self) -> Vec<String> {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect()
    }

    /// Ends every stream of the token with `hash`.
    pub fn revoke(&self, hash: &str) {
        if let Some((tx, _)) = self.open.lock().unwrap_or_else(|e| e.into_inner()).get(hash) {
            tx.send_replace(true);
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

/// Checks the tokens with open streams while the registry lives; a token
/// the store no longer accepts has its streams ended. A store that cannot
/// answer ends nothing (it is asked again next time).
pub async fn watch_tokens(tokens: Arc<dyn TokenStore>, streams: std::sync::Weak<TokenStreams>) {
    let mut tick = tokio::time::interval(CHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(streams) = streams.upgrade() else { return };
        for hash in streams.hashes() {
            if let Ok(None) = tokens.lookup_fresh(&hash).await {
                streams.revoke(&hash);
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
        s.revoke("h1");
        assert!(*a.revoked.borrow() && *b.revoked.borrow());
        drop(a);
        assert_eq!(s.len(), 1);
        drop(b);
        assert!(s.is_empty(), "nothing kept once the streams are gone");
    }
}
