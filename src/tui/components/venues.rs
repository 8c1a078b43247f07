//! The venue routing view: the consolidated book with the NBBO marked, each
//! venue's bid/ask and sizes, fees and latency, learned fill probability,
//! our fill share as a bar chart, and the router's recent decisions with
//! their reasons.

use super::super::app::App;
use super::{hms, qty_short};
use crate::engine::view::{BookView, VenueView};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Widget, Wrap};

/// Draws the venue view for the focused symbol and the selected order.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let Some(book) = &app.book else {
        Paragraph::new(Line::styled("Select an order (or type a symbol in the ticket) to see its venues.", t.muted))
            .render(area, buf);
        return;
    };
    let book_h = book.venues.len() as u16 + 3;
    if area.width >= 110 {
        let [left, right] = Layout::horizontal([Constraint::Min(72), Constraint::Percentage(38)]).areas(area);
        let [table_area, decisions_area] =
            Layout::vertical([Constraint::Length(book_h), Constraint::Min(0)]).areas(left);
        book_table(app, book, table_area, buf);
        decisions(app, decisions_area, buf);
        share_chart(app, right, buf);
    } else {
        // Narrow terminals: stack the panes instead of squeezing them side by side.
        // The book comes first; the share bars get what is left, then the decisions.
        let shares = app.tca.as_ref().map_or(1, |(_, s)| s.venues.len().max(1)) as u16 + 1;
        let rest = area.height.saturating_sub(book_h);
        // The decisions get a row of their own under their title or are not
        // drawn: the rows a title alone would take go to the share bars.
        let shares = if rest >= shares + DECISIONS_LEAST { shares } else { rest };
        let [table_area, share_area, decisions_area] =
            Layout::vertical([Constraint::Length(book_h), Constraint::Length(shares), Constraint::Min(0)]).areas(area);
        book_table(app, book, table_area, buf);
        share_chart(app, share_area, buf);
        decisions(app, decisions_area, buf);
    }
}

fn book_table(app: &App, book: &BookView, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let dp = super::super::format::price_dp(app.instrument(&book.symbol), book.mid);
    let bid = book.nbbo.bid;
    let ask = book.nbbo.ask;
    let p = |x: Option<crate::model::Price>| super::px(x, dp);
    let venue_of = |name: &str| -> Option<&VenueView> { app.venues.iter().find(|v| &*v.venue == name) };

    let spread_bps = book.nbbo.spread().map(|s| s / book.mid * 1e4);
    // The mid a desk reads over this table is the NBBO's, not the simulator's latent
    // price (0.6 bp apart on a Treasury): that one only stands in for a one-sided book.
    let quoted_mid = super::super::format::mid(book);
    let mut rows = vec![
        Row::new(vec![
            Cell::from("★ NBBO"),
            Cell::from(Line::from(bid.map_or("-".into(), |l| qty_short(l.qty.to_f64()))).right_aligned()),
            Cell::from(Line::from(p(bid.map(|l| l.px))).right_aligned()),
            Cell::from(Line::from(p(ask.map(|l| l.px))).right_aligned()),
            Cell::from(Line::from(ask.map_or("-".into(), |l| qty_short(l.qty.to_f64()))).right_aligned()),
            Cell::from(format!("spread {}", spread_bps.map_or("-".into(), |s| format!("{s:.1}bp")))),
        ])
        .style(t.nbbo.add_modifier(Modifier::BOLD)),
    ];
    for v in &book.venues {
        let vb = v.bids.first();
        let va = v.asks.first();
        let at_bid = vb.is_some() && vb.map(|l| l.px) == bid.map(|l| l.px);
        let at_ask = va.is_some() && va.map(|l| l.px) == ask.map(|l| l.px);
        let mark = |on: bool, s: String| if on { format!("*{s}") } else { s };
        let info = venue_of(&v.venue);
        let fees = info.map_or("-".into(), |i| fees(&i.maker_fee, &i.taker_fee));
        let lat = info.map_or("-".into(), |i| super::super::format::latency_us(i.latency_us));
        let prob = info.map_or("-".into(), |i| format!("{:.0}%", i.fill_prob * 100.0));
        let ours = if v.ours.is_empty() { "" } else { "◆" };
        let price_style = |on: bool| if on { t.nbbo.add_modifier(Modifier::UNDERLINED) } else { t.text };
        rows.push(Row::new(vec![
            Cell::from(format!("{}{ours}", v.venue)),
            Cell::from(Line::from(vb.map_or("-".into(), |l| qty_short(l.qty.to_f64()))).right_aligned()),
            Cell::from(Line::from(mark(at_bid, p(vb.map(|l| l.px)))).right_aligned()).style(price_style(at_bid)),
            Cell::from(Line::from(mark(at_ask, p(va.map(|l| l.px)))).right_aligned()).style(price_style(at_ask)),
            Cell::from(Line::from(va.map_or("-".into(), |l| qty_short(l.qty.to_f64()))).right_aligned()),
            Cell::from(fees),
            Cell::from(Line::from(lat).right_aligned()),
            Cell::from(Line::from(prob).right_aligned()),
        ]));
    }
    let header =
        Row::new(["venue", "bid sz", "bid", "ask", "ask sz", "fee mkr/tkr", "latency", "fill p"]).style(t.header);
    let widths = [
        Constraint::Length(9),
        Constraint::Length(6),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(6),
        Constraint::Length(13),
        Constraint::Length(7),
        Constraint::Length(6),
    ];
    let title = Line::from(vec![
        Span::styled(
            format!(" {} consolidated book · mid {} ", book.symbol, super::super::format::px_f64(quoted_mid, dp)),
            t.title,
        ),
        Span::styled("(* at NBBO, ◆ our resting order) ", t.muted),
    ]);
    Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .block(Block::default().borders(Borders::TOP).border_style(t.border).title(title))
        .render(area, buf);
}

