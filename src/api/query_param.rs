//! A numeric query parameter that does not decode (`limit=-1`, `offset=1e9`,
//! `after=x`) is refused naming the parameter, why, and the whole numbers
//! allowed, instead of the parser's "invalid digit found in string".
//!
//! The range is the one the route documents (`#[param(minimum, maximum)]`,
//! read from its `IntoParams`) within the one its Rust type holds. The type's
//! range is found by decoding the same query with the parameter set to each
//! type's bounds in turn (the query types are plain serde structs: nothing
//! else says whether `limit` is a `u32` or a `usize`). Only on the refusal
//! path: a few decodes of a short query string.

use crate::client::{ClientError, ErrorCode};
use serde::de::DeserializeOwned;
use utoipa::IntoParams;

/// Longest value quoted back in a message; a longer one is cut.
const SHOWN: usize = 24;

/// The refusal of `field`'s value in `query`, if `field` is a numeric
/// parameter of `T`; `None` leaves the decoder's own message.
pub(super) fn numeric_refusal<T: DeserializeOwned + IntoParams>(query: &str, field: &str) -> Option<ClientError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let raw = pairs.iter().find(|(k, _)| k == field).map(|(_, v)| v.clone())?;
    let accepts = |v: &str| {
        let probe: Vec<(&str, &str)> =
            pairs.iter().map(|(k, x)| (k.as_str(), if k == field { v } else { x.as_str() })).collect();
        let text = form_urlencoded::Serializer::new(String::new()).extend_pairs(probe).finish();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(text.as_bytes()));
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(_) => true,
            // Another parameter at fault, or a required one missing: this value read.
            Err(e) => e.path().to_string() != field,
        }
    };
    if !accepts("0") || accepts("0.5") {
        // Not a whole-number parameter (an enum, a bool, a float): the decoder's message stands.
        return None;
    }
    let lo: i128 = if accepts("-1") {
        [i64::MIN.into(), i32::MIN.into(), i16::MIN.into(), i8::MIN.into()]
            .into_iter()
            .find(|b: &i128| accepts(&b.to_string()))
            .unwrap_or(-1)
    } else {
        0
    };
    let hi: i128 = [
        u64::MAX.into(),
        i64::MAX.into(),
        u32::MAX.into(),
        i32::MAX.into(),
        u16::MAX.into(),
        i16::MAX.into(),
        u8::MAX.into(),
        i8::MAX.into(),
    ]
    .into_iter()
    .find(|b: &i128| accepts(&b.to_string()))
    .unwrap_or(0);
    let (lo, hi) = documented(T::into_params(|| None), field, lo, hi);
    let allowed = format!("allowed: a whole number from {lo} to {hi}");
    let shown = shown(&raw);
    let (code, why) = match raw.trim().parse::<i128>() {
        Ok(n) if n < lo => (ErrorCode::InvalidParam, format!("'{shown}' is below {lo}")),
        Ok(n) if n > hi => (ErrorCode::InvalidParam, format!("'{shown}' is above {hi}")),
        // Past i128: all digits, so a number above any type's range.
        Err(_) if is_integer(raw.trim()) => {
            let sign_neg = raw.trim().starts_with('-');
            let why = if sign_neg { format!("is below {lo}") } else { format!("is above {hi}") };
            (ErrorCode::InvalidParam, format!("'{shown}' {why}"))
        }
        Err(_) if raw.trim().parse::<f64>().is_ok_and(f64::is_finite) => {
            (ErrorCode::InvalidParam, format!("'{shown}' is not a whole number"))
        }
        _ => (ErrorCode::InvalidQuery, format!("'{shown}' is not a number")),
    };
    Some(ClientError::new(code, format!("{field}: {why}; {allowed}")).with_field(field))
}

/// `lo..=hi` narrowed to the minimum and maximum the route documents for `field`.
fn documented(params: Vec<utoipa::openapi::path::Parameter>, field: &str, lo: i128, hi: i128) -> (i128, i128) {
    let Some(schema) = params.into_iter().find(|p| p.name == field).and_then(|p| p.schema) else {
        return (lo, hi);
    };
    let Ok(v) = serde_json::to_value(&schema) else {
        return (lo, hi);
    };
    let bound = |k: &str| v.get(k).and_then(|b| b.as_i64().map(i128::from).or_else(|| b.as_u64().map(i128::from)));
    (bound("minimum").map_or(lo, |m| m.max(lo)), bound("maximum").map_or(hi, |m| m.min(hi)))
}

/// An optional sign, then digits only.
fn is_integer(s: &str) -> bool {
    let d = s.strip_prefix(['-', '+']).unwrap_or(s);
    !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
}

/// The value as sent, cut past [`SHOWN`] characters (with its length said).
fn shown(raw: &str) -> String {
    let n = raw.chars().count();
    if n <= SHOWN {
        raw.to_string()
    } else {
        format!("{}... ({n} characters)", raw.chars().take(12).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
    #[allow(dead_code)]
    struct Q {
        /// Rows.
        #[serde(default)]
        limit: usize,
        /// Small.
        #[param(minimum = 1, maximum = 50)]
        page: Option<u32>,
        /// Signed.
        shift: Option<i16>,
        /// Any text.
        name: Option<String>,
    }

    fn refusal(q: &str, f: &str) -> Option<(String, String)> {
        numeric_refusal::<Q>(q, f).map(|e| (e.code.as_str().to_string(), e.message))
    }

    #[test]
    fn each_type_and_documented_range_is_said() {
        let (code, m) = refusal("limit=-1&name=x", "limit").unwrap();
        assert_eq!(
            (code.as_str(), m.as_str()),
            ("invalid_param", "limit: '-1' is below 0; allowed: a whole number from 0 to 18446744073709551615")
        );
        let (_, m) = refusal("page=0", "page").unwrap();
        assert_eq!(m, "page: '0' is below 1; allowed: a whole number from 1 to 50", "the documented range");
        let (_, m) = refusal("shift=40000", "shift").unwrap();
        assert_eq!(m, "shift: '40000' is above 32767; allowed: a whole number from -32768 to 32767");
        let (code, m) = refusal("shift=x", "shift").unwrap();
        assert_eq!(
            (code.as_str(), m.as_str()),
            ("invalid_query", "shift: 'x' is not a number; allowed: a whole number from -32768 to 32767")
        );
        assert!(refusal("name=x", "name").is_none(), "not numeric");
    }
}
