//! Arbitrary bytes into a client-role session (no extension).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ws_session::Role;

fuzz_target!(|data: &[u8]| {
    ws_session::fuzzing::drive(Role::Client, false, data, std::time::Instant::now());
});
