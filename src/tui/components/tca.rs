//! The TCA panel for the selected order: the report's metrics (prices,
//! slippage, implementation shortfall and its decomposition, markouts, algo
//! and venue attribution, a VWAP order's tracking per bucket), cumulative
//! executed quantity against the planned schedule, and fill prices against
//! the mid and the running interval VWAP. An order that ended with quantity
//! left says why above all of it.
//! Live orders update as fills arrive (every refresh reloads the report).

use super::super::app::App;
use super::{bps_span, hms, px, qty, qty_short};
use crate::engine::view::{OrderDetail, OrderRow};
use crate::tca::TcaReport as Summary;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph, Widget};

/// Draws the TCA panel.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let Some(o) = app.selected_order() else {
        Paragraph::new(Line::styled("Select an order to see its transaction cost analysis.", t.muted))
            .render(area, buf);
        return;
    };
    // Why it ended with quantity left, across the panel above the figures it explains
    // (filled, opportunity cost), wrapped under itself rather than cut at 80 columns.
    let area = match super::detail::end_reason(app) {
        Some(why) => {
            let line = Line::from(vec![
                Span::styled(format!("{:<LABEL$}", "ended short"), t.muted),
                Span::styled(format!("{} unfilled: {why}", qty(o.order.leaves())), t.warning),
            ]);
            let rows = super::hang::hanging(line, area.width);
            let [top, rest] = Layout::vertical([Constraint::Length(rows.len() as u16), Constraint::Min(0)]).areas(area);
            Paragraph::new(rows).render(top, buf);
            rest
        }
        None => area,
    };
    // Narrow terminals keep the metrics and one chart at a readable width.
    let price_share = if area.width >= 110 { 50 } else { 0 };
    let summary = app.tca.as_ref().filter(|(id, _)| *id == o.order.id).map(|(_, s)| s);
    // The metrics column is as wide as its widest figure (every digit of 10,000,000 of 50,000,000)
    // up to half the panel; past that, figures go compact or onto their own lines (never cut).
    let widest = metric_lines(app, o, summary, usize::MAX).iter().map(|(_, v)| v.width()).max().unwrap_or(0) as u16;
    let m_w = (LABEL as u16 + widest).clamp(37, area.width / 2);
    let [m, exec, prices] = Layout::horizontal([
        Constraint::Length(m_w),
        Constraint::Percentage(100 - price_share),
        Constraint::Percentage(price_share),
    ])
    .areas(area);
    metrics(app, o, summary, m, buf);
    match app.details.get(&o.order.id) {
        Some(d) => {
            executed_chart(app, d, exec, buf);
            if prices.width > 0 {
                price_chart(app, d, summary, prices, buf);
            }
        }
        None => Line::styled("loading…", t.muted).render(exec, buf),
    }
}

/// Width of the metrics' labels.
const LABEL: usize = 17;

