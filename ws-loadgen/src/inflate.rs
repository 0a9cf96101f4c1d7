//! Inflating a server's compressed messages as their bytes stream in (RFC 7692).
//!
//! One raw inflater per connection, with a window of 15 bits whatever the server
//! negotiated (a larger window decodes any smaller one), kept across messages: the
//! server may refer back to earlier messages (context takeover), and when it does not
//! the kept window is simply unused. Output goes out in pieces of at most
//! [`CHUNK`] bytes, so a message is never held whole; the caller's checker bounds the
//! total (a message inflating past its size fails the check at once).

use flate2::{Decompress, FlushDecompress, Status};

use crate::decode::ReadError;
use crate::wire::SYNC_TAIL;

/// Largest piece of output handed on at once.
pub const CHUNK: usize = 16 * 1024;

/// Inflates the messages of one connection.
pub struct Inflater {
    inner: Decompress,
    out: Box<[u8]>,
    /// The current message's deflate data ended with a final block: what follows in
    /// the message (the tail the receiver appends among it) is not deflate data.
    ended: bool,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("total_in", &self.inner.total_in())
            .field("total_out", &self.inner.total_out())
            .finish()
    }
}

impl Default for Inflater {
    fn default() -> Self {
        Inflater::new()
    }
}

impl Inflater {
    /// A raw inflater with a 15-bit window.
    pub fn new() -> Inflater {
        Inflater {
            inner: Decompress::new_with_window_bits(false, 15),
            out: vec![0; CHUNK].into_boxed_slice(),
            ended: false,
        }
    }

    /// Inflates the next compressed bytes of the current message, calling `on` with
    /// each piece of output.
    pub fn feed<E: From<ReadError>>(
        &mut self,
        mut input: &[u8],
        on: &mut impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        loop {
            if self.ended {
                return Ok(());
            }
            let (in_before, out_before) = (self.inner.total_in(), self.inner.total_out());
            let status = self
                .inner
                .decompress(input, &mut self.out, FlushDecompress::None)
                .map_err(|e| ReadError::Inflate(e.to_string()))?;
            let used = (self.inner.total_in() - in_before) as usize;
            let made = (self.inner.total_out() - out_before) as usize;
            input = &input[used..];
            if made > 0 {
                on(&self.out[..made])?;
            }
            if status == Status::StreamEnd {
                // A final block (a sender without context takeover may end each
                // message so): the rest of this message is not deflate data, and the
                // next message starts a new stream.
                self.ended = true;
                return Ok(());
            }
            // Done when the input is used up and the output had room to spare (no
            // more is pending); no progress at all means the data is broken.
            if input.is_empty() && made < self.out.len() {
                return Ok(());
            }
            if used == 0 && made == 0 {
                return Err(ReadError::Inflate("no progress on compressed data".into()).into());
            }
        }
    }

    /// Ends the current message: inflates the sync tail the sender removed (RFC 7692
    /// section 7.2.2), unless its data ended with a final block.
    pub fn finish<E: From<ReadError>>(
        &mut self,
        on: &mut impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let result = self.feed(&SYNC_TAIL, on);
        if self.ended {
            self.inner.reset(false);
            self.ended = false;
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::PayloadKind;
    use crate::wire::Wires;

    fn inflate_all(inflater: &mut Inflater, payload: &[u8], step: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut keep = |piece: &[u8]| {
            assert!(piece.len() <= CHUNK);
            out.extend_from_slice(piece);
            Ok::<(), ReadError>(())
        };
        for piece in payload.chunks(step) {
            inflater.feed(piece, &mut keep).unwrap();
        }
        inflater.finish(&mut keep).unwrap();
        out
    }

    #[test]
    fn messages_inflate_in_any_split() {
        let wires = Wires::new(100_000, PayloadKind::Text, true).unwrap();
        let wire = wires.deflated(15).unwrap();
        for step in [1, 7, 4096, 1 << 20] {
            let mut inflater = Inflater::new();
            for seq in 0..3 {
                let mut payload = Vec::new();
                wire.write_payload(seq, &mut payload);
                assert_eq!(
                    inflate_all(&mut inflater, &payload, step),
                    wires.pattern().message(seq),
                    "step {step}"
                );
            }
        }
    }

    #[test]
    fn a_final_block_resets_for_the_next_message() {
        use flate2::{Compress, Compression, FlushCompress};
        let mut inflater = Inflater::new();
        for text in [&b"first message"[..], b"second"] {
            let mut deflater = Compress::new_with_window_bits(Compression::new(6), false, 15);
            let mut payload = Vec::with_capacity(256);
            deflater
                .compress_vec(text, &mut payload, FlushCompress::Finish)
                .unwrap();
            assert_eq!(inflate_all(&mut inflater, &payload, 3), text);
        }
    }

    #[test]
    fn garbage_is_an_error() {
        let mut inflater = Inflater::new();
        let got = inflater.feed(&[0xff; 64], &mut |_| Ok::<(), ReadError>(()));
        assert!(matches!(got, Err(ReadError::Inflate(_))), "{got:?}");
    }
}
