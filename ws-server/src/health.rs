//! The health check's JSON body (`Server::add_health_check`): the server's
//! connections and topics, and its broker's state and counters.

use ws_tokio::{BrokerStatus, Topics};

/// A JSON string literal (the address is the only free text).
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn broker(status: &BrokerStatus) -> String {
    format!(
        r#"{{"kind":{},"address":{},"state":"{}","published":{},"received":{},"dropped":{},"reconnects":{}}}"#,
        quoted(status.kind),
        quoted(&status.address),
        status.state.as_str(),
        status.published,
        status.received,
        status.dropped,
        status.reconnects
    )
}

/// The body: `{"status":"ok","connections":N,"topics":N,"published":N,
/// "delivered":N,"closed_slow":N,"broker":{...}|null}`.
pub(crate) fn json(topics: &Topics, connections: usize) -> String {
    let broker = topics
        .broker_status()
        .map_or_else(|| "null".to_owned(), |s| broker(&s));
    let stats = topics.stats();
    format!(
        r#"{{"status":"ok","connections":{connections},"topics":{},"published":{},"delivered":{},"closed_slow":{},"broker":{broker}}}"#,
        topics.topics().len(),
        stats.published,
        stats.delivered,
        stats.closed_slow,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ws_tokio::BrokerState;

    #[test]
    fn reports_the_broker_or_null() {
        assert_eq!(
            json(&Topics::new(), 2),
            r#"{"status":"ok","connections":2,"topics":0,"published":0,"delivered":0,"closed_slow":0,"broker":null}"#
        );
        let status = BrokerStatus {
            kind: "redis",
            address: "redis://127.0.0.1:1\"".into(),
            state: BrokerState::Connecting,
            published: 1,
            received: 2,
            dropped: 3,
            reconnects: 4,
        };
        assert_eq!(
            broker(&status),
            r#"{"kind":"redis","address":"redis://127.0.0.1:1\"","state":"connecting","published":1,"received":2,"dropped":3,"reconnects":4}"#
        );
    }
}
