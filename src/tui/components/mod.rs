//! Views: pure functions of `&App` into a buffer. The root lays out the
//! status bar, the blotter, the tabbed detail pane and the hint bar, then
//! paints overlays (ticket, prompt, question, help) in z-order on top.

pub mod blotter;
pub mod caption;
pub mod detail;
pub mod help;
pub mod risk;
pub mod status;
pub mod supervisor;
pub mod tca;
pub mod ticket;
pub mod venues;

use super::app::{App, Level, Overlay, Pane, PromptKind, Question};
use super::keymap::Context;
use super::theme::Theme;
use crate::model::{ParentStatus, Price, Qty, Side, Timestamp};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget, Wrap};

/// Smallest terminal the UI draws in.
pub const MIN_SIZE: (u16, u16) = (80, 24);

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = &self.theme;
        buf.set_style(area, t.text);
        if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
            too_small(area, buf, t);
            return;
        }
        let [top, body, bottom] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(8), Constraint::Length(1)]).areas(area);
        status::render(self, top, buf);
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
            let [blot, detail] = Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
            blotter::render(self, blot, buf);
            detail::render(self, detail, buf);
        }
        hint_bar(self, bottom, buf);
        if self.ticket.is_some() {
            ticket::render(self, body, buf);
        }
        match &self.overlay {
            Some(Overlay::Help { scroll }) => help::render(self, *scroll, body, buf),
            Some(Overlay::Question(q)) => question(self, q, body, buf),
            Some(Overlay::Prompt(p)) => prompt(self, p, body, buf),
            None => {}
        }
    }
}

