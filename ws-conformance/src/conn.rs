//! A WebSocket connection as the suite sees it, over any byte stream after the
//! opening handshake.
//!
//! [`Conn`] writes whatever frames a case builds (masked when the suite is the
//! client), reads the peer's frames with deadlines, and turns them into [`Event`]s:
//! whole messages (assembled, inflated, UTF-8 checked), pings, pongs, the close
//! frame, the end of the TCP stream. Everything the peer sends is judged against
//! RFC 6455 / RFC 7692 here; a breach becomes [`Event::Violation`] with its reason
//! and ends the reading.
//!
//! Writes read at the same time (into the input buffer), so a peer that echoes while
//! the suite is still writing a large message can never deadlock the two.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::time::{timeout_at, Instant};

use crate::deflate::{DeflateParams, Deflater, Inflater, TAIL};
use crate::deflate_audit;
use crate::frame::{self, decode_header, opcode, Frame};

/// A byte stream a connection runs over: TCP today, an HTTP/2 stream later.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Transport for T {}

/// Which side of the connection the suite plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The suite is the client (it masks, the peer must not).
    Client,
    /// The suite is the server.
    Server,
}

/// Largest message the suite accepts from a peer (after inflation).
pub const MAX_MESSAGE: usize = 80 << 20;
/// Bytes read ahead while writing before the suite stops reading.
const READ_AHEAD: usize = 96 << 20;
/// Smallest read.
const READ_CHUNK: usize = 64 * 1024;

/// A complete message from the peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Text (valid UTF-8, checked) or binary.
    pub text: bool,
    /// The payload, inflated if it was compressed.
    pub data: Vec<u8>,
    /// How many frames carried it.
    pub frames: usize,
    /// Whether it arrived compressed (RSV1).
    pub compressed: bool,
}

/// What reading the connection produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A whole data message.
    Message(Message),
    /// A ping and its payload.
    Ping(Vec<u8>),
    /// A pong and its payload.
    Pong(Vec<u8>),
    /// The peer's close frame: its status code (none if the payload was empty) and
    /// reason (checked UTF-8).
    Close(Option<u16>, String),
    /// The peer closed the TCP stream (no more bytes).
    Eof,
    /// Reading failed (for example a TCP reset).
    Reset(String),
    /// The deadline passed first.
    Timeout,
    /// The peer broke the protocol; the reason says how.
    Violation(String),
}

impl Event {
    /// Whether nothing can follow this event on the connection.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Event::Eof | Event::Reset(_) | Event::Violation(_) | Event::Close(..)
        )
    }

    /// A short description for reasons and reports.
    pub fn describe(&self) -> String {
        match self {
            Event::Message(m) => {
                let kind = if m.text { "text" } else { "binary" };
                let mut s = format!("{kind} message of {} bytes", m.data.len());
                if m.data.len() <= 24 {
                    s.push_str(&format!(" {}", show_bytes(&m.data)));
                }
                if m.frames > 1 {
                    s.push_str(&format!(" in {} frames", m.frames));
                }
                s
            }
            Event::Ping(p) => format!("ping {}", show_bytes(p)),
            Event::Pong(p) => format!("pong {}", show_bytes(p)),
            Event::Close(None, _) => "close frame without status code".into(),
            Event::Close(Some(code), reason) if reason.is_empty() => format!("close {code}"),
            Event::Close(Some(code), reason) => format!("close {code} {reason:?}"),
            Event::Eof => "end of the TCP stream".into(),
            Event::Reset(e) => format!("read error ({e})"),
            Event::Timeout => "nothing (timeout)".into(),
            Event::Violation(v) => format!("protocol violation: {v}"),
        }
    }
}

/// Shows a payload as text if it is short printable ASCII, else as hex (shortened).
pub fn show_bytes(b: &[u8]) -> String {
    if b.is_empty() {
        return "(empty)".into();
    }
    if b.len() <= 40 && b.iter().all(|c| (0x20..0x7f).contains(c)) {
        return format!("{:?}", String::from_utf8_lossy(b));
    }
    let hex: String = b.iter().take(16).map(|c| format!("{c:02x}")).collect();
    if b.len() > 16 {
        format!("0x{hex}... ({} bytes)", b.len())
    } else {
        format!("0x{hex}")
    }
}

