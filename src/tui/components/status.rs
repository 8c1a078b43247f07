//! The status bar: mode badge, simulated clock and date, session, speed,
//! engine with connection health and latency, who we are, and counts. When
//! the terminal is narrow, the least important segments go first; the badge,
//! clock and counts always stay.

use super::super::app::App;
use super::strong;
use crate::client::BreakerState;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// A status segment: its priority (lower stays longer), its spans, and a
/// shorter form used when even the segments that always stay do not fit.
type Seg = (u8, Vec<Span<'static>>, Option<Vec<Span<'static>>>);

/// Draws the status bar into one line.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let mut segs: Vec<Seg> = Vec::new();
    let paper = app.identity.as_ref().is_none_or(|i| i.paper_mode);
    segs.push((
        0,
        vec![if paper { Span::styled(" PAPER ", t.paper_badge) } else { Span::styled(" LIVE ", t.live_badge) }],
        None,
    ));
    let sym = app.session_state();
    // One desk clock: the desk's zone, labelled, whatever order is selected.
    let stale = app.stale();
    let clock_style = if stale { t.muted } else { t.accent };
    let stale_badge = || Span::styled(" STALE ", t.stale_badge);
    segs.push(match &app.clock {
        Some(c) => {
            let at = c.now.in_tz(app.tz);
            let mut long = vec![Span::styled(at.format("%a %Y-%m-%d %H:%M:%S %Z").to_string(), clock_style)];
            let mut short = vec![Span::styled(at.format("%H:%M:%S %Z").to_string(), clock_style)];
            if stale {
                long.insert(0, stale_badge());
                long.insert(1, Span::raw(" "));
                short.insert(0, stale_badge());
                short.insert(1, Span::raw(" "));
            }
            (0, long, Some(short))
        }
        None => (0, vec![Span::styled("clock …", t.muted)], None),
    });
    if let Some((sym, state)) = &sym {
        let style = match state {
            crate::market::SessionState::Open => t.ok,
            crate::market::SessionState::Closed => t.muted,
            _ => t.warning,
        };
        // Whether the market is open decides what an order will do: it outlasts the speed and the
        // engine, but not, while the engine is down, how long and when the next try goes.
        segs.push((
            if stale { 2 } else { 1 },
            vec![Span::styled(format!("{sym} "), t.muted), Span::styled(state.label(), style)],
            None,
        ));
    }
    // A speed just asked for shows at once; a paused clock (a demo waiting for its step) shows paused.
    let speed = match app.clock.as_ref().and_then(|c| c.speed) {
        Some(0.0) => 0.0,
        clock => app.speed_asked.or(clock).unwrap_or(app.speed),
    };
    // While down, how long and when the next try goes matter more than the speed.
    segs.push((
        if app.stale() { 2 } else { 1 },
        vec![if speed == 0.0 {
            Span::styled("‖ paused", t.warning)
        } else {
            Span::styled(format!("{}x", fmt_speed(speed)), t.text)
        }],
        None,
    ));
    let (down, core, closed, detail) = connection(app);
    let short = down.then(|| {
        // The loss and the breaker's state in a word, without the scheme.
        let host = app.engine.trim_start_matches("http://").to_string();
        let mut v = vec![Span::styled(format!("{host} "), t.text), Span::styled("✗ down", strong(t.error))];
        if let Some(c) = &app.circuit {
            v.push(Span::styled(format!(" · {}", c.state), t.error));
        }
        v
    });
    segs.push((if down { 0 } else { 1 }, core, short));
    if !closed.is_empty() {
        segs.push((2, closed, None));
    }
    // How long and when the next try goes stay longer than why (the alerts and the log keep why).
    let mut detail = detail;
    let why = detail.pop();
    if !detail.is_empty() {
        segs.push((1, detail, None));
    }
    if let Some(w) = why {
        segs.push((2, vec![w], None));
    }
    segs.push((
        3,
        vec![match &app.identity {
            Some(i) => Span::styled(format!("{} / {} / {}", i.user, i.role, i.tenant), t.text),
            None => Span::styled("…", t.muted),
        }],
        None,
    ));
    segs.push((0, vec![Span::styled(format!("working {}", app.working_count()), t.working)], None));
    let alerts = app.alerts.len();
    segs.push((0, vec![Span::styled(format!("alerts {alerts}"), if alerts > 0 { t.warning } else { t.muted })], None));
    // Each segment after the first has a 3-cell separator before it.
    let width = |s: &[Seg]| {
        s.iter().map(|(_, v, _)| v.iter().map(|x| x.width()).sum::<usize>() + 3).sum::<usize>().saturating_sub(3)
    };
    for level in (1..=3).rev() {
        while width(&segs) > usize::from(area.width) {
            match segs.iter().rposition(|(p, _, _)| *p == level) {
                Some(i) => {
                    segs.remove(i);
                }
                None => break,
            }
        }
    }
    if width(&segs) > usize::from(area.width) {
        for seg in &mut segs {
            if let Some(short) = seg.2.take() {
                seg.1 = short;
            }
        }
    }
    let mut spans = Vec::new();
    for (i, (_, s, _)) in segs.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" │ ", t.muted));
        }
        spans.extend(s);
    }
    Line::from(spans).render(area, buf);
}

