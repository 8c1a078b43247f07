//! The demo's caption bar: the script's title and step, what is happening
//! and what to look at, and how the story goes on (waiting for the
//! presenter, advancing by itself, or left to the presenter).

use super::super::action::Action;
use super::super::app::App;
use super::super::demo::DemoView;
use super::super::keymap::Context;
use super::{block, strong};
use crate::demo::Look;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

/// Lines the caption text takes at `width`, at most 3.
fn caption_lines(d: &DemoView, width: u16) -> u16 {
    let w = usize::from(width.saturating_sub(2)).max(1);
    (d.caption.chars().count().div_ceil(w)).clamp(1, 3) as u16
}

/// Rows the caption bar needs at `width` (borders, caption, state line).
pub fn height(d: &DemoView, width: u16) -> u16 {
    caption_lines(d, width) + 3
}

fn key(app: &App, a: Action) -> String {
    app.keymap.key_for(Context::Demo, a).map_or_else(|| "?".into(), |k| k.to_string())
}

/// Draws the caption bar.
pub fn render(app: &App, d: &DemoView, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let tz = app.tz;
    let step = if d.fired == 0 { "starting".to_string() } else { format!("step {} of {}", d.fired, d.total) };
    // What to look at, in words as well (the step also turns the view to it).
    let look = match d.look {
        Some(Look::Blotter) => " · look at the blotter",
        Some(Look::Venues) => " · look at the venue view",
        Some(Look::Tca) => " · look at the TCA panel",
        Some(Look::Ticket) => " · look at the order ticket",
        Some(Look::Supervisor) => " · look at the supervisor view",
        None => "",
    };
    let order = match (d.look, d.select) {
        (Some(_), Some(p)) => format!(", {p}"),
        _ => String::new(),
    };
    let title = format!(" DEMO · {} · {step}{look}{order} ", d.title);
    let b = block(t, Line::from(vec![Span::styled(title, strong(t.accent))]), true);
    let inner = b.inner(area);
    b.render(area, buf);
    let cap_h = caption_lines(d, area.width).min(inner.height.saturating_sub(1));
    let cap = Rect { height: cap_h, ..inner };
    Paragraph::new(Line::styled(d.caption.clone(), t.text)).wrap(Wrap { trim: true }).render(cap, buf);
    let next = key(app, Action::DemoNext);
    let leave = key(app, Action::DemoLeave);
    let at = |ts: Option<crate::model::Timestamp>| {
        ts.map_or(String::new(), |x| format!(" ({} {})", super::hms(x, tz), app.zone()))
    };
    let mut spans: Vec<Span> = Vec::new();
    if !d.refused.is_empty() {
        spans.push(Span::styled(format!("✗ refused: {} · ", d.refused.join("; ")), t.error));
    }
    if d.left {
        spans.push(Span::styled(format!("script left at step {} of {}: the desk is yours", d.fired, d.total), t.muted));
    } else if d.fired >= d.total {
        spans.push(Span::styled("end of the script: the desk is yours, every key works as usual", t.muted));
    } else {
        // Unattended, the countdown is the news (the clock may be held at the step's time
        // meanwhile: the status bar says paused); presented, the step's time.
        let state = if d.auto {
            Span::styled(format!("▶ auto: next step in {:.1} s", d.auto_in.unwrap_or(0.0)), t.ok)
        } else if d.waiting {
            Span::styled(format!("‖ waiting for the next step{}", at(d.next_at)), strong(t.warning))
        } else {
            Span::styled(format!("next step{}", at(d.next_at)), t.text)
        };
        spans.push(state);
        // The keys follow while they fit whole, least needed last (the footer lists them too).
        let mut rest = vec![
            vec![
                Span::styled(" · ", t.muted),
                Span::styled(format!(" {next} "), t.hint_key),
                Span::styled(" next step now ", t.hint_desc),
            ],
            vec![Span::styled(format!(" {leave} "), t.hint_key), Span::styled(" leave the script ", t.hint_desc)],
        ];
        if d.auto {
            rest.push(vec![Span::styled(" · any other key takes over", t.muted)]);
        }
        let room = usize::from(inner.width);
        for part in rest {
            let used: usize = spans.iter().chain(&part).map(Span::width).sum();
            if used > room {
                break;
            }
            spans.extend(part);
        }
    }
    let line = Rect { y: inner.y + cap_h, height: 1, ..inner };
    if line.y < inner.bottom() {
        Line::from(spans).render(line, buf);
    }
}
