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
/// quoted per (bonds: per 100 face), exact on the money grid (`Money::per`).
pub fn notional_text(px_qty: Money, quote_per: i64) -> String {
    px_qty.per(quote_per).to_string()
}

/// The same notional to whole units with separators, exact (`49,200,000`).
pub fn notional_whole(px_qty: Money, quote_per: i64) -> String {
    human::money_whole(px_qty.per(quote_per))
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

/// A share of average daily volume (`0.045` -> `4.500%`): `dp` decimals while
/// the figure is a plausible order, whole percents grouped past 1,000%, and a
/// cap past a million percent, where the digits only say "absurd size".
pub fn pct_of_adv(frac: f64, dp: usize) -> String {
    let pct = frac * 100.0;
    if !pct.is_finite() {
        "-".into()
    } else if pct.abs() >= 1e6 {
        "> 1,000,000%".into()
    } else if pct.abs() >= 1e3 {
        format!("{}%", human::fixed(pct, 0))
    } else {
        format!("{pct:.dp$}%")
    }
}

/// The mid a desk reads and the engine's risk check measures a limit from:
/// the NBBO's, the simulator's latent price only for a one-sided book.
pub fn mid(b: &crate::engine::view::BookView) -> f64 {
    b.nbbo.mid().unwrap_or(b.mid)
}

/// A signed change in percent (`+0.56%`, `-16.71%`): two decimals while
/// the figure is a plausible price, whole percents grouped past 1,000%
/// (`+437,133%`) and a cap past a million percent.
pub fn pct_change(pct: f64) -> String {
    if !pct.is_finite() {
        "-".into()
    } else if pct.abs() >= 1e6 {
        (if pct < 0.0 { "< -1,000,000%" } else { "> +1,000,000%" }).into()
    } else if pct.abs() >= 1e3 {
        format!("{}{}%", if pct < 0.0 { "" } else { "+" }, human::fixed(pct, 0))
    } else {
        format!("{pct:+.2}%")
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
    fn a_change_is_grouped_past_a_thousand_percent() {
        assert_eq!(pct_change(0.5612), "+0.56%");
        assert_eq!(pct_change(-16.7123), "-16.71%");
        assert_eq!(pct_change(437_133.16), "+437,133%");
        assert_eq!(pct_change(-1_234.6), "-1,235%");
        assert_eq!(pct_change(2e6), "> +1,000,000%");
        assert_eq!(pct_change(f64::NAN), "-");
    }

    #[test]
    fn bond_notional_is_per_100_face() {
        // 50m face of UST10Y at 98.40 (per 100): 49,200,000, not 4.92bn.
        let n = Money::notional(Price::parse("98.40").unwrap(), Qty::from_int(50_000_000));
        assert_eq!(notional_text(n, 100), "49200000");
        assert_eq!(money(n.per(100).to_f64(), "USD"), "$49.2m");
        assert_eq!(notional_text(n, 1), "4920000000");
        assert_eq!(notional_whole(n, 100), "49,200,000");
    }

    /// The blotter's column and the export read one exact rule: where the
    /// column went through f64 it rounded halves to even and lost the
    /// cents of the largest notionals.
    #[test]
    fn the_notional_column_and_the_export_agree_at_the_edges() {
        // 1 face at 250 per 100: 2.50 exactly, whole units half away from zero: 3 (f64 said 2).
        let n = Money::notional(Price::parse("250").unwrap(), Qty::from_int(1));
        assert_eq!((notional_text(n, 100), notional_whole(n, 100)), ("2.5".into(), "3".into()));
        // The largest amount the grid holds, 9,223,372,036,854.775807: by
        // hand, / 1 keeps every digit; f64 holds only about 16 of the 19.
        assert_eq!(notional_text(Money::MAX, 1), "9223372036854.775807");
        assert_eq!(notional_whole(Money::MAX, 1), "9,223,372,036,855");
        // / 100: 92,233,720,368.54775807 -> .547758 half away from zero.
        assert_eq!(notional_text(Money::MAX, 100), "92233720368.547758");
        assert_eq!(notional_text(-Money::MAX, 100), "-92233720368.547758");
        // Quantity 1e12 at a price of 1e6 is past the grid: the notional saturates, not wraps.
        let n = Money::notional(Price::parse("1000000").unwrap(), Qty::from_int(1_000_000_000_000));
        assert_eq!(notional_text(n, 1), Money::MAX.to_string());
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
        assert_eq!(pct_of_adv(0.045, 3), "4.500%");
        assert_eq!(pct_of_adv(0.045, 2), "4.50%");
        // 1,234.56% (from 12.3456): whole percents with a separator.
        assert_eq!(pct_of_adv(12.3456, 3), "1,235%");
        // 1e9 shares on an ADV of 30 is 3,333,333,333.333%: capped.
        assert_eq!(pct_of_adv(1e9 / 30.0, 3), "> 1,000,000%");
        assert_eq!(money(1e18, "USD"), "$1.00e18");
    }
}
