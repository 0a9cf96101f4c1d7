//! The fan-out benchmark's endpoint (`/fanout`, used by `cargo xtask loadtest
//! --fanout`): every connection subscribes to the topic [`TOPIC`], except one
//! opened as `/fanout?publisher`; every message received from any connection is
//! published on the topic as it is.

use ws_server::{Endpoint, Message, SessionHandle};

/// The benchmark's topic.
pub const TOPIC: &str = "fanout";

/// The endpoint.
pub struct Fanout;

impl Endpoint for Fanout {
    type State = ();

    async fn on_open(&self, session: &SessionHandle) {
        let publisher = session
            .query()
            .is_some_and(|q| q.split('&').any(|p| p == "publisher"));
        if !publisher {
            let _ = session.subscribe(TOPIC);
        }
    }

    async fn on_message(&self, _: &mut (), session: &SessionHandle, message: Message) {
        let _ = session.publish(TOPIC, message).await;
    }
}
