//! The `verdict` binary: the command line, and the desktop app it opens.

/// mimalloc reuses freed memory instead of returning large blocks to the OS and faulting them back
/// in: importing embedded images allocates and frees megabytes per batch (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    verdict::cli::main(|request| match request {
        verdict::cli::GuiRequest::Open(project) => verdict::ui::run(project.as_deref()),
        verdict::cli::GuiRequest::Screenshot { project, out, sample, size } => {
            verdict::ui::screenshot::screenshot(&project, &out, sample, size)
        }
    })
}
