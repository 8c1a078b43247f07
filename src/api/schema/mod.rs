//! OpenAPI schemas of types serialised by hand (ids as strings, fixed-point
//! numbers as JSON numbers or exact decimal strings, timestamps as nanoseconds) and mirrors of types
//! whose modules are owned elsewhere (`algo`, `tca`, `impact`, `risk`):
//! a mirror is a struct of the same serde shape that derives the schema.
//! Everything else derives `utoipa::ToSchema` beside its definition.
//! `tests/api/schema_check.rs` validates real responses against the document
//! and refuses keys a schema does not declare, so a mirror cannot drift silently.

mod impact;
mod risk;
mod tca;

use crate::algo::PlannedSlice;
use crate::model::{ChildId, FillId, Money, ParentId, Price, Qty, Timestamp};
use std::borrow::Cow;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

macro_rules! leaf {
    ($t:ty, $name:literal, $build:expr) => {
        impl PartialSchema for $t {
            fn schema() -> RefOr<Schema> {
                let b: ObjectBuilder = $build;
                b.into()
            }
        }
        impl ToSchema for $t {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

/// A fixed-point figure: a JSON number when a double holds it exactly, its
/// decimal string otherwise (`model::num`'s one rule); both are read.
fn number(what: &str) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::Number, Type::String])).description(Some(what))
}

fn id(what: &str, pattern: &str, example: &str) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).description(Some(what)).pattern(Some(pattern)).examples([example])
}

leaf!(
    Price,
    "Price",
    number(
        "A price, exact to 9 decimals: a number, or a decimal string (`\"123456.123456789\"`) where a double would not hold it; both are accepted."
    )
);
leaf!(
    Qty,
    "Qty",
    number(
        "A quantity, exact to 6 decimals: a number, or a decimal string (`\"123456789012.345678\"`) where a double would not hold it; both are accepted."
    )
);
leaf!(
    Money,
    "Money",
    number(
        "An amount of money in the instrument's currency, exact to 6 decimals: a number, or a decimal string where a double would not hold it."
    )
);
leaf!(
    Timestamp,
    "Timestamp",
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .description(Some("Simulated time: nanoseconds since the Unix epoch, UTC."))
);
leaf!(
    ParentId,
    "ParentId",
    id(
        "A parent order id: ledger-wide `E3-P17` (order 17 of engine 3); the short form `P17` is accepted where \
         only one order of the desk visible to the caller has that number.",
        "^([Ee][1-9][0-9]{0,9}-)?[Pp][0-9]{1,18}$",
        "E1-P17"
    )
);
leaf!(
    ChildId,
    "ChildId",
    id(
        "A child order id: its parent's id and a sequence.",
        "^([Ee][1-9][0-9]{0,9}-)?[Pp][0-9]+-[Cc][0-9]+$",
        "E1-P17-C3"
    )
);
leaf!(FillId, "FillId", id("A fill id.", "^[Ff][0-9]+$", "F42"));

/// Mirror of `algo::PlannedSlice` for the document (that module is owned elsewhere).
#[derive(utoipa::ToSchema)]
#[schema(as = PlannedSlice)]
#[allow(dead_code)] // only its schema is used
struct PlannedSliceDoc {
    /// When the slice starts.
    at: Timestamp,
    /// Quantity of the slice.
    qty: Qty,
    /// Cumulative quantity due by the end of the slice.
    cum: Qty,
}

/// Gives `$t` the schema of its mirror `$doc`.
macro_rules! mirrored {
    ($t:ty, $doc:ty) => {
        impl utoipa::PartialSchema for $t {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                <$doc as utoipa::PartialSchema>::schema()
            }
        }
        impl utoipa::ToSchema for $t {
            fn name() -> std::borrow::Cow<'static, str> {
                <$doc as utoipa::ToSchema>::name()
            }
            fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
                <$doc as utoipa::ToSchema>::schemas(schemas)
            }
        }
    };
}

pub(crate) use mirrored;

mirrored!(PlannedSlice, PlannedSliceDoc);
