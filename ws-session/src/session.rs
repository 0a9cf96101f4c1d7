//! The [`Session`]: inputs, commands, outputs and the close handshake, tying the
//! reader, the outbound queue and the timers together.

use std::io::IoSlice;
use std::time::{Duration, Instant};

use bytes::buf::Limit;
use bytes::{BufMut, Bytes, BytesMut};
use ws_frame::{truncate_reason, CloseCode, CloseFrame, OpCode, MAX_CONTROL_PAYLOAD};

use crate::assembler::Assembler;
use crate::config::{Role, SessionConfig};
use crate::deflate::{Deflater, Inflater};
use crate::event::{
    CloseCause, CloseInfo, Event, Events, Initiator, Message, MessageKind, TimeoutKind,
};
use crate::outgoing::Outgoing;
use crate::reader::{Control, Reader};
use crate::shared::{SharedDeflate, SharedForm, SharedFrame};
use crate::timers::{earliest, Timers};
use crate::writer::{MaskSource, PongBound, Writer};
use crate::{ProtocolError, SendError};

/// Where the session is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Messages flow both ways. (Also while a protocol violation or the peer's close
    /// waits behind events not yet taken: replies to them are still accepted.)
    Open,
    /// We queued our close frame and wait for the peer's (data still arrives).
    Closing,
    /// The close handshake finished, failed or timed out; [`Event::Closed`] has been
    /// queued. No input is processed and no command accepted. The front-end flushes
    /// what [`Session::pending_transmit`] still holds, then drops the transport.
    Closed,
}

/// A WebSocket connection after its handshake, for either role, without I/O.
///
/// See the [crate documentation](crate) for the call order.
pub struct Session {
    role: Role,
    config: SessionConfig,
    state: State,
    reader: Reader,
    writer: Writer,
    outgoing: Outgoing,
    timers: Timers,
    events: Events,
    /// The close frame we sent (code, reason); `None` code for an empty close.
    our_close: Option<(Option<CloseCode>, String)>,
    /// The code of the peer's close frame, once received (if it had one).
    peer_code: Option<CloseCode>,
    /// The message buffer is out on an [`InputLoan`].
    lent: bool,
    /// Where the input ended (a protocol violation, or the peer's close frame), with
    /// the time of that input: parsing stopped there, and it takes effect once the
    /// events before it have been taken (see [`poll_event`](Self::poll_event)).
    /// Boxed: rare, and every session would otherwise carry its size.
    ending: Option<Box<(Ending, Instant)>>,
}

/// What ends the input, kept until the events before it have been taken.
#[derive(Debug)]
enum Ending {
    /// A protocol violation: the session fails with its close code.
    Failure(ProtocolError),
    /// The peer's (valid) close frame: its code, if any, and reason.
    PeerClose(Option<CloseCode>, String),
}

/// The message buffer, lent by [`Session::lend_input`] so the front-end can read
/// payload straight into it; give it back with [`Session::handle_loan`].
///
/// Only appending is possible (through [`buf_mut`](Self::buf_mut)), and at most
/// [`max_len`](Self::max_len) bytes: the rest of the current frame, bounded by what
/// the peer has already sent (never by the length it announced).
pub struct InputLoan {
    buf: BytesMut,
    start: usize,
    max: usize,
}

/// Sizes only: the buffer holds a whole message so far, not something to print.
impl std::fmt::Debug for InputLoan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputLoan")
            .field("len", &self.len())
            .field("max_len", &self.max)
            .finish_non_exhaustive()
    }
}

impl InputLoan {
    /// The most bytes the session takes through this loan.
    pub fn max_len(&self) -> usize {
        self.max
    }

