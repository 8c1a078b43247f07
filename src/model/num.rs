//! Exact fixed-point numbers for prices, quantities and money.
//!
//! Matching and the ledger use these; `f64` is only for models and analytics.
//! Each type is a raw `i64` with a fixed number of decimals, so equality and
//! ordering are exact and the database stores plain integers.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

/// Why a decimal string could not become a fixed-point number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumError {
    #[error("'{0}' is not a number")]
    NotANumber(String),
    #[error("'{input}' has more than {max} decimals")]
    TooManyDecimals { input: String, max: u32 },
    #[error("'{0}' is out of range")]
    OutOfRange(String),
}

const fn pow10(n: u32) -> i64 {
    let mut v = 1i64;
    let mut i = 0;
    while i < n {
        v *= 10;
        i += 1;
    }
    v
}

/// Parses a plain decimal (`-12.345`) into a raw integer with `decimals` places.
fn parse_decimal(s: &str, decimals: u32) -> Result<i64, NumError> {
    // Digit separators are rare: only they pay for a copy (this parses every field of a tape).
    let t: std::borrow::Cow<'_, str> = if s.contains('_') { s.trim().replace('_', "").into() } else { s.trim().into() };
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(&t)),
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    let valid = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty()) || !valid(int_part) || !valid(frac_part) {
        return Err(NumError::NotANumber(s.to_string()));
    }
    let frac_trimmed = frac_part.trim_end_matches('0');
    if frac_trimmed.len() as u32 > decimals {
        return Err(NumError::TooManyDecimals { input: s.to_string(), max: decimals });
    }
    let scale = pow10(decimals);
    let int_val: i64 =
        if int_part.is_empty() { 0 } else { int_part.parse().map_err(|_| NumError::OutOfRange(s.to_string()))? };
    let mut frac_val: i64 = 0;
    for (i, b) in frac_trimmed.bytes().enumerate() {
        frac_val += i64::from(b - b'0') * pow10(decimals - 1 - i as u32);
    }
    let raw = int_val
        .checked_mul(scale)
        .and_then(|v| v.checked_add(frac_val))
        .ok_or_else(|| NumError::OutOfRange(s.to_string()))?;
    Ok(if neg { -raw } else { raw })
}

/// Formats a raw integer with `decimals` places, dropping trailing zeros.
fn format_decimal(raw: i64, decimals: u32, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let scale = pow10(decimals) as u64;
    let sign = if raw < 0 { "-" } else { "" };
    let abs = raw.unsigned_abs();
    let (int, frac) = (abs / scale, abs % scale);
    if let Some(prec) = f.precision() {
        // Explicit precision: round half away from zero at that many places.
        let prec = prec.min(decimals as usize) as u32;
        let unit = pow10(decimals - prec) as u64;
        let rounded = (abs + unit / 2) / unit;
        let p = pow10(prec) as u64;
        if prec == 0 {
            return write!(f, "{sign}{}", rounded);
        }
        return write!(f, "{sign}{}.{:0width$}", rounded / p, rounded % p, width = prec as usize);
    }
    if frac == 0 {
        write!(f, "{sign}{int}")
    } else {
        let s = format!("{:0width$}", frac, width = decimals as usize);
        write!(f, "{sign}{int}.{}", s.trim_end_matches('0'))
    }
}

