//! `blotter history`: past orders from the ledger with status (including
//! `interrupted`), filled quantity and TCA, or (`--audit`) its audit log; and
//! `blotter export`: orders and fills as CSV or JSON.

use super::ledger_args::{DbArg, parse_when, store_error};
use super::{CliError, group};
use crate::model::ParentStatus;
use crate::store::export::{self, Format, Table};
use crate::store::query::{AuditRow, LedgerOrder, OrderFilter};
use crate::store::refusals::AuditFilter;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

/// Filters shared by `history` and `export`.
#[derive(Debug, Args)]
pub struct Filters {
    /// Orders accepted at or after: YYYY-MM-DD, an RFC 3339 time, or an age like 7d.
    #[arg(long, value_name = "WHEN")]
    since: Option<String>,
    /// Orders accepted before (same forms as --since).
    #[arg(long, value_name = "WHEN")]
    until: Option<String>,
    /// Only this status (pending, working, paused, interrupted, done, cancelled, expired).
    #[arg(long)]
    status: Option<String>,
    /// Only this symbol.
    #[arg(long)]
    symbol: Option<String>,
    /// Only this user's orders.
    #[arg(long)]
    user: Option<String>,
    /// Only this tenant's orders.
    #[arg(long)]
    tenant: Option<String>,
}

impl Filters {
    fn filter(&self) -> Result<OrderFilter, CliError> {
        let since = self.since.as_deref().map(|s| parse_when("since", s)).transpose()?;
        let until = self.until.as_deref().map(|s| parse_when("until", s)).transpose()?;
        if let (Some(a), Some(b)) = (since, until)
            && b <= a
        {
            return Err(CliError::usage(format!("--until: {b} is not after --since {a}")));
        }
        let status = match &self.status {
            Some(s) => Some(s.parse::<ParentStatus>().map_err(|e| {
                CliError::usage(format!(
                    "--status: {e}; allowed: pending, working, paused, interrupted, done, cancelled, expired"
                ))
            })?),
            None => None,
        };
        Ok(OrderFilter {
            status,
            user: self.user.clone(),
            tenant: self.tenant.clone(),
            symbol: self.symbol.clone(),
            engine: None,
            since,
            until,
            offset: 0,
            limit: 0,
        })
    }
}

/// Flags of `blotter history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    db: DbArg,
    #[command(flatten)]
    filters: Filters,
    /// Rows per page.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Rows to skip (the next page starts at --offset LIMIT).
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// The audit log instead of orders, newest first: commands, configuration
    /// and token changes, refused requests (--since/--until are times written).
    #[arg(long)]
    audit: bool,
    /// With --audit: refusals only.
    #[arg(long, requires = "audit")]
    refused: bool,
}

/// Runs `blotter history`.
pub fn history(a: &HistoryArgs) -> Result<(), CliError> {
    if a.limit == 0 {
        return Err(CliError::usage("--limit: must be at least 1"));
    }
    for (flag, v) in [("limit", a.limit), ("offset", a.offset)] {
        if i64::try_from(v).is_err() {
            return Err(CliError::usage(format!("--{flag}: {v} is too large; allowed: at most {}", i64::MAX)));
        }
    }
    if a.audit {
        return audit(a);
    }
    let filter = OrderFilter { offset: a.offset, limit: a.limit, ..a.filters.filter()? };
    let ledger = a.db.open()?;
    let page = ledger.orders(&filter).map_err(store_error)?;
    if a.json {
        println!("{}", serde_json::to_string(&page).map_err(|e| CliError::runtime(e.to_string()))?);
        return Ok(());
    }
    if page.items.is_empty() {
        println!("no orders in {} match", ledger.target());
        return Ok(());
    }
    let head = ["ORDER", "DATE", "SYMBOL", "SIDE", "QTY", "ALGO", "STATUS", "FILLED", "AVG PX", "ARR bps", "VWAP bps"];
    let mut rows: Vec<Vec<String>> = vec![head.iter().map(|s| s.to_string()).chain(["USER".into()]).collect()];
    rows.extend(page.items.iter().map(row));
    let widths: Vec<usize> =
        (0..rows[0].len()).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = Stdout::default();
    for r in &rows {
        let cells: Vec<String> = r.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        writeln!(out, "{}", cells.join("  ").trim_end()).map_err(|e| CliError::runtime(e.to_string()))?;
    }
    let shown_to = page.offset + page.items.len();
    let more = if shown_to < page.total { format!(" (--offset {shown_to} for more)") } else { String::new() };
    writeln!(out, "{}-{} of {} orders in {}{more}", page.offset + 1, shown_to, page.total, ledger.target())
        .map_err(|e| CliError::runtime(e.to_string()))?;
    Ok(())
}

