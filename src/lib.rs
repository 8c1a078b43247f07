//! blotter: a keyboard-driven execution blotter over a deterministic paper
//! execution engine. See the README for the architecture.

pub mod market;
pub mod model;
