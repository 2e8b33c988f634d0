//! The `verdict` binary: the command line (and, later, the desktop app).

/// mimalloc reuses freed memory instead of returning large blocks to the OS and faulting them back
/// in: importing embedded images allocates and frees megabytes per batch (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    verdict::cli::main()
}
