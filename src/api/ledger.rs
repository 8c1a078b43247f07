//! The sidecar over the ledger: bearer tokens, the audit log of refusals and
//! the algo configuration kept in the database `blotter serve --db` records
//! into (so they survive a restart and are shared by every process on the
//! same database), and the TCA of finished orders written beside the events.
//!
//! Valid tokens and algo configuration layers are cached for `FRESH` (one
//! second): every request needs its token and every order its configuration,
//! and reading them from the ledger each time cost a tenth of the server's
//! throughput. A change made through this server clears the cache at once;
//! one made by another process (`blotter token revoke`, another `serve` on a
//! shared database) takes effect within `FRESH`.

use super::audit::{AuditEntry, AuditLog};
use super::tokens::{self, StoreError as TokenError, TOKEN_PREFIX, TokenRecord, TokenStore};
use crate::client::algo_config::overlay;
use crate::client::{AlgoConfig, AlgoConfigStore, AlgoSettings, ClientError, ErrorCode};
use crate::engine::Actor;
use crate::model::ParentId;
use crate::store::config::{AlgoConfig as Entry, Layer};
use crate::store::refusals::RefusalLog;
use crate::store::tokens::StoredToken;
use crate::store::{LedgerHandle, StoreError, WideRecord};
use futures_util::future::BoxFuture;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a token or configuration layer read from the ledger is reused.
pub const FRESH: Duration = Duration::from_secs(1);

/// Entries kept at most; past it the cache starts again empty (it only saves reads).
const CACHE_CAP: usize = 10_000;

/// Values read from the ledger in the last `FRESH`, by key.
#[derive(Debug)]
struct Recent<V> {
    entries: Mutex<HashMap<String, (Instant, V)>>,
}

impl<V> Default for Recent<V> {
    fn default() -> Self {
        Recent { entries: Mutex::new(HashMap::new()) }
    }
}

impl<V: Clone> Recent<V> {
    fn get(&self, key: &str) -> Option<V> {
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key).filter(|(at, _)| at.elapsed() < FRESH).map(|(_, v)| v.clone())
    }

    /// The last value read, however old.
    fn last(&self, key: &str) -> Option<V> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).get(key).map(|(_, v)| v.clone())
    }

    fn put(&self, key: &str, v: V) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CACHE_CAP {
            map.clear();
        }
        map.insert(key.to_string(), (Instant::now(), v));
    }

    fn clear(&self) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// What the server knows of its ledger: the handle and the engine it serves.
#[derive(Debug, Clone)]
pub struct ServedLedger {
    /// The ledger.
    pub handle: LedgerHandle,
    /// The served engine's number.
    pub engine: i64,
    /// The last event sequence number the engine had when this process took
    /// it over: events up to it are read back from the ledger, not memory.
    pub resumed_at: u64,
}

