//! Session configuration: roles, delivery modes, limits, timeouts and the negotiated
//! permessage-deflate parameters.
//!
//! Defaults follow Tomcat where Tomcat has a key (named here without its package
//! prefix); fields marked "our addition" close gaps Tomcat leaves open. `ws-config`
//! builds a [`SessionConfig`] from Tomcat-style properties.

use std::time::Duration;

/// Which end of the connection a session is.
///
/// The role decides masking (RFC 6455 section 5.3): a client masks every frame it sends
/// and requires unmasked input; a server requires masked input and never masks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The end that opened the connection; masks its frames.
    Client,
    /// The end that accepted the connection; receives masked frames.
    Server,
}

/// How messages of one type (text or binary) are handed to the application, like
/// Tomcat's `MessageHandler.Whole` and `MessageHandler.Partial`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// Buffer the whole message (up to the type's buffer size) and deliver it once.
    /// A larger message fails the connection with 1009, detected from the frame header
    /// before its payload is buffered.
    #[default]
    Whole,
    /// Deliver parts as they arrive, each at most the type's buffer size, with a `last`
    /// flag; text parts end on UTF-8 character boundaries.
    Partial,
}

/// Negotiated permessage-deflate parameters (RFC 7692), plus our compression policy.
///
/// Front-ends map the handshake's negotiated extension parameters into this struct; the
/// session does not parse extension headers. "Server" and "client" refer to the
/// direction the parameter governs (`server_*` = frames the server sends), whatever the
/// session's own [`Role`].
///
/// # Window bits 8
///
/// zlib (and zlib-rs) cannot produce a raw deflate stream with a 256-byte window: a
/// request for 8 bits is refused or silently raised to 9, and a 9-bit stream may hold
/// back-references a peer that negotiated 8 cannot resolve (RFC 7692 section 7.1.2.1).
/// Decision: when the window for *our sending direction* is 8, the session never
/// compresses; every message goes out uncompressed (RSV1 clear), which RFC 7692
/// section 6 always allows. Receiving with a negotiated window of 8 works normally.
/// Front-ends that want compression in both directions should therefore not offer or
/// accept 8 for their own direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeflateConfig {
    /// `server_no_context_takeover`: the server resets its compressor after each
    /// message (the client may then reset its decompressor too). Default `false`.
    pub server_no_context_takeover: bool,
    /// `client_no_context_takeover`: the client resets its compressor after each
    /// message. Default `false`.
    pub client_no_context_takeover: bool,
    /// `server_max_window_bits`: LZ77 window of the server's compressor, 8 to 15.
    /// Default 15.
    pub server_max_window_bits: u8,
    /// `client_max_window_bits`: LZ77 window of the client's compressor, 8 to 15.
    /// Default 15.
    pub client_max_window_bits: u8,
    /// Our compression level, 1 (fastest) to 9 (best), or 0: send every message
    /// uncompressed. Default 6 (zlib's default).
    ///
    /// At 0 the messages go out plain (RSV1 clear, which RFC 7692 allows on any
    /// message) while what the peer compresses is still inflated: zlib's level 0
    /// would wrap each message in stored blocks, 5 bytes and a copy longer than the
    /// message itself, and a session at 0 never holds a compressor.
    pub compression_level: u32,
    /// Our addition: messages shorter than this many bytes are sent uncompressed
    /// (deflate framing would make them longer, and it costs CPU). Default 32 bytes;
    /// 0 compresses everything.
    pub compression_threshold: usize,
    /// Our addition: with context takeover, a zlib state that has been idle this
    /// long (the compressor since the last send, the decompressor since the last
    /// data received) is reset and handed back to the thread's spare pool, and only
    /// the last plaintext is kept, which the next state takes as its dictionary: the
    /// context survives (small JSON messages compress to 0.14 of their size with it,
    /// 0.85 without) at the window's size for the decompressor (4 KiB at 12 bits) and
    /// at most 4 KiB for the compressor, whatever its window, instead of a zlib state
    /// (260 to 370 KiB to compress, 47 KiB to inflate, with zlib-rs). For windows of
    /// at most 13 bits the decompressor does not even wait for idleness: it goes
    /// back at every message's end, and the next message's state takes the kept
    /// window as its dictionary (a copy of at most 8 KiB per message; a larger
    /// window would cost more per message than the state it saves, and keeps its
    /// state). `None` keeps the states for the session's life. Default 1 s.
    ///
    /// The kept plaintext also lets our compressor change its window between
    /// messages without losing the context: with a history, a message of 32 KiB or
    /// more is compressed with a 12-bit window when a larger one was negotiated:
    /// faster, at some cost in size. Five real documents cut into 64 KiB messages
    /// and compressed one after another (docs/performance.md, 2026-12-06): 1.1 to
    /// 2.0 times as fast with 12 bits as with 15, for 1% fewer to 55% more bytes
    /// (three JSON files +8%, -1% and +38%; Python's help text +14%; a Markdown
    /// file of tables +55%). A compressing server is bound by its CPU, so speed
    /// wins by default. With `None` the negotiated window serves every message
    /// (the best ratio, and every state kept for the session's life).
    pub release_after_idle: Option<Duration>,
    /// Our addition: a whole message of at least 256 bytes that compresses to more
    /// than 15/16 of its size (random or already compressed bytes) starts a pause in
    /// which the next messages of its kind (text or binary) go out plain; the pause
    /// doubles with each look that does not pay, from 2 to 64 messages, and ends
    /// with the first that does. Safe with context takeover (a plain message enters
    /// neither side's window). On random 1 KiB binary this spares the whole match
    /// search (about 40 µs a message at level 6) for bytes a stored block would
    /// have made 5 longer; the cost is that a compressible message after
    /// incompressible ones of its kind may go plain until the pause ends. Messages
    /// sent in parts are not affected. Default `true`.
    pub skip_incompressible: bool,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        DeflateConfig {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
            compression_level: 6,
            compression_threshold: 32,
            release_after_idle: Some(Duration::from_secs(1)),
            skip_incompressible: true,
        }
    }
}

