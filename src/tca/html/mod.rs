//! The batch review as one self-contained HTML page: no network, no
//! external file; charts are inline SVG, styles inline CSS, and the only
//! script sorts a table when its header is clicked. Every text that came
//! from the input files is escaped.

mod charts;

use super::batch::{Excluded, OrderTca, when};
use super::group::{GroupRow, Grouping, Stat};
use super::impact_fit::size_points;
use super::review::Review;
use crate::model::human::group as grouped;
use crate::model::{Money, Price};
use chrono_tz::Tz;
use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2329;margin:24px auto;max-width:1180px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d5dbe1;padding-bottom:4px}
.sub{color:#5b6670}table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-variant-numeric:tabular-nums}
th,td{padding:3px 8px;border-bottom:1px solid #e6eaee;text-align:right;white-space:nowrap}th{background:#f3f5f7;cursor:pointer;position:sticky;top:0}
td.k,th.k{text-align:left}tr.out td{background:#fff4e5}.pos{color:#a3261b}.neg{color:#1f6f43}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:8px}.card{border:1px solid #d5dbe1;border-radius:6px;padding:8px 10px}
.card b{display:block;font-size:18px}.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:12px}
svg{width:100%;height:auto;background:#fff;border:1px solid #e6eaee;border-radius:4px}
svg text{font:10px system-ui,sans-serif;fill:#5b6670}svg .yl{text-anchor:end;dominant-baseline:middle}svg .xl{text-anchor:middle}
svg .xl1{text-anchor:end}svg .xt{text-anchor:middle;font-size:11px}svg .empty{text-anchor:middle;font-size:13px}svg .note{font-size:11px;fill:#1d2329}
.grid{stroke:#eef1f3}.zero{stroke:#9aa5ae;stroke-width:1}.bar{fill:#6f8fb3}.mean{stroke:#a3261b;stroke-width:1.5}
.dots,.fills{stroke-linecap:round;fill:none}.dots{stroke:#4b6f99;stroke-width:5;stroke-opacity:.55}.fills{stroke:#d9480f;stroke-width:6}
.fit{stroke:#a3261b;stroke-width:2;fill:none}.mkt{stroke:#27496d;stroke-width:1.5;fill:none}.vol{fill:#c9d3dd}
.arr{stroke:#5b6670;stroke-dasharray:5 4;fill:none}.ivwap{stroke:#2b8a3e;stroke-width:1.2;fill:none}
details{border:1px solid #e6eaee;border-radius:4px;margin:6px 0;padding:4px 8px}summary{cursor:pointer}
.legend span{margin-right:14px}.legend i{display:inline-block;width:18px;height:3px;vertical-align:middle;margin-right:4px}
@media print{th{position:static}details{break-inside:avoid}}
"#;

const SCRIPT: &str = r#"
document.querySelectorAll('table.sort th').forEach(function(th,i){th.addEventListener('click',function(){
var tb=th.closest('table').tBodies[0],rows=Array.from(tb.rows),asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';
rows.sort(function(a,b){var x=a.cells[i].dataset.v||a.cells[i].textContent,y=b.cells[i].dataset.v||b.cells[i].textContent;
var p=parseFloat(x),q=parseFloat(y);var c=(isNaN(p)||isNaN(q))?x.localeCompare(y):p-q;return asc?c:-c});
rows.forEach(function(r){tb.appendChild(r)})})});
"#;

fn money(m: Money) -> String {
    grouped(&format!("{m:.2}"))
}

fn px(p: Option<Price>) -> String {
    p.map_or("-".into(), |p| format!("{p}"))
}

/// A bps cell: signed, coloured by sign (the sign also in the text), sortable by value.
fn bps_td(x: Option<f64>) -> String {
    match x {
        Some(b) if b.is_finite() => {
            let r = (b * 100.0).round() / 100.0 + 0.0;
            let class = if r > 0.0 {
                "pos"
            } else if r < 0.0 {
                "neg"
            } else {
                ""
            };
            format!(r#"<td class="{class}" data-v="{b}">{r:+.2}</td>"#)
        }
        _ => "<td>-</td>".into(),
    }
}

fn sd_td(s: &Stat) -> String {
    s.sd.map_or("<td>-</td>".into(), |sd| format!("<td>{sd:.2}</td>"))
}

fn group_table(out: &mut String, title: &str, dims: &[String], rows: &[GroupRow]) {
    let _ = write!(out, "<h2>{}</h2>", esc(title));
    out.push_str(r#"<table class="sort"><thead><tr>"#);
    for d in dims {
        let _ = write!(out, r#"<th class="k">{}</th>"#, esc(d));
    }
    out.push_str("<th>orders</th><th>fills</th><th>paper</th><th>executed</th><th>fill %</th><th>shortfall</th><th>IS bps</th><th>sd</th><th>delay</th><th>trading</th><th>opport.</th><th>fees</th><th>vs arrival</th><th>vs VWAP</th><th>markout 5m</th><th>pre-trade est.</th><th>realised - est.</th></tr></thead><tbody>");
    for r in rows {
        out.push_str(if r.outliers.is_empty() { "<tr>" } else { r#"<tr class="out">"# });
        for k in &r.key {
            let _ = write!(out, r#"<td class="k">{}</td>"#, esc(k));
        }
        let _ = write!(
            out,
            r#"<td>{}</td><td>{}</td><td data-v="{}">{}</td><td data-v="{}">{}</td><td>{:.1}</td><td data-v="{}">{}</td>{}{}{}{}{}{}{}{}{}{}{}</tr>"#,
            r.orders,
            r.fills,
            r.paper,
            money(r.paper),
            r.executed,
            money(r.executed),
            r.fill_rate * 100.0,
            r.shortfall,
            money(r.shortfall),
            bps_td(r.shortfall_bps.mean),
            sd_td(&r.shortfall_bps),
            bps_td(Some(r.delay_bps)),
            bps_td(Some(r.trading_bps)),
            bps_td(Some(r.opportunity_bps)),
            bps_td(Some(r.fees_bps)),
            bps_td(r.arrival_bps.mean),
            bps_td(r.vwap_bps.mean),
            bps_td(r.markouts_bps[3].mean),
            bps_td(r.pre_trade.estimate_bps.mean),
            bps_td(r.pre_trade.error_bps.mean),
        );
    }
    out.push_str("</tbody></table>");
    let outliers: Vec<String> = rows
        .iter()
        .flat_map(|r| {
            r.outliers.iter().map(move |o| {
                let venue = o.venue.as_deref().map_or(String::new(), |v| format!(" at {}", esc(v)));
                format!(
                    r##"<a href="#o-{}">{}</a>{venue} ({}): {:+.2} bps, z {:+.2}"##,
                    esc(&o.order_id),
                    esc(&o.order_id),
                    esc(&r.key.join(" / ")),
                    o.shortfall_bps,
                    o.z
                )
            })
        })
        .collect();
    if !outliers.is_empty() {
        let _ = write!(out, "<p>Outliers: {}</p>", outliers.join("; "));
    }
}

fn summary(out: &mut String, r: &Review) {
    let t = &r.total;
    let card = |out: &mut String, label: &str, value: String| {
        let _ = write!(out, r#"<div class="card">{}<b>{}</b></div>"#, esc(label), value);
    };
    out.push_str(r#"<h2>Summary</h2><div class="cards">"#);
    card(
        out,
        "implementation shortfall",
        format!("{} bps", t.shortfall_bps.mean.map_or("-".into(), |m| format!("{m:+.2}"))),
    );
    card(out, "shortfall", money(t.shortfall));
    card(out, "paper (decision value)", money(t.paper));
    card(out, "executed", money(t.executed));
    card(out, "fill rate by value", format!("{:.1}%", t.fill_rate * 100.0));
    card(out, "vs arrival", format!("{} bps", t.arrival_bps.mean.map_or("-".into(), |m| format!("{m:+.2}"))));
    card(out, "vs interval VWAP", format!("{} bps", t.vwap_bps.mean.map_or("-".into(), |m| format!("{m:+.2}"))));
    card(out, "orders / fills", format!("{} / {}", t.orders, t.fills));
    let p = &t.pre_trade;
    let b = |x: Option<f64>| x.map_or("-".into(), |m| format!("{m:+.2}"));
    card(out, "pre-trade estimate vs realised", format!("{} / {} bps", b(p.estimate_bps.mean), b(p.realised_bps.mean)));
    out.push_str("</div>");
    let without = r.batch.orders.iter().filter(|o| o.tca.pre_trade.is_none()).count();
    let _ = write!(
        out,
        "<p>Pre-trade estimate (the engine's model on the market before each arrival, the order's algo's schedule) against the realised cost vs arrival, over {} order(s): mean estimate {} bps, mean realised {} bps, mean error (realised - estimate) {} bps (sd {}); {} order(s) without an estimate.</p>",
        p.orders,
        b(p.estimate_bps.mean),
        b(p.realised_bps.mean),
        b(p.error_bps.mean),
        p.error_bps.sd.map_or("-".into(), |v| format!("{v:.2}")),
        without
    );
    group_table(out, "All orders", &[], std::slice::from_ref(t));
    let m: Vec<String> = t.markouts_bps.iter().map(|s| s.mean.map_or("-".into(), |v| format!("{v:+.2}"))).collect();
    let _ = write!(
        out,
        "<p>Markouts after the fills (1 s, 5 s, 30 s, 5 min), weighted by executed notional: {} bps (positive = the price moved against the fill).</p>",
        m.join(", ")
    );
}

/// The order's estimate, or a dash whose title says why there is none.
fn pre_trade_td(o: &OrderTca) -> String {
    match (&o.tca.pre_trade, o.pre_trade_basis.as_ref().and_then(|b| b.unavailable.as_deref())) {
        (Some(p), _) => bps_td(Some(p.estimate.total_bps)),
        (None, Some(why)) => format!(r#"<td title="{}">-</td>"#, esc(why)),
        (None, None) => bps_td(None),
    }
}

fn orders_table(out: &mut String, orders: &[OrderTca], tz: Tz) {
    let _ = write!(out, "<h2>Orders ({})</h2>", orders.len());
    out.push_str(r#"<table class="sort"><thead><tr><th class="k">order</th><th class="k">symbol</th><th class="k">side</th><th class="k">broker</th><th class="k">algo</th><th class="k">arrival</th><th>qty</th><th>filled</th><th>avg px</th><th>arrival px</th><th>interval VWAP</th><th>IS bps</th><th>delay</th><th>trading</th><th>opport.</th><th>fees</th><th>vs arrival</th><th>vs VWAP</th><th>size %</th><th>pre-trade est.</th><th>realised - est.</th></tr></thead><tbody>"#);
    for o in orders {
        let r = &o.tca;
        let sf = r.implementation_shortfall;
        let _ = write!(
            out,
            r#"<tr id="o-{}"><td class="k">{}</td><td class="k">{}</td><td class="k">{}</td><td class="k">{}</td><td class="k">{}</td><td class="k">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}{}{}{}{}{}{}<td>{}</td>{}{}</tr>"#,
            esc(&o.order.id),
            esc(&o.order.id),
            esc(&o.order.symbol),
            r.side,
            esc(o.order.broker.as_deref().unwrap_or("-")),
            esc(o.order.algo.as_deref().unwrap_or("-")),
            o.order.arrival.in_tz(tz).format("%Y-%m-%d %H:%M:%S"),
            grouped(&r.order_qty.to_string()),
            grouped(&r.filled_qty.to_string()),
            px(r.avg_px),
            px(r.arrival_px),
            px(r.interval_vwap),
            bps_td(sf.map(|s| s.total_bps)),
            bps_td(sf.map(|s| s.delay_bps)),
            bps_td(sf.map(|s| s.trading_bps)),
            bps_td(sf.map(|s| s.opportunity_bps)),
            bps_td(sf.map(|s| s.fees_bps)),
            bps_td(r.arrival_slippage_bps),
            bps_td(r.vwap_slippage_bps),
            o.size_pct.map_or("-".into(), |s| format!("{s:.2}")),
            pre_trade_td(o),
            bps_td(r.pre_trade.as_ref().and_then(|p| p.difference.as_ref()).map(|d| d.total_bps)),
        );
    }
    out.push_str("</tbody></table>");
}

/// The orders that get a price chart: every outlier, then the costliest, `limit` in all (`None`: every order).
fn charted(r: &Review, limit: Option<usize>) -> Vec<&OrderTca> {
    let orders = &r.batch.orders;
    let Some(limit) = limit else { return orders.iter().collect() };
    let mut ids: Vec<&str> = r
        .groupings
        .iter()
        .flat_map(|g| g.rows.iter())
        .flat_map(|row| row.outliers.iter())
        .map(|o| o.order_id.as_str())
        .collect();
    ids.extend(r.total.outliers.iter().map(|o| o.order_id.as_str()));
    let mut pick: Vec<&OrderTca> = orders.iter().filter(|o| ids.contains(&o.order.id.as_str())).collect();
    let mut rest: Vec<&OrderTca> = orders.iter().filter(|o| !ids.contains(&o.order.id.as_str())).collect();
    let cost = |o: &OrderTca| o.tca.implementation_shortfall.map_or(f64::NEG_INFINITY, |s| s.total_bps);
    rest.sort_by(|a, b| cost(b).total_cmp(&cost(a)));
    let room = limit.saturating_sub(pick.len());
    pick.extend(rest.into_iter().take(room));
    pick
}

fn order_charts(out: &mut String, r: &Review, limit: Option<usize>, tz: Tz) {
    let shown = charted(r, limit);
    let _ = write!(
        out,
        "<h2>Order charts ({} of {})</h2><p class=\"sub legend\"><span><i style=\"background:#27496d\"></i>market VWAP per 1/48 of the window</span><span><i style=\"background:#c9d3dd;height:8px\"></i>market volume</span><span><i style=\"background:#d9480f;height:6px;width:6px;border-radius:3px\"></i>our fills</span><span><i style=\"border-top:2px dashed #5b6670;height:0\"></i>arrival price</span><span><i style=\"background:#2b8a3e\"></i>interval VWAP</span></p>",
        shown.len(),
        r.batch.orders.len()
    );
    for o in shown {
        let sf = o.tca.implementation_shortfall.map_or("-".into(), |s| format!("{:+.2} bps", s.total_bps));
        let _ = write!(
            out,
            "<details><summary>{} {} {} {} of {}, {} to {}: {}</summary>{}</details>",
            esc(&o.order.id),
            esc(&o.order.symbol),
            o.tca.side,
            grouped(&o.tca.filled_qty.to_string()),
            grouped(&o.tca.order_qty.to_string()),
            o.order.arrival.in_tz(tz).format("%Y-%m-%d %H:%M:%S"),
            o.order.end.in_tz(tz).format("%H:%M:%S %Z"),
            sf,
            charts::order_chart(o, tz)
        );
    }
}

fn issues(out: &mut String, r: &Review) {
    let list = &r.batch.issues;
    let _ = write!(out, "<h2>Issues ({})</h2>", list.len());
    if list.is_empty() {
        out.push_str("<p>None: every order and fill was analysed.</p>");
        return;
    }
    out.push_str("<p>Left out of every figure above (<code>--strict</code> makes them fatal).</p><table><thead><tr><th class=\"k\">where</th><th class=\"k\">kind</th><th class=\"k\">order</th><th class=\"k\">what is wrong</th><th class=\"k\">what to do</th><th class=\"k\">left out</th></tr></thead><tbody>");
    for i in list {
        let what = match i.excluded {
            Excluded::Fill => "the fill",
            Excluded::Order => "the order",
        };
        let _ = write!(
            out,
            r#"<tr><td class="k">{}</td><td class="k">{}</td><td class="k">{}</td><td class="k">{}</td><td class="k">{}</td><td class="k">{what}</td></tr>"#,
            esc(&i.source.to_string()),
            i.kind.label(),
            esc(&i.order_id),
            esc(&i.message),
            esc(&i.fix)
        );
    }
    out.push_str("</tbody></table>");
}

fn grouping_title(g: &Grouping) -> (String, Vec<String>) {
    let names: Vec<String> = g.dims.iter().map(|d| d.name().to_string()).collect();
    (format!("By {}", names.join(" × ")), names)
}

/// The whole page; `charts` limits the per-order charts (`None`: every order).
pub fn page(r: &Review, charts: Option<usize>) -> String {
    let tz: Tz = r.tz.parse().unwrap_or(chrono_tz::UTC);
    let b = &r.batch;
    let mut out = String::with_capacity(64 << 10);
    let first = b.orders.iter().map(|o| o.order.arrival).min();
    let last = b.orders.iter().map(|o| o.order.end).max();
    let span = match (first, last) {
        (Some(a), Some(z)) => format!("{} to {}", when(a), when(z)),
        _ => "no orders".into(),
    };
    let _ = write!(
        out,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>TCA: {} orders</title><style>{STYLE}</style></head><body><h1>Transaction cost analysis</h1><p class="sub">{} of {} orders and {} of {} fills analysed, {span}. Times in {}. Costs are positive when they hurt the order (a buy above its benchmark, a sell below); bps of the decision value of the order (paper). Generated by blotter {}.</p>"#,
        b.orders.len(),
        b.orders.len(),
        b.orders_in,
        b.orders.iter().map(|o| o.fill_count).sum::<usize>(),
        b.fills_in,
        esc(&r.tz),
        env!("CARGO_PKG_VERSION"),
    );
    summary(&mut out, r);
    let costs: Vec<f64> = b.orders.iter().filter_map(|o| o.tca.implementation_shortfall.map(|s| s.total_bps)).collect();
    out.push_str(r#"<h2>Cost distribution and slippage against size</h2><div class="charts">"#);
    out.push_str(&charts::cost_distribution(&costs, r.total.shortfall_bps.mean));
    out.push_str(&charts::slippage_vs_size(&size_points(&b.orders), r.size_fit.as_ref()));
    out.push_str("</div>");
    for g in &r.groupings {
        let (title, dims) = grouping_title(g);
        group_table(&mut out, &title, &dims, &g.rows);
    }
    orders_table(&mut out, &b.orders, tz);
    order_charts(&mut out, r, charts, tz);
    issues(&mut out, r);
    let _ = write!(out, "<script>{SCRIPT}</script></body></html>");
    out
}

#[cfg(test)]
mod tests;
