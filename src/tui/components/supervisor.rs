//! The supervisor view: every desk's working orders by user with progress
//! and live slippage, alerts, TCA aggregated by algo, venue, desk or day with
//! a chart, and each tenant's trading state and risk limits (with the limit
//! editor on top when open). Drawn only for SUPERVISOR and ADMIN.

use super::super::app::App;
use super::super::note::Level;
use super::super::supervisor::limits::{Editor, LimitField};
use super::super::supervisor::{Section, Supervisor, grouping_name};
use super::{block, bps_span, centered, hms, money_short, progress, side_style, side_word, status_cell, strong};
use crate::engine::view::OrderRow;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, StatefulWidget, Table, TableState, Widget};

/// Draws the supervisor view into the body area.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let [top, bottom] = Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    let [ord, al] = Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(top);
    let [tca_a, risk_a] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
    orders(app, ord, buf);
    alerts(app, al, buf);
    tca(app, tca_a, buf);
    super::risk::render(app, risk_a, buf, is_focused(app, Section::Risk));
    if let Some(ed) = &app.sup.editor {
        editor(app, ed, area, buf);
    }
}

fn is_focused(app: &App, s: Section) -> bool {
    app.sup.section == s && app.sup.editor.is_none() && app.overlay.is_none() && app.ticket.is_none()
}

/// A column of a table that may be dropped when narrow (higher `keep` goes first).
struct Col {
    head: &'static str,
    width: u16,
    keep: u8,
}

fn fitting(cols: &[Col], width: u16) -> Vec<usize> {
    let mut shown: Vec<usize> = (0..cols.len()).collect();
    let total = |s: &[usize]| s.iter().map(|&i| cols[i].width + 1).sum::<u16>() + 2;
    for level in (1..=3).rev() {
        while total(&shown) > width {
            match shown.iter().rposition(|&i| cols[i].keep == level) {
                Some(p) => {
                    shown.remove(p);
                }
                None => break,
            }
        }
    }
    shown
}

// The id is never dropped: without it a supervisor cannot tell two orders of a
// user in one symbol apart, nor find the order an alert names ("P5 sell AAPL").
// Status goes first (every row here is working), then the algo, then the
// schedule and the progress bar (the widest); side and slippage stay longest.
const ORDER_COLS: [Col; 9] = [
    Col { head: "user", width: 11, keep: 0 },
    Col { head: "id", width: 5, keep: 0 },
    Col { head: "symbol", width: 8, keep: 0 },
    Col { head: "side", width: 6, keep: 1 },
    Col { head: "% done", width: 12, keep: 2 },
    Col { head: "schedule", width: 13, keep: 2 },
    Col { head: "slip bps", width: 8, keep: 1 },
    Col { head: "algo", width: 7, keep: 3 },
    Col { head: "status", width: 11, keep: 3 },
];

/// The window of `len` rows of height `h` that keeps `sel` visible.
fn window(sel: usize, len: usize, h: usize) -> (usize, usize) {
    let start = if sel >= h { sel + 1 - h } else { 0 };
    (start, (start + h).min(len))
}

