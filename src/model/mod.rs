//! The domain model: exact numbers, ids, time, instruments, venues, orders,
//! fills and roles. Plain data; everything else depends on it.

pub mod human;
pub mod ids;
pub mod instrument;
pub mod names;
pub mod num;
pub mod order;
pub mod queue;
pub mod role;
pub mod time;

pub use ids::{ChildId, FillId, ParentId};
pub use instrument::{AssetClass, Calendar, Fee, Instrument, Name, Venue};
pub use names::check_name;
pub use num::{Money, NumError, Price, Qty, Rounding, vwap};
pub use order::{
    AlgoKind, ChildOrder, ChildStatus, Fill, IllegalTransition, Liquidity, OrderType, Owner, ParentOrder, ParentStatus,
    Side, Tif,
};
pub use queue::QueueModel;
pub use role::Role;
pub use time::{Duration, Timestamp};