impl DeflateConfig {
    /// Sets `server_no_context_takeover`.
    pub fn with_server_no_context_takeover(mut self, on: bool) -> Self {
        self.server_no_context_takeover = on;
        self
    }

    /// Sets `client_no_context_takeover`.
    pub fn with_client_no_context_takeover(mut self, on: bool) -> Self {
        self.client_no_context_takeover = on;
        self
    }

    /// Sets `server_max_window_bits` (clamped to 8..=15).
    pub fn with_server_max_window_bits(mut self, bits: u8) -> Self {
        self.server_max_window_bits = bits.clamp(8, 15);
        self
    }

    /// Sets `client_max_window_bits` (clamped to 8..=15).
    pub fn with_client_max_window_bits(mut self, bits: u8) -> Self {
        self.client_max_window_bits = bits.clamp(8, 15);
        self
    }

    /// Sets the compression level (clamped to 0..=9; 0 sends every message
    /// uncompressed, see [`compression_level`](Self::compression_level)).
    pub fn with_compression_level(mut self, level: u32) -> Self {
        self.compression_level = level.min(9);
        self
    }

    /// Whether we compress what we send with a window of `bits`: never at 8 (zlib
    /// cannot deflate with it) nor at level 0.
    pub(crate) fn compresses_with(&self, bits: u8) -> bool {
        bits > 8 && self.compression_level > 0
    }

    /// Sets the compression threshold in bytes.
    pub fn with_compression_threshold(mut self, bytes: usize) -> Self {
        self.compression_threshold = bytes;
        self
    }

    /// Sets [`release_after_idle`](Self::release_after_idle).
    pub fn with_release_after_idle(mut self, idle: Option<Duration>) -> Self {
        self.release_after_idle = idle;
        self
    }

    /// Sets [`skip_incompressible`](Self::skip_incompressible).
    pub fn with_skip_incompressible(mut self, on: bool) -> Self {
        self.skip_incompressible = on;
        self
    }
}