fn token_error(e: StoreError) -> TokenError {
    TokenError(e.to_string())
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Tokens in the ledger's `tokens` table (hashes only), each change audited
/// as `by`; valid ones cached for `FRESH` (unknown ones are always looked up).
#[derive(Debug, Clone)]
pub struct LedgerTokens {
    handle: LedgerHandle,
    by: Actor,
    valid: Arc<Recent<TokenRecord>>,
}

impl LedgerTokens {
    /// The tokens of the ledger behind `handle`; changes are recorded as made by `by`.
    pub fn new(handle: LedgerHandle, by: Actor) -> LedgerTokens {
        LedgerTokens { handle, by, valid: Arc::default() }
    }
}

fn record_of(t: StoredToken) -> TokenRecord {
    TokenRecord {
        id: t.id,
        hash: t.hash,
        user: t.user,
        tenant: t.tenant,
        role: t.role,
        created_at: rfc3339(t.created_at),
        revoked: t.revoked_at.is_some(),
        expires_at: t.expires_at.and_then(chrono::DateTime::from_timestamp_millis),
    }
}

impl TokenStore for LedgerTokens {
    fn insert(&self, r: TokenRecord) -> BoxFuture<'_, Result<(), TokenError>> {
        Box::pin(async move {
            let created_at = chrono::DateTime::parse_from_rfc3339(&r.created_at)
                .map_or_else(|_| crate::store::wall_ms(), |t| t.timestamp_millis());
            let t = StoredToken {
                id: r.id,
                hash: r.hash,
                user: r.user,
                tenant: r.tenant,
                role: r.role,
                created_at,
                created_by: self.by.user.to_string(),
                revoked_at: None,
                revoked_by: None,
                expires_at: r.expires_at.map(|t| t.timestamp_millis()),
            };
            self.handle.insert_token(t, &self.by).await.map_err(token_error)
        })
    }

    fn lookup(&self, hash: &str) -> BoxFuture<'_, Result<Option<TokenRecord>, TokenError>> {
        let hash = hash.to_string();
        Box::pin(async move {
            if let Some(r) = self.valid.get(&hash) {
                return Ok(Some(r));
            }
            // While the database is down nobody can revoke a token in it: one
            // valid when it was last reached still is; others wait for it.
            if let Some(down) = self.handle.outage().down() {
                return self.valid.last(&hash).map(Some).ok_or_else(|| TokenError(down.describe()));
            }
            let found = self.handle.token_by_hash(&hash).await.map_err(token_error)?.map(record_of);
            if let Some(r) = &found {
                self.valid.put(&hash, r.clone());
            }
            Ok(found)
        })
    }

    fn lookup_fresh(&self, hash: &str) -> BoxFuture<'_, Result<Option<TokenRecord>, TokenError>> {
        let hash = hash.to_string();
        Box::pin(async move {
            if let Some(down) = self.handle.outage().down() {
                return Err(TokenError(down.describe()));
            }
            let found = self.handle.token_by_hash(&hash).await.map_err(token_error)?.map(record_of);
            match &found {
                Some(r) => self.valid.put(&hash, r.clone()),
                // Revoked elsewhere: the next request is refused too, not served from the cache.
                None => self.valid.clear(),
            }
            Ok(found)
        })
    }

    fn revoke(&self, key: &str) -> BoxFuture<'_, Result<bool, TokenError>> {
        let key = key.trim().to_string();
        // The token itself is matched by its hash: it is never stored.
        let hashed = key.starts_with(TOKEN_PREFIX).then(|| tokens::hash(&key));
        Box::pin(async move {
            let ids = self.handle.revoke_token(&key, hashed, &self.by).await.map_err(token_error)?;
            self.valid.clear();
            Ok(!ids.is_empty())
        })
    }

    fn set_expiry(
        &self,
        key: &str,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> BoxFuture<'_, Result<bool, TokenError>> {
        let key = key.trim().to_string();
        let hashed = key.starts_with(TOKEN_PREFIX).then(|| tokens::hash(&key));
        Box::pin(async move {
            let at = expires_at.map(|t| t.timestamp_millis());
            let ids = self.handle.set_token_expiry(&key, hashed, at, &self.by).await.map_err(token_error)?;
            // The cached record has the old expiry.
            self.valid.clear();
            Ok(!ids.is_empty())
        })
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<TokenRecord>, TokenError>> {
        Box::pin(
            async move { Ok(self.handle.tokens().await.map_err(token_error)?.into_iter().map(record_of).collect()) },
        )
    }
}

/// Refusals written to the ledger's audit log (engine 0, outcome `refused`),
/// but for those the engine's command layer gave: its ledger sink recorded
/// them with the command (under the engine's number), so they are not written twice.
#[derive(Debug, Clone)]
pub struct LedgerAudit {
    log: RefusalLog,
}

impl LedgerAudit {
    /// Starts the ledger's refusal writer.
    pub fn new(handle: &LedgerHandle) -> LedgerAudit {
        LedgerAudit { log: handle.refusal_log() }
    }
}

/// The ledger record of a refusal: the action is the request, the detail its status and message.
pub fn wide_record(e: &AuditEntry) -> WideRecord {
    let at =
        chrono::DateTime::parse_from_rfc3339(&e.at).map_or_else(|_| crate::store::wall_ms(), |t| t.timestamp_millis());
    WideRecord {
        at,
        user: e.user.clone().unwrap_or_default(),
        tenant: e.tenant.clone().unwrap_or_default(),
        role: e.role.map(|r| r.as_str().to_string()).unwrap_or_default(),
        action: format!("{} {}", e.method, e.path),
        parent: None,
        outcome: "refused",
        code: Some(e.code.clone()),
        detail: serde_json::json!({ "status": e.status, "message": e.message }).to_string(),
    }
}

impl AuditLog for LedgerAudit {
    fn record(&self, entry: AuditEntry) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            // The engine wrote it with the refused command: one row per refusal.
            if entry.engine_audited {
                return;
            }
            if let Err(e) = self.log.record(wide_record(&entry)).await {
                eprintln!("audit log: could not record a refusal ({} {}): {e}", entry.method, entry.path);
            }
        })
    }
}

/// The algo configuration in the ledger: the desk-wide layer and one layer
/// per tenant. An order (and `GET /v1/config/algos`) sees the desk layer
/// overlaid, algorithm by algorithm, by its tenant's layer; `?tenant=T`
/// reads or replaces tenant T's layer alone, without it the desk layer is
/// replaced (`AlgoConfigStore`: who asks and which layer come as arguments).
/// Layers are cached for `FRESH`.
#[derive(Debug, Clone)]
pub struct LedgerAlgoConfig {
    handle: LedgerHandle,
    layers: Arc<Recent<AlgoConfig>>,
}

