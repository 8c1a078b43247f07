//! The command line: run, compare, the algorithm commands, demo and tca, through the real binary.

#[path = "../fixtures/mod.rs"]
mod fixtures;

mod calibrate;
mod cli;
mod cli_algos;
mod demo;
mod errors;
mod tca_batch;
mod tca_cli;
mod tca_pretrade;
mod volume;
