//! Returning freed heap memory to the kernel after large, short-lived work.

/// Gives free heap pages back to the kernel. A catalog refresh or load frees
/// tens of megabytes at once, which glibc would otherwise keep mapped, and the
/// idle daemon's resident size would stay at its peak.
#[allow(unsafe_code)]
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own arenas; it takes no pointer
    // from the caller and is safe to call at any time from any thread.
    unsafe {
        nix::libc::malloc_trim(0);
    }
}