impl LedgerAlgoConfig {
    /// The configuration of the ledger behind `handle`.
    pub fn new(handle: LedgerHandle) -> LedgerAlgoConfig {
        LedgerAlgoConfig { handle, layers: Arc::default() }
    }

    /// One layer (`None`: the desk's), from the cache or the ledger.
    async fn layer(&self, tenant: Option<&str>) -> Result<AlgoConfig, ClientError> {
        // The desk layer's key cannot be a tenant's: tenants are never empty.
        let key = tenant.unwrap_or("");
        if let Some(c) = self.layers.get(key) {
            return Ok(c);
        }
        // Nobody can change it while the database is down: the last one read holds.
        if let Some(down) = self.handle.outage().down() {
            return self
                .layers
                .last(key)
                .ok_or_else(|| ClientError::new(ErrorCode::LedgerUnavailable, down.describe()));
        }
        let c = to_config(self.handle.algo_layer(tenant).await.map_err(client_error)?);
        self.layers.put(key, c.clone());
        Ok(c)
    }
}

fn client_error(e: StoreError) -> ClientError {
    match e {
        StoreError::Refused(m) => ClientError::new(ErrorCode::InvalidParam, m),
        other => ClientError::ledger_unavailable(&other),
    }
}

fn to_config(entries: Vec<Entry>) -> AlgoConfig {
    AlgoConfig {
        algos: entries.into_iter().map(|e| (e.algo, AlgoSettings { enabled: e.enabled, params: e.params })).collect(),
    }
}

impl AlgoConfigStore for LedgerAlgoConfig {
    fn load(&self, who: &Actor, layer: Option<&str>) -> BoxFuture<'_, Result<AlgoConfig, ClientError>> {
        let layer = layer.map(str::to_string);
        let tenant = who.tenant.to_string();
        Box::pin(async move {
            if let Some(t) = layer {
                return self.layer(Some(&t)).await;
            }
            let desk = self.layer(None).await?;
            Ok(overlay(desk, self.layer(Some(&tenant)).await?))
        })
    }

    fn save(&self, who: &Actor, layer: Option<&str>, cfg: AlgoConfig) -> BoxFuture<'_, Result<(), ClientError>> {
        let layer = layer.map(str::to_string);
        let actor = who.clone();
        let entries: Layer = cfg.algos.into_iter().map(|(k, s)| (k, (s.enabled, s.params))).collect();
        Box::pin(async move {
            let saved = self.handle.replace_algo_layer(&actor, layer.as_deref(), entries).await.map_err(client_error);
            self.layers.clear();
            saved
        })
    }
}

/// Every second, records the TCA of the newly finished orders of every
/// engine this instance runs in the ledger (aggregated TCA reads it there),
/// until the server stops (`ApiState::drop_streams`: one last pass then); an
/// order not yet committed as finished is retried. Nothing without a ledger;
/// the task to await after the server stopped otherwise.
pub fn spawn_tca_recorder(state: &super::ApiState) -> Option<tokio::task::JoinHandle<()>> {
    let ledger = state.ledger().cloned()?;
    let desk = state.desk().clone();
    let mut stop = state.stream_stop();
    Some(tokio::spawn(async move {
        // Per engine: the orders whose TCA is recorded (or that never get one).
        let mut done: HashMap<u32, BTreeSet<ParentId>> = HashMap::new();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last = false;
        while !last {
            // A stopping server records what finished since the last tick, then ends.
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => last = true,
            }
            for hosted in desk.hosted() {
                let n = hosted.engine.number();
                // A desk of one engine built without its registration records as the served engine.
                let engine = hosted.eref.as_ref().map_or(ledger.engine, |e| e.id);
                let seen = match done.entry(n) {
                    std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(ledger.handle.tca_recorded(engine).await.unwrap_or_default())
                    }
                };
                let (records, without) = hosted.engine.with_engine(|e| {
                    let new: Vec<ParentId> =
                        e.parents().filter(|p| p.status.is_terminal() && !seen.contains(&p.id)).map(|p| p.id).collect();
                    let mut records = Vec::new();
                    let mut without = Vec::new();
                    for id in new {
                        match crate::store::recorder::tca_of(e, id) {
                            Some(r) => records.push(r),
                            None => without.push(id),
                        }
                    }
                    (records, without)
                });
                // Orders without a TCA record (no market) never get one: not asked again.
                seen.extend(without);
                if records.is_empty() {
                    continue;
                }
                match ledger.handle.record_tca(engine, records).await {
                    Ok(ids) => seen.extend(ids),
                    Err(StoreError::Closed) => return,
                    Err(e) => eprintln!("blotter serve: recording TCA of engine E{engine}: {e}"),
                }
            }
        }
    }))
}
