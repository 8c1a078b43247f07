//! The HTTP API against a real in-process server: role x route matrix, bad
//! input, the event stream, limits, the OpenAPI document against real
//! responses, the circuit breaker, and the `serve`/`token`/`status` commands.

#[path = "../common/mod.rs"]
mod common;
mod support;

mod bad_input;
mod breaker;
mod cli;
mod limits;
mod roles;
mod schema_check;
mod sse;
mod tui_remote;