    /// Bytes appended so far.
    pub fn len(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Whether nothing has been appended yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where to read: a [`BufMut`] with room for the rest of
    /// [`max_len`](Self::max_len) (already reserved), for a runtime's "read into a
    /// `BufMut`" helper (such as a `poll_read_buf` function).
    pub fn buf_mut(&mut self) -> Limit<&mut BytesMut> {
        let left = self.max - self.len();
        (&mut self.buf).limit(left)
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("pending_transmit", &self.writer.queued())
            .field("pending_events", &self.events.len())
            .finish_non_exhaustive()
    }
}

/// A mask source for servers, which never mask.
struct NoMasks;

impl MaskSource for NoMasks {
    fn next_mask(&mut self) -> [u8; 4] {
        [0; 4]
    }
}

impl Session {
    /// A session for `role`, open at `now` (idle timers start here).
    ///
    /// `masks` supplies client masking keys (see [`MaskSource`]); a server session never
    /// uses it. Deflate parameters come from `config.deflate`.
    pub fn new(
        role: Role,
        config: SessionConfig,
        masks: Box<dyn MaskSource + Send>,
        now: Instant,
    ) -> Session {
        let inflater = config
            .deflate
            .as_ref()
            .map(|d| Box::new(Inflater::new(d, role)));
        let deflater = config
            .deflate
            .as_ref()
            .and_then(|d| Deflater::new(d, role))
            .map(Box::new);
        let assembler = Assembler::new(&config, inflater);
        Session {
            role,
            reader: Reader::new(role, config.deflate.is_some(), assembler),
            writer: Writer::new(role, masks),
            outgoing: Outgoing::new(deflater, config.fragment_size),
            timers: Timers::new(&config, now),
            events: Events::default(),
            our_close: None,
            peer_code: None,
            lent: false,
            ending: None,
            state: State::Open,
            config,
        }
    }

    /// A server session (no masks needed).
    pub fn server(config: SessionConfig, now: Instant) -> Session {
        Session::new(Role::Server, config, Box::new(NoMasks), now)
    }

    /// A client session drawing its masking keys from `masks`.
    pub fn client(
        config: SessionConfig,
        masks: impl MaskSource + Send + 'static,
        now: Instant,
    ) -> Session {
        Session::new(Role::Client, config, Box::new(masks), now)
    }

    // ----- getters -----

    /// This session's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The configuration the session was built with.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether the session is [`State::Closed`].
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Whether the front-end is done: closed and nothing left to write. Drop the
    /// transport now.
    pub fn is_finished(&self) -> bool {
        self.is_closed() && self.writer.queued() == 0
    }

    /// Bytes queued for the transport and not yet reported written.
    pub fn pending_transmit(&self) -> usize {
        self.writer.queued()
    }

    /// Whether queued bytes exceed `outbound_high_water_mark`: a front-end stops
    /// accepting sends from the application until this turns false.
    pub fn is_above_high_water(&self) -> bool {
        self.writer.queued() > self.config.outbound_high_water_mark
    }

    /// Whether the session holds a zlib compressor or decompressor now. They are
    /// created at the first compressed message, and in a direction without context
    /// takeover returned to the thread's spare pool at every message's end, so an
    /// idle session holds one only in a direction with context takeover that has
    /// carried a message.
    pub fn holds_deflate_state(&self) -> bool {
        self.outgoing.holds_deflate_state() || self.reader.assembler.holds_deflate_state()
    }

    // ----- inputs -----

    /// Bytes read from the transport. Any split of the stream gives the same events.
    ///
    /// Parsing stops at a protocol violation or at the peer's close frame: nothing
    /// after it is processed (this call's rest and every later input are ignored),
    /// and it takes effect only once the events before it have been taken (see
    /// [`poll_event`](Self::poll_event)).
    pub fn handle_input(&mut self, now: Instant, mut input: &[u8]) {
        debug_assert!(!self.lent, "input while the message buffer is lent");
        while !input.is_empty() && self.reading() {
            let before = self.reader.data_frames;
            let result = self.reader.read(&mut input, &mut self.events);
            if self.reader.data_frames != before {
                self.timers.on_read(now);
            }
            match result {
                Ok(None) => {}
                Ok(Some(control)) => self.on_control(now, control),
                Err(e) => self.fail(now, e),
            }
        }
    }

