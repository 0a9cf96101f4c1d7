//! permessage-deflate (RFC 7692) compression and bounded decompression.
//!
//! The codecs are zlib-rs's own safe API (not `flate2`'s wrapper, which fixes zlib's
//! `memLevel` at 8): see [`MEM_LEVEL`].
//!
//! Window bits: zlib accepts 9 to 15. Inflating with a window larger than the
//! peer's is always safe, so a negotiated 8 inflates with 9. Deflating needs a window
//! no larger than negotiated, and zlib cannot deflate with 8: for 8 we never compress
//! (see [`DeflateConfig`]).
//!
//! Memory: a zlib state exists only while it is needed. Both codecs are created at
//! their first message, not when the session opens (a compressing connection that is
//! idle holds none). In a direction without context takeover the state is reset at
//! every message's end anyway, so it is handed back to the thread's
//! [`SpareCodecs`](crate::spare::SpareCodecs) then, and the next message of any
//! session on the thread takes it from there: such a session holds zlib state only
//! while a message is under way. With context takeover the context must outlive the
//! message: the compressor stays while the connection is busy, and once it has been
//! idle for `release_after_idle` it goes back to the pool and only the last
//! plaintext it sent ([`History`], at most 4 KiB) stays, to be given to the next
//! state as its dictionary: the context survives, at 4 KiB instead of a zlib state.
//! The decompressor does the same at every message's end, not only when idle, when
//! the peer's window is at most 13 bits (a browser's, answered with 12): its
//! history is the peer's whole window, and a busy connection holds that history
//! between messages instead of a 47 KiB state.

use zlib_rs::{
    Deflate, DeflateConfig as ZlibDeflateConfig, DeflateFlush, Inflate, InflateFlush, Status,
};

use crate::backoff::IncompressibleBackoff;
use crate::config::{DeflateConfig, Role};
use crate::event::MessageKind;
use crate::history::History;
use crate::spare::SpareCodecs;
use crate::ProtocolError;

/// The empty stored block that ends every flushed message (RFC 7692 section 7.2.1).
pub(crate) const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Largest output produced by one inflate step.
const STEP: usize = 16 * 1024;

/// Largest history kept for a released compressor: 4 KiB, whatever its window.
///
/// Unlike the decompressor's, the compressor's history is an option, not a duty: the
/// peer's decompressor keeps its whole window, and a fresh compressor given any
/// suffix of what was sent as its dictionary refers only to bytes the peer has. So
/// a compressor with a 32 KiB window (`ws_handshake::DeflateConfig::lean`'s server
/// direction) continues after an idle release from the last 4 KiB, and an idle
/// session keeps 4 KiB for it, not 32.
pub(crate) const DEFLATE_HISTORY_MAX_BITS: u8 = 12;

/// A message at least this long is compressed with a window of
/// [`DEFLATE_HISTORY_MAX_BITS`] when a larger one was negotiated (and a history is
/// kept to carry the context over, see [`Deflater::compress`]).
///
/// A message as long as the full 32 KiB window pushes every earlier message out of
/// it, and a deflate search over a larger window is slower. Measured on five real
/// documents cut into 64 KiB messages, compressed one after another at level 6
/// (docs/performance.md, 2026-12-06; `benches/examples/deflate_window.rs`), 12 bits
/// against 15: 1.1 to 2.0 times as fast, for 1% fewer to 55% more bytes (JSON +8%,
/// -1%, +38%; prose +14%; a Markdown file of tables +55%). The trade is speed for
/// size, and we take the speed (`release_after_idle: None` keeps the negotiated
/// window instead). The load test's earlier figures for this choice (64 KiB and 1 MiB
/// echoes 1.3 to 1.6 times as fast with 12 bits, 1 KiB ones 1.3 to 2.9 times as fast
/// with 15) came from bodies that were each the one before shifted by a byte, which
/// made the window's reach look decisive at 1 KiB. A peer's decompressor resolves a smaller window's
/// references as well (RFC 7692 section 7.1.2.1: the window is a maximum).
pub(crate) const LARGE_MESSAGE: usize = 1 << 15;

