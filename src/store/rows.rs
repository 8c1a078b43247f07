//! Orders, children and fills to and from table rows, and the multi-row
//! insert every write goes through. Amounts are stored as the raw integers of
//! the fixed-point types, so what is read back is exactly what was written.

use super::StoreError;
use super::db::Backend;
use super::record::{AuditEntry, TcaRecord};
use super::replica::ParentRow;
use crate::engine::EngineEvent;
use crate::model::{ChildId, ChildOrder, Fill, FillId, Money, Owner, ParentId, ParentOrder, Price, Qty, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// One value to bind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    /// An integer.
    I(i64),
    /// An optional integer.
    NI(Option<i64>),
    /// Text.
    T(String),
    /// Optional text.
    NT(Option<String>),
    /// An optional float (analytics only).
    F(Option<f64>),
}

fn bind(q: super::db::Q, v: Val) -> super::db::Q {
    match v {
        Val::I(x) => q.bind(x),
        Val::NI(x) => q.bind(x),
        Val::T(x) => q.bind(x),
        Val::NT(x) => q.bind(x),
        Val::F(x) => q.bind(x),
    }
}

/// Statement sizes (rows per INSERT): a fixed set, so each one is prepared once.
const CHUNKS: [usize; 9] = [256, 128, 64, 32, 16, 8, 4, 2, 1];
/// Bind parameters per statement stay below SQLite's limit (32766).
const MAX_BINDS: usize = 30_000;

/// Inserts `rows` into `table` in as few statements as the bind limit allows;
/// `tail` is appended to each (an `ON CONFLICT` clause, or empty).
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    cols: &[&str],
    tail: &str,
    rows: Vec<Vec<Val>>,
) -> Result<(), sqlx::Error> {
    let mut rows = rows.into_iter().peekable();
    let per_row = format!("({})", vec!["?"; cols.len()].join(", "));
    let mut left = rows.len();
    while left > 0 {
        let n = CHUNKS.iter().copied().find(|&c| c <= left && c * cols.len() <= MAX_BINDS).unwrap_or(1);
        let sql =
            format!("INSERT INTO {table} ({}) VALUES {} {tail}", cols.join(", "), vec![per_row.as_str(); n].join(", "));
        let mut q = backend.q(&sql);
        for row in rows.by_ref().take(n) {
            for v in row {
                q = bind(q, v);
            }
        }
        q.execute(&mut *conn).await?;
        left -= n;
    }
    Ok(())
}

/// The name serde gives a unit enum value (`buy`, `pending_new`, `maker`...).
pub(crate) fn enum_str<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

/// Parses a stored enum name back.
pub(crate) fn enum_parse<T: DeserializeOwned>(s: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| StoreError::Data(format!("'{s}' is not a valid {what}")))
}

/// An unsigned id or count as a column value.
pub(crate) fn int(x: u64) -> i64 {
    i64::try_from(x).unwrap_or(i64::MAX)
}

fn uint(x: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(x).map_err(|_| StoreError::Data(format!("{what} {x} is negative")))
}

/// Reads a column, naming it when it is missing or of the wrong type.
pub(crate) fn col<'r, T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>>(
    r: &'r AnyRow,
    name: &str,
) -> Result<T, StoreError> {
    r.try_get(name).map_err(|e| StoreError::Data(format!("column {name}: {e}")))
}

/// Columns of `parents`, in the order `parent_vals` gives them.
pub(crate) const PARENT_COLS: &[&str] = &[
    "engine_id",
    "id",
    "user_name",
    "tenant",
    "symbol",
    "side",
    "qty",
    "limit_px",
    "algo",
    "params",
    "start_ts",
    "end_ts",
    "status",
    "filled",
    "notional",
    "fees",
    "arrival_px",
    "decision_px",
    "created_at",
    "started_at",
    "done_at",
    "children",
    "cancel_requested",
    "last_seq",
];

/// What an upsert of a parent may change (the rest is fixed at acceptance).
pub(crate) const PARENT_UPSERT: &str = "ON CONFLICT (engine_id, id) DO UPDATE SET qty = excluded.qty, \
    limit_px = excluded.limit_px, status = excluded.status, filled = excluded.filled, \
    notional = excluded.notional, fees = excluded.fees, arrival_px = excluded.arrival_px, \
    decision_px = excluded.decision_px, started_at = excluded.started_at, done_at = excluded.done_at, \
    children = excluded.children, cancel_requested = excluded.cancel_requested, last_seq = excluded.last_seq";

