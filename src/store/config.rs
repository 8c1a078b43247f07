//! Algorithm configuration, one model in two layers: the desk-wide layer
//! (stored under tenant `''`) and each tenant's layer. Each entry says whether
//! the algorithm is enabled and gives default parameters. How the layers
//! combine is the API's business (`client::algo_config`); the ledger keeps
//! them. Only supervisors and admins change them; every change, and every
//! refused attempt, goes into the audit log (engine 0) in the same
//! transaction.

use super::db::is_unique_violation;
use super::handle::{LedgerHandle, RETRIES, WideRecord, append_wide};
use super::rows::col;
use super::{Ledger, StoreError, wall_ms};
use crate::engine::Actor;
use crate::model::AlgoKind;
use serde::Serialize;
use sqlx::{AnyPool, Connection};
use std::collections::BTreeMap;

/// The tenant value that holds the desk-wide layer.
pub const DESK: &str = "";

/// One layer's setting for one algorithm.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlgoConfig {
    /// Tenant (`""`: the desk-wide layer).
    pub tenant: String,
    /// Algorithm.
    pub algo: AlgoKind,
    /// Whether new orders may use it (at this layer).
    pub enabled: bool,
    /// Default parameters (`--param` keys and values).
    pub params: BTreeMap<String, String>,
    /// Who set them.
    pub updated_by: String,
    /// When (wall-clock milliseconds).
    pub updated_at: i64,
}

/// What a layer is replaced with: per algorithm, enabled and default parameters.
pub type Layer = BTreeMap<AlgoKind, (bool, BTreeMap<String, String>)>;

/// Why `actor` may not set this configuration, if they may not: (code, message).
fn refusal<'a>(
    actor: &Actor,
    tenant: &str,
    mut params: impl Iterator<Item = &'a BTreeMap<String, String>>,
) -> Option<(&'static str, String)> {
    if !actor.role.is_supervisor() {
        return Some((
            "forbidden",
            format!("setting algo configuration needs the SUPERVISOR or ADMIN role; you are {}", actor.role),
        ));
    }
    if tenant != DESK && tenant.trim().is_empty() {
        return Some(("invalid_param", "tenant: must not be blank".to_string()));
    }
    params.find_map(|p| {
        p.iter()
            .find(|(k, v)| k.trim().is_empty() || v.trim().is_empty())
            .map(|(k, _)| ("invalid_param", format!("params.{k}: key and value must not be empty")))
    })
}