/// A data message being assembled.
struct Partial {
    text: bool,
    compressed: bool,
    data: Vec<u8>,
    frames: usize,
}

/// The suite's side of one WebSocket connection.
pub struct Conn {
    io: Box<dyn Transport>,
    role: Role,
    /// Input: valid bytes are `rbuf[rpos..filled]`; the rest is zeroed room.
    rbuf: Vec<u8>,
    rpos: usize,
    filled: usize,
    /// Why input ended (EOF or an error), once it has.
    input_end: Option<Event>,
    /// A terminal event already returned (end of input or a violation): returned
    /// again forever.
    done: Option<Event>,
    /// The peer's close frame has arrived: any later frame is a violation.
    close_received: bool,
    partial: Option<Partial>,
    deflate: Option<DeflateParams>,
    deflater: Option<Deflater>,
    inflater: Option<Inflater>,
    /// The peer's agreed window (bits) and context rule, for the audit.
    peer_window: u8,
    peer_no_context: bool,
    rng: StdRng,
    last_input: Instant,
}

impl Conn {
    /// A connection over `io` after its opening handshake: `leftover` are bytes read
    /// past the handshake, `deflate` the negotiated permessage-deflate parameters.
    pub fn new(
        io: Box<dyn Transport>,
        role: Role,
        leftover: Vec<u8>,
        deflate: Option<DeflateParams>,
    ) -> Self {
        let (deflater, inflater) = match (&deflate, role) {
            (None, _) => (None, None),
            (Some(p), Role::Client) => (
                Some(Deflater::new(
                    p.client_window(),
                    p.client_no_context_takeover,
                )),
                Some(Inflater::new(
                    p.server_window(),
                    p.server_no_context_takeover,
                )),
            ),
            (Some(p), Role::Server) => (
                Some(Deflater::new(
                    p.server_window(),
                    p.server_no_context_takeover,
                )),
                Some(Inflater::new(
                    p.client_window(),
                    p.client_no_context_takeover,
                )),
            ),
        };
        let (peer_window, peer_no_context) = match (&deflate, role) {
            (None, _) => (15, false),
            (Some(p), Role::Client) => (p.server_window(), p.server_no_context_takeover),
            (Some(p), Role::Server) => (p.client_window(), p.client_no_context_takeover),
        };
        let filled = leftover.len();
        Conn {
            io,
            role,
            rbuf: leftover,
            rpos: 0,
            filled,
            input_end: None,
            done: None,
            close_received: false,
            partial: None,
            deflate,
            deflater,
            inflater,
            peer_window,
            peer_no_context,
            rng: StdRng::from_os_rng(),
            last_input: Instant::now(),
        }
    }

