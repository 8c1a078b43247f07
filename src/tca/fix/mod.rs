//! FIX 4.2 / 4.4 drop copies as orders and fills for the batch analysis.
//!
//! - NewOrderSingle (35=D) opens an order: ClOrdID (11), Symbol (55), Side
//!   (54), OrderQty (38), Price (44) as limit, TransactTime (60, else
//!   SendingTime 52) as arrival.
//! - ExecutionReport (35=8) with ExecType 1/2 (4.2) or F (4.4) is a fill:
//!   LastPx (31), LastQty (32), TransactTime (60), LastMkt (30) as venue,
//!   Commission (12) with CommType (13) and MiscFees (136 group) as fees.
//!   The order is found by ClOrdID (following OrigClOrdID 41 through
//!   replaces) or OrderID (37); an order never sent as 35=D is opened from
//!   its first execution report carrying Symbol, Side and OrderQty.
//! - A bust (ExecType H, or ExecTransType 20=1 in 4.2) removes the fill its
//!   ExecRefID (19) names; a correction (ExecType G, or 20=2) replaces that
//!   fill's price and quantity (its time stays the original's).
//! - ExecType 4 (cancelled), 3 (done for day) or C (expired), or OrdStatus
//!   (39) 2 filled / 3 / 4 / C, ends the order at its TransactTime; ExecType
//!   5 (replaced) takes the new OrderQty; ExecType 8 (rejected) before any
//!   fill drops the order. An order the log never ends ends at its last
//!   message.
//! - The broker is ExecBroker (76), else the Parties (453) entry with
//!   PartyRole 1 (executing firm), else OnBehalfOfCompID (115); the trader
//!   the Parties entry with role 11 or 12, else SenderSubID (50) of the
//!   order; the desk DeskID (284); the algo TargetStrategy (847).
//! - A resent execution (an ExecID already seen) is counted, not applied twice.
//!
//! No FIX crate is used: fefix and its successor hotfix-encoding panic on a
//! malformed group count and fefix needs sqlx 0.5; fixer and the QuickFIX
//! bindings are session engines; ironfix-tagvalue and fixlite split SOH
//! frames only, without groups. Drop-copy logs come with `|` or `^A`
//! delimiters, need a way past a hand-edited checksum, and use two repeating
//! groups here (Parties, MiscFees), read below with their declared counts
//! checked. docs/tca.md has the comparison.

pub mod frame;

use super::batch::{FillSpec, OrderSpec, Source};
use crate::market::replay::csv::RecFill;
use crate::model::{Money, Price, Qty, Side, Timestamp};
use chrono::NaiveDateTime;
use frame::{Field, Message, parse_line};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// Why a drop copy cannot be used, with the line and what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {message}")]
pub struct FixError {
    /// The message at fault.
    pub at: Source,
    /// What is wrong and what to do.
    pub message: String,
}

/// What reading a log did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DropCopyStats {
    /// FIX messages read.
    pub messages: usize,
    /// Orders opened.
    pub orders: usize,
    /// Executions applied.
    pub executions: usize,
    /// Executions busted.
    pub busts: usize,
    /// Executions corrected.
    pub corrections: usize,
    /// Resent executions skipped.
    pub duplicates: usize,
    /// Orders dropped because they were rejected.
    pub rejected: usize,
    /// Messages of other types (heartbeats, logons, ...).
    pub other: usize,
}

/// Orders and fills from a drop copy.
#[derive(Debug, Clone, PartialEq)]
pub struct DropCopy {
    /// Orders, in the order they opened.
    pub orders: Vec<OrderSpec>,
    /// Fills after busts and corrections, in log order.
    pub fills: Vec<FillSpec>,
    /// Counts.
    pub stats: DropCopyStats,
}

struct OrderState {
    spec: OrderSpec,
    ended: bool,
    last_seen: Timestamp,
    rejected: bool,
}

#[derive(Default)]
struct Reader {
    file: Arc<str>,
    orders: Vec<OrderState>,
    /// Any ClOrdID or OrderID -> order index.
    ids: HashMap<String, usize>,
    fills: Vec<Option<FillSpec>>,
    /// ExecID -> fill index.
    execs: HashMap<String, usize>,
    stats: DropCopyStats,
}

