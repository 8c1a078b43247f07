//! Mouse: the wheel scrolls the blotter, a click selects a row, a tab or a
//! pane. Positions are matched against the areas the last frame recorded,
//! so the mouse always acts on what is on screen.

use super::app::{App, Pane, Tab};
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

/// Rows the wheel moves per notch.
const WHEEL_ROWS: i64 = 3;

impl App {
    /// Handles a mouse event; returns true if it changed anything.
    pub fn on_mouse(&mut self, m: MouseEvent) -> bool {
        if self.ticket.is_some() || self.overlay.is_some() {
            return false;
        }
        let at = Position { x: m.column, y: m.row };
        let rows = self.hit.blotter_rows.get();
        match m.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let d = if m.kind == MouseEventKind::ScrollDown { WHEEL_ROWS } else { -WHEEL_ROWS };
                self.table.move_by(d, &self.orders, &self.details);
                true
            }
            MouseEventKind::Down(MouseButton::Left) if rows.contains(at) => {
                let i = self.table.window_start(usize::from(rows.height)) + usize::from(at.y - rows.y);
                self.focus = Pane::Blotter;
                if i < self.table.rows.len() {
                    let delta = i as i64 - self.table.index as i64;
                    self.table.move_by(delta, &self.orders, &self.details);
                }
                true
            }
            MouseEventKind::Down(MouseButton::Left) if self.hit.tabs.get().contains(at) => {
                self.focus = Pane::Detail;
                self.tab = tab_at(self.hit.tabs.get(), at.x);
                true
            }
            MouseEventKind::Down(MouseButton::Left) if self.hit.detail.get().contains(at) => {
                self.focus = Pane::Detail;
                true
            }
            _ => false,
        }
    }
}

/// The tab under column `x` of the tab bar (titles are `" N Title "` separated by `│`).
fn tab_at(bar: Rect, x: u16) -> Tab {
    let mut left = bar.x;
    for (i, t) in Tab::ALL.iter().enumerate() {
        // " 1 Venues " plus the divider; the alerts count only widens the last one.
        let w = format!(" {} {} ", i + 1, t.title()).chars().count() as u16 + 1;
        if x < left + w {
            return *t;
        }
        left += w;
    }
    Tab::Alerts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::keymap::Keymap;
    use crate::tui::scenario::synthetic_rows;
    use crate::tui::screenshots::render;
    use crate::tui::theme::Theme;
    use crossterm::event::KeyModifiers;

    fn click(kind: MouseEventKind, column: u16, row: u16) -> MouseEvent {
        MouseEvent { kind, column, row, modifiers: KeyModifiers::NONE }
    }

    #[test]
    fn clicks_select_rows_and_tabs_and_the_wheel_scrolls() {
        let mut a = App::new("embedded".into(), Theme::dark(), Keymap::defaults(), 10.0);
        let (orders, details) = synthetic_rows(50, 0);
        a.set_orders(orders, details);
        render(&a, 120, 40);
        let rows = a.hit.blotter_rows.get();
        assert!(a.on_mouse(click(MouseEventKind::Down(MouseButton::Left), 5, rows.y + 3)));
        assert_eq!(a.table.index, 3);
        let third = a.table.selected;
        assert!(a.on_mouse(click(MouseEventKind::ScrollDown, 5, rows.y)));
        assert_eq!(a.table.index, 6);
        assert_ne!(a.table.selected, third);
        let tabs = a.hit.tabs.get();
        assert!(a.on_mouse(click(MouseEventKind::Down(MouseButton::Left), tabs.x + 14, tabs.y)));
        assert_eq!((a.tab, a.focus), (Tab::Tca, Pane::Detail));
        assert!(a.on_mouse(click(MouseEventKind::Down(MouseButton::Left), tabs.x + 2, tabs.y)));
        assert_eq!(a.tab, Tab::Venues);
        assert!(!a.on_mouse(click(MouseEventKind::Moved, 5, 5)));
    }
}
