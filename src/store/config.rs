//! Algorithm configuration: each tenant's default parameters per algorithm,
//! set by supervisors. Every change, and every refused attempt, goes into the
//! audit log (engine 0: ledger-wide actions) in the same transaction.

use super::db::is_unique_violation;
use super::ledger::{AuditEntry, Outcome};
use super::rows::col;
use super::{Ledger, StoreError, wall_ms};
use crate::engine::Actor;
use crate::model::AlgoKind;
use serde::Serialize;
use sqlx::Connection;
use std::collections::BTreeMap;

/// One tenant's default parameters for one algorithm.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlgoConfig {
    /// Tenant.
    pub tenant: String,
    /// Algorithm.
    pub algo: AlgoKind,
    /// Parameters (`--param` keys and values).
    pub params: BTreeMap<String, String>,
    /// Who set them.
    pub updated_by: String,
    /// When (wall-clock milliseconds).
    pub updated_at: i64,
}

impl Ledger {
    /// Sets a tenant's default parameters for an algorithm. Supervisors and
    /// admins only; a refusal is audited and changes nothing.
    pub fn set_algo_config(
        &self,
        actor: &Actor,
        tenant: &str,
        algo: AlgoKind,
        params: BTreeMap<String, String>,
    ) -> Result<(), StoreError> {
        let detail = serde_json::json!({ "tenant": tenant, "algo": algo, "params": params }).to_string();
        let mut entry = AuditEntry::action(actor, "set_algo_config", None, detail);
        let refusal = if !actor.role.is_supervisor() {
            Some((
                "forbidden",
                format!("setting algo configuration needs the SUPERVISOR or ADMIN role; you are {}", actor.role),
            ))
        } else if tenant.trim().is_empty() {
            Some(("invalid_param", "tenant: must not be empty".to_string()))
        } else {
            params
                .iter()
                .find(|(k, v)| k.trim().is_empty() || v.trim().is_empty())
                .map(|(k, _)| ("invalid_param", format!("params.{k}: key and value must not be empty")))
        };
        if let Some((code, message)) = &refusal {
            entry.outcome = Outcome::Refused;
            entry.code = Some((*code).to_string());
            entry.detail = message.clone();
        }
        let b = self.target().backend();
        let json = serde_json::to_string(&params).unwrap_or_else(|_| "{}".into());
        self.block_on(async {
            let db = |e: sqlx::Error| StoreError::db("setting algo configuration", e);
            // The audit number is MAX + 1 in the same transaction; a concurrent
            // writer taking it makes this one retry.
            for _ in 0..20 {
                let mut conn = self.pool().acquire().await.map_err(db)?;
                let mut tx = conn.begin_with(b.begin_write()).await.map_err(db)?;
                if refusal.is_none() {
                    b.q(
                        "INSERT INTO algo_config (tenant, algo, params, updated_by, updated_at) VALUES (?, ?, ?, ?, ?) \
                         ON CONFLICT (tenant, algo) DO UPDATE SET params = excluded.params, \
                         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                    )
                    .bind(tenant.to_string())
                    .bind(algo.as_str().to_string())
                    .bind(json.clone())
                    .bind(actor.user.to_string())
                    .bind(wall_ms())
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                }
                let n: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(n), 0) + 1 FROM audit WHERE engine_id = 0")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db)?;
                let vals = super::writer::audit_vals(0, n as u64, &entry);
                match super::rows::insert(&mut tx, b, "audit", super::writer::AUDIT_COLS, "", vec![vals]).await {
                    Ok(()) => {
                        tx.commit().await.map_err(db)?;
                        return Ok(());
                    }
                    Err(e) if is_unique_violation(&e) => continue,
                    Err(e) => return Err(db(e)),
                }
            }
            Err(StoreError::Busy("could not number the audit record after 20 attempts".into()))
        })?;
        match refusal {
            Some((_, message)) => Err(StoreError::Refused(message)),
            None => Ok(()),
        }
    }

    /// A tenant's algorithm configurations.
    pub fn algo_configs(&self, tenant: &str) -> Result<Vec<AlgoConfig>, StoreError> {
        let b = self.target().backend();
        let found = self
            .block_on(
                b.q("SELECT tenant, algo, params, updated_by, updated_at FROM algo_config WHERE tenant = ? ORDER BY algo")
                    .bind(tenant.to_string())
                    .fetch_all(self.pool()),
            )
            .map_err(|e| StoreError::db("reading algo configuration", e))?;
        found
            .iter()
            .map(|r| {
                let params: String = col(r, "params")?;
                Ok(AlgoConfig {
                    tenant: col(r, "tenant")?,
                    algo: col::<String>(r, "algo")?.parse().map_err(StoreError::Data)?,
                    params: serde_json::from_str(&params)
                        .map_err(|e| StoreError::Data(format!("algo_config.params: {e}")))?,
                    updated_by: col(r, "updated_by")?,
                    updated_at: col(r, "updated_at")?,
                })
            })
            .collect()
    }
}