/// Label/value lines of the metrics column, each value at most `room` wide
/// where it can be said shorter: quantities in compact units (`1.8m of 50m`),
/// the average and arrival prices on a line each.
pub fn metric_lines(app: &App, o: &OrderRow, s: Option<&Summary>, room: usize) -> Vec<(String, Span<'static>)> {
    let t = &app.theme;
    let dp = super::super::format::avg_dp(app.instrument(&o.order.symbol), o.mid.unwrap_or(100.0));
    let p = |x| Span::styled(px(x, dp), t.text);
    let ord = &o.order;
    let mut filled = format!("{} of {}", qty(ord.filled), qty(ord.qty));
    if filled.chars().count() > room {
        filled = format!("{} of {}", qty_short(ord.filled.to_f64()), qty_short(ord.qty.to_f64()));
    }
    let mut v: Vec<(String, Span<'static>)> = vec![("filled".into(), Span::styled(filled, t.text))];
    let (avg, arrival) = (px(ord.avg_px(), dp), px(ord.arrival_px, dp));
    if avg.chars().count() + 3 + arrival.chars().count() <= room {
        v.push(("avg / arrival".into(), Span::styled(format!("{avg} / {arrival}"), t.text)));
    } else {
        v.push(("avg px".into(), Span::styled(avg, t.text)));
        v.push(("arrival px".into(), Span::styled(arrival, t.text)));
    }
    let Some(s) = s else {
        v.push(("analysis".into(), Span::styled("loading…", t.muted)));
        return v;
    };
    v.push(("interval VWAP".into(), p(s.interval_vwap)));
    v.push(("arrival slip bps".into(), bps_span(t, s.arrival_slippage_bps)));
    v.push(("VWAP slip bps".into(), bps_span(t, s.vwap_slippage_bps)));
    v.push(("participation".into(), Span::styled(format!("{:.2}%", s.participation * 100.0), t.text)));
    match &s.implementation_shortfall {
        Some(is) => {
            v.push(("IS bps".into(), bps_span(t, Some(is.total_bps))));
            v.push((" delay".into(), bps_span(t, Some(is.delay_bps))));
            v.push((" trading".into(), bps_span(t, Some(is.trading_bps))));
            v.push((" opportunity".into(), bps_span(t, Some(is.opportunity_bps))));
            v.push((" fees".into(), bps_span(t, Some(is.fees_bps))));
            let total = is.total.to_f64();
            let ccy = app.instruments.iter().find(|i| i.symbol == ord.symbol).map_or("USD", |i| &i.currency);
            let style = if total > 0.0 { t.loss } else { t.profit };
            v.push(("IS".into(), Span::styled(super::money_short(total, ccy), style)));
        }
        None => v.push(("IS".into(), Span::styled("needs a decision price", t.muted))),
    }
    if let Some(a) = &s.algo {
        v.push((
            "impact / timing".into(),
            Span::styled(format!("{:+.1} / {:+.1} bps", a.impact_bps, a.timing_bps), t.text),
        ));
    }
    // The estimate fixed at submission beside what the order realised (+ = cost):
    // its total ± its timing risk (one sd, both in bps) and in currency, then spread + impact
    // estimated against realised (the realised total is the arrival slippage above).
    if let Some(pt) = &s.pre_trade {
        let e = &pt.estimate;
        let ccy = app.instruments.iter().find(|i| i.symbol == ord.symbol).map_or("USD", |i| &i.currency);
        let est = format!("{:+.1} ±{:.0} bps {}", e.total_bps, e.timing_risk_bps, super::money_short(e.total, ccy));
        v.push(("pre-trade est".into(), Span::styled(est, t.text)));
        let real = pt.realised.as_ref().and_then(|r| r.impact_bps.map(|i| r.spread_bps + i));
        let diff = pt.difference.as_ref().and_then(|d| d.cost_bps);
        let style = match diff {
            Some(d) if d > 0.0 => t.loss,
            Some(_) => t.profit,
            None => t.muted,
        };
        let f = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:+.1}"));
        v.push((" est/real cost".into(), Span::styled(format!("{:+.1} / {} bps", e.total_bps, f(real)), style)));
    }
    let m = s.markouts_bps.values();
    let mk: Vec<String> = m.iter().map(|x| x.map_or("-".into(), |b| format!("{b:+.1}"))).collect();
    v.push(("markouts 1s/5s".into(), Span::styled(format!("{} / {}", mk[0], mk[1]), t.text)));
    v.push(("markouts 30s/5m".into(), Span::styled(format!("{} / {}", mk[2], mk[3]), t.text)));
    v
}

