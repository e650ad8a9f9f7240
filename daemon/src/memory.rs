//! Returning memory to the kernel after large or one-off work, so that the idle
//! daemon keeps only its idle working set resident.

use std::ops::Range;

/// Allocation size in bytes from which glibc maps a block of its own, which goes back
/// to the kernel when freed. glibc's default starts at 128 KiB but rises to the largest
/// block freed so far. A catalog refresh frees blocks of megabytes, and after that the
/// freed memory at the top of a thread's arena stays with the process, even through
/// `malloc_trim`.
const MMAP_THRESHOLD: i32 = 128 * 1024;

/// Fixes glibc's mmap threshold for the daemon, so that the memory of a refresh
/// returns to the kernel after it, whichever thread allocated it. Call it once, before
/// the runtime starts threads.
#[allow(unsafe_code)]
pub fn configure_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's allocator settings; it takes no pointer and
    // is called before other threads allocate.
    unsafe {
        if nix::libc::mallopt(nix::libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 0 {
            tracing::warn!("setting glibc's mmap threshold failed");
        }
    }
}

/// Gives free heap pages and the code pages of finished work back to the kernel.
/// The daemon calls it after start, after each job and after each schedule tick.
pub fn release_idle_memory() {
    release_free_heap();
    release_clean_file_pages();
}

/// Gives free heap pages back to the kernel. A catalog refresh or load frees
/// tens of megabytes at once, which glibc would otherwise keep mapped, and the
/// idle daemon's resident size would stay at its peak.
#[allow(unsafe_code)]
fn release_free_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own arenas; it takes no pointer
    // from the caller and is safe to call at any time from any thread.
    unsafe {
        nix::libc::malloc_trim(0);
    }
}

/// Unmaps the pages of read-only file mappings (the code and constants of hwupd
/// and its libraries) from this process. Start, a scan or a refresh touch code
/// that the idle daemon never runs again, and the kernel maps each touched page
/// with its neighbours (fault-around), so most of the executable would stay resident.
///
/// The pages stay in the page cache, and the next access maps them again from
/// there. Only mappings without anonymous pages qualify. A read-only private
/// mapping gets those only when something wrote to it before it became read-only
/// (relocated data) or through ptrace (a debugger's breakpoints), and dropping
/// such pages would lose the write.
#[allow(unsafe_code)]
fn release_clean_file_pages() {
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
        return;
    };
    for range in clean_read_only_mappings(&smaps) {
        // SAFETY: the range is a whole mapping that /proc/self/smaps lists as
        // read-only, private and backed by a file, with no anonymous pages, so
        // MADV_DONTNEED only drops page-table entries that the next access
        // rebuilds from the unchanged file. No Rust value lives in such a
        // mapping, and the mapping itself stays in place.
        unsafe {
            nix::libc::madvise(
                range.start as *mut nix::libc::c_void,
                range.end - range.start,
                nix::libc::MADV_DONTNEED,
            );
        }
    }
}

/// Returns the address ranges of the mappings in `smaps` (the text of
/// `/proc/<pid>/smaps`) that are backed by a file, private, not writable and
/// have no anonymous pages.
fn clean_read_only_mappings(smaps: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut current: Option<Range<usize>> = None;
    for line in smaps.lines() {
        if let Some(header) = MappingHeader::parse(line) {
            found.extend(current.take());
            current = header.qualifies().then_some(header.range);
            continue;
        }
        let mut fields = line.split_whitespace();
        if fields.next() == Some("Anonymous:") && fields.next() != Some("0") {
            current = None;
        }
    }
    found.extend(current);
    found
}

/// The first line of a mapping in smaps: `start-end perms offset dev inode path`.
struct MappingHeader<'a> {
    range: Range<usize>,
    permissions: &'a str,
    inode: &'a str,
    path: &'a str,
}

impl<'a> MappingHeader<'a> {
    fn parse(line: &'a str) -> Option<Self> {
        let mut fields = line.split_whitespace();
        let (start, end) = fields.next()?.split_once('-')?;
        let range = usize::from_str_radix(start, 16).ok()?..usize::from_str_radix(end, 16).ok()?;
        let permissions = fields.next()?;
        let _offset = fields.next()?;
        let _device = fields.next()?;
        let inode = fields.next()?;
        let path = fields.next().unwrap_or_default();
        Some(Self {
            range,
            permissions,
            inode,
            path,
        })
    }

    fn qualifies(&self) -> bool {
        let bytes = self.permissions.as_bytes();
        bytes.len() == 4
            && bytes[0] == b'r'
            && bytes[1] == b'-'
            && bytes[3] == b'p'
            && self.inode != "0"
            && self.path.starts_with('/')
            && self.range.start < self.range.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
5581a000-5581b000 r--p 00000000 fd:01 1234 /usr/bin/hwupd
Rss:                   4 kB
Anonymous:             0 kB
5581b000-5581f000 r-xp 00001000 fd:01 1234 /usr/bin/hwupd
Rss:                  16 kB
Anonymous:             0 kB
55820000-55821000 r--p 00005000 fd:01 1234 /usr/bin/hwupd
Rss:                   4 kB
Anonymous:             4 kB
55821000-55822000 rw-p 00006000 fd:01 1234 /usr/bin/hwupd
Anonymous:             4 kB
55900000-55921000 rw-p 00000000 00:00 0    [heap]
Anonymous:           132 kB
7f000000-7f001000 r--s 00000000 fd:01 99 /var/lib/hwupd/history.sqlite-shm
Anonymous:             0 kB
7ffd0000-7ffd1000 r-xp 00000000 00:00 0 [vdso]
Anonymous:             0 kB
7ff00000-7ff04000 r-xp 00000000 fd:01 77 /usr/lib/libc.so.6
Anonymous:             0 kB
";

    #[test]
    fn picks_clean_private_file_code_and_constants() {
        let ranges = clean_read_only_mappings(SMAPS);
        assert_eq!(
            ranges,
            [
                0x5581a000..0x5581b000,
                0x5581b000..0x5581f000,
                0x7ff00000..0x7ff04000
            ]
        );
    }

    #[test]
    fn skips_mapping_with_anonymous_pages() {
        let ranges = clean_read_only_mappings(SMAPS);
        assert!(!ranges.contains(&(0x55820000..0x55821000)));
    }

    #[test]
    fn ignores_garbled_lines() {
        let text = "zz-yy r--p 0 0 1 /x\nnot a header\n10-20 r--p\n";
        assert!(clean_read_only_mappings(text).is_empty());
    }

    #[test]
    fn release_idle_memory_keeps_process_working() {
        release_idle_memory();
        let text = std::fs::read_to_string("/proc/self/status").unwrap();
        assert!(text.contains("VmRSS"));
    }
}
