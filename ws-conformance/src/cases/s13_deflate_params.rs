//! Section 13: permessage-deflate with negotiated parameters: context takeover off,
//! each window size from 9 to 15 bits for either direction, and all together.
//!
//! As client the suite offers the profile and checks the server's answer fits it;
//! as server it answers the client's offer with the profile. Either way the
//! inflater then holds the peer to the agreed window and context rule.

use super::payloads::Kind;
use super::s12_deflate::{count_for, deflate_echo, Compress};
use super::Case;
use crate::deflate::DeflateParams;

/// The payloads every profile is tried with: (kind, size).
const PAYLOADS: [(Kind, usize); 4] = [
    (Kind::Words, 1024),
    (Kind::Unicode, 16384),
    (Kind::Repeating, 65536),
    (Kind::Json, 262144),
];

fn profile_cases(group: &str, profile: DeflateParams, first: usize) -> Vec<Case> {
    PAYLOADS
        .into_iter()
        .enumerate()
        .map(|(i, (kind, size))| {
            let count = count_for(size).min(12);
            Case::new(
                &format!("{group}.{}", first + i),
                &format!(
                    "permessage-deflate with {}: {count} compressed messages of {size} bytes of {}.",
                    profile.describe(),
                    kind.name()
                ),
                "The parameters are agreed as RFC 7692 section 7.1 allows, and every message is \
                 echoed exactly, compressed within the agreed window and context rule.",
                deflate_echo(kind, size, count, None, Compress::Always),
            )
            .with_deflate(profile)
        })
        .collect()
}

pub(super) fn cases() -> Vec<Case> {
    let mut cases = profile_cases("13.1", DeflateParams::default(), 1);
    cases.extend(profile_cases(
        "13.2",
        DeflateParams {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            ..Default::default()
        },
        1,
    ));
    for (g, set) in [("13.3", true), ("13.4", false)] {
        for (j, bits) in (9..=15u8).enumerate() {
            let profile = if set {
                DeflateParams {
                    server_max_window_bits: Some(bits),
                    ..Default::default()
                }
            } else {
                DeflateParams {
                    client_max_window_bits: Some(bits),
                    ..Default::default()
                }
            };
            cases.extend(profile_cases(g, profile, 1 + j * PAYLOADS.len()));
        }
    }
    cases.extend(profile_cases(
        "13.5",
        DeflateParams {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: Some(9),
            client_max_window_bits: Some(9),
        },
        1,
    ));
    cases
}