fn metrics(app: &App, o: &OrderRow, s: Option<&Summary>, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let b = Block::default()
        .borders(Borders::TOP)
        .border_style(t.border)
        .title(Span::styled(" metrics (+ = cost) ", t.title));
    let inner = b.inner(area);
    b.render(area, buf);
    let room = usize::from(inner.width).saturating_sub(LABEL);
    let mut lines: Vec<Line> = metric_lines(app, o, s, room)
        .into_iter()
        .map(|(k, v)| Line::from(vec![Span::styled(format!("{k:<LABEL$}"), t.muted), v]))
        .collect();
    // A VWAP order's tracking per bucket when all of it fits: planned, forecast, market, executed shares.
    if let Some(track) = s.and_then(|s| s.vwap_tracking.as_deref()).filter(|t| !t.is_empty())
        && usize::from(inner.height) > lines.len() + track.len() + 1
    {
        // The desk's clock, labelled, like every other time on screen (not the exchange's, unsaid).
        let from = format!("from {}", app.zone());
        let w = from.chars().count() + 1;
        lines.push(Line::styled(format!("{from:<w$}{:>7}{:>7}{:>7}{:>7}", "plan", "fcst", "mkt", "exec"), t.header));
        for b in track {
            let pct = |x: f64| format!("{:>6.1}%", x * 100.0);
            lines.push(Line::styled(
                format!(
                    "{:<w$}{}{}{}{}",
                    &app.hms(b.start)[..5],
                    pct(b.planned),
                    pct(b.forecast),
                    pct(b.market),
                    pct(b.executed)
                ),
                t.text,
            ));
        }
    }
    // Venue attribution when there is room: share, cost contribution and fees per venue.
    if let Some(s) = s.filter(|s| !s.venues.is_empty())
        && usize::from(inner.height) > lines.len() + 2
    {
        lines.push(Line::styled(format!("{:<8}{:>6} {:>8} {:>9}", "venue", "share", "cost bp", "fees"), t.header));
        for v in &s.venues {
            let cost = v.cost_bps.map_or("-".into(), |c| format!("{c:+.2}"));
            lines.push(Line::styled(
                format!("{:<8}{:>5.1}% {:>8} {:>9.2}", v.exec.venue, v.exec.share * 100.0, cost, v.exec.fees.to_f64()),
                t.text,
            ));
        }
    }
    Paragraph::new(lines).render(inner, buf);
}

/// Seconds since the order's start, for chart x values.
fn secs(d: &OrderDetail, ts: crate::model::Timestamp) -> f64 {
    (ts.0 - d.row.order.start.0) as f64 / 1e9
}

fn x_axis<'a>(app: &App, d: &OrderDetail, x_max: f64, style: Style) -> Axis<'a> {
    let tz = app.tz;
    let at = |s: f64| hms(crate::model::Timestamp(d.row.order.start.0 + (s * 1e9) as i64), tz)[..5].to_string();
    Axis::default().bounds([0.0, x_max.max(1.0)]).labels([at(0.0), at(x_max / 2.0), at(x_max)]).style(style)
}

fn executed_chart(app: &App, d: &OrderDetail, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let o = &d.row.order;
    let plan: Vec<(f64, f64)> = d.plan.iter().map(|s| (secs(d, s.at), s.cum.to_f64())).collect();
    let mut cum = 0.0;
    let mut exec: Vec<(f64, f64)> = vec![(0.0, 0.0)];
    for f in &d.fills {
        cum += f.qty.to_f64();
        exec.push((secs(d, f.ts), cum));
    }
    let end = d.market.last().map_or(secs(d, o.end), |p| secs(d, p.ts)).max(exec.last().map_or(0.0, |p| p.0));
    let x_max = plan.last().map_or(end, |p| p.0.max(end));
    let y_max = o.qty.to_f64().max(cum).max(1.0);
    // Lines differ by glyph as well as colour, and the title is the legend.
    let datasets = vec![
        Dataset::default().marker(Marker::Dot).graph_type(GraphType::Scatter).style(t.chart_plan).data(&plan),
        Dataset::default().marker(Marker::Braille).graph_type(GraphType::Line).style(t.chart_exec).data(&exec),
    ];
    let title = Line::from(vec![
        Span::styled(format!(" {} · executed ", app.zone()), t.title),
        Span::styled("⣿", t.chart_exec),
        Span::styled(" vs planned ", t.title),
        Span::styled("•", t.chart_plan),
        Span::raw(" "),
    ]);
    Chart::new(datasets)
        // The plot paints the theme's background: unstyled, a chart resets it to the
        // terminal's own (a black box in the light theme on a dark terminal).
        .style(t.text)
        .block(Block::default().borders(Borders::TOP | Borders::LEFT).border_style(t.border).title(title))
        .x_axis(x_axis(app, d, x_max, t.muted))
        .y_axis(Axis::default().bounds([0.0, y_max]).labels(["0".to_string(), super::qty_short(y_max)]).style(t.muted))
        .render(area, buf);
}

