//! Decodes arbitrary bytes as a frame header and checks the codec's guarantees.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ws_frame::fuzzing::check_header_decode(data);
});