/// Maker/taker fees: cents per share for equities (negative = rebate), bps of notional elsewhere.
fn fees(maker: &crate::model::Fee, taker: &crate::model::Fee) -> String {
    use crate::model::Fee;
    match (maker, taker) {
        (Fee::PerUnit(m), Fee::PerUnit(t)) => format!("{:.2}/{:.2}¢", m.to_f64() * 100.0, t.to_f64() * 100.0),
        (Fee::Bps(m), Fee::Bps(t)) => format!("{m:.1}/{t:.1}bp"),
        (m, t) => format!("{}/{}", one(m), one(t)),
    }
}

fn one(f: &crate::model::Fee) -> String {
    match f {
        crate::model::Fee::PerUnit(m) => format!("{:.2}¢", m.to_f64() * 100.0),
        crate::model::Fee::Bps(b) => format!("{b:.1}bp"),
    }
}

/// The fewest rows the routing decisions are drawn in: the title and a
/// decision under it (a title alone read as an empty history).
const DECISIONS_LEAST: u16 = 2;

fn decisions(app: &App, area: Rect, buf: &mut Buffer) {
    if area.height < DECISIONS_LEAST {
        return;
    }
    let t = &app.theme;
    let b = Block::default()
        .borders(Borders::TOP)
        .border_style(t.border)
        .title(Span::styled(format!(" routing decisions · times {} ", app.zone()), t.title));
    let inner = b.inner(area);
    b.render(area, buf);
    let Some(o) = app.selected_order() else { return };
    let Some(d) = app.details.get(&o.order.id) else {
        Line::styled("loading…", t.muted).render(inner, buf);
        return;
    };
    if d.decisions.is_empty() {
        Line::styled("no routing decision yet", t.muted).render(inner, buf);
        return;
    }
    let tz = app.tz;
    let lines: Vec<Line> = d
        .decisions
        .iter()
        .rev()
        .take(usize::from(inner.height) / 2 + 1)
        .flat_map(|r| {
            let alloc: Vec<String> =
                r.allocations.iter().map(|a| format!("{} {}", a.venue, qty_short(a.qty.to_f64()))).collect();
            // Each continues under itself when it wraps (at the pane's edge it read as a
            // decision of its own): the allocation after its time, the reason indented.
            let head = Line::from(vec![
                Span::styled(format!("{} ", hms(r.ts, tz)), t.muted),
                Span::styled(format!("{:?} ", r.intent.urgency).to_lowercase(), t.accent),
                Span::styled(format!("{} → {}", qty_short(r.intent.qty.to_f64()), alloc.join(", ")), t.text),
            ]);
            let mut out = super::hang::hanging(head, inner.width);
            out.extend(super::hang::hanging(Line::styled(format!("  {}", r.reason), t.muted), inner.width));
            out
        })
        .collect();
    Paragraph::new(lines).wrap(Wrap { trim: false }).render(inner, buf);
}

fn share_chart(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let b = Block::default()
        .borders(Borders::TOP | Borders::LEFT)
        .border_style(t.border)
        .title(Span::styled(" fill share by venue ", t.title));
    let inner = b.inner(area);
    b.render(area, buf);
    let Some((_, s)) = &app.tca else {
        Line::styled("select an order to see where it filled", t.muted).render(inner, buf);
        return;
    };
    if s.venues.is_empty() {
        Line::styled("no fills yet", t.muted).render(inner, buf);
        return;
    }
    // A text bar per venue: the length carries the share, the figure repeats it in words.
    let bar_w = usize::from(inner.width).saturating_sub(9 + 22).max(4);
    let lines: Vec<Line> = s
        .venues
        .iter()
        .map(|v| {
            let v = &v.exec;
            let full = (v.share * bar_w as f64).round() as usize;
            Line::from(vec![
                Span::styled(format!("{:<9}", v.venue), t.text),
                Span::styled("█".repeat(full), t.bar),
                Span::styled("░".repeat(bar_w - full.min(bar_w)), t.muted),
                Span::styled(format!(" {:>5.1}% {:>5} fills", v.share * 100.0, v.fills), t.text),
            ])
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
}
