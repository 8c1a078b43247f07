//! The engine, its algorithms, routing, venues, replay and risk: one test binary (each module was once its own).

#[path = "../common/mod.rs"]
mod common;
#[path = "../fixtures/mod.rs"]
mod fixtures;
#[path = "../support/mod.rs"]
mod support;

mod algo_close;
mod algo_iceberg;
mod algo_is;
mod algo_lifecycle;
mod algo_moc;
mod algo_params;
mod algo_pov;
mod algo_sniper;
mod algo_vwap;
mod determinism;
mod embedded;
mod engine_core;
mod estimate_bias;
mod market_laws;
mod overflow;
mod replay;
mod replay_depth;
mod replay_edges;
mod replay_fidelity;
mod retention;
mod risk_controls;
mod routing;
mod venue_matching;
