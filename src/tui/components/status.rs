//! The status bar: mode badge, simulated clock and date, session, speed,
//! engine with connection health and latency, who we are, and counts. When
//! the terminal is narrow, the least important segments go first; the badge,
//! clock and counts always stay.

use super::super::app::App;
use crate::client::BreakerState;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// Draws the status bar into one line.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    // (priority: lower stays longer, spans)
    let mut segs: Vec<(u8, Vec<Span>)> = Vec::new();
    let paper = app.identity.as_ref().is_none_or(|i| i.paper_mode);
    segs.push((
        0,
        vec![if paper { Span::styled(" PAPER ", t.paper_badge) } else { Span::styled(" LIVE ", t.live_badge) }],
    ));
    let sym = app.session_state();
    let tz = sym.as_ref().map_or(chrono_tz::America::New_York, |(s, _)| app.tz_of(s));
    segs.push((
        0,
        vec![match &app.clock {
            Some(c) => Span::styled(c.now.in_tz(tz).format("%a %Y-%m-%d %H:%M:%S %Z").to_string(), t.accent),
            None => Span::styled("clock …", t.muted),
        }],
    ));
    if let Some((sym, state)) = &sym {
        let style = match state {
            crate::market::SessionState::Open => t.ok,
            crate::market::SessionState::Closed => t.muted,
            _ => t.warning,
        };
        segs.push((2, vec![Span::styled(format!("{sym} "), t.muted), Span::styled(state.label(), style)]));
    }
    let speed = app.clock.as_ref().and_then(|c| c.speed).unwrap_or(app.speed);
    segs.push((
        1,
        vec![if speed == 0.0 {
            Span::styled("‖ paused", t.warning)
        } else {
            Span::styled(format!("{}x", fmt_speed(speed)), t.text)
        }],
    ));
    segs.push((1, connection(app)));
    segs.push((
        3,
        vec![match &app.identity {
            Some(i) => Span::styled(format!("{} / {} / {}", i.user, i.role, i.tenant), t.text),
            None => Span::styled("…", t.muted),
        }],
    ));
    segs.push((0, vec![Span::styled(format!("working {}", app.working_count()), t.working)]));
    let alerts = app.alerts.len();
    segs.push((0, vec![Span::styled(format!("alerts {alerts}"), if alerts > 0 { t.warning } else { t.muted })]));
    let width =
        |s: &[(u8, Vec<Span>)]| s.iter().map(|(_, v)| v.iter().map(|x| x.width()).sum::<usize>() + 3).sum::<usize>();
    for level in (1..=3).rev() {
        while width(&segs) > usize::from(area.width) {
            match segs.iter().rposition(|(p, _)| *p == level) {
                Some(i) => {
                    segs.remove(i);
                }
                None => break,
            }
        }
    }
    let mut spans = Vec::new();
    for (i, (_, s)) in segs.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" │ ", t.muted));
        }
        spans.extend(s);
    }
    Line::from(spans).render(area, buf);
}

/// Engine, health and, over HTTP, the circuit breaker: its state in words
/// with a glyph, the consecutive failures against the threshold, and when
/// the next trial call goes out.
fn connection(app: &App) -> Vec<Span<'static>> {
    let t = &app.theme;
    let mut v = vec![Span::styled(format!("{} ", app.engine), t.text)];
    let open = app.circuit.as_ref().is_some_and(|c| c.state != BreakerState::Closed);
    if app.connected && !open {
        let ms = app.latency_ms.map_or(String::new(), |m| format!(" {}", fmt_ms(m)));
        v.push(Span::styled(format!("● ok{ms}"), t.ok));
    } else {
        // An open breaker's note is its own refusal: the last real failure says more.
        let why = match app.circuit.as_ref().filter(|_| open).and_then(|c| c.last_error.clone()) {
            Some(last) => format!("down: {last}"),
            None => app.connection_note.clone().unwrap_or_else(|| "disconnected".into()),
        };
        v.push(Span::styled(format!("✗ {}", shorten(&why, 40)), t.error));
    }
    if let Some(c) = &app.circuit {
        let (glyph, style) = match c.state {
            BreakerState::Closed => ("●", t.ok),
            BreakerState::HalfOpen => ("◐", t.warning),
            BreakerState::Open => ("○", t.error),
        };
        let mut text = format!(" · circuit {glyph} {} {}/{} fails", c.state, c.failures, c.threshold);
        if let Some(ms) = c.retry_in_ms {
            text.push_str(&format!(", retry in {:.1} s", ms as f64 / 1e3));
        }
        v.push(Span::styled(text, style));
    }
    v
}

/// At most `n` characters, with an ellipsis when cut.
fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}…", s.chars().take(n - 1).collect::<String>()) }
}

fn fmt_speed(s: f64) -> String {
    if s.fract() == 0.0 { format!("{s:.0}") } else { format!("{s:.1}") }
}

fn fmt_ms(ms: f64) -> String {
    if ms < 1.0 { format!("{:.0} µs", ms * 1e3) } else { format!("{ms:.1} ms") }
}
