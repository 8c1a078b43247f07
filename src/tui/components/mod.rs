//! Views: pure functions of `&App` into a buffer. The root lays out the
//! status bar, an offer line when orders wait to be resumed, the blotter,
//! the tabbed detail pane and the footer, then paints overlays (ticket,
//! prompt, question, help, log, column chooser) in z-order on top.

pub mod blotter;
pub mod caption;
pub mod detail;
pub mod hang;
pub mod help;
pub mod overlays;
pub mod positions;
pub mod pre_trade;
pub mod risk;
pub mod status;
pub mod supervisor;
pub mod tca;
pub mod ticket;
pub mod venues;
pub mod window;

pub use super::format::{compact as qty_short, money as money_short, px, qty};

use super::app::{App, Overlay, Pane};
use super::keymap::Context;
use super::note::Level;
use super::theme::Theme;
use crate::model::{ParentStatus, Side, Timestamp};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Widget, Wrap};

/// Smallest terminal the UI draws in.
pub const MIN_SIZE: (u16, u16) = (80, 24);

/// Whether `area` is below the smallest usable size.
pub fn too_small(area: Rect) -> bool {
    area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = &self.theme;
        self.hit.screen.set(area);
        buf.set_style(area, t.text);
        if too_small(area) {
            draw_too_small(self, area, buf);
            return;
        }
        let offer_h = u16::from(self.offer.is_some() && !self.supervising());
        let [top, offer, body, bottom] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(offer_h),
            Constraint::Min(8),
            Constraint::Length(1),
        ])
        .areas(area);
        status::render(self, top, buf);
        if let Some(o) = self.offer.as_ref().filter(|_| offer_h > 0) {
            offer_line(self, o, offer, buf);
        }
        let body = match &self.demo {
            Some(d) => {
                let h = caption::height(d, body.width).min(body.height / 2);
                let [cap, rest] = Layout::vertical([Constraint::Length(h), Constraint::Min(1)]).areas(body);
                caption::render(self, d, cap, buf);
                rest
            }
            None => body,
        };
        if self.supervising() {
            supervisor::render(self, body, buf);
        } else {
            // Zoomed, the focused pane has the body; otherwise they share it.
            let share = match (self.zoom, self.focus) {
                (true, Pane::Blotter) => 100,
                (true, Pane::Detail) => 0,
                (false, _) => 50,
            };
            let [blot, detail] =
                Layout::vertical([Constraint::Percentage(share), Constraint::Percentage(100 - share)]).areas(body);
            // A pane not drawn takes no clicks.
            self.hit.blotter_rows.set(Rect::default());
            self.hit.detail.set(Rect::default());
            self.hit.tabs.set(Rect::default());
            if blot.height > 0 {
                blotter::render(self, blot, buf);
            }
            if detail.height > 0 {
                detail::render(self, detail, buf);
            }
        }
        footer(self, bottom, buf);
        if self.ticket.is_some() {
            ticket::render(self, body, buf);
        }
        match &self.overlay {
            Some(Overlay::Help { scroll }) => help::render(self, *scroll, body, buf),
            Some(Overlay::Log { scroll }) => overlays::log(self, *scroll, body, buf),
            Some(Overlay::Columns { cursor }) => overlays::columns(self, *cursor, body, buf),
            Some(Overlay::Question(q)) => overlays::question(self, q, body, buf),
            Some(Overlay::Prompt(p)) => overlays::prompt(self, p, body, buf),
            None => {}
        }
    }
}

/// Below the smallest size: what is needed, and the pending question if
/// there is one (so `q` never opens a dialog nobody can see).
fn draw_too_small(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let mut lines = vec![
        Line::styled("Terminal too small", t.warning),
        Line::styled(format!("need {}x{}, have {}x{}", MIN_SIZE.0, MIN_SIZE.1, area.width, area.height), t.text),
    ];
    match &app.overlay {
        Some(Overlay::Question(super::app::Question::Quit { working })) => {
            lines.push(Line::styled(format!("{working} order(s) not finished. Quit anyway? y / n"), t.warning));
        }
        _ => lines.push(Line::styled("enlarge the window or reduce the font; q quits", t.muted)),
    }
    let h = (lines.len() as u16 + 2).min(area.height);
    let y = area.y + area.height.saturating_sub(h) / 2;
    Paragraph::new(lines).centered().wrap(Wrap { trim: true }).render(Rect { y, height: h, ..area }, buf);
}

fn offer_line(app: &App, o: &super::app::Offer, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let key = |a| app.keymap.key_for(Context::Normal, a).map_or_else(|| "?".into(), |k| k.to_string());
    Line::from(vec![
        Span::styled(format!(" ⟳ {} order(s) {}: ", o.orders.len(), o.why), strong(t.warning)),
        Span::styled(format!(" {} ", key(super::action::Action::ResumeAll)), t.hint_key),
        Span::styled(" resume them all ", t.hint_desc),
        Span::styled(format!(" {} ", key(super::action::Action::ClearMarks)), t.hint_key),
        Span::styled(" dismiss ", t.hint_desc),
    ])
    .render(area, buf);
}

/// A bordered block titled `title`, highlighted when focused.
pub fn block<'a>(t: &Theme, title: impl Into<Line<'a>>, focused: bool) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused { BorderType::Thick } else { BorderType::Plain })
        .border_style(if focused { t.border_focus } else { t.border })
        .title(title.into().style(t.title))
}

/// The pane's focus state.
pub fn focused(app: &App, p: Pane) -> bool {
    app.focus == p && app.ticket.is_none() && app.overlay.is_none()
}

