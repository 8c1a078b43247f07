//! The parent/child blotter. Only the rows in the visible window are built
//! each frame (bottom's rule), so 100,000 children cost what 50 do. Column
//! widths come from the figures on screen (`columns::layout`): every digit
//! shows, compact units (`12.3m`) only when the terminal is too narrow for
//! the exact figures, and sideways scrolling (`<` `>`) rather than columns
//! silently dropped. While the engine does not answer, rows are greyed.

use super::super::app::{App, Pane};
use super::super::columns::{Col, Want, layout};
use super::super::format;
use super::super::table::RowRef;
use super::{block, bps_span, focused, progress, side_style, side_word, status_cell};
use crate::engine::view::OrderRow;
use crate::model::{ChildOrder, human};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, StatefulWidget, Table, TableState, Widget};

/// One cell before layout: its exact text, a compact form for figures, its style.
struct Text {
    exact: Span<'static>,
    compact: Option<String>,
    right: bool,
}

impl Text {
    fn left(s: impl Into<String>, style: Style) -> Text {
        Text { exact: Span::styled(s.into(), style), compact: None, right: false }
    }
    fn right(s: impl Into<String>, style: Style) -> Text {
        Text { exact: Span::styled(s.into(), style), compact: None, right: true }
    }
    fn figure(q: crate::model::Qty, style: Style) -> Text {
        Text { exact: Span::styled(human::qty(q), style), compact: Some(human::compact(q.to_f64())), right: true }
    }
    fn width(&self) -> u16 {
        self.exact.width() as u16
    }
    fn compact_width(&self) -> u16 {
        self.compact.as_ref().map_or(self.width(), |c| c.chars().count() as u16)
    }
}

/// Header text of a column: the time column names the desk's zone, the sorted one shows its direction.
fn head(app: &App, c: Col) -> String {
    let base = match c {
        Col::Time => format!("time {}", app.zone()),
        _ => c.head().to_string(),
    };
    let sorted = c.sort() == Some(app.table.sort) && !(c == Col::Id && app.columns.shown.contains(&Col::Time));
    if sorted { format!("{base} {}", if app.table.descending { "▼" } else { "▲" }) } else { base }
}

/// Draws the blotter.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let tbl = &app.table;
    let stale = app.stale();
    let b = block(t, title(app, None), focused(app, Pane::Blotter));
    let inner = b.inner(area);
    let body_h = usize::from(inner.height.saturating_sub(1));
    tbl.height.set(body_h as u16);
    app.hit.blotter_rows.set(Rect { y: inner.y + 1, height: inner.height.saturating_sub(1), ..inner });
    let cols = &app.columns.shown;
    let start = tbl.window_start(body_h);
    let end = (start + body_h).min(tbl.rows.len());
    // Build only the visible window.
    let cells: Vec<(usize, Vec<Text>)> = (start..end)
        .map(|i| {
            let texts = match tbl.rows[i] {
                RowRef::Parent(p) => parent_cells(app, &app.orders[p as usize], i, cols),
                RowRef::Child(p, c) => {
                    let o = &app.orders[p as usize];
                    match app.details.get(&o.order.id).and_then(|d| d.children.get(c as usize)) {
                        Some(k) => child_cells(app, o, k, app.fill_counts.get(&k.id).copied().unwrap_or(0), cols),
                        None => cols.iter().map(|_| Text::left("…", t.muted)).collect(),
                    }
                }
            };
            (i, texts)
        })
        .collect();
    let heads: Vec<String> = cols.iter().map(|c| head(app, *c)).collect();
    let wants: Vec<Want> = cols
        .iter()
        .enumerate()
        .map(|(j, c)| {
            let hw = heads[j].chars().count() as u16;
            let exact = cells.iter().map(|(_, r)| r[j].width()).max().unwrap_or(0).max(hw);
            let compact = cells.iter().map(|(_, r)| r[j].compact_width()).max().unwrap_or(0).max(hw);
            Want { col: *c, exact, compact }
        })
        .collect();
    let lay = layout(&wants, inner.width, app.columns.offset);
    app.hit.hidden_right.set(lay.hidden_right);
    let b = block(t, title(app, Some(&lay)), focused(app, Pane::Blotter));
    b.render(area, buf);
    let index_of = |c: Col| cols.iter().position(|x| *x == c).unwrap_or(0);
    let header = Row::new(lay.cols.iter().map(|(c, _)| {
        let h = &heads[index_of(*c)];
        let style = if c.sort() == Some(tbl.sort) { t.header.add_modifier(Modifier::UNDERLINED) } else { t.header };
        let line = if c.numeric() { Line::from(h.clone()).right_aligned() } else { Line::from(h.clone()) };
        Cell::from(line).style(style)
    }));
    let widths: Vec<Constraint> = lay.cols.iter().map(|(_, w)| Constraint::Length(*w)).collect();
    if tbl.rows.is_empty() {
        let msg = if app.orders.is_empty() {
            "No orders yet: press n for a new order ticket."
        } else {
            "No order matches the filter: press / to change it."
        };
        Line::styled(msg, t.muted).render(Rect { y: inner.y + 1, height: 1, ..inner }, buf);
        Widget::render(Table::new(Vec::<Row>::new(), widths).header(header), inner, buf);
        return;
    }
    let rows: Vec<Row> = cells
        .into_iter()
        .map(|(_, texts)| {
            let mut texts: Vec<Option<Text>> = texts.into_iter().map(Some).collect();
            Row::new(lay.cols.iter().map(|(col, _)| {
                let x = texts[index_of(*col)].take().unwrap_or_else(|| Text::left("", t.text));
                let style = if stale { t.muted } else { x.exact.style };
                // A compact column writes every figure compact, so its figures read evenly.
                let span = match x.compact {
                    Some(c) if lay.compact.contains(col) => Span::styled(c, style),
                    _ => Span::styled(x.exact.content, style),
                };
                let line = if x.right { Line::from(span).right_aligned() } else { Line::from(span) };
                Cell::from(line)
            }))
        })
        .collect();
    let mut state = TableState::default().with_selected(Some(tbl.index - start));
    StatefulWidget::render(
        Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED)),
        inner,
        buf,
        &mut state,
    );
}

