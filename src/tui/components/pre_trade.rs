//! The order ticket's pre-trade panel: the market, the order's size
//! against it, the desk's controls, the engine's schedule and each impact
//! model's cost with the total, then the schedule's chart in what is left.
//! On a short screen the lines above the cost table give way (each to one
//! row) before any of the table does.

use super::super::app::App;
use super::super::format;
use super::super::ticket::Ticket;
use super::ticket::pre_trade;
use super::{money_short, strong};
use crate::algo::PlannedSlice;
use crate::model::{AlgoKind, Price};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, Block, Borders, Paragraph, Widget, Wrap};

/// A line above the cost table, with the one-row form it takes when the
/// table would not fit, and when it gives way (lower first).
struct Entry {
    line: Line<'static>,
    short: Option<(u8, Line<'static>)>,
}

impl Entry {
    fn fixed(line: Line<'static>) -> Entry {
        Entry { line, short: None }
    }
}

// The order in which lines give way: the schedule (the chart or the review
// says it), the instrument's name, the limit's note, the controls last.
const SCHEDULE: u8 = 0;
const NAME: u8 = 1;
const LIMIT: u8 = 2;
const CONTROLS: u8 = 3;

/// The schedule in words, and in a few: reactive algorithms have no fixed slices.
fn schedule_words(app: &App, algo: AlgoKind, s: &[PlannedSlice]) -> (String, String) {
    let z = app.zone();
    let reactive = |w: &str| (w.to_string(), "reactive".to_string());
    match algo {
        AlgoKind::Pov => return reactive("reactive: trades with the market's prints at its rate"),
        AlgoKind::Sniper => return reactive("reactive: takes liquidity when it shows at the limit"),
        AlgoKind::Iceberg => return reactive("reactive: a tip refilled as it fills"),
        _ => {}
    }
    match s {
        [] => ("none planned".into(), "none planned".into()),
        [one] => (format!("one order at {} {z}", app.hms(one.at)), format!("one at {} {z}", app.hms(one.at))),
        _ => (
            format!("{} slices {}-{} {z}", s.len(), app.hms(s[0].at), app.hms(s[s.len() - 1].at)),
            format!("{} slices", s.len()),
        ),
    }
}

/// The fat-finger controls and the desk's state the order will meet, when
/// any apply (a limit price past the collar is flagged before sending), in
/// full and in a few words.
fn controls_line(app: &App, tk: &Ticket) -> Option<Entry> {
    let th = &app.theme;
    let c = app.identity.as_ref()?.controls.as_ref()?;
    let (mut parts, mut brief, mut blocked) = (Vec::new(), Vec::new(), false);
    if !c.execution_enabled {
        parts.push("execution DISABLED".to_string());
        brief.push("DISABLED".to_string());
        blocked = true;
    }
    if c.state != crate::risk::TradingState::Active {
        parts.push(c.state.to_string());
        brief.push(c.state.to_string());
        blocked |= c.state == crate::risk::TradingState::Halted;
    }
    if let Some(b) = c.limits.price_collar_bps {
        parts.push(format!("collar ±{b} bps"));
        brief.push(format!("±{b}bp"));
    }
    if let Some(n) = c.limits.max_order_notional {
        parts.push(format!("≤ {} /order", money_short(n.to_f64(), "USD")));
        brief.push(format!("≤{}/order", money_short(n.to_f64(), "USD")));
    }
    if let Some(q) = c.limits.max_order_qty {
        parts.push(format!("≤ {} units", format::compact(q.to_f64())));
        brief.push(format!("≤{}u", format::compact(q.to_f64())));
    }
    if parts.is_empty() {
        return None;
    }
    let over_collar = match (c.limits.price_collar_bps, Price::parse(tk.limit.value().trim()), &tk.preview.book) {
        (Some(collar), Ok(l), Some(b)) if format::mid(b) > 0.0 => {
            ((l.to_f64() - format::mid(b)) / format::mid(b) * 1e4).abs() > collar
        }
        _ => false,
    };
    if over_collar {
        parts.push("limit past the collar: will be refused".into());
        brief.push("· past collar: refused".into());
        blocked = true;
    }
    let style = if blocked { th.error } else { th.text };
    let label = || Span::styled(format!(" {:<13}", "controls"), th.muted);
    let short = brief.join(" ");
    Some(Entry {
        line: Line::from(vec![label(), Span::styled(parts.join(" · "), style)]),
        short: Some((CONTROLS, Line::from(vec![label(), Span::styled(short, style)]))),
    })
}

/// Draws the pre-trade panel of ticket `tk` over `area`.
pub fn panel(app: &App, tk: &Ticket, area: Rect, buf: &mut Buffer) {
    let th = &app.theme;
    let b =
        Block::default().borders(Borders::LEFT).border_style(th.border).title(Span::styled(" Pre-trade ", th.title));
    let inner = b.inner(area);
    b.render(area, buf);
    let m = app.market();
    let inst = m.instrument(tk.symbol.value());
    let pt = pre_trade(tk, inst);
    let ccy = inst.map_or("USD", |i| &i.currency);
    let mut top: Vec<Entry> = Vec::new();
    let kv =
        |k: &str, v: String| Line::from(vec![Span::styled(format!(" {k:<13}"), th.muted), Span::styled(v, th.text)]);
    match inst {
        Some(i) => top.push(Entry {
            line: Line::styled(
                format!(" {} · {} · {} {}", i.symbol, i.name, i.asset_class.as_str(), i.currency),
                th.accent,
            ),
            short: Some((
                NAME,
                Line::styled(format!(" {} · {} {}", i.symbol, i.asset_class.as_str(), i.currency), th.accent),
            )),
        }),
        None => top.push(Entry::fixed(Line::styled(" type a symbol to see its market", th.muted))),
    }
    if let Some(b) = &tk.preview.book {
        let dp = format::price_dp(inst, format::mid(b));
        top.push(Entry::fixed(kv(
            "mid / spread",
            format!(
                "{} / {}",
                format::px_f64(format::mid(b), dp),
                pt.spread_bps.map_or("-".into(), |s| format!("{s:.1} bp"))
            ),
        )));
    }
    if let Some(i) = inst {
        top.push(Entry::fixed(kv("ADV", format::compact(i.adv.to_f64()))));
    }
    if let (Some(l), Some(b)) = (Price::parse(tk.limit.value().trim()).ok(), &tk.preview.book) {
        // A limit far through or away from the market is legal but worth seeing before sending.
        let away = (l.to_f64() / format::mid(b) - 1.0) * 100.0;
        let passive = match tk.side {
            crate::model::Side::Buy => away < 0.0,
            crate::model::Side::Sell => away > 0.0,
        };
        let (note, side) = if passive { ("away", "away from") } else { ("through", "through") };
        let style = if away.abs() > 2.0 { th.warning } else { th.text };
        let line = |v: String| {
            Line::from(vec![Span::styled(format!(" {:<13}", "limit vs mid"), th.muted), Span::styled(v, style)])
        };
        top.push(Entry {
            line: line(format!("{} ({side} the market)", format::pct_change(away))),
            short: Some((LIMIT, line(format!("{} {note}", format::pct_change(away))))),
        });
    }
    let per = inst.filter(|i| i.quote_per > 1).map_or(String::new(), |i| format!(" (px per {})", i.quote_per));
    top.push(Entry::fixed(kv("notional", pt.notional.map_or("-".into(), |n| format!("{}{per}", money_short(n, ccy))))));
    top.push(Entry::fixed(kv("% of ADV", pt.pct_adv.map_or("-".into(), |a| format::pct_of_adv(a, 3)))));
    if let super::super::ticket::Mode::Amend(r) = &tk.mode {
        // The estimate below is the residual's: what is left after the fills.
        let left = tk.residual().map_or("none".into(), crate::model::human::qty);
        top.push(Entry::fixed(kv("residual", format!("{left} ({} filled)", crate::model::human::qty(r.order.filled)))));
    }
    if let Some(e) = controls_line(app, tk) {
        top.push(e);
    }
    // What the panel would repeat: the refusal shown by a field, and the
    // engine's refusal of the schedule when the estimate fails the same way
    // (an order past the engine's limit was refused three times at 80x24).
    let by_field = tk.remote_error.as_ref().map(|(_, m)| m.as_str());
    let said = |m: &str| by_field == Some(m);
    let slices_error = tk.preview.slices.as_ref().and_then(|r| r.as_ref().err()).map(|e| e.message.as_str());
    match &tk.preview.slices {
        Some(Ok(s)) => {
            let (full, short) = schedule_words(app, tk.algo, s);
            top.push(Entry { line: kv("schedule", full), short: Some((SCHEDULE, kv("schedule", short))) });
        }
        // A refusal the ticket already shows under its field is said there, once.
        Some(Err(e)) if !said(&e.message) => {
            top.push(Entry::fixed(Line::styled(format!(" ✗ engine: {}", e.message), th.error)))
        }
        _ => {}
    }
    let w = usize::from(inner.width.max(1));
    let rows_of = |l: &Line| l.width().max(1).div_ceil(w);
    let wrapped = |l: Line<'static>| super::hang::hanging(l, inner.width);
    let rows_wrapped = |l: &Line<'static>| wrapped(l.clone()).iter().map(rows_of).sum::<usize>();
    let height = usize::from(inner.height);
    // The fewest rows the table takes: its header, each model, the total and
    // what it adds up said short, an estimate's error.
    let models: Vec<&str> = pt.rows.iter().map(|r| r.model.as_str()).collect();
    let needs = match (tk.amending(), tk.residual()) {
        (Some(_), None) => Line::styled(" nothing left to fill: no estimate", th.muted),
        _ => Line::styled(" needs a symbol, a quantity and the book", th.muted),
    };
    let estimate_error = tk
        .preview
        .estimate
        .as_ref()
        .and_then(|e| e.as_ref().err())
        .filter(|e| !said(&e.message) && slices_error != Some(e.message.as_str()))
        .map(|e| Line::styled(format!(" ✗ estimate: {}", e.message), th.error));
    let table_least = 1
        + if pt.rows.is_empty() { rows_wrapped(&needs) } else { pt.rows.len() }
        + pt.total.as_ref().map_or(0, |(_, _, of)| {
            1 + rows_wrapped(&Line::styled(format!("   {}", total_of_short(of, &models)), th.muted))
        })
        + estimate_error.as_ref().map_or(0, &rows_wrapped);
    // Lines above give way, least needed first, until the table fits.
    loop {
        let used: usize = top.iter().map(|e| rows_wrapped(&e.line)).sum();
        if used + table_least <= height {
            break;
        }
        let Some(e) = top.iter_mut().filter(|e| e.short.is_some()).min_by_key(|e| e.short.as_ref().map(|s| s.0)) else {
            break;
        };
        if let Some((_, short)) = e.short.take() {
            e.line = short;
        }
    }
    let mut lines: Vec<Line> = top.into_iter().flat_map(|e| wrapped(e.line)).collect();
    // The blank line before the cost table goes in last, only if there is room for it.
    let gap_at = lines.len();
    lines.push(Line::from(vec![Span::styled(format!(" {:<17}{:>7}{:>11}", "cost model", "bps", ccy), th.header)]));
    if pt.rows.is_empty() {
        lines.extend(wrapped(needs));
    }
    // Each model's inputs explain it; on a short screen they give way so the total always shows.
    let inputs: Vec<Vec<Line>> =
        pt.rows.iter().map(|r| wrapped(Line::styled(format!("   {}", r.inputs), th.muted))).collect();
    let fixed: usize = lines.iter().map(rows_of).sum::<usize>() + pt.rows.len() + 5;
    let with_inputs = fixed + inputs.iter().flatten().map(rows_of).sum::<usize>() <= height;
    for (r, input) in pt.rows.iter().zip(inputs) {
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<17}", r.model), th.text),
            Span::styled(format!("{:>7.2}", r.bps), th.loss),
            Span::styled(format!("{:>11}", money_short(r.amount, ccy)), th.loss),
        ]));
        if with_inputs {
            lines.extend(input);
        }
    }
    if let Some((bps, amount, of)) = &pt.total {
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<17}", "total"), strong(th.text)),
            Span::styled(format!("{bps:>7.2}"), strong(th.loss)),
            Span::styled(format!("{:>11}", money_short(*amount, ccy)), strong(th.loss)),
        ]));
        // What the total adds up: in full when it fits, else (at 80x24 the list was cut
        // mid-way) by the models above it leaves out, which is as exact and shorter.
        let full = wrapped(Line::styled(format!("   {of}"), th.muted));
        let used: usize = lines.iter().map(rows_of).sum();
        if used + full.len() <= height {
            lines.extend(full);
        } else {
            lines.extend(wrapped(Line::styled(format!("   {}", total_of_short(of, &models)), th.muted)));
        }
    }
    if let Some(e) = estimate_error {
        lines.extend(wrapped(e));
    }
    if lines.iter().map(rows_of).sum::<usize>() < height {
        lines.insert(gap_at, Line::default());
    }
    // Wrapped, the panel needs more rows than lines: measure before giving the chart the rest.
    let n = (lines.iter().map(rows_of).sum::<usize>() as u16).min(inner.height);
    let text = Paragraph::new(lines).wrap(Wrap { trim: false });
    let [top, chart] = Layout::vertical([Constraint::Length(n), Constraint::Min(0)]).areas(inner);
    text.render(top, buf);
    if let Some(Ok(s)) = &tk.preview.slices
        && s.len() > 1
        && chart.height >= 3
    {
        schedule_chart(app, s, chart, buf);
    }
}

