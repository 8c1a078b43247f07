//! Orders and fills out of the ledger as CSV or JSON. Amounts are written as
//! exact decimals (the fixed-point values' own formatting), times as RFC 3339
//! UTC with nanoseconds.
//!
//! CSV holds both in one table by default: one row per fill carrying its
//! order's columns, and one row (fill columns empty) per order without
//! fills; `Table::Orders` or `Table::Fills` give either table alone.

use super::query::{LedgerOrder, OrderFilter};
use super::{Ledger, StoreError};
use crate::model::Fill;
use serde::Serialize;
use std::fmt::Display;
use std::io::Write;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON document.
    Json,
}

/// Which table to export (both when not given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Parent orders.
    Orders,
    /// Fills.
    Fills,
}

const ORDER_COLS: &[&str] = &[
    "order",
    "symbol",
    "side",
    "qty",
    "limit_px",
    "algo",
    "status",
    "filled",
    "avg_px",
    "notional",
    "fees",
    "arrival_px",
    "interval_vwap",
    "arrival_bps",
    "vwap_bps",
    "user",
    "tenant",
    "created_at",
    "start",
    "end",
    "done_at",
];

const FILL_COLS: &[&str] = &["fill", "child", "venue", "fill_side", "px", "fill_qty", "fee", "liquidity", "ts"];

fn opt<T: Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn order_cells(o: &LedgerOrder) -> Vec<String> {
    let p = &o.order;
    let tca = o.tca.as_ref();
    vec![
        o.reference.clone(),
        p.symbol.to_string(),
        p.side.to_string(),
        p.qty.to_string(),
        opt(p.limit_px),
        p.algo.to_string(),
        p.status.to_string(),
        p.filled.to_string(),
        opt(o.avg_px),
        p.notional.to_string(),
        p.fees.to_string(),
        opt(p.arrival_px),
        opt(tca.and_then(|t| t.interval_vwap)),
        opt(tca.and_then(|t| t.arrival_bps).map(|b| format!("{b:.4}"))),
        opt(tca.and_then(|t| t.vwap_bps).map(|b| format!("{b:.4}"))),
        p.owner.user.to_string(),
        p.owner.tenant.to_string(),
        p.created_at.to_string(),
        p.start.to_string(),
        p.end.to_string(),
        opt(p.done_at),
    ]
}

fn fill_cells(o: &LedgerOrder, f: &Fill) -> Vec<String> {
    vec![
        format!("E{}-{}", o.engine, f.id),
        f.child.to_string(),
        f.venue.to_string(),
        f.side.to_string(),
        f.px.to_string(),
        f.qty.to_string(),
        f.fee.to_string(),
        crate::store::rows::enum_str(&f.liquidity),
        f.ts.to_string(),
    ]
}

/// One CSV field, quoted when it has to be.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

fn line(out: &mut dyn Write, cells: &[String]) -> std::io::Result<()> {
    let row: Vec<String> = cells.iter().map(|c| field(c)).collect();
    writeln!(out, "{}", row.join(","))
}

#[derive(Serialize)]
struct JsonFill<'a> {
    order: &'a str,
    #[serde(flatten)]
    fill: &'a Fill,
}

/// Writes the orders matching `filter` (and their fills) to `out`; returns the rows written.
pub fn export(
    ledger: &Ledger,
    filter: &OrderFilter,
    format: Format,
    table: Option<Table>,
    out: &mut dyn Write,
) -> Result<usize, StoreError> {
    let io = |e: std::io::Error| StoreError::Db { context: "writing the export".into(), message: e.to_string() };
    let mut orders = ledger.orders(&OrderFilter { offset: 0, limit: 0, ..filter.clone() })?.items;
    orders.reverse();
    let fills = if table == Some(Table::Orders) { Vec::new() } else { ledger.fills(filter)? };
    let mut rows = 0;
    match format {
        Format::Json => {
            let fills_json: Vec<JsonFill> =
                fills.iter().map(|(o, f)| JsonFill { order: o.reference.as_str(), fill: f }).collect();
            let doc = match table {
                Some(Table::Orders) => serde_json::json!({ "orders": orders }),
                Some(Table::Fills) => serde_json::json!({ "fills": fills_json }),
                None => serde_json::json!({ "orders": orders, "fills": fills_json }),
            };
            rows = match table {
                Some(Table::Orders) => orders.len(),
                Some(Table::Fills) => fills.len(),
                None => orders.len() + fills.len(),
            };
            serde_json::to_writer_pretty(&mut *out, &doc).map_err(|e| io(e.into()))?;
            writeln!(out).map_err(io)?;
        }
        Format::Csv => match table {
            Some(Table::Orders) => {
                line(out, &ORDER_COLS.iter().map(|s| s.to_string()).collect::<Vec<_>>()).map_err(io)?;
                for o in &orders {
                    line(out, &order_cells(o)).map_err(io)?;
                    rows += 1;
                }
            }
            Some(Table::Fills) => {
                let head: Vec<String> = ["order"].iter().chain(FILL_COLS).map(|s| s.to_string()).collect();
                line(out, &head).map_err(io)?;
                for (o, f) in &fills {
                    let mut cells = vec![o.reference.clone()];
                    cells.extend(fill_cells(o, f));
                    line(out, &cells).map_err(io)?;
                    rows += 1;
                }
            }
            None => {
                let head: Vec<String> = ORDER_COLS.iter().chain(FILL_COLS).map(|s| s.to_string()).collect();
                line(out, &head).map_err(io)?;
                let mut by_order: std::collections::HashMap<&str, Vec<&Fill>> = std::collections::HashMap::new();
                for (o, f) in &fills {
                    by_order.entry(o.reference.as_str()).or_default().push(f);
                }
                for o in &orders {
                    let mine = by_order.remove(o.reference.as_str()).unwrap_or_default();
                    if mine.is_empty() {
                        let mut cells = order_cells(o);
                        cells.extend(std::iter::repeat_n(String::new(), FILL_COLS.len()));
                        line(out, &cells).map_err(io)?;
                        rows += 1;
                    }
                    for f in mine {
                        let mut cells = order_cells(o);
                        cells.extend(fill_cells(o, f));
                        line(out, &cells).map_err(io)?;
                        rows += 1;
                    }
                }
            }
        },
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(field("NYSE"), "NYSE");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