fn utc_timestamp(s: &str) -> Option<Timestamp> {
    ["%Y%m%d-%H:%M:%S%.f", "%Y%m%d-%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s.trim(), f).ok())
        .map(|n| Timestamp::from_utc(n.and_utc()))
}

fn side(s: &str) -> Option<Side> {
    match s {
        "1" | "3" => Some(Side::Buy),
        "2" | "4" | "5" | "6" => Some(Side::Sell),
        _ => None,
    }
}

/// TargetStrategy (847) codes of FIX 4.4; other values are kept as written.
fn strategy(s: &str) -> String {
    match s {
        "1" => "VWAP".into(),
        "2" => "POV".into(),
        "3" => "min impact".into(),
        other => other.into(),
    }
}

/// Entries of a repeating group: the fields after its count tag, each entry
/// starting at `first`, while the tags belong to `members`.
fn group<'a>(m: &Message<'a>, count_tag: u32, first: u32, members: &[u32]) -> Result<Vec<Vec<Field<'a>>>, String> {
    let Some(at) = m.fields.iter().position(|f| f.tag == count_tag) else { return Ok(Vec::new()) };
    let declared: usize = m.fields[at].value.trim().parse().map_err(|_| {
        format!("the repeating group {count_tag} must declare a count of entries, not '{}'", m.fields[at].value)
    })?;
    let mut entries: Vec<Vec<Field<'a>>> = Vec::new();
    for f in &m.fields[at + 1..] {
        if f.tag == first {
            entries.push(Vec::new());
        } else if !members.contains(&f.tag) || entries.is_empty() {
            break;
        }
        if let Some(e) = entries.last_mut() {
            e.push(*f);
        }
    }
    if entries.len() != declared {
        return Err(format!(
            "the repeating group {count_tag} declares {declared} entries but {} follow (each starting with tag {first})",
            entries.len()
        ));
    }
    Ok(entries)
}

fn value<'a>(entry: &[Field<'a>], tag: u32) -> Option<&'a str> {
    entry.iter().find(|f| f.tag == tag).map(|f| f.value)
}

/// The Parties (453) entry with one of `roles`, first match by role order.
fn party(m: &Message<'_>, roles: &[&str]) -> Result<Option<String>, String> {
    let parties = group(m, 453, 448, &[448, 447, 452, 802, 523, 803])?;
    Ok(roles
        .iter()
        .find_map(|r| parties.iter().find(|p| value(p, 452) == Some(r)).and_then(|p| value(p, 448)))
        .map(str::to_string))
}

impl Reader {
    fn err(&self, line: u64, message: impl Into<String>) -> FixError {
        FixError { at: Source { file: self.file.clone(), line }, message: message.into() }
    }

