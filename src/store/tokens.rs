//! Bearer tokens in the ledger: only their SHA-256 is stored (the token is
//! shown once, by whoever created it). Creating and revoking a token, and
//! changing its expiry, is audited (engine 0) in the same transaction; revoked tokens stay, marked,
//! so the audit trail can still name them.

use super::db::is_unique_violation;
use super::handle::{LedgerHandle, RETRIES, WideRecord, append_wide};
use super::rows::col;
use super::{StoreError, wall_ms};
use crate::engine::Actor;
use crate::model::Role;
use sqlx::Connection;
use sqlx::any::AnyRow;

/// A token as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// Short public id (the first 12 hex digits of the hash).
    pub id: String,
    /// SHA-256 of the token, hex.
    pub hash: String,
    /// User it acts as.
    pub user: String,
    /// Tenant it acts for.
    pub tenant: String,
    /// Role it has.
    pub role: Role,
    /// Wall-clock milliseconds.
    pub created_at: i64,
    /// Who created it.
    pub created_by: String,
    /// When it was revoked (wall-clock milliseconds).
    pub revoked_at: Option<i64>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
    /// When it stops being accepted (wall-clock milliseconds, UTC); `None`: never.
    pub expires_at: Option<i64>,
}

const COLS: &str = "hash, id, user_name, tenant, role, created_at, created_by, revoked_at, revoked_by, expires_at";

fn token_from_row(r: &AnyRow) -> Result<StoredToken, StoreError> {
    let role: String = col(r, "role")?;
    Ok(StoredToken {
        id: col(r, "id")?,
        hash: col(r, "hash")?,
        user: col(r, "user_name")?,
        tenant: col(r, "tenant")?,
        role: role.parse().map_err(|e| StoreError::Data(format!("tokens.role: {e}")))?,
        created_at: col(r, "created_at")?,
        created_by: col(r, "created_by")?,
        revoked_at: col(r, "revoked_at")?,
        revoked_by: col(r, "revoked_by")?,
        expires_at: col(r, "expires_at")?,
    })
}

