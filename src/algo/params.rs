//! Typed, validated access to an algorithm's `--param key=value` map. Every
//! error names the parameter and what is allowed; unknown keys are refused.

use crate::model::{AlgoKind, Duration, Price, Qty};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A parameter the algorithm cannot accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    /// Parameter name.
    pub param: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl ParamError {
    /// An error about `param`.
    pub fn new(param: impl Into<String>, message: impl Into<String>) -> ParamError {
        ParamError { param: param.into(), message: message.into() }
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "parameter '{}': {}", self.param, self.message)
    }
}

impl std::error::Error for ParamError {}

/// Parameters shared by every algorithm, handled by the engine.
pub const COMMON: [&str; 1] = ["on_pause"];

/// Reader over the raw parameter map.
pub struct Params<'a> {
    kind: AlgoKind,
    map: &'a BTreeMap<String, String>,
    known: BTreeSet<&'static str>,
}

impl<'a> Params<'a> {
    /// Wraps the raw map of an algorithm's parameters.
    pub fn new(kind: AlgoKind, map: &'a BTreeMap<String, String>) -> Self {
        Params { kind, map, known: COMMON.into_iter().collect() }
    }

    fn raw(&mut self, name: &'static str) -> Option<&'a str> {
        self.known.insert(name);
        self.map.get(name).map(|s| s.trim())
    }

    /// A float in a range; `lo_open` excludes the lower bound.
    pub fn f64_in(
        &mut self,
        name: &'static str,
        default: f64,
        lo: f64,
        hi: f64,
        lo_open: bool,
    ) -> Result<f64, ParamError> {
        let Some(s) = self.raw(name) else { return Ok(default) };
        let range = format!("{}{lo}, {hi}]", if lo_open { "(" } else { "[" });
        let v: f64 =
            s.parse().map_err(|_| ParamError::new(name, format!("'{s}' is not a number; allowed: {range}")))?;
        let ok = v.is_finite() && (if lo_open { v > lo } else { v >= lo }) && v <= hi;
        if !ok {
            return Err(ParamError::new(name, format!("{v} is out of range; allowed: {range}")));
        }
        Ok(v)
    }

    /// An optional float in a range.
    pub fn opt_f64_in(
        &mut self,
        name: &'static str,
        lo: f64,
        hi: f64,
        lo_open: bool,
    ) -> Result<Option<f64>, ParamError> {
        if self.map.contains_key(name) {
            self.f64_in(name, 0.0, lo, hi, lo_open).map(Some)
        } else {
            self.known.insert(name);
            Ok(None)
        }
    }

    /// An integer in [lo, hi].
    pub fn int_in(&mut self, name: &'static str, default: i64, lo: i64, hi: i64) -> Result<i64, ParamError> {
        let Some(s) = self.raw(name) else { return Ok(default) };
        let v: i64 = s
            .parse()
            .map_err(|_| ParamError::new(name, format!("'{s}' is not a whole number; allowed: {lo}..={hi}")))?;
        if v < lo || v > hi {
            return Err(ParamError::new(name, format!("{v} is out of range; allowed: {lo}..={hi}")));
        }
        Ok(v)
    }

    /// A positive quantity (accepts `k`/`m` suffixes), a multiple of `lot`.
    pub fn qty(&mut self, name: &'static str, lot: Qty) -> Result<Option<Qty>, ParamError> {
        let Some(s) = self.raw(name) else { return Ok(None) };
        let q = Qty::parse_human(s).map_err(|e| ParamError::new(name, format!("{e}; allowed: a positive quantity")))?;
        if !q.is_positive() {
            return Err(ParamError::new(name, format!("{q} must be positive")));
        }
        if !q.is_multiple_of(lot) {
            return Err(ParamError::new(name, format!("{q} is not a multiple of the lot size {lot}")));
        }
        Ok(Some(q))
    }

    /// A positive price on the tick grid.
    pub fn price(&mut self, name: &'static str, tick: Price) -> Result<Option<Price>, ParamError> {
        let Some(s) = self.raw(name) else { return Ok(None) };
        let p = Price::parse(s).map_err(|e| ParamError::new(name, format!("{e}; allowed: a positive price")))?;
        if !p.is_positive() || !p.is_on_tick(tick) {
            return Err(ParamError::new(name, format!("{p} must be positive and a multiple of the tick {tick}")));
        }
        Ok(Some(p))
    }

    /// A duration such as `30s`, `5m`.
    pub fn duration(
        &mut self,
        name: &'static str,
        default: Duration,
        min: Duration,
        max: Duration,
    ) -> Result<Duration, ParamError> {
        let Some(s) = self.raw(name) else { return Ok(default) };
        let allowed = format!("a duration like 30s or 5m between {}s and {}s", min.as_secs_f64(), max.as_secs_f64());
        let d = Duration::parse(s).ok_or_else(|| ParamError::new(name, format!("'{s}' is not {allowed}")))?;
        if d < min || d > max {
            return Err(ParamError::new(name, format!("{s} is out of range; allowed: {allowed}")));
        }
        Ok(d)
    }

    /// One of a fixed set of words.
    pub fn choice(
        &mut self,
        name: &'static str,
        default: &'static str,
        allowed: &[&'static str],
    ) -> Result<&'static str, ParamError> {
        let Some(s) = self.raw(name) else { return Ok(default) };
        allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(s))
            .copied()
            .ok_or_else(|| ParamError::new(name, format!("'{s}' is not one of: {}", allowed.join(", "))))
    }

    /// Refuses keys the algorithm did not read.
    pub fn finish(self) -> Result<(), ParamError> {
        for k in self.map.keys() {
            if !self.known.contains(k.as_str()) {
                let list: Vec<&str> = self.known.iter().copied().collect();
                return Err(ParamError::new(
                    k.clone(),
                    format!("unknown for {}; allowed: {}", self.kind, list.join(", ")),
                ));
            }
        }
        Ok(())
    }
}

/// Parses `on_pause` (shared by every algorithm): whether pausing cancels working children.
pub fn cancel_on_pause(map: &BTreeMap<String, String>) -> Result<bool, ParamError> {
    match map.get("on_pause").map(|s| s.trim().to_ascii_lowercase()) {
        None => Ok(true),
        Some(s) if s == "cancel" => Ok(true),
        Some(s) if s == "keep" => Ok(false),
        Some(s) => Err(ParamError::new("on_pause", format!("'{s}' is not one of: cancel, keep"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn errors_name_the_parameter_and_range() {
        let m = map(&[("rate", "0.7")]);
        let mut p = Params::new(AlgoKind::Pov, &m);
        let e = p.f64_in("rate", 0.1, 0.0, 0.5, true).unwrap_err();
        assert_eq!(e.to_string(), "parameter 'rate': 0.7 is out of range; allowed: (0, 0.5]");
        let m = map(&[("slices", "x")]);
        let mut p = Params::new(AlgoKind::Twap, &m);
        assert!(p.int_in("slices", 1, 1, 100).unwrap_err().to_string().contains("not a whole number"));
        let m = map(&[("bogus", "1")]);
        let mut p = Params::new(AlgoKind::Twap, &m);
        p.int_in("slices", 1, 1, 100).unwrap();
        let e = p.finish().unwrap_err().to_string();
        assert!(e.contains("'bogus'") && e.contains("slices") && e.contains("on_pause"), "{e}");
        assert!(cancel_on_pause(&map(&[("on_pause", "hold")])).is_err());
        assert!(!cancel_on_pause(&map(&[("on_pause", "keep")])).unwrap());
    }
}