/// Replaces (`replace`) or updates the given algorithms of one layer, with
/// the audit record, in one transaction; a refusal is audited and changes nothing.
async fn write_layer(
    pool: AnyPool,
    b: super::Backend,
    actor: Actor,
    tenant: String,
    layer: Layer,
    replace: bool,
    detail: String,
) -> Result<(), StoreError> {
    let mut record = WideRecord::done(&actor, "set_algo_config", detail);
    let refused = refusal(&actor, &tenant, layer.values().map(|(_, p)| p));
    if let Some((code, message)) = &refused {
        record = record.refused(code);
        record.detail = message.clone();
    }
    let db = |e: sqlx::Error| StoreError::db("setting algo configuration", e);
    for _ in 0..RETRIES {
        let mut conn = pool.acquire().await.map_err(db)?;
        let mut tx = conn.begin_with(b.begin_write()).await.map_err(db)?;
        if refused.is_none() {
            if replace {
                b.q("DELETE FROM algo_config WHERE tenant = ?")
                    .bind(tenant.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            }
            for (algo, (enabled, params)) in &layer {
                let json = serde_json::to_string(params).unwrap_or_else(|_| "{}".into());
                // Updating parameters alone keeps the algorithm's enabled flag.
                let on_conflict = if replace { "enabled = excluded.enabled, " } else { "" };
                b.q(&format!(
                    "INSERT INTO algo_config (tenant, algo, enabled, params, updated_by, updated_at) \
                     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, algo) DO UPDATE SET {on_conflict}\
                     params = excluded.params, updated_by = excluded.updated_by, updated_at = excluded.updated_at"
                ))
                .bind(tenant.clone())
                .bind(algo.as_str().to_string())
                .bind(i64::from(*enabled))
                .bind(json)
                .bind(actor.user.to_string())
                .bind(wall_ms())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            }
        }
        match append_wide(&mut tx, b, std::slice::from_ref(&record)).await {
            Ok(()) => {
                tx.commit().await.map_err(db)?;
                return match refused {
                    Some((_, message)) => Err(StoreError::Refused(message)),
                    None => Ok(()),
                };
            }
            Err(e) if is_unique_violation(&e) => continue,
            Err(e) => return Err(db(e)),
        }
    }
    Err(StoreError::Busy("could not number the audit record after 20 attempts".into()))
}

async fn read_layer(pool: AnyPool, b: super::Backend, tenant: String) -> Result<Vec<AlgoConfig>, StoreError> {
    let found = b
        .q("SELECT tenant, algo, enabled, params, updated_by, updated_at FROM algo_config WHERE tenant = ? ORDER BY algo")
        .bind(tenant)
        .fetch_all(&pool)
        .await
        .map_err(|e| StoreError::db("reading algo configuration", e))?;
    found
        .iter()
        .map(|r| {
            let params: String = col(r, "params")?;
            Ok(AlgoConfig {
                tenant: col(r, "tenant")?,
                algo: col::<String>(r, "algo")?.parse().map_err(StoreError::Data)?,
                enabled: col::<i64>(r, "enabled")? != 0,
                params: serde_json::from_str(&params)
                    .map_err(|e| StoreError::Data(format!("algo_config.params: {e}")))?,
                updated_by: col(r, "updated_by")?,
                updated_at: col(r, "updated_at")?,
            })
        })
        .collect()
}

impl Ledger {
    /// Sets a tenant's default parameters for one algorithm (its enabled flag
    /// is kept; a new entry is enabled). Supervisors and admins only; a
    /// refusal is audited and changes nothing.
    pub fn set_algo_config(
        &self,
        actor: &Actor,
        tenant: &str,
        algo: AlgoKind,
        params: BTreeMap<String, String>,
    ) -> Result<(), StoreError> {
        if tenant == DESK {
            return Err(StoreError::Refused("tenant: must not be empty".into()));
        }
        let detail = serde_json::json!({ "tenant": tenant, "algo": algo, "params": params }).to_string();
        let layer = Layer::from([(algo, (true, params))]);
        let (actor, tenant) = (actor.clone(), tenant.to_string());
        let h = self.handle();
        let run = h.clone();
        h.block(async move { run.run(|pool, b| write_layer(pool, b, actor, tenant, layer, false, detail)).await })
    }

    /// A tenant's algorithm configurations.
    pub fn algo_configs(&self, tenant: &str) -> Result<Vec<AlgoConfig>, StoreError> {
        let h = self.handle();
        let (run, tenant) = (h.clone(), tenant.to_string());
        h.block(async move { run.run(|pool, b| read_layer(pool, b, tenant)).await })
    }
}

impl LedgerHandle {
    /// One layer of the algorithm configuration: a tenant's, or the desk-wide one with `None`.
    pub async fn algo_layer(&self, tenant: Option<&str>) -> Result<Vec<AlgoConfig>, StoreError> {
        let tenant = tenant.unwrap_or(DESK).to_string();
        self.run(|pool, b| read_layer(pool, b, tenant)).await
    }

    /// Replaces one layer (a tenant's, or the desk-wide one with `None`) as
    /// `actor`: supervisors and admins only; audited either way.
    pub async fn replace_algo_layer(
        &self,
        actor: &Actor,
        tenant: Option<&str>,
        layer: Layer,
    ) -> Result<(), StoreError> {
        let algos: BTreeMap<String, serde_json::Value> = layer
            .iter()
            .map(|(k, (on, p))| (k.as_str().to_string(), serde_json::json!({ "enabled": on, "params": p })))
            .collect();
        let detail = serde_json::json!({ "tenant": tenant, "algos": algos }).to_string();
        let (actor, tenant) = (actor.clone(), tenant.unwrap_or(DESK).to_string());
        self.run(|pool, b| write_layer(pool, b, actor, tenant, layer, true, detail)).await
    }
}
