//! The receiving side of one connection: frames decoded, compressed messages
//! inflated, and echoes checked as bytes arrive.

use std::sync::Arc;

use crate::decode::{Event, FrameReader};
use crate::error::LoadError;
use crate::inflate::Inflater;
use crate::payload::{Checker, Pattern};
use crate::wire::Wire;

/// Decodes a server's frames and checks every echoed message against the pattern.
#[derive(Debug)]
pub struct Receiver {
    pattern: Arc<Pattern>,
    reader: FrameReader,
    checker: Checker,
    /// With permessage-deflate: the connection's inflater.
    inflater: Option<Inflater>,
    /// Whether the message being received is compressed.
    compressed: bool,
    /// Echoes completed that came compressed.
    compressed_echoes: u64,
    pings: Vec<Vec<u8>>,
    close: Option<Option<u16>>,
}

impl Receiver {
    /// A receiver of uncompressed echoes, expecting message 0 of `pattern` first.
    pub fn new(pattern: Arc<Pattern>) -> Receiver {
        let max = pattern.size() as u64;
        Receiver {
            pattern,
            reader: FrameReader::new(max),
            checker: Checker::new(),
            inflater: None,
            compressed: false,
            compressed_echoes: 0,
            pings: Vec::new(),
            close: None,
        }
    }

    /// A receiver for a connection whose messages go as `wire` describes; with
    /// `deflate` (negotiated), the server may compress any echo.
    pub fn for_wire(wire: &Wire, deflate: bool) -> Receiver {
        let mut rx = Receiver::new(wire.pattern().clone());
        if deflate {
            rx.reader = FrameReader::with_deflate(wire.max_echo_len());
            rx.inflater = Some(Inflater::new());
        }
        rx
    }

