//! Drawing the review: a pure function of the view's state. Only the
//! visible rows are built, so ten thousand orders draw like fifty.

use super::{Level, ReviewView};
use crate::model::human;
use crate::tca::batch::OrderTca;
use crate::tca::group::GroupRow;
use crate::tui::components::{bps_span, px};
use crate::tui::format::price_dp;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph, Widget};

fn money(m: crate::model::Money) -> String {
    human::group(&format!("{m:.0}"))
}

fn cell(s: &str, w: usize, right: bool) -> String {
    let s: String = s.chars().take(w).collect();
    if right { format!("{s:>w$} ") } else { format!("{s:<w$} ") }
}

/// The first row to show so that `selected` is on screen in `height` rows.
fn window(selected: usize, height: usize) -> usize {
    selected.saturating_sub(height.saturating_sub(1))
}

impl Widget for &ReviewView {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = &self.theme;
        if area.height < 8 || area.width < 40 {
            Line::styled("the terminal is too small for the TCA review", t.muted).render(area, buf);
            return;
        }
        let [title, tabs, body, total, hints] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(3),
            Constraint::Length(1),
        ])
        .areas(area);
        self.title(title, buf);
        self.tabs(tabs, buf);
        match &self.level {
            Level::Groups => self.groups(body, buf),
            Level::Orders { group, orders } => self.orders(*group, orders, body, buf),
            Level::Order { order, .. } => self.order(&self.review.batch.orders[*order], body, buf),
        }
        self.total(total, buf);
        let keys = match self.level {
            Level::Groups => "enter the group's orders · tab/←→ grouping · ↑↓ move · q quit",
            Level::Orders { .. } => "enter the order · esc back · ↑↓ move · pgup/pgdn page · q quit",
            Level::Order { .. } => "esc back to the group · q quit",
        };
        Line::styled(keys, t.hint_desc).render(hints, buf);
    }
}

impl ReviewView {
    fn title(&self, area: Rect, buf: &mut Buffer) {
        let t = &self.theme;
        let b = &self.review.batch;
        let mut spans = vec![
            Span::styled(" TCA review ", t.title),
            Span::styled(
                format!(
                    "· {} of {} orders · times in {} · bps, + = cost ",
                    b.orders.len(),
                    b.orders_in,
                    self.review.tz
                ),
                t.muted,
            ),
        ];
        if !b.issues.is_empty() {
            spans.push(Span::styled(
                format!("· ! {} issue(s) left out (see the text or HTML report)", b.issues.len()),
                t.warning,
            ));
        }
        Line::from(spans).render(area, buf);
    }

    fn tabs(&self, area: Rect, buf: &mut Buffer) {
        let t = &self.theme;
        let mut spans = vec![Span::styled(" by ", t.muted)];
        for (i, g) in self.review.groupings.iter().enumerate() {
            let name: Vec<&str> = g.dims.iter().map(|d| d.name()).collect();
            let style = if i == self.tab { t.accent.add_modifier(Modifier::REVERSED) } else { t.text };
            spans.push(Span::styled(format!(" {} ", name.join(" × ")), style));
            spans.push(Span::styled("│", t.border));
        }
        Line::from(spans).render(area, buf);
    }

    fn group_header(&self) -> String {
        let dims: Vec<&str> = self.dims().iter().map(|d| d.name()).collect();
        [cell(&dims.join(" / "), 24, false), cell("orders", 6, true), cell("fills", 7, true), cell("paper", 14, true)]
            .concat()
            + &[cell("IS bps", 8, true), cell("sd", 7, true), cell("delay", 7, true), cell("trading", 7, true)].concat()
            + &[cell("opport.", 7, true), cell("fees", 6, true), cell("arrival", 8, true), cell("VWAP", 8, true)]
                .concat()
    }

