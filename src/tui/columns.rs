//! The blotter's columns: which exist, which are shown (the chooser, `C`),
//! and how they are laid out. Widths come from the data on screen, so a
//! figure is never cut: when the terminal is too narrow, numbers first
//! switch to compact units (`12.3m`), then the table scrolls sideways
//! (`<` `>`) with the id, symbol and side kept in place. Pure layout
//! arithmetic, tested without a terminal.

use super::table::SortKey;

/// A blotter column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Col {
    /// Order id (child id under it).
    Id,
    /// Entry time (child: sent), desk zone.
    Time,
    /// Desk and user.
    Desk,
    /// Symbol (child: venue).
    Symbol,
    /// Side with a glyph.
    Side,
    /// Quantity.
    Qty,
    /// Filled quantity.
    Filled,
    /// Progress bar and percent.
    Done,
    /// Quantity left to do (none once the order is final).
    Leaves,
    /// Average fill price.
    AvgPx,
    /// Arrival price (child: its limit or MKT).
    Arrival,
    /// Slippage in bps against arrival (child: acknowledgement latency).
    Slip,
    /// Filled notional in the instrument's currency.
    Notional,
    /// Algorithm (child: order type and time in force).
    Algo,
    /// Status with a glyph.
    Status,
    /// Schedule deviation (child: fills).
    Schedule,
}

impl Col {
    /// Every column, in display order.
    pub const ALL: [Col; 16] = [
        Col::Id,
        Col::Time,
        Col::Desk,
        Col::Symbol,
        Col::Side,
        Col::Qty,
        Col::Filled,
        Col::Done,
        Col::Leaves,
        Col::AvgPx,
        Col::Arrival,
        Col::Slip,
        Col::Notional,
        Col::Algo,
        Col::Status,
        Col::Schedule,
    ];

    /// Header text.
    pub fn head(self) -> &'static str {
        match self {
            Col::Id => "id",
            Col::Time => "time",
            Col::Desk => "desk/user",
            Col::Symbol => "symbol",
            Col::Side => "side",
            Col::Qty => "qty",
            Col::Filled => "filled",
            Col::Done => "% done",
            Col::Leaves => "leaves",
            Col::AvgPx => "avg px",
            Col::Arrival => "arrival",
            Col::Slip => "slip bps",
            Col::Notional => "notional",
            Col::Algo => "algo",
            Col::Status => "status",
            Col::Schedule => "schedule",
        }
    }

    /// What the chooser says about it.
    pub fn about(self) -> &'static str {
        match self {
            Col::Id => "order id; children as C1, C2...",
            Col::Time => "entry time in the desk's zone",
            Col::Desk => "desk and user who own the order",
            Col::Symbol => "instrument; children: the venue",
            Col::Side => "buy or sell, with a glyph",
            Col::Qty => "order quantity",
            Col::Filled => "quantity filled",
            Col::Done => "progress bar and percent filled",
            Col::Leaves => "quantity still to do (- once final)",
            Col::AvgPx => "average fill price",
            Col::Arrival => "mid at arrival; children: limit price",
            Col::Slip => "cost against arrival in bps (+ = cost); children: ack latency",
            Col::Notional => "filled notional in the instrument's currency",
            Col::Algo => "algorithm; children: order type and time in force",
            Col::Status => "status, with a glyph",
            Col::Schedule => "ahead of or behind the schedule; children: fills",
        }
    }

    /// Figures, right-aligned, that may switch to compact units.
    pub fn numeric(self) -> bool {
        matches!(self, Col::Qty | Col::Filled | Col::Leaves | Col::Notional)
    }

    /// Kept in place while the rest scrolls sideways.
    pub fn frozen(self) -> bool {
        matches!(self, Col::Id | Col::Symbol | Col::Side | Col::Status)
    }

    /// Shown unless the user hides it.
    pub fn default_shown(self) -> bool {
        !matches!(self, Col::Desk | Col::Notional)
    }

    /// The sort this column's header shows, if any.
    pub fn sort(self) -> Option<SortKey> {
        match self {
            Col::Id | Col::Time => Some(SortKey::Time),
            Col::Symbol => Some(SortKey::Symbol),
            Col::Side => Some(SortKey::Side),
            Col::Qty => Some(SortKey::Qty),
            Col::Done => Some(SortKey::Done),
            Col::Slip => Some(SortKey::Slippage),
            Col::Algo => Some(SortKey::Algo),
            Col::Status => Some(SortKey::Status),
            Col::Desk => Some(SortKey::Desk),
            Col::Notional => Some(SortKey::Notional),
            _ => None,
        }
    }
}

/// Which columns are shown, and how far the table is scrolled sideways.
#[derive(Debug, Clone, PartialEq)]
pub struct Columns {
    /// Shown columns, in display order.
    pub shown: Vec<Col>,
    /// Scrollable columns skipped on the left.
    pub offset: usize,
}

impl Default for Columns {
    fn default() -> Self {
        Columns { shown: Col::ALL.into_iter().filter(|c| c.default_shown()).collect(), offset: 0 }
    }
}

impl Columns {
    /// Shows or hides a column (the id always stays).
    pub fn toggle(&mut self, c: Col) {
        if c == Col::Id {
            return;
        }
        if self.shown.contains(&c) {
            self.shown.retain(|x| *x != c);
        } else {
            self.shown = Col::ALL.into_iter().filter(|x| *x == c || self.shown.contains(x)).collect();
        }
        self.offset = 0;
    }

