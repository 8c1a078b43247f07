//! The positions tab: per desk and symbol the net position, its average
//! cost, the mid, realised and unrealised P&L, fees and the total, then each
//! desk's totals and the book's, per currency (see `positions.rs` for the
//! method). Exact figures when they fit, compact units when not.

use super::super::app::App;
use super::super::format;
use super::super::positions::{Position, Total};
use crate::model::human;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table, Widget};

/// A cell's exact and compact text, right-aligned unless it is a name.
struct Fig {
    exact: String,
    compact: String,
    style: Style,
    right: bool,
}

fn name(s: impl Into<String>, style: Style) -> Fig {
    let s = s.into();
    Fig { compact: s.clone(), exact: s, style, right: false }
}

fn pnl(app: &App, v: Option<f64>) -> Fig {
    let t = &app.theme;
    match v {
        None => Fig { exact: "-".into(), compact: "-".into(), style: t.muted, right: true },
        Some(x) => {
            let style = if x > 0.005 {
                t.profit
            } else if x < -0.005 {
                t.loss
            } else {
                t.text
            };
            // The sign is written, so profit and loss never rest on colour.
            let sign = if x > 0.005 { "+" } else { "" };
            Fig {
                exact: format!("{sign}{}", human::fixed(x, 2)),
                compact: format!("{sign}{}", human::compact(x)),
                style,
                right: true,
            }
        }
    }
}

fn price(app: &App, p: &Position, v: Option<f64>) -> Fig {
    let dp = format::avg_dp(app.instrument(&p.symbol), v.unwrap_or(100.0));
    let s = v.map_or_else(|| "-".into(), |x| format::px_f64(x, dp));
    Fig { compact: s.clone(), exact: s, style: app.theme.text, right: true }
}

fn position_row(app: &App, p: &Position) -> Vec<Fig> {
    let t = &app.theme;
    let net = p.net_raw();
    let net_style = if net == 0 { t.muted } else { t.text };
    vec![
        name(p.tenant.clone(), t.text),
        name(p.symbol.clone(), t.text),
        Fig {
            exact: p.net_text(),
            compact: human::compact(net as f64 / crate::model::Qty::SCALE as f64),
            style: net_style,
            right: true,
        },
        price(app, p, p.avg_cost()),
        price(app, p, p.mid),
        pnl(app, Some(p.realised())),
        pnl(app, p.unrealised()),
        pnl(app, Some(-p.fees())),
        pnl(app, p.unrealised().map(|u| p.realised() + u - p.fees())),
        name(p.currency.clone(), t.muted),
    ]
}

fn total_row(app: &App, tot: &Total) -> Vec<Fig> {
    let t = &app.theme;
    let who = tot.tenant.as_deref().map_or_else(|| "ALL DESKS".to_string(), |d| format!("{d} total"));
    let flag = if tot.missing_mid { " (a mid missing)" } else { "" };
    let bold = super::strong(t.text);
    vec![
        name(who, bold),
        name(flag, t.warning),
        name("", t.text),
        name("", t.text),
        name("", t.text),
        pnl(app, Some(tot.realised)),
        pnl(app, Some(tot.unrealised)),
        pnl(app, Some(-tot.fees)),
        pnl(app, Some(tot.total())),
        name(tot.currency.clone(), bold),
    ]
}

const HEADS: [&str; 10] =
    ["desk", "symbol", "net", "avg cost", "mid", "realised", "unrealised", "fees", "total", "ccy"];
/// Columns given up, in this order, when even compact figures do not fit: mid, fees.
const OPTIONAL: [usize; 2] = [4, 7];

/// Draws the positions tab.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let book = &app.positions;
    if book.rows.is_empty() {
        Paragraph::new(Line::styled(
            "No positions yet: they appear as orders fill (net, average cost, P&L against the mid).",
            t.muted,
        ))
        .render(area, buf);
        return;
    }
    let mut rows: Vec<Vec<Fig>> = Vec::new();
    for d in book.tenants() {
        rows.extend(book.rows.iter().filter(|p| p.tenant == d).map(|p| position_row(app, p)));
        rows.extend(book.totals.iter().filter(|x| x.tenant.as_deref() == Some(d)).map(|x| total_row(app, x)));
    }
    // With one desk its totals are the book's: not said twice.
    if book.tenants().len() > 1 {
        rows.extend(book.totals.iter().filter(|x| x.tenant.is_none()).map(|x| total_row(app, x)));
    }
    let width = |compact: bool, j: usize| -> u16 {
        let w = rows.iter().map(|r| if compact { r[j].compact.chars().count() } else { r[j].exact.chars().count() });
        w.max().unwrap_or(0).max(HEADS[j].len()) as u16
    };
    let fits =
        |ws: &[(usize, u16)]| ws.iter().map(|(_, w)| u32::from(*w) + 1).sum::<u32>() <= u32::from(area.width) + 1;
    let all: Vec<usize> = (0..HEADS.len()).collect();
    let exact: Vec<(usize, u16)> = all.iter().map(|&j| (j, width(false, j))).collect();
    let compact: Vec<(usize, u16)> = all.iter().map(|&j| (j, width(true, j))).collect();
    let (cols, use_compact) = if fits(&exact) {
        (exact, false)
    } else {
        // One at a time: the fees make a row's total add up, so they go only when the mid
        // going is not enough.
        let mut cols = compact;
        for drop in OPTIONAL {
            if fits(&cols) {
                break;
            }
            cols.retain(|(j, _)| *j != drop);
        }
        (cols, true)
    };
    let header = Row::new(cols.iter().map(|(j, _)| {
        let h = HEADS[*j];
        Cell::from(if *j >= 2 && *j <= 8 { Line::from(h).right_aligned() } else { Line::from(h) })
    }))
    .style(t.header);
    let body: Vec<Row> = rows
        .iter()
        .map(|r| {
            Row::new(cols.iter().map(|(j, _)| {
                let f = &r[*j];
                let s = if use_compact { f.compact.clone() } else { f.exact.clone() };
                let line = if f.right { Line::from(s).right_aligned() } else { Line::from(s) };
                Cell::from(line).style(f.style)
            }))
        })
        .collect();
    let widths: Vec<Constraint> = cols.iter().map(|(_, w)| Constraint::Length(*w)).collect();
    let mut note = "intraday, average price: realised on the matched quantity, unrealised against the mid";
    if note.chars().count() > usize::from(area.width) {
        // Cut, it lost what unrealised is against: the same in fewer words.
        note = "intraday, avg price: realised on matched qty, unrealised vs mid";
    }
    let [table, foot] = ratatui::layout::Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    Table::new(body, widths).header(header).column_spacing(1).render(table, buf);
    Line::styled(note, t.muted).render(foot, buf);
}