/// zlib's `memLevel` for our compressors: 7, where zlib (and `flate2`, which gives
/// no choice) uses 8.
///
/// It sizes the hash table (2^(memLevel + 7) entries) and the symbol buffer that
/// ends a deflate block (2^(memLevel + 6) symbols), and zlib-rs clears that whole
/// buffer at every block's start, so at every message (each ends with a sync
/// flush): 64 KiB at memLevel 8, 32 KiB at 7. Measured on this project's machine
/// (level 6, window 15, context takeover, one 1 KiB message after another): 5.3 to
/// 5.5 µs a message at 8, 3.8 to 3.9 at 7, 3.4 to 3.5 at 6; 64 KiB of
/// incompressible bytes 2.0 to 2.1 ms at 8 and 7, 2.4 to 2.6 at 6 (smaller blocks);
/// the compressed sizes within 0.1%. A held window-15 compressor is 64 KiB smaller
/// at 7 than at 8 (the hash table and the symbol buffer halve).
pub(crate) const MEM_LEVEL: i32 = 7;

/// A raw-deflate compressor with `bits` of window at `level`, [`MEM_LEVEL`].
pub(crate) fn new_compressor(bits: u8, level: u32) -> Box<Deflate> {
    Box::new(Deflate::new_with_config(ZlibDeflateConfig {
        level: level as i32,
        window_bits: -i32::from(bits),
        mem_level: MEM_LEVEL,
        ..ZlibDeflateConfig::default()
    }))
}

/// The window every decompressor inflates with, whatever was negotiated.
///
/// zlib-rs allocates a 32 KiB window and its tables in one block (about 47 KiB)
/// whatever the window bits, so a smaller window would save no memory; and its
/// stable API resets a state only to 15 bits, so a smaller one could not be reset
/// in place, only made anew (an allocation of that block per message for a
/// direction without context takeover). Inflating a peer's stream with a window
/// larger than the peer's is always correct (RFC 7692 section 7.1.2.1: the
/// negotiated bits bound the peer's compressor). What the negotiated window still
/// bounds is the context kept across messages: a [`History`] of `2^bits` bytes, so
/// a peer that refers further back than its window into an earlier message fails
/// with 1007 once its decompressor has been handed back.
pub(crate) const INFLATE_BITS: u8 = 15;

/// A raw-deflate decompressor ([`INFLATE_BITS`] of window).
pub(crate) fn new_decompressor() -> Box<Inflate> {
    Box::new(Inflate::new(false, INFLATE_BITS))
}

/// Resets a decompressor for a new stream, in place.
pub(crate) fn reset_decompressor(state: &mut Inflate) {
    state.reset(false);
}

/// Our compressor, for the direction we send.
pub(crate) struct Deflater {
    /// The zlib state, while it exists (see the module docs).
    inner: Option<Box<Deflate>>,
    /// The negotiated window: the largest our compressor may use.
    bits: u8,
    /// The window of `inner` (`bits`, or less for a large message).
    state_bits: u8,
    level: u32,
    reset_after_message: bool,
    threshold: usize,
    /// Whole messages that do not compress are sent plain for a while (`None`:
    /// every message at or above the threshold is compressed).
    backoff: Option<IncompressibleBackoff>,
    /// With context takeover: the last bytes sent (up to the window, at most
    /// [`DEFLATE_HISTORY_MAX_BITS`]), for a state taken afresh.
    history: Option<History>,
    /// A message sent in parts is under way (its window was chosen at its first).
    mid_message: bool,
}

