//! What the desk's engines have used, read from the ledger: each engine's
//! daily notional and positions as its last commit recorded them (its risk
//! state, written in the same transaction as the events that changed it),
//! and its open orders. Several `serve` instances on one database run one
//! desk, so a user's daily-notional and open-order limits count every
//! engine of the desk, not only the one an order reaches: the client layer
//! reads a user's usage elsewhere under that user's desk lock
//! (`guard::DeskHold::lock_user`) just before the engine checks the order,
//! and every acknowledged order is committed before the lock is released.

use super::desk::OPEN_STATUSES;
use super::handle::LedgerHandle;
use super::risk_state::usage_of;
use super::rows::col;
use super::{Backend, StoreError};
use crate::model::{Money, Name};
use crate::risk::{DeskUsage, Elsewhere};
use chrono::NaiveDate;
use sqlx::AnyPool;

/// The stored risk states (engine, text) of the desk's engines of trading
/// day `date` other than `except`.
async fn books(pool: &AnyPool, b: Backend, except: &[i64], date: &str) -> Result<Vec<(i64, String)>, StoreError> {
    let not = if except.is_empty() {
        String::new()
    } else {
        format!(" AND id NOT IN ({})", except.iter().map(i64::to_string).collect::<Vec<_>>().join(", "))
    };
    let sql = format!(
        "SELECT id, risk_book FROM engines WHERE kind = 'serve' AND trade_date = ? AND risk_book IS NOT NULL{not} \
         ORDER BY id"
    );
    let rows = b
        .q(&sql)
        .bind(date.to_string())
        .fetch_all(pool)
        .await
        .map_err(|e| StoreError::db("reading the desk's usage", e))?;
    rows.iter().map(|r| Ok((col(r, "id")?, col(r, "risk_book")?))).collect()
}

impl LedgerHandle {
    /// What `tenant`/`user` has on the desk's engines other than `engine`:
    /// notional submitted on the engines of `engine`'s trading day, orders
    /// not final on any.
    pub async fn usage_elsewhere(&self, engine: i64, tenant: &str, user: &str) -> Result<Elsewhere, StoreError> {
        let (tenant, user) = (tenant.to_string(), user.to_string());
        self.run(move |pool, b| async move {
            let db = |e: sqlx::Error| StoreError::db("reading the desk's usage", e);
            let date: Option<String> = match b
                .q("SELECT trade_date FROM engines WHERE id = ?")
                .bind(engine)
                .fetch_optional(&pool)
                .await
                .map_err(db)?
            {
                Some(r) => Some(col(&r, "trade_date")?),
                None => None,
            };
            let mut daily = Money::ZERO;
            if let Some(date) = date {
                for (id, text) in books(&pool, b, &[engine], &date).await? {
                    let u = usage_of(&text).map_err(|e| StoreError::Data(format!("engine E{id}: {e}")))?;
                    for (t, us, m) in u.daily_notional {
                        if *t == *tenant && *us == *user {
                            // Past the money grid it stays above every limit.
                            daily = daily.checked_add(m).unwrap_or(Money::MAX);
                        }
                    }
                }
            }
            let sql = format!(
                "SELECT COUNT(*) AS n FROM parents p JOIN engines e ON e.id = p.engine_id WHERE e.kind = 'serve' \
                 AND p.engine_id <> ? AND p.tenant = ? AND p.user_name = ? AND p.status IN {OPEN_STATUSES}"
            );
            let open: i64 = b
                .q(&sql)
                .bind(engine)
                .bind(tenant.clone())
                .bind(user.clone())
                .fetch_one(&pool)
                .await
                .map_err(db)
                .and_then(|r| col(&r, "n"))?;
            Ok(Elsewhere { daily_notional: daily, open_orders: usize::try_from(open).unwrap_or(0) })
        })
        .await
    }

    /// The usage of every engine of the desk but `except`: daily notional
    /// and positions of the engines of trading day `date`, open orders of
    /// any (for a supervisor's desk-wide risk view).
    pub async fn desk_usage(&self, except: Vec<i64>, date: NaiveDate) -> Result<DeskUsage, StoreError> {
        self.run(move |pool, b| async move {
            let mut out = DeskUsage::default();
            for (id, text) in books(&pool, b, &except, &date.to_string()).await? {
                let u = usage_of(&text).map_err(|e| StoreError::Data(format!("engine E{id}: {e}")))?;
                for (t, user, m) in u.daily_notional {
                    let v = out.daily_notional.entry((t, user)).or_default();
                    *v = v.checked_add(m).unwrap_or(Money::MAX);
                }
                for (t, sym, q) in u.positions {
                    *out.positions.entry((t, sym)).or_default() += q;
                }
                out.engines.push(id);
            }
            let not = if except.is_empty() {
                String::new()
            } else {
                format!(
                    " AND p.engine_id NOT IN ({})",
                    except.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
                )
            };
            let sql = format!(
                "SELECT p.tenant AS tenant, p.engine_id AS engine_id, COUNT(*) AS n FROM parents p \
                 JOIN engines e ON e.id = p.engine_id WHERE e.kind = 'serve' AND p.status IN {OPEN_STATUSES}{not} \
                 GROUP BY p.tenant, p.engine_id"
            );
            let rows =
                b.q(&sql).fetch_all(&pool).await.map_err(|e| StoreError::db("reading the desk's open orders", e))?;
            for r in &rows {
                let t: String = col(r, "tenant")?;
                let n: i64 = col(r, "n")?;
                *out.open_orders.entry(Name::from(t.as_str())).or_default() += usize::try_from(n).unwrap_or(0);
                let id: i64 = col(r, "engine_id")?;
                if !out.engines.contains(&id) {
                    out.engines.push(id);
                }
            }
            out.engines.sort_unstable();
            Ok(out)
        })
        .await
    }
}
