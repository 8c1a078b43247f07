//! The TCA review of imported executions (`blotter tca ... --tui`): the
//! batch's groupings as tabs, each group's figures, the orders of a group,
//! and one order's figures and chart. Its own small loop: it needs no
//! engine and no client, only the review.
//!
//! Keys: Tab / Shift-Tab (or ← →) change grouping; ↑ ↓ PgUp PgDn Home End
//! move; Enter opens a group, then an order; Esc or Backspace goes back; q quits.

mod view;

use crate::tca::group::{Dim, members};
use crate::tca::review::Review;
use crate::tui::theme::{Theme, no_color_requested};
use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Where the user is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Level {
    /// The groups of the current grouping.
    Groups,
    /// The orders of one group (indices into the review's orders, costliest first).
    Orders {
        /// The group's row.
        group: usize,
        /// Its orders.
        orders: Vec<usize>,
    },
    /// One order.
    Order {
        /// The group's row it was opened from.
        group: usize,
        /// The group's orders, to go back to.
        orders: Vec<usize>,
        /// The order (index into the review's orders).
        order: usize,
    },
}

/// The view's state: plain data the renderer borrows.
pub struct ReviewView {
    /// What is shown.
    pub review: Review,
    /// The theme.
    pub theme: Theme,
    /// Selected grouping (tab).
    pub tab: usize,
    /// Where the user is.
    pub level: Level,
    /// Selected row at this level.
    pub selected: usize,
    /// Selected row at the level above, restored on the way back.
    parent_selected: Vec<usize>,
    /// Rows shown at once (set by the last draw; paging moves by it).
    pub page: usize,
}

/// What a key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Keep going.
    Continue,
    /// Leave the view.
    Quit,
}

impl ReviewView {
    /// A view on the review's first grouping.
    pub fn new(review: Review, theme: Theme) -> ReviewView {
        ReviewView { review, theme, tab: 0, level: Level::Groups, selected: 0, parent_selected: Vec::new(), page: 20 }
    }

    fn tz(&self) -> chrono_tz::Tz {
        self.review.tz.parse().unwrap_or(chrono_tz::UTC)
    }

    /// The grouping's dimensions on the current tab.
    pub fn dims(&self) -> &[Dim] {
        self.review.groupings.get(self.tab).map_or(&[], |g| &g.dims)
    }

    /// Rows at the current level.
    pub fn rows(&self) -> usize {
        match &self.level {
            Level::Groups => self.review.groupings.get(self.tab).map_or(0, |g| g.rows.len()),
            Level::Orders { orders, .. } => orders.len(),
            Level::Order { .. } => 0,
        }
    }

    fn open(&mut self) {
        match self.level.clone() {
            Level::Groups => {
                let Some(row) = self.review.groupings.get(self.tab).and_then(|g| g.rows.get(self.selected)) else {
                    return;
                };
                let mut orders = members(&self.review.batch.orders, self.dims(), self.tz(), &row.key);
                let cost = |i: &usize| {
                    self.review.batch.orders[*i].tca.implementation_shortfall.map_or(f64::NEG_INFINITY, |s| s.total_bps)
                };
                orders.sort_by(|a, b| cost(b).total_cmp(&cost(a)));
                self.parent_selected.push(self.selected);
                self.level = Level::Orders { group: self.selected, orders };
                self.selected = 0;
            }
            Level::Orders { group, orders } => {
                if let Some(&order) = orders.get(self.selected) {
                    self.parent_selected.push(self.selected);
                    self.level = Level::Order { group, orders, order };
                }
            }
            Level::Order { .. } => {}
        }
    }

    fn back(&mut self) -> Outcome {
        let up = match self.level.clone() {
            Level::Groups => return Outcome::Quit,
            Level::Orders { .. } => Level::Groups,
            Level::Order { group, orders, .. } => Level::Orders { group, orders },
        };
        self.level = up;
        self.selected = self.parent_selected.pop().unwrap_or(0);
        Outcome::Continue
    }

    fn switch(&mut self, delta: isize) {
        let n = self.review.groupings.len();
        if n == 0 {
            return;
        }
        self.tab = (self.tab as isize + delta).rem_euclid(n as isize) as usize;
        self.level = Level::Groups;
        self.selected = 0;
        self.parent_selected.clear();
    }

    fn move_by(&mut self, delta: isize) {
        let n = self.rows();
        if n == 0 {
            return;
        }
        self.selected = (self.selected as isize + delta).clamp(0, n as isize - 1) as usize;
    }

    /// Applies one key press.
    pub fn key(&mut self, k: KeyEvent) -> Outcome {
        let page = self.page.max(1) as isize;
        match k.code {
            KeyCode::Char('q') => return Outcome::Quit,
            KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => return Outcome::Quit,
            KeyCode::Esc | KeyCode::Backspace => return self.back(),
            KeyCode::Enter => self.open(),
            KeyCode::Tab | KeyCode::Right => self.switch(1),
            KeyCode::BackTab | KeyCode::Left => self.switch(-1),
            KeyCode::Down | KeyCode::Char('j') => self.move_by(1),
            KeyCode::Up | KeyCode::Char('k') => self.move_by(-1),
            KeyCode::PageDown => self.move_by(page),
            KeyCode::PageUp => self.move_by(-page),
            KeyCode::Home | KeyCode::Char('g') => self.selected = 0,
            KeyCode::End | KeyCode::Char('G') => self.move_by(isize::MAX / 2),
            _ => {}
        }
        Outcome::Continue
    }
}

/// Opens the view in the terminal until the user quits; the terminal is restored even on error.
pub fn run(review: Review) -> Result<(), String> {
    let theme = if no_color_requested() { Theme::dark().without_colour() } else { Theme::dark() };
    let mut v = ReviewView::new(review, theme);
    let mut terminal = ratatui::init();
    let result = (|| -> std::io::Result<()> {
        loop {
            terminal.draw(|f| {
                v.page = usize::from(f.area().height.saturating_sub(8)).max(1);
                f.render_widget(&v, f.area());
            })?;
            if let Event::Key(k) = event::read()?
                && k.kind == KeyEventKind::Press
                && v.key(k) == Outcome::Quit
            {
                return Ok(());
            }
        }
    })();
    ratatui::restore();
    result.map_err(|e| format!("the terminal: {e}"))
}

#[cfg(test)]
mod tests;