fn too_small(area: Rect, buf: &mut Buffer, t: &Theme) {
    let lines = vec![
        Line::styled("Terminal too small", t.warning),
        Line::styled(format!("need {}x{}, have {}x{}", MIN_SIZE.0, MIN_SIZE.1, area.width, area.height), t.text),
        Line::styled("enlarge the window or reduce the font; q quits", t.muted),
    ];
    let h = (lines.len() as u16).min(area.height);
    let y = area.y + area.height.saturating_sub(h) / 2;
    Paragraph::new(lines).centered().wrap(Wrap { trim: true }).render(Rect { y, height: h, ..area }, buf);
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

fn hint_bar(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    if let Some((level, text)) = &app.note {
        let style = match level {
            Level::Info => t.ok,
            Level::Warn => t.warning,
            Level::Error => t.error,
        };
        // The note takes the right part; keys keep the left.
        let w = (text.chars().count() as u16 + 2).min(area.width / 2);
        let note = Rect { x: area.right() - w, width: w, ..area };
        Paragraph::new(Line::styled(text.clone(), style)).right_aligned().render(note, buf);
        hints(app, Rect { width: area.width - w, ..area }, buf);
    } else {
        hints(app, area, buf);
    }
    let _ = t;
}

fn hints(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let ctx = app.context();
    let mut spans: Vec<Span> = Vec::new();
    let mut used = 0usize;
    let mut seen = Vec::new();
    for b in app.keymap.bindings(ctx).iter().chain(app.keymap.bindings(Context::Global)) {
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

/// A centred rectangle of at most `w` x `h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

fn question(app: &App, q: &Question, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let (title, text) = match q {
        Question::Cancel(id) => {
            let what = app
                .orders
                .iter()
                .find(|o| o.order.id == *id)
                .map(|o| {
                    format!(
                        "{} {} {} of {} ({} filled, {} left)",
                        side_word(o.order.side),
                        qty(o.order.qty),
                        o.order.symbol,
                        o.order.algo.as_str().to_uppercase(),
                        qty(o.order.filled),
                        qty(o.order.leaves())
                    )
                })
                .unwrap_or_default();
            (
                "Cancel order",
                vec![format!("Cancel {id}?"), what, "Working children are cancelled; the residual is reported.".into()],
            )
        }
        Question::Risk(req, message) => (
            "Risk warning",
            vec![
                format!("{} {} {}: the risk controls warn:", req.side, qty(req.qty), req.symbol),
                message.clone(),
                "Send it anyway (the acknowledgement is recorded)?".into(),
            ],
        ),
        Question::TradingState(tenant, state) => (
            "Trading state",
            vec![
                format!("Set desk {tenant} {state}?"),
                match state {
                    crate::risk::TradingState::Active => "New orders are accepted again; paused orders can be resumed.",
                    crate::risk::TradingState::Reducing => "Only orders that reduce its positions, and cancels.",
                    crate::risk::TradingState::Halted => "No new orders, no increases, no resumes; cancels only.",
                }
                .into(),
            ],
        ),
        Question::Execution(tenant, on) => (
            "Execution",
            vec![
                format!("{} execution for desk {tenant}?", if *on { "Enable" } else { "Disable" }),
                if *on {
                    "Its orders are accepted (subject to its trading state and limits).".into()
                } else {
                    "Its new orders are refused with execution_disabled; working orders go on.".into()
                },
            ],
        ),
        Question::Quit { working } => (
            "Quit",
            vec![
                format!("{working} order(s) are not finished (working, pending or paused)."),
                if app.engine.starts_with("http") {
                    "They keep working on the sidecar.".into()
                } else {
                    "The embedded engine stops with the app: they will not finish.".into()
                },
                "Quit anyway?".into(),
            ],
        ),
    };
    let r = centered(area, 64, 8);
    Clear.render(r, buf);
    let mut lines: Vec<Line> = text.into_iter().map(|s| Line::styled(s, t.text)).collect();
    lines.push(Line::default());
    lines.push(Line::from(vec![
        Span::styled(" y ", t.hint_key),
        Span::styled(" yes   ", t.hint_desc),
        Span::styled(" n ", t.hint_key),
        Span::styled(" no ", t.hint_desc),
    ]));
    Paragraph::new(lines).block(block(t, format!(" {title} "), true)).wrap(Wrap { trim: true }).render(r, buf);
}

fn prompt(app: &App, p: &super::app::Prompt, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let target = p.target.as_deref().unwrap_or("?");
    let (title, help): (&str, String) = match p.kind {
        PromptKind::Filter => {
            (" Filter ", "symbol, status, algo or user; or sym:AAPL status:working algo:twap user:desk side:buy".into())
        }
        PromptKind::Jump => (" Jump to order ", "an order id such as P17 (or 17)".into()),
        PromptKind::KillAll => {
            (" KILL ALL ", "cancels every working child and pauses every order. Type KILL and press enter.".into())
        }
        PromptKind::KillTenant => (
            " KILL DESK ",
            format!(
                "cancels every working child of desk {target}, pauses its orders and HALTS it. Type {target} and press enter."
            ),
        ),
        PromptKind::AddTenant => (
            " Add a desk ",
            "the tenant's name as its tokens give it (1-64 characters, no spaces); it is listed so you can enable and configure it".into(),
        ),
        PromptKind::UserLimits => (
            " User override ",
            format!("the user on desk {target} whose limits override the desk's (1-64 characters, no spaces)"),
        ),
        PromptKind::GlobalState => (
            " EVERY DESK ",
            "sets the trading state of every desk; orders are not cancelled or paused (K is the kill switch). Type ACTIVE, REDUCING or HALTED and press enter.".into(),
        ),
    };
    let r = centered(area, 72, 7);
    Clear.render(r, buf);
    let inner_w = usize::from(r.width.saturating_sub(4));
    let scroll = p.input.visual_scroll(inner_w);
    let value: String = p.input.value().chars().skip(scroll).collect();
    let mut lines = vec![
        Line::styled(help, t.muted),
        Line::from(vec![Span::styled("> ", t.accent), Span::styled(value, t.input), Span::styled("█", t.accent)]),
    ];
    if let Some(e) = &p.error {
        lines.push(Line::styled(format!("✗ {e}"), t.error));
    }
    let focused_style = if matches!(p.kind, PromptKind::KillAll | PromptKind::KillTenant | PromptKind::GlobalState) {
        t.error
    } else {
        t.border_focus
    };
    Paragraph::new(lines)
        .block(block(t, title, true).border_style(focused_style))
        .wrap(Wrap { trim: false })
        .render(r, buf);
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

/// A quantity with thousands separators (`200,000`, `0.5`).
pub fn qty(q: Qty) -> String {
    let s = q.to_string();
    let (int, frac) = s.split_once('.').map_or((s.as_str(), None), |(a, b)| (a, Some(b)));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut out = String::from(sign);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    match frac {
        Some(f) => format!("{out}.{f}"),
        None => out,
    }
}

/// A quantity in short form (`25.0k`, `1.20m`).
pub fn qty_short(q: f64) -> String {
    let a = q.abs();
    if a >= 1e6 {
        format!("{:.2}m", q / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", q / 1e3)
    } else {
        format!("{q:.0}")
    }
}

/// A price with up to `dp` decimals, or `-`.
pub fn px(p: Option<Price>, dp: usize) -> String {
    p.map_or("-".into(), |p| format!("{:.*}", dp, p.to_f64()))
}

/// Decimals to show for prices of this size.
pub fn price_dp(reference: f64) -> usize {
    // FX and sub-$10 prices need pips; everything else reads in cents.
    if reference >= 10.0 { 2 } else { 4 }
}

/// Money in short form (`$1.25m`).
pub fn money_short(x: f64, ccy: &str) -> String {
    let sym = if ccy == "USD" { "$" } else { "" };
    let tail = if sym.is_empty() { format!(" {ccy}") } else { String::new() };
    let a = x.abs();
    let body = if a >= 1e9 {
        format!("{:.2}bn", a / 1e9)
    } else if a >= 1e6 {
        format!("{:.2}m", a / 1e6)
    } else if a >= 1e3 {
        format!("{:.1}k", a / 1e3)
    } else {
        format!("{a:.2}")
    };
    let sign = if x < 0.0 { "-" } else { "" };
    format!("{sign}{sym}{body}{tail}")
}

/// Time of day in a zone.
pub fn hms(ts: Timestamp, tz: chrono_tz::Tz) -> String {
    ts.in_tz(tz).format("%H:%M:%S").to_string()
}

/// A cost in bps with its sign and a word, styled: positive is a cost.
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

    #[test]
    fn numbers_read_as_a_desk_writes_them() {
        assert_eq!(money_short(-37_808.09, "USD"), "-$37.8k");
        assert_eq!(money_short(4_762_500.0, "USD"), "$4.76m");
        assert_eq!(money_short(12.5, "CHF"), "12.50 CHF");
        assert_eq!(qty(Qty::from_int(1_234_567)), "1,234,567");
        assert_eq!(qty_short(25_000.0), "25.0k");
        assert_eq!(progress(0.5, 4), "██░░  50%");
        assert_eq!(side_word(Side::Sell), "▼ SELL");
    }
}