    fn need<'a>(&self, m: &Message<'a>, tag: u32, name: &str, line: u64) -> Result<&'a str, FixError> {
        m.get(tag).ok_or_else(|| {
            self.err(line, format!("{name} ({tag}) is missing from a 35={} message", m.msg_type().unwrap_or("?")))
        })
    }

    fn time(&self, m: &Message<'_>, line: u64) -> Result<Timestamp, FixError> {
        let (tag, raw) = match m.get(60) {
            Some(v) => (60, v),
            None => (52, self.need(m, 52, "TransactTime (60) or SendingTime", line)?),
        };
        utc_timestamp(raw)
            .ok_or_else(|| self.err(line, format!("tag {tag} '{raw}' is not a UTCTimestamp (YYYYMMDD-HH:MM:SS[.sss])")))
    }

    fn decimal<T>(
        &self,
        m: &Message<'_>,
        tag: u32,
        name: &str,
        line: u64,
        parse: fn(&str) -> Result<T, String>,
    ) -> Result<T, FixError> {
        let raw = self.need(m, tag, name, line)?;
        parse(raw).map_err(|e| self.err(line, format!("{name} ({tag}): {e}")))
    }

    /// The order an execution report is about, by ClOrdID (and OrigClOrdID) or OrderID.
    fn find(&self, m: &Message<'_>) -> Option<usize> {
        [11, 41, 37].iter().filter_map(|t| m.get(*t)).find_map(|id| self.ids.get(id).copied())
    }

    fn remember(&mut self, m: &Message<'_>, i: usize) {
        for t in [11, 41, 37] {
            if let Some(id) = m.get(t) {
                self.ids.entry(id.to_string()).or_insert(i);
            }
        }
    }

    fn open(&mut self, m: &Message<'_>, line: u64, at: Timestamp) -> Result<usize, FixError> {
        let id = match m.get(11).or_else(|| m.get(37)) {
            Some(id) => id,
            None => return Err(self.err(line, "neither ClOrdID (11) nor OrderID (37) names the order")),
        };
        if m.msg_type() == Some("D") && self.ids.contains_key(id) {
            return Err(self.err(
                line,
                format!("ClOrdID (11) '{id}' was already used by an earlier order; ClOrdIDs must be unique"),
            ));
        }
        let raw_side = self.need(m, 54, "Side", line)?;
        let side = side(raw_side).ok_or_else(|| {
            self.err(line, format!("Side (54) '{raw_side}' is not a buy (1, 3) or sell (2, 4, 5, 6)"))
        })?;
        let qty = self.decimal(m, 38, "OrderQty", line, crate::market::replay::csv::parse_qty)?;
        if !qty.is_positive() {
            return Err(self.err(line, format!("OrderQty (38) {qty} must be positive")));
        }
        let limit = match m.get(44) {
            Some(_) => Some(self.decimal(m, 44, "Price", line, crate::market::replay::csv::parse_price)?),
            None => None,
        };
        let broker = match m.get(76) {
            Some(b) => Some(b.to_string()),
            None => party(m, &["1"]).map_err(|e| self.err(line, e))?.or_else(|| m.get(115).map(str::to_string)),
        };
        let trader = party(m, &["11", "12"]).map_err(|e| self.err(line, e))?.or_else(|| m.get(50).map(str::to_string));
        let spec = OrderSpec {
            id: id.to_string(),
            symbol: self.need(m, 55, "Symbol", line)?.to_string(),
            side,
            qty,
            arrival: at,
            end: at,
            decision_px: None,
            decision_time: None,
            broker,
            algo: m.get(847).map(strategy),
            trader,
            desk: m.get(284).map(str::to_string),
            limit_px: limit.filter(|p: &Price| p.is_positive()),
            quote_per: 1,
            source: Source { file: self.file.clone(), line },
        };
        self.orders.push(OrderState { spec, ended: false, last_seen: at, rejected: false });
        let i = self.orders.len() - 1;
        self.remember(m, i);
        self.stats.orders += 1;
        Ok(i)
    }

    fn fees(&self, m: &Message<'_>, px: Price, qty: Qty, line: u64) -> Result<Money, FixError> {
        let mut fee = Money::ZERO;
        let amount = |tag: u32, name: &str, basis: Option<&str>, raw: &str| -> Result<Money, FixError> {
            let v = Money::parse(raw).map_err(|e| self.err(line, format!("{name} ({tag}): {e}")))?;
            Ok(match basis {
                Some("1") => Money::per_unit(v, qty),
                Some("2") => Money::notional(px, qty).bps(v.to_f64() * 100.0),
                _ => v,
            })
        };
        if let Some(raw) = m.get(12) {
            // CommType (13): 1 per unit, 2 percent, 3 absolute (the default), 6 per unit (bonds).
            let basis = match m.get(13) {
                Some("6") => Some("1"),
                Some("2") => Some("2"),
                Some("1") => Some("1"),
                _ => None,
            };
            fee += amount(12, "Commission", basis, raw)?;
        }
        let misc = group(m, 136, 137, &[137, 138, 139, 891]).map_err(|e| self.err(line, e))?;
        for e in misc {
            let raw = value(&e, 137).unwrap_or("0");
            // MiscFeeBasis (891): 0 absolute, 1 per unit, 2 percentage.
            fee += amount(137, "MiscFeeAmt", value(&e, 891), raw)?;
        }
        Ok(fee)
    }

    fn execution(&mut self, m: &Message<'_>, line: u64) -> Result<(), FixError> {
        let at = self.time(m, line)?;
        let exec_type = m.get(150).unwrap_or("");
        let trans = m.get(20).unwrap_or("0");
        let bust = exec_type == "H" || trans == "1";
        let correct = exec_type == "G" || trans == "2";
        let order = match self.find(m) {
            Some(i) => i,
            None => self.open(m, line, at)?,
        };
        self.remember(m, order);
        let o = &mut self.orders[order];
        o.last_seen = o.last_seen.max(at);
        if bust || correct {
            let r = self.need(m, 19, "ExecRefID", line)?;
            let Some(&k) = self.execs.get(r) else {
                return Err(self.err(
                    line,
                    format!("ExecRefID (19) '{r}' names no execution earlier in the log; give the log from before it"),
                ));
            };
            if bust {
                self.fills[k] = None;
                self.stats.busts += 1;
            } else {
                let px = self.decimal(m, 31, "LastPx", line, crate::market::replay::csv::parse_price)?;
                let qty = self.decimal(m, 32, "LastQty", line, crate::market::replay::csv::parse_qty)?;
                let fee = self.fees(m, px, qty, line)?;
                if let Some(f) = self.fills[k].as_mut() {
                    (f.exec.px, f.exec.qty, f.exec.fee) = (px, qty, fee);
                }
                self.stats.corrections += 1;
            }
            return Ok(());
        }
        if matches!(exec_type, "1" | "2" | "F") {
            let exec_id = self.need(m, 17, "ExecID", line)?;
            if self.execs.contains_key(exec_id) {
                self.stats.duplicates += 1;
                return Ok(());
            }
            let px = self.decimal(m, 31, "LastPx", line, crate::market::replay::csv::parse_price)?;
            let qty = self.decimal(m, 32, "LastQty", line, crate::market::replay::csv::parse_qty)?;
            if !px.is_positive() || !qty.is_positive() {
                return Err(
                    self.err(line, format!("a fill needs a positive LastPx (31) and LastQty (32), not {px} and {qty}"))
                );
            }
            let fee = self.fees(m, px, qty, line)?;
            let venue = m.get(30).map(str::to_string);
            let order_id = self.orders[order].spec.id.clone();
            self.fills.push(Some(FillSpec {
                order_id,
                exec: RecFill { ts: at, px, qty, venue, fee, maker: None },
                source: Source { file: self.file.clone(), line },
            }));
            self.execs.insert(exec_id.to_string(), self.fills.len() - 1);
            self.stats.executions += 1;
        }
        let o = &mut self.orders[order];
        if exec_type == "5"
            && let Some(q) = m.get(38).and_then(|q| crate::market::replay::csv::parse_qty(q).ok())
        {
            o.spec.qty = q;
        }
        if exec_type == "8" && !self.fills.iter().flatten().any(|f| f.order_id == o.spec.id) {
            o.rejected = true;
        }
        let done = matches!(exec_type, "3" | "4" | "C") || matches!(m.get(39), Some("2" | "3" | "4" | "C"));
        if done && !o.ended {
            o.ended = true;
            o.spec.end = at;
        }
        Ok(())
    }
}

/// Reads a drop copy; `check` verifies each message's BodyLength and CheckSum.
pub fn read(file: &str, text: &str, check: bool) -> Result<DropCopy, FixError> {
    let mut r = Reader { file: file.into(), ..Reader::default() };
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        let Some(parsed) = parse_line(line, check) else { continue };
        let m = parsed.map_err(|e| r.err(n, e.to_string()))?;
        r.stats.messages += 1;
        match m.msg_type() {
            Some("D") => {
                let at = r.time(&m, n)?;
                r.open(&m, n, at)?;
            }
            Some("8") => r.execution(&m, n)?,
            _ => r.stats.other += 1,
        }
    }
    let mut orders = Vec::with_capacity(r.orders.len());
    for o in r.orders {
        if o.rejected {
            r.stats.rejected += 1;
            continue;
        }
        let mut spec = o.spec;
        if !o.ended {
            spec.end = o.last_seen;
        }
        orders.push(spec);
    }
    let fills = r.fills.into_iter().flatten().collect();
    Ok(DropCopy { orders, fills, stats: r.stats })
}

#[cfg(test)]
mod tests;