/// A parent row's values.
pub(crate) fn parent_vals(engine: i64, p: &ParentRow) -> Vec<Val> {
    let o = &p.order;
    vec![
        Val::I(engine),
        Val::I(int(o.id.n)),
        Val::T(o.owner.user.to_string()),
        Val::T(o.owner.tenant.to_string()),
        Val::T(o.symbol.to_string()),
        Val::T(o.side.as_str().into()),
        Val::I(o.qty.raw()),
        Val::NI(o.limit_px.map(Price::raw)),
        Val::T(o.algo.as_str().into()),
        Val::T(serde_json::to_string(&o.params).unwrap_or_else(|_| "{}".into())),
        Val::I(o.start.0),
        Val::I(o.end.0),
        Val::T(o.status.as_str().into()),
        Val::I(o.filled.raw()),
        Val::I(o.notional.raw()),
        Val::I(o.fees.raw()),
        Val::NI(o.arrival_px.map(Price::raw)),
        Val::NI(o.decision_px.map(Price::raw)),
        Val::I(o.created_at.0),
        Val::NI(p.started_at.map(|t| t.0)),
        Val::NI(o.done_at.map(|t| t.0)),
        Val::I(i64::from(o.children)),
        Val::I(i64::from(p.cancel_requested)),
        Val::I(int(p.last_seq)),
    ]
}

/// The engine number of a row holding `engine_id`: ids read back from the
/// ledger always name their engine (`E3-P17`).
fn engine_no(r: &AnyRow) -> Result<u32, StoreError> {
    engine_number(col(r, "engine_id")?)
}

/// An engine's number as order ids carry it.
pub(crate) fn engine_number(engine: i64) -> Result<u32, StoreError> {
    u32::try_from(engine).map_err(|_| StoreError::Data(format!("engine number {engine} is out of range")))
}

/// Order `n` of `engine` as stored (engine 0, outside any engine: the short form).
pub(crate) fn parent_id(engine: i64, n: i64) -> Result<ParentId, StoreError> {
    Ok(ParentId::new(engine_number(engine)?, uint(n, "order id")?))
}

/// A parent read back from a row holding `PARENT_COLS`.
pub(crate) fn parent_from_row(r: &AnyRow) -> Result<ParentRow, StoreError> {
    let id = ParentId::new(engine_no(r)?, uint(col(r, "id")?, "order id")?);
    let s = |name: &str| col::<String>(r, name);
    let params: std::collections::BTreeMap<String, String> = serde_json::from_str(&s("params")?)
        .map_err(|e| StoreError::Data(format!("{id}: params are not a JSON object of strings: {e}")))?;
    let order = ParentOrder {
        id,
        owner: Owner { user: s("user_name")?.into(), tenant: s("tenant")?.into() },
        symbol: s("symbol")?.into(),
        side: s("side")?.parse().map_err(StoreError::Data)?,
        qty: Qty::from_raw(col(r, "qty")?),
        limit_px: col::<Option<i64>>(r, "limit_px")?.map(Price::from_raw),
        algo: s("algo")?.parse().map_err(StoreError::Data)?,
        params,
        start: Timestamp(col(r, "start_ts")?),
        end: Timestamp(col(r, "end_ts")?),
        status: s("status")?.parse().map_err(StoreError::Data)?,
        filled: Qty::from_raw(col(r, "filled")?),
        notional: Money::from_raw(col(r, "notional")?),
        fees: Money::from_raw(col(r, "fees")?),
        arrival_px: col::<Option<i64>>(r, "arrival_px")?.map(Price::from_raw),
        decision_px: col::<Option<i64>>(r, "decision_px")?.map(Price::from_raw),
        created_at: Timestamp(col(r, "created_at")?),
        done_at: col::<Option<i64>>(r, "done_at")?.map(Timestamp),
        children: u32::try_from(col::<i64>(r, "children")?)
            .map_err(|_| StoreError::Data(format!("{id}: child count out of range")))?,
    };
    Ok(ParentRow {
        order,
        started_at: col::<Option<i64>>(r, "started_at")?.map(Timestamp),
        cancel_requested: col::<i64>(r, "cancel_requested")? != 0,
        last_seq: uint(col(r, "last_seq")?, "sequence number")?,
    })
}

/// Columns of `children`.
pub(crate) const CHILD_COLS: &[&str] = &[
    "engine_id",
    "parent_id",
    "seq",
    "venue",
    "side",
    "qty",
    "px",
    "order_type",
    "tif",
    "status",
    "filled",
    "notional",
    "sent_at",
    "acked_at",
];

/// What an upsert of a child may change.
pub(crate) const CHILD_UPSERT: &str = "ON CONFLICT (engine_id, parent_id, seq) DO UPDATE SET \
    status = excluded.status, filled = excluded.filled, notional = excluded.notional, acked_at = excluded.acked_at";