    /// Scrolls sideways by `delta` columns (clamped at both ends by the layout).
    pub fn scroll(&mut self, delta: i64) {
        let scrollable = self.shown.iter().filter(|c| !c.frozen()).count();
        self.offset = (self.offset as i64 + delta).clamp(0, scrollable.saturating_sub(1) as i64) as usize;
    }
}

/// How wide each shown column wants to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Want {
    /// The column.
    pub col: Col,
    /// Width of its widest exact value (or header).
    pub exact: u16,
    /// Width of its widest value in compact units (numeric columns; else `exact`).
    pub compact: u16,
}

/// The layout of one frame: the columns drawn with their widths, which
/// figures are compact, and how many columns are off screen on each side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// (column, width) drawn, left to right.
    pub cols: Vec<(Col, u16)>,
    /// Columns whose figures are all written in compact units (the whole column, so it reads evenly).
    pub compact: Vec<Col>,
    /// Scrollable columns hidden on the left.
    pub hidden_left: usize,
    /// Columns hidden on the right.
    pub hidden_right: usize,
}

/// Lays out `wants` in `width` cells with one cell between columns: exact
/// figures if they fit; else the columns that save the most go compact, one
/// by one, until they fit; else every figure is compact and the table scrolls.
pub fn layout(wants: &[Want], width: u16, offset: usize) -> Layout {
    let sum = |ws: &[(Col, u16)]| ws.iter().map(|(_, w)| u32::from(*w) + 1).sum::<u32>();
    let avail = u32::from(width);
    let mut cols: Vec<(Col, u16)> = wants.iter().map(|w| (w.col, w.exact)).collect();
    let mut compact = Vec::new();
    let mut savers: Vec<&Want> = wants.iter().filter(|w| w.compact < w.exact).collect();
    savers.sort_by_key(|w| std::cmp::Reverse(w.exact - w.compact));
    for w in savers {
        if sum(&cols) <= avail + 1 && offset == 0 {
            break;
        }
        if let Some(c) = cols.iter_mut().find(|(c, _)| *c == w.col) {
            c.1 = w.compact;
        }
        compact.push(w.col);
    }
    if sum(&cols) <= avail + 1 && offset == 0 {
        return Layout { cols, compact, hidden_left: 0, hidden_right: 0 };
    }
    let compact_cols = compact;
    let compact: Vec<(Col, u16)> = cols;
    // Sideways: the frozen columns, then the scrollable ones from `offset` while they fit.
    let frozen: Vec<(Col, u16)> = compact.iter().copied().filter(|(c, _)| c.frozen()).collect();
    let rest: Vec<(Col, u16)> = compact.iter().copied().filter(|(c, _)| !c.frozen()).collect();
    let offset = offset.min(rest.len().saturating_sub(1));
    let mut used = sum(&frozen);
    let mut taken = Vec::new();
    for &(c, w) in &rest[offset..] {
        if used + u32::from(w) + 1 > avail + 1 {
            break;
        }
        used += u32::from(w) + 1;
        taken.push((c, w));
    }
    let hidden_right = rest.len() - offset - taken.len();
    // Keep display order: frozen columns where they belong among the taken ones.
    let cols: Vec<(Col, u16)> =
        compact.iter().copied().filter(|(c, _)| c.frozen() || taken.iter().any(|(t, _)| t == c)).collect();
    Layout { cols, compact: compact_cols, hidden_left: offset, hidden_right }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wants() -> Vec<Want> {
        Columns::default()
            .shown
            .into_iter()
            .map(|col| {
                let exact = if col.numeric() { 11 } else { 8 };
                Want { col, exact, compact: if col.numeric() { 6 } else { exact } }
            })
            .collect()
    }

    #[test]
    fn wide_screens_show_every_digit_narrow_ones_compact_then_scroll() {
        let w = wants();
        let all: u16 = w.iter().map(|x| x.exact + 1).sum();
        let l = layout(&w, all, 0);
        assert!(l.compact.is_empty() && l.cols.len() == w.len() && l.hidden_right == 0);
        let l = layout(&w, all - 7, 0);
        assert_eq!(l.compact.len(), 2, "the fewest columns go compact, before anything is hidden: {l:?}");
        assert_eq!(l.cols.len(), w.len());
        let l = layout(&w, 80, 0);
        assert!(l.hidden_right > 0, "{l:?}");
        assert!(l.cols.iter().map(|(_, w)| w + 1).sum::<u16>() <= 81);
        for must in [Col::Id, Col::Symbol, Col::Side, Col::Status] {
            assert!(l.cols.iter().any(|(c, _)| *c == must), "{must:?} stays");
        }
        // Scrolled fully right: the last column shows, nothing hidden on the right.
        let n = w.iter().filter(|x| !x.col.frozen()).count();
        let l = layout(&w, 80, n - 1);
        assert_eq!(l.cols.last().map(|c| c.0), Some(Col::Schedule));
        assert_eq!((l.hidden_left, l.hidden_right), (n - 1, 0));
    }

    #[test]
    fn the_chooser_keeps_display_order_and_the_id() {
        let mut c = Columns::default();
        assert!(!c.shown.contains(&Col::Notional));
        c.toggle(Col::Notional);
        c.toggle(Col::Time);
        c.toggle(Col::Id);
        let pos = |x| c.shown.iter().position(|y| *y == x);
        assert!(pos(Col::Notional) > pos(Col::Slip) && pos(Col::Notional) < pos(Col::Algo));
        assert!(pos(Col::Time).is_none() && pos(Col::Id) == Some(0));
    }
}