macro_rules! fixed_point {
    ($(#[$doc:meta])* $name:ident, $decimals:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(i64);

        impl $name {
            /// Number of decimal places in the raw representation.
            pub const DECIMALS: u32 = $decimals;
            /// Raw units per whole unit.
            pub const SCALE: i64 = pow10($decimals);
            /// Zero.
            pub const ZERO: Self = Self(0);
            /// The largest representable value.
            pub const MAX: Self = Self(i64::MAX);

            /// Builds from the raw integer (value times `SCALE`).
            pub const fn from_raw(raw: i64) -> Self {
                Self(raw)
            }
            /// The raw integer (value times `SCALE`).
            pub const fn raw(self) -> i64 {
                self.0
            }
            /// A whole number of units.
            pub const fn from_int(units: i64) -> Self {
                Self(units * Self::SCALE)
            }
            /// Nearest representable value to a float; `None` if not finite or out of range.
            pub fn from_f64(x: f64) -> Option<Self> {
                // Half away from zero by offset-and-truncate: `f64::round` is a
                // libm call on baseline x86-64 and this sits on the simulator's hot path.
                let r = x * Self::SCALE as f64;
                if !(r.is_finite() && r.abs() < 9.0e18) {
                    return None;
                }
                Some(Self(if r >= 0.0 { (r + 0.5) as i64 } else { (r - 0.5) as i64 }))
            }
            /// The value as a float (for models and display only).
            pub fn to_f64(self) -> f64 {
                self.0 as f64 / Self::SCALE as f64
            }
            /// True when exactly zero.
            pub const fn is_zero(self) -> bool {
                self.0 == 0
            }
            /// True when strictly positive.
            pub const fn is_positive(self) -> bool {
                self.0 > 0
            }
            /// True when strictly negative.
            pub const fn is_negative(self) -> bool {
                self.0 < 0
            }
            /// Absolute value.
            pub const fn abs(self) -> Self {
                Self(self.0.abs())
            }
            /// Subtraction that stops at zero.
            pub fn saturating_sub(self, o: Self) -> Self {
                Self((self.0 - o.0).max(0))
            }
            /// Addition that reports overflow.
            pub fn checked_add(self, o: Self) -> Option<Self> {
                self.0.checked_add(o.0).map(Self)
            }
            /// Multiplies by an integer.
            pub fn mul_int(self, k: i64) -> Self {
                Self(self.0 * k)
            }
            /// Parses a plain decimal string exactly.
            pub fn parse(s: &str) -> Result<Self, NumError> {
                parse_decimal(s, $decimals).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                format_decimal(self.0, $decimals, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                format_decimal(self.0, $decimals, f)
            }
        }

        impl FromStr for $name {
            type Err = NumError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl Add for $name {
            type Output = Self;
            fn add(self, o: Self) -> Self {
                Self(self.0 + o.0)
            }
        }
        impl Sub for $name {
            type Output = Self;
            fn sub(self, o: Self) -> Self {
                Self(self.0 - o.0)
            }
        }
        impl AddAssign for $name {
            fn add_assign(&mut self, o: Self) {
                self.0 += o.0;
            }
        }
        impl SubAssign for $name {
            fn sub_assign(&mut self, o: Self) {
                self.0 -= o.0;
            }
        }
        impl Neg for $name {
            type Output = Self;
            fn neg(self) -> Self {
                Self(-self.0)
            }
        }
        impl std::iter::Sum for $name {
            fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
                Self(iter.map(|x| x.0).sum())
            }
        }

        // JSON carries these as numbers: the shortest float that round-trips is
        // printed, and parsing goes back through the decimal string, so values
        // with at most `DECIMALS` places survive exactly.
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_f64(self.to_f64())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                #[derive(Deserialize)]
                #[serde(untagged)]
                enum Repr {
                    Int(i64),
                    Float(f64),
                    Text(String),
                }
                match Repr::deserialize(d)? {
                    Repr::Int(i) => i
                        .checked_mul(Self::SCALE)
                        .map(Self)
                        .ok_or_else(|| serde::de::Error::custom("number out of range")),
                    Repr::Float(x) => {
                        if !x.is_finite() {
                            return Err(serde::de::Error::custom("number is not finite"));
                        }
                        Self::parse(&format!("{x}")).map_err(serde::de::Error::custom)
                    }
                    Repr::Text(t) => Self::parse(&t).map_err(serde::de::Error::custom),
                }
            }
        }
    };
}

fixed_point!(
    /// A price with 9 decimals (fine enough for 1/256 bond ticks and FX pips).
    Price,
    9
);
fixed_point!(
    /// A quantity (shares, coins, currency units, face value) with 6 decimals.
    Qty,
    6
);
fixed_point!(
    /// An amount of money in the instrument's currency, with 6 decimals.
    Money,
    6
);

