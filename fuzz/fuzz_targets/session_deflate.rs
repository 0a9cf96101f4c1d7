//! Arbitrary bytes into a session with permessage-deflate; the role comes from the
//! input's length parity so both directions' rules are covered.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ws_session::Role;

fuzz_target!(|data: &[u8]| {
    let role = if data.len() % 2 == 0 { Role::Server } else { Role::Client };
    ws_session::fuzzing::drive(role, true, data, std::time::Instant::now());
});