/// `blotter history --audit`.
fn audit(a: &HistoryArgs) -> Result<(), CliError> {
    let f = &a.filters;
    if f.status.is_some() || f.symbol.is_some() || a.offset > 0 {
        return Err(CliError::usage("--audit: filters by --since, --until, --user, --tenant and --limit only"));
    }
    let order = f.filter()?;
    let filter = AuditFilter {
        since_ms: order.since.map(|t| t.0.div_euclid(1_000_000)),
        until_ms: order.until.map(|t| t.0.div_euclid(1_000_000)),
        outcome: a.refused.then(|| "refused".to_string()),
        tenant: order.tenant,
        user: order.user,
        limit: a.limit,
    };
    let ledger = a.db.open()?;
    let h = ledger.handle();
    let q = h.clone();
    let rows = h.block(async move { q.audit_records(filter).await }).map_err(store_error)?;
    if a.json {
        println!("{}", serde_json::to_string(&rows).map_err(|e| CliError::runtime(e.to_string()))?);
        return Ok(());
    }
    let mut out = Stdout::default();
    let io = |e: std::io::Error| CliError::runtime(e.to_string());
    for r in &rows {
        writeln!(out, "{}", audit_line(r)).map_err(io)?;
    }
    writeln!(out, "{} audit record(s) in {}, newest first", rows.len(), ledger.target()).map_err(io)?;
    Ok(())
}

/// One audit record on one line: when, where, who, what, the outcome and the detail (shortened).
fn audit_line(r: &AuditRow) -> String {
    let at = chrono::DateTime::from_timestamp_millis(r.at)
        .map_or_else(|| r.at.to_string(), |t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string());
    let who = if r.user.is_empty() { "-".to_string() } else { format!("{}@{} {}", r.user, r.tenant, r.role) };
    let order = r.parent.map_or(String::new(), |p| format!(" {p}"));
    let outcome = match &r.code {
        Some(c) => format!("{} {c}", r.outcome),
        None => r.outcome.clone(),
    };
    let detail: String = r.detail.chars().take(100).collect();
    format!("{at}  E{}#{}  {who}  {}{order}  {outcome}  {detail}", r.engine, r.n, r.action)
}

fn row(o: &LedgerOrder) -> Vec<String> {
    let p = &o.order;
    let bps = |b: Option<f64>| b.map_or("-".to_string(), |b| format!("{b:+.2}"));
    let tca = o.tca.as_ref();
    vec![
        o.reference.clone(),
        p.created_at.to_utc().format("%Y-%m-%d").to_string(),
        p.symbol.to_string(),
        p.side.to_string(),
        group(p.qty),
        p.algo.to_string(),
        p.status.to_string(),
        group(p.filled),
        o.avg_px.map_or("-".to_string(), |x| format!("{x:.4}")),
        bps(tca.and_then(|t| t.arrival_bps)),
        bps(tca.and_then(|t| t.vwap_bps)),
        format!("{}@{}", p.owner.user, p.owner.tenant),
    ]
}

/// Flags of `blotter export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    db: DbArg,
    #[command(flatten)]
    filters: Filters,
    /// csv or json.
    #[arg(long)]
    format: String,
    /// Only one table: orders or fills (default: both; in CSV one row per fill with its order).
    #[arg(long)]
    table: Option<String>,
    /// Write to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Runs `blotter export`.
pub fn export(a: &ExportArgs) -> Result<(), CliError> {
    let format = match a.format.trim().to_ascii_lowercase().as_str() {
        "csv" => Format::Csv,
        "json" => Format::Json,
        other => return Err(CliError::usage(format!("--format: '{other}' is not one of: csv, json"))),
    };
    let table = match a.table.as_deref().map(|t| t.trim().to_ascii_lowercase()) {
        None => None,
        Some(t) if t == "orders" => Some(Table::Orders),
        Some(t) if t == "fills" => Some(Table::Fills),
        Some(t) => return Err(CliError::usage(format!("--table: '{t}' is not one of: orders, fills"))),
    };
    let filter = a.filters.filter()?;
    let ledger = a.db.open()?;
    let mut out: Box<dyn Write> = match &a.out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).map_err(|e| CliError::usage(format!("--out {}: {e}", p.display())))?,
        )),
        None => Box::new(std::io::BufWriter::new(Stdout::default())),
    };
    let n = export::export(&ledger, &filter, format, table, &mut out).map_err(store_error)?;
    out.flush().map_err(|e| CliError::runtime(format!("writing the export: {e}")))?;
    if let Some(p) = &a.out {
        eprintln!("{n} rows written to {}", p.display());
    }
    Ok(())
}

/// Standard output that goes quiet when the reader leaves (`| head`) instead of failing.
#[derive(Default)]
struct Stdout {
    gone: bool,
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.gone {
            return Ok(buf.len());
        }
        match std::io::stdout().write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.gone = true;
                Ok(buf.len())
            }
            r => r,
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match std::io::stdout().flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            r => r,
        }
    }
}
