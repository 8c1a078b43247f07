//! The HTTP API against a real in-process server: role x route matrix, bad
//! input, the event stream, limits, the OpenAPI document against real
//! responses, the circuit breaker, the `serve`/`token`/`status` commands, and
//! the server over a ledger (SQLite, and PostgreSQL when configured).

#[path = "../common/mod.rs"]
mod common;
#[path = "../store_support/mod.rs"]
#[macro_use]
mod store_support;
mod support;

mod bad_input;
mod breaker;
mod cli;
mod desk_controls;
mod desk_instances;
mod desk_outage;
mod desk_restart;
mod desk_start;
mod disk_full;
mod expiry;
mod instances;
mod leaks;
mod ledger;
mod limits;
mod outage;
mod probes;
mod restart;
mod risk_gate;
mod roles;
pub mod schema_check;
pub mod served;
pub mod sse;
mod streams;
mod token_store;
mod tui_remote;
