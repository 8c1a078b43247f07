//! The blotter's row model: parents (sorted, filtered) with the children of
//! expanded parents flattened under them, and a selection that follows its
//! order, not its row number, while rows move. Rebuilt when data, sort,
//! filter or expansion change; drawing only slices the visible window.

use crate::engine::view::{OrderDetail, OrderRow};
use crate::model::{ChildId, ParentId};
use std::cell::Cell;
use std::collections::{BTreeSet, HashMap, HashSet};

/// A row of the flattened blotter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowRef {
    /// `orders[i]`.
    Parent(u32),
    /// Child `c` of `orders[p]` (in its detail's `children`).
    Child(u32, u32),
}

/// What the selection points at, stable across rebuilds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowKey {
    /// A parent order.
    Parent(ParentId),
    /// A child order.
    Child(ChildId),
}

impl RowKey {
    /// The parent the row belongs to.
    pub fn parent(self) -> ParentId {
        match self {
            RowKey::Parent(p) => p,
            RowKey::Child(c) => c.parent,
        }
    }
}

/// Sortable columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Order id (entry time).
    #[default]
    Time,
    /// Symbol.
    Symbol,
    /// Side.
    Side,
    /// Quantity.
    Qty,
    /// Fraction done.
    Done,
    /// Slippage in bps.
    Slippage,
    /// Status.
    Status,
    /// Algorithm.
    Algo,
    /// Desk, then user.
    Desk,
    /// Filled notional.
    Notional,
}

impl SortKey {
    /// Cycle order.
    pub const ALL: [SortKey; 10] = [
        SortKey::Time,
        SortKey::Symbol,
        SortKey::Side,
        SortKey::Qty,
        SortKey::Done,
        SortKey::Slippage,
        SortKey::Status,
        SortKey::Algo,
        SortKey::Desk,
        SortKey::Notional,
    ];
    /// Column header it sorts.
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Time => "time",
            SortKey::Symbol => "symbol",
            SortKey::Side => "side",
            SortKey::Qty => "qty",
            SortKey::Done => "% done",
            SortKey::Slippage => "slip bps",
            SortKey::Status => "status",
            SortKey::Algo => "algo",
            SortKey::Desk => "desk/user",
            SortKey::Notional => "notional",
        }
    }
    /// The next column.
    pub fn next(self) -> SortKey {
        let i = SortKey::ALL.iter().position(|k| *k == self).unwrap_or(0);
        SortKey::ALL[(i + 1) % SortKey::ALL.len()]
    }
}

/// One `field:value` (or bare value) term of a filter; all terms must match.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    field: Option<String>,
    value: String,
}

/// A parsed `/` filter: `aapl`, `status:working algo:twap`, `user:desk`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// As typed.
    pub text: String,
    terms: Vec<Term>,
}

/// Field names a filter term may use.
pub const FILTER_FIELDS: [&str; 6] = ["sym", "status", "algo", "user", "desk", "side"];

impl Filter {
    /// Parses a filter; an unknown `field:` is an error naming the allowed fields.
    pub fn parse(text: &str) -> Result<Filter, String> {
        let mut terms = Vec::new();
        for w in text.split_whitespace() {
            let (field, value) = match w.split_once(':') {
                Some((f, v)) => {
                    let f = f.to_ascii_lowercase();
                    let f = if f == "symbol" { "sym".to_string() } else { f };
                    if !FILTER_FIELDS.contains(&f.as_str()) {
                        return Err(format!("'{f}:' is not a filter field; allowed: {}", FILTER_FIELDS.join(", ")));
                    }
                    (Some(f), v)
                }
                None => (None, w),
            };
            terms.push(Term { field, value: value.to_ascii_lowercase() });
        }
        Ok(Filter { text: text.trim().to_string(), terms })
    }

    /// True when there is nothing to filter on.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether an order passes.
    pub fn matches(&self, r: &OrderRow) -> bool {
        let o = &r.order;
        self.terms.iter().all(|t| {
            let has = |s: &str| s.to_ascii_lowercase().contains(&t.value);
            match t.field.as_deref() {
                Some("sym") => has(&o.symbol),
                Some("status") => has(o.status.as_str()),
                Some("algo") => has(o.algo.as_str()),
                Some("user") => has(&o.owner.user),
                Some("desk") => has(&o.owner.tenant),
                Some("side") => has(o.side.as_str()),
                _ => {
                    has(&o.symbol)
                        || has(o.status.as_str())
                        || has(o.algo.as_str())
                        || has(&o.owner.user)
                        || has(&o.owner.tenant)
                        || o.id.to_string().eq_ignore_ascii_case(&t.value)
                }
            }
        })
    }
}

