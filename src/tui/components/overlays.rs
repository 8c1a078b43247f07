//! What is painted over the panes: yes/no questions (one order or many),
//! one-line prompts with the palette's commands, the message log and the
//! column chooser.

use super::super::app::{App, Prompt, PromptKind, Question};
use super::super::columns::Col;
use super::{block, centered, qty, side_word};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

/// An order in a few words (`▲ BUY 10,000,000 EUR/USD of TWAP`).
fn order_words(app: &App, id: crate::model::ParentId) -> String {
    app.orders
        .iter()
        .find(|o| o.order.id == id)
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
        .unwrap_or_default()
}

/// Draws a yes/no question.
pub fn question(app: &App, q: &Question, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let (title, text) = match q {
        Question::Cancel(id) => (
            "Cancel order".to_string(),
            vec![
                format!("Cancel {id}?"),
                order_words(app, *id),
                "Working children are cancelled; the residual is reported.".into(),
            ],
        ),
        Question::Bulk(bulk, ids) => {
            let verb = bulk.verb();
            let mut lines = vec![format!("{} these {} orders?", capital(verb), ids.len())];
            // As many as the screen holds (it listed four whatever the room): the question's
            // other lines, its border and keys take seven rows, the "more" line one.
            let room = usize::from(area.height).saturating_sub(8).max(4);
            let n = if ids.len() <= room + 1 { ids.len() } else { room };
            lines.extend(ids.iter().take(n).map(|id| format!("{id} {}", order_words(app, *id))));
            if ids.len() > n {
                lines.push(format!("… and {} more", ids.len() - n));
            }
            lines.push(match bulk {
                super::super::app::Bulk::Cancel => "Working children are cancelled; each residual is reported.".into(),
                super::super::app::Bulk::Pause => "Their algorithms stop sending; resume picks them up again.".into(),
                super::super::app::Bulk::Resume => "Their algorithms re-plan what is left and go on.".into(),
            });
            (format!("{} {} orders", capital(verb), ids.len()), lines)
        }
        Question::Risk(req, message) => (
            "Risk warning".into(),
            vec![
                format!("{} {} {}: the risk controls warn:", req.side, qty(req.qty), req.symbol),
                message.clone(),
                "Send it anyway (the acknowledgement is recorded)?".into(),
            ],
        ),
        Question::TradingState(tenant, state) => (
            "Trading state".into(),
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
            "Execution".into(),
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
            "Quit".into(),
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
    let h = text.len() as u16 + 4;
    let r = centered(area, 72, h.max(8));
    super::clear(&app.theme, r, buf);
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

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// Draws a one-line prompt; the palette lists the commands that match.
pub fn prompt(app: &App, p: &Prompt, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let target = p.target.as_deref().unwrap_or("?");
    let (title, help): (&str, String) = match p.kind {
        PromptKind::Filter => (
            " Filter (live) ",
            format!(
                "narrows as you type: aapl, or sym:AAPL status:working algo:twap user:desk desk:ws side:buy · {} shown · enter keeps, esc restores",
                app.table.shown_orders(&app.orders).len()
            ),
        ),
        PromptKind::Command => (" : ", "an order id such as P17, or a command (tab completes)".into()),
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
    let suggestions =
        if p.kind == PromptKind::Command { super::super::palette::suggestions(p.input.value()) } else { Vec::new() };
    let h = 7 + suggestions.len().min(8) as u16;
    let r = centered(area, 76, h);
    super::clear(&app.theme, r, buf);
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
    for (c, what) in suggestions.iter().take(8) {
        lines.push(Line::from(vec![Span::styled(format!("  {c:<10}"), t.accent), Span::styled(*what, t.muted)]));
    }
    let danger = matches!(p.kind, PromptKind::KillAll | PromptKind::KillTenant | PromptKind::GlobalState);
    let border = if danger { t.error } else { t.border_focus };
    Paragraph::new(lines).block(block(t, title, true).border_style(border)).wrap(Wrap { trim: false }).render(r, buf);
}

/// The message log: every message said, newest at the bottom, with its simulated time.
pub fn log(app: &App, scroll: u16, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let r = centered(area, area.width.saturating_sub(4).max(60), area.height.saturating_sub(2));
    super::clear(&app.theme, r, buf);
    let title = format!(" Messages · {} · times {} · ↑↓ pgup pgdn scroll · esc closes ", app.log.len(), app.zone());
    let b = block(t, title, true);
    let inner = b.inner(r);
    b.render(r, buf);
    if app.log.is_empty() {
        Line::styled("Nothing said yet: notes, refusals and connection changes are kept here.", t.muted)
            .render(inner, buf);
        return;
    }
    let h = usize::from(inner.height);
    let n = app.log.len();
    // `scroll` counts lines back from the newest, at the bottom.
    app.hit.overlay_scroll_max.set(u16::try_from(n.saturating_sub(h)).unwrap_or(u16::MAX));
    let end = n.saturating_sub(usize::from(scroll)).max(h.min(n));
    let start = end.saturating_sub(h);
    let lines: Vec<Line> = app
        .log
        .entries()
        .skip(start)
        .take(end - start)
        .map(|e| {
            let style = match e.level {
                super::super::note::Level::Info => t.ok,
                super::super::note::Level::Warn => t.warning,
                super::super::note::Level::Error => t.error,
            };
            Line::from(vec![
                Span::styled(e.sim.map_or_else(|| "--:--:--".into(), |s| app.hms(s)), t.muted),
                Span::raw(" "),
                Span::styled(format!("{:<5}", e.level.word()), style),
                Span::raw(" "),
                Span::styled(e.text.clone(), t.text),
            ])
        })
        .collect();
    Paragraph::new(lines).wrap(Wrap { trim: false }).render(inner, buf);
}

/// The column chooser: every column with a check box and what it shows.
pub fn columns(app: &App, cursor: usize, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let h = Col::ALL.len() as u16 + 4;
    let r = centered(area, 76, h);
    super::clear(&app.theme, r, buf);
    let b = block(t, " Columns · space shows/hides · enter closes ", true);
    let inner = b.inner(r);
    b.render(r, buf);
    let mut lines: Vec<Line> = Col::ALL
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let on = app.columns.shown.contains(c);
            let mark = if on { "[x]" } else { "[ ]" };
            let style = if i == cursor { t.text.add_modifier(ratatui::style::Modifier::REVERSED) } else { t.text };
            Line::from(vec![
                Span::styled(format!(" {mark} {:<10}", c.head()), style),
                Span::styled(format!(" {}", c.about()), t.muted),
            ])
        })
        .collect();
    lines.push(Line::styled(" The id always shows; < and > scroll when the columns do not fit.", t.muted));
    Paragraph::new(lines).render(inner, buf);
}
