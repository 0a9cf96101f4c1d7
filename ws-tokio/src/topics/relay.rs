//! The task that hands a broker's incoming messages to the local subscribers.

use std::sync::Weak;

use futures::StreamExt;

use crate::topics::broker::BrokerStream;
use crate::topics::envelope;
use crate::topics::registry::Registry;
use crate::topics::Topics;

/// Delivers every message from `stream` that another node published to this
/// node's subscribers, until the stream ends or the topics are dropped.
pub(crate) async fn run(registry: Weak<Registry>, mut stream: BrokerStream) {
    while let Some(message) = stream.next().await {
        let Some(inner) = registry.upgrade() else {
            return;
        };
        let Some((origin, decoded)) = envelope::decode(&message.payload) else {
            tracing::debug!(topic = %message.topic, "broker message that is no envelope of ours");
            continue;
        };
        if origin == inner.node {
            // Our own publish, handed back: delivered locally already.
            continue;
        }
        let topics = Topics { inner };
        topics.deliver_local(&message.topic, &decoded).await;
    }
    tracing::debug!("broker stream ended");
}
