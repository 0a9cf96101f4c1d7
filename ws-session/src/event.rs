//! What the session hands to the application: [`Event`]s.

use bytes::Bytes;
use ws_frame::CloseCode;

use crate::ProtocolError;

/// The two kinds of data message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// UTF-8 text (opcode 0x1).
    Text,
    /// Binary data (opcode 0x2).
    Binary,
}

/// A complete data message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A text message; validated UTF-8 by construction.
    Text(String),
    /// A binary message.
    ///
    /// A small one received (up to 1 KiB in one frame) shares its allocation with
    /// the other small messages of its thread's 32 KiB chunk, to spare an allocation
    /// per message: keeping it alive keeps the chunk alive. To store many for long,
    /// copy them (`Bytes::copy_from_slice`). One of 1 to 256 KiB received whole
    /// in one read holds a buffer that goes back to a per-thread pool when it is
    /// dropped.
    Binary(Bytes),
}

impl Message {
    /// The message kind.
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::Text(_) => MessageKind::Text,
            Message::Binary(_) => MessageKind::Binary,
        }
    }

    /// The payload bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Message::Text(s) => s.as_bytes(),
            Message::Binary(b) => b,
        }
    }
}

impl From<String> for Message {
    fn from(s: String) -> Self {
        Message::Text(s)
    }
}

impl From<&str> for Message {
    fn from(s: &str) -> Self {
        Message::Text(s.to_owned())
    }
}

impl From<Bytes> for Message {
    fn from(b: Bytes) -> Self {
        Message::Binary(b)
    }
}

impl From<Vec<u8>> for Message {
    fn from(b: Vec<u8>) -> Self {
        Message::Binary(Bytes::from(b))
    }
}

/// Which end started the close.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Initiator {
    /// This session: a `close` command, a protocol error it detected, or a timeout.
    Local,
    /// The peer: its close frame, or the transport ending without one.
    Remote,
}

/// Why the session closed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseCause {
    /// Close frames were exchanged (whoever started). Not an error.
    Handshake,
    /// The peer violated the protocol or a limit; we sent the mapped close code.
    Protocol(ProtocolError),
    /// A timer expired.
    Timeout(TimeoutKind),
    /// The transport ended (`handle_eof`) before the close handshake finished.
    Eof,
    /// The application ended the session with [`Session::abort`](crate::Session::abort).
    Aborted,
}

/// The timers that can end a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeoutKind {
    /// `READ_IDLE_TIMEOUT_MS`: no data received for too long (1001 sent).
    ReadIdle,
    /// `WRITE_IDLE_TIMEOUT_MS`: no data sent for too long (1001 sent).
    WriteIdle,
    /// Max idle: neither direction carried data for too long (1001 sent).
    MaxIdle,
    /// `SESSION_CLOSE_TIMEOUT`: the peer did not answer our close in time.
    SessionClose,
    /// `ABNORMAL_SESSION_CLOSE_SEND_TIMEOUT`: our non-1000 close frame was not written
    /// out in time.
    AbnormalCloseSend,
}

/// How the session ended, reported once in [`Event::Closed`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CloseInfo {
    /// Who started the close.
    pub initiator: Initiator,
    /// The code to report to the application. For a completed handshake it is the
    /// initiator's code (1005 when its close frame had no payload); for protocol
    /// errors the code we sent; for timeouts and EOF 1006 (whatever went on the wire,
    /// e.g. 1001 for idle timeouts).
    pub code: CloseCode,
    /// The initiator's reason (or a description of the local failure).
    pub reason: String,
    /// Why the session closed.
    pub cause: CloseCause,
    /// The code in the peer's close frame, if one with a code was received (for a
    /// close we started, this is the peer's answer).
    pub peer_code: Option<CloseCode>,
}

/// Something the application must see, from [`Session::poll_event`](crate::Session::poll_event).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A whole message (types configured with [`Delivery::Whole`](crate::Delivery)).
    Message(Message),
    /// A part of a message (types configured with
    /// [`Delivery::Partial`](crate::Delivery)). Text parts are valid UTF-8 on their own
    /// (cut on character boundaries); every part except possibly the last is non-empty
    /// and at most the type's buffer size.
    Part {
        /// Text or binary.
        kind: MessageKind,
        /// The bytes of this part.
        data: Bytes,
        /// Whether this part ends the message.
        last: bool,
    },
    /// A ping was received; the session has already queued the pong.
    Ping(Bytes),
    /// A pong was received.
    Pong(Bytes),
    /// The session is closed: no more input is processed and no more events follow.
    /// Flush the remaining transmit bytes, then drop the transport.
    Closed(CloseInfo),
}

/// The session's queue of events not yet polled. Input usually yields one event at
/// a time, so the first waits in place: no allocation for it (an idle session
/// holds none) and no ring buffer to go through; more queue behind it.
#[derive(Debug, Default)]
pub(crate) struct Events {
    first: Option<Event>,
    rest: std::collections::VecDeque<Event>,
}

impl Events {
    /// Queues `event` behind the others.
    pub(crate) fn push_back(&mut self, event: Event) {
        if self.first.is_none() && self.rest.is_empty() {
            self.first = Some(event);
        } else {
            self.rest.push_back(event);
        }
    }

    /// The oldest event.
    pub(crate) fn pop_front(&mut self) -> Option<Event> {
        self.first.take().or_else(|| self.rest.pop_front())
    }

    /// How many events wait.
    pub(crate) fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }
}