/// The blotter's rows and selection.
#[derive(Debug, Default)]
pub struct Table {
    /// Flattened rows in display order.
    pub rows: Vec<RowRef>,
    /// The selected row's order.
    pub selected: Option<RowKey>,
    /// Index of the selection in `rows`.
    pub index: usize,
    /// First visible row.
    pub offset: usize,
    /// Sort column.
    pub sort: SortKey,
    /// Descending sort.
    pub descending: bool,
    /// Active filter.
    pub filter: Filter,
    /// Parents whose children are shown.
    pub expanded: HashSet<ParentId>,
    /// Body height at the last draw (for paging).
    pub height: Cell<u16>,
    /// Orders marked for a bulk action (space), by id: marks survive refreshes.
    pub marked: BTreeSet<ParentId>,
    /// Where visual mode (`v`) started: the rows from it to the cursor are marked too.
    pub anchor: Option<ParentId>,
    /// The anchor's row (found again at every rebuild, as rows move).
    anchor_row: usize,
}

fn cmp_f(a: Option<f64>, b: Option<f64>) -> std::cmp::Ordering {
    a.unwrap_or(f64::NEG_INFINITY).total_cmp(&b.unwrap_or(f64::NEG_INFINITY))
}

impl Table {
    /// A table sorted newest first.
    pub fn new() -> Table {
        Table { descending: true, ..Table::default() }
    }

    /// Rebuilds the rows from the data and puts the selection back on its order.
    pub fn rebuild(&mut self, orders: &[OrderRow], details: &HashMap<ParentId, OrderDetail>) {
        let mut parents: Vec<u32> =
            (0..orders.len() as u32).filter(|&i| self.filter.matches(&orders[i as usize])).collect();
        let key = self.sort;
        parents.sort_by(|&a, &b| {
            let (x, y) = (&orders[a as usize], &orders[b as usize]);
            let (p, q) = (&x.order, &y.order);
            let ord = match key {
                SortKey::Time => p.id.cmp(&q.id),
                SortKey::Symbol => p.symbol.cmp(&q.symbol),
                SortKey::Side => p.side.cmp(&q.side),
                SortKey::Qty => p.qty.cmp(&q.qty),
                SortKey::Done => p.filled.ratio(p.qty).total_cmp(&q.filled.ratio(q.qty)),
                SortKey::Slippage => cmp_f(x.slippage_bps, y.slippage_bps),
                SortKey::Status => p.status.as_str().cmp(q.status.as_str()),
                SortKey::Algo => p.algo.as_str().cmp(q.algo.as_str()),
                SortKey::Desk => (&p.owner.tenant, &p.owner.user).cmp(&(&q.owner.tenant, &q.owner.user)),
                SortKey::Notional => p.notional.cmp(&q.notional),
            };
            // Ties fall back to the id so the order never jitters between refreshes.
            let ord = ord.then(p.id.cmp(&q.id));
            if self.descending { ord.reverse() } else { ord }
        });
        self.rows.clear();
        for i in parents {
            self.rows.push(RowRef::Parent(i));
            let id = orders[i as usize].order.id;
            if self.expanded.contains(&id)
                && let Some(d) = details.get(&id)
            {
                self.rows.extend((0..d.children.len() as u32).map(|c| RowRef::Child(i, c)));
            }
        }
        self.reselect(orders, details);
        if let Some(a) = self.anchor {
            match self.rows.iter().position(|r| matches!(*r, RowRef::Parent(p) if orders[p as usize].order.id == a)) {
                Some(i) => self.anchor_row = i,
                // The anchor left the view (filtered out): visual mode ends.
                None => self.anchor = None,
            }
        }
    }

    /// The key of a row.
    pub fn key_of(&self, r: RowRef, orders: &[OrderRow], details: &HashMap<ParentId, OrderDetail>) -> Option<RowKey> {
        match r {
            RowRef::Parent(i) => orders.get(i as usize).map(|o| RowKey::Parent(o.order.id)),
            RowRef::Child(i, c) => {
                let id = orders.get(i as usize)?.order.id;
                details.get(&id)?.children.get(c as usize).map(|c| RowKey::Child(c.id))
            }
        }
    }

