//! permessage-deflate (RFC 7692) compression and bounded decompression.
//!
//! Window bits: `flate2` accepts 9 to 15. Inflating with a window larger than the
//! peer's is always safe, so a negotiated 8 inflates with 9. Deflating needs a window
//! no larger than negotiated, and zlib cannot deflate with 8: for 8 we never compress
//! (see [`DeflateConfig`]).

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::config::{DeflateConfig, Role};
use crate::ProtocolError;

/// The empty stored block that ends every flushed message (RFC 7692 section 7.2.1).
pub(crate) const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Largest output produced by one inflate step.
const STEP: usize = 16 * 1024;

/// Our compressor, for the direction we send.
pub(crate) struct Deflater {
    inner: Compress,
    reset_after_message: bool,
    threshold: usize,
}

impl Deflater {
    /// The compressor for `role`'s sending direction; `None` when we never compress
    /// (window 8, see the module docs).
    pub(crate) fn new(cfg: &DeflateConfig, role: Role) -> Option<Deflater> {
        let (bits, no_takeover) = match role {
            Role::Server => (cfg.server_max_window_bits, cfg.server_no_context_takeover),
            Role::Client => (cfg.client_max_window_bits, cfg.client_no_context_takeover),
        };
        if bits <= 8 {
            return None;
        }
        let level = Compression::new(cfg.compression_level.min(9));
        Some(Deflater {
            inner: Compress::new_with_window_bits(level, false, bits.min(15)),
            reset_after_message: no_takeover,
            threshold: cfg.compression_threshold,
        })
    }

    /// Whether a whole message of `len` bytes is worth compressing.
    pub(crate) fn wants(&self, len: usize) -> bool {
        len >= self.threshold
    }

    /// Compresses one message, or one part of a message sent in parts, into `out`
    /// (appended). The stream is sync-flushed; on the last part the `00 00 ff ff` tail
    /// is removed, and without context takeover the compressor is reset.
    pub(crate) fn compress(&mut self, input: &[u8], last: bool, out: &mut Vec<u8>) {
        let start = out.len();
        let mut rest = input;
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(rest.len() / 2 + 256);
            }
            let before_in = self.inner.total_in();
            let status = self.inner.compress_vec(rest, out, FlushCompress::Sync);
            let used = (self.inner.total_in() - before_in) as usize;
            rest = &rest[used..];
            // A sync flush is complete once the input is consumed and output room is
            // left over; otherwise give it more room. Compressing in memory cannot fail
            // on a valid stream, so an error only stops the loop.
            let filled = out.len() == out.capacity();
            if status.is_err() || (rest.is_empty() && !filled) {
                break;
            }
        }
        if last {
            if out[start..].ends_with(&TAIL) {
                out.truncate(out.len() - TAIL.len());
            }
            if out.len() == start {
                // zlib emits nothing for a sync flush with no new input after a sync
                // flush, but the receiver appends `00 00 ff ff` to every message: send
                // the empty stored block's first byte so that it parses (RFC 7692
                // section 7.2.3.6: an empty message is `0x00`).
                out.push(0x00);
            }
            if self.reset_after_message {
                self.inner.reset();
            }
        }
    }
}

/// Our decompressor, for the direction the peer sends.
pub(crate) struct Inflater {
    inner: Decompress,
    reset_after_message: bool,
    /// The peer ended its stream with a BFINAL block during this message.
    stream_ended: bool,
    out: Vec<u8>,
}

impl Inflater {
    /// The decompressor for the peer's sending direction.
    pub(crate) fn new(cfg: &DeflateConfig, role: Role) -> Inflater {
        let (bits, no_takeover) = match role {
            Role::Server => (cfg.client_max_window_bits, cfg.client_no_context_takeover),
            Role::Client => (cfg.server_max_window_bits, cfg.server_no_context_takeover),
        };
        Inflater {
            inner: Decompress::new_with_window_bits(false, bits.clamp(9, 15)),
            reset_after_message: no_takeover,
            stream_ended: false,
            out: vec![0; STEP],
        }
    }

    /// Inflates `input` in steps of at most [`STEP`] bytes, handing each step's output
    /// to `sink`. `budget` is how many more output bytes the message may have; output
    /// beyond it fails with `too_big` after at most `budget + 1` bytes were produced
    /// (and only `budget` handed on). With `finish`, the `00 00 ff ff` tail is appended
    /// first (the message's last frame has ended).
    pub(crate) fn inflate(
        &mut self,
        input: &[u8],
        finish: bool,
        mut budget: u64,
        too_big: ProtocolError,
        sink: &mut dyn FnMut(&[u8]) -> Result<(), ProtocolError>,
    ) -> Result<(), ProtocolError> {
        let mut out = core::mem::take(&mut self.out);
        let result = (|| {
            let mut pieces: [&[u8]; 2] = [input, &[]];
            if finish {
                pieces[1] = &TAIL;
            }
            for (i, piece) in pieces.into_iter().enumerate() {
                let flush = if i == 1 {
                    FlushDecompress::Sync
                } else {
                    FlushDecompress::None
                };
                let mut rest = piece;
                loop {
                    // One more byte than the budget allows shows that the budget is
                    // exceeded, without producing more than that.
                    let room = (STEP as u64).min(budget.saturating_add(1)) as usize;
                    let before_in = self.inner.total_in();
                    let before_out = self.inner.total_out();
                    let status = self
                        .inner
                        .decompress(rest, &mut out[..room], flush)
                        .map_err(|_| ProtocolError::BadCompressedData)?;
                    let used = (self.inner.total_in() - before_in) as usize;
                    let produced = (self.inner.total_out() - before_out) as usize;
                    rest = &rest[used..];
                    if produced as u64 > budget {
                        return Err(too_big.clone());
                    }
                    budget -= produced as u64;
                    if produced > 0 {
                        sink(&out[..produced])?;
                    }
                    let full = produced == room;
                    if matches!(status, Status::StreamEnd) {
                        // A block with BFINAL ends the peer's deflate stream (RFC 7692
                        // section 7.2.3.4); whatever follows starts a new one, and the
                        // next message starts afresh too (see below).
                        self.inner.reset(false);
                        self.stream_ended = true;
                        if rest.is_empty() && !full {
                            break;
                        }
                        continue;
                    }
                    if rest.is_empty() && !full {
                        break;
                    }
                    if used == 0 && produced == 0 {
                        if rest.is_empty() {
                            break;
                        }
                        return Err(ProtocolError::BadCompressedData);
                    }
                }
            }
            Ok(())
        })();
        self.out = out;
        if finish && (self.reset_after_message || self.stream_ended) && result.is_ok() {
            // Without context takeover, or after the peer ended its stream with BFINAL
            // (its compressor restarts), the next message starts with an empty window
            // and no half-parsed block (the appended tail may have left one).
            self.inner.reset(false);
            self.stream_ended = false;
        }
        result
    }
}
