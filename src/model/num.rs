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

/// The one rule for a fixed-point value on the wire (every JSON body the API
/// sends or the `Remote` client sends, events and journals included): a
/// number when a double holds the value exactly (its shortest form reads
/// back as the same decimal, which is what every JSON reader and the
/// server's own check in `api::json_check` take), otherwise the decimal
/// string. `123456789012.345678` went out as `123456789012.34568` (a double
/// keeps 17 digits) and reached the server as another order; now it goes as
/// `"123456789012.345678"`, read digit by digit. Ordinary figures keep the
/// number form other clients already parse.
fn serialize_exact<S: Serializer>(raw: i64, decimals: u32, s: S) -> Result<S::Ok, S::Error> {
    let scale = pow10(decimals);
    // The common cases cost no formatting. At most 15 significant digits (a
    // raw value below 1e15) survive a double both ways (DBL_DIG): the raw
    // value and the scale are exact doubles and one division rounds to the
    // nearest, whose shortest form is the decimal itself.
    if raw.unsigned_abs() < 1_000_000_000_000_000 {
        return s.serialize_f64(raw as f64 / scale as f64);
    }
    // Whole units below 2^53 are exact doubles too.
    if raw % scale == 0 && (raw / scale).unsigned_abs() <= 1 << 53 {
        return s.serialize_f64((raw / scale) as f64);
    }
    let exact = Exact(raw, decimals).to_string();
    // The nearest double to the decimal, then its shortest form: the value
    // survives a reader's float when that form is the same decimal.
    match exact.parse::<f64>() {
        Ok(f) if parse_decimal(&f.to_string(), decimals) == Ok(raw) => s.serialize_f64(f),
        _ => s.serialize_str(&exact),
    }
}

/// A raw fixed-point value displayed with its decimals.
struct Exact(i64, u32);

impl fmt::Display for Exact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        format_decimal(self.0, self.1, f)
    }
}

/// What the JSON reader needs of each fixed-point type.
trait FixedPoint: Sized {
    const SCALE: i64;
    fn from_raw_unchecked(raw: i64) -> Self;
    fn parse_str(s: &str) -> Result<Self, NumError>;
}

/// Reads a number or a decimal string; anything else (a boolean, an object)
/// is refused with what was found and what is allowed.
struct NumVisitor<T>(std::marker::PhantomData<T>);

impl<T: FixedPoint> NumVisitor<T> {
    fn int<E: serde::de::Error>(i: i128) -> Result<T, E> {
        i.checked_mul(i128::from(T::SCALE))
            .and_then(|r| i64::try_from(r).ok())
            .map(T::from_raw_unchecked)
            .ok_or_else(|| E::custom(format!("{i} is out of range")))
    }
}

