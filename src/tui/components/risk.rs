//! The risk pane of the supervisor view: each tenant's execution switch,
//! trading state, open orders and notional today, with its users' overrides
//! listed under it, and the limits of the selected row (for a user, the
//! override with the desk's value where it sets none).

use super::super::app::App;
use super::super::supervisor::RiskRow;
use super::super::supervisor::limits::LimitField;
use super::supervisor::cut;
use super::{block, money_short, qty};
use crate::risk::{Limits, TradingState};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

fn state_word(s: TradingState) -> &'static str {
    match s {
        TradingState::Active => "● ACTIVE",
        TradingState::Reducing => "◐ REDUCING",
        TradingState::Halted => "■ HALTED",
    }
}

/// Draws the risk pane; `focused` shows the selection.
pub fn render(app: &App, area: Rect, buf: &mut Buffer, focused: bool) {
    let t = &app.theme;
    let halt = matches!(&app.sup.risk, Some(Ok(r)) if r.global_halt);
    let title = if halt { " Risk controls · GLOBAL HALT " } else { " Risk controls per tenant " };
    let b = block(t, title, focused);
    let inner = b.inner(area);
    b.render(area, buf);
    match &app.sup.risk {
        None => return Line::styled("loading…", t.muted).render(inner, buf),
        Some(Err(e)) => {
            return Paragraph::new(Line::styled(format!("✗ {e}"), t.error))
                .wrap(Wrap { trim: true })
                .render(inner, buf);
        }
        Some(Ok(_)) => {}
    }
    let rows = app.sup.risk_rows();
    if rows.is_empty() {
        return Paragraph::new(Line::styled(
            "No desk yet: n adds one by name; a desk also appears once it trades, is refused or is given limits.",
            t.muted,
        ))
        .wrap(Wrap { trim: true })
        .render(inner, buf);
    }
    let sel = app.sup.tenant_sel.min(rows.len() - 1);
    let two = inner.width >= 60;
    let detail = detail_lines(app, &rows[sel], two);
    // The list gets what the selected row's limits leave, at least two rows.
    let list_h = usize::from(inner.height).saturating_sub(1 + detail.len()).max(2).min(rows.len());
    let start = if sel >= list_h { sel + 1 - list_h } else { 0 };
    // The tenant's name takes what the figures leave (at 80 columns: 8), so no figure is cut.
    let name_w = usize::from(inner.width).saturating_sub(FIGURES_W).clamp(6, 16);
    let mut lines = vec![Line::styled(
        format!("{:<name_w$} {:<4} {:<10} {:>4} {:>8}", "tenant", "exec", "state", "open", "today"),
        t.header,
    )];
    for (i, r) in rows.iter().enumerate().skip(start).take(list_h) {
        let mut spans = row_spans(app, r, name_w);
        if i == sel && focused {
            spans = spans.into_iter().map(|s| s.patch_style(Style::new().add_modifier(Modifier::REVERSED))).collect();
        }
        lines.push(Line::from(spans));
    }
    lines.extend(detail);
    Paragraph::new(lines).render(inner, buf);
}

/// Columns right of the tenant's name: exec, state, open and today with their spaces.
const FIGURES_W: usize = 1 + 4 + 1 + 10 + 1 + 4 + 1 + 8;

fn row_spans(app: &App, r: &RiskRow, name_w: usize) -> Vec<Span<'static>> {
    let t = &app.theme;
    let tv = &r.tenant;
    if let Some((user, l)) = &r.user {
        let set: Vec<&str> = LimitField::ALL.into_iter().filter(|f| f.is_set(l)).map(LimitField::label).collect();
        let what = if set.is_empty() {
            "override: none set (the desk's limits)".to_string()
        } else {
            format!("override: {}", set.join(", "))
        };
        return vec![Span::styled(format!(" └ {:<7} ", cut(user, 7)), t.text), Span::styled(what, t.muted)];
    }
    let state_style = match tv.state {
        TradingState::Active => t.ok,
        TradingState::Reducing => t.warning,
        TradingState::Halted => t.error,
    };
    let today: f64 = tv.daily_notional.iter().map(|(_, v)| *v).sum::<crate::model::Money>().to_f64();
    let mut spans = vec![
        Span::styled(format!("{:<name_w$} ", cut(&tv.tenant, name_w)), t.text),
        Span::styled(
            format!("{:<4} ", if tv.execution_enabled { "on" } else { "OFF" }),
            if tv.execution_enabled { t.text } else { t.error },
        ),
        Span::styled(format!("{:<10} ", state_word(tv.state)), state_style),
        Span::styled(format!("{:>4} {:>8}", tv.open_orders, money_short(today, "USD")), t.text),
    ];
    if r.new {
        spans.push(Span::styled(" new: not seen by the engine yet", t.muted));
    }
    spans
}

