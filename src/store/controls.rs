//! The desk's risk controls in the ledger (schema version 3): each change a
//! supervisor makes is written with the event that made it, in the same
//! transaction (`write`), and read back when an engine starts (`load`), so a
//! restart brings back every control exactly as acknowledged, and never a
//! looser one. The tables hold the current value of each control with who
//! set it and when, and every change in order under one desk-wide number
//! (`risk_version`), which a process sharing the database can poll or be
//! notified of.

use super::rows::col;
use super::{Backend, Ledger, LedgerHandle, StoreError, wall_ms};
use crate::engine::{Actor, EngineEvent, EventKind, control_of};
use crate::model::{Name, Timestamp};
use crate::risk::{Control, Limits, Stamp, TradingState};
use sqlx::{AnyConnection, AnyPool};

/// A change to a control, as the writer records it.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlRecord {
    /// Who made it.
    pub actor: Actor,
    /// What changed.
    pub control: Control,
    /// How: `kill`, `state`, `execution`, `limits` or `desk_limits`.
    pub kind: &'static str,
    /// When, in simulated time.
    pub sim_ts: Timestamp,
}

/// The control changes among `events`.
pub(crate) fn records(events: &[EngineEvent]) -> Vec<ControlRecord> {
    events
        .iter()
        .filter_map(|ev| {
            let (actor, control) = control_of(&ev.kind)?;
            let kind = match (&ev.kind, &control) {
                (EventKind::KillAll { .. }, _) => "kill",
                (_, Control::DeskLimits { .. }) => "desk_limits",
                (_, Control::Limits { .. }) => "limits",
                (_, Control::State { .. }) => "state",
                (_, Control::Execution { .. }) => "execution",
            };
            Some(ControlRecord { actor: actor.clone(), control, kind, sim_ts: ev.ts })
        })
        .collect()
}

/// The controls as supervisors last set them, and the number of the last change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeskControls {
    /// `risk_version.n`: the number of the last change (0: none yet).
    pub version: i64,
    /// Each control's current value with who set it, in the order they must
    /// be applied: the desk's first (a state for every tenant comes before
    /// each tenant's own), then each tenant's, then each user's.
    pub controls: Vec<(Control, Stamp)>,
}

fn by(a: &Actor) -> String {
    format!("{}@{}", a.user, a.tenant)
}