    /// The suite's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The negotiated permessage-deflate parameters.
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.deflate.as_ref()
    }

    /// When the last input bytes arrived.
    pub fn last_input(&self) -> Instant {
        self.last_input
    }

    /// Compresses one message for sending (`None` without negotiated deflate).
    pub fn compress(&mut self, data: &[u8]) -> Option<Vec<u8>> {
        self.deflater.as_mut().map(|d| d.compress(data))
    }

    /// The wire bytes of these frames, masked with fresh keys when the suite is the
    /// client.
    pub fn encode(&mut self, frames: &[Frame]) -> Vec<u8> {
        let mut out = Vec::with_capacity(frames.iter().map(|f| f.payload.len() + 14).sum());
        for f in frames {
            let mask = match self.role {
                Role::Client => Some(self.rng.random::<[u8; 4]>()),
                Role::Server => None,
            };
            frame::encode(f, mask, &mut out);
        }
        out
    }

    /// Writes these frames in one write.
    pub async fn send(&mut self, frames: &[Frame]) -> io::Result<()> {
        let bytes = self.encode(frames);
        self.send_bytes(&bytes).await
    }

    /// Writes raw bytes (reading meanwhile), then flushes.
    pub async fn send_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write_all_reading(bytes).await?;
        self.io.flush().await
    }

    /// Writes raw bytes in pieces of `chop` bytes, each flushed, with `pause` between.
    pub async fn send_chopped(
        &mut self,
        bytes: &[u8],
        chop: usize,
        pause: Duration,
    ) -> io::Result<()> {
        for (i, piece) in bytes.chunks(chop.max(1)).enumerate() {
            if i > 0 && !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            self.send_bytes(piece).await?;
        }
        Ok(())
    }

    /// Half-closes the stream (TCP FIN) and stops writing; used by the suite as server
    /// after the close handshake (RFC 6455 7.1.1: the server closes first).
    pub async fn shutdown(&mut self) {
        let _ = timeout_at(Instant::now() + Duration::from_secs(1), self.io.shutdown()).await;
    }

    /// The next event, or [`Event::Timeout`] at `deadline`. After the end of input
    /// or a violation, that event again; after the peer's close frame, reading goes
    /// on (to see the end of the stream, or frames that must not come).
    pub async fn next_event(&mut self, deadline: Instant) -> Event {
        if let Some(done) = &self.done {
            return done.clone();
        }
        loop {
            if let Some(event) = self.parse() {
                match &event {
                    Event::Close(..) => self.close_received = true,
                    e if e.is_terminal() => self.done = Some(event.clone()),
                    _ => {}
                }
                return event;
            }
            if let Some(end) = &self.input_end {
                // Input ended inside a frame or message: the stream simply ends.
                let end = end.clone();
                self.done = Some(end.clone());
                return end;
            }
            match timeout_at(deadline, self.fill()).await {
                Ok(()) => {}
                Err(_) => return Event::Timeout,
            }
        }
    }

    /// Reads once into the input buffer (cancel-safe: only a completed read counts).
    async fn fill(&mut self) {
        self.make_room();
        let filled = self.filled;
        let result = poll_fn(|cx| {
            let mut buf = ReadBuf::new(&mut self.rbuf[filled..]);
            match Pin::new(&mut self.io).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) => Poll::Ready(Ok(buf.filled().len())),
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        self.after_read(result);
    }

    fn after_read(&mut self, result: io::Result<usize>) {
        match result {
            Ok(0) => self.input_end = Some(Event::Eof),
            Ok(n) => {
                self.filled += n;
                self.last_input = Instant::now();
            }
            Err(e) => self.input_end = Some(Event::Reset(e.to_string())),
        }
    }

    /// Compacts the input buffer and makes room for the next read: at least
    /// [`READ_CHUNK`], and the rest of a frame whose header is already in.
    fn make_room(&mut self) {
        if self.rpos > 0 && (self.rpos == self.filled || self.rpos > self.rbuf.len() / 2) {
            self.rbuf.copy_within(self.rpos..self.filled, 0);
            self.filled -= self.rpos;
            self.rpos = 0;
        }
        let mut want = READ_CHUNK;
        if let Ok(Some(h)) = decode_header(&self.rbuf[self.rpos..self.filled]) {
            let frame_len = h.header_len as u64 + h.payload_len;
            let have = (self.filled - self.rpos) as u64;
            if frame_len > have && h.payload_len <= MAX_MESSAGE as u64 {
                want = want.max((frame_len - have) as usize);
            }
        }
        if self.rbuf.len() < self.filled + want {
            self.rbuf.resize(self.filled + want, 0);
        }
    }

    /// Writes all of `bytes`, reading whatever arrives meanwhile.
    async fn write_all_reading(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut written = 0;
        while written < bytes.len() {
            self.make_room();
            let filled = self.filled;
            let can_read = self.input_end.is_none() && filled - self.rpos < READ_AHEAD;
            let (read, wrote) = poll_fn(|cx| {
                let mut read = None;
                if can_read {
                    let mut buf = ReadBuf::new(&mut self.rbuf[filled..]);
                    if let Poll::Ready(r) = Pin::new(&mut self.io).poll_read(cx, &mut buf) {
                        read = Some(r.map(|()| buf.filled().len()));
                    }
                }
                let wrote = match Pin::new(&mut self.io).poll_write(cx, &bytes[written..]) {
                    Poll::Ready(r) => Some(r),
                    Poll::Pending => None,
                };
                if read.is_none() && wrote.is_none() {
                    Poll::Pending
                } else {
                    Poll::Ready((read, wrote))
                }
            })
            .await;
            if let Some(r) = read {
                self.after_read(r);
            }
            match wrote {
                Some(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
                Some(Ok(n)) => written += n,
                Some(Err(e)) => return Err(e),
                None => {}
            }
        }
        Ok(())
    }

    /// Takes the next whole frame from the input and turns it into an event, if it
    /// completes one. Continuation frames that do not end a message yield nothing
    /// and the loop goes on.
    fn parse(&mut self) -> Option<Event> {
        loop {
            let avail = &self.rbuf[self.rpos..self.filled];
            let header = match decode_header(avail) {
                Ok(Some(h)) => h,
                Ok(None) => return None,
                Err(e) => return Some(Event::Violation(format!("frame header: {e}"))),
            };
            if header.payload_len > MAX_MESSAGE as u64 {
                return Some(Event::Violation(format!(
                    "a frame of {} bytes, above the suite's limit of {MAX_MESSAGE}",
                    header.payload_len
                )));
            }
            let total = header.header_len + header.payload_len as usize;
            if avail.len() < total {
                return None;
            }
            let mut payload = avail[header.header_len..total].to_vec();
            self.rpos += total;
            if let Some(key) = header.mask {
                frame::apply_mask(&mut payload, key);
            }
            if let Some(event) = self.frame(header, payload) {
                return Some(event);
            }
        }
    }

    /// Judges one frame from the peer.
    fn frame(&mut self, h: frame::Header, payload: Vec<u8>) -> Option<Event> {
        if self.close_received {
            return Some(violation(format!(
                "a frame (opcode {}) after its close frame",
                h.opcode
            )));
        }
        match (self.role, h.mask.is_some()) {
            (Role::Client, true) => return Some(violation("a masked frame from the server")),
            (Role::Server, false) => return Some(violation("an unmasked frame from the client")),
            _ => {}
        }
        if !opcode::is_known(h.opcode) {
            return Some(violation(format!("reserved opcode {}", h.opcode)));
        }
        let compressed = h.rsv & 0x4 != 0;
        let rsv1_allowed =
            self.deflate.is_some() && matches!(h.opcode, opcode::TEXT | opcode::BINARY);
        if h.rsv & 0x3 != 0 || (compressed && !rsv1_allowed) {
            return Some(violation(format!(
                "reserved bits {:03b} on opcode {} without an extension that defines them",
                h.rsv, h.opcode
            )));
        }
        if opcode::is_control(h.opcode) {
            if !h.fin {
                return Some(violation(format!(
                    "a fragmented control frame (opcode {})",
                    h.opcode
                )));
            }
            if payload.len() > 125 {
                return Some(violation(format!(
                    "a control frame with {} payload bytes (at most 125)",
                    payload.len()
                )));
            }
            return Some(match h.opcode {
                opcode::PING => Event::Ping(payload),
                opcode::PONG => Event::Pong(payload),
                _ => close_event(&payload),
            });
        }
        match (h.opcode, self.partial.as_mut()) {
            (opcode::CONTINUATION, None) => {
                return Some(violation(
                    "a continuation frame with no message to continue",
                ))
            }
            (opcode::CONTINUATION, Some(p)) => {
                if p.data.len() + payload.len() > MAX_MESSAGE {
                    return Some(violation("a message above the suite's limit"));
                }
                p.data.extend_from_slice(&payload);
                p.frames += 1;
            }
            (_, Some(_)) => {
                return Some(violation("a new data message inside a fragmented one"));
            }
            (op, None) => {
                self.partial = Some(Partial {
                    text: op == opcode::TEXT,
                    compressed,
                    data: payload,
                    frames: 1,
                });
            }
        }
        if !h.fin {
            return None;
        }
        let p = self.partial.take().expect("set above");
        let data = if p.compressed {
            let inflater = self.inflater.as_mut().expect("deflate negotiated");
            let data = match inflater.inflate(&p.data, MAX_MESSAGE) {
                Ok(d) => d,
                Err(e) => return Some(violation(format!("a compressed message: {e}"))),
            };
            if let Some(v) = self.audit(p.data) {
                return Some(v);
            }
            data
        } else {
            p.data
        };
        if p.text && std::str::from_utf8(&data).is_err() {
            return Some(violation("a text message that is not valid UTF-8"));
        }
        Some(Event::Message(Message {
            text: p.text,
            data,
            frames: p.frames,
            compressed: p.compressed,
        }))
    }
}

impl Conn {
    /// Holds a compressed message to the agreed window and context rule.
    fn audit(&self, mut wire: Vec<u8>) -> Option<Event> {
        wire.extend_from_slice(&TAIL);
        let reach = match deflate_audit::reach(&wire) {
            Ok(r) => r,
            Err(e) => return Some(violation(format!("a compressed message: {e}"))),
        };
        let window = 1usize << self.peer_window;
        if reach.max_distance > window {
            return Some(violation(format!(
                "a compressed message referring {} bytes back, beyond the agreed window of \
                 {window} bytes ({} bits)",
                reach.max_distance, self.peer_window
            )));
        }
        if self.peer_no_context && reach.before_start > 0 {
            return Some(violation(
                "a compressed message referring to an earlier message, though \
                 no_context_takeover was agreed",
            ));
        }
        None
    }
}

fn violation(why: impl Into<String>) -> Event {
    Event::Violation(why.into())
}

/// Whether a peer may send this close code (RFC 6455 7.4, IANA registry).
pub fn code_valid_on_wire(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// A close frame's payload as an event (RFC 6455 5.5.1, 7.4).
fn close_event(payload: &[u8]) -> Event {
    match payload {
        [] => Event::Close(None, String::new()),
        [_] => violation("a close frame with a 1-byte payload"),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if !code_valid_on_wire(code) {
                return violation(format!("close code {code}, which may not be sent"));
            }
            match std::str::from_utf8(reason) {
                Ok(r) => Event::Close(Some(code), r.to_owned()),
                Err(_) => violation("a close reason that is not valid UTF-8"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{duplex, AsyncReadExt, AsyncWriteExt};

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    /// A client-role connection over an in-memory pipe, and the peer's end.
    fn client_pair(deflate: Option<DeflateParams>) -> (Conn, tokio::io::DuplexStream) {
        let (a, b) = duplex(1 << 20);
        (Conn::new(Box::new(a), Role::Client, Vec::new(), deflate), b)
    }

    fn wire(frames: &[Frame]) -> Vec<u8> {
        let mut out = Vec::new();
        for f in frames {
            frame::encode(f, None, &mut out);
        }
        out
    }

    #[tokio::test]
    async fn fragments_and_interleaved_controls_become_events() {
        let (mut conn, mut peer) = client_pair(None);
        let bytes = wire(&[
            Frame::text("Hel").fin(false),
            Frame::ping("p"),
            Frame::continuation("lo"),
            Frame::close(1000, b"bye"),
        ]);
        // One byte at a time: assembly does not depend on how input is cut.
        for b in bytes {
            peer.write_all(&[b]).await.unwrap();
        }
        assert_eq!(conn.next_event(far()).await, Event::Ping(b"p".to_vec()));
        let Event::Message(m) = conn.next_event(far()).await else {
            panic!("expected a message")
        };
        assert_eq!(
            (m.text, m.data.as_slice(), m.frames),
            (true, &b"Hello"[..], 2)
        );
        assert_eq!(
            conn.next_event(far()).await,
            Event::Close(Some(1000), "bye".into())
        );
        // After the close, a frame is a violation, and the violation sticks.
        peer.write_all(&wire(&[Frame::text("late")])).await.unwrap();
        assert!(matches!(conn.next_event(far()).await, Event::Violation(_)));
        drop(peer);
        assert!(matches!(conn.next_event(far()).await, Event::Violation(_)));
    }

    #[tokio::test]
    async fn peer_violations_are_named() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (wire(&[Frame::text("x").rsv(2)]), "reserved bits"),
            (wire(&[Frame::new(3, "")]), "reserved opcode"),
            (wire(&[Frame::ping("").fin(false)]), "fragmented control"),
            (wire(&[Frame::continuation("x")]), "no message to continue"),
            (wire(&[Frame::text(vec![0xC0, 0xAF])]), "UTF-8"),
            (wire(&[Frame::close_raw(vec![3])]), "1-byte"),
            (wire(&[Frame::close(1005, b"")]), "1005"),
            (
                wire(&[Frame::text("a").fin(false), Frame::text("b")]),
                "inside",
            ),
            (vec![0x81, 0x7E, 0x00, 0x05, 1, 2, 3, 4, 5], "minimal"),
        ];
        for (bytes, needle) in cases {
            let (mut conn, mut peer) = client_pair(None);
            peer.write_all(&bytes).await.unwrap();
            match conn.next_event(far()).await {
                Event::Violation(why) => assert!(why.contains(needle), "{why} vs {needle}"),
                other => panic!("{needle}: got {other:?}"),
            }
        }
        // A masked frame towards a client.
        let (mut conn, mut peer) = client_pair(None);
        let mut out = Vec::new();
        frame::encode(&Frame::text("x"), Some([1, 2, 3, 4]), &mut out);
        peer.write_all(&out).await.unwrap();
        assert!(matches!(conn.next_event(far()).await, Event::Violation(_)));
    }

    #[tokio::test]
    async fn eof_and_timeout() {
        let (mut conn, peer) = client_pair(None);
        let soon = Instant::now() + Duration::from_millis(20);
        assert_eq!(conn.next_event(soon).await, Event::Timeout);
        drop(peer);
        assert_eq!(conn.next_event(far()).await, Event::Eof);
    }

    #[tokio::test]
    async fn client_frames_are_masked_and_compressed_messages_inflate() {
        let params = DeflateParams::default();
        let (mut conn, mut peer) = client_pair(Some(params));
        let compressed = conn.compress(b"Hello Hello Hello").unwrap();
        let frames = [Frame::text(compressed).rsv(4)];
        conn.send(&frames).await.unwrap();
        let mut buf = vec![0u8; 64];
        let n = peer.read(&mut buf).await.unwrap();
        let h = decode_header(&buf[..n]).unwrap().unwrap();
        assert!(h.mask.is_some() && h.rsv == 4);
        // The peer's compressed answer: RFC 7692's "Hello".
        peer.write_all(&[0xC1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00])
            .await
            .unwrap();
        let Event::Message(m) = conn.next_event(far()).await else {
            panic!()
        };
        assert_eq!((m.data.as_slice(), m.compressed), (&b"Hello"[..], true));
    }

    #[tokio::test]
    async fn a_peer_beyond_its_agreed_window_or_context_is_a_violation() {
        // A random 30,000-byte block twice: a 15-bit compressor refers 30,000 back.
        let block: Vec<u8> = (0..30_000u32)
            .map(|n| (n.wrapping_mul(2_654_435_761) >> 11) as u8)
            .collect();
        let data = block.repeat(2);
        let wide = Deflater::new(15, false).compress(&data);
        let mut frame = Vec::new();
        frame::encode(&Frame::binary(wide.clone()).rsv(4), None, &mut frame);
        for (bits, ok) in [(15, true), (14, false), (9, false)] {
            let params = DeflateParams {
                server_max_window_bits: Some(bits),
                ..Default::default()
            };
            let (mut conn, mut peer) = client_pair(Some(params));
            peer.write_all(&frame).await.unwrap();
            match conn.next_event(far()).await {
                Event::Message(m) => assert!(ok && m.data == data, "{bits} bits"),
                Event::Violation(why) => {
                    assert!(
                        !ok && why.contains("beyond the agreed window"),
                        "{bits}: {why}"
                    )
                }
                other => panic!("{other:?}"),
            }
        }
        // RFC 7692's two "Hello"s: the second refers into the first, which
        // server_no_context_takeover forbids.
        let params = DeflateParams {
            server_no_context_takeover: true,
            ..Default::default()
        };
        let (mut conn, mut peer) = client_pair(Some(params));
        peer.write_all(&[0xC1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00])
            .await
            .unwrap();
        peer.write_all(&[0xC1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00])
            .await
            .unwrap();
        assert!(matches!(conn.next_event(far()).await, Event::Message(_)));
        assert!(matches!(conn.next_event(far()).await, Event::Violation(_)));
    }

    #[tokio::test]
    async fn a_large_write_does_not_deadlock_against_an_echoing_peer() {
        // The peer echoes every byte at once; its pipe holds only 64 KiB.
        let (a, b) = duplex(64 * 1024);
        let mut conn = Conn::new(Box::new(a), Role::Server, Vec::new(), None);
        let echo = tokio::spawn(async move {
            let (mut r, mut w) = tokio::io::split(b);
            tokio::io::copy(&mut r, &mut w).await
        });
        let frames = [Frame::binary(vec![7u8; 4 << 20])];
        conn.send(&frames).await.unwrap();
        // The echo of a server's (unmasked) frame comes back as a client frame
        // without a mask: read whole, and judged.
        match conn.next_event(far()).await {
            Event::Violation(why) => assert!(why.contains("unmasked"), "{why}"),
            other => panic!("{other:?}"),
        }
        drop(conn);
        let _ = echo.await;
    }
}
