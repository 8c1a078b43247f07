//! The whole review of a batch of orders: every order's analysis, the
//! total, the groupings asked for, and the square-root fit of slippage
//! against size. The text, JSON, HTML and TUI forms all show this.

use super::batch::{BatchReport, OrderTca};
use super::group::{Dim, GroupRow, Grouping, group};
use super::impact_fit::{SqrtFit, size_points, sqrt_fit};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Everything shown about a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// The time zone of days and times shown.
    pub tz: String,
    /// The outlier threshold, in standard deviations.
    pub outlier_sd: f64,
    /// Every order analysed, and the issues.
    #[serde(flatten)]
    pub batch: BatchReport,
    /// All orders as one group.
    pub total: GroupRow,
    /// One table per grouping asked for.
    pub groupings: Vec<Grouping>,
    /// Arrival slippage against size as a fraction of interval volume (`None` with fewer than three orders).
    pub size_fit: Option<SqrtFit>,
}

/// The dimensions a batch has something to say about, one at a time:
/// those the orders fill in, venue when fills name one, symbol and day.
pub fn default_dims(orders: &[OrderTca]) -> Vec<Vec<Dim>> {
    let any = |f: &dyn Fn(&OrderTca) -> bool| orders.iter().any(f);
    let given = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.is_empty());
    Dim::ALL
        .into_iter()
        .filter(|d| match d {
            Dim::Broker => any(&|o| given(&o.order.broker)),
            Dim::Algo => any(&|o| given(&o.order.algo)),
            Dim::Trader => any(&|o| given(&o.order.trader)),
            Dim::Desk => any(&|o| given(&o.order.desk)),
            Dim::Venue => any(&|o| o.tca.venues.iter().any(|v| &*v.exec.venue != "EXTERNAL")),
            Dim::Symbol | Dim::Day => true,
        })
        .map(|d| vec![d])
        .collect()
}

/// Builds the review; `dims` empty means `default_dims`.
pub fn review(batch: BatchReport, dims: &[Vec<Dim>], tz: Tz, outlier_sd: f64) -> Review {
    let dims = if dims.is_empty() { default_dims(&batch.orders) } else { dims.to_vec() };
    let groupings = dims.iter().map(|d| group(&batch.orders, d, tz, outlier_sd)).collect();
    let total = group(&batch.orders, &[], tz, outlier_sd).rows.pop().unwrap_or_default();
    let size_fit = sqrt_fit(&size_points(&batch.orders));
    Review { tz: tz.name().to_string(), outlier_sd, batch, total, groupings, size_fit }
}