fn orders(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let rows = Supervisor::working(&app.orders);
    let users = {
        let mut u: Vec<(&str, &str)> =
            rows.iter().map(|o| (o.order.owner.tenant.as_ref(), o.order.owner.user.as_ref())).collect();
        u.dedup();
        u.len()
    };
    let title = format!(" Working orders · every desk · {} orders, {users} users ", rows.len());
    let title = if title.chars().count() + 2 <= usize::from(area.width) {
        title
    } else {
        format!(" Working orders · {} · {users} users ", rows.len())
    };
    let b = block(t, title, is_focused(app, Section::Orders));
    let inner = b.inner(area);
    b.render(area, buf);
    let shown = fitting(&ORDER_COLS, area.width);
    let header = Row::new(shown.iter().map(|&i| Cell::from(ORDER_COLS[i].head).style(t.header)));
    let widths: Vec<Constraint> = shown.iter().map(|&i| Constraint::Length(ORDER_COLS[i].width)).collect();
    if rows.is_empty() {
        Widget::render(Table::new(Vec::<Row>::new(), widths).header(header), inner, buf);
        Line::styled("No working orders on any desk.", t.muted)
            .render(Rect { y: inner.y + 1, height: 1, ..inner }, buf);
        return;
    }
    let h = usize::from(inner.height.saturating_sub(1)).max(1);
    let sel = app.sup.order_sel.min(rows.len() - 1);
    let (start, end) = window(sel, rows.len(), h);
    let body: Vec<Row> =
        (start..end).map(|i| order_row(app, rows[i], i == 0 || owner(rows[i - 1]) != owner(rows[i]), &shown)).collect();
    let mut state = TableState::default().with_selected(is_focused(app, Section::Orders).then_some(sel - start));
    StatefulWidget::render(
        Table::new(body, widths)
            .header(header)
            .column_spacing(1)
            .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED)),
        inner,
        buf,
        &mut state,
    );
}

fn owner(o: &OrderRow) -> (&str, &str) {
    (o.order.owner.tenant.as_ref(), o.order.owner.user.as_ref())
}

fn order_row<'a>(app: &App, r: &'a OrderRow, first_of_user: bool, shown: &[usize]) -> Row<'a> {
    let t = &app.theme;
    let o = &r.order;
    let (status, st) = status_cell(t, o.status);
    let behind = app.sup.monitor.thresholds.behind_schedule_pct / 100.0;
    let dev = match r.schedule_deviation {
        Some(d) if d < -behind => Span::styled(format!("{:+.1}% behind", d * 100.0), strong(t.warning)),
        Some(d) if d < -0.005 => Span::styled(format!("{:+.1}% behind", d * 100.0), t.text),
        Some(d) if d > 0.005 => Span::styled(format!("{:+.1}% ahead", d * 100.0), t.text),
        Some(_) => Span::styled("on plan", t.ok),
        None => Span::styled("-", t.muted),
    };
    let user = if first_of_user { format!("{}@{}", o.owner.user, o.owner.tenant) } else { String::new() };
    let cells: Vec<Cell> = shown
        .iter()
        .map(|&i| match i {
            0 => Cell::from(user.clone()).style(strong(t.text)),
            1 => Cell::from(o.id.to_string()).style(t.text),
            2 => Cell::from(o.symbol.to_string()).style(t.text),
            3 => Cell::from(side_word(o.side)).style(side_style(t, o.side)),
            4 => Cell::from(progress(o.filled.ratio(o.qty), 6)).style(t.progress),
            5 => Cell::from(dev.clone()),
            6 => Cell::from(Line::from(bps_span(t, r.slippage_bps)).right_aligned()),
            7 => Cell::from(o.algo.as_str().to_uppercase()).style(t.text),
            _ => Cell::from(status.clone()).style(st),
        })
        .collect();
    Row::new(cells)
}

fn alerts(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let list = app.sup.monitor.list();
    // The zone first: on a narrow pane the title is cut from the right, and the times must keep their label.
    let title = format!(" Alerts · times {} · {} now · {} in all ", app.zone(), app.sup.monitor.active(), list.len());
    let b = block(t, title, is_focused(app, Section::Alerts));
    let inner = b.inner(area);
    b.render(area, buf);
    if list.is_empty() {
        Paragraph::new(Line::styled(
            "No alerts: orders behind schedule, slippage, venue rejects or slowness, risk warnings and limits appear here.",
            t.muted,
        ))
        .wrap(ratatui::widgets::Wrap { trim: true })
        .render(inner, buf);
        return;
    }
    let tz = app.tz;
    let start = app.sup.alert_scroll.min(list.len() - 1);
    let lines: Vec<Line> = list
        .iter()
        .skip(start)
        .take(usize::from(inner.height))
        .map(|a| {
            let (word, style) = match a.level {
                Level::Info => ("info ", t.ok),
                Level::Warn => ("warn ", t.warning),
                Level::Error => ("ERROR", t.error),
            };
            let times = if a.count > 1 { format!(" ×{}", a.count) } else { String::new() };
            Line::from(vec![
                Span::styled(hms(a.ts, tz), t.muted),
                Span::raw(" "),
                Span::styled(word, style),
                Span::styled(if a.active { " now " } else { "     " }, strong(t.warning)),
                Span::styled(format!("{:<13} ", a.kind.label()), t.accent),
                Span::styled(format!("{}{times}", a.text), t.text),
            ])
        })
        .collect();
    // Wrapped: the explanation (figure, threshold, who) matters more than one line per alert.
    Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }).render(inner, buf);
}

