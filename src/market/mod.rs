//! The market simulator: instruments and venues (`universe`), sessions and
//! calendars, intraday volume curves and the profiles they are learned
//! from or default to, L2 books, the synthetic price and order
//! flow process (`sim`), and the tape.

pub mod book;
pub mod curve;
pub mod flow;
pub mod forecast;
pub mod impact;
pub mod intraday;
pub mod profile;
pub mod replay;
pub mod rng;
pub mod session;
pub mod sim;
pub mod tape;
pub mod tracking;
pub mod universe;

pub use book::{Bbo, BookSide, L2Book, Level};
pub use curve::VolumeCurve;
pub use profile::VolumeProfile;
pub use session::{Session, SessionState};
pub use sim::{ImpactReport, InstrumentMarket, MarketParams, ReplayReport, ReplaySummary, TradeDraw};
pub use tape::{Cumulative, MidSeries, Print, Retention, Tape};
pub use universe::{Universe, VenueId};
