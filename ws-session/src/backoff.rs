//! Sending incompressible messages plain: [`IncompressibleBackoff`].

use crate::event::MessageKind;

/// A message shorter than this says too little about the ones that follow to count
/// as a probe: its result neither starts nor ends a pause.
pub(crate) const PROBE_MIN: usize = 256;

/// Compression pays when it saves at least 1/`SAVING` of a message: a message that
/// compresses to more than 15/16 of its size (a stored block, for random or already
/// compressed bytes) did not pay.
const SAVING: usize = 16;

/// The longest pause grows to 2^`MAX_MISSES` messages (64): in a stream of
/// incompressible messages, one in 65 is compressed to look again.
const MAX_MISSES: u8 = 6;

/// Whether compressing the next whole message of each kind is worth the CPU.
///
/// Random or already compressed bytes (images, encrypted or zipped payloads) deflate
/// to a stored block a few bytes *longer* than the input, at the full cost of the
/// match search: about 40 µs for 1 KiB at level 6 with zlib-rs, where sending it
/// plain costs next to nothing. So when a message of at least [`PROBE_MIN`] bytes
/// compresses to more than 15/16 of its size, the next messages of that kind go out
/// plain (RSV1 clear, which RFC 7692 section 6 allows for any message), for a pause
/// that doubles with each probe that does not pay (2, 4, ... 64 messages) and ends
/// with the first that does. Text and binary keep separate pauses: a connection that
/// sends JSON text and JPEG binary compresses the one and not the other.
///
/// This is safe with context takeover: a message sent plain enters neither our
/// compressor's window nor the peer's decompressor's (RFC 7692 section 7.2.2 inflates
/// only compressed messages), so both windows stay the same. The decision is taken
/// before compressing; a message already compressed is never sent plain instead (its
/// bytes are in our window by then).
///
/// The cost: a compressible message that follows incompressible ones of its kind
/// goes plain until the pause ends (at most 64 messages, fewer when pauses are
/// short). Turn it off with
/// [`DeflateConfig::skip_incompressible`](crate::DeflateConfig::skip_incompressible).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct IncompressibleBackoff {
    /// Text, then binary.
    lanes: [Lane; 2],
}

/// One message kind's pause.
#[derive(Clone, Copy, Debug, Default)]
struct Lane {
    /// Messages still to send plain before the next probe.
    skip: u8,
    /// Probes in a row that did not pay; the pause after the last was 2^`misses`.
    misses: u8,
}

fn lane(kind: MessageKind) -> usize {
    match kind {
        MessageKind::Text => 0,
        MessageKind::Binary => 1,
    }
}

impl IncompressibleBackoff {
    /// Whether the next message of `kind` goes plain (a pause is under way).
    pub(crate) fn pausing(&self, kind: MessageKind) -> bool {
        self.lanes[lane(kind)].skip > 0
    }

    /// A message of `kind` that compression would have taken went out plain.
    pub(crate) fn sent_plain(&mut self, kind: MessageKind) {
        let lane = &mut self.lanes[lane(kind)];
        lane.skip = lane.skip.saturating_sub(1);
    }

    /// A whole message of `kind` compressed from `input` bytes to `output`.
    pub(crate) fn compressed(&mut self, kind: MessageKind, input: usize, output: usize) {
        if input < PROBE_MIN {
            return;
        }
        let lane = &mut self.lanes[lane(kind)];
        if output.saturating_mul(SAVING) > input.saturating_mul(SAVING - 1) {
            lane.misses = (lane.misses + 1).min(MAX_MISSES);
            lane.skip = 1 << lane.misses;
        } else {
            *lane = Lane::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends `n` messages of `kind`, each of 1 KiB compressing to `out` bytes when
    /// compressed; returns `c` for each compressed and `.` for each sent plain.
    fn run(b: &mut IncompressibleBackoff, kind: MessageKind, n: usize, out: usize) -> String {
        (0..n)
            .map(|_| {
                if b.pausing(kind) {
                    b.sent_plain(kind);
                    '.'
                } else {
                    b.compressed(kind, 1024, out);
                    'c'
                }
            })
            .collect()
    }

    #[test]
    fn pauses_double_up_to_64_and_one_paying_probe_ends_them() {
        let mut b = IncompressibleBackoff::default();
        let expected = [
            "c..",
            "c....",
            "c........",
            &format!("c{}", ".".repeat(16)),
            &format!("c{}", ".".repeat(32)),
            &format!("c{}", ".".repeat(64)),
            &format!("c{}", ".".repeat(64)),
        ]
        .concat();
        assert_eq!(
            run(&mut b, MessageKind::Binary, expected.len(), 1029),
            expected
        );
        // The next probe pays: every message is compressed again.
        assert_eq!(run(&mut b, MessageKind::Binary, 4, 200), "cccc");
        // And a miss starts over at a pause of 2.
        assert_eq!(run(&mut b, MessageKind::Binary, 4, 1024), "c..c");
    }

    #[test]
    fn the_kinds_pause_apart_and_small_messages_are_no_probes() {
        let mut b = IncompressibleBackoff::default();
        assert_eq!(run(&mut b, MessageKind::Binary, 3, 1024), "c..");
        assert_eq!(run(&mut b, MessageKind::Text, 3, 300), "ccc");
        // 15/16 exactly still pays; a byte more does not.
        b.compressed(MessageKind::Text, 1024, 960);
        assert!(!b.pausing(MessageKind::Text));
        b.compressed(MessageKind::Text, 1024, 961);
        assert!(b.pausing(MessageKind::Text));
        // Below PROBE_MIN nothing changes, either way.
        let before = format!("{b:?}");
        b.compressed(MessageKind::Text, PROBE_MIN - 1, 10);
        b.compressed(MessageKind::Binary, PROBE_MIN - 1, PROBE_MIN + 10);
        assert_eq!(format!("{b:?}"), before);
    }
}
