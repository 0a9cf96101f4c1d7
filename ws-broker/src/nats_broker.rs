//! [`NatsBroker`]: topics over NATS core subjects.
//!
//! The `async-nats` client reconnects by itself (here with this crate's backoff
//! and no limit on attempts) and subscribes again to every subject it had; its
//! events (connected, disconnected) become the broker's state and log lines. One
//! task publishes and manages subscriptions; each subscription forwards its
//! messages from a task of its own.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use ws_tokio::{Broker, BrokerMessage, BrokerState, BrokerStats, BrokerStatus, BrokerStream};

use crate::incoming::Incoming;
use crate::names::nats_subject;
use crate::{backoff, redacted, BrokerError, PUBLISH_QUEUE};

/// Subject prefix of every topic.
const PREFIX: &str = "ws.";

/// A command for the broker's task.
enum Command {
    Subscribe(String),
    Unsubscribe(String),
}

/// Topics over NATS core pub/sub; see the [crate docs](crate).
pub struct NatsBroker {
    address: String,
    stats: Arc<BrokerStats>,
    client: async_nats::Client,
    publishes: mpsc::Sender<(String, Bytes)>,
    commands: mpsc::UnboundedSender<Command>,
    messages: Incoming,
}

impl std::fmt::Debug for NatsBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsBroker")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl NatsBroker {
    /// Starts the connection to the NATS server at `url` (`nats://HOST:PORT`) in
    /// the background; call it inside a tokio runtime. Only a malformed URL fails.
    pub async fn connect(url: &str) -> Result<Arc<NatsBroker>, BrokerError> {
        let address = redacted(url);
        let stats = Arc::new(BrokerStats::default());
        let events = Arc::clone(&stats);
        let logged = address.clone();
        tracing::info!(broker = %address, "connecting to nats");
        let client = async_nats::ConnectOptions::new()
            .name("ws-server")
            .retry_on_initial_connect()
            .max_reconnects(None)
            .reconnect_delay_callback(|attempts| {
                backoff::delay(u32::try_from(attempts.saturating_sub(1)).unwrap_or(u32::MAX))
            })
            .event_callback(move |event| {
                let (stats, address) = (Arc::clone(&events), logged.clone());
                async move {
                    match event {
                        async_nats::Event::Connected => {
                            stats.set_state(BrokerState::Connected);
                            tracing::info!(broker = %address, state = "connected", "broker state");
                        }
                        async_nats::Event::Disconnected => {
                            stats.set_state(BrokerState::Connecting);
                            tracing::warn!(broker = %address, "nats connection lost; reconnecting");
                        }
                        other => tracing::debug!(broker = %address, event = %other, "nats event"),
                    }
                }
            })
            .connect(url)
            .await
            .map_err(|e| BrokerError::InvalidUrl {
                url: address.clone(),
                reason: e.to_string(),
            })?;
        if client.connection_state() == async_nats::connection::State::Connected {
            stats.set_state(BrokerState::Connected);
        }
        let (publishes, publish_rx) = mpsc::channel(PUBLISH_QUEUE);
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (incoming, messages) = Incoming::channel();
        tokio::spawn(run(
            client.clone(),
            publish_rx,
            command_rx,
            incoming,
            Arc::clone(&stats),
        ));
        Ok(Arc::new(NatsBroker {
            address,
            stats,
            client,
            publishes,
            commands,
            messages,
        }))
    }
}

impl Broker for NatsBroker {
    fn publish(&self, topic: &str, payload: Bytes) {
        // Dropped while disconnected, like Redis: the client would otherwise buffer
        // them and deliver after the outage, which no subscriber can rely on.
        let connected = self.client.connection_state() == async_nats::connection::State::Connected;
        if !connected
            || self
                .publishes
                .try_send((topic.to_owned(), payload))
                .is_err()
        {
            self.stats.dropped();
        }
    }

    fn subscribe(&self, topic: &str) {
        let _ = self.commands.send(Command::Subscribe(topic.to_owned()));
    }

    fn unsubscribe(&self, topic: &str) {
        let _ = self.commands.send(Command::Unsubscribe(topic.to_owned()));
    }

    fn messages(&self) -> Option<BrokerStream> {
        self.messages.take_stream()
    }

    fn status(&self) -> BrokerStatus {
        self.stats.status("nats", &self.address)
    }
}

/// Publishes and manages subscriptions until the broker is dropped.
async fn run(
    client: async_nats::Client,
    mut publishes: mpsc::Receiver<(String, Bytes)>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    incoming: mpsc::Sender<BrokerMessage>,
    stats: Arc<BrokerStats>,
) {
    let mut subscriptions: HashMap<String, JoinHandle<()>> = HashMap::new();
    loop {
        tokio::select! {
            publish = publishes.recv() => {
                let Some((topic, payload)) = publish else { break };
                match client.publish(nats_subject(PREFIX, &topic), payload).await {
                    Ok(()) => stats.published(),
                    Err(_) => stats.dropped(),
                }
            }
            command = commands.recv() => match command {
                None => break,
                Some(Command::Subscribe(topic)) => {
                    if let std::collections::hash_map::Entry::Vacant(slot) =
                        subscriptions.entry(topic)
                    {
                        let forward = forward(
                            client.clone(),
                            slot.key().clone(),
                            incoming.clone(),
                            Arc::clone(&stats),
                        );
                        slot.insert(tokio::spawn(forward));
                    }
                }
                Some(Command::Unsubscribe(topic)) => {
                    // Dropping the subscriber (with its task) unsubscribes.
                    if let Some(task) = subscriptions.remove(&topic) {
                        task.abort();
                    }
                }
            },
        }
    }
    for task in subscriptions.into_values() {
        task.abort();
    }
}

/// Forwards one topic's messages to the topics' relay.
async fn forward(
    client: async_nats::Client,
    topic: String,
    incoming: mpsc::Sender<BrokerMessage>,
    stats: Arc<BrokerStats>,
) {
    let mut subscriber = match client.subscribe(nats_subject(PREFIX, &topic)).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(topic, error = %e, "nats subscribe failed");
            return;
        }
    };
    while let Some(message) = subscriber.next().await {
        stats.received();
        let message = BrokerMessage {
            topic: topic.clone(),
            payload: message.payload,
        };
        if incoming.try_send(message).is_err() {
            stats.dropped();
        }
    }
}
