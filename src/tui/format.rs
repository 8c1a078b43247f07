//! Figures as the UI shows them, built on `model::human` (separators and
//! human amounts live there, once): exact quantities, compact ones where
//! space is short, money with its currency, prices to the instrument's
//! tick, latencies in the unit that reads best. Pure functions.

use crate::engine::view::InstrumentView;
use crate::model::{Money, Price, Qty, human};

/// An exact quantity with separators (`10,000,000`, `0.00263`).
pub fn qty(q: Qty) -> String {
    human::qty(q)
}

/// A quantity or count in compact units (`12.3m`, `950k`, `0.5`).
pub fn compact(x: f64) -> String {
    human::compact(x)
}

/// Money in compact units with its currency (`$4.92m`, `-$37.8k`, `12.5k CHF`).
pub fn money(x: f64, ccy: &str) -> String {
    // Below a thousand the cents count; above, three significant digits.
    let c = if x.abs() < 999.995 { format!("{:.2}", x.abs()) } else { human::compact(x.abs()) };
    let sign = if x < 0.0 && c != "0.00" { "-" } else { "" };
    if ccy == "USD" { format!("{sign}${c}") } else { format!("{sign}{c} {ccy}") }
}

/// Money to the cent with separators and its currency (`-1,234.50 USD`).
pub fn money_exact(x: f64, ccy: &str) -> String {
    format!("{} {ccy}", human::fixed(x, 2))
}

/// A notional in currency: price x quantity divided by what the price is
/// quoted per (bonds: per 100 face), exact to the cent-grid of `Money`.
pub fn notional_text(px_qty: Money, quote_per: i64) -> String {
    let q = i128::from(quote_per.max(1));
    let raw = i128::from(px_qty.raw());
    // Half away from zero, as `Money` rounds.
    let n = (raw.abs() + q / 2) / q * raw.signum();
    match i64::try_from(n) {
        Ok(r) => Money::from_raw(r).to_string(),
        Err(_) => format!("{:.2}", n as f64 / Money::SCALE as f64),
    }
}

/// A notional in currency as a float (display and models only).
pub fn notional_f64(px_qty: Money, quote_per: i64) -> f64 {
    px_qty.to_f64() / quote_per.max(1) as f64
}

/// Decimals of a tick size (`0.01` -> 2, `0.00001` -> 5, `0.015625` -> 6).
pub fn tick_dp(tick: Price) -> usize {
    let s = tick.to_string();
    s.split_once('.').map_or(0, |(_, f)| f.len()).min(6)
}

/// Decimals for prices of an instrument: its tick's, else by size.
pub fn price_dp(inst: Option<&InstrumentView>, reference: f64) -> usize {
    match inst {
        Some(i) => tick_dp(i.tick_size).max(2),
        // FX and sub-$10 prices need pips; everything else reads in cents.
        None if reference >= 10.0 => 2,
        None => 4,
    }
}

/// Decimals for an average of prices (one more than quotes, at most 6).
pub fn avg_dp(inst: Option<&InstrumentView>, reference: f64) -> usize {
    (price_dp(inst, reference) + 1).min(6)
}

/// A price to `dp` decimals with separators (`95,123.45`), or `-`.
pub fn px(p: Option<Price>, dp: usize) -> String {
    p.map_or_else(|| "-".into(), |p| human::group(&format!("{p:.dp$}")))
}

/// A price given as a float (mids, models), to `dp` decimals with separators.
pub fn px_f64(p: f64, dp: usize) -> String {
    human::fixed(p, dp)
}

/// A latency in the unit that reads best (`350 µs`, `15 ms`, `1.2 s`).
pub fn latency_us(us: f64) -> String {
    if !us.is_finite() {
        "-".into()
    } else if us < 1_000.0 {
        format!("{us:.0} µs")
    } else if us < 10_000.0 {
        format!("{:.1} ms", us / 1e3)
    } else if us < 1_000_000.0 {
        format!("{:.0} ms", us / 1e3)
    } else {
        format!("{:.1} s", us / 1e6)
    }
}

/// A model input: whole numbers as whole numbers (`74`), large ones compact
/// (`20bn`), fractions with four significant digits (`0.0123`).
pub fn model_input(v: f64) -> String {
    if !v.is_finite() {
        "-".into()
    } else if v.fract() == 0.0 && v.abs() < 1e4 {
        format!("{v:.0}")
    } else {
        human::compact(v)
    }
}

/// A wall-clock span in words (`4 s`, `2 min 5 s`, `1 h 3 min`).
pub fn span(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bond_notional_is_per_100_face() {
        // 50m face of UST10Y at 98.40 (per 100): 49,200,000, not 4.92bn.
        let n = Money::notional(Price::parse("98.40").unwrap(), Qty::from_int(50_000_000));
        assert_eq!(notional_text(n, 100), "49200000");
        assert_eq!(money(notional_f64(n, 100), "USD"), "$49.2m");
        assert_eq!(notional_text(n, 1), "4920000000");
    }

    #[test]
    fn units_read_as_a_desk_writes_them() {
        assert_eq!(latency_us(15_000.0), "15 ms");
        assert_eq!(latency_us(350.0), "350 µs");
        assert_eq!(latency_us(2_500.0), "2.5 ms");
        assert_eq!(model_input(74.0), "74");
        assert_eq!(model_input(0.0), "0");
        assert_eq!(model_input(20_000_000_000.0), "20bn");
        assert_eq!(model_input(0.0123), "0.0123");
        assert_eq!(money(-37_808.09, "USD"), "-$37.8k");
        assert_eq!(money(12_500.0, "CHF"), "12.5k CHF");
        assert_eq!(money(6.272, "USD"), "$6.27");
        assert_eq!(money_exact(-1234.5, "USD"), "-1,234.50 USD");
        assert_eq!(tick_dp(Price::parse("0.015625").unwrap()), 6);
        assert_eq!(px(Price::parse("95123.456").ok(), 2), "95,123.46");
        assert_eq!(span(125), "2 min 5 s");
    }
}
