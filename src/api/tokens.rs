//! Bearer tokens: random 256-bit secrets mapping to a user, tenant and role.
//!
//! Only the SHA-256 of a token is ever stored; the token itself is shown once,
//! when it is created. Storage sits behind `TokenStore`: an in-memory store
//! (tests, embedded use) and a JSON file (`--tokens FILE`) until the ledger
//! holds them; a ledger-backed store implements the same trait.

use crate::engine::Actor;
use crate::model::Role;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};
use std::time::SystemTime;

/// Prefix of every token, so a leaked one is recognisable in logs and scanners.
pub const TOKEN_PREFIX: &str = "blt_";

/// A stored token: its hash and whom it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Short public id (the first 12 hex digits of the hash), for listing and revoking.
    pub id: String,
    /// SHA-256 of the token, hex.
    pub hash: String,
    /// User.
    pub user: String,
    /// Tenant.
    pub tenant: String,
    /// Role.
    pub role: Role,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
    /// Revoked tokens are kept (for the audit trail) but never accepted.
    #[serde(default)]
    pub revoked: bool,
    /// When it stops being accepted (UTC); `None`: never (every token made
    /// before expiry existed). Expired tokens are kept, like revoked ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

impl TokenRecord {
    /// The actor this token acts as.
    pub fn actor(&self) -> Actor {
        Actor { user: self.user.as_str().into(), tenant: self.tenant.as_str().into(), role: self.role }
    }

    /// Whether the token has expired at `now` (it is refused from its expiry on).
    pub fn expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }
}

/// What `--expires` accepts, for its help and its errors.
pub const EXPIRES_FORMS: &str = "a count and a unit (90m, 8h, 30d, 2w: minutes, hours, days, weeks) \
     or an RFC 3339 time with its zone (2027-01-31T00:00:00Z)";

/// The latest expiry a relative one may reach: tokens are for people and
/// scripts of a desk, renewed, not kept for ever.
const LONGEST: TimeDelta = TimeDelta::days(3660);

/// The expiry that `text` names, from `now`: a duration (`8h`, `30d`) or an
/// RFC 3339 time with its zone, converted to UTC. Refused: anything else,
/// zero or negative durations, and times not after `now` (a token that
/// would never work is a mistake, not a request).
pub fn parse_expiry(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    let bad = || format!("'{text}' is neither a duration nor a time: give {EXPIRES_FORMS}");
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        let t = t.with_timezone(&Utc);
        if t <= now {
            return Err(format!(
                "{} is not in the future (now is {})",
                t.to_rfc3339_opts(SecondsFormat::Secs, true),
                now.to_rfc3339_opts(SecondsFormat::Secs, true)
            ));
        }
        return Ok(t);
    }
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (count, unit) = text.split_at(split);
    let n: i64 = count.parse().map_err(|_| bad())?;
    let span = match unit {
        "m" => TimeDelta::try_minutes(n),
        "h" => TimeDelta::try_hours(n),
        "d" => TimeDelta::try_days(n),
        "w" => TimeDelta::try_weeks(n),
        _ => None,
    }
    .ok_or_else(bad)?;
    if n == 0 {
        return Err(format!("'{text}' is zero: a token must be valid for some time"));
    }
    if span > LONGEST {
        return Err(format!("'{text}' is more than {} days", LONGEST.num_days()));
    }
    now.checked_add_signed(span).ok_or_else(bad)
}

/// A token store failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("token store: {0}")]
pub struct StoreError(pub String);

/// Where token hashes live.
pub trait TokenStore: Send + Sync {
    /// Adds a record.
    fn insert(&self, record: TokenRecord) -> BoxFuture<'_, Result<(), StoreError>>;
    /// The record with this hash unless it is revoked (an expired one too,
    /// so that the caller can say it expired).
    fn lookup(&self, hash: &str) -> BoxFuture<'_, Result<Option<TokenRecord>, StoreError>>;
    /// Revokes the token with this id, hash or plain token; false if none matched.
    fn revoke(&self, id_or_token: &str) -> BoxFuture<'_, Result<bool, StoreError>>;
    /// Every record, revoked ones included.
    fn list(&self) -> BoxFuture<'_, Result<Vec<TokenRecord>, StoreError>>;
    /// Sets the expiry (`None`: never) of the token with this id, hash or
    /// plain token unless it is revoked; false if none matched. Servers
    /// honour it at once: new requests within `ledger::FRESH`, open event
    /// streams within `revoke::CHECK_EVERY` (they read it from the store).
    fn set_expiry(
        &self,
        id_or_token: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> BoxFuture<'_, Result<bool, StoreError>>;
    /// Like `lookup`, from the store itself, never a cache (to notice a
    /// revocation made elsewhere at once).
    fn lookup_fresh(&self, hash: &str) -> BoxFuture<'_, Result<Option<TokenRecord>, StoreError>> {
        self.lookup(hash)
    }
}

