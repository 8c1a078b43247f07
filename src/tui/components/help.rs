//! The help overlay: every binding of the active keymap with its
//! description, grouped by context. Generated, so it cannot drift from the keys.

use super::super::app::App;
use super::super::keymap::Context;
use super::{block, centered};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// The lines of the help overlay.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut out = vec![Line::styled(
        format!("keymap: {} · theme: {} · ↑/↓ scroll · esc closes", app.keymap.name, app.theme.name),
        t.muted,
    )];
    for ctx in Context::ALL {
        // Keys a role cannot use are not listed for it (the supervisor view's, for an advisor).
        if ctx.needs_supervisor() && !app.is_supervisor() {
            continue;
        }
        let b: Vec<_> = app.keymap.bindings(ctx).iter().filter(|b| app.offers(b.action)).collect();
        if b.is_empty() {
            continue;
        }
        out.push(Line::default());
        out.push(Line::styled(ctx.title(), t.header));
        for x in b {
            out.push(Line::from(vec![
                Span::styled(format!("  {:<12}", x.key.to_string()), t.accent),
                Span::styled(x.desc.clone(), t.text),
            ]));
        }
    }
    out
}

/// Draws the help overlay.
pub fn render(app: &App, scroll: u16, area: Rect, buf: &mut Buffer) {
    let r = centered(area, 64, area.height.saturating_sub(2));
    super::clear(&app.theme, r, buf);
    let l = lines(app);
    let max = (l.len() as u16).saturating_sub(r.height.saturating_sub(2));
    app.hit.overlay_scroll_max.set(max);
    Paragraph::new(l).block(block(&app.theme, " Keys ", true)).scroll((scroll.min(max), 0)).render(r, buf);
}