    /// The most bytes the next read should take, when it matters (`None`: as many
    /// as the front-end likes). After a data frame of 256 KiB or more, between
    /// frames: a frame header's worth, so that if the next frame is large too its
    /// payload is read straight into the message buffer
    /// ([`lend_input`](Self::lend_input)) rather than partly copied from the
    /// front-end's read buffer. Reading more is still correct, only slower.
    pub fn read_limit(&self) -> Option<usize> {
        if self.lent || !self.reading() {
            return None;
        }
        self.reader.read_limit()
    }

    /// Lends the buffer of the message being received, so the next read can go
    /// straight into it instead of through [`handle_input`](Self::handle_input) (which
    /// copies): offered while a large uncompressed data frame is under way and most
    /// of its payload is still to come. Read into [`InputLoan::buf_mut`], then give
    /// the loan back with [`handle_loan`](Self::handle_loan), also when the read
    /// failed or would block (an empty loan changes nothing).
    ///
    /// Until the loan is back, call no other input method: the bytes it holds are
    /// the frame's next payload bytes. `None` while a loan is out or when a plain
    /// read serves better.
    pub fn lend_input(&mut self) -> Option<InputLoan> {
        if self.lent || !self.reading() {
            return None;
        }
        let (buf, max) = self.reader.lend()?;
        self.lent = true;
        Some(InputLoan {
            start: buf.len(),
            buf,
            max,
        })
    }

    /// Gives back a loan from [`lend_input`](Self::lend_input): the bytes appended to
    /// it are input, exactly as if passed to [`handle_input`](Self::handle_input).
    pub fn handle_loan(&mut self, now: Instant, loan: InputLoan) {
        debug_assert!(self.lent, "a loan handed back twice");
        debug_assert!(loan.len() <= loan.max, "more bytes than lent");
        self.lent = false;
        if !self.reading() {
            return;
        }
        if let Err(e) = self
            .reader
            .read_lent(loan.buf, loan.start, &mut self.events)
        {
            self.fail(now, e);
        }
    }

    /// The transport's read side ended. Unless the close handshake is done, the
    /// session closes with 1006 and drops whatever it had left to write. A protocol
    /// violation or a close frame already read is what is reported (after the
    /// events before it); nothing more is written.
    pub fn handle_eof(&mut self, now: Instant) {
        self.writer.clear();
        self.timers.close = None;
        self.timers.flush = None;
        if self.state == State::Closed {
            return;
        }
        if let Some(ending) = self.ending.take() {
            self.apply_ending(now, ending.0);
            self.writer.clear();
            self.timers.flush = None;
            return;
        }
        let initiator = if self.state == State::Closing {
            Initiator::Local
        } else {
            Initiator::Remote
        };
        self.finish(
            initiator,
            CloseCode::ABNORMAL,
            "connection ended without a close frame".into(),
            CloseCause::Eof,
        );
    }

