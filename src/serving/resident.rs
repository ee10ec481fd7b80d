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
//!   per-thread arenas: the inference threads hand it back with
//!   `malloc_trim` when they have been idle for a second after work.

use std::time::Duration;

/// How long an inference thread waits idle, after work, before trimming.
pub const IDLE_BEFORE_TRIM: Duration = Duration::from_secs(1);

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
pub fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator.
    unsafe {
        libc::malloc_trim(0);
    }
}