/// SHA-256 of a token, hex.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// A new random token (256 bits from the operating system) and its record.
pub fn generate(user: &str, tenant: &str, role: Role) -> Result<(String, TokenRecord), StoreError> {
    for (what, v) in [("user", user), ("tenant", tenant)] {
        crate::model::check_name(what, v).map_err(|e| StoreError(format!("--{what}: {e}")))?;
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| StoreError(format!("no randomness from the OS: {e}")))?;
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(secret));
    let h = hash(&token);
    let record = TokenRecord {
        id: h[..12].to_string(),
        hash: h,
        user: user.to_string(),
        tenant: tenant.to_string(),
        role,
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        revoked: false,
        expires_at: None,
    };
    Ok((token, record))
}

/// Creates a token in `store` and returns it (the only time it is seen).
pub async fn create(store: &dyn TokenStore, user: &str, tenant: &str, role: Role) -> Result<String, StoreError> {
    let (token, record) = generate(user, tenant, role)?;
    store.insert(record).await?;
    Ok(token)
}

fn matches(r: &TokenRecord, key: &str) -> bool {
    let key = key.trim();
    r.id == key || r.hash == key || (key.starts_with(TOKEN_PREFIX) && r.hash == hash(key))
}

/// Tokens held in memory (tests and embedded servers).
#[derive(Debug, Default)]
pub struct MemoryTokens {
    records: RwLock<BTreeMap<String, TokenRecord>>,
}

impl MemoryTokens {
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, TokenRecord>> {
        self.records.write().unwrap_or_else(|e| e.into_inner())
    }
    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, TokenRecord>> {
        self.records.read().unwrap_or_else(|e| e.into_inner())
    }
}

impl TokenStore for MemoryTokens {
    fn insert(&self, record: TokenRecord) -> BoxFuture<'_, Result<(), StoreError>> {
        self.write().insert(record.hash.clone(), record);
        Box::pin(async { Ok(()) })
    }
    fn lookup(&self, hash: &str) -> BoxFuture<'_, Result<Option<TokenRecord>, StoreError>> {
        let r = self.read().get(hash).filter(|r| !r.revoked).cloned();
        Box::pin(async move { Ok(r) })
    }
    fn revoke(&self, key: &str) -> BoxFuture<'_, Result<bool, StoreError>> {
        let mut hit = false;
        for r in self.write().values_mut().filter(|r| matches(r, key)) {
            r.revoked = true;
            hit = true;
        }
        Box::pin(async move { Ok(hit) })
    }
    fn list(&self) -> BoxFuture<'_, Result<Vec<TokenRecord>, StoreError>> {
        let v = self.read().values().cloned().collect();
        Box::pin(async move { Ok(v) })
    }
    fn set_expiry(&self, key: &str, expires_at: Option<DateTime<Utc>>) -> BoxFuture<'_, Result<bool, StoreError>> {
        let mut hit = false;
        for r in self.write().values_mut().filter(|r| matches(r, key) && !r.revoked) {
            r.expires_at = expires_at;
            hit = true;
        }
        Box::pin(async move { Ok(hit) })
    }
}

/// Tokens in a JSON file (hashes only), re-read when it changes on disk, so
/// `blotter token revoke` takes effect on a running server.
#[derive(Debug)]
pub struct FileTokens {
    path: PathBuf,
    cache: Mutex<(Option<SystemTime>, MemoryTokensSnapshot)>,
}

type MemoryTokensSnapshot = BTreeMap<String, TokenRecord>;

impl FileTokens {
    /// The store in `path` (created on the first insert).
    pub fn new(path: impl Into<PathBuf>) -> FileTokens {
        FileTokens { path: path.into(), cache: Mutex::new((None, BTreeMap::new())) }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn load(&self) -> Result<MemoryTokensSnapshot, StoreError> {
        let mtime = std::fs::metadata(&self.path).and_then(|m| m.modified()).ok();
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if mtime.is_some() && cache.0 == mtime {
            return Ok(cache.1.clone());
        }
        let records: Vec<TokenRecord> = match std::fs::read(&self.path) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| StoreError(format!("{} is not a token file: {e}", self.path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(StoreError(format!("{}: {e}", self.path.display()))),
        };
        let map: MemoryTokensSnapshot = records.into_iter().map(|r| (r.hash.clone(), r)).collect();
        *cache = (mtime, map.clone());
        Ok(map)
    }

    fn save(&self, map: &MemoryTokensSnapshot) -> Result<(), StoreError> {
        let io = |e: std::io::Error| StoreError(format!("{}: {e}", self.path.display()));
        let records: Vec<&TokenRecord> = map.values().collect();
        let json = serde_json::to_vec_pretty(&records).map_err(|e| StoreError(e.to_string()))?;
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, json).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        }
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        // Force a re-read: two writes within the clock's resolution share an mtime.
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).0 = None;
        Ok(())
    }
}

