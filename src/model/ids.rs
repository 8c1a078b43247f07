//! Typed identifiers. Child ids are derived from their parent's (`P17-C3`), so an
//! id alone tells where an order belongs.
//!
//! A parent id may name the engine that runs it (`E3-P17`): every engine on
//! a ledger has a number, so orders of several engines (several `serve`
//! instances of one desk) never collide. An engine that is not recorded
//! anywhere has number 0 and its ids are the short form (`P17`); the short
//! form also stands for "this engine's P17" where that is unambiguous.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Why an id string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not a valid {kind} id (expected e.g. {example})")]
pub struct IdError {
    input: String,
    kind: &'static str,
    example: &'static str,
}

fn id_err(input: &str, kind: &'static str, example: &'static str) -> IdError {
    IdError { input: input.to_string(), kind, example }
}

/// A parent (algorithmic) order: `P17`, or `E3-P17` on engine 3 of a ledger.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct ParentId {
    /// The engine's number in its ledger (0: none, the short form).
    pub engine: u32,
    /// 1-based sequence number within the engine.
    pub n: u64,
}

impl ParentId {
    /// Order `n` of an engine without a number (the short form `P{n}`).
    pub const fn local(n: u64) -> ParentId {
        ParentId { engine: 0, n }
    }

    /// Order `n` of engine `engine` (`E{engine}-P{n}`; engine 0 is the short form).
    pub const fn new(engine: u32, n: u64) -> ParentId {
        ParentId { engine, n }
    }

    /// Whether the id names its engine.
    pub const fn is_qualified(self) -> bool {
        self.engine != 0
    }

    /// The same order on `engine`.
    pub const fn on(self, engine: u32) -> ParentId {
        ParentId { engine, n: self.n }
    }

    /// Whether this id can mean order `other` of an engine: the same
    /// number, and the same engine unless this id is the short form.
    pub fn matches(self, other: ParentId) -> bool {
        self.n == other.n && (self.engine == 0 || self.engine == other.engine)
    }
}

/// A child order sent to one venue: `P17-C3` (the third child of P17).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ChildId {
    /// The parent this child belongs to.
    pub parent: ParentId,
    /// 1-based sequence number within the parent.
    pub seq: u32,
}

/// A fill (execution report): `F42`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct FillId(pub u64);

impl fmt::Display for ParentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.engine != 0 {
            write!(f, "E{}-", self.engine)?;
        }
        write!(f, "P{}", self.n)
    }
}
impl fmt::Display for ChildId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-C{}", self.parent, self.seq)
    }
}
impl fmt::Display for FillId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "F{}", self.0)
    }
}

fn num_after(s: &str, prefix: char) -> Option<u64> {
    let rest = s.strip_prefix(prefix).or_else(|| s.strip_prefix(prefix.to_ascii_lowercase()))?;
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest.parse().ok()
}

/// `P17` or `E3-P17` (any case), without surrounding space.
fn parent_of(t: &str) -> Option<ParentId> {
    match t.split_once('-') {
        None => num_after(t, 'P').map(ParentId::local),
        Some((e, p)) => {
            // E0 would read back as the short form: not a qualified id.
            let engine = num_after(e, 'E').and_then(|n| u32::try_from(n).ok()).filter(|&n| n > 0)?;
            num_after(p, 'P').map(|n| ParentId::new(engine, n))
        }
    }
}

impl FromStr for ParentId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        parent_of(s.trim()).ok_or_else(|| id_err(s, "parent order", "P17 or E3-P17"))
    }
}
impl FromStr for ChildId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let t = s.trim();
        let err = || id_err(s, "child order", "P17-C3 or E3-P17-C3");
        let (p, c) = t.rsplit_once('-').ok_or_else(err)?;
        let parent = parent_of(p).ok_or_else(err)?;
        let seq = num_after(c, 'C').and_then(|n| u32::try_from(n).ok()).ok_or_else(err)?;
        Ok(ChildId { parent, seq })
    }
}
impl FromStr for FillId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        num_after(s.trim(), 'F').map(FillId).ok_or_else(|| id_err(s, "fill", "F42"))
    }
}

macro_rules! string_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
string_serde!(ParentId);
string_serde!(ChildId);
string_serde!(FillId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let c = ChildId { parent: ParentId::local(17), seq: 3 };
        assert_eq!(c.to_string(), "P17-C3");
        assert_eq!("P17-C3".parse::<ChildId>().unwrap(), c);
        assert_eq!("p17".parse::<ParentId>().unwrap(), ParentId::local(17));
        assert!("17".parse::<ParentId>().is_err());
        assert!("P17-X3".parse::<ChildId>().is_err());
        assert!("P-C3".parse::<ChildId>().is_err());
        assert_eq!(serde_json::to_string(&FillId(4)).unwrap(), "\"F4\"");
    }

    #[test]
    fn engine_qualified_ids_round_trip() {
        let p = ParentId::new(3, 17);
        assert_eq!(p.to_string(), "E3-P17");
        assert_eq!(" e3-p17 ".parse::<ParentId>().unwrap(), p);
        let c = ChildId { parent: p, seq: 2 };
        assert_eq!(c.to_string(), "E3-P17-C2");
        assert_eq!("E3-P17-C2".parse::<ChildId>().unwrap(), c);
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"E3-P17\"");
        // The largest engine number a ledger can hand out, and one past it.
        assert_eq!("E4294967295-P1".parse::<ParentId>().unwrap(), ParentId::new(u32::MAX, 1));
        for bad in ["E0-P1", "E4294967296-P1", "E-P1", "E3-", "E3P17", "E3-P17-", "3-P17", "E3--P17"] {
            assert!(bad.parse::<ParentId>().is_err(), "{bad}");
        }
        assert!(ParentId::local(17).matches(p) && p.matches(p));
        assert!(!ParentId::new(2, 17).matches(p) && !ParentId::local(16).matches(p));
    }
}