/// The footer: the note (whole if it fits, else cut with a pointer to the
/// log), the context's keys in what is left, and `? help` always at the right.
fn footer(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let help = app.keymap.key_for(Context::Normal, super::action::Action::Help).map(|k| format!(" {k} "));
    let help_w = help.as_ref().map_or(0, |h| h.chars().count() as u16 + 6);
    let [left, right] = Layout::horizontal([Constraint::Min(0), Constraint::Length(help_w)]).areas(area);
    if let Some(h) = help {
        Line::from(vec![Span::styled(h, t.hint_key), Span::styled(" help ", t.hint_desc)])
            .right_aligned()
            .render(right, buf);
    }
    let Some(note) = &app.note else {
        hints(app, left, buf);
        return;
    };
    let style = match note.level {
        Level::Info => t.ok,
        Level::Warn => t.warning,
        Level::Error => t.error,
    };
    let room = usize::from(left.width.saturating_sub(1));
    let n = note.text.chars().count();
    let text = if n <= room {
        note.text.clone()
    } else {
        let tail = " … (L: whole)";
        let keep = room.saturating_sub(tail.chars().count());
        format!("{}{tail}", note.text.chars().take(keep).collect::<String>())
    };
    let w = (text.chars().count() as u16 + 1).min(left.width);
    let note_area = Rect { x: left.right() - w, width: w, ..left };
    Paragraph::new(Line::styled(text, style)).right_aligned().render(note_area, buf);
    hints(app, Rect { width: left.width - w, ..left }, buf);
}

fn hints(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let ctx = app.context();
    let mut spans: Vec<Span> = Vec::new();
    let mut used = 0usize;
    let mut seen = vec![super::action::Action::Help];
    let demo = if app.demo.is_some() { app.keymap.bindings(Context::Demo) } else { &[] };
    for b in demo.iter().chain(app.keymap.bindings(ctx)).chain(app.keymap.bindings(Context::Global)) {
        if seen.contains(&b.action) || !app.offers(b.action) {
            continue;
        }
        seen.push(b.action);
        let k = format!(" {} ", b.key);
        let d = format!(" {}  ", b.desc);
        let w = k.chars().count() + d.chars().count();
        if used + w > usize::from(area.width) {
            break;
        }
        used += w;
        spans.push(Span::styled(k, t.hint_key));
        spans.push(Span::styled(d, t.hint_desc));
    }
    Line::from(spans).render(area, buf);
}

/// Clears an overlay's area to the theme's own background, never the terminal's.
pub fn clear(t: &Theme, area: Rect, buf: &mut Buffer) {
    ratatui::widgets::Clear.render(area, buf);
    buf.set_style(area, t.text);
}

/// A centred rectangle of at most `w` x `h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

/// `BUY`/`SELL` with an arrow glyph: the side never rests on colour alone.
pub fn side_word(s: Side) -> &'static str {
    match s {
        Side::Buy => "▲ BUY",
        Side::Sell => "▼ SELL",
    }
}

/// Style of a side.
pub fn side_style(t: &Theme, s: Side) -> Style {
    match s {
        Side::Buy => t.buy,
        Side::Sell => t.sell,
    }
}

/// Status with a glyph, and its style.
pub fn status_cell(t: &Theme, s: ParentStatus) -> (String, Style) {
    let (g, st) = match s {
        ParentStatus::Pending => ("◌", t.working),
        ParentStatus::Working => ("●", t.working),
        ParentStatus::Paused => ("‖", t.paused),
        ParentStatus::Interrupted => ("‖", t.paused),
        ParentStatus::Done => ("✓", t.filled),
        ParentStatus::Cancelled => ("✗", t.cancelled),
        ParentStatus::Expired => ("◷", t.cancelled),
        ParentStatus::Rejected => ("!", t.rejected),
    };
    (format!("{g} {s}"), st)
}

/// Time of day in a zone (`10:15:02`); the caller labels the zone.
pub fn hms(ts: Timestamp, tz: chrono_tz::Tz) -> String {
    ts.in_tz(tz).format("%H:%M:%S").to_string()
}

/// A cost in bps with its sign, styled: positive is a cost.
pub fn bps_span(t: &Theme, b: Option<f64>) -> Span<'static> {
    match b {
        Some(b) if b > 0.005 => Span::styled(format!("{b:+.1}"), t.loss),
        Some(b) if b < -0.005 => Span::styled(format!("{b:+.1}"), t.profit),
        Some(b) => Span::styled(format!("{b:+.1}"), t.text),
        None => Span::styled("-", t.muted),
    }
}

/// A text progress bar (`██████░░ 75%`).
pub fn progress(frac: f64, cells: usize) -> String {
    let f = frac.clamp(0.0, 1.0);
    let full = (f * cells as f64).round() as usize;
    format!("{}{} {:>3.0}%", "█".repeat(full), "░".repeat(cells - full), f * 100.0)
}

/// Bold on top of a style, for emphasis without colour.
pub fn strong(s: Style) -> Style {
    s.add_modifier(Modifier::BOLD)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Qty;

    #[test]
    fn numbers_read_as_a_desk_writes_them() {
        assert_eq!(money_short(-37_808.09, "USD"), "-$37.8k");
        assert_eq!(money_short(4_762_500.0, "USD"), "$4.76m");
        assert_eq!(money_short(12.5, "CHF"), "12.50 CHF");
        assert_eq!(qty(Qty::from_int(1_234_567)), "1,234,567");
        assert_eq!(qty_short(25_000.0), "25k");
        assert_eq!(progress(0.5, 4), "██░░  50%");
        assert_eq!(side_word(Side::Sell), "▼ SELL");
    }
}