/// Which way to round a price onto a tick grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Towards minus infinity.
    Down,
    /// Towards plus infinity.
    Up,
    /// To the nearest tick (ties away from zero).
    Nearest,
}

fn div_round(n: i128, d: i128) -> i128 {
    // Half away from zero.
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d.abs() { q + n.signum() * d.signum() } else { q }
}

impl Price {
    /// Rounds onto a multiple of `tick`.
    pub fn round_to(self, tick: Price, mode: Rounding) -> Price {
        if tick.0 <= 0 {
            return self;
        }
        let t = tick.0;
        let floor = self.0.div_euclid(t) * t;
        let v = match mode {
            Rounding::Down => floor,
            Rounding::Up => {
                if floor == self.0 {
                    floor
                } else {
                    floor + t
                }
            }
            Rounding::Nearest => {
                let rem = self.0 - floor;
                if rem * 2 >= t { floor + t } else { floor }
            }
        };
        Price(v)
    }

    /// True when the price is an exact multiple of `tick`.
    pub fn is_on_tick(self, tick: Price) -> bool {
        tick.0 <= 0 || self.0 % tick.0 == 0
    }

    /// Difference in basis points relative to `reference`.
    pub fn bps_from(self, reference: Price) -> f64 {
        if reference.0 == 0 {
            return 0.0;
        }
        (self.0 - reference.0) as f64 / reference.0 as f64 * 1e4
    }
}

impl Qty {
    /// Rounds down onto a multiple of `lot`.
    pub fn round_down_to(self, lot: Qty) -> Qty {
        if lot.0 <= 0 {
            return self;
        }
        Qty(self.0.div_euclid(lot.0) * lot.0)
    }

    /// True when the quantity is an exact multiple of `lot`.
    pub fn is_multiple_of(self, lot: Qty) -> bool {
        lot.0 <= 0 || self.0 % lot.0 == 0
    }

    /// Parses a quantity with an optional `k`/`m` suffix (`250k` = 250,000) and
    /// thousands separators (`1,000`).
    pub fn parse_human(s: &str) -> Result<Qty, NumError> {
        let t = s.trim().replace(',', "");
        let (body, mult) = match t.chars().last() {
            Some('k' | 'K') => (&t[..t.len() - 1], 1_000),
            Some('m' | 'M') => (&t[..t.len() - 1], 1_000_000),
            _ => (t.as_str(), 1),
        };
        let base = Qty::parse(body).map_err(|e| match e {
            NumError::NotANumber(_) => NumError::NotANumber(s.to_string()),
            other => other,
        })?;
        base.0.checked_mul(mult).map(Qty).ok_or_else(|| NumError::OutOfRange(s.to_string()))
    }

    /// `self / total` as a fraction (0 when `total` is zero).
    pub fn ratio(self, total: Qty) -> f64 {
        if total.0 == 0 { 0.0 } else { self.0 as f64 / total.0 as f64 }
    }
}

impl Money {
    /// `price * qty`, rounded half away from zero to the money grid.
    pub fn notional(px: Price, qty: Qty) -> Money {
        let n = px.0 as i128 * qty.0 as i128;
        // price scale 1e9 * qty scale 1e6 -> money scale 1e6: divide by 1e9.
        Money(div_round(n, Price::SCALE as i128) as i64)
    }

    /// A per-unit rate (money per unit of quantity) applied to a quantity.
    pub fn per_unit(rate: Money, qty: Qty) -> Money {
        let n = rate.0 as i128 * qty.0 as i128;
        Money(div_round(n, Qty::SCALE as i128) as i64)
    }

    /// `bps` basis points of this amount, rounded to the money grid.
    pub fn bps(self, bps: f64) -> Money {
        Money((self.0 as f64 * bps / 1e4).round() as i64)
    }
}

/// A decimal number's text with thousands separators in its whole part
/// (`-1234567.5` -> `-1,234,567.5`); anything else is returned as it is.
pub fn grouped(s: &str) -> String {
    let (int, frac) = s.split_once('.').map_or((s, None), |(a, b)| (a, Some(b)));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return s.to_string();
    }
    let mut out = String::from(sign);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
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

