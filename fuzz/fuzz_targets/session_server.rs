//! Arbitrary bytes into a server-role session (no extension).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ws_session::Role;

fuzz_target!(|data: &[u8]| {
    ws_session::fuzzing::drive(Role::Server, false, data, std::time::Instant::now());
});
