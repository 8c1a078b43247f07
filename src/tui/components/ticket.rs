//! The order ticket overlay: fields with their messages on the left, the
//! live pre-trade panel on the right (below it on narrow screens' share),
//! and the review in words before sending. Times are the desk's, labelled;
//! bond notionals are price per 100 face times face value.

use super::super::app::App;
use super::super::format;
use super::super::ticket::{FieldId, Stage, Ticket};
use super::{block, centered, money_short, qty};
use crate::engine::view::InstrumentView;
use crate::model::{Price, Qty};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

/// One cost model's figure in the pre-trade panel.
#[derive(Debug, Clone, PartialEq)]
pub struct CostRow {
    /// Model name.
    pub model: String,
    /// Cost in bps of notional.
    pub bps: f64,
    /// Cost in the instrument's currency.
    pub amount: f64,
    /// The inputs, so the figure explains itself.
    pub inputs: String,
}

/// The pre-trade figures of a ticket (what can be computed from the book and the plan).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreTrade {
    /// Price used for notional (limit, else mid).
    pub ref_px: Option<f64>,
    /// Quantity times reference price, per unit quoted (bonds: per 100 face).
    pub notional: Option<f64>,
    /// Quantity over average daily volume.
    pub pct_adv: Option<f64>,
    /// NBBO spread in bps of the mid.
    pub spread_bps: Option<f64>,
    /// Per-model costs.
    pub rows: Vec<CostRow>,
    /// Total in bps and currency, and which models it adds up.
    pub total: Option<(f64, f64, String)>,
}

/// Short names for model inputs, so each fits its line (`volatility_per_ms` -> `vol/ms`).
fn input_name(k: &str) -> String {
    match k {
        "vol_per_ms" | "volatility_per_ms" => "vol/ms".into(),
        "aggressive_qty" => "crossing".into(),
        "markout_bps" => "markout bps".into(),
        "latency_ms" => "latency ms".into(),
        "samples" => "fills seen".into(),
        other => other.replace('_', " "),
    }
}

