//! Typed identifiers. Child ids are derived from their parent's (`P17-C3`), so an
//! id alone tells where an order belongs.

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

/// A parent (algorithmic) order: `P17`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ParentId(pub u64);

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
        write!(f, "P{}", self.0)
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

impl FromStr for ParentId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        num_after(s.trim(), 'P').map(ParentId).ok_or_else(|| id_err(s, "parent order", "P17"))
    }
}
impl FromStr for ChildId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let t = s.trim();
        let err = || id_err(s, "child order", "P17-C3");
        let (p, c) = t.split_once('-').ok_or_else(err)?;
        let parent = num_after(p, 'P').ok_or_else(err)?;
        let seq = num_after(c, 'C').and_then(|n| u32::try_from(n).ok()).ok_or_else(err)?;
        Ok(ChildId { parent: ParentId(parent), seq })
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
        let c = ChildId { parent: ParentId(17), seq: 3 };
        assert_eq!(c.to_string(), "P17-C3");
        assert_eq!("P17-C3".parse::<ChildId>().unwrap(), c);
        assert_eq!("p17".parse::<ParentId>().unwrap(), ParentId(17));
        assert!("17".parse::<ParentId>().is_err());
        assert!("P17-X3".parse::<ChildId>().is_err());
        assert!("P-C3".parse::<ChildId>().is_err());
        assert_eq!(serde_json::to_string(&FillId(4)).unwrap(), "\"F4\"");
    }
}