    fn reselect(&mut self, orders: &[OrderRow], details: &HashMap<ParentId, OrderDetail>) {
        if self.rows.is_empty() {
            self.index = 0;
            return;
        }
        let found = self.selected.and_then(|want| {
            self.rows.iter().position(|&r| self.key_of(r, orders, details) == Some(want)).or_else(|| {
                // A collapsed or vanished child: fall back to its parent.
                let p = RowKey::Parent(want.parent());
                self.rows.iter().position(|&r| self.key_of(r, orders, details) == Some(p))
            })
        });
        self.index = found.unwrap_or_else(|| self.index.min(self.rows.len() - 1));
        self.selected = self.key_of(self.rows[self.index], orders, details);
        self.scroll_into_view();
    }

    /// Moves the selection by `delta` rows (clamped).
    pub fn move_by(&mut self, delta: i64, orders: &[OrderRow], details: &HashMap<ParentId, OrderDetail>) {
        if self.rows.is_empty() {
            return;
        }
        let last = self.rows.len() as i64 - 1;
        self.index = (self.index as i64 + delta).clamp(0, last) as usize;
        self.selected = self.key_of(self.rows[self.index], orders, details);
        self.scroll_into_view();
    }

    /// Selects a parent by id; false if it is not shown.
    pub fn select_parent(
        &mut self,
        id: ParentId,
        orders: &[OrderRow],
        details: &HashMap<ParentId, OrderDetail>,
    ) -> bool {
        let want = Some(RowKey::Parent(id));
        match self.rows.iter().position(|&r| self.key_of(r, orders, details) == want) {
            Some(i) => {
                self.index = i;
                self.selected = want;
                self.scroll_into_view();
                true
            }
            None => false,
        }
    }

    /// The parent of row `i`.
    pub fn parent_at(&self, i: usize, orders: &[OrderRow]) -> Option<ParentId> {
        match *self.rows.get(i)? {
            RowRef::Parent(p) | RowRef::Child(p, _) => orders.get(p as usize).map(|o| o.order.id),
        }
    }

    /// Whether an order is marked (by space, or inside the visual range).
    pub fn is_marked(&self, id: ParentId, row: usize) -> bool {
        self.marked.contains(&id) || self.visual_range().is_some_and(|r| r.contains(&row))
    }

    /// The rows of the visual range, while visual mode is on.
    pub fn visual_range(&self) -> Option<std::ops::RangeInclusive<usize>> {
        self.anchor.map(|_| self.anchor_row.min(self.index)..=self.anchor_row.max(self.index))
    }

    /// The orders a bulk action applies to: the marked ones and the visual range, in display order.
    pub fn marked_orders(&self, orders: &[OrderRow]) -> Vec<ParentId> {
        let mut out: Vec<ParentId> = Vec::new();
        for (i, r) in self.rows.iter().enumerate() {
            if let RowRef::Parent(p) = *r
                && let Some(o) = orders.get(p as usize)
                && self.is_marked(o.order.id, i)
                && !out.contains(&o.order.id)
            {
                out.push(o.order.id);
            }
        }
        // Marked orders hidden by the filter still count: they were chosen.
        for id in &self.marked {
            if !out.contains(id) && orders.iter().any(|o| o.order.id == *id) {
                out.push(*id);
            }
        }
        out
    }

    /// Every order the filter shows, in display order.
    pub fn shown_orders(&self, orders: &[OrderRow]) -> Vec<ParentId> {
        self.rows
            .iter()
            .filter_map(|r| match *r {
                RowRef::Parent(p) => orders.get(p as usize).map(|o| o.order.id),
                RowRef::Child(..) => None,
            })
            .collect()
    }

    /// Marks or unmarks the selected row's order.
    pub fn toggle_mark(&mut self, orders: &[OrderRow]) -> Option<ParentId> {
        let id = self.parent_at(self.index, orders)?;
        if !self.marked.remove(&id) {
            self.marked.insert(id);
        }
        Some(id)
    }

