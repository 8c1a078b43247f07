//! The parent/child blotter. Only the rows in the visible window are built
//! each frame (bottom's rule), so 100,000 children cost what 50 do. Columns
//! drop from the right by priority when the terminal is narrow.

use super::super::app::{App, Pane};
use super::super::table::RowRef;
use super::{block, bps_span, focused, hms, progress, px, qty, side_style, side_word, status_cell};
use crate::engine::view::OrderRow;
use crate::model::ChildOrder;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, StatefulWidget, Table, TableState, Widget};

/// A column: header, width, and the priority with which it stays when space is short (lower stays longer).
struct Col {
    head: &'static str,
    width: u16,
    keep: u8,
}

const COLS: [Col; 14] = [
    Col { head: "id", width: 7, keep: 0 },
    Col { head: "time", width: 8, keep: 3 },
    Col { head: "symbol", width: 8, keep: 0 },
    Col { head: "side", width: 6, keep: 0 },
    Col { head: "qty", width: 9, keep: 1 },
    Col { head: "filled", width: 9, keep: 2 },
    Col { head: "% done", width: 13, keep: 0 },
    Col { head: "leaves", width: 9, keep: 4 },
    Col { head: "avg px", width: 9, keep: 1 },
    Col { head: "arrival", width: 9, keep: 4 },
    Col { head: "slip bps", width: 8, keep: 1 },
    Col { head: "algo", width: 7, keep: 2 },
    Col { head: "status", width: 12, keep: 0 },
    Col { head: "schedule", width: 13, keep: 3 },
];

/// Which columns fit in `width` (1 space between columns, 2 borders).
fn fitting(width: u16) -> Vec<usize> {
    let mut shown: Vec<usize> = (0..COLS.len()).collect();
    let total = |s: &[usize]| s.iter().map(|&i| COLS[i].width + 1).sum::<u16>() + 2;
    for level in (1..=4).rev() {
        while total(&shown) > width {
            match shown.iter().rposition(|&i| COLS[i].keep == level) {
                Some(p) => {
                    shown.remove(p);
                }
                None => break,
            }
        }
    }
    shown
}

/// Draws the blotter.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let tbl = &app.table;
    let sort = format!("{}{}", tbl.sort.label(), if tbl.descending { " ↓" } else { " ↑" });
    let filter = if tbl.filter.is_empty() { String::new() } else { format!(" · filter: {}", tbl.filter.text) };
    let parents = tbl.rows.iter().filter(|r| matches!(r, RowRef::Parent(_))).count();
    let title = format!(" Blotter · {parents} orders · {} rows · sort {sort}{filter} ", tbl.rows.len());
    let b = block(t, title, focused(app, Pane::Blotter));
    let inner = b.inner(area);
    b.render(area, buf);
    let body_h = usize::from(inner.height.saturating_sub(1));
    tbl.height.set(body_h as u16);
    app.hit.blotter_rows.set(Rect { y: inner.y + 1, height: inner.height.saturating_sub(1), ..inner });
    let shown = fitting(area.width);
    let header = Row::new(shown.iter().map(|&i| {
        let c = &COLS[i];
        let marked = c.head == tbl.sort.label() || (c.head == "time" && tbl.sort.label() == "time");
        Cell::from(c.head).style(if marked { t.header.add_modifier(Modifier::UNDERLINED) } else { t.header })
    }));
    if tbl.rows.is_empty() {
        let msg = if app.orders.is_empty() {
            "No orders yet: press n for a new order ticket."
        } else {
            "No order matches the filter: press / to change it."
        };
        Line::styled(msg, t.muted).render(Rect { y: inner.y + 1, height: 1, ..inner }, buf);
        Widget::render(Table::new(Vec::<Row>::new(), widths(&shown)).header(header), inner, buf);
        return;
    }
    let start = tbl.window_start(body_h);
    let end = (start + body_h).min(tbl.rows.len());
    // Build only the visible window.
    let rows: Vec<Row> = tbl.rows[start..end]
        .iter()
        .map(|r| match *r {
            RowRef::Parent(i) => parent_row(app, &app.orders[i as usize], &shown),
            RowRef::Child(i, c) => {
                let o = &app.orders[i as usize];
                match app.details.get(&o.order.id).and_then(|d| d.children.get(c as usize).map(|k| (d, k))) {
                    Some((_, k)) => child_row(app, o, k, app.fill_counts.get(&k.id).copied().unwrap_or(0), &shown),
                    None => Row::new(vec![Cell::from("…")]),
                }
            }
        })
        .collect();
    let mut state = TableState::default().with_selected(Some(tbl.index - start));
    StatefulWidget::render(
        Table::new(rows, widths(&shown))
            .header(header)
            .column_spacing(1)
            .row_highlight_style(ratatui::style::Style::new().add_modifier(Modifier::REVERSED)),
        inner,
        buf,
        &mut state,
    );
}

