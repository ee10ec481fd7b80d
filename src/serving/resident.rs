//! Resident memory that serving no longer needs, handed back to the kernel.
//! Two kinds stay resident after start and after a load peak although
//! nothing uses them again:
//!
//! - code and read-only data touched once, at start: ONNX Runtime
//!   registers every CPU kernel it has when the first session is made
//!   (about 18 MB of its 23 MB of code), and mlflowrs's own start-up paths
//!   (argument parsing, model loading). They are clean pages of files, so
//!   once the models are loaded the kernel is asked to reclaim them
//!   (`MADV_PAGEOUT`); the pages requests use fault back in and stay.
//! - memory freed after a load peak, which glibc's allocator keeps in its
//!   per-thread arenas: handed back with `malloc_trim` once the whole
//!   server has been idle for a second after work. Never under load: the
//!   pages handed back would only be faulted in again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long after the server starts listening start-up code is paged out.
pub const PAGE_OUT_AFTER: Duration = Duration::from_secs(1);

/// How long the server must be idle, after work, before the heap is trimmed.
const IDLE_BEFORE_TRIM: Duration = Duration::from_secs(1);

/// Requests answered since start, by every engine.
static ANSWERED: AtomicU64 = AtomicU64::new(0);

/// Counts one answered request (the trimmer's sign of activity).
pub fn note_answered() {
    ANSWERED.fetch_add(1, Ordering::Relaxed);
}

/// Starts the thread that trims the heap when the server goes idle.
pub fn spawn_idle_trimmer() {
    let spawned = std::thread::Builder::new()
        .name("heap-trim".into())
        .spawn(|| {
            let (mut seen, mut trimmed) = (0, 0);
            loop {
                std::thread::sleep(IDLE_BEFORE_TRIM);
                let now = ANSWERED.load(Ordering::Relaxed);
                if now == seen && now != trimmed {
                    trim_heap();
                    trimmed = now;
                }
                seen = now;
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no heap-trim thread: memory freed after load stays with the allocator");
    }
}

/// Asks the kernel to reclaim the pages of the program's and its shared
/// libraries' read-only file mappings (code, read-only data); returns the
/// bytes advised. Writable and anonymous memory is left alone.
pub fn page_out_loaded_code() -> usize {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return 0;
    };
    let mut advised = 0;
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms), Some(_), Some(_), Some(inode)) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            continue;
        };
        let path = fields.next().unwrap_or("");
        // A file's read-only pages: never written, so reclaiming costs a
        // re-read at most.
        if inode == "0" || !path.starts_with('/') || perms.as_bytes().get(1) != Some(&b'-') {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (
            usize::from_str_radix(start, 16),
            usize::from_str_radix(end, 16),
        ) else {
            continue;
        };
        // SAFETY: advice only; the range is a mapping of this process and
        // MADV_PAGEOUT never changes its contents.
        let done =
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_PAGEOUT) };
        if done == 0 {
            advised += end - start;
        }
    }
    advised
}

/// Hands the allocator's free memory back to the kernel (glibc only).
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator.
    unsafe {
        libc::malloc_trim(0);
    }
}
