//! The ledger: the suite on SQLite and PostgreSQL, crash safety, files, the sink and its commands.

#[path = "../common/mod.rs"]
mod common;
#[path = "../store_support/mod.rs"]
#[macro_use]
mod store_support;
#[path = "../fixtures/mod.rs"]
mod fixtures;

mod store_backlog;
mod store_cli;
mod store_crash;
mod store_files;
mod store_leases;
mod store_private;
mod store_recover_desk;
mod store_recover_owner;
mod store_sink;
mod store_suite;
mod store_takeover;
mod store_tokens;