    /// Starts visual mode at the cursor, or ends it keeping the range marked.
    pub fn toggle_visual(&mut self, orders: &[OrderRow]) {
        match self.visual_range() {
            Some(range) => {
                for i in range {
                    if let Some(RowRef::Parent(_)) = self.rows.get(i)
                        && let Some(id) = self.parent_at(i, orders)
                    {
                        self.marked.insert(id);
                    }
                }
                self.anchor = None;
            }
            None => {
                self.anchor = self.parent_at(self.index, orders);
                self.anchor_row = self.index;
            }
        }
    }

    /// Drops every mark and leaves visual mode.
    pub fn clear_marks(&mut self) {
        self.marked.clear();
        self.anchor = None;
    }

    /// Keeps the selection inside the last drawn window.
    pub fn scroll_into_view(&mut self) {
        // Before the first draw the height is unknown: the draw places the window.
        if self.height.get() == 0 {
            return;
        }
        let h = usize::from(self.height.get());
        if self.index < self.offset {
            self.offset = self.index;
        } else if self.index >= self.offset + h {
            self.offset = self.index + 1 - h;
        }
        self.offset = self.offset.min(self.rows.len().saturating_sub(1));
    }

    /// First row to draw for a body of `height` rows: the stored offset,
    /// moved just enough to show the selection.
    pub fn window_start(&self, height: usize) -> usize {
        let h = height.max(1);
        let mut off = self.offset;
        if self.index < off {
            off = self.index;
        } else if self.index >= off + h {
            off = self.index + 1 - h;
        }
        off.min(self.rows.len().saturating_sub(h.min(self.rows.len())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::scenario::synthetic_rows;

    #[test]
    fn selection_follows_its_order_when_rows_move() {
        let (mut orders, details) = synthetic_rows(20, 3);
        let mut t = Table::new();
        t.rebuild(&orders, &details);
        t.move_by(5, &orders, &details);
        let chosen = t.selected.unwrap();
        // A new order arrives at the top (newest first): the selection stays on its order.
        let mut newer = orders[0].clone();
        newer.order.id = ParentId::local(999);
        orders.push(newer);
        t.rebuild(&orders, &details);
        assert_eq!(t.selected, Some(chosen));
        assert_eq!(t.index, 6);
    }

    #[test]
    fn expanding_shows_children_and_collapsing_falls_back_to_the_parent() {
        let (orders, details) = synthetic_rows(5, 4);
        let mut t = Table::new();
        t.rebuild(&orders, &details);
        let top = orders.iter().map(|o| o.order.id).max().unwrap();
        t.expanded.insert(top);
        t.rebuild(&orders, &details);
        assert_eq!(t.rows.len(), 5 + 4);
        t.move_by(2, &orders, &details);
        assert!(matches!(t.selected, Some(RowKey::Child(c)) if c.parent == top));
        t.expanded.clear();
        t.rebuild(&orders, &details);
        assert_eq!(t.selected, Some(RowKey::Parent(top)));
    }

    #[test]
    fn filter_and_sort() {
        let (orders, details) = synthetic_rows(30, 0);
        let mut t = Table::new();
        t.filter = Filter::parse("sym:MSFT").unwrap();
        t.rebuild(&orders, &details);
        assert!(!t.rows.is_empty() && t.rows.len() < 30);
        assert!(t.rows.iter().all(|r| matches!(r, RowRef::Parent(i) if &*orders[*i as usize].order.symbol == "MSFT")));
        assert!(Filter::parse("venue:NYSE").unwrap_err().contains("sym, status, algo, user, desk, side"));
        t.filter = Filter::default();
        t.sort = SortKey::Qty;
        t.descending = false;
        t.rebuild(&orders, &details);
        let qtys: Vec<_> = t
            .rows
            .iter()
            .map(|r| if let RowRef::Parent(i) = r { orders[*i as usize].order.qty } else { unreachable!() })
            .collect();
        assert!(qtys.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn window_keeps_the_selection_visible() {
        let (orders, details) = synthetic_rows(100, 0);
        let mut t = Table::new();
        t.height.set(10);
        t.rebuild(&orders, &details);
        t.move_by(55, &orders, &details);
        let s = t.window_start(10);
        assert!(s <= 55 && 55 < s + 10);
        t.move_by(1_000, &orders, &details);
        assert_eq!(t.window_start(10), 90);
    }
}
