//! Feeds arbitrary bytes as the response to a fixed client request, whole and byte by
//! byte, and checks that both agree and nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ws_handshake::fuzzing::check_response(data);
});