/// Everything a [`Session`](crate::Session) needs to know besides its role.
///
/// Public fields with Tomcat's defaults ([`Default`]) and builder-style `with_*`
/// setters. Byte sizes are bytes, durations are [`Duration`]s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// Delivery of text messages (Tomcat: which handler type is registered).
    /// Default [`Delivery::Whole`].
    pub text_delivery: Delivery,
    /// Delivery of binary messages. Default [`Delivery::Whole`].
    pub binary_delivery: Delivery,
    /// `textBufferSize`, bytes, default 8192: the largest text message delivered whole
    /// (larger ones fail with 1009) and the largest part delivered in partial mode.
    /// Tomcat counts UTF-16 units after decoding; we count UTF-8 bytes, so a message of
    /// non-ASCII text hits the limit earlier than in Tomcat.
    pub text_buffer_size: usize,
    /// `binaryBufferSize`, bytes, default 8192: as `text_buffer_size`, for binary.
    pub binary_buffer_size: usize,
    /// Our addition: absolute limit of one message's (inflated) payload in bytes, in
    /// whole and partial mode alike; a larger message fails with 1009. Default 64 MiB.
    ///
    /// There is no limit on the number of frames a message may span (a fragment costs
    /// O(1) memory). Endless tiny or empty fragments, which never reach this limit,
    /// are stopped by a fixed framing bound instead: the wire bytes of one message's
    /// frames (headers and payload) may be at most 8 per payload byte plus 64 KiB;
    /// past it the session fails with 1008 (policy violation). Legal framing passes:
    /// a masked 1-byte fragment costs 7 bytes per payload byte, so a 1 MiB message in
    /// 1-byte fragments (7 MiB on the wire) is delivered under any limit that admits
    /// its size.
    pub max_message_size: u64,
    /// `SESSION_CLOSE_TIMEOUT`, default 30 s: after our close frame is queued, how long
    /// to wait for the peer's close before giving up (the session then reports the
    /// close as finished, code 1006, and the front-end drops the transport).
    pub session_close_timeout: Duration,
    /// `ABNORMAL_SESSION_CLOSE_SEND_TIMEOUT`, default 50 ms: for a close with a code
    /// other than 1000, the deadline for our close frame to be written out; past it
    /// the session gives up on the peer and finishes (1006 locally).
    pub abnormal_close_send_timeout: Duration,
    /// `READ_IDLE_TIMEOUT_MS`, default `None` (off): no data message received for this
    /// long closes the session with 1001 to the peer and 1006 locally. Activity is a
    /// data frame received (control frames do not count).
    pub read_idle_timeout: Option<Duration>,
    /// `WRITE_IDLE_TIMEOUT_MS`, default `None` (off): no data message sent for this
    /// long closes the session with 1001 to the peer and 1006 locally. Activity is a
    /// data message or part accepted by `send` / `send_part`.
    pub write_idle_timeout: Option<Duration>,
    /// The standard (JSR 356) max idle timeout, default `None` (off; Tomcat's 0): no
    /// data message in either direction for this long closes with 1001 / 1006.
    pub max_idle_timeout: Option<Duration>,
    /// Our addition: when queued outbound bytes exceed this, the session reports
    /// itself above its high-water mark so front-ends stop accepting sends until it
    /// drains. Default 256 KiB: room for a few 64 KiB messages, so an echo of such
    /// messages does not wait for every one to be written before taking the next
    /// (at 64 KiB, one message alone was above the mark, and a loaded server
    /// echoing 64 KiB messages ran at half its rate). The hard bound is
    /// `max_outbound_bytes`.
    pub outbound_high_water_mark: usize,
    /// Our addition: hard bound on queued outbound bytes; a data send or ping that
    /// would go beyond it fails with [`SendError::QueueFull`](crate::SendError::QueueFull)
    /// (nothing is queued). Automatic pongs and close frames are exempt (they have
    /// their own bounds: [`max_queued_pongs`](Self::max_queued_pongs), one close). Default 64 MiB + 64 KiB, so one message of
    /// `max_message_size` fits.
    pub max_outbound_bytes: usize,
    /// Our addition: how many automatic pongs may wait in the outbound queue (not yet
    /// started). Every ping is answered by its own pong, in order; a pong past this
    /// bound (or past [`max_queued_pong_bytes`](Self::max_queued_pong_bytes))
    /// replaces the newest waiting automatic pong instead (RFC 6455 section 5.5.3
    /// allows answering only the latest ping), so a peer that pings without reading
    /// our output holds at most this many pongs. Default 64: strict suites send ten
    /// pings in a row (Autobahn case 2.10), and 64 pongs of the largest payload (125
    /// bytes) fit in the byte bound, so by default this count is the bound that
    /// binds. At least 1.
    pub max_queued_pongs: usize,
    /// Our addition: the most payload bytes the waiting automatic pongs may hold (see
    /// [`max_queued_pongs`](Self::max_queued_pongs); a replacement may exceed it by at
    /// most one payload, 125 bytes). Default 8 KiB. At least 125.
    pub max_queued_pong_bytes: usize,
    /// Our addition: every data frame we send carries at most this many payload bytes
    /// (after compression): larger messages, and larger parts from `send_part`, are
    /// split into continuation frames. Default `None`: one frame per send.
    pub fragment_size: Option<usize>,
    /// Negotiated permessage-deflate, `None` (default) when not negotiated. While off,
    /// any RSV bit on input fails the connection with 1002.
    ///
    /// The front-ends (ws-server, ws-client, ws-axum) set it from their handshake:
    /// a value given to them beforehand is the tuning the negotiated parameters go on
    /// top of (compression level, threshold, idle release), and it is dropped when
    /// nothing was negotiated.
    pub deflate: Option<DeflateConfig>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            text_delivery: Delivery::Whole,
            binary_delivery: Delivery::Whole,
            text_buffer_size: 8192,
            binary_buffer_size: 8192,
            max_message_size: 64 * 1024 * 1024,
            session_close_timeout: Duration::from_secs(30),
            abnormal_close_send_timeout: Duration::from_millis(50),
            read_idle_timeout: None,
            write_idle_timeout: None,
            max_idle_timeout: None,
            outbound_high_water_mark: 256 * 1024,
            max_outbound_bytes: 64 * 1024 * 1024 + 64 * 1024,
            max_queued_pongs: 64,
            max_queued_pong_bytes: 8 * 1024,
            fragment_size: None,
            deflate: None,
        }
    }
}