/// The pane's title: counts, sort, filter, marks, columns off screen, STALE.
fn title(app: &App, lay: Option<&super::super::columns::Layout>) -> String {
    let tbl = &app.table;
    let parents = tbl.rows.iter().filter(|r| matches!(r, RowRef::Parent(_))).count();
    let mut s = format!(" Blotter · {parents} order{}", if parents == 1 { "" } else { "s" });
    if !tbl.filter.is_empty() {
        s.push_str(&format!(" · filter: {}", tbl.filter.text));
    }
    let marked = tbl.marked.len();
    if tbl.anchor.is_some() {
        s.push_str(" · VISUAL");
    } else if marked > 0 {
        s.push_str(&format!(" · {marked} marked"));
    }
    if let Some(l) = lay
        && (l.hidden_left > 0 || l.hidden_right > 0)
    {
        let left = if l.hidden_left > 0 { format!("◀ {} ", l.hidden_left) } else { String::new() };
        let right = if l.hidden_right > 0 { format!(" {} ▶", l.hidden_right) } else { String::new() };
        s.push_str(&format!(" · {left}more columns{right} (< > C)"));
    }
    if app.stale() {
        s.push_str(" · STALE");
    }
    s.push(' ');
    s
}

fn parent_cells(app: &App, r: &OrderRow, row: usize, cols: &[Col]) -> Vec<Text> {
    let t = &app.theme;
    let o = &r.order;
    let inst = app.instrument(&o.symbol);
    let adp = format::avg_dp(inst, r.mid.unwrap_or(100.0));
    let (status, st) = status_cell(t, o.status);
    let open = app.table.expanded.contains(&o.id);
    let glyph = if o.children == 0 {
        " "
    } else if open {
        "▾"
    } else {
        "▸"
    };
    let mark = if app.table.is_marked(o.id, row) { "✓" } else { " " };
    let base = if o.status.is_terminal() { t.muted } else { t.text };
    let quote_per = inst.map_or(1, |i| i.quote_per);
    cols.iter()
        .map(|c| match c {
            Col::Id => Text::left(format!("{mark}{glyph}{}", o.id), base),
            Col::Time => Text::left(app.hms(o.created_at), base),
            Col::Desk => Text::left(format!("{}/{}", o.owner.tenant, o.owner.user), base),
            Col::Symbol => Text::left(o.symbol.to_string(), base),
            Col::Side => Text::left(side_word(o.side), side_style(t, o.side)),
            Col::Qty => Text::figure(o.qty, base),
            Col::Filled => Text::figure(o.filled, base),
            Col::Done => Text::left(progress(o.filled.ratio(o.qty), 7), t.progress),
            // A final order has nothing left to do: its unfilled quantity is the residual, not leaves.
            Col::Leaves if o.status.is_terminal() => Text::right("-", t.muted),
            Col::Leaves => Text::figure(o.leaves(), base),
            Col::AvgPx => Text::right(format::px(o.avg_px(), adp), base),
            Col::Arrival => Text::right(format::px(o.arrival_px, adp), base),
            Col::Slip => {
                let s = bps_span(t, r.slippage_bps);
                Text { exact: s, compact: None, right: true }
            }
            Col::Notional => {
                let ccy = inst.map_or("", |i| &i.currency);
                let compact = human::compact(o.notional.per(quote_per).to_f64());
                Text {
                    exact: Span::styled(format!("{} {ccy}", format::notional_whole(o.notional, quote_per)), base),
                    compact: Some(format!("{compact} {ccy}")),
                    right: true,
                }
            }
            Col::Algo => Text::left(o.algo.as_str().to_uppercase(), base),
            Col::Status => Text::left(status.clone(), st),
            Col::Schedule => {
                let span = match r.schedule_deviation.filter(|_| !o.status.is_terminal()) {
                    Some(d) if d > 0.005 => Span::styled(format!("{:+.1}% ahead", d * 100.0), t.warning),
                    Some(d) if d < -0.005 => Span::styled(format!("{:+.1}% behind", d * 100.0), t.warning),
                    Some(_) => Span::styled("on plan", t.ok),
                    None => Span::styled("-", t.muted),
                };
                Text { exact: span, compact: None, right: false }
            }
        })
        .collect()
}

