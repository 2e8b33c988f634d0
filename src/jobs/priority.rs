//! Background work yields to the window: in the app, each job's thread and rayon's worker threads
//! (the encoders' matrix products, JPEG rows, tokenizing) run at a lower scheduling priority
//! (nice 10) than the thread that draws. With both cores busy scoring, the frame otherwise waits
//! for a time slice behind them (`BENCHMARKS.md`, "Frame times while scoring"). Rayon's pool also
//! leaves the window a core of its own: one thread fewer than the machine has cores (at least
//! one; `RAYON_NUM_THREADS` decides where set). The app's entry asks for both
//! ([`background_work_yields`]); the command line and the tests keep normal priority and every
//! core: there the job is the point.

use std::sync::atomic::{AtomicBool, Ordering};

/// Whether jobs lower their threads' priority ([`background_work_yields`]).
static YIELD: AtomicBool = AtomicBool::new(false);

/// From now on, jobs started by [`super::Job::spawn`] run at the lower priority, and so do rayon's
/// threads when its pool has not started yet (it starts here). Returns whether the pool was
/// started here.
pub fn background_work_yields() -> bool {
    YIELD.store(true, Ordering::Relaxed);
    lower_rayon_pool()
}

/// Lowers the calling thread when [`background_work_yields`] was called.
pub(crate) fn lower_if_asked() {
    if YIELD.load(Ordering::Relaxed) {
        lower_this_thread();
    }
}

/// How much lower: nice 10, the conventional value for background work.
#[cfg(target_os = "linux")]
const NICE: libc::c_int = 10;

/// Lowers the calling thread's priority to nice 10 (on Linux; elsewhere nothing yet). Returns
/// whether it is there now.
#[cfg(target_os = "linux")]
#[allow(unsafe_code, reason = "setpriority is a C call; it has no safe wrapper in std")]
pub fn lower_this_thread() -> bool {
    // SAFETY: getpriority and setpriority take plain integers and touch no memory of this
    // process. On Linux the nice value is a per-thread attribute and `who = 0` with PRIO_PROCESS
    // names the calling thread, so only this thread changes; one already at NICE or lower in
    // priority is left alone (never raised).
    unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) >= NICE || libc::setpriority(libc::PRIO_PROCESS, 0, NICE) == 0 }
}

/// Lowers the calling thread's priority (on Linux; elsewhere nothing yet). Returns whether it did.
#[cfg(not(target_os = "linux"))]
pub fn lower_this_thread() -> bool {
    false
}

/// Starts rayon's global pool with its threads at the lower priority, one fewer than the cores
/// ([`pool_threads`]). Returns false when the pool had already started (then it stays as it is).
fn lower_rayon_pool() -> bool {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let asked = std::env::var("RAYON_NUM_THREADS").ok();
    rayon::ThreadPoolBuilder::new()
        .num_threads(pool_threads(asked.as_deref(), cores))
        .thread_name(|i| format!("verdict-worker-{i}"))
        .start_handler(|_| {
            lower_this_thread();
        })
        .build_global()
        .is_ok()
}

/// The app's rayon threads: `RAYON_NUM_THREADS` where it is a positive number, else one fewer than
/// `cores`, at least one.
fn pool_threads(asked: Option<&str>, cores: usize) -> usize {
    asked.and_then(|v| v.trim().parse::<usize>().ok()).filter(|n| *n > 0).unwrap_or(cores.saturating_sub(1).max(1))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn the_pool_leaves_the_window_a_core_unless_told_otherwise() {
        assert_eq!(pool_threads(None, 8), 7);
        assert_eq!(pool_threads(None, 2), 1);
        assert_eq!(pool_threads(None, 1), 1);
        assert_eq!(pool_threads(Some("4"), 2), 4);
        assert_eq!(pool_threads(Some("0"), 4), 3, "0 is rayon's own default: ours then");
        assert_eq!(pool_threads(Some("many"), 4), 3);
    }

    #[allow(unsafe_code, reason = "getpriority is a C call")]
    fn nice_of_this_thread() -> libc::c_int {
        // SAFETY: getpriority takes plain integers; `who = 0` is the calling thread.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
    }

    #[test]
    fn only_the_calling_thread_is_lowered() {
        let before = nice_of_this_thread();
        let lowered = std::thread::Builder::new()
            .name("lowered".into())
            .spawn(|| (lower_this_thread(), nice_of_this_thread()))
            .expect("spawns")
            .join()
            .expect("joins");
        assert_eq!(lowered, (true, NICE.max(before)));
        assert_eq!(nice_of_this_thread(), before, "the spawning thread keeps its priority");
    }
}
