//! The `blotter` binary: see `blotter --help`.

fn main() -> std::process::ExitCode {
    blotter::cli::main()
}
