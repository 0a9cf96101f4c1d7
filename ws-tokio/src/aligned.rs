//! [`AlignedBytes`]: a zeroed byte buffer whose usable part starts on a 64-byte
//! boundary, for the thread's read buffer (see [`ReadBuffer`](crate::ReadBuffer)).
//!
//! Why it matters. A read from a socket is the kernel copying the received bytes
//! into this buffer (`copy_to_user`, a `rep movsb` on CPUs with fast short strings),
//! and that copy is much slower into a destination that does not start on a cache
//! line. glibc serves a 256 KiB allocation with `mmap` and puts its 16-byte chunk
//! header first, so a plain `Box<[u8]>` of that size always starts 16 bytes past a
//! page. Measured on this project's machine (AMD EPYC with `fsrm`; `perf record` of
//! ws-server at 4 connections x 64 messages of 1 KiB, two threads; docs/performance.md,
//! 2026-12-07): the kernel's `_copy_to_iter` took four to five times the samples per
//! echo into a buffer 16 bytes past a page as into one at a page, and alternating
//! pairs read the aligned server 1.20 to 1.32 times as fast (medians of eight pairs)
//! at two threads, 1.10 at one (six pairs). In single runs, destinations 8 or 16
//! bytes past a page were slow; 0, 32, 48, 64, 512 and 2048 bytes past one fast. A
//! cache line is the boundary that holds for every read, as each read starts at the
//! buffer's start.

/// A zeroed byte buffer of a fixed length whose first byte lies on a
/// [`ALIGN`](Self::ALIGN)-byte boundary: the allocation is `ALIGN` bytes longer and
/// the usable part starts at the first boundary inside it. Safe code only.
#[derive(Debug)]
pub(crate) struct AlignedBytes {
    /// The allocation: the usable bytes and `ALIGN` more around them.
    storage: Box<[u8]>,
    /// Where the usable bytes start in `storage`.
    start: usize,
}

impl AlignedBytes {
    /// The boundary: one cache line.
    pub(crate) const ALIGN: usize = 64;

    /// `len` zeroed bytes starting on a boundary.
    pub(crate) fn zeroed(len: usize) -> AlignedBytes {
        let storage = vec![0u8; len + Self::ALIGN].into_boxed_slice();
        // `align_offset` may decline (usize::MAX); the buffer then starts where the
        // allocation does, unaligned but correct.
        let start = match storage.as_ptr().align_offset(Self::ALIGN) {
            offset if offset < Self::ALIGN => offset,
            _ => 0,
        };
        AlignedBytes { storage, start }
    }

    /// The usable bytes.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        let len = self.storage.len() - Self::ALIGN;
        &mut self.storage[self.start..self.start + len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_on_a_boundary_and_has_the_asked_length() {
        for len in [0, 1, 63, 64, 4096, 256 * 1024] {
            let mut buf = AlignedBytes::zeroed(len);
            let slice = buf.as_mut_slice();
            assert_eq!(slice.len(), len);
            assert_eq!(
                slice.as_ptr() as usize % AlignedBytes::ALIGN,
                0,
                "len {len}"
            );
            assert!(slice.iter().all(|&b| b == 0));
        }
    }

    #[test]
    fn writes_stay_inside_the_usable_part() {
        let mut buf = AlignedBytes::zeroed(100);
        buf.as_mut_slice().fill(7);
        let start = buf.start;
        assert!(buf.storage[..start].iter().all(|&b| b == 0));
        assert!(buf.storage[start + 100..].iter().all(|&b| b == 0));
    }
}
