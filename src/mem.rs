//! Large result buffers, backed by transparent huge pages where Linux allows.
//!
//! The consumption matrix of 1 M meters × 24 months is 192 MB and its meter
//! vector 56 MB. In 4 KiB pages that is over 60 000 page faults, each zeroing
//! its page: about a quarter of the CPU time of in-memory generation
//! (`perf stat -e page-faults` on `examples/scale.rs`: 68 000 faults, 8 000
//! with the advice below). Asking the kernel to
//! back the buffer with 2 MiB pages (`madvise(MADV_HUGEPAGE)`, the mode most
//! distributions ship as `transparent_hugepage=madvise`) cuts the faults
//! 512-fold and the TLB misses of every later pass with them. It is advice
//! only: the contents and the behaviour of the buffer are unchanged, and
//! where the kernel does not support it (or on another OS) nothing happens.
//!
//! [`check_available`] refuses, before any work, a buffer that cannot fit.

use crate::error::Error;

/// Fails with [`Error::InsufficientMemory`] when `needed` bytes cannot be
/// had, before any work is done:
/// - everywhere, when the allocator refuses a reservation of that size (a
///   probe that is released at once: it fails for sizes beyond the address
///   space, and on systems that do not overcommit memory — Windows, or Linux
///   in its default heuristic mode for sizes beyond RAM and swap);
/// - on Linux, also when `needed` exceeds `MemAvailable` in `/proc/meminfo`,
///   the kernel's estimate of memory usable without swapping.
pub(crate) fn check_available(needed: u64) -> Result<(), Error> {
    let refused = |available| Error::InsufficientMemory { needed, available };
    if let Some(available) = available_memory().filter(|&a| needed > a) {
        return Err(refused(available));
    }
    let bytes = usize::try_from(needed).map_err(|_| refused(usize::MAX as u64))?;
    Vec::<u8>::new()
        .try_reserve_exact(bytes)
        .map_err(|_| refused(available_memory().unwrap_or(0)))
}

/// Linux `MemAvailable`, in bytes; `None` elsewhere or when unreadable.
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The transparent huge page size of x86-64 and aarch64 Linux: only the
/// whole, aligned huge pages inside a buffer are advised.
const HUGE_PAGE: usize = 2 << 20;

/// A zeroed `Vec<f64>` of `len` values whose pages are not touched yet
/// (`alloc_zeroed` maps fresh zero pages for large sizes), advised to use
/// huge pages before the first write faults them in.
pub(crate) fn zeroed_f64(len: usize) -> Vec<f64> {
    let v = vec![0.0; len];
    advise_huge_pages(&v);
    v
}

/// `len` copies of `value` in a buffer advised to use huge pages, written
/// in parallel (with the `parallel` feature) so the page faults are shared
/// by the threads.
pub(crate) fn filled<T: Clone + Send + Sync>(len: usize, value: T) -> Vec<T> {
    let mut v = Vec::with_capacity(len);
    advise_huge_pages(&v);
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        v.par_extend(rayon::iter::repeat_n(value, len));
    }
    #[cfg(not(feature = "parallel"))]
    v.resize(len, value);
    v
}

/// Advises huge pages for the 2 MiB-aligned part of `v`'s allocation
/// (its whole capacity).
fn advise_huge_pages<T>(v: &Vec<T>) {
    let start = v.as_ptr() as usize;
    let bytes = v.capacity().saturating_mul(std::mem::size_of::<T>());
    let first = start.next_multiple_of(HUGE_PAGE);
    let end = (start + bytes) / HUGE_PAGE * HUGE_PAGE;
    if end > first {
        madvise_huge(first, end - first);
    }
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn madvise_huge(addr: usize, len: usize) {
    // SAFETY: `addr .. addr + len` lies inside one live allocation owned by
    // the caller (a Vec's buffer, 2 MiB-aligned inward), and MADV_HUGEPAGE
    // changes only how the kernel backs those pages, never their contents or
    // validity. The result is ignored on purpose: EINVAL (no THP support) or
    // any other refusal leaves the buffer exactly as usable as before.
    unsafe {
        libc::madvise(addr as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn madvise_huge(_addr: usize, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_sizes_are_refused_and_small_ones_accepted() {
        assert!(check_available(1 << 20).is_ok());
        // More than any 64-bit address space can map.
        let err = check_available(u64::MAX).unwrap_err();
        assert!(
            matches!(err, Error::InsufficientMemory { needed: u64::MAX, .. }),
            "{err}"
        );
        let err = check_available(1 << 62).unwrap_err();
        assert!(matches!(err, Error::InsufficientMemory { .. }), "{err}");
    }

    #[test]
    fn buffers_hold_what_was_asked() {
        let z = zeroed_f64(3 << 20);
        assert_eq!(z.len(), 3 << 20);
        assert!(z.iter().all(|&v| v == 0.0));
        let f = filled(1 << 20, 7u64);
        assert_eq!(f.len(), 1 << 20);
        assert!(f.iter().all(|&v| v == 7));
        assert!(filled(0, 1u8).is_empty() && zeroed_f64(0).is_empty());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn large_buffers_are_advised_when_the_kernel_allows_it() {
        // Only checkable where THP is in `madvise` mode: the VMA then carries
        // the `hg` flag (see proc(5), /proc/PID/smaps "VmFlags").
        let mode = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").unwrap_or_default();
        if !mode.contains("[madvise]") {
            return;
        }
        let v = zeroed_f64(8 << 20); // 64 MB
        let addr = v.as_ptr() as usize + (HUGE_PAGE * 2);
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
        let mut inside = false;
        let mut advised = None;
        for line in smaps.lines() {
            if let Some(flags) = line.strip_prefix("VmFlags:") {
                if inside {
                    advised = Some(flags.split_whitespace().any(|f| f == "hg"));
                }
            } else if let Some((a, b)) = mapping_range(line) {
                inside = (a..b).contains(&addr);
            }
        }
        assert_eq!(
            advised,
            Some(true),
            "the matrix's mapping is not advised for huge pages"
        );
    }

    /// `start-end` of an smaps mapping header line.
    #[cfg(target_os = "linux")]
    fn mapping_range(line: &str) -> Option<(usize, usize)> {
        let (a, b) = line.split_once(' ')?.0.split_once('-')?;
        Some((usize::from_str_radix(a, 16).ok()?, usize::from_str_radix(b, 16).ok()?))
    }
}