/// Computes the pre-trade figures of a ticket.
pub fn pre_trade(t: &Ticket, inst: Option<&InstrumentView>) -> PreTrade {
    let q = Qty::parse_human(t.qty.value()).ok().filter(|q| q.is_positive()).map(|q| q.to_f64());
    let book = t.preview.book.as_ref();
    let mid = book.map(format::mid);
    let limit = Price::parse(t.limit.value().trim()).ok().map(|p| p.to_f64());
    let ref_px = limit.or(mid);
    let spread = book.and_then(|b| b.nbbo.spread());
    let per = inst.map_or(1, |i| i.quote_per.max(1)) as f64;
    let mut p = PreTrade {
        ref_px,
        notional: q.zip(ref_px).map(|(q, p)| q * p / per),
        pct_adv: q.zip(inst.map(|i| i.adv.to_f64())).filter(|(_, a)| *a > 0.0).map(|(q, a)| q / a),
        spread_bps: spread.zip(mid).map(|(s, m)| s / m * 1e4),
        rows: Vec::new(),
        total: None,
    };
    // An amendment crosses with what it has left to do, as the engine estimates it.
    let cross_q = if t.amending().is_some() { t.residual().map(|r| r.to_f64()) } else { q };
    if let Some(Ok(e)) = &t.preview.estimate {
        // The engine's impact models, each with the inputs that explain it.
        p.rows = e
            .models
            .iter()
            .map(|m| CostRow {
                model: m.model.replace('_', " "),
                bps: m.bps,
                amount: m.cost,
                inputs: m
                    .inputs
                    .iter()
                    // Price and quantity are on the ticket already.
                    .filter(|(k, _)| !matches!(k.as_str(), "price" | "qty"))
                    .take(4)
                    .map(|(k, v)| format!("{} {}", input_name(k), format::model_input(*v)))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect();
        p.total = Some((e.total_bps, e.total_cost, e.total_of.join(" + ").replace('_', " ")));
    } else if let (Some(q), Some(s), Some(m)) = (cross_q, spread, mid) {
        // Spread cross: 0.5 * spread * qty if every unit crossed.
        p.rows.push(CostRow {
            model: "spread cross".into(),
            bps: 0.5 * s / m * 1e4,
            amount: 0.5 * s * q / per,
            inputs: format!("½ × spread {} × {}", format::model_input(s), format::compact(q)),
        });
    }
    p
}

/// The order in words, for the review step.
pub fn review_lines(app: &App, t: &Ticket) -> Vec<String> {
    let m = app.market();
    let inst = m.instrument(t.symbol.value());
    let name = inst.map_or(String::new(), |i| format!(" ({})", i.name));
    if let Some(id) = t.amending() {
        let Some(r) = (match &t.mode {
            super::super::ticket::Mode::Amend(r) => Some(r),
            _ => None,
        }) else {
            return Vec::new();
        };
        let new_q = t.qty.value().trim();
        let new_l =
            if t.limit.value().trim().is_empty() { "none".to_string() } else { t.limit.value().trim().to_string() };
        return vec![
            format!("Amend {id}: {} {} {}{name}", super::side_word(r.order.side), qty(r.order.qty), r.order.symbol),
            format!("quantity {} → {}", qty(r.order.qty), Qty::parse_human(new_q).map_or(new_q.to_string(), qty)),
            format!("limit {} → {new_l}", r.order.limit_px.map_or("none".into(), |p| p.to_string())),
        ];
    }
    let side = match t.side {
        crate::model::Side::Buy => "Buy",
        crate::model::Side::Sell => "Sell",
    };
    let q = Qty::parse_human(t.qty.value()).map_or(t.qty.value().to_string(), qty);
    let sym = t.symbol.value().trim().to_uppercase();
    let from = if t.start.value().trim().is_empty() { "now".to_string() } else { t.start.value().trim().to_string() };
    let to = match (t.end.value().trim(), t.end_day(&m)) {
        ("", _) => "the close".to_string(),
        (end, Some(day)) => format!("{end} {day}"),
        (end, None) => end.to_string(),
    };
    let params: Vec<String> = super::super::params::for_algo(t.algo)
        .filter_map(|s| t.params.get(s.name).map(|i| (s.name, i.value().trim())).filter(|(_, v)| !v.is_empty()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let pt = pre_trade(t, inst);
    let mut out = vec![
        format!("{side} {q} {sym}{name}"),
        format!("with {} from {from} to {to} ({} desk time)", t.algo.as_str().to_uppercase(), app.zone()),
        match t.limit.value().trim() {
            "" => "no limit price".to_string(),
            l => format!("limit {l}: nothing executes {} it", if side == "Buy" { "above" } else { "below" }),
        },
    ];
    if inst.is_some_and(|i| i.quote_per > 1) {
        out.push(format!("priced per {} face", inst.map_or(100, |i| i.quote_per)));
    }
    if !params.is_empty() {
        out.push(format!("parameters: {}", params.join(", ")));
    }
    if let (Some(n), Some(a)) = (pt.notional, pt.pct_adv) {
        out.push(format!(
            "about {} notional, {} of ADV",
            money_short(n, inst.map_or("USD", |i| &i.currency)),
            // To the pre-trade panel's digits: the same figure beside it.
            format::pct_of_adv(a, 3)
        ));
    }
    out
}

/// Draws the ticket over `area`.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(tk) = &app.ticket else { return };
    let th = &app.theme;
    let r = centered(area, 118, 34);
    super::clear(&app.theme, r, buf);
    let title = match tk.amending() {
        Some(id) => format!(" Amend {id} "),
        None => " New order ".to_string(),
    };
    let b = block(th, title, true);
    let inner = b.inner(r);
    b.render(r, buf);
    // The fields keep what they need; the pre-trade panel takes the rest (its columns fit in 36).
    let left_w = (inner.width / 2).clamp(40, 58);
    let [left, right] = Layout::horizontal([Constraint::Length(left_w), Constraint::Min(30)]).areas(inner);
    if tk.stage == Stage::Review {
        let mut lines: Vec<Line> = vec![Line::styled("Review", th.header), Line::default()];
        lines.extend(review_lines(app, tk).into_iter().map(|s| Line::styled(s, th.text)));
        lines.push(Line::default());
        let send = vec![
            Span::styled(" y/enter ", th.hint_key),
            Span::styled(if tk.amending().is_some() { " send amendment   " } else { " send order   " }, th.hint_desc),
        ];
        let back = vec![Span::styled(" n/esc ", th.hint_key), Span::styled(" back to edit", th.hint_desc)];
        // Side by side when they fit, else one a row: wrapped, "edit" was left alone at the edge.
        let width: usize = send.iter().chain(&back).map(Span::width).sum();
        if width <= usize::from(left.width) {
            lines.push(Line::from([send, back].concat()));
        } else {
            lines.push(Line::from(send));
            lines.push(Line::from(back));
        }
        Paragraph::new(lines).wrap(Wrap { trim: false }).render(left, buf);
    } else {
        fields(app, tk, left, buf);
    }
    super::pre_trade::panel(app, tk, right, buf);
}

fn fields(app: &App, tk: &Ticket, area: Rect, buf: &mut Buffer) {
    let th = &app.theme;
    let m = app.market();
    let errors = tk.errors(&m);
    let value_w = usize::from(area.width.saturating_sub(16)).clamp(8, 24);
    // One group of lines per field (its message or help under it), so a
    // ticket taller than its pane scrolls by whole fields.
    let mut groups: Vec<Vec<Line>> = Vec::new();
    let mut focus_group = 0;
    let read_only = |label: &str, v: String| {
        Line::from(vec![Span::styled(format!("  {label:<10} "), th.muted), Span::styled(v, th.muted)])
    };
    if let super::super::ticket::Mode::Amend(r) = &tk.mode {
        groups.push(vec![read_only(
            "order",
            format!(
                "{} {} {} {}",
                r.order.id,
                super::side_word(r.order.side),
                r.order.symbol,
                r.order.algo.as_str().to_uppercase()
            ),
        )]);
        groups.push(vec![read_only("filled", qty(r.order.filled))]);
    }
    let zone = app.zone();
    for f in tk.fields() {
        let focused = f == tk.focus;
        let label_style = if focused { th.field_focus } else { th.muted };
        let marker = if focused { "▶ " } else { "  " };
        let label = match f {
            FieldId::Start | FieldId::End => format!("{} {zone}", f.label()),
            _ => tk.label(f).to_string(),
        };
        let value: Vec<Span> = match f {
            FieldId::Side => vec![choice(th, focused, super::side_word(tk.side))],
            FieldId::Algo => vec![choice(th, focused, &tk.algo.as_str().to_uppercase())],
            f if tk.is_choice(f) => {
                let v = tk.input(f).map(|i| i.value().to_string()).filter(|v| !v.is_empty());
                vec![choice(th, focused, v.as_deref().unwrap_or("default"))]
            }
            _ => {
                let inp = tk.input(f);
                let text = inp.map(|i| i.value().to_string()).unwrap_or_default();
                if focused {
                    let i = inp.map_or(0, |i| i.visual_cursor());
                    let scroll = inp.map_or(0, |x| x.visual_scroll(value_w));
                    let shown: String = text.chars().skip(scroll).collect();
                    let cur = i - scroll;
                    let (a, b): (String, String) =
                        (shown.chars().take(cur).collect(), shown.chars().skip(cur).collect());
                    let mut b_chars = b.chars();
                    let at = b_chars.next().map_or(" ".to_string(), |c| c.to_string());
                    vec![
                        Span::styled(a, th.input),
                        Span::styled(at, th.input.add_modifier(ratatui::style::Modifier::REVERSED)),
                        Span::styled(b_chars.collect::<String>(), th.input),
                    ]
                } else if text.is_empty() {
                    vec![Span::styled(placeholder(f), th.muted)]
                } else {
                    vec![Span::styled(text, th.text)]
                }
            }
        };
        let msg = tk.message(f, &errors);
        let verdict = match &msg {
            Some(_) => Span::styled(" ✗", th.error),
            None => Span::styled(" ✓", th.ok),
        };
        let mut spans = vec![Span::styled(format!("{marker}{label:<10} "), label_style)];
        spans.extend(value);
        spans.push(verdict);
        let mut lines = vec![Line::from(spans)];
        if focused {
            focus_group = groups.len();
        }
        if let Some(msg) = msg {
            lines.push(Line::styled(format!("    {msg}"), th.error));
        } else if focused {
            focus_help(app, tk, f, &mut lines);
        }
        groups.push(lines);
    }
    let wrap = |lines: Vec<Line<'static>>| -> Vec<Line<'static>> {
        lines.into_iter().flat_map(|l| super::hang::hanging(l, area.width)).collect()
    };
    let groups: Vec<Vec<Line>> = groups.into_iter().map(wrap).collect();
    // The hints fill rows by whole hints: wrapped as words, a row began with "· esc closes".
    let mut footer = vec![Line::default()];
    let mut row = String::new();
    for hint in ["enter reviews", "tab/↑↓ move", "←/→ choose", "esc closes"] {
        if !row.is_empty() && Line::raw(format!("{row} · {hint}")).width() > usize::from(area.width) {
            footer.push(Line::styled(std::mem::take(&mut row), th.muted));
        }
        row = if row.is_empty() { hint.to_string() } else { format!("{row} · {hint}") };
    }
    footer.push(Line::styled(row, th.muted));
    let heights: Vec<usize> = groups.iter().map(Vec::len).collect();
    let room = usize::from(area.height).saturating_sub(footer.len());
    let w = super::window::fit(&heights, focus_group, room);
    let mut lines: Vec<Line> = Vec::new();
    if w.above() {
        lines.push(Line::styled(format!("  ↑ {} more", w.first), th.muted));
    }
    lines.extend(groups[w.first..w.end].iter().flatten().cloned());
    if w.below(groups.len()) {
        lines.push(Line::styled(format!("  ↓ {} more", groups.len() - w.end), th.muted));
    }
    lines.extend(footer);
    Paragraph::new(lines).wrap(Wrap { trim: false }).render(area, buf);
}

/// What the focused field takes: completions or recent symbols, the session's hours, the choices.
fn focus_help(app: &App, tk: &Ticket, f: FieldId, lines: &mut Vec<Line<'static>>) {
    let th = &app.theme;
    let m = app.market();
    match f {
        FieldId::Symbol if tk.symbol.value().trim().is_empty() && !app.recent.is_empty() => {
            lines
                .push(Line::styled(format!("    recent: {} (tab takes the first)", app.recent.join(" · ")), th.accent));
        }
        FieldId::Symbol => {
            let c: Vec<String> = tk.completions(&m, 5).iter().map(|i| i.symbol.to_string()).collect();
            if !c.is_empty() && m.instrument(tk.symbol.value()).is_none() {
                lines.push(Line::styled(format!("    tab completes: {}", c.join(" · ")), th.accent));
            }
        }
        FieldId::Start | FieldId::End => {
            if let Some(h) = m.instrument(tk.symbol.value()).and_then(|i| m.hours(i)) {
                lines.push(Line::styled(format!("    HH:MM desk time; today {h}"), th.muted));
            }
        }
        _ => {}
    }
    if let Some(s) = tk.param_spec(f) {
        let list = match s.kind {
            super::super::params::ParamKind::Choice(opts) => format!(" ({}; ←/→)", opts.join(" · ")),
            _ => String::new(),
        };
        lines.push(Line::styled(format!("    {}{list}", s.help), th.muted));
    }
}

fn choice<'a>(th: &super::super::theme::Theme, focused: bool, v: &str) -> Span<'a> {
    if focused { Span::styled(format!("◀ {v} ▶"), th.input) } else { Span::styled(v.to_string(), th.text) }
}

fn placeholder(f: FieldId) -> String {
    match f {
        FieldId::Symbol => "e.g. AAPL".into(),
        FieldId::Qty => "e.g. 25k".into(),
        FieldId::Limit => "none".into(),
        FieldId::Start => "now".into(),
        FieldId::End => "close".into(),
        FieldId::Param(_) => "default".into(),
        _ => String::new(),
    }
}