    fn group_line(&self, r: &GroupRow, selected: bool) -> Line<'static> {
        let t = &self.theme;
        let flag = if r.outliers.is_empty() { " " } else { "!" };
        let lead = format!(
            "{flag}{}{}{}{}",
            cell(&r.key.join(" / "), 23, false),
            cell(&r.orders.to_string(), 6, true),
            cell(&r.fills.to_string(), 7, true),
            cell(&money(r.paper), 14, true)
        );
        let b = |x: Option<f64>, w: usize| {
            let s = bps_span(t, x);
            Span::styled(cell(&s.content, w, true), s.style)
        };
        let mut spans = vec![
            Span::styled(lead, t.text),
            b(r.shortfall_bps.mean, 8),
            Span::styled(cell(&r.shortfall_bps.sd.map_or("-".into(), |s| format!("{s:.1}")), 7, true), t.muted),
            b(Some(r.delay_bps), 7),
            b(Some(r.trading_bps), 7),
            b(Some(r.opportunity_bps), 7),
            b(Some(r.fees_bps), 6),
            b(r.arrival_bps.mean, 8),
            b(r.vwap_bps.mean, 8),
        ];
        if selected {
            for s in &mut spans {
                s.style = s.style.add_modifier(Modifier::REVERSED);
            }
        }
        Line::from(spans)
    }

    fn groups(&self, area: Rect, buf: &mut Buffer) {
        let t = &self.theme;
        let Some(g) = self.review.groupings.get(self.tab) else {
            Line::styled("no grouping", t.muted).render(area, buf);
            return;
        };
        let mut lines = vec![Line::styled(self.group_header(), t.header)];
        let h = usize::from(area.height).saturating_sub(2);
        let start = window(self.selected, h);
        for (i, r) in g.rows.iter().enumerate().skip(start).take(h) {
            lines.push(self.group_line(r, i == self.selected));
        }
        if let Some(r) = g.rows.get(self.selected).filter(|r| !r.outliers.is_empty()) {
            let list: Vec<String> = r
                .outliers
                .iter()
                .take(6)
                .map(|o| format!("{} {:+.1} (z {:+.1})", o.order_id, o.shortfall_bps, o.z))
                .collect();
            lines.push(Line::styled(
                format!("! outliers beyond {} sd: {}", self.review.outlier_sd, list.join(", ")),
                t.warning,
            ));
        }
        Paragraph::new(lines).render(area, buf);
    }

    fn orders(&self, group: usize, orders: &[usize], area: Rect, buf: &mut Buffer) {
        let t = &self.theme;
        let tz = self.tz();
        let key = self
            .review
            .groupings
            .get(self.tab)
            .and_then(|g| g.rows.get(group))
            .map_or(String::new(), |r| r.key.join(" / "));
        let outliers: Vec<&str> = self
            .review
            .groupings
            .get(self.tab)
            .and_then(|g| g.rows.get(group))
            .map_or(Vec::new(), |r| r.outliers.iter().map(|o| o.order_id.as_str()).collect());
        let mut lines = vec![
            Line::styled(format!("{key}: {} order(s), costliest first", orders.len()), t.accent),
            Line::styled(
                [
                    cell(" order", 13, false),
                    cell("symbol", 8, false),
                    cell("side", 6, false),
                    cell("qty", 11, true),
                    cell("filled", 11, true),
                    cell("arrival", 19, false),
                    cell("IS bps", 8, true),
                    cell("arrival", 8, true),
                    cell("VWAP", 8, true),
                    cell("size %", 7, true),
                ]
                .concat(),
                t.header,
            ),
        ];
        let h = usize::from(area.height).saturating_sub(3);
        let start = window(self.selected, h);
        for (row, &i) in orders.iter().enumerate().skip(start).take(h) {
            let o = &self.review.batch.orders[i];
            let r = &o.tca;
            let (glyph, side_style) = match r.side {
                crate::model::Side::Buy => ("▲ BUY", t.buy),
                crate::model::Side::Sell => ("▼ SELL", t.sell),
            };
            let flag = if outliers.contains(&o.order.id.as_str()) { "!" } else { " " };
            let b = |x: Option<f64>| {
                let s = bps_span(t, x);
                Span::styled(cell(&s.content, 8, true), s.style)
            };
            let mut spans = vec![
                Span::styled(
                    format!("{flag}{}{}", cell(&o.order.id, 12, false), cell(&o.order.symbol, 8, false)),
                    t.text,
                ),
                Span::styled(cell(glyph, 6, false), side_style),
                Span::styled(
                    format!(
                        "{}{}{}",
                        cell(&human::qty(r.order_qty), 11, true),
                        cell(&human::qty(r.filled_qty), 11, true),
                        cell(&o.order.arrival.in_tz(tz).format("%Y-%m-%d %H:%M:%S").to_string(), 19, false)
                    ),
                    t.text,
                ),
                b(r.implementation_shortfall.map(|s| s.total_bps)),
                b(r.arrival_slippage_bps),
                b(r.vwap_slippage_bps),
                Span::styled(cell(&o.size_pct.map_or("-".into(), |s| format!("{s:.2}")), 7, true), t.muted),
            ];
            if row == self.selected {
                for s in &mut spans {
                    s.style = s.style.add_modifier(Modifier::REVERSED);
                }
            }
            lines.push(Line::from(spans));
        }
        Paragraph::new(lines).render(area, buf);
    }

    fn order(&self, o: &OrderTca, area: Rect, buf: &mut Buffer) {
        let t = &self.theme;
        let [left, right] = Layout::horizontal([Constraint::Length(44), Constraint::Fill(1)]).areas(area);
        let r = &o.tca;
        let dp = price_dp(None, r.arrival_px.map_or(100.0, |p| p.to_f64()));
        let tz = self.tz();
        let kv = |k: &str, v: Span<'static>| Line::from(vec![Span::styled(format!("{k:<18}"), t.muted), v]);
        let text = |s: String| Span::styled(s, t.text);
        let who: Vec<String> = [
            ("broker", &o.order.broker),
            ("algo", &o.order.algo),
            ("trader", &o.order.trader),
            ("desk", &o.order.desk),
        ]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
        .collect();
        let mut lines = vec![
            Line::styled(format!("{} {} {} {}", o.order.id, o.order.symbol, r.side, human::qty(r.order_qty)), t.accent),
            Line::styled(if who.is_empty() { "-".into() } else { who.join(", ") }, t.muted),
            kv(
                "window",
                text(format!(
                    "{} - {}",
                    o.order.arrival.in_tz(tz).format("%m-%d %H:%M:%S"),
                    o.order.end.in_tz(tz).format("%H:%M:%S %Z")
                )),
            ),
            kv("filled", text(format!("{} in {} fills", human::qty(r.filled_qty), o.fill_count))),
            kv("avg / arrival", text(format!("{} / {}", px(r.avg_px, dp), px(r.arrival_px, dp)))),
            kv("decision / end", text(format!("{} / {}", px(r.decision_px, dp), px(r.end_px, dp)))),
            kv("interval VWAP", text(px(r.interval_vwap, dp))),
            kv("vs arrival bps", bps_span(t, r.arrival_slippage_bps)),
            kv("vs VWAP bps", bps_span(t, r.vwap_slippage_bps)),
            kv("size % of volume", text(o.size_pct.map_or("-".into(), |s| format!("{s:.2}")))),
        ];
        if let Some(sf) = r.implementation_shortfall {
            lines.push(kv("IS bps", bps_span(t, Some(sf.total_bps))));
            lines.push(kv(" delay", bps_span(t, Some(sf.delay_bps))));
            lines.push(kv(" trading", bps_span(t, Some(sf.trading_bps))));
            lines.push(kv(" opportunity", bps_span(t, Some(sf.opportunity_bps))));
            lines.push(kv(" fees", bps_span(t, Some(sf.fees_bps))));
            lines.push(kv("IS", text(human::group(&format!("{:.2}", sf.total)))));
        }
        // The pre-trade estimate beside the realised cost (or why there is none).
        match &r.pre_trade {
            Some(p) => {
                lines.push(kv("pre-trade est.", bps_span(t, Some(p.estimate.total_bps))));
                lines.push(kv(" realised - est.", bps_span(t, p.difference.as_ref().map(|d| d.total_bps))));
            }
            None if o.pre_trade_basis.as_ref().is_some_and(|b| b.unavailable.is_some()) => {
                lines.push(kv("pre-trade est.", text("none (why: --json)".into())));
            }
            None => {}
        }
        let m: Vec<String> =
            r.markouts_bps.values().iter().map(|x| x.map_or("-".into(), |b| format!("{b:+.1}"))).collect();
        lines.push(kv("markouts 1s/5s", text(format!("{} / {}", m[0], m[1]))));
        lines.push(kv("markouts 30s/5m", text(format!("{} / {}", m[2], m[3]))));
        Paragraph::new(lines).block(Block::default().borders(Borders::RIGHT).border_style(t.border)).render(left, buf);
        self.chart(o, right, buf);
    }

    fn chart(&self, o: &OrderTca, area: Rect, buf: &mut Buffer) {
        let t = &self.theme;
        let t0 = o.order.arrival.0;
        let secs = |ts: i64| (ts - t0) as f64 / 1e9;
        let x_max = secs(o.order.end.0).max(1.0);
        let market: Vec<(f64, f64)> =
            o.chart.iter().filter_map(|b| Some(((secs(b.t0.0) + secs(b.t1.0)) / 2.0, b.vwap?.to_f64()))).collect();
        let fills: Vec<(f64, f64)> = o.fills.iter().map(|f| (secs(f.ts.0), f.px.to_f64())).collect();
        let level = |p: Option<crate::model::Price>| {
            p.map(|p| vec![(0.0, p.to_f64()), (x_max, p.to_f64())]).unwrap_or_default()
        };
        let (arrival, ivwap) = (level(o.tca.arrival_px), level(o.tca.interval_vwap));
        let ys = market.iter().chain(&fills).chain(&arrival).chain(&ivwap).map(|p| p.1);
        let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| (a.min(y), b.max(y)));
        if !lo.is_finite() {
            Line::styled("no prices in the window", t.muted).render(area, buf);
            return;
        }
        let pad = ((hi - lo) * 0.05).max(hi.abs() * 1e-5);
        let dp = price_dp(None, hi);
        let tz = self.tz();
        let at = |s: f64| crate::model::Timestamp(t0 + (s * 1e9) as i64).in_tz(tz).format("%H:%M:%S").to_string();
        let title = Line::from(vec![
            Span::styled(" market VWAP ", t.title),
            Span::styled("⣿", t.chart_mid),
            Span::styled(" · fills ", t.title),
            Span::styled("▪", t.chart_fill),
            Span::styled(" · arrival ", t.title),
            Span::styled("·", t.muted),
            Span::styled(" · interval VWAP ", t.title),
            Span::styled("•", t.chart_vwap),
            Span::raw(" "),
        ]);
        let datasets = vec![
            Dataset::default().marker(Marker::Dot).graph_type(GraphType::Line).style(t.muted).data(&arrival),
            Dataset::default().marker(Marker::Dot).graph_type(GraphType::Line).style(t.chart_vwap).data(&ivwap),
            Dataset::default().marker(Marker::Braille).graph_type(GraphType::Line).style(t.chart_mid).data(&market),
            Dataset::default()
                .marker(Marker::HalfBlock)
                .graph_type(GraphType::Scatter)
                .style(t.chart_fill)
                .data(&fills),
        ];
        Chart::new(datasets)
            // The plot paints the theme's background: unstyled, a chart resets it to the
            // terminal's own (a black box in the light theme on a dark terminal).
            .style(t.text)
            .block(Block::default().borders(Borders::TOP).border_style(t.border).title(title))
            .x_axis(Axis::default().bounds([0.0, x_max]).labels([at(0.0), at(x_max / 2.0), at(x_max)]).style(t.muted))
            .y_axis(
                Axis::default()
                    .bounds([lo - pad, hi + pad])
                    .labels([super::super::format::px_f64(lo - pad, dp), super::super::format::px_f64(hi + pad, dp)])
                    .style(t.muted),
            )
            .render(area, buf);
    }

    fn total(&self, area: Rect, buf: &mut Buffer) {
        let t = &self.theme;
        let a = &self.review.total;
        let first = Line::from(vec![
            Span::styled(" all orders: IS ", t.muted),
            bps_span(t, a.shortfall_bps.mean),
            Span::styled(
                format!(
                    " bps (sd {}) · paper {} · fill rate {:.1}% · vs arrival ",
                    a.shortfall_bps.sd.map_or("-".into(), |s| format!("{s:.1}")),
                    money(a.paper),
                    a.fill_rate * 100.0
                ),
                t.muted,
            ),
            bps_span(t, a.arrival_bps.mean),
            Span::styled(" · vs VWAP ", t.muted),
            bps_span(t, a.vwap_bps.mean),
        ]);
        let fit = match &self.review.size_fit {
            Some(f) => format!(
                " slippage vs size: {:.2} + {:.2} × √(filled / interval volume) bps, R² {:.2}, {} orders",
                f.a, f.b, f.r2, f.n
            ),
            None => " slippage vs size: too few orders to fit".into(),
        };
        Paragraph::new(vec![first, Line::styled(fit, t.muted)])
            .block(Block::default().borders(Borders::TOP).border_style(t.border))
            .style(Style::default())
            .render(area, buf);
    }
}
