//! `blotter run ... | head`: the reader leaves before the output is written.
//!
//! A Rust program ignores SIGPIPE, so a write to a closed pipe fails with
//! `BrokenPipe` instead of ending the process, and `println!` turns that
//! failure into a panic ("failed printing to stdout: Broken pipe"). Restoring
//! the default signal action needs `unsafe` (forbidden in this crate), and
//! every command prints through `println!`; so one panic hook, installed
//! before any command runs, ends the process the way a shell tool killed by
//! SIGPIPE ends: quietly, status 141 (128 + 13). Every other panic goes to the
//! default hook unchanged.

use std::process;

/// The status a shell reports for a process ended by SIGPIPE.
pub const BROKEN_PIPE_STATUS: i32 = 128 + 13;

/// Installs the hook (once, at the start of `main`).
pub fn exit_quietly_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if is_broken_stdout(msg) {
            process::exit(BROKEN_PIPE_STATUS);
        }
        default(info);
    }));
}

/// The message std's `print!` family panics with when stdout's reader has
/// gone (`failed printing to stdout: Broken pipe (os error 32)`).
fn is_broken_stdout(msg: &str) -> bool {
    msg.starts_with("failed printing to stdout") && (msg.contains("Broken pipe") || msg.contains("os error 32"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_broken_stdout_is_quiet() {
        assert!(is_broken_stdout("failed printing to stdout: Broken pipe (os error 32)"));
        assert!(!is_broken_stdout("failed printing to stdout: No space left on device (os error 28)"));
        assert!(!is_broken_stdout("index out of bounds: Broken pipe"));
    }
}