fn price_chart(app: &App, d: &OrderDetail, s: Option<&Summary>, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let mid: Vec<(f64, f64)> = d.market.iter().map(|p| (secs(d, p.ts), p.mid)).collect();
    let x_max = mid.iter().map(|p| p.0).chain(d.fills.iter().map(|f| secs(d, f.ts))).fold(1.0, f64::max);
    // Legible at any fill count: the interval VWAP as a dotted line every few
    // columns, and the fills as one marker per two columns (their VWAP there).
    let cols = usize::from(area.width.saturating_sub(10)).max(4);
    let vwap: Vec<(f64, f64)> = {
        let all: Vec<(f64, f64)> = d.market.iter().filter_map(|p| Some((secs(d, p.ts), p.interval_vwap?))).collect();
        let step = all.len().div_ceil(cols / 3).max(1);
        all.into_iter().step_by(step).collect()
    };
    let fills = bucket_fills(d, x_max, cols / 2);
    let ys = mid.iter().chain(&vwap).chain(&fills).map(|p| p.1);
    let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| (a.min(y), b.max(y)));
    if !lo.is_finite() {
        Line::styled("no market data in the window yet", t.muted).render(area, buf);
        return;
    }
    let pad = ((hi - lo) * 0.05).max(hi.abs() * 1e-5);
    let dp = super::super::format::avg_dp(app.instrument(&d.row.order.symbol), hi);
    let vwap_now = s
        .and_then(|s| s.interval_vwap)
        .map_or(String::new(), |v| format!(" {}", super::super::format::px_f64(v.to_f64(), dp)));
    // The title is the legend: on a narrow chart it says less rather than lose a glyph's meaning.
    let legend = |fills: &'static str, vwap: &'static str, now: &str| {
        Line::from(vec![
            Span::styled(fills, t.title),
            Span::styled("▪", t.chart_fill),
            Span::styled(" · mid ", t.title),
            Span::styled("⣿", t.chart_mid),
            Span::styled(vwap, t.title),
            Span::styled("•", t.chart_vwap),
            Span::styled(format!("{now} "), t.title),
        ])
    };
    let fits = |l: &Line| l.width() < usize::from(area.width);
    let full = legend(" fills (VWAP per step) ", " · int. VWAP ", &vwap_now);
    let short = legend(" fills ", " · VWAP ", &vwap_now);
    let title = if fits(&full) {
        full
    } else if fits(&short) {
        short
    } else {
        legend(" fills ", " · VWAP ", "")
    };
    let datasets = vec![
        Dataset::default().marker(Marker::Braille).graph_type(GraphType::Line).style(t.chart_mid).data(&mid),
        Dataset::default().marker(Marker::Dot).graph_type(GraphType::Scatter).style(t.chart_vwap).data(&vwap),
        Dataset::default().marker(Marker::HalfBlock).graph_type(GraphType::Scatter).style(t.chart_fill).data(&fills),
    ];
    Chart::new(datasets)
        // The plot paints the theme's background: unstyled, a chart resets it to the
        // terminal's own (a black box in the light theme on a dark terminal).
        .style(t.text)
        .block(Block::default().borders(Borders::TOP | Borders::LEFT).border_style(t.border).title(title))
        .x_axis(x_axis(app, d, x_max, t.muted))
        .y_axis(
            Axis::default()
                .bounds([lo - pad, hi + pad])
                .labels([super::super::format::px_f64(lo, dp), super::super::format::px_f64(hi, dp)])
                .style(t.muted),
        )
        .render(area, buf);
}

/// Fills merged into `n` time buckets over `[0, x_max]`: each bucket's
/// quantity-weighted price at its quantity-weighted time.
fn bucket_fills(d: &OrderDetail, x_max: f64, n: usize) -> Vec<(f64, f64)> {
    let n = n.max(1);
    let mut b = vec![(0.0f64, 0.0f64, 0.0f64); n];
    for f in &d.fills {
        let x = secs(d, f.ts);
        let i = ((x / x_max.max(1e-9)) * n as f64).floor().clamp(0.0, (n - 1) as f64) as usize;
        let q = f.qty.to_f64();
        b[i].0 += q;
        b[i].1 += q * x;
        b[i].2 += q * f.px.to_f64();
    }
    b.into_iter().filter(|(q, _, _)| *q > 0.0).map(|(q, x, p)| (x / q, p / q)).collect()
}
