//! [`History`]: the last bytes of one direction's plaintext, up to its deflate
//! window, kept so that a zlib state can be dropped while a connection is idle
//! without losing its context.
//!
//! With context takeover the peer's decompressor keeps the last `2^bits` bytes it
//! produced and may be referred to by the next message. Those bytes are exactly the
//! tail of the plaintext that crossed the direction, so a fresh zlib state given
//! them as its dictionary (`deflateSetDictionary` / `inflateSetDictionary` on a raw
//! stream) continues the same context: the compressor can refer back as if it had
//! never been dropped, and the decompressor resolves the peer's back-references. A
//! window of 4 KiB (12 bits, the client's direction under
//! `ws_handshake::DeflateConfig::lean`) costs 4 KiB instead of a decompressor (47
//! KiB with zlib-rs). The compressor may keep less than its window (any suffix of
//! what was sent is a valid dictionary: the peer has all of it), and keeps at most
//! 4 KiB instead of a compressor (260 to 370 KiB with zlib-rs).

/// The last `cap` bytes pushed (fewer until that many were).
#[derive(Debug)]
pub(crate) struct History {
    buf: Vec<u8>,
    cap: usize,
}

impl History {
    /// An empty history of a `2^bits` window.
    pub(crate) fn new(bits: u8) -> History {
        History {
            buf: Vec::new(),
            cap: 1 << bits,
        }
    }

    /// Appends `data`. Costs at most a copy of the window, however long `data` is;
    /// the buffer holds at most twice the window.
    pub(crate) fn push(&mut self, data: &[u8]) {
        if data.len() >= self.cap {
            self.buf.clear();
            self.buf.extend_from_slice(&data[data.len() - self.cap..]);
            return;
        }
        if self.buf.len() + data.len() > 2 * self.cap {
            let keep = self.cap - data.len();
            let start = self.buf.len() - keep.min(self.buf.len());
            self.buf.drain(..start);
        }
        if self.buf.capacity() == 0 {
            self.buf.reserve_exact(2 * self.cap);
        }
        self.buf.extend_from_slice(data);
    }

    /// The window: the last `cap` bytes pushed.
    pub(crate) fn window(&self) -> &[u8] {
        &self.buf[self.buf.len().saturating_sub(self.cap)..]
    }

    /// Keeps only the window, in a buffer of its size (for an idle connection).
    pub(crate) fn compact(&mut self) {
        let start = self.buf.len().saturating_sub(self.cap);
        self.buf.drain(..start);
        self.buf.shrink_to_fit();
    }

    /// Whether the buffer is no larger than the window (as [`compact`](Self::compact)
    /// leaves it).
    pub(crate) fn is_compact(&self) -> bool {
        self.buf.capacity() <= self.cap
    }

    /// Forgets everything (the context was reset).
    pub(crate) fn clear(&mut self) {
        self.buf = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_window_of_what_was_pushed() {
        let mut h = History::new(4); // 16 bytes
        let all: Vec<u8> = (0..=255).collect();
        let mut pushed = Vec::new();
        for chunk in all.chunks(5).chain(all.chunks(17)).chain(all.chunks(1)) {
            h.push(chunk);
            pushed.extend_from_slice(chunk);
            let want = &pushed[pushed.len().saturating_sub(16)..];
            assert_eq!(h.window(), want);
            assert!(h.buf.len() <= 32);
        }
        h.compact();
        assert_eq!(h.buf.len(), 16);
        assert_eq!(h.window(), &pushed[pushed.len() - 16..]);
        h.push(&[1, 2]);
        assert_eq!(&h.window()[14..], &[1, 2]);
        h.clear();
        assert!(h.window().is_empty());
    }
}