    /// Runs the timers whose deadline is at or before `now`. Call it when the deadline
    /// from [`poll_timeout`](Self::poll_timeout) is reached (calling it early or
    /// repeatedly is harmless).
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(idle) = self
            .config
            .deflate
            .as_ref()
            .and_then(|d| d.release_after_idle)
        {
            if self
                .timers
                .last_write()
                .checked_add(idle)
                .is_some_and(|at| at <= now)
            {
                self.outgoing.release_deflater();
            }
            if self
                .timers
                .last_read()
                .checked_add(idle)
                .is_some_and(|at| at <= now)
            {
                self.reader.assembler.release_inflater();
            }
        }
        if let Some(flush) = self.timers.flush {
            if self.writer.close_written() {
                self.timers.flush = None;
            } else if flush <= now {
                // Our non-1000 close could not be written in time: give up on the peer.
                self.timers.flush = None;
                self.timers.close = None;
                self.writer.clear();
                if self.state != State::Closed {
                    self.finish(
                        Initiator::Local,
                        CloseCode::ABNORMAL,
                        "close frame not written in time".into(),
                        CloseCause::Timeout(TimeoutKind::AbnormalCloseSend),
                    );
                }
                return;
            }
        }
        if let Some(close) = self.timers.close {
            if close <= now && self.state == State::Closing {
                self.timers.close = None;
                self.timers.flush = None;
                self.writer.clear();
                self.finish(
                    Initiator::Local,
                    CloseCode::ABNORMAL,
                    "peer did not answer the close in time".into(),
                    CloseCause::Timeout(TimeoutKind::SessionClose),
                );
                return;
            }
        }
        if self.state == State::Open {
            if let Some(kind) = self.timers.expired_idle(now) {
                let reason = match kind {
                    TimeoutKind::ReadIdle => "read idle timeout",
                    TimeoutKind::WriteIdle => "write idle timeout",
                    _ => "idle timeout",
                };
                self.queue_close(now, Some(CloseCode::GOING_AWAY), reason, true);
                self.finish(
                    Initiator::Local,
                    CloseCode::ABNORMAL,
                    reason.into(),
                    CloseCause::Timeout(kind),
                );
            }
        }
    }

    // ----- commands -----

    /// Queues a whole message (split into frames of `fragment_size` if configured;
    /// compressed if deflate is on and it reaches the threshold).
    pub fn send(&mut self, now: Instant, message: impl Into<Message>) -> Result<(), SendError> {
        self.check_open()?;
        let message = message.into();
        let room = self.room();
        let (kind, bytes) = match &message {
            Message::Text(s) => (MessageKind::Text, s.as_bytes()),
            Message::Binary(b) => (MessageKind::Binary, &b[..]),
        };
        // Small messages are copied into the outbound queue as they are; others keep
        // their buffer (shared, no copy).
        match self
            .outgoing
            .small_message(&mut self.writer, kind, bytes, room)
        {
            Some(result) => result?,
            None => {
                let payload = match message {
                    Message::Text(s) => Bytes::from(s),
                    Message::Binary(b) => b,
                };
                self.outgoing
                    .message(&mut self.writer, kind, payload, room)?;
            }
        }
        self.timers.on_write(now, self.send_reads_time());
        Ok(())
    }

    /// Which form of a shared (encoded once, fan-out) message of `len` payload
    /// bytes this session takes; see [`SharedFrame`]. [`SharedForm::Own`] means
    /// the message must go through [`send`](Self::send) for this session alone.
    pub fn shared_form(&self, len: usize) -> SharedForm {
        if self.role == Role::Client || self.config.fragment_size.is_some_and(|s| len > s.max(1)) {
            return SharedForm::Own;
        }
        match &self.config.deflate {
            // Window 8 or level 0: we never compress (see `DeflateConfig`).
            Some(d)
                if d.compresses_with(d.server_max_window_bits)
                    && len >= d.compression_threshold =>
            {
                if d.server_no_context_takeover {
                    SharedForm::Deflated(SharedDeflate {
                        window_bits: d.server_max_window_bits.min(15),
                        level: d.compression_level.min(9),
                    })
                } else {
                    SharedForm::Own
                }
            }
            _ => SharedForm::Plain,
        }
    }

    /// Queues a message encoded once for many server sessions (fan-out), without
    /// encoding anything: the same order, bounds and refusals as
    /// [`send`](Self::send) (closed, a message sent in parts unfinished, no room
    /// below `max_outbound_bytes`), and [`SendError::NotShareable`] when this
    /// session cannot take the frame as it is: a client, a frame longer than
    /// `fragment_size`, or a compressed frame for a session that did not negotiate
    /// `server_no_context_takeover` with a window at least as large (see
    /// [`shared_form`](Self::shared_form) and the [`SharedFrame`] docs). A plain
    /// frame suits every server session within its fragment size.
    pub fn send_shared(&mut self, now: Instant, frame: &SharedFrame) -> Result<(), SendError> {
        self.check_open()?;
        if self.outgoing.in_progress() {
            return Err(SendError::MessageInProgress);
        }
        if !self.takes_shared(frame) {
            return Err(SendError::NotShareable);
        }
        let needed = frame.wire().len();
        let room = self.room();
        if needed > room {
            return Err(SendError::QueueFull {
                queued: self.writer.queued(),
                needed,
                bound: self.config.max_outbound_bytes,
            });
        }
        self.writer.push_encoded(frame.wire(), frame.payload_len());
        self.timers.on_write(now, self.send_reads_time());
        Ok(())
    }

