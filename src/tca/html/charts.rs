//! The report's charts as inline SVG: the distribution of order costs,
//! slippage against size with the square-root fit, and one order's fills
//! against the market over its window. Coordinates are rounded to a tenth
//! of a pixel and repeated shapes share one path, so ten thousand charts
//! stay small.

use super::esc;
use crate::tca::batch::OrderTca;
use crate::tca::impact_fit::SqrtFit;
use std::fmt::Write;

const W: f64 = 640.0;
const H: f64 = 240.0;
const L: f64 = 56.0;
const R: f64 = 12.0;
const T: f64 = 14.0;
const B: f64 = 34.0;

/// A linear map from data to pixels.
#[derive(Clone, Copy)]
struct Axis {
    lo: f64,
    hi: f64,
    p0: f64,
    p1: f64,
}

impl Axis {
    fn new(lo: f64, hi: f64, p0: f64, p1: f64) -> Axis {
        let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.5, lo + 0.5) };
        Axis { lo, hi, p0, p1 }
    }
    fn at(&self, v: f64) -> f64 {
        self.p0 + (v - self.lo) / (self.hi - self.lo) * (self.p1 - self.p0)
    }
}

/// A tenth of a pixel is finer than any screen; the text is what the file weighs.
fn n(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() { format!("{}", r as i64) } else { format!("{r:.1}") }
}

/// About five round tick values covering [lo, hi], and the decimals they need.
fn ticks(lo: f64, hi: f64) -> (Vec<f64>, usize) {
    let span = (hi - lo).abs().max(1e-12);
    let mag = 10f64.powf((span / 5.0).log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|s| span / s <= 6.0).unwrap_or(10.0 * mag);
    let decimals = (-(step.log10().floor())).max(0.0) as usize + usize::from((step / mag - 2.5).abs() < 1e-9);
    let first = (lo / step).ceil() as i64;
    let out = (0..12).map(|k| (first + k) as f64 * step).take_while(|v| *v <= hi + step * 1e-9).collect();
    (out, decimals)
}

/// Whole-number ticks for counts.
fn count_ticks(max: f64) -> (Vec<f64>, usize) {
    let (t, _) = ticks(0.0, max.max(1.0));
    let mut t: Vec<f64> = t.into_iter().map(f64::round).collect();
    t.dedup();
    (t, 0)
}

