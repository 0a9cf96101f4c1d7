//! Topic names on the brokers: Redis channels and NATS subjects.

/// The Redis channel of `topic`.
pub(crate) fn redis_channel(prefix: &str, topic: &str) -> String {
    format!("{prefix}{topic}")
}

/// The topic of a Redis channel (`None` for a channel without our prefix).
pub(crate) fn redis_topic<'a>(prefix: &str, channel: &'a str) -> Option<&'a str> {
    channel.strip_prefix(prefix)
}

/// The NATS subject of `topic`: `prefix` then the topic with every byte other than
/// ASCII letters, digits, `-` and `_` written `%XX`, so it is one token and never
/// a wildcard.
pub(crate) fn nats_subject(prefix: &str, topic: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + topic.len());
    out.push_str(prefix);
    for b in topic.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(redis_channel("ws:", "chat"), "ws:chat");
        assert_eq!(redis_topic("ws:", "ws:chat"), Some("chat"));
        assert_eq!(redis_topic("ws:", "other"), None);
        assert_eq!(
            nats_subject("ws.", "rooms/a.b *>"),
            "ws.rooms%2Fa%2Eb%20%2A%3E"
        );
        assert_eq!(nats_subject("ws.", "é"), "ws.%C3%A9");
        assert_eq!(nats_subject("ws.", "plain-name_1"), "ws.plain-name_1");
    }
}