impl Deflater {
    /// The compressor for `role`'s sending direction; `None` when we never compress
    /// (window 8, see the module docs, or level 0).
    pub(crate) fn new(cfg: &DeflateConfig, role: Role) -> Option<Deflater> {
        let (bits, no_takeover) = match role {
            Role::Server => (cfg.server_max_window_bits, cfg.server_no_context_takeover),
            Role::Client => (cfg.client_max_window_bits, cfg.client_no_context_takeover),
        };
        if !cfg.compresses_with(bits) {
            return None;
        }
        let bits = bits.min(15);
        Some(Deflater {
            inner: None,
            bits,
            state_bits: bits,
            level: cfg.compression_level.min(9),
            reset_after_message: no_takeover,
            threshold: cfg.compression_threshold,
            backoff: cfg.skip_incompressible.then(IncompressibleBackoff::default),
            history: (!no_takeover && cfg.release_after_idle.is_some())
                .then(|| History::new(bits.min(DEFLATE_HISTORY_MAX_BITS))),
            mid_message: false,
        })
    }

    /// Whether the session holds a zlib state for this direction now.
    pub(crate) fn holds_state(&self) -> bool {
        self.inner.is_some()
    }

    /// Resets the compressor and hands it to the thread's spare pool (between
    /// messages only); the history keeps the context for the next state.
    pub(crate) fn release(&mut self) {
        if let Some(mut inner) = self.inner.take() {
            inner.reset();
            SpareCodecs::give_compressor(self.state_bits, self.level, inner);
        }
        if let Some(history) = self.history.as_mut() {
            history.compact();
        }
    }

    /// A compressor that starts every message from an empty window (no context
    /// takeover) and compresses whatever the size: for frames shared by sessions
    /// (`shared.rs`). `bits` is 9 to 15. Its zlib state comes from the thread's
    /// spare pool for each message and goes back after it, like that of any session
    /// without context takeover.
    pub(crate) fn without_context(bits: u8, level: u32) -> Deflater {
        let bits = bits.clamp(9, 15);
        Deflater {
            inner: None,
            bits,
            state_bits: bits,
            level: level.min(9),
            reset_after_message: true,
            threshold: 0,
            backoff: None,
            history: None,
            mid_message: false,
        }
    }

    /// Whether a whole message of `kind` and `len` bytes is worth compressing: at
    /// least the threshold long, and no pause for incompressible messages of its
    /// kind under way (see [`IncompressibleBackoff`]).
    pub(crate) fn wants(&self, kind: MessageKind, len: usize) -> bool {
        len >= self.threshold && !self.backoff.is_some_and(|b| b.pausing(kind))
    }

    /// A whole message of `kind` and `len` bytes went out plain; a pause counts it
    /// when the threshold alone would have had it compressed.
    pub(crate) fn sent_plain(&mut self, kind: MessageKind, len: usize) {
        if len >= self.threshold {
            if let Some(b) = self.backoff.as_mut() {
                b.sent_plain(kind);
            }
        }
    }

    /// A whole message of `kind` was compressed from `input` bytes to `output`.
    pub(crate) fn compressed(&mut self, kind: MessageKind, input: usize, output: usize) {
        if let Some(b) = self.backoff.as_mut() {
            b.compressed(kind, input, output);
        }
    }

