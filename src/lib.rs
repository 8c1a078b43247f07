//! blotter: a keyboard-driven execution blotter over a deterministic paper
//! execution engine. See docs/architecture.md for the architecture.

pub mod algo;
pub mod api;
pub mod bench;
pub mod calibrate;
pub mod cli;
pub mod client;
pub mod compare;
pub mod demo;
pub mod engine;
pub mod evaluate;
pub mod impact;
pub mod market;
pub mod model;
pub mod risk;
pub mod router;
pub mod store;
pub mod tca;
pub mod tui;
pub mod venue;
