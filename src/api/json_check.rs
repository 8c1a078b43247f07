//! What serde cannot see in a request body, checked on its text before it is
//! decoded: a number that a float does not hold exactly, and a key repeated
//! in one object.
//!
//! serde_json hands every number with a fraction or an exponent (and every
//! integer past 64 bits) to the types as an `f64`, so `99.999999999999999`
//! reached a quantity as 100 and was accepted as another order than the one
//! sent. Structs refuse a repeated field, but a map (an order's `params`, the
//! algo configuration) kept the last of two equal keys. Both are refused
//! here, with the path of the value at fault, so an exact figure must come as
//! a number a float holds (every encoder writes doubles so) or as a decimal
//! string, which the fixed-point types read digit by digit.

use super::errors::ApiError;
use crate::client::{ClientError, ErrorCode};
use std::collections::HashSet;

/// One open container and where we are in it.
enum Frame {
    /// An object: its keys so far, the current one, and whether a key comes next.
    Object { keys: HashSet<String>, key: Option<String>, want_key: bool },
    /// An array and the index of its current element.
    Array(usize),
}

/// The path of the value being read, as serde_path_to_error writes it
/// (`params.slices`, `items[2]`).
fn path(stack: &[Frame]) -> String {
    let mut p = String::new();
    for f in stack {
        match f {
            Frame::Object { key: Some(k), .. } => {
                if !p.is_empty() {
                    p.push('.');
                }
                p.push_str(k);
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array(i) => p.push_str(&format!("[{i}]")),
        }
    }
    p
}

fn refuse(stack: &[Frame], message: String) -> ApiError {
    let field = path(stack);
    let mut e = ClientError::new(ErrorCode::InvalidBody, message);
    if !field.is_empty() {
        e.field = Some(field);
    }
    e.into()
}

/// A decimal as (negative, significant digits without leading or trailing
/// zeros, power of ten of the last digit); zero is `(false, "", 0)`. `None`
/// for an exponent past `i64`.
fn decimal(lit: &str) -> Option<(bool, String, i64)> {
    let (neg, body) = match lit.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, lit),
    };
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], body[i + 1..].trim_start_matches('+').parse::<i64>().ok()?),
        None => (body, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: String = format!("{int}{frac}");
    let mut exp = exp.checked_sub(i64::try_from(frac.len()).ok()?)?;
    let trimmed = digits.trim_start_matches('0');
    let without_trailing = trimmed.trim_end_matches('0');
    if without_trailing.is_empty() {
        return Some((false, String::new(), 0));
    }
    exp = exp.checked_add(i64::try_from(trimmed.len() - without_trailing.len()).ok()?)?;
    Some((neg, without_trailing.to_string(), exp))
}

/// Whether serde_json hands this number literal to the types as the value
/// written: an integer within 64 bits is read as one; anything else goes
/// through an `f64` and must come back out of it unchanged.
fn exact(lit: &str) -> bool {
    if !lit.contains(['.', 'e', 'E']) && (lit.parse::<u64>().is_ok() || lit.parse::<i64>().is_ok()) {
        return true;
    }
    match lit.parse::<f64>() {
        // An infinite one is refused by serde_json itself ("number out of range").
        Ok(f) if f.is_finite() => decimal(lit).is_some_and(|d| decimal(&format!("{f:e}")) == Some(d)),
        _ => true,
    }
}

/// Checks a body that is valid JSON (the syntax pass ran first) for numbers
/// a float cannot hold and repeated keys; the first found is refused,
/// `invalid_body` with its path.
pub fn check(bytes: &[u8]) -> Result<(), ApiError> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => {
                stack.push(Frame::Object { keys: HashSet::new(), key: None, want_key: true });
                i += 1;
            }
            b'[' => {
                stack.push(Frame::Array(0));
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                i += 1;
            }
            b',' => {
                match stack.last_mut() {
                    Some(Frame::Array(n)) => *n += 1,
                    Some(Frame::Object { want_key, .. }) => *want_key = true,
                    None => {}
                }
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                if let Some(Frame::Object { keys, key, want_key }) = stack.last_mut()
                    && *want_key
                {
                    // Decoded, so an escaped spelling of a key is the same key.
                    let raw = bytes.get(start..i).unwrap_or_default();
                    let k: String = serde_json::from_slice(raw).unwrap_or_default();
                    let repeated = !keys.insert(k.clone());
                    *key = Some(k);
                    *want_key = false;
                    if repeated {
                        return Err(refuse(&stack, format!("key '{}' appears twice in one object", path(&stack))));
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len() && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                    i += 1;
                }
                let lit = std::str::from_utf8(&bytes[start..i]).unwrap_or_default();
                if !exact(lit) {
                    let read = lit.parse::<f64>().map(|f| f.to_string()).unwrap_or_default();
                    return Err(refuse(
                        &stack,
                        format!(
                            "{lit} cannot be read exactly as a JSON number (it would be taken as {read}); \
                             write it as a decimal string, \"{lit}\", or with fewer digits"
                        ),
                    ));
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(body: &str) -> Option<(String, Option<String>)> {
        check(body.as_bytes()).err().map(|e| (e.body.message.clone(), e.body.field.clone()))
    }

    #[test]
    fn numbers_must_survive_the_float_they_are_read_through() {
        // Exact: within 64 bits, or the shortest form of a double (what every encoder writes).
        for ok in ["0", "-0", "100", "1e2", "100.000", "229.3", "2.293E2", "0.1", "0.30000000000000004", "1e-7"] {
            assert!(exact(ok), "{ok}");
        }
        assert!(exact("18446744073709551615") && exact("-9223372036854775808"));
        assert!(exact(&format!("{:e}", f64::MAX)) && exact(&f64::MIN_POSITIVE.to_string()));
        // Not: 17 nines become 100; 20 digits go past u64; 1e-400 becomes 0.
        for bad in
            ["99.999999999999999", "229.299999999999999", "18446744073709551616", "1e-400", "0.1000000000000000055"]
        {
            assert!(!exact(bad), "{bad}");
        }
        assert_eq!(decimal("-0012.3400e3"), Some((true, "1234".into(), 1)));
        assert_eq!(decimal("0.000"), Some((false, String::new(), 0)));
    }

    #[test]
    fn the_path_names_the_value_at_fault() {
        let (msg, field) = refused(r#"{"a":{"b":[1,2,{"c":99.999999999999999}]}}"#).unwrap();
        assert_eq!(field.as_deref(), Some("a.b[2].c"));
        assert!(msg.contains("taken as 100") && msg.contains("\"99.999999999999999\""), "{msg}");
        let (msg, field) = refused(r#"{"p":{"x":"1","y":{"x":2},"x":3}}"#).unwrap();
        assert_eq!(field.as_deref(), Some("p.x"), "{msg}");
        // Keys of sibling objects, and strings holding braces or quotes, are not confused.
        assert_eq!(refused(r#"[{"k":1},{"k":"}\"{"},{"k":[]}]"#), None);
        assert_eq!(refused(r#"{"s":"99.999999999999999","t":"a,\"b\":1"}"#), None);
    }
}