/// Writes `records` (made by engine `engine`) inside the caller's transaction.
pub(crate) async fn write(
    conn: &mut AnyConnection,
    b: Backend,
    engine: i64,
    records: &[ControlRecord],
) -> Result<(), StoreError> {
    let db = |e: sqlx::Error| StoreError::db("recording a risk control", e);
    let now = wall_ms();
    for r in records {
        // Bumping the number first serialises writers (a row lock on PostgreSQL).
        b.q("UPDATE risk_version SET n = n + 1 WHERE id = 1").execute(&mut *conn).await.map_err(db)?;
        let n: i64 = b
            .q("SELECT n FROM risk_version WHERE id = 1")
            .fetch_one(&mut *conn)
            .await
            .map_err(db)
            .and_then(|row| col(&row, "n"))?;
        let change = serde_json::to_string(&r.control).map_err(|e| StoreError::Data(format!("risk control: {e}")))?;
        let role = r.actor.role.as_str().to_string();
        b.q("INSERT INTO risk_changes (n, at, sim_ts, engine_id, user_name, tenant, role, kind, change) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(n)
            .bind(now)
            .bind(r.sim_ts.0)
            .bind(engine)
            .bind(r.actor.user.to_string())
            .bind(r.actor.tenant.to_string())
            .bind(role.clone())
            .bind(r.kind)
            .bind(change)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        let stamp = (n, by(&r.actor), role, now, r.sim_ts.0);
        match &r.control {
            Control::DeskLimits { limits } => put_limits(conn, b, "", "", limits, &stamp).await?,
            Control::Limits { tenant, user, limits } => {
                put_limits(conn, b, tenant, user.as_deref().unwrap_or(""), limits, &stamp).await?
            }
            Control::State { tenant: Some(t), state } => {
                put_tenant(conn, b, t, "state", state.as_str(), &stamp).await?
            }
            Control::State { tenant: None, state } => {
                // Every tenant, as the engine did, and the desk row for those seen later.
                b.q("UPDATE risk_tenants SET state = ?, version = ?, changed_by = ?, changed_role = ?, \
                     changed_at = ?, sim_ts = ?")
                    .bind(state.as_str())
                    .bind(stamp.0)
                    .bind(stamp.1.clone())
                    .bind(stamp.2.clone())
                    .bind(stamp.3)
                    .bind(stamp.4)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                put_tenant(conn, b, "", "state", state.as_str(), &stamp).await?
            }
            Control::Execution { tenant, enabled } => {
                put_tenant(conn, b, tenant, "execution", if *enabled { "1" } else { "0" }, &stamp).await?
            }
        }
    }
    Ok(())
}

type RowStamp = (i64, String, String, i64, i64);

async fn put_limits(
    conn: &mut AnyConnection,
    b: Backend,
    tenant: &str,
    user: &str,
    limits: &Limits,
    s: &RowStamp,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(limits).map_err(|e| StoreError::Data(format!("risk limits: {e}")))?;
    b.q("INSERT INTO risk_limits (tenant, user_name, limits, version, changed_by, changed_role, changed_at, sim_ts) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, user_name) DO UPDATE SET limits = excluded.limits, \
         version = excluded.version, changed_by = excluded.changed_by, changed_role = excluded.changed_role, \
         changed_at = excluded.changed_at, sim_ts = excluded.sim_ts")
        .bind(tenant.to_string())
        .bind(user.to_string())
        .bind(json)
        .bind(s.0)
        .bind(s.1.clone())
        .bind(s.2.clone())
        .bind(s.3)
        .bind(s.4)
        .execute(&mut *conn)
        .await
        .map_err(|e| StoreError::db("recording risk limits", e))
        .map(drop)
}

/// Sets one column (`state` or `execution`) of a tenant's row, creating it.
async fn put_tenant(
    conn: &mut AnyConnection,
    b: Backend,
    tenant: &str,
    column: &'static str,
    value: &str,
    s: &RowStamp,
) -> Result<(), StoreError> {
    // The column name is one of two constants; the value is bound.
    let (state, execution): (Option<String>, Option<i64>) = match column {
        "state" => (Some(value.to_string()), None),
        _ => (None, Some(i64::from(value == "1"))),
    };
    let sql = format!(
        "INSERT INTO risk_tenants (tenant, state, execution, version, changed_by, changed_role, changed_at, sim_ts) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant) DO UPDATE SET {column} = excluded.{column}, \
         version = excluded.version, changed_by = excluded.changed_by, changed_role = excluded.changed_role, \
         changed_at = excluded.changed_at, sim_ts = excluded.sim_ts"
    );
    b.q(&sql)
        .bind(tenant.to_string())
        .bind(state)
        .bind(execution)
        .bind(s.0)
        .bind(s.1.clone())
        .bind(s.2.clone())
        .bind(s.3)
        .bind(s.4)
        .execute(&mut *conn)
        .await
        .map_err(|e| StoreError::db("recording a trading state", e))
        .map(drop)
}

fn stamp_of(row: &sqlx::any::AnyRow) -> Result<Stamp, StoreError> {
    let who: String = col(row, "changed_by")?;
    let role: String = col(row, "changed_role")?;
    Ok(Stamp { by: format!("{who} {role}"), at: Timestamp(col(row, "sim_ts")?) })
}

/// Reads the controls as last set (see `DeskControls::controls` for the order).
pub(crate) async fn load(pool: &AnyPool, b: Backend) -> Result<DeskControls, StoreError> {
    let db = |e: sqlx::Error| StoreError::db("reading the risk controls", e);
    let bad = |what: String| StoreError::Data(format!("risk controls: {what}"));
    let version: i64 = b
        .q("SELECT n FROM risk_version WHERE id = 1")
        .fetch_one(pool)
        .await
        .map_err(db)
        .and_then(|row| col(&row, "n"))?;
    let mut controls = Vec::new();
    let tenants = b
        .q("SELECT tenant, state, execution, changed_by, changed_role, sim_ts FROM risk_tenants ORDER BY tenant")
        .fetch_all(pool)
        .await
        .map_err(db)?;
    let limits = b
        .q("SELECT tenant, user_name, limits, changed_by, changed_role, sim_ts FROM risk_limits \
            ORDER BY tenant, user_name")
        .fetch_all(pool)
        .await
        .map_err(db)?;
    // '' sorts first: the desk's rows come before every tenant's.
    for row in &tenants {
        let tenant: String = col(row, "tenant")?;
        let stamp = stamp_of(row)?;
        let name: Option<Name> = (!tenant.is_empty()).then(|| tenant.as_str().into());
        if let Some(s) = col::<Option<String>>(row, "state")? {
            let state: TradingState = s.parse().map_err(|e: String| bad(format!("tenant '{tenant}': {e}")))?;
            controls.push((Control::State { tenant: name.clone(), state }, stamp.clone()));
        }
        if let (Some(t), Some(x)) = (name, col::<Option<i64>>(row, "execution")?) {
            controls.push((Control::Execution { tenant: t, enabled: x != 0 }, stamp));
        }
    }
    for row in &limits {
        let tenant: String = col(row, "tenant")?;
        let user: String = col(row, "user_name")?;
        let l: Limits = serde_json::from_str(&col::<String>(row, "limits")?)
            .map_err(|e| bad(format!("limits of '{user}@{tenant}': {e}")))?;
        let control = match (tenant.is_empty(), user.is_empty()) {
            (true, _) => Control::DeskLimits { limits: l },
            (false, true) => Control::Limits { tenant: tenant.as_str().into(), user: None, limits: l },
            (false, false) => {
                Control::Limits { tenant: tenant.as_str().into(), user: Some(user.as_str().into()), limits: l }
            }
        };
        controls.push((control, stamp_of(row)?));
    }
    // Desk-wide first, then tenants (a stable sort keeps each group's order).
    controls.sort_by_key(|(c, _)| c.tenant().is_some());
    Ok(DeskControls { version, controls })
}

impl Ledger {
    /// The desk's risk controls as supervisors last set them.
    pub fn desk_controls(&self) -> Result<DeskControls, StoreError> {
        let b = self.target().backend();
        self.block_on(load(self.pool(), b))
    }
}

impl LedgerHandle {
    /// The desk's risk controls as supervisors last set them.
    pub async fn desk_controls(&self) -> Result<DeskControls, StoreError> {
        self.run(move |pool, b| async move { load(&pool, b).await }).await
    }

    /// The number of the desk's last control change (`risk_version.n`).
    pub async fn controls_version(&self) -> Result<i64, StoreError> {
        self.run(move |pool, b| async move {
            b.q("SELECT n FROM risk_version WHERE id = 1")
                .fetch_one(&pool)
                .await
                .map_err(|e| StoreError::db("reading the risk controls", e))
                .and_then(|row| col(&row, "n"))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;

    #[test]
    fn a_kill_is_recorded_as_a_halt() {
        let actor = Actor { user: "sup".into(), tenant: "hq".into(), role: Role::Supervisor };
        let ev = |seq, kind| EngineEvent { seq, ts: Timestamp(seq as i64), kind };
        let events = vec![
            ev(1, EventKind::KillAll { actor: actor.clone(), tenant: Some("ws".into()), parents: vec![] }),
            ev(2, EventKind::Paused { parent: crate::model::ParentId::local(1) }),
            ev(3, EventKind::ExecutionEnabled { actor: actor.clone(), tenant: "az".into(), enabled: false }),
        ];
        let r = records(&events);
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[0].kind, &r[0].control),
            ("kill", &Control::State { tenant: Some("ws".into()), state: TradingState::Halted })
        );
        assert_eq!((r[1].kind, r[1].sim_ts), ("execution", Timestamp(3)));
    }
}
