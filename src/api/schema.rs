//! OpenAPI schemas of types serialised by hand (ids as strings, fixed-point
//! numbers as JSON numbers, timestamps as nanoseconds) and of types whose
//! modules are owned elsewhere (`algo::PlannedSlice`, `tca::Summary`,
//! `tca::VenueShare`). Everything else derives `utoipa::ToSchema` beside its
//! definition. `tests/api.rs` checks every schema against real responses, so
//! the mirrors here cannot drift silently.

use crate::algo::PlannedSlice;
use crate::model::{ChildId, FillId, Money, ParentId, Price, Qty, Timestamp};
use crate::tca::{Summary, VenueShare};
use std::borrow::Cow;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
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

fn number(what: &str) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Number).description(Some(what))
}

fn id(what: &str, pattern: &str, example: &str) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).description(Some(what)).pattern(Some(pattern)).examples([example])
}

leaf!(Price, "Price", number("A price, exact to 9 decimals (a decimal string is also accepted)."));
leaf!(Qty, "Qty", number("A quantity, exact to 6 decimals (a decimal string is also accepted)."));
leaf!(Money, "Money", number("An amount of money in the instrument's currency, exact to 6 decimals."));
leaf!(
    Timestamp,
    "Timestamp",
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .description(Some("Simulated time: nanoseconds since the Unix epoch, UTC."))
);
leaf!(ParentId, "ParentId", id("A parent order id.", "^[Pp][0-9]{1,18}$", "P17"));
leaf!(ChildId, "ChildId", id("A child order id: its parent's id and a sequence.", "^[Pp][0-9]+-[Cc][0-9]+$", "P17-C3"));
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

/// Mirror of `tca::VenueShare`.
#[derive(utoipa::ToSchema)]
#[schema(as = VenueShare)]
#[allow(dead_code)] // only its schema is used
struct VenueShareDoc {
    /// Venue.
    venue: String,
    /// Quantity executed there.
    qty: Qty,
    /// Fraction of the order's executed quantity.
    share: f64,
    /// Average price there.
    avg_px: Option<Price>,
    /// Fees paid there (negative = rebates earned).
    fees: Money,
    /// Number of fills.
    fills: usize,
}

/// Mirror of `tca::Summary`.
#[derive(utoipa::ToSchema)]
#[schema(as = TcaSummary)]
#[allow(dead_code)] // only its schema is used
struct SummaryDoc {
    /// Mid at arrival.
    arrival_px: Option<Price>,
    /// Market VWAP over the order's active window, excluding our own fills.
    interval_vwap: Option<Price>,
    /// Same, including our own fills.
    interval_vwap_incl_ours: Option<Price>,
    /// Cost against arrival in bps (positive = worse).
    arrival_slippage_bps: Option<f64>,
    /// Cost against interval VWAP in bps (positive = worse).
    vwap_slippage_bps: Option<f64>,
    /// Our share of the volume traded in the window.
    participation: f64,
    /// Per-venue executions.
    venues: Vec<VenueShareDoc>,
}

macro_rules! mirrored {
    ($t:ty, $doc:ty) => {
        impl PartialSchema for $t {
            fn schema() -> RefOr<Schema> {
                <$doc as PartialSchema>::schema()
            }
        }
        impl ToSchema for $t {
            fn name() -> Cow<'static, str> {
                <$doc as ToSchema>::name()
            }
            fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
                <$doc as ToSchema>::schemas(schemas)
            }
        }
    };
}

mirrored!(PlannedSlice, PlannedSliceDoc);
mirrored!(VenueShare, VenueShareDoc);
mirrored!(Summary, SummaryDoc);