impl TokenStore for FileTokens {
    fn insert(&self, record: TokenRecord) -> BoxFuture<'_, Result<(), StoreError>> {
        let r = self.load().and_then(|mut m| {
            m.insert(record.hash.clone(), record);
            self.save(&m)
        });
        Box::pin(async move { r })
    }
    fn lookup(&self, hash: &str) -> BoxFuture<'_, Result<Option<TokenRecord>, StoreError>> {
        let r = self.load().map(|m| m.get(hash).filter(|r| !r.revoked).cloned());
        Box::pin(async move { r })
    }
    fn revoke(&self, key: &str) -> BoxFuture<'_, Result<bool, StoreError>> {
        let r = self.load().and_then(|mut m| {
            let mut hit = false;
            for r in m.values_mut().filter(|r| matches(r, key) && !r.revoked) {
                r.revoked = true;
                hit = true;
            }
            if hit {
                self.save(&m)?;
            }
            Ok(hit)
        });
        Box::pin(async move { r })
    }
    fn list(&self) -> BoxFuture<'_, Result<Vec<TokenRecord>, StoreError>> {
        let r = self.load().map(|m| m.into_values().collect());
        Box::pin(async move { r })
    }
    fn set_expiry(&self, key: &str, expires_at: Option<DateTime<Utc>>) -> BoxFuture<'_, Result<bool, StoreError>> {
        let r = self.load().and_then(|mut m| {
            let mut hit = false;
            for r in m.values_mut().filter(|r| matches(r, key) && !r.revoked) {
                r.expires_at = expires_at;
                hit = true;
            }
            if hit {
                self.save(&m)?;
            }
            Ok(hit)
        });
        Box::pin(async move { r })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn round_trip(store: &dyn TokenStore) {
        let before = store.list().await.unwrap().len();
        let t = create(store, "alice", "ws", Role::Advisor).await.unwrap();
        assert!(t.starts_with(TOKEN_PREFIX) && t.len() == TOKEN_PREFIX.len() + 64, "256 bits in hex: {t}");
        let r = store.lookup(&hash(&t)).await.unwrap().unwrap();
        assert_eq!((r.user.as_str(), r.tenant.as_str(), r.role), ("alice", "ws", Role::Advisor));
        assert!(store.lookup(&hash("blt_guess")).await.unwrap().is_none());
        let other = create(store, "bob", "az", Role::Supervisor).await.unwrap();
        assert_ne!(t, other);
        assert!(store.revoke(&r.id).await.unwrap());
        assert!(store.lookup(&hash(&t)).await.unwrap().is_none(), "revoked");
        assert!(store.lookup(&hash(&other)).await.unwrap().is_some());
        assert!(store.revoke(&other).await.unwrap(), "revoke by the token itself");
        assert!(!store.revoke("nope").await.unwrap());
        assert_eq!(store.list().await.unwrap().len(), before + 2);
    }

    #[test]
    fn expiry_is_a_duration_or_a_zoned_time_in_the_future() {
        let now = DateTime::parse_from_rfc3339("2026-12-06T20:30:00Z").unwrap().with_timezone(&Utc);
        let at = |s: &str| parse_expiry(s, now).map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true));
        // 20:30 + 8 h = 04:30 the next day; + 30 d = 5 January; + 90 min = 22:00.
        assert_eq!(at("8h").unwrap(), "2026-12-07T04:30:00Z");
        assert_eq!(at("30d").unwrap(), "2027-01-05T20:30:00Z");
        assert_eq!(at("90m").unwrap(), "2026-12-06T22:00:00Z");
        assert_eq!(at("2w").unwrap(), "2026-12-20T20:30:00Z");
        assert_eq!(at("2027-01-31T00:00:00Z").unwrap(), "2027-01-31T00:00:00Z");
        // A zone other than UTC is converted: 09:30 in New York (EST, -05:00) is 14:30 UTC.
        assert_eq!(at("2027-01-29T09:30:00-05:00").unwrap(), "2027-01-29T14:30:00Z");
        for bad in ["", "8", "h", "8x", "-8h", "8 h", "1.5h", "2027-01-31", "2027-01-31T00:00:00", "tomorrow"] {
            let e = at(bad).unwrap_err();
            assert!(e.contains("90m, 8h, 30d") && e.contains("RFC 3339"), "{bad}: {e}");
        }
        assert!(at("0h").unwrap_err().contains("zero"));
        assert!(at("2026-12-06T20:30:00Z").unwrap_err().contains("not in the future"));
        assert!(at("5000d").unwrap_err().contains("3660 days"));
        let mut r = generate("dave", "ws", Role::Advisor).unwrap().1;
        assert!(!r.expired_at(now), "no expiry: never expires");
        r.expires_at = Some(now);
        assert!(r.expired_at(now), "refused from its expiry on");
        assert!(!r.expired_at(now - TimeDelta::milliseconds(1)));
    }

    #[tokio::test]
    async fn memory_store() {
        round_trip(&MemoryTokens::default()).await;
    }

    #[tokio::test]
    async fn file_store_keeps_only_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        let store = FileTokens::new(&path);
        let t = create(&store, "carol", "ws", Role::Admin).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&t) && !text.contains(&t[TOKEN_PREFIX.len()..]), "no plain token on disk");
        assert!(text.contains(&hash(&t)));
        // Another process's view of the same file sees the token.
        assert!(FileTokens::new(&path).lookup(&hash(&t)).await.unwrap().is_some());
        round_trip(&store).await;
        assert!(generate("has space", "ws", Role::Advisor).is_err());
    }
}