/// Volume-weighted average price of a money/quantity pair, exact to the price grid.
pub fn vwap(notional: Money, qty: Qty) -> Option<Price> {
    if qty.0 == 0 {
        return None;
    }
    // money scale 1e6 / qty scale 1e6 = unitless; times price scale 1e9.
    let n = notional.0 as i128 * Price::SCALE as i128;
    Some(Price(div_round(n, qty.0 as i128) as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(grouped("1234567.25"), "1,234,567.25");
        assert_eq!(grouped("-1000"), "-1,000");
        assert_eq!(grouped("999"), "999");
        assert_eq!(grouped("0.5"), "0.5");
        assert_eq!(grouped("n/a"), "n/a");
    }

    #[test]
    fn parses_and_prints_exactly() {
        assert_eq!(Price::parse("185.23").unwrap().raw(), 185_230_000_000);
        assert_eq!(Price::parse("-0.5").unwrap().raw(), -500_000_000);
        assert_eq!(Price::parse("1.00390625").unwrap().to_string(), "1.00390625");
        assert_eq!(Qty::parse("0.000263").unwrap().raw(), 263);
        assert_eq!(Qty::parse("200000").unwrap().to_string(), "200000");
        assert!(matches!(Qty::parse("0.0000001"), Err(NumError::TooManyDecimals { .. })));
        assert!(matches!(Qty::parse("abc"), Err(NumError::NotANumber(_))));
        assert!(matches!(Qty::parse("."), Err(NumError::NotANumber(_))));
        assert!(matches!(Qty::parse("1e5"), Err(NumError::NotANumber(_))));
        assert_eq!(format!("{:.2}", Price::parse("185.235").unwrap()), "185.24");
        assert_eq!(format!("{:.0}", Qty::parse("2.5").unwrap()), "3");
    }

    #[test]
    fn human_quantities() {
        assert_eq!(Qty::parse_human("250k").unwrap(), Qty::from_int(250_000));
        assert_eq!(Qty::parse_human("1.5m").unwrap(), Qty::from_int(1_500_000));
        assert_eq!(Qty::parse_human("1,000").unwrap(), Qty::from_int(1_000));
        assert!(Qty::parse_human("k").is_err());
    }

    #[test]
    fn tick_rounding() {
        let tick = Price::parse("0.01").unwrap();
        let p = Price::parse("185.234").unwrap();
        assert_eq!(p.round_to(tick, Rounding::Down).to_string(), "185.23");
        assert_eq!(p.round_to(tick, Rounding::Up).to_string(), "185.24");
        assert_eq!(p.round_to(tick, Rounding::Nearest).to_string(), "185.23");
        let neg = Price::parse("-1.005").unwrap();
        assert_eq!(neg.round_to(tick, Rounding::Down).to_string(), "-1.01");
        assert!(Price::parse("185.23").unwrap().is_on_tick(tick));
        assert!(!p.is_on_tick(tick));
    }

    #[test]
    fn money_is_exact() {
        let px = Price::parse("185.23").unwrap();
        let q = Qty::from_int(300);
        assert_eq!(Money::notional(px, q).to_string(), "55569");
        let fee = Money::per_unit(Money::parse("0.003").unwrap(), q);
        assert_eq!(fee.to_string(), "0.9");
        assert_eq!(vwap(Money::notional(px, q), q), Some(px));
        assert_eq!(vwap(Money::ZERO, Qty::ZERO), None);
    }

    #[test]
    fn json_round_trip() {
        let p = Price::parse("39432.48").unwrap();
        let s = serde_json::to_string(&p).unwrap();
        assert_eq!(s, "39432.48");
        let back: Price = serde_json::from_str(&s).unwrap();
        assert_eq!(back, p);
        let q: Qty = serde_json::from_str("\"0.000263\"").unwrap();
        assert_eq!(q.raw(), 263);
        let q: Qty = serde_json::from_str("100").unwrap();
        assert_eq!(q, Qty::from_int(100));
    }
}