    /// Whether `frame` may go to this session's peer as it is.
    fn takes_shared(&self, frame: &SharedFrame) -> bool {
        if self.role == Role::Client
            || self
                .config
                .fragment_size
                .is_some_and(|s| frame.payload_len() > s.max(1))
        {
            return false;
        }
        match frame.form() {
            SharedForm::Plain => true,
            SharedForm::Deflated(p) => self.config.deflate.as_ref().is_some_and(|d| {
                d.server_no_context_takeover
                    && d.server_max_window_bits > 8
                    && p.window_bits <= d.server_max_window_bits
            }),
            SharedForm::Own => false,
        }
    }

    /// Queues a text message.
    pub fn send_text(&mut self, now: Instant, text: &str) -> Result<(), SendError> {
        self.send(now, Message::Text(text.to_owned()))
    }

    /// Queues a binary message (no copy for servers when given [`Bytes`]).
    pub fn send_binary(&mut self, now: Instant, data: impl Into<Bytes>) -> Result<(), SendError> {
        self.send(now, Message::Binary(data.into()))
    }

    /// Queues one part of a message sent in parts; `last` finishes it. Parts of a text
    /// message together must be UTF-8 (a part may end inside a character; the next
    /// part completes it). Control frames may go out between parts; a whole message or
    /// a part of the other kind is refused until `last`.
    pub fn send_part(
        &mut self,
        now: Instant,
        kind: MessageKind,
        data: impl Into<Bytes>,
        last: bool,
    ) -> Result<(), SendError> {
        self.check_open()?;
        let room = self.room();
        self.outgoing
            .part(&mut self.writer, kind, data.into(), last, room)?;
        self.timers.on_write(now, self.send_reads_time());
        Ok(())
    }

    /// Queues a ping (ahead of queued data frames).
    pub fn ping(&mut self, _now: Instant, payload: &[u8]) -> Result<(), SendError> {
        self.control(OpCode::Ping, payload)
    }

    /// Queues an unsolicited pong (ahead of queued data frames). Pings are answered
    /// automatically; this is for heartbeats.
    pub fn pong(&mut self, _now: Instant, payload: &[u8]) -> Result<(), SendError> {
        self.control(OpCode::Pong, payload)
    }

    /// Starts the close handshake: queues a close frame behind the data already queued,
    /// refuses further sends, and waits `session_close_timeout` for the peer's close.
    /// A code other than 1000 must also be written within
    /// `abnormal_close_send_timeout`.
    pub fn close(&mut self, now: Instant, code: CloseCode, reason: &str) -> Result<(), SendError> {
        self.check_open()?;
        let frame = CloseFrame { code, reason };
        let mut buf = [0u8; 125];
        frame.encode(&mut buf).map_err(SendError::InvalidClose)?;
        self.queue_close(now, Some(code), reason, false);
        self.state = State::Closing;
        self.timers.close = Some(now + self.config.session_close_timeout);
        Ok(())
    }