fn tca(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let by = grouping_name(app.sup.tca_by);
    // Narrow, the title keeps what the figures mean (+ = cost) rather than "finished orders".
    let title = format!(" TCA by {by} · finished orders, arrival bps (+ = cost) ");
    let title = if title.chars().count() + 2 <= usize::from(area.width) {
        title
    } else {
        format!(" TCA by {by} · arrival bps, + = cost ")
    };
    let b = block(t, title, is_focused(app, Section::Tca));
    let inner = b.inner(area);
    b.render(area, buf);
    let groups = match app.sup.tca_groups() {
        None => return Line::styled("loading…", t.muted).render(inner, buf),
        Some(Err(e)) => {
            return Paragraph::new(Line::styled(format!("✗ {e}"), t.error))
                .wrap(ratatui::widgets::Wrap { trim: true })
                .render(inner, buf);
        }
        Some(Ok(g)) if g.is_empty() => {
            return Line::styled("No finished order with fills yet.", t.muted).render(inner, buf);
        }
        Some(Ok(g)) => g,
    };
    let key_w = groups.iter().map(|g| g.key.chars().count()).max().unwrap_or(4).clamp(4, 10);
    let wide = inner.width >= 64;
    let mut lines = vec![Line::styled(
        if wide {
            format!("{:<key_w$} {:>3} {:>8} {:>7} {:>7}  chart", by, "ord", "notional", "arr", "vwap")
        } else {
            format!("{:<key_w$} {:>3} {:>7}  chart", by, "ord", "arr")
        },
        t.header,
    )];
    let fixed = if wide { key_w + 30 } else { key_w + 14 };
    let bar_w = usize::from(inner.width).saturating_sub(fixed).max(4);
    let scale = groups.iter().filter_map(|g| g.arrival_slippage_bps).fold(0.0f64, |m, b| m.max(b.abs())).max(0.1);
    for g in groups.iter().take(usize::from(inner.height.saturating_sub(1))) {
        let bps = |b: Option<f64>| b.map_or("-".to_string(), |b| format!("{b:+.1}"));
        let head = if wide {
            format!(
                "{:<key_w$} {:>3} {:>8} {:>7} {:>7}  ",
                cut(&g.key, key_w),
                g.orders,
                money_short(g.notional.to_f64(), "USD"),
                bps(g.arrival_slippage_bps),
                bps(g.vwap_slippage_bps)
            )
        } else {
            format!("{:<key_w$} {:>3} {:>7}  ", cut(&g.key, key_w), g.orders, bps(g.arrival_slippage_bps))
        };
        let mut spans = vec![Span::styled(head, t.text)];
        spans.extend(diverging(app, g.arrival_slippage_bps, scale, bar_w));
        lines.push(Line::from(spans));
    }
    Paragraph::new(lines).render(inner, buf);
}

