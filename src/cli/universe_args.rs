//! `--universe FILE` and `--symbol S`, read the same way by every command
//! that takes them.

use super::CliError;
use crate::market::Universe;
use crate::model::Instrument;
use std::path::Path;

/// The built-in universe with `--universe FILE`'s overrides, if given.
pub fn load(file: Option<&Path>) -> Result<Universe, CliError> {
    match file {
        Some(p) => Universe::with_overrides(p).map_err(|e| CliError::usage(format!("--universe: {e}"))),
        None => Ok(Universe::builtin()),
    }
}

/// `--symbol`'s instrument in `universe`.
pub fn instrument(universe: &Universe, symbol: &str) -> Result<Instrument, CliError> {
    universe
        .instrument(symbol)
        .cloned()
        .ok_or_else(|| CliError::usage(format!("--symbol: {}", universe.unknown_symbol(symbol))))
}
