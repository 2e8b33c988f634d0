//! The `verdict` binary: the command line (and, later, the desktop app).

fn main() -> std::process::ExitCode {
    verdict::cli::main()
}