    /// Compresses one message, or one part of a message sent in parts, into `out`
    /// (appended). The stream is sync-flushed; on the last part the `00 00 ff ff` tail
    /// is removed, and without context takeover the compressor is reset.
    ///
    /// A message whose first part is at least [`LARGE_MESSAGE`] long is compressed
    /// with a 12-bit window when the negotiated one is larger and a history is kept:
    /// the state in use goes back to the pool and one of the other window takes the
    /// history as its dictionary, so the context carries over both ways (the peer
    /// holds every byte of it). Without a history the negotiated window is kept.
    pub(crate) fn compress(&mut self, input: &[u8], last: bool, out: &mut Vec<u8>) {
        if !self.mid_message {
            let bits = if input.len() >= LARGE_MESSAGE && self.history.is_some() {
                self.bits.min(DEFLATE_HISTORY_MAX_BITS)
            } else {
                self.bits
            };
            if bits != self.state_bits {
                if let Some(mut inner) = self.inner.take() {
                    inner.reset();
                    SpareCodecs::give_compressor(self.state_bits, self.level, inner);
                }
                self.state_bits = bits;
            }
        }
        self.mid_message = !last;
        let (bits, level) = (self.state_bits, self.level);
        let history = &mut self.history;
        let inner = self.inner.get_or_insert_with(|| {
            let mut fresh = SpareCodecs::take_compressor(bits, level)
                .unwrap_or_else(|| new_compressor(bits, level));
            // Continue the context the peer's decompressor still holds.
            if let Some(window) = history.as_ref().map(History::window) {
                if !window.is_empty() {
                    let _ = fresh.set_dictionary(window);
                }
            }
            fresh
        });
        if let Some(history) = history.as_mut() {
            history.push(input);
        }
        let start = out.len();
        let mut rest = input;
        loop {
            // Room for this step, zeroed (no unsafe code writes into spare capacity):
            // what the rest compresses to at worst, so that one step is the rule.
            let room = rest.len() + rest.len() / 64 + 64;
            out.reserve(room);
            let len = out.len();
            out.resize(len + room, 0);
            let before_in = inner.total_in();
            let before_out = inner.total_out();
            let status = inner.compress(rest, &mut out[len..], DeflateFlush::SyncFlush);
            let used = (inner.total_in() - before_in) as usize;
            let produced = (inner.total_out() - before_out) as usize;
            out.truncate(len + produced);
            rest = &rest[used..];
            // A sync flush is complete once the input is consumed and output room is
            // left over; otherwise give it more room. Compressing in memory cannot fail
            // on a valid stream, so an error only stops the loop.
            let filled = produced == room;
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
                if let Some(mut inner) = self.inner.take() {
                    inner.reset();
                    SpareCodecs::give_compressor(bits, level, inner);
                }
            }
        }
    }
}

/// Our decompressor, for the direction the peer sends.
pub(crate) struct Inflater {
    /// The zlib state, while it exists (see the module docs).
    state: Option<Box<Inflate>>,
    reset_after_message: bool,
    /// The peer ended its stream with a BFINAL block during this message.
    stream_ended: bool,
    /// With the peer's context takeover and a window of at most
    /// [`HISTORY_MAX_BITS`]: the plaintext window, for a state taken afresh.
    history: Option<History>,
}

/// Largest window whose plaintext is kept instead of a decompressor between
/// messages: a zlib-rs decompressor costs about 47 KiB whatever its window; with a
/// history of at most 8 KiB, taking a pooled state and giving it the history as its
/// dictionary at each message costs a copy of at most 8 KiB, and a larger window's
/// copy would cost more per message than the state it saves.
const HISTORY_MAX_BITS: u8 = 13;

impl Inflater {
    /// The decompressor for the peer's sending direction.
    pub(crate) fn new(cfg: &DeflateConfig, role: Role) -> Inflater {
        let (bits, no_takeover) = match role {
            Role::Server => (cfg.client_max_window_bits, cfg.client_no_context_takeover),
            Role::Client => (cfg.server_max_window_bits, cfg.server_no_context_takeover),
        };
        let bits = bits.clamp(9, 15);
        let keeps_history =
            !no_takeover && cfg.release_after_idle.is_some() && bits <= HISTORY_MAX_BITS;
        Inflater {
            state: None,
            reset_after_message: no_takeover,
            stream_ended: false,
            history: keeps_history.then(|| History::new(bits)),
        }
    }

    /// Whether an idle release would free something without losing the context:
    /// a state held with its context kept as a history, or a history still in
    /// its busy, twice-the-window buffer.
    pub(crate) fn releasable(&self) -> bool {
        self.history
            .as_ref()
            .is_some_and(|h| self.state.is_some() || !h.is_compact())
    }

    /// Hands the state to the thread's spare pool and shrinks the history to its
    /// window (between messages only); the history keeps the context for the next
    /// state.
    pub(crate) fn release(&mut self) {
        let Some(history) = self.history.as_mut() else {
            return;
        };
        if let Some(mut state) = self.state.take() {
            reset_decompressor(&mut state);
            SpareCodecs::give_decompressor(state);
        }
        history.compact();
    }