    /// Ends the session at once from our side: queues a close frame with `code` ahead
    /// of queued data (data frames not yet started are discarded), processes no more
    /// input, and reports [`Event::Closed`] with 1006 and [`CloseCause::Aborted`]. The
    /// close frame must be written within `abnormal_close_send_timeout` (unless
    /// `code` is 1000). For front-ends: a blocking send that timed out
    /// (`BLOCKING_SEND_TIMEOUT`: 1001), a client too slow to keep up (1008).
    pub fn abort(&mut self, now: Instant, code: CloseCode, reason: &str) -> Result<(), SendError> {
        if self.state == State::Closed {
            return Err(SendError::Closed);
        }
        let mut buf = [0u8; 125];
        CloseFrame { code, reason }
            .encode(&mut buf)
            .map_err(SendError::InvalidClose)?;
        self.timers.close = None;
        self.queue_close(now, Some(code), reason, true);
        self.finish(
            Initiator::Local,
            CloseCode::ABNORMAL,
            reason.to_owned(),
            CloseCause::Aborted,
        );
        Ok(())
    }

    /// Changes the idle timeouts of a live session (JSR 356's `setMaxIdleTimeout`;
    /// Tomcat's per-session read and write idle properties): `read`, `write` and
    /// `max` (both directions), `None` for off. Deadlines count from the last
    /// activity, so a shorter timeout that has already passed fires at the next
    /// [`handle_timeout`](Self::handle_timeout); re-read
    /// [`poll_timeout`](Self::poll_timeout) after calling this. No effect on timers
    /// once closing.
    ///
    /// A send made while [`send_reads_time`](Self::send_reads_time) was false has
    /// no time kept: a write or both-ways timeout set now counts it as made at
    /// `now` (at worst the timeout fires later than it would have, never earlier).
    pub fn set_idle_timeouts(
        &mut self,
        now: Instant,
        read: Option<Duration>,
        write: Option<Duration>,
        max: Option<Duration>,
    ) {
        self.config.read_idle_timeout = read;
        self.config.write_idle_timeout = write;
        self.config.max_idle_timeout = max;
        self.timers.set_idle(now, read, write, max);
    }

    /// Whether [`send`](Self::send) (and every other way to send a data message)
    /// uses its `now`: while a write or both-ways idle timeout is set, or when
    /// permessage-deflate is on with `release_after_idle` (the compressor goes back
    /// to the pool counted from the last send). When false, nothing reads the
    /// time of a send, and a front-end may pass any instant not later than now (the
    /// last it read, say) instead of reading the clock for every message: at 16
    /// bytes a clock read was the largest single cost of a client's send.
    /// [`set_idle_timeouts`](Self::set_idle_timeouts) accounts for such sends.
    pub fn send_reads_time(&self) -> bool {
        self.config.write_idle_timeout.is_some()
            || self.config.max_idle_timeout.is_some()
            || self
                .config
                .deflate
                .as_ref()
                .is_some_and(|d| d.release_after_idle.is_some())
    }

    // ----- outputs -----

    /// The next event, if any. Drain events after every input or timeout.
    ///
    /// A protocol violation or the peer's close frame found in the input takes
    /// effect here, on the call that finds no earlier event queued: our close frame
    /// (the violation's code, or the answer to the peer's close) is queued behind
    /// everything the application sent so far (replies to the events it took
    /// included), and [`Event::Closed`] is returned. So a front-end that hands each
    /// event to the application before polling the next gets the replies out before
    /// the close.
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event> {
        if let Some(event) = self.events.pop_front() {
            return Some(event);
        }
        self.ending.as_ref()?;
        self.end_now()
    }

    /// The slow path of [`poll_event`](Self::poll_event): a pending ending takes
    /// effect.
    #[cold]
    #[inline(never)]
    fn end_now(&mut self) -> Option<Event> {
        let (ending, at) = *self.ending.take()?;
        self.apply_ending(at, ending);
        self.events.pop_front()
    }

    /// Fills `bufs` with the next chunks to write, in order, for a vectored write;
    /// returns how many were filled (0: nothing to write). Report what the transport
    /// accepted with [`advance_transmit`](Self::advance_transmit).
    pub fn poll_transmit<'a>(&'a self, bufs: &mut [IoSlice<'a>]) -> usize {
        self.writer.io_slices(bufs)
    }