/// A bar around a centre axis: costs to the right in solid blocks, gains to
/// the left in shaded ones, so the sign reads without colour.
fn diverging(app: &App, bps: Option<f64>, scale: f64, width: usize) -> Vec<Span<'static>> {
    let t = &app.theme;
    let half = width.saturating_sub(1) / 2;
    let Some(b) = bps else { return vec![Span::styled(format!("{:>half$}│", ""), t.muted)] };
    let n = ((b.abs() / scale) * half as f64).round() as usize;
    let n = n.min(half);
    if b >= 0.0 {
        vec![Span::styled(format!("{:>half$}│", ""), t.muted), Span::styled("█".repeat(n), t.loss)]
    } else {
        vec![Span::raw(" ".repeat(half - n)), Span::styled("▒".repeat(n), t.profit), Span::styled("│", t.muted)]
    }
}

/// The first `n` characters of `s`.
pub(super) fn cut(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn editor(app: &App, ed: &Editor, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let r = centered(area, 96, LimitField::ALL.len() as u16 + 7);
    super::clear(&app.theme, r, buf);
    let title = match &ed.user {
        Some(u) => format!(" Limits of user {u} on desk {} (override) ", ed.tenant),
        None => format!(" Risk limits of desk {} ", ed.tenant),
    };
    let b = block(t, title, true);
    let inner = b.inner(r);
    b.render(r, buf);
    let errors = ed.limits(&app.instruments).err().unwrap_or_default();
    let empty = if ed.user.is_some() { "empty = the desk's limit" } else { "empty = no limit" };
    let mut lines = vec![Line::styled(format!("{empty} · enter saves · esc closes without saving"), t.muted)];
    let value_w = 18usize;
    let msg_w = usize::from(inner.width).saturating_sub(22 + value_w + 3);
    for f in LimitField::ALL {
        let focused = ed.focus == f;
        let label_style = if focused { t.field_focus } else { t.muted };
        let v = ed.value(f);
        let shown: String = if v.chars().count() > value_w - 1 {
            v.chars().skip(v.chars().count() + 1 - value_w).collect()
        } else {
            v.to_string()
        };
        let mut spans = vec![
            Span::styled(format!("{}{:<21}", if focused { "›" } else { " " }, f.label()), label_style),
            Span::styled(shown.clone(), t.input),
            Span::styled(if focused { "█" } else { " " }, t.accent),
            Span::raw(" ".repeat(value_w.saturating_sub(shown.chars().count() + 1))),
        ];
        match ed.message(f, &errors) {
            Some(m) => spans.push(Span::styled(format!(" ✗ {}", cut(&m, msg_w.saturating_sub(3))), t.error)),
            None if !v.trim().is_empty() => spans.push(Span::styled(" ✓", t.ok)),
            None => {}
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::default());
    let focus_msg = ed.message(ed.focus, &errors).unwrap_or_else(|| format!("takes {}", ed.focus.takes()));
    lines.push(Line::styled(format!("{}: {focus_msg}", ed.focus.name()), t.text));
    if ed.blocked && !errors.is_empty() {
        lines.push(Line::styled(
            format!("✗ nothing sent: {} field(s) marked ✗ to fix first", errors.len()),
            strong(t.error),
        ));
    }
    Paragraph::new(lines).render(inner, buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heads(width: u16) -> Vec<&'static str> {
        fitting(&ORDER_COLS, width).into_iter().map(|i| ORDER_COLS[i].head).collect()
    }

    #[test]
    fn narrow_order_tables_keep_the_id() {
        // 80 columns: the orders pane is 60% = 48 wide. By hand, widths + 1 each, + 2 borders:
        // user 12 + id 6 + symbol 9 + side 7 + slip 9 + 2 = 45 <= 48; adding % done (13) is 58.
        assert_eq!(heads(48), ["user", "id", "symbol", "side", "slip bps"]);
        // 120 columns: 72 wide; everything is 92, without status (12) and algo (8) 72.
        assert_eq!(heads(72), ["user", "id", "symbol", "side", "% done", "schedule", "slip bps"]);
        assert_eq!(heads(92).len(), ORDER_COLS.len());
        for w in [20, 30, 48, 60, 72, 92] {
            assert!(heads(w).contains(&"id"), "{w}: {:?}", heads(w));
        }
    }
}