/// A child's values.
pub(crate) fn child_vals(engine: i64, c: &ChildOrder) -> Vec<Val> {
    vec![
        Val::I(engine),
        Val::I(int(c.id.parent.n)),
        Val::I(i64::from(c.id.seq)),
        Val::T(c.venue.to_string()),
        Val::T(c.side.as_str().into()),
        Val::I(c.qty.raw()),
        Val::NI(c.px.map(Price::raw)),
        Val::T(enum_str(&c.order_type)),
        Val::T(enum_str(&c.tif)),
        Val::T(c.status.as_str().into()),
        Val::I(c.filled.raw()),
        Val::I(c.notional.raw()),
        Val::I(c.sent_at.0),
        Val::NI(c.acked_at.map(|t| t.0)),
    ]
}

/// A child read back from a row holding `CHILD_COLS`.
pub(crate) fn child_from_row(r: &AnyRow) -> Result<ChildOrder, StoreError> {
    let parent = ParentId::new(engine_no(r)?, uint(col(r, "parent_id")?, "order id")?);
    let seq = u32::try_from(col::<i64>(r, "seq")?).map_err(|_| StoreError::Data("child number out of range".into()))?;
    let s = |name: &str| col::<String>(r, name);
    Ok(ChildOrder {
        id: ChildId { parent, seq },
        venue: s("venue")?.into(),
        side: s("side")?.parse().map_err(StoreError::Data)?,
        qty: Qty::from_raw(col(r, "qty")?),
        px: col::<Option<i64>>(r, "px")?.map(Price::from_raw),
        order_type: enum_parse(&s("order_type")?, "order type")?,
        tif: enum_parse(&s("tif")?, "time in force")?,
        status: enum_parse(&s("status")?, "child status")?,
        filled: Qty::from_raw(col(r, "filled")?),
        notional: Money::from_raw(col(r, "notional")?),
        sent_at: Timestamp(col(r, "sent_at")?),
        acked_at: col::<Option<i64>>(r, "acked_at")?.map(Timestamp),
    })
}

/// Columns of `fills`.
pub(crate) const FILL_COLS: &[&str] = &[
    "engine_id",
    "id",
    "parent_id",
    "child_seq",
    "venue",
    "side",
    "px",
    "qty",
    "notional",
    "fee",
    "liquidity",
    "ts",
    "seq",
];

/// A fill's values; `seq` is the event that reported it.
pub(crate) fn fill_vals(engine: i64, f: &Fill, seq: u64) -> Vec<Val> {
    vec![
        Val::I(engine),
        Val::I(int(f.id.0)),
        Val::I(int(f.child.parent.n)),
        Val::I(i64::from(f.child.seq)),
        Val::T(f.venue.to_string()),
        Val::T(f.side.as_str().into()),
        Val::I(f.px.raw()),
        Val::I(f.qty.raw()),
        // Exact notional per fill: summing raw price x quantity in SQL would overflow.
        Val::I(Money::notional(f.px, f.qty).raw()),
        Val::I(f.fee.raw()),
        Val::T(enum_str(&f.liquidity)),
        Val::I(f.ts.0),
        Val::I(int(seq)),
    ]
}

/// A fill read back from a row holding `FILL_COLS`.
pub(crate) fn fill_from_row(r: &AnyRow) -> Result<Fill, StoreError> {
    let parent = ParentId::new(engine_no(r)?, uint(col(r, "parent_id")?, "order id")?);
    let seq =
        u32::try_from(col::<i64>(r, "child_seq")?).map_err(|_| StoreError::Data("child number out of range".into()))?;
    let s = |name: &str| col::<String>(r, name);
    Ok(Fill {
        id: FillId(uint(col(r, "id")?, "fill id")?),
        child: ChildId { parent, seq },
        venue: s("venue")?.into(),
        side: s("side")?.parse().map_err(StoreError::Data)?,
        px: Price::from_raw(col(r, "px")?),
        qty: Qty::from_raw(col(r, "qty")?),
        fee: Money::from_raw(col(r, "fee")?),
        liquidity: enum_parse(&s("liquidity")?, "liquidity")?,
        ts: Timestamp(col(r, "ts")?),
    })
}

/// `col1, col2, ...` prefixed with a table alias.
pub(crate) fn select_list(alias: &str, cols: &[&str]) -> String {
    cols.iter().map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ")
}

pub(crate) const EVENT_COLS: &[&str] = &["engine_id", "seq", "ts", "kind", "parent_id", "payload"];

