//! The tabbed detail pane under the blotter: venues, TCA, alerts.

use super::super::app::{App, Level, Pane, Tab};
use super::{block, focused, hms};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs, Widget};

/// Draws the detail pane with its tab bar.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let subject = match app.selected_order() {
        Some(o) => format!(" · {} {} {}", o.order.id, super::side_word(o.order.side), o.order.symbol),
        None => String::new(),
    };
    let b = block(t, format!(" Detail{subject} "), focused(app, Pane::Detail));
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
    }
}

fn alerts(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    if app.alerts.is_empty() {
        Paragraph::new(Line::styled("No alerts: rejects, venue refusals and failed actions appear here.", t.muted))
            .render(area, buf);
        return;
    }
    let tz = chrono_tz::America::New_York;
    let lines: Vec<Line> = app
        .alerts
        .iter()
        .rev()
        .take(usize::from(area.height))
        .map(|a| {
            let (word, style) = match a.level {
                Level::Info => ("info ", t.ok),
                Level::Warn => ("warn ", t.warning),
                Level::Error => ("ERROR", t.error),
            };
            Line::from(vec![
                Span::styled(hms(a.ts, tz), t.muted),
                Span::raw(" "),
                Span::styled(word, style),
                Span::raw(" "),
                Span::styled(a.text.clone(), t.text),
            ])
        })
        .collect();
    Paragraph::new(lines).render(area, buf);
}