/// The models a total adds up (`of`, joined by " + "), said by those of
/// `models` it leaves out: `sum of the models above`, `all above but linear, sqrt`.
fn total_of_short(of: &str, models: &[&str]) -> String {
    let summed: Vec<&str> = of.split(" + ").collect();
    if summed.iter().any(|m| !models.contains(m)) {
        // A model not listed above: only the full list says it.
        return of.to_string();
    }
    let left_out: Vec<&str> = models.iter().copied().filter(|m| !summed.contains(m)).collect();
    if left_out.is_empty() {
        "sum of the models above".into()
    } else {
        format!("all above but {}", left_out.join(", "))
    }
}

fn schedule_chart(app: &App, s: &[PlannedSlice], area: Rect, buf: &mut Buffer) {
    let th = &app.theme;
    let b = Block::default()
        .borders(Borders::TOP)
        .border_style(th.border)
        .title(Span::styled(" schedule preview (qty per slice) ", th.title));
    let inner = b.inner(area);
    b.render(area, buf);
    // One bar per column at most: merge neighbouring slices when there are more slices than columns;
    // with few slices, widen the bars to use the space.
    let cols = usize::from(inner.width.max(1));
    let per = s.len().div_ceil(cols);
    let n = s.len().div_ceil(per);
    let width = (cols / n.max(1)).clamp(1, 8);
    let gap = u16::from(width >= 3);
    let sums: Vec<f64> = s.chunks(per).map(|c| c.iter().map(|x| x.qty.to_f64()).sum::<f64>()).collect();
    // Bars are relative: scaled to the largest, so 0.3 BTC slices draw as well as 30,000 shares.
    let top = sums.iter().copied().fold(0.0, f64::max);
    let bars: Vec<Bar> = sums
        .iter()
        .map(|q| {
            let v = if top > 0.0 { (q / top * 1_000.0).round() as u64 } else { 0 };
            Bar::default().value(v).text_value(String::new()).style(th.chart_plan)
        })
        .collect();
    BarChart::vertical(bars).bar_width(width as u16 - gap).bar_gap(gap).render(inner, buf);
}

#[cfg(test)]
mod tests {
    use super::total_of_short;

    #[test]
    fn a_total_short_of_room_names_what_it_leaves_out() {
        // The 80x24 ticket: six models, the total of four of them; the list took two rows.
        let models = ["linear", "sqrt", "propagator", "spread", "latency", "adverse selection"];
        let of = "propagator + spread + latency + adverse selection";
        assert_eq!(total_of_short(of, &models), "all above but linear, sqrt");
        assert_eq!(total_of_short("linear + sqrt", &["linear", "sqrt"]), "sum of the models above");
        // A model the table does not show is only said by the full list.
        assert_eq!(total_of_short("fees + sqrt", &["sqrt"]), "fees + sqrt");
    }
}