    /// Takes bytes read from the socket; returns how many echoes completed (each one
    /// checked). Bytes after a close frame are ignored.
    pub fn feed(&mut self, input: &[u8]) -> Result<u64, LoadError> {
        if self.close.is_some() {
            return Ok(0);
        }
        let mut done = 0;
        let Receiver {
            pattern,
            reader,
            checker,
            inflater,
            compressed,
            compressed_echoes,
            pings,
            close,
        } = self;
        let opcode = pattern.kind().opcode();
        reader.feed(input, &mut |event: Event<'_>| {
            if close.is_some() {
                return Ok(());
            }
            let mut check = |piece: &[u8]| checker.feed(pattern, piece).map_err(LoadError::from);
            match event {
                Event::Start {
                    opcode: got,
                    compressed: c,
                } => {
                    if got != opcode {
                        return Err(LoadError::WrongKind);
                    }
                    // The decoder allows RSV1 only with deflate negotiated.
                    *compressed = c && inflater.is_some();
                }
                Event::Data(bytes) => match inflater {
                    Some(inflater) if *compressed => inflater.feed(bytes, &mut check)?,
                    _ => check(bytes)?,
                },
                Event::End => {
                    if let Some(inflater) = inflater.as_mut().filter(|_| *compressed) {
                        inflater.finish(&mut check)?;
                    }
                    checker.finish(pattern)?;
                    done += 1;
                    *compressed_echoes += u64::from(*compressed);
                }
                Event::Ping(payload) => pings.push(payload.to_vec()),
                Event::Pong => {}
                Event::Close(code) => *close = Some(code),
            }
            Ok::<(), LoadError>(())
        })?;
        Ok(done)
    }

    /// How many of the echoes completed so far came compressed (RSV1): a server may
    /// send small messages uncompressed.
    pub fn compressed_echoes(&self) -> u64 {
        self.compressed_echoes
    }

    /// The sequence number of the next echo expected.
    pub fn expected(&self) -> u64 {
        self.checker.expected()
    }

    /// The server's close frame, once it arrived: `Some(code)`, the code being
    /// optional.
    pub fn close(&self) -> Option<Option<u16>> {
        self.close
    }

    /// Pings received since the last call, to be answered with pongs.
    pub fn take_pings(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.pings)
    }

    /// Whether pings wait for an answer.
    pub fn has_pings(&self) -> bool {
        !self.pings.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::PayloadError;
    use ws_frame::{FrameHeader, OpCode, MAX_HEADER_LEN};

    fn frame(opcode: OpCode, payload: &[u8]) -> Vec<u8> {
        let h = FrameHeader::new(opcode, payload.len() as u64);
        let mut head = [0u8; MAX_HEADER_LEN];
        let n = h.encode(&mut head);
        let mut out = head[..n].to_vec();
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn counts_checked_echoes_and_collects_pings_and_close() {
        let pattern = Arc::new(Pattern::new(16).unwrap());
        let mut rx = Receiver::new(pattern.clone());
        let mut wire = frame(OpCode::Binary, &pattern.message(0));
        wire.extend(frame(OpCode::Ping, b"x"));
        wire.extend(frame(OpCode::Binary, &pattern.message(1)));
        let (a, b) = wire.split_at(20);
        assert_eq!(rx.feed(a).unwrap() + rx.feed(b).unwrap(), 2);
        assert_eq!(rx.expected(), 2);
        assert!(rx.has_pings());
        assert_eq!(rx.take_pings(), vec![b"x".to_vec()]);
        assert_eq!(rx.close(), None);
        rx.feed(&frame(OpCode::Close, &[0x03, 0xE8])).unwrap();
        assert_eq!(rx.close(), Some(Some(1000)));
        // Ignored after the close.
        assert_eq!(rx.feed(&frame(OpCode::Binary, b"junk")).unwrap(), 0);
    }

    #[test]
    fn a_swapped_pair_fails_the_check() {
        let pattern = Arc::new(Pattern::new(16).unwrap());
        let mut rx = Receiver::new(pattern.clone());
        let mut wire = frame(OpCode::Binary, &pattern.message(1));
        wire.extend(frame(OpCode::Binary, &pattern.message(0)));
        assert!(matches!(
            rx.feed(&wire),
            Err(LoadError::Payload(PayloadError::OutOfOrder {
                expected: 0,
                got: 1
            }))
        ));
    }

    #[test]
    fn compressed_echoes_are_inflated_and_checked() {
        use crate::payload::PayloadKind;
        use crate::wire::Wires;
        use ws_frame::Rsv;
        let wires = Wires::new(5000, PayloadKind::Text, true).unwrap();
        let wire = wires.deflated(15).unwrap();
        let mut rx = Receiver::for_wire(&wire, true);
        let mut stream = Vec::new();
        for seq in 0..3 {
            let mut payload = Vec::new();
            wire.write_payload(seq, &mut payload);
            let mut h = FrameHeader::new(OpCode::Text, payload.len() as u64);
            h.rsv = Rsv::RSV1;
            let mut head = [0u8; MAX_HEADER_LEN];
            let n = h.encode(&mut head);
            stream.extend_from_slice(&head[..n]);
            stream.extend_from_slice(&payload);
        }
        // An uncompressed echo is fine too (RFC 7692 lets each message choose).
        stream.extend(frame(OpCode::Text, &wires.pattern().message(3)));
        let done: u64 = stream.chunks(333).map(|c| rx.feed(c).unwrap()).sum();
        assert_eq!((done, rx.expected(), rx.compressed_echoes()), (4, 4, 3));
        // A corrupted compressed echo fails its check.
        let mut rx = Receiver::for_wire(&wire, true);
        stream[30] ^= 0x01;
        let got: Result<Vec<u64>, _> = stream.chunks(333).map(|c| rx.feed(c)).collect();
        assert!(got.is_err());
    }

    #[test]
    fn text_echoes_of_binary_messages_are_refused() {
        let pattern = Arc::new(Pattern::new(16).unwrap());
        let mut rx = Receiver::new(pattern);
        assert!(matches!(
            rx.feed(&frame(OpCode::Text, b"0123456789abcdef")),
            Err(LoadError::WrongKind)
        ));
    }
}