impl<'de, T: FixedPoint> serde::de::Visitor<'de> for NumVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a decimal string such as 100 or \"0.5\"")
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<T, E> {
        Self::int(i128::from(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<T, E> {
        Self::int(i128::from(v))
    }

    fn visit_f64<E: serde::de::Error>(self, x: f64) -> Result<T, E> {
        if !x.is_finite() {
            return Err(E::custom("number is not finite"));
        }
        T::parse_str(&format!("{x}")).map_err(E::custom)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        T::parse_str(v).map_err(E::custom)
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
            /// A whole number of units (saturating at the representable range).
            pub const fn from_int(units: i64) -> Self {
                Self(units.saturating_mul(Self::SCALE))
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
            /// Absolute value (saturating: the most negative value gives `MAX`).
            pub const fn abs(self) -> Self {
                Self(self.0.saturating_abs())
            }
            /// Subtraction that stops at zero.
            pub fn saturating_sub(self, o: Self) -> Self {
                Self(self.0.saturating_sub(o.0).max(0))
            }
            /// Addition that reports overflow.
            pub fn checked_add(self, o: Self) -> Option<Self> {
                self.0.checked_add(o.0).map(Self)
            }
            /// Subtraction that reports overflow.
            pub fn checked_sub(self, o: Self) -> Option<Self> {
                self.0.checked_sub(o.0).map(Self)
            }
            /// Multiplication by an integer that reports overflow.
            pub fn checked_mul_int(self, k: i64) -> Option<Self> {
                self.0.checked_mul(k).map(Self)
            }
            /// Multiplies by an integer (saturating at the representable range).
            pub fn mul_int(self, k: i64) -> Self {
                Self(self.0.saturating_mul(k))
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

        // The operators saturate at the representable range instead of
        // wrapping (release) or panicking (debug): a sum that would pass
        // i64::MAX stays above every limit it is compared with. Where an
        // overflow must be refused rather than absorbed, use `checked_*`.
        impl Add for $name {
            type Output = Self;
            fn add(self, o: Self) -> Self {
                Self(self.0.saturating_add(o.0))
            }
        }
        impl Sub for $name {
            type Output = Self;
            fn sub(self, o: Self) -> Self {
                Self(self.0.saturating_sub(o.0))
            }
        }
        impl AddAssign for $name {
            fn add_assign(&mut self, o: Self) {
                *self = *self + o;
            }
        }
        impl SubAssign for $name {
            fn sub_assign(&mut self, o: Self) {
                *self = *self - o;
            }
        }
        impl Neg for $name {
            type Output = Self;
            fn neg(self) -> Self {
                Self(self.0.saturating_neg())
            }
        }
        impl std::iter::Sum for $name {
            fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
                iter.fold(Self::ZERO, |a, b| a + b)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                serialize_exact(self.0, $decimals, s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(NumVisitor::<Self>(std::marker::PhantomData))
            }
        }

        impl FixedPoint for $name {
            const SCALE: i64 = pow10($decimals);
            fn from_raw_unchecked(raw: i64) -> Self {
                Self(raw)
            }
            fn parse_str(s: &str) -> Result<Self, NumError> {
                Self::parse(s)
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

/// [`div_round`] in 64 bits for a positive divisor (`2 |r| < 2 d` cannot overflow).
fn div_round_i64(n: i64, d: i64) -> i64 {
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d { q + n.signum() } else { q }
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

    /// Parses a quantity with an optional `k`/`m`/`bn` suffix (`250k` = 250,000) and
    /// thousands separators (`1,000`).
    pub fn parse_human(s: &str) -> Result<Qty, NumError> {
        parse_human(s, Qty::DECIMALS).map(Qty)
    }

    /// `self / total` as a fraction (0 when `total` is zero).
    pub fn ratio(self, total: Qty) -> f64 {
        if total.0 == 0 { 0.0 } else { self.0 as f64 / total.0 as f64 }
    }
}

/// Narrows an exact wide result to the raw grid, `None` when it does not fit.
fn narrow(n: i128) -> Option<i64> {
    i64::try_from(n).ok()
}

/// Narrows an exact wide result, saturating at the representable range.
fn saturate(n: i128) -> i64 {
    narrow(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX })
}

/// A human amount (`2.5m`, `1,000`, `3bn`: `model::human`'s units and
/// separators) exactly on a grid of `decimals`, `OutOfRange` past it.
fn parse_human(s: &str, decimals: u32) -> Result<i64, NumError> {
    let t = s.trim().replace(',', "");
    let (body, mult) = super::human::split_suffix(&t);
    let base = parse_decimal(body, decimals).map_err(|e| match e {
        NumError::NotANumber(_) => NumError::NotANumber(s.to_string()),
        other => other,
    })?;
    base.checked_mul(mult).ok_or_else(|| NumError::OutOfRange(s.to_string()))
}

impl Money {
    /// Parses an amount with an optional `k`/`m`/`bn` suffix (`2.5m` =
    /// 2,500,000) and thousands separators (`1,000`), as `Qty::parse_human`.
    pub fn parse_human(s: &str) -> Result<Money, NumError> {
        parse_human(s, Money::DECIMALS).map(Money)
    }

    /// This amount divided by `quote_per` (what a price is quoted for: 100
    /// for bonds priced per 100 of face value, else 1), rounded half away
    /// from zero to the money grid as notionals are: a notional summed from
    /// `price * qty` of each fill, in currency.
    pub fn per(self, quote_per: i64) -> Money {
        Money(saturate(div_round(i128::from(self.0), i128::from(quote_per.max(1)))))
    }

    /// `price * qty / per`, rounded half away from zero to the money grid,
    /// computed in 128 bits; `None` when the result does not fit (or `per`
    /// is not positive). `per` is how many units a price is quoted for
    /// (100 for bonds priced per 100 of face value, else 1).
    pub fn checked_notional_per(px: Price, qty: Qty, per: i64) -> Option<Money> {
        if per <= 0 {
            return None;
        }
        let n = i128::from(px.0) * i128::from(qty.0);
        // price scale 1e9 * qty scale 1e6 -> money scale 1e6: divide by 1e9 (and by `per`).
        narrow(div_round(n, i128::from(Price::SCALE) * i128::from(per))).map(Money)
    }

    /// `price * qty`, exact, `None` when it does not fit.
    pub fn checked_notional(px: Price, qty: Qty) -> Option<Money> {
        Self::checked_notional_per(px, qty, 1)
    }

    /// `price * qty`, rounded half away from zero to the money grid. Saturates
    /// at the representable range; the engine bounds every order's notional
    /// (`engine::MAX_ORDER_NOTIONAL`) far below it, and risk checks use
    /// `checked_notional`.
    pub fn notional(px: Price, qty: Qty) -> Money {
        // Every realistic print's product fits 64 bits, where the division
        // is a machine instruction rather than a 128-bit library call (this
        // runs for every print on the tape); the rounding is the same.
        if let Some(n) = px.0.checked_mul(qty.0) {
            return Money(div_round_i64(n, Price::SCALE));
        }
        let n = i128::from(px.0) * i128::from(qty.0);
        Money(saturate(div_round(n, i128::from(Price::SCALE))))
    }

    /// A per-unit rate (money per unit of quantity) applied to a quantity (saturating).
    pub fn per_unit(rate: Money, qty: Qty) -> Money {
        let n = i128::from(rate.0) * i128::from(qty.0);
        Money(saturate(div_round(n, i128::from(Qty::SCALE))))
    }

    /// `bps` basis points of this amount, rounded to the money grid (saturating).
    pub fn bps(self, bps: f64) -> Money {
        let x = self.to_f64() * bps / 1e4;
        Money::from_f64(x).unwrap_or(if x < 0.0 { Money(i64::MIN) } else { Money::MAX })
    }
}

/// Volume-weighted average price of a money/quantity pair, exact to the price
/// grid (`None` without quantity, or when the average does not fit a price).
pub fn vwap(notional: Money, qty: Qty) -> Option<Price> {
    if qty.0 == 0 {
        return None;
    }
    // money scale 1e6 / qty scale 1e6 = unitless; times price scale 1e9.
    let n = i128::from(notional.0) * i128::from(Price::SCALE);
    narrow(div_round(n, i128::from(qty.0))).map(Price)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A figure a double does not hold goes out as its decimal string and
    /// comes back the same; every other stays the number other clients read.
    #[test]
    fn json_carries_every_figure_exactly() {
        let q = |s: &str| Qty::parse(s).unwrap();
        let p = |s: &str| Price::parse(s).unwrap();
        // 18 significant digits: the nearest double is 123456789012.34567260..., shortest "123456789012.34567".
        assert_eq!(serde_json::to_string(&q("123456789012.345678")).unwrap(), r#""123456789012.345678""#);
        assert_eq!(serde_json::to_string(&q("-123456789012.345678")).unwrap(), r#""-123456789012.345678""#);
        // 19 digits: Price::MAX is 9223372036.854775807.
        assert_eq!(serde_json::to_string(&Price::MAX).unwrap(), r#""9223372036.854775807""#);
        // Held exactly by a double's shortest form: numbers, as before.
        assert_eq!(serde_json::to_string(&q("100")).unwrap(), "100.0");
        assert_eq!(serde_json::to_string(&p("0.00000001")).unwrap(), "1e-8");
        assert_eq!(serde_json::to_string(&p("999999.99999999")).unwrap(), "999999.99999999");
        assert_eq!(serde_json::to_string(&p("229.3")).unwrap(), "229.3");
        assert_eq!(serde_json::to_string(&Money::parse("0.1").unwrap()).unwrap(), "0.1");
        for v in [q("123456789012.345678"), q("9223372036854.775807"), q("0.000001"), q("100"), Qty::ZERO] {
            let text = serde_json::to_string(&v).unwrap();
            assert_eq!(serde_json::from_str::<Qty>(&text).unwrap(), v, "{text}");
        }
        // Below 1e15 raw (the fast path), a spread of values by hand; above, the string path.
        let mut raw: i64 = 1;
        while raw < i64::MAX / 7 {
            for v in [raw, raw + 1, raw * 3 + 1, 999_999_999_999_999, 1_000_000_000_000_001] {
                let (pv, qv) = (Price::from_raw(v), Qty::from_raw(v));
                assert_eq!(serde_json::from_str::<Price>(&serde_json::to_string(&pv).unwrap()).unwrap(), pv);
                assert_eq!(serde_json::from_str::<Qty>(&serde_json::to_string(&qv).unwrap()).unwrap(), qv);
            }
            raw = raw * 7 + 3;
        }
        for v in [Price::MAX, p("0.000000001"), p("1234567.123456789"), p("229.31")] {
            let text = serde_json::to_string(&v).unwrap();
            assert_eq!(serde_json::from_str::<Price>(&text).unwrap(), v, "{text}");
        }
    }

    /// Money and quantities read human amounts by one rule: the risk
    /// editor's own copy took no `b` and called a figure past the grid
    /// "not an amount".
    #[test]
    fn money_and_quantities_read_human_amounts_alike() {
        for (s, units) in [
            ("2.5m", 2_500_000),
            ("1,000k", 1_000_000),
            ("3bn", 3_000_000_000),
            ("3B", 3_000_000_000),
            ("250K", 250_000),
            ("12", 12),
        ] {
            assert_eq!(Money::parse_human(s), Ok(Money::from_int(units)), "{s}");
            assert_eq!(Qty::parse_human(s), Ok(Qty::from_int(units)), "{s}");
        }
        assert_eq!(
            Money::parse_human("0.0000015"),
            Err(NumError::TooManyDecimals { input: "0.0000015".into(), max: 6 })
        );
        // 10,000bn is past the money grid (9.2tn): refused, not wrapped.
        assert_eq!(Money::parse_human("10000bn"), Err(NumError::OutOfRange("10000bn".into())));
        assert_eq!(Money::parse_human("lots"), Err(NumError::NotANumber("lots".into())));
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

    /// The 64-bit fast path of `Money::notional` rounds as the 128-bit
    /// one: halves away from zero on both signs, and products either side
    /// of the 64-bit limit.
    #[test]
    fn notional_fast_path_matches_the_wide_one() {
        let wide = |px: i64, q: i64| {
            let n = i128::from(px) * i128::from(q);
            Money(saturate(div_round(n, i128::from(Price::SCALE))))
        };
        let cases = [
            (1, 500_000_000),
            (-1, 500_000_000),
            (1, 499_999_999),
            (-3, 1_500_000_001),
            (230_123_456_789, 110_000_000),
            (-39_432_480_000_000, 5_300),
            (i64::MAX / 1_000, 999),
            (i64::MAX / 1_000, 1_001),
            (i64::MIN / 7, 7),
            (i64::MAX, -2),
        ];
        for (px, q) in cases {
            let got = Money::notional(Price::from_raw(px), Qty::from_raw(q));
            assert_eq!(got, wide(px, q), "{px} x {q}");
        }
        // 0.5 and -0.5 of the money grid's unit round away from zero.
        assert_eq!(Money::notional(Price::from_raw(1), Qty::from_raw(500_000_000)).raw(), 1);
        assert_eq!(Money::notional(Price::from_raw(-1), Qty::from_raw(500_000_000)).raw(), -1);
    }
}