    /// Marks `n` bytes from the front of the transmit queue as written.
    pub fn advance_transmit(&mut self, n: usize) {
        self.writer.advance(n);
        if self.writer.close_written() {
            self.timers.flush = None;
        }
    }

    /// Copies the next bytes to write, in order, to the front of `out` (as many as
    /// fit) and returns how many; like [`poll_transmit`](Self::poll_transmit) it
    /// marks nothing written: report what the transport accepted with
    /// [`advance_transmit`](Self::advance_transmit). For small output, one plain
    /// write of a copy costs less than setting up a vectored write.
    pub fn copy_transmit(&self, out: &mut [u8]) -> usize {
        self.writer.copy_out(out)
    }

    /// The next bytes to write that lie together in memory (empty with nothing to
    /// write): a single write of them needs no copy and no slices. Small frames are
    /// encoded back to back, so when only they are queued (the common case) this is
    /// everything [`pending_transmit`](Self::pending_transmit) counts. Report what the
    /// transport accepted with [`advance_transmit`](Self::advance_transmit).
    pub fn transmit_chunk(&self) -> &[u8] {
        self.writer.first_chunk()
    }

    /// Convenience for buffered transports: appends all pending bytes to `out` and marks
    /// them written; returns how many.
    pub fn transmit_into(&mut self, out: &mut Vec<u8>) -> usize {
        let n = self.writer.drain_into(out);
        if self.writer.close_written() {
            self.timers.flush = None;
        }
        n
    }