    /// Whether the session holds a zlib state for this direction now.
    pub(crate) fn holds_state(&self) -> bool {
        self.state.is_some()
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
        let history = &mut self.history;
        let state = self.state.get_or_insert_with(|| {
            let mut fresh = SpareCodecs::take_decompressor().unwrap_or_else(new_decompressor);
            // Continue the peer's context: its back-references reach into this.
            if let Some(window) = history.as_ref().map(History::window) {
                if !window.is_empty() {
                    let _ = fresh.set_dictionary(window);
                }
            }
            fresh
        });
        // Its steps write into the thread's scratch buffer (`with_scratch`).
        let inner = state;
        let stream_ended = &mut self.stream_ended;
        let result = SpareCodecs::with_scratch(STEP, |out| {
            let mut pieces: [&[u8]; 2] = [input, &[]];
            if finish {
                pieces[1] = &TAIL;
            }
            for (i, piece) in pieces.into_iter().enumerate() {
                let flush = if i == 1 {
                    InflateFlush::SyncFlush
                } else {
                    InflateFlush::NoFlush
                };
                let mut rest = piece;
                loop {
                    // One more byte than the budget allows shows that the budget is
                    // exceeded, without producing more than that.
                    let room = (STEP as u64).min(budget.saturating_add(1)) as usize;
                    let before_in = inner.total_in();
                    let before_out = inner.total_out();
                    let status = inner
                        .decompress(rest, &mut out[..room], flush)
                        .map_err(|_| ProtocolError::BadCompressedData)?;
                    let used = (inner.total_in() - before_in) as usize;
                    let produced = (inner.total_out() - before_out) as usize;
                    rest = &rest[used..];
                    if produced as u64 > budget {
                        return Err(too_big.clone());
                    }
                    budget -= produced as u64;
                    if produced > 0 {
                        if let Some(history) = history.as_mut() {
                            history.push(&out[..produced]);
                        }
                        sink(&out[..produced])?;
                    }
                    let full = produced == room;
                    if matches!(status, Status::StreamEnd) {
                        // A block with BFINAL ends the peer's deflate stream (RFC 7692
                        // section 7.2.3.4); whatever follows starts a new one, and the
                        // next message starts afresh too (see below).
                        reset_decompressor(inner);
                        *stream_ended = true;
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
        });
        if finish && result.is_ok() {
            let restarts = self.reset_after_message || self.stream_ended;
            if restarts {
                // Without context takeover, or after the peer ended its stream with
                // BFINAL (its compressor restarts), the peer's next message starts
                // from an empty window.
                self.stream_ended = false;
                if let Some(history) = self.history.as_mut() {
                    history.clear();
                }
            }
            // The state goes back to the thread's pool when the next message needs
            // nothing of it: it starts afresh, or the history carries the context
            // (a fresh state takes it as its dictionary). A busy connection then
            // holds a 4 KiB history between messages instead of a 47 KiB state.
            if restarts || self.history.is_some() {
                if let Some(mut state) = self.state.take() {
                    reset_decompressor(&mut state);
                    SpareCodecs::give_decompressor(state);
                }
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::noise;

    fn server_deflater(bits: u8) -> Deflater {
        let cfg = DeflateConfig::default().with_server_max_window_bits(bits);
        Deflater::new(&cfg, Role::Server).unwrap()
    }

    #[test]
    fn a_busy_compressor_keeps_one_state_and_refers_back_its_whole_window() {
        // A message sent again 20 KiB later: only a compressor whose 32 KiB window
        // survived every message in between (no reset, no state swapped for a
        // fresh one with a shorter dictionary) codes it as a back-reference.
        let again = noise(1, 1024);
        let mut d = server_deflater(15);
        let mut out = Vec::new();
        d.compress(&again, true, &mut out);
        let spare = SpareCodecs::counts();
        for i in 0..20 {
            out.clear();
            d.compress(&noise(100 + i, 1024), true, &mut out);
            assert!(d.holds_state());
        }
        assert_eq!(SpareCodecs::counts(), spare, "no state taken or given back");
        out.clear();
        d.compress(&again, true, &mut out);
        assert!(out.len() < 64, "{} bytes: the window was lost", out.len());
    }

    #[test]
    fn a_large_message_takes_a_12_bit_state_and_a_small_one_the_negotiated_window() {
        let mut d = server_deflater(15);
        let mut out = Vec::new();
        for (len, bits) in [(1024, 15), (LARGE_MESSAGE, 12), (LARGE_MESSAGE - 1, 15)] {
            d.compress(&noise(len as u64, len), true, &mut out);
            assert_eq!(d.state_bits, bits, "{len} B");
        }
        // A message in parts keeps the window its first part chose.
        d.compress(&noise(5, LARGE_MESSAGE), false, &mut out);
        d.compress(&noise(6, 10), true, &mut out);
        assert_eq!(d.state_bits, 12);
        d.compress(&noise(7, 10), false, &mut out);
        d.compress(&noise(8, LARGE_MESSAGE), true, &mut out);
        assert_eq!(d.state_bits, 15);
        // Negotiated at most 12 bits, or without a history: never switched.
        let mut small = server_deflater(11);
        small.compress(&noise(9, LARGE_MESSAGE), true, &mut out);
        assert_eq!(small.state_bits, 11);
        let cfg = DeflateConfig::default().with_release_after_idle(None);
        let mut kept = Deflater::new(&cfg, Role::Server).unwrap();
        kept.compress(&noise(10, LARGE_MESSAGE), true, &mut out);
        assert_eq!(kept.state_bits, 15);
    }

    #[test]
    fn a_small_window_decompressor_goes_back_after_each_message_and_keeps_the_context() {
        // A browser's direction as ws-server answers it: 12 bits, context takeover.
        let cfg = DeflateConfig::default().with_client_max_window_bits(12);
        let mut sender = Deflater::new(&cfg, Role::Client).unwrap();
        let mut inflater = Inflater::new(&cfg, Role::Server);
        let first = noise(3, 1024);
        let messages = [first.clone(), noise(4, 1024), first];
        let mut sizes = Vec::new();
        for (i, message) in messages.iter().enumerate() {
            let mut wire = Vec::new();
            sender.compress(message, true, &mut wire);
            sizes.push(wire.len());
            let mut got = Vec::new();
            let too_big = ProtocolError::MessageTooBig { limit: u64::MAX };
            let mut sink = |b: &[u8]| {
                got.extend_from_slice(b);
                Ok(())
            };
            inflater
                .inflate(&wire, true, u64::MAX, too_big, &mut sink)
                .unwrap();
            assert_eq!(&got, message, "message {i}");
            assert!(!inflater.holds_state(), "message {i}: handed back");
        }
        // The third message is the first again, 2 KiB back: a reference into a
        // message inflated by another state, resolved from the history.
        assert!(sizes[2] < 64, "{sizes:?}");
        // Idle release then only shrinks the history to its window.
        assert!(inflater.releasable());
        inflater.release();
        assert!(!inflater.releasable());
    }

    #[test]
    fn a_released_compressor_keeps_at_most_4_kib_whatever_its_window() {
        let sent = noise(2, 40_000);
        for bits in [9, 12, 15] {
            let mut d = server_deflater(bits);
            let mut out = Vec::new();
            for chunk in sent.chunks(1000) {
                d.compress(chunk, true, &mut out);
            }
            d.release();
            assert!(!d.holds_state());
            let kept = d.history.as_ref().unwrap().window();
            assert_eq!(
                kept.len(),
                1 << bits.min(DEFLATE_HISTORY_MAX_BITS),
                "{bits}"
            );
            assert_eq!(kept, &sent[sent.len() - kept.len()..]);
            // The next state continues from it: the last bytes sent again (a quarter
            // of the window, within reach of a 9-bit one) are a match.
            let tail = &sent[sent.len() - kept.len() / 4..];
            out.clear();
            d.compress(tail, true, &mut out);
            assert!(out.len() < 32, "bits {bits}: {} bytes", out.len());
        }
    }
}
