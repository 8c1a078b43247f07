//! Recorded market data: readers for the generic CSV and LOBSTER formats,
//! and the recording a replay market is driven by.

pub mod csv;