pub(crate) fn event_vals(engine: i64, ev: &EngineEvent) -> Result<Vec<Val>, StoreError> {
    let payload = serde_json::to_string(ev).map_err(|e| StoreError::Data(format!("event {}: {e}", ev.seq)))?;
    Ok(vec![
        Val::I(engine),
        Val::I(int(ev.seq)),
        Val::I(ev.ts.0),
        Val::T(kind_of(&payload).to_string()),
        Val::NI(ev.kind.parent().map(|p| int(p.n))),
        Val::T(payload),
    ])
}

/// The `type` tag of a serialised event (serde writes it right after `seq` and `ts`).
pub(crate) fn kind_of(payload: &str) -> &str {
    const TAG: &str = "\"type\":\"";
    payload.find(TAG).map(|i| &payload[i + TAG.len()..]).and_then(|rest| rest.split('"').next()).unwrap_or("unknown")
}

pub(crate) const AUDIT_COLS: &[&str] = &[
    "engine_id",
    "n",
    "at",
    "sim_ts",
    "user_name",
    "tenant",
    "role",
    "action",
    "parent_id",
    "outcome",
    "code",
    "detail",
];

pub(crate) fn audit_vals(engine: i64, n: u64, a: &AuditEntry) -> Vec<Val> {
    vec![
        Val::I(engine),
        Val::I(int(n)),
        Val::I(a.at),
        Val::NI(a.sim_ts.map(|t| t.0)),
        Val::T(a.actor.user.to_string()),
        Val::T(a.actor.tenant.to_string()),
        Val::T(a.actor.role.as_str().into()),
        Val::T(a.action.clone()),
        Val::NI(a.parent.map(|p| int(p.n))),
        Val::T(a.outcome.as_str().into()),
        Val::NT(a.code.clone()),
        Val::T(a.detail.clone()),
    ]
}

pub(crate) const TCA_COLS: &[&str] = &[
    "engine_id",
    "parent_id",
    "algo",
    "symbol",
    "side",
    "tenant",
    "user_name",
    "done_at",
    "filled",
    "notional",
    "fees",
    "arrival_px",
    "interval_vwap",
    "arrival_bps",
    "vwap_bps",
    "participation",
    "detail",
];

pub(crate) const TCA_UPSERT: &str = "ON CONFLICT (engine_id, parent_id) DO UPDATE SET done_at = excluded.done_at, \
    filled = excluded.filled, notional = excluded.notional, fees = excluded.fees, arrival_px = excluded.arrival_px, \
    interval_vwap = excluded.interval_vwap, arrival_bps = excluded.arrival_bps, vwap_bps = excluded.vwap_bps, \
    participation = excluded.participation, detail = excluded.detail";

pub(crate) fn tca_vals(engine: i64, t: &TcaRecord) -> Vec<Val> {
    let o = &t.order;
    let s = &t.summary;
    vec![
        Val::I(engine),
        Val::I(int(o.id.n)),
        Val::T(o.algo.as_str().into()),
        Val::T(o.symbol.to_string()),
        Val::T(o.side.as_str().into()),
        Val::T(o.owner.tenant.to_string()),
        Val::T(o.owner.user.to_string()),
        Val::I(o.done_at.unwrap_or(o.created_at).0),
        Val::I(o.filled.raw()),
        Val::I(o.notional.raw()),
        Val::I(o.fees.raw()),
        Val::NI(s.arrival_px.map(Price::raw)),
        Val::NI(s.interval_vwap.map(Price::raw)),
        Val::F(s.arrival_slippage_bps.filter(|x| x.is_finite())),
        Val::F(s.vwap_slippage_bps.filter(|x| x.is_finite())),
        Val::F(Some(if s.participation.is_finite() { s.participation } else { 0.0 })),
        Val::T(super::record::to_json(s)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChildStatus, Liquidity, OrderType, Tif};

    #[test]
    fn enum_names_round_trip() {
        assert_eq!(enum_str(&ChildStatus::PendingNew), "pending_new");
        assert_eq!(enum_str(&Liquidity::Auction), "auction");
        assert_eq!(enum_str(&OrderType::Limit), "limit");
        assert_eq!(enum_parse::<Tif>("ioc", "tif").unwrap(), Tif::Ioc);
        let e = enum_parse::<Tif>("gtc", "time in force").unwrap_err();
        assert_eq!(e.to_string(), "ledger: stored data is inconsistent: 'gtc' is not a valid time in force");
    }

    #[test]
    fn event_kind_comes_from_the_tag() {
        let ev = EngineEvent {
            seq: 4,
            ts: Timestamp(9),
            kind: crate::engine::EventKind::Paused { parent: ParentId::local(2) },
        };
        let payload = serde_json::to_string(&ev).unwrap();
        assert_eq!(kind_of(&payload), "paused");
        assert_eq!(kind_of("{}"), "unknown");
    }
}