/// The selected row's limits: a tenant's own, or a user's override over them.
fn detail_lines(app: &App, r: &RiskRow, two: bool) -> Vec<Line<'static>> {
    let t = &app.theme;
    let tv = &r.tenant;
    let desk = limit_values(&tv.limits);
    let (head, pairs): (String, Vec<(&str, String, bool)>) = match &r.user {
        None => {
            let overrides =
                if tv.users.is_empty() { String::new() } else { format!(" · {} user override(s)", tv.users.len()) };
            let exec = if tv.execution_enabled { "" } else { " · E enables execution" };
            (
                format!("limits of {} (e edits, u a user's){overrides}{exec}", tv.tenant),
                desk.into_iter().map(|(f, v)| (f.label(), v, true)).collect(),
            )
        }
        Some((user, l)) => {
            let own = limit_values(l);
            (
                format!("limits of {user}@{} (e edits the override)", tv.tenant),
                own.into_iter()
                    .zip(desk)
                    .map(
                        |((f, v), (_, d))| {
                            if f.is_set(l) { (f.label(), v, true) } else { (f.label(), format!("desk: {d}"), false) }
                        },
                    )
                    .collect(),
            )
        }
    };
    let mut lines = vec![Line::styled(head, t.accent)];
    let cell = |(k, v, own): &(&str, String, bool), w: usize| -> Vec<Span<'static>> {
        vec![
            Span::styled(format!("{k:<21}"), t.text),
            Span::styled(format!("{v:<w$}"), if *own { t.text } else { t.muted }),
        ]
    };
    if two {
        for ch in pairs.chunks(2) {
            let mut spans = Vec::new();
            for (i, p) in ch.iter().enumerate() {
                if i > 0 {
                    spans.push(Span::raw(" "));
                }
                spans.extend(cell(p, 13));
            }
            lines.push(Line::from(spans));
        }
    } else {
        lines.extend(pairs.iter().map(|p| Line::from(cell(p, 0))));
    }
    lines
}

/// Each limit with its value, `none` where it does not apply.
fn limit_values(l: &Limits) -> Vec<(LimitField, String)> {
    let none = || "none".to_string();
    let num = |x: Option<f64>| x.map_or_else(none, |v| format!("{v}"));
    let usd = |x: Option<crate::model::Money>| x.map_or_else(none, |v| money_short(v.to_f64(), "USD"));
    LimitField::ALL
        .into_iter()
        .map(|f| {
            let v = match f {
                LimitField::MaxOrderQty => l.max_order_qty.map_or_else(none, qty),
                LimitField::MaxOrderNotional => usd(l.max_order_notional),
                LimitField::MaxAdvPct => l.max_adv_pct.map_or_else(none, |v| format!("{v}%")),
                LimitField::WarnAdvPct => l.warn_adv_pct.map_or_else(none, |v| format!("{v}%")),
                LimitField::PriceCollarBps => num(l.price_collar_bps),
                LimitField::RestrictedSymbols if l.restricted_symbols.is_empty() => none(),
                LimitField::RestrictedSymbols => l.restricted_symbols.iter().cloned().collect::<Vec<_>>().join(","),
                LimitField::MaxOpenOrders => l.max_open_orders.map_or_else(none, |n| n.to_string()),
                LimitField::MaxDailyNotional => usd(l.max_daily_notional),
            };
            (f, v)
        })
        .collect()
}