    /// The earliest deadline at which [`handle_timeout`](Self::handle_timeout) must be
    /// called, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        earliest(self.timers.next(), self.compressor_release())
    }

    /// When an idle zlib state goes back to the thread's spare pool
    /// (`DeflateConfig::release_after_idle`): the compressor counted from the last
    /// send, the decompressor from the last data received; `None` if neither is held
    /// or may go.
    fn compressor_release(&self) -> Option<Instant> {
        let idle = self.config.deflate.as_ref()?.release_after_idle?;
        let send = self
            .outgoing
            .can_release_deflater()
            .then(|| self.timers.last_write().checked_add(idle))
            .flatten();
        let receive = self
            .reader
            .assembler
            .can_release_inflater()
            .then(|| self.timers.last_read().checked_add(idle))
            .flatten();
        earliest(send, receive)
    }

    // ----- internals -----

    /// Whether input is still processed: not closed, and no violation or close frame
    /// read.
    fn reading(&self) -> bool {
        self.state != State::Closed && self.ending.is_none()
    }

    fn check_open(&self) -> Result<(), SendError> {
        if self.state == State::Open {
            Ok(())
        } else {
            Err(SendError::Closed)
        }
    }

    fn room(&self) -> usize {
        self.config
            .max_outbound_bytes
            .saturating_sub(self.writer.queued())
    }

    fn control(&mut self, op: OpCode, payload: &[u8]) -> Result<(), SendError> {
        self.check_open()?;
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(SendError::ControlTooLong(payload.len()));
        }
        let needed = self.writer.frame_len(payload.len());
        let room = self.room();
        if needed > room {
            return Err(SendError::QueueFull {
                queued: self.writer.queued(),
                needed,
                bound: self.config.max_outbound_bytes,
            });
        }
        self.writer
            .push_control(op, Bytes::copy_from_slice(payload));
        Ok(())
    }

    /// Queues our close frame (once) and arms the flush deadline for non-1000 codes.
    fn queue_close(&mut self, now: Instant, code: Option<CloseCode>, reason: &str, urgent: bool) {
        if self.our_close.is_some() {
            return;
        }
        let mut buf = [0u8; 125];
        let len = match code {
            Some(code) => {
                let reason = truncate_reason(reason);
                CloseFrame { code, reason }.encode(&mut buf).unwrap_or(0)
            }
            None => 0,
        };
        self.writer
            .push_close(Bytes::copy_from_slice(&buf[..len]), urgent);
        if code.is_some_and(|c| c != CloseCode::NORMAL) {
            self.timers.flush = Some(now + self.config.abnormal_close_send_timeout);
        }
        self.our_close = Some((code, reason.to_owned()));
        self.timers.disarm_idle();
    }

    fn on_control(&mut self, now: Instant, control: Control) {
        match control {
            Control::Ping(payload) => {
                if self.state == State::Open {
                    let bound = PongBound {
                        count: self.config.max_queued_pongs,
                        bytes: self.config.max_queued_pong_bytes,
                    };
                    self.writer.push_auto_pong(payload.clone(), bound);
                }
                self.events.push_back(Event::Ping(payload));
            }
            Control::Pong(payload) => self.events.push_back(Event::Pong(payload)),
            Control::Close(payload) => match CloseFrame::parse(&payload) {
                Err(e) => self.fail(now, ProtocolError::InvalidClose(e)),
                Ok(frame) => {
                    let code = frame.map(|f| f.code);
                    let reason = frame.map_or(String::new(), |f| f.reason.to_owned());
                    self.end_input(now, Ending::PeerClose(code, reason));
                }
            },
        }
    }

    /// The peer's close frame, taking effect: an answer to ours, or its own
    /// initiative, which we answer with the same code (an empty close with an empty
    /// close).
    fn on_close(&mut self, now: Instant, code: Option<CloseCode>, reason: String) {
        self.peer_code = code;
        match self.state {
            State::Open => {
                self.queue_close(now, code, "", false);
                self.finish(
                    Initiator::Remote,
                    code.unwrap_or(CloseCode::NO_STATUS_RECEIVED),
                    reason,
                    CloseCause::Handshake,
                );
            }
            State::Closing => {
                self.timers.close = None;
                let (code, reason) = self.our_close.clone().unwrap_or((None, String::new()));
                self.finish(
                    Initiator::Local,
                    code.unwrap_or(CloseCode::NO_STATUS_RECEIVED),
                    reason,
                    CloseCause::Handshake,
                );
            }
            State::Closed => {}
        }
    }

    /// A protocol violation in the input at `now`.
    fn fail(&mut self, now: Instant, error: ProtocolError) {
        self.end_input(now, Ending::Failure(error));
    }

    /// The input ends at `now` with `ending`: no more input is processed, the idle
    /// timers stop and the close timer too (the peer's close is here, or the session
    /// is failing); `ending` waits for the events before it to be taken
    /// ([`poll_event`](Self::poll_event)).
    fn end_input(&mut self, now: Instant, ending: Ending) {
        if self.reading() {
            self.ending = Some(Box::new((ending, now)));
            self.timers.disarm_idle();
            self.timers.close = None;
        }
    }

    /// What ended the input (read at `at`) takes effect.
    fn apply_ending(&mut self, at: Instant, ending: Ending) {
        match ending {
            Ending::Failure(error) => self.apply_failure(at, error),
            Ending::PeerClose(code, reason) => self.on_close(at, code, reason),
        }
    }

    /// Fails the connection for a violation found at `at`: the mapped close code is
    /// queued behind the data already queued (replies to the messages before the
    /// violation go out first; the abnormal-close flush deadline bounds how long
    /// that may take), and the failure is reported.
    fn apply_failure(&mut self, at: Instant, error: ProtocolError) {
        if self.state == State::Closed {
            return;
        }
        let code = error.close_code();
        let reason = error.to_string();
        self.timers.close = None;
        self.queue_close(at, Some(code), &reason, false);
        self.finish(Initiator::Local, code, reason, CloseCause::Protocol(error));
    }

    fn finish(&mut self, initiator: Initiator, code: CloseCode, reason: String, cause: CloseCause) {
        // An ending still waiting is superseded (a timeout or abort came first).
        self.ending = None;
        self.state = State::Closed;
        self.timers.disarm_idle();
        self.events.push_back(Event::Closed(CloseInfo {
            initiator,
            code,
            reason,
            cause,
            peer_code: self.peer_code,
        }));
    }
}
