//! Data on stdout. Rust ignores SIGPIPE, so `println!` panics when the reader of a pipe has gone
//! (`verdict info P | head`); every data line goes through [`write`] instead, which ends the
//! process the way SIGPIPE ends other command-line tools: quietly. Any other write error is one
//! line on stderr and exit status 1.

use std::io::{ErrorKind, Write};

/// Writes to stdout; see the module docs for what happens when it cannot.
pub fn write(args: std::fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args) {
        if e.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}