fn open(out: &mut String, label: &str) {
    let _ = write!(out, r#"<svg viewBox="0 0 {W} {H}" role="img" aria-label="{}">"#, esc(label));
}

fn y_axis(out: &mut String, y: &Axis, (ticks, decimals): (Vec<f64>, usize)) {
    for t in ticks {
        let py = n(y.at(t));
        let _ = write!(
            out,
            r#"<path class="grid" d="M{L} {py}H{}"/><text x="{}" y="{py}" class="yl">{t:.decimals$}</text>"#,
            n(W - R),
            n(L - 4.0)
        );
    }
}

fn x_labels(out: &mut String, x: &Axis) {
    let (ts, decimals) = ticks(x.lo, x.hi);
    for t in ts {
        let _ = write!(out, r#"<text x="{}" y="{}" class="xl">{t:.decimals$}</text>"#, n(x.at(t)), n(H - B + 14.0));
    }
}

/// Histogram of the orders' implementation shortfall in bps, with the paper-weighted mean marked.
pub fn cost_distribution(values: &[f64], mean: Option<f64>) -> String {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    let mut out = String::new();
    open(&mut out, "distribution of order costs");
    if v.is_empty() {
        out.push_str(r#"<text x="320" y="120" class="empty">no orders</text></svg>"#);
        return out;
    }
    v.sort_by(f64::total_cmp);
    // The 1st to 99th percentile: a few wild orders would otherwise squeeze everyone into one bar.
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    let (lo, hi) = (q(0.01).min(0.0), q(0.99).max(0.0));
    let bins = 30usize;
    let width = ((hi - lo) / bins as f64).max(1e-9);
    let mut counts = vec![0usize; bins];
    for x in &v {
        let k = (((x - lo) / width).floor().max(0.0) as usize).min(bins - 1);
        counts[k] += 1;
    }
    let x = Axis::new(lo, lo + width * bins as f64, L, W - R);
    let y = Axis::new(0.0, counts.iter().copied().max().unwrap_or(1) as f64 * 1.1, H - B, T);
    y_axis(&mut out, &y, count_ticks(y.hi));
    let mut bars = String::new();
    for (k, c) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
        let x0 = x.at(lo + width * k as f64);
        let _ = write!(
            bars,
            "M{} {}h{}V{}h-{}z",
            n(x0 + 0.5),
            n(H - B),
            n(x.at(lo + width) - x.at(lo) - 1.0),
            n(y.at(*c as f64)),
            n(x.at(lo + width) - x.at(lo) - 1.0)
        );
    }
    let _ = write!(out, r#"<path class="bar" d="{bars}"/>"#);
    x_labels(&mut out, &x);
    let _ = write!(out, r#"<path class="zero" d="M{} {T}V{}"/>"#, n(x.at(0.0)), n(H - B));
    if let Some(m) = mean.filter(|m| *m >= x.lo && *m <= x.hi) {
        let _ = write!(
            out,
            r#"<path class="mean" d="M{} {T}V{}"/><text x="{}" y="{}" class="note">mean {m:+.1}</text>"#,
            n(x.at(m)),
            n(H - B),
            n(x.at(m) + 4.0),
            n(T + 10.0)
        );
    }
    let _ = write!(
        out,
        r#"<text x="{}" y="{}" class="xt">implementation shortfall, bps of paper (orders; positive = cost)</text></svg>"#,
        n(W / 2.0),
        n(H - 4.0)
    );
    out
}

/// Arrival slippage against size (share of interval volume, log scale) with the fitted square-root curve.
pub fn slippage_vs_size(points: &[(f64, f64)], fit: Option<&SqrtFit>) -> String {
    let pts: Vec<(f64, f64)> =
        points.iter().copied().filter(|(x, y)| *x > 0.0 && x.is_finite() && y.is_finite()).collect();
    let mut out = String::new();
    open(&mut out, "slippage against size");
    if pts.is_empty() {
        out.push_str(r#"<text x="320" y="120" class="empty">no order with market volume in its window</text></svg>"#);
        return out;
    }
    let lx = |s: f64| s.max(1e-6).log10();
    let (mut x0, mut x1) = pts.iter().fold((f64::MAX, f64::MIN), |(a, b), (s, _)| (a.min(lx(*s)), b.max(lx(*s))));
    x0 = x0.floor();
    x1 = x1.ceil().max(x0 + 1.0);
    let mut ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
    ys.sort_by(f64::total_cmp);
    let q = |p: f64| ys[((ys.len() - 1) as f64 * p).round() as usize];
    let (y0, y1) = (q(0.01).min(0.0), q(0.99).max(0.0));
    let pad = (y1 - y0).max(1.0) * 0.08;
    let x = Axis::new(x0, x1, L, W - R);
    let y = Axis::new(y0 - pad, y1 + pad, H - B, T);
    y_axis(&mut out, &y, ticks(y.lo, y.hi));
    let mut e = x0;
    while e <= x1 + 1e-9 {
        let pct = 10f64.powf(e) * 100.0;
        let digits = format!("{pct:.6}");
        let label = format!("{}%", digits.trim_end_matches('0').trim_end_matches('.'));
        let _ = write!(out, r#"<text x="{}" y="{}" class="xl">{label}</text>"#, n(x.at(e)), n(H - B + 14.0));
        e += 1.0;
    }
    let _ = write!(out, r#"<path class="zero" d="M{L} {}H{}"/>"#, n(y.at(0.0)), n(W - R));
    let mut dots = String::new();
    for (s, c) in &pts {
        let cy = y.at(c.clamp(y.lo, y.hi));
        let _ = write!(dots, "M{} {}h0", n(x.at(lx(*s))), n(cy));
    }
    let _ = write!(out, r#"<path class="dots" d="{dots}"/>"#);
    if let Some(f) = fit {
        let mut d = String::new();
        for k in 0..=60 {
            let e = x0 + (x1 - x0) * k as f64 / 60.0;
            let c = f.at(10f64.powf(e)).clamp(y.lo, y.hi);
            let _ = write!(d, "{}{} {}", if k == 0 { "M" } else { "L" }, n(x.at(e)), n(y.at(c)));
        }
        let _ = write!(
            out,
            r#"<path class="fit" d="{d}"/><text x="{}" y="{}" class="note">{:.2} + {:.2} &#215; &#8730;size (R&#178; {:.2}, {} orders)</text>"#,
            n(L + 6.0),
            n(T + 10.0),
            f.a,
            f.b,
            f.r2,
            f.n
        );
    }
    let _ = write!(
        out,
        r#"<text x="{}" y="{}" class="xt">filled quantity as a share of the market's volume in the window (log scale); y: cost vs arrival, bps</text></svg>"#,
        n(W / 2.0),
        n(H - 4.0)
    );
    out
}

/// One order: the market's VWAP in each bucket of its window (line) and volume
/// (bars), our fills (dots, one per bucket when there are many), the arrival
/// price (dashed) and the interval VWAP (solid).
pub fn order_chart(o: &OrderTca, tz: chrono_tz::Tz) -> String {
    let mut out = String::new();
    open(&mut out, &format!("order {} against the market", o.order.id));
    let (t0, t1) = (o.order.arrival.0 as f64, (o.order.end.0 as f64).max(o.order.arrival.0 as f64 + 1.0));
    let mut lo = f64::MAX;
    let mut hi = f64::MIN;
    let mut see = |p: f64| {
        lo = lo.min(p);
        hi = hi.max(p);
    };
    o.chart.iter().filter_map(|b| b.vwap).for_each(|p| see(p.to_f64()));
    o.fills.iter().for_each(|f| see(f.px.to_f64()));
    [o.tca.arrival_px, o.tca.interval_vwap].into_iter().flatten().for_each(|p| see(p.to_f64()));
    if lo > hi {
        out.push_str(r#"<text x="320" y="120" class="empty">no prices in the window</text></svg>"#);
        return out;
    }
    let pad = ((hi - lo) * 0.08).max(hi.abs() * 1e-5);
    let x = Axis::new(t0, t1, L, W - R);
    let y = Axis::new(lo - pad, hi + pad, H - B - 30.0, T);
    y_axis(&mut out, &y, ticks(y.lo, y.hi));
    // Volume bars along the bottom 26 px.
    let vmax = o.chart.iter().map(|b| b.qty.to_f64()).fold(0.0, f64::max);
    if vmax > 0.0 {
        let mut bars = String::new();
        for b in o.chart.iter().filter(|b| b.qty.is_positive()) {
            let (a, z) = (x.at(b.t0.0 as f64), x.at(b.t1.0 as f64));
            let h = b.qty.to_f64() / vmax * 26.0;
            let _ = write!(
                bars,
                "M{} {}h{}v-{}h-{}z",
                n(a),
                n(H - B),
                n((z - a - 0.5).max(0.5)),
                n(h),
                n((z - a - 0.5).max(0.5))
            );
        }
        let _ = write!(out, r#"<path class="vol" d="{bars}"/>"#);
    }
    let mut line = String::new();
    for b in &o.chart {
        if let Some(p) = b.vwap {
            let mid = (b.t0.0 as f64 + b.t1.0 as f64) / 2.0;
            let _ = write!(line, "{}{} {}", if line.is_empty() { "M" } else { "L" }, n(x.at(mid)), n(y.at(p.to_f64())));
        }
    }
    let _ = write!(out, r#"<path class="mkt" d="{line}"/>"#);
    for (class, px) in [("arr", o.tca.arrival_px), ("ivwap", o.tca.interval_vwap)] {
        if let Some(p) = px {
            let _ = write!(out, r#"<path class="{class}" d="M{L} {}H{}"/>"#, n(y.at(p.to_f64())), n(W - R));
        }
    }
    // Many fills: one dot per bucket at our VWAP there, so the chart weighs the same for 10 or 10,000 fills.
    let mut dots = String::new();
    if o.fills.len() <= 2 * o.chart.len().max(1) {
        for f in &o.fills {
            let _ = write!(dots, "M{} {}h0", n(x.at(f.ts.0 as f64)), n(y.at(f.px.to_f64())));
        }
    } else {
        let k = o.chart.len().max(1);
        let mut acc = vec![(0.0f64, 0.0f64, 0.0f64); k];
        for f in &o.fills {
            let i = (((f.ts.0 as f64 - t0) / (t1 - t0) * k as f64) as usize).min(k - 1);
            let q = f.qty.to_f64();
            acc[i].0 += q;
            acc[i].1 += q * f.px.to_f64();
            acc[i].2 += q * f.ts.0 as f64;
        }
        for (q, pq, tq) in acc.into_iter().filter(|a| a.0 > 0.0) {
            let _ = write!(dots, "M{} {}h0", n(x.at(tq / q)), n(y.at(pq / q)));
        }
    }
    let _ = write!(out, r#"<path class="fills" d="{dots}"/>"#);
    let fmt_t = |t: f64| crate::model::Timestamp(t as i64).in_tz(tz).format("%Y-%m-%d %H:%M:%S %Z").to_string();
    let _ = write!(
        out,
        r#"<text x="{L}" y="{}" class="xl0">{}</text><text x="{}" y="{}" class="xl1">{}</text></svg>"#,
        n(H - B + 14.0),
        fmt_t(t0),
        n(W - R),
        n(H - B + 14.0),
        fmt_t(t1)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(ticks(0.0, 10.0), (vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0], 0));
        assert_eq!(ticks(-12.0, 31.0), (vec![-10.0, 0.0, 10.0, 20.0, 30.0], 0));
        assert_eq!(ticks(10.05, 10.09).1, 2);
        assert_eq!(ticks(0.0, 1.1).1, 1);
        assert_eq!(count_ticks(1.1).0, vec![0.0, 1.0]);
        assert_eq!(n(12.345), "12.3");
        assert_eq!(n(12.0), "12");
    }

    #[test]
    fn charts_are_svg_even_without_data() {
        assert!(cost_distribution(&[], None).starts_with("<svg") && cost_distribution(&[], None).ends_with("</svg>"));
        assert!(slippage_vs_size(&[], None).contains("no order"));
        let h = cost_distribution(&[1.0, 2.0, 2.5, 40.0], Some(3.0));
        assert!(h.contains("mean +3.0") && h.ends_with("</svg>"), "{h}");
    }
}