/// Wall-clock milliseconds as RFC 3339 in UTC (the audit record's form).
fn utc_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map_or_else(|| ms.to_string(), |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

impl LedgerHandle {
    /// Stores a new token (its hash) created by `by`, audited as `token_create`.
    pub async fn insert_token(&self, t: StoredToken, by: &Actor) -> Result<(), StoreError> {
        let detail = serde_json::json!({
            "id": t.id, "user": t.user, "tenant": t.tenant, "role": t.role, "expires_at": t.expires_at.map(utc_text),
        });
        let record = WideRecord::done(by, "token_create", detail.to_string());
        let by = by.user.to_string();
        self.run(move |pool, b| async move {
            let db = |e: sqlx::Error| StoreError::db("storing a token", e);
            for _ in 0..RETRIES {
                let mut conn = pool.acquire().await.map_err(db)?;
                let mut tx = conn.begin_with(b.begin_write()).await.map_err(db)?;
                b.q(&format!("INSERT INTO tokens ({COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)"))
                    .bind(t.hash.clone())
                    .bind(t.id.clone())
                    .bind(t.user.clone())
                    .bind(t.tenant.clone())
                    .bind(t.role.as_str().to_string())
                    .bind(t.created_at)
                    .bind(by.clone())
                    .bind(t.expires_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| {
                        if is_unique_violation(&e) {
                            StoreError::Refused(format!("a token with id {} already exists", t.id))
                        } else {
                            db(e)
                        }
                    })?;
                match append_wide(&mut tx, b, std::slice::from_ref(&record)).await {
                    Ok(()) => return tx.commit().await.map_err(db),
                    Err(e) if is_unique_violation(&e) => continue,
                    Err(e) => return Err(db(e)),
                }
            }
            Err(StoreError::Busy("could not number the audit record of a new token".into()))
        })
        .await
    }

    /// The token with this hash unless it is revoked (an expired one too:
    /// the caller tells an expired token from an unknown one).
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<StoredToken>, StoreError> {
        let hash = hash.to_string();
        self.run(move |pool, b| async move {
            let row = b
                .q(&format!("SELECT {COLS} FROM tokens WHERE hash = ? AND revoked_at IS NULL"))
                .bind(hash)
                .fetch_optional(&pool)
                .await
                .map_err(|e| StoreError::db("looking a token up", e))?;
            row.as_ref().map(token_from_row).transpose()
        })
        .await
    }

    /// Revokes every live token whose id or hash is `key` (or whose hash is
    /// `hash_of_key`, for a key that is the token itself), audited as
    /// `token_revoke`. Returns the ids revoked (none: nothing matched, nothing written).
    pub async fn revoke_token(
        &self,
        key: &str,
        hash_of_key: Option<String>,
        by: &Actor,
    ) -> Result<Vec<String>, StoreError> {
        let key = key.trim().to_string();
        let by = by.clone();
        self.run(move |pool, b| async move {
            let db = |e: sqlx::Error| StoreError::db("revoking a token", e);
            let hash2 = hash_of_key.unwrap_or_else(|| key.clone());
            for _ in 0..RETRIES {
                let mut conn = pool.acquire().await.map_err(db)?;
                let mut tx = conn.begin_with(b.begin_write()).await.map_err(db)?;
                let ids: Vec<String> = b
                    .q("SELECT id FROM tokens WHERE revoked_at IS NULL AND (id = ? OR hash = ? OR hash = ?) ORDER BY id")
                    .bind(key.clone())
                    .bind(key.clone())
                    .bind(hash2.clone())
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db)?
                    .iter()
                    .map(|r| col::<String>(r, "id"))
                    .collect::<Result<_, _>>()?;
                if ids.is_empty() {
                    return Ok(ids);
                }
                b.q("UPDATE tokens SET revoked_at = ?, revoked_by = ? \
                     WHERE revoked_at IS NULL AND (id = ? OR hash = ? OR hash = ?)")
                    .bind(wall_ms())
                    .bind(by.user.to_string())
                    .bind(key.clone())
                    .bind(key.clone())
                    .bind(hash2.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                let records: Vec<WideRecord> = ids
                    .iter()
                    .map(|id| WideRecord::done(&by, "token_revoke", serde_json::json!({ "id": id }).to_string()))
                    .collect();
                match append_wide(&mut tx, b, &records).await {
                    Ok(()) => {
                        tx.commit().await.map_err(db)?;
                        return Ok(ids);
                    }
                    Err(e) if is_unique_violation(&e) => continue,
                    Err(e) => return Err(db(e)),
                }
            }
            Err(StoreError::Busy("could not number the audit record of a revocation".into()))
        })
        .await
    }

    /// Sets the expiry (wall-clock milliseconds; `None`: never) of every
    /// token not revoked whose id or hash is `key` (or whose hash is
    /// `hash_of_key`), audited as `token_expire` with the old and new
    /// expiry. Returns the ids changed (none: nothing matched, nothing
    /// written). An expired token may be given a later expiry: it was
    /// never revoked.
    pub async fn set_token_expiry(
        &self,
        key: &str,
        hash_of_key: Option<String>,
        expires_at: Option<i64>,
        by: &Actor,
    ) -> Result<Vec<String>, StoreError> {
        let key = key.trim().to_string();
        let by = by.clone();
        self.run(move |pool, b| async move {
            let db = |e: sqlx::Error| StoreError::db("changing a token's expiry", e);
            let hash2 = hash_of_key.unwrap_or_else(|| key.clone());
            for _ in 0..RETRIES {
                let mut conn = pool.acquire().await.map_err(db)?;
                let mut tx = conn.begin_with(b.begin_write()).await.map_err(db)?;
                let found = b
                    .q("SELECT id, expires_at FROM tokens WHERE revoked_at IS NULL AND (id = ? OR hash = ? OR hash = ?) \
                        ORDER BY id")
                    .bind(key.clone())
                    .bind(key.clone())
                    .bind(hash2.clone())
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db)?;
                let was: Vec<(String, Option<i64>)> = found
                    .iter()
                    .map(|r| Ok((col::<String>(r, "id")?, col::<Option<i64>>(r, "expires_at")?)))
                    .collect::<Result<_, StoreError>>()?;
                if was.is_empty() {
                    return Ok(Vec::new());
                }
                b.q("UPDATE tokens SET expires_at = ? WHERE revoked_at IS NULL AND (id = ? OR hash = ? OR hash = ?)")
                    .bind(expires_at)
                    .bind(key.clone())
                    .bind(key.clone())
                    .bind(hash2.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                let records: Vec<WideRecord> = was
                    .iter()
                    .map(|(id, old)| {
                        let detail = serde_json::json!({
                            "id": id, "was": old.map(utc_text), "expires_at": expires_at.map(utc_text),
                        });
                        WideRecord::done(&by, "token_expire", detail.to_string())
                    })
                    .collect();
                match append_wide(&mut tx, b, &records).await {
                    Ok(()) => {
                        tx.commit().await.map_err(db)?;
                        return Ok(was.into_iter().map(|(id, _)| id).collect());
                    }
                    Err(e) if is_unique_violation(&e) => continue,
                    Err(e) => return Err(db(e)),
                }
            }
            Err(StoreError::Busy("could not number the audit record of an expiry change".into()))
        })
        .await
    }

    /// Every token, revoked ones included, oldest first.
    pub async fn tokens(&self) -> Result<Vec<StoredToken>, StoreError> {
        self.run(move |pool, b| async move {
            let found = b
                .q(&format!("SELECT {COLS} FROM tokens ORDER BY created_at, id"))
                .fetch_all(&pool)
                .await
                .map_err(|e| StoreError::db("listing tokens", e))?;
            found.iter().map(token_from_row).collect()
        })
        .await
    }
}
