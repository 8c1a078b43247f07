//! Numbers as a desk writes them, in one place: thousands separators
//! (`10,000,000`, `0.5`) and human amounts (`50k`, `2.5m`, `1.2bn`), written
//! here and read here (`split_suffix`), so the command line, the risk
//! messages and the terminal UI cannot disagree.

use super::num::{Money, Qty};

/// Inserts thousands separators into the integer part of a plain decimal
/// (`-1234567.25` -> `-1,234,567.25`). Anything that is not a plain decimal
/// is returned unchanged.
pub fn group(s: &str) -> String {
    let (sign, body) = s.strip_prefix('-').map_or(("", s), |b| ("-", b));
    let (int, frac) = body.split_once('.').map_or((body, None), |(a, b)| (a, Some(b)));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + int.len() / 3);
    out.push_str(sign);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// An exact quantity with thousands separators (`10,000,000`, `0.00263`).
pub fn qty(q: Qty) -> String {
    group(&q.to_string())
}

/// Money to whole units, exact and rounded half away from zero as `Money`
/// rounds, with thousands separators (`1,234,568`); `-0` reads as `0`.
pub fn money_whole(m: Money) -> String {
    let s = format!("{m:.0}");
    group(if s == "-0" { "0" } else { &s })
}

/// A whole number with thousands separators.
pub fn int(n: i128) -> String {
    group(&n.to_string())
}

/// A float rounded to `dp` decimals, with thousands separators (`-1,234.50`).
pub fn fixed(x: f64, dp: usize) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let s = format!("{x:.dp$}");
    // `-0.00` reads as a loss of nothing.
    let s = if s.trim_start_matches('-').bytes().all(|b| matches!(b, b'0' | b'.')) {
        s.trim_start_matches('-').to_string()
    } else {
        s
    };
    group(&s)
}

/// A figure as typed, in scientific notation past 15 digits (`1e300`, which
/// `{}` writes out in 301 digits): for echoing a value back in a refusal.
pub fn figure(x: f64) -> String {
    if x.is_finite() && x.abs() >= 1e15 { format!("{x:e}") } else { x.to_string() }
}

/// The units of human amounts, largest first.
const UNITS: [(f64, &str); 4] = [(1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k")];

/// A human amount in at most three significant digits with a unit:
/// `12.3m`, `950k`, `1.2bn`, `9.22tn`; below a thousand the figure itself
/// with up to four significant digits (`15`, `0.5`, `0.0263`), so a small
/// crypto size never reads as 0.
pub fn compact(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let a = x.abs();
    // Past 999tn there is no unit a desk reads ("1000000tn" was shown): scientific, three digits.
    if a >= UNITS[0].0 * 999.5 {
        return format!("{sign}{a:.2e}");
    }
    for (i, (scale, unit)) in UNITS.iter().enumerate() {
        if a >= *scale * 0.9995 {
            let v = a / scale;
            let s = three_digits(v);
            // 999.95k rounds to 1000k: say 1m.
            if s == "1000" && i > 0 {
                let (up, upunit) = UNITS[i - 1];
                return format!("{sign}{}{upunit}", three_digits(a / up));
            }
            return format!("{sign}{s}{unit}");
        }
    }
    if a == 0.0 {
        return "0".into();
    }
    // Four significant digits below a thousand, trailing zeros dropped.
    let dp = (3 - a.log10().floor() as i32).clamp(0, 8) as usize;
    format!("{sign}{}", trim_zeros(&format!("{a:.dp$}")))
}

/// `v` (1 <= v < 1000) in three significant digits without trailing zeros.
fn three_digits(v: f64) -> String {
    let dp = if v < 9.995 {
        2
    } else if v < 99.95 {
        1
    } else {
        0
    };
    trim_zeros(&format!("{v:.dp$}"))
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s.to_string() }
}

/// Splits a human amount into its number and the multiplier of its unit:
/// `2.5m` -> (`2.5`, 1,000,000); `k`, `m`, `bn` (or `b`), any case. The
/// number is left for the caller to parse exactly.
pub fn split_suffix(s: &str) -> (&str, i64) {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    for (suffix, mult) in [("bn", 1_000_000_000), ("b", 1_000_000_000), ("k", 1_000), ("m", 1_000_000)] {
        if lower.ends_with(suffix) {
            return (t[..t.len() - suffix.len()].trim_end(), mult);
        }
    }
    (t, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_figure_echoed_back_stays_short() {
        assert_eq!(figure(1e300), "1e300");
        assert_eq!(figure(-2.5e20), "-2.5e20");
        assert_eq!(figure(150_000.0), "150000");
        assert_eq!(figure(-0.5), "-0.5");
        assert_eq!(figure(f64::INFINITY), "inf");
    }

    #[test]
    fn separators_never_lose_a_digit() {
        assert_eq!(group("10000000"), "10,000,000");
        assert_eq!(group("-1234567.25"), "-1,234,567.25");
        assert_eq!(group("999"), "999");
        assert_eq!(group("0.00263"), "0.00263");
        assert_eq!(group("n/a"), "n/a");
        assert_eq!(qty(Qty::from_int(50_000_000)), "50,000,000");
        // The largest quantity a Qty holds: every digit is there.
        assert_eq!(qty(Qty::MAX), "9,223,372,036,854.775807");
        assert_eq!(int(-1_000), "-1,000");
        assert_eq!(fixed(-0.001, 2), "0.00");
        assert_eq!(fixed(-1234.5, 2), "-1,234.50");
    }

    #[test]
    fn human_amounts_in_three_digits() {
        assert_eq!(compact(25_000.0), "25k");
        assert_eq!(compact(12_345_678.0), "12.3m");
        assert_eq!(compact(50_000_000.0), "50m");
        assert_eq!(compact(999_960.0), "1m");
        assert_eq!(compact(2_500_000.0), "2.5m");
        assert_eq!(compact(20_000_000_000.0), "20bn");
        assert_eq!(compact(Qty::MAX.to_f64()), "9.22tn");
        assert_eq!(compact(999e12), "999tn");
        // 999.6tn would round to "1000tn": no unit past tn, so scientific.
        assert_eq!(compact(999.6e12), "1.00e15");
        assert_eq!(compact(1e18), "1.00e18");
        assert_eq!(compact(-2.5e20), "-2.50e20");
        assert_eq!(compact(15.0), "15");
        assert_eq!(compact(0.5), "0.5");
        assert_eq!(compact(0.0263), "0.0263");
        assert_eq!(compact(-37_808.09), "-37.8k");
        assert_eq!(compact(0.0), "0");
        assert_eq!(compact(999.4), "999.4");
    }

    #[test]
    fn suffixes_read_back() {
        assert_eq!(split_suffix("2.5m"), ("2.5", 1_000_000));
        assert_eq!(split_suffix("1BN"), ("1", 1_000_000_000));
        assert_eq!(split_suffix("250k"), ("250", 1_000));
        assert_eq!(split_suffix("12"), ("12", 1));
    }
}