fn child_cells(app: &App, parent: &OrderRow, c: &ChildOrder, fills: usize, cols: &[Col]) -> Vec<Text> {
    let t = &app.theme;
    let inst = app.instrument(&parent.order.symbol);
    let ref_px = parent.mid.unwrap_or(100.0);
    let dp = format::price_dp(inst, ref_px);
    let adp = format::avg_dp(inst, ref_px);
    let style = if c.status.is_terminal() { t.muted } else { t.text };
    let lat = c.acked_at.map_or("-".to_string(), |a| format::latency_us((a.0 - c.sent_at.0) as f64 / 1e3));
    let kind = format!(
        "{} {}",
        match c.order_type {
            crate::model::OrderType::Limit => "LMT",
            crate::model::OrderType::Market => "MKT",
        },
        match c.tif {
            crate::model::Tif::Ioc => "IOC",
            crate::model::Tif::Day => "DAY",
            crate::model::Tif::Close => "CLS",
        }
    );
    let status_style = match c.status {
        crate::model::ChildStatus::Filled => t.filled,
        crate::model::ChildStatus::Rejected => t.rejected,
        crate::model::ChildStatus::Cancelled => t.cancelled,
        _ => t.working,
    };
    let quote_per = inst.map_or(1, |i| i.quote_per);
    cols.iter()
        .map(|col| match col {
            Col::Id => Text::left(format!("  └C{}", c.id.seq), style),
            Col::Time => Text::left(app.hms(c.sent_at), style),
            Col::Desk => Text::left("", style),
            Col::Symbol => Text::left(c.venue.to_string(), style),
            Col::Side => Text::left(side_word(c.side), side_style(t, c.side)),
            Col::Qty => Text::figure(c.qty, style),
            Col::Filled => Text::figure(c.filled, style),
            Col::Done => Text::left(progress(c.filled.ratio(c.qty), 7), t.progress),
            Col::Leaves if c.status.is_terminal() => Text::right("-", t.muted),
            Col::Leaves => Text::figure(c.leaves(), style),
            Col::AvgPx => Text::right(format::px(c.avg_px(), adp), style),
            Col::Arrival => {
                Text::right(c.px.map_or_else(|| "MKT".into(), |p| format!("@{}", format::px(Some(p), dp))), style)
            }
            Col::Slip => Text::right(lat.clone(), style),
            Col::Notional => {
                let exact = format::notional_whole(c.notional, quote_per);
                let compact = human::compact(c.notional.per(quote_per).to_f64());
                Text { exact: Span::styled(exact, style), compact: Some(compact), right: true }
            }
            Col::Algo => Text::left(kind.clone(), style),
            Col::Status => Text::left(c.status.as_str().replace('_', " "), status_style),
            Col::Schedule => Text::left(format!("{fills} fill{}", if fills == 1 { "" } else { "s" }), style),
        })
        .collect()
}