fn widths(shown: &[usize]) -> Vec<Constraint> {
    shown.iter().map(|&i| Constraint::Length(COLS[i].width)).collect()
}

fn parent_row<'a>(app: &App, r: &'a OrderRow, shown: &[usize]) -> Row<'a> {
    let t = &app.theme;
    let o = &r.order;
    let tz = app.tz_of(&o.symbol);
    let dp = super::price_dp(r.mid.unwrap_or(100.0));
    let (status, st) = status_cell(t, o.status);
    let open = app.table.expanded.contains(&o.id);
    let glyph = if o.children == 0 {
        " "
    } else if open {
        "▾"
    } else {
        "▸"
    };
    let dev = match r.schedule_deviation.filter(|_| !o.status.is_terminal()) {
        Some(d) if d > 0.005 => Span::styled(format!("{:+.1}% ahead", d * 100.0), t.warning),
        Some(d) if d < -0.005 => Span::styled(format!("{:+.1}% behind", d * 100.0), t.warning),
        Some(_) => Span::styled("on plan", t.ok),
        None => Span::styled("-", t.muted),
    };
    let muted = o.status.is_terminal();
    let base = if muted { t.muted } else { t.text };
    let cells: Vec<Cell> = shown
        .iter()
        .map(|&i| match i {
            0 => Cell::from(format!("{glyph}{}", o.id)).style(base),
            1 => Cell::from(hms(o.created_at, tz)).style(base),
            2 => Cell::from(o.symbol.to_string()).style(base),
            3 => Cell::from(side_word(o.side)).style(side_style(t, o.side)),
            4 => Cell::from(Line::from(qty(o.qty)).right_aligned()).style(base),
            5 => Cell::from(Line::from(qty(o.filled)).right_aligned()).style(base),
            6 => Cell::from(progress(o.filled.ratio(o.qty), 7)).style(t.progress),
            7 => Cell::from(Line::from(qty(o.leaves())).right_aligned()).style(base),
            8 => Cell::from(Line::from(px(o.avg_px(), dp)).right_aligned()).style(base),
            9 => Cell::from(Line::from(px(o.arrival_px, dp)).right_aligned()).style(base),
            10 => Cell::from(Line::from(bps_span(t, r.slippage_bps)).right_aligned()),
            11 => Cell::from(o.algo.as_str().to_uppercase()).style(base),
            12 => Cell::from(status.clone()).style(st),
            _ => Cell::from(dev.clone()),
        })
        .collect();
    Row::new(cells)
}

fn child_row<'a>(app: &App, parent: &OrderRow, c: &'a ChildOrder, fills: usize, shown: &[usize]) -> Row<'a> {
    let t = &app.theme;
    let tz = app.tz_of(&parent.order.symbol);
    let dp = super::price_dp(parent.mid.unwrap_or(100.0));
    let style = if c.status.is_terminal() { t.muted } else { t.text };
    let lat = c.acked_at.map_or("-".to_string(), |a| format!("{:.2}ms", (a.0 - c.sent_at.0) as f64 / 1e6));
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
    let cells: Vec<Cell> = shown
        .iter()
        .map(|&i| match i {
            0 => Cell::from(format!(" └C{}", c.id.seq)),
            1 => Cell::from(hms(c.sent_at, tz)),
            2 => Cell::from(c.venue.to_string()),
            3 => Cell::from(side_word(c.side)).style(side_style(t, c.side)),
            4 => Cell::from(Line::from(qty(c.qty)).right_aligned()),
            5 => Cell::from(Line::from(qty(c.filled)).right_aligned()),
            6 => Cell::from(progress(c.filled.ratio(c.qty), 7)).style(t.progress),
            7 => Cell::from(Line::from(qty(c.leaves())).right_aligned()),
            8 => Cell::from(Line::from(px(c.avg_px(), dp)).right_aligned()),
            9 => {
                Cell::from(Line::from(c.px.map_or("MKT".into(), |p| format!("@{:.*}", dp, p.to_f64()))).right_aligned())
            }
            10 => Cell::from(Line::from(lat.clone()).right_aligned()),
            11 => Cell::from(kind.clone()),
            12 => Cell::from(c.status.as_str().replace('_', " ")).style(status_style),
            _ => Cell::from(format!("{fills} fill{}", if fills == 1 { "" } else { "s" })),
        })
        .collect();
    Row::new(cells).style(style)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_drop_by_priority_but_keep_the_essentials() {
        let all = fitting(400);
        assert_eq!(all.len(), COLS.len());
        let narrow = fitting(80);
        let names: Vec<&str> = narrow.iter().map(|&i| COLS[i].head).collect();
        for must in ["id", "symbol", "side", "% done", "status"] {
            assert!(names.contains(&must), "{must} dropped at 80 columns: {names:?}");
        }
        assert!(narrow.iter().map(|&i| COLS[i].width + 1).sum::<u16>() + 2 <= 80);
    }
}
