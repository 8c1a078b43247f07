//! The tabbed detail pane under the blotter: venues, TCA, alerts (grouped
//! by kind, one line per subject with its count) and positions.

use super::super::app::{App, Pane, Tab};
use super::super::note::Level;
use super::{block, focused};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs, Widget};

/// Draws the detail pane with its tab bar.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let subject = match app.selected_order() {
        Some(o) => {
            let mut s = format!(" · {} {} {}", o.order.id, super::side_word(o.order.side), o.order.symbol);
            if let Some(why) = end_reason(app) {
                s.push_str(&format!(" · {}: {why}", o.order.status));
            }
            s
        }
        None => String::new(),
    };
    // The order's line on every tab: cut to the border (the TCA tab and the alert say it whole).
    let room = usize::from(area.width.saturating_sub(4));
    let mut title = format!("Detail{subject}");
    if title.chars().count() > room {
        title = title.chars().take(room.saturating_sub(1)).chain(['…']).collect();
    }
    let b = block(t, format!(" {title} "), focused(app, Pane::Detail));
    let inner = b.inner(area);
    b.render(area, buf);
    let [bar, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    app.hit.detail.set(area);
    app.hit.tabs.set(bar);
    let titles: Vec<Line> = Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, tab)| {
            let extra = if *tab == Tab::Alerts && !app.alerts.is_empty() {
                format!(" ({})", app.alerts.len())
            } else {
                String::new()
            };
            Line::from(format!("{} {}{extra}", i + 1, tab.title()))
        })
        .collect();
    let selected = Tab::ALL.iter().position(|x| *x == app.tab);
    Tabs::new(titles)
        .select(selected)
        .style(t.muted)
        .highlight_style(super::strong(t.accent).add_modifier(ratatui::style::Modifier::REVERSED))
        .divider(Span::styled("│", t.border))
        .render(bar, buf);
    match app.tab {
        Tab::Venues => super::venues::render(app, body, buf),
        Tab::Tca => super::tca::render(app, body, buf),
        Tab::Alerts => alerts(app, body, buf),
        Tab::Positions => super::positions::render(app, body, buf),
    }
}

/// Why the selected order ended with quantity left, as the engine said it
/// (its TCA report's `end_reason`); None while it works, once filled, or
/// before its report has loaded.
pub fn end_reason(app: &App) -> Option<&str> {
    let o = app.selected_order()?;
    let (id, report) = app.tca.as_ref()?;
    let ended_short = o.order.status.is_terminal() && o.order.leaves().is_positive();
    (*id == o.order.id && ended_short).then_some(report.end_reason.as_deref()).flatten()
}

/// The alert lines as shown: a group heading when a kind has several
/// subjects, then one line per subject (newest first) with its count.
pub fn alert_lines(app: &App, height: usize, width: u16) -> Vec<Line<'static>> {
    let t = &app.theme;
    let style = |l: Level| match l {
        Level::Info => t.ok,
        Level::Warn => t.warning,
        Level::Error => t.error,
    };
    let mut lines = Vec::new();
    let groups = app.alerts.groups();
    // Each group gets a fair share of the lines, so one noisy kind cannot hide the others.
    let share = (height / groups.len().max(1)).max(2);
    for g in &groups {
        if g.items.len() > 1 {
            let worst = g.items.iter().map(|a| a.level).max().unwrap_or(Level::Info);
            let times: u32 = g.items.iter().map(|a| a.count).sum();
            lines.push(Line::from(vec![
                Span::styled(format!("▾ {} ", g.kind.title()), super::strong(style(worst))),
                Span::styled(
                    format!("· {} subjects, {times} times · latest {}", g.items.len(), app.hms(g.items[0].ts)),
                    t.muted,
                ),
            ]));
        }
        let room = if g.items.len() > 1 { share.saturating_sub(1) } else { share };
        for a in g.items.iter().take(room) {
            let count = if a.count > 1 { format!(" ×{}", a.count) } else { String::new() };
            let (at, level) = (app.hms(a.ts), format!("{:<5}", a.level.word()));
            // A long text (an order's end reason) continues under itself, past the time and level.
            let indent = at.chars().count() + level.chars().count() + 2;
            let line = Line::from(vec![
                Span::styled(at, t.muted),
                Span::raw(" "),
                Span::styled(level, style(a.level)),
                Span::raw(" "),
                Span::styled(a.text.clone(), t.text),
                Span::styled(count, super::strong(t.warning)),
            ]);
            lines.extend(super::hang::hanging_at(line, width, indent));
        }
        if g.items.len() > room {
            lines
                .push(Line::styled(format!("  … {} more (L: the message log has all)", g.items.len() - room), t.muted));
        }
    }
    lines
}

fn alerts(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    if app.alerts.is_empty() {
        Paragraph::new(Line::styled("No alerts: rejects, venue refusals and failed actions appear here.", t.muted))
            .render(area, buf);
        return;
    }
    let mut lines = vec![Line::styled(format!("times {} · newest first", app.zone()), t.muted)];
    lines.extend(alert_lines(app, usize::from(area.height.saturating_sub(1)), area.width));
    Paragraph::new(lines).render(area, buf);
}