impl SessionConfig {
    /// Sets [`text_delivery`](Self::text_delivery).
    pub fn with_text_delivery(mut self, delivery: Delivery) -> Self {
        self.text_delivery = delivery;
        self
    }

    /// Sets [`binary_delivery`](Self::binary_delivery).
    pub fn with_binary_delivery(mut self, delivery: Delivery) -> Self {
        self.binary_delivery = delivery;
        self
    }

    /// Sets [`text_buffer_size`](Self::text_buffer_size) (at least 4 bytes, so a part
    /// can always hold one character).
    pub fn with_text_buffer_size(mut self, bytes: usize) -> Self {
        self.text_buffer_size = bytes.max(4);
        self
    }

    /// Sets [`binary_buffer_size`](Self::binary_buffer_size) (at least 1 byte).
    pub fn with_binary_buffer_size(mut self, bytes: usize) -> Self {
        self.binary_buffer_size = bytes.max(1);
        self
    }

    /// Sets [`max_message_size`](Self::max_message_size).
    pub fn with_max_message_size(mut self, bytes: u64) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Sets [`session_close_timeout`](Self::session_close_timeout).
    pub fn with_session_close_timeout(mut self, timeout: Duration) -> Self {
        self.session_close_timeout = timeout;
        self
    }

    /// Sets [`abnormal_close_send_timeout`](Self::abnormal_close_send_timeout).
    pub fn with_abnormal_close_send_timeout(mut self, timeout: Duration) -> Self {
        self.abnormal_close_send_timeout = timeout;
        self
    }

    /// Sets [`read_idle_timeout`](Self::read_idle_timeout).
    pub fn with_read_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.read_idle_timeout = timeout;
        self
    }

    /// Sets [`write_idle_timeout`](Self::write_idle_timeout).
    pub fn with_write_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.write_idle_timeout = timeout;
        self
    }

    /// Sets [`max_idle_timeout`](Self::max_idle_timeout).
    pub fn with_max_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.max_idle_timeout = timeout;
        self
    }

    /// Sets [`outbound_high_water_mark`](Self::outbound_high_water_mark).
    pub fn with_outbound_high_water_mark(mut self, bytes: usize) -> Self {
        self.outbound_high_water_mark = bytes;
        self
    }

    /// Sets [`max_outbound_bytes`](Self::max_outbound_bytes).
    pub fn with_max_outbound_bytes(mut self, bytes: usize) -> Self {
        self.max_outbound_bytes = bytes;
        self
    }

    /// Sets [`max_queued_pongs`](Self::max_queued_pongs) (at least 1).
    pub fn with_max_queued_pongs(mut self, pongs: usize) -> Self {
        self.max_queued_pongs = pongs.max(1);
        self
    }

    /// Sets [`max_queued_pong_bytes`](Self::max_queued_pong_bytes) (at least 125).
    pub fn with_max_queued_pong_bytes(mut self, bytes: usize) -> Self {
        self.max_queued_pong_bytes = bytes.max(ws_frame::MAX_CONTROL_PAYLOAD);
        self
    }

    /// Sets [`fragment_size`](Self::fragment_size) (`Some(0)` is treated as 1).
    pub fn with_fragment_size(mut self, bytes: Option<usize>) -> Self {
        self.fragment_size = bytes.map(|b| b.max(1));
        self
    }

    /// Sets [`deflate`](Self::deflate).
    pub fn with_deflate(mut self, deflate: Option<DeflateConfig>) -> Self {
        self.deflate = deflate;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_tomcats() {
        let c = SessionConfig::default();
        assert_eq!((c.text_buffer_size, c.binary_buffer_size), (8192, 8192));
        assert_eq!(c.session_close_timeout, Duration::from_secs(30));
        assert_eq!(c.abnormal_close_send_timeout, Duration::from_millis(50));
        assert_eq!(c.read_idle_timeout, None);
        assert_eq!(c.text_delivery, Delivery::Whole);
        assert!(c.max_outbound_bytes as u64 >= c.max_message_size);
    }

    #[test]
    fn setters_clamp() {
        let d = DeflateConfig::default()
            .with_server_max_window_bits(3)
            .with_client_max_window_bits(40)
            .with_compression_level(12);
        assert_eq!(
            (d.server_max_window_bits, d.client_max_window_bits),
            (8, 15)
        );
        assert_eq!(d.compression_level, 9);
        let c = SessionConfig::default().with_fragment_size(Some(0));
        assert_eq!(c.fragment_size, Some(1));
    }
}