/// Engine, health and, over HTTP, the circuit breaker (its state in words
/// with a glyph and the consecutive failures against the threshold), as
/// (down, core, closed breaker, detail). While down the core is never dropped for width (a
/// loss must show); the detail (why, next trial call) goes first.
fn connection(app: &App) -> (bool, Vec<Span<'static>>, Vec<Span<'static>>, Vec<Span<'static>>) {
    let t = &app.theme;
    let mut core = vec![Span::styled(format!("{} ", app.engine), t.text)];
    let mut detail = Vec::new();
    let open = app.circuit.as_ref().is_some_and(|c| c.state != BreakerState::Closed);
    let down = !app.connected || open;
    if down {
        core.push(Span::styled("✗ down", strong(t.error)));
        // An open breaker's note is its own refusal: the last real failure says more.
        let why = match app.circuit.as_ref().filter(|_| open).and_then(|c| c.last_error.clone()) {
            Some(last) => last,
            None => app.connection_note.clone().unwrap_or_else(|| "disconnected".into()),
        };
        // Honest about time: how long it has been down, and when the next attempt really goes out.
        if let Some(since) = app.down_since {
            let secs = app.wall.saturating_duration_since(since).as_secs();
            detail.push(Span::styled(format!("down {}", super::super::format::span(secs)), t.warning));
        }
        if let Some(at) = app.retry_at {
            let left = at.saturating_duration_since(app.wall);
            let word =
                if left.is_zero() { "trying now".to_string() } else { format!("next try in {} s", left.as_secs() + 1) };
            detail.push(Span::styled(format!(" · {word}"), t.warning));
        }
        detail.push(Span::styled(shorten(&why, 40), t.error));
    } else {
        let ms = app.latency_ms.map_or(String::new(), |m| format!(" {}", super::super::format::latency_us(m * 1e3)));
        core.push(Span::styled(format!("● ok{ms}"), t.ok));
    }
    let circuit = app.circuit.as_ref().map(|c| {
        let (glyph, style) = match c.state {
            BreakerState::Closed => ("●", t.ok),
            BreakerState::HalfOpen => ("◐", t.warning),
            BreakerState::Open => ("○", t.error),
        };
        Span::styled(format!("circuit {glyph} {} {}/{} fails", c.state, c.failures, c.threshold), style)
    });
    // A closed breaker is its own, less important segment; an open one belongs with the loss.
    let mut closed = Vec::new();
    match circuit {
        Some(c) if down => {
            core.push(Span::styled(" · ", t.muted));
            core.push(c);
        }
        Some(c) => closed.push(c),
        None => {}
    }
    (down, core, closed, detail)
}

/// At most `n` characters, with an ellipsis when cut.
fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}…", s.chars().take(n - 1).collect::<String>()) }
}

fn fmt_speed(s: f64) -> String {
    if s.fract() == 0.0 { format!("{s:.0}") } else { format!("{s:.1}") }
}
