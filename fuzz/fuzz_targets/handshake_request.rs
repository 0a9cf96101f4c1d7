//! Feeds arbitrary bytes to the server handshake, whole and split, and checks that
//! every way of feeding agrees and nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ws_handshake::fuzzing::check_request(data);
});
