//! The bounded queue of messages a broker received, between its connection task
//! and the topics' relay, which takes it once as a stream.

use std::sync::Mutex;

use tokio::sync::mpsc;
use ws_tokio::{BrokerMessage, BrokerStream};

use crate::INCOMING_QUEUE;

/// The relay's end of the queue, handed out once ([`Incoming::take_stream`]).
pub(crate) struct Incoming(Mutex<Option<mpsc::Receiver<BrokerMessage>>>);

impl Incoming {
    /// A queue of [`INCOMING_QUEUE`] messages: the sender for the connection task
    /// (which drops and counts a message when the queue is full) and this end.
    pub(crate) fn channel() -> (mpsc::Sender<BrokerMessage>, Incoming) {
        let (tx, rx) = mpsc::channel(INCOMING_QUEUE);
        (tx, Incoming(Mutex::new(Some(rx))))
    }

    /// The messages as a stream, the first time; `None` after that.
    pub(crate) fn take_stream(&self) -> Option<BrokerStream> {
        let rx = self.0.lock().unwrap_or_else(|e| e.into_inner()).take()?;
        Some(Box::pin(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|m| (m, rx))
        })))
    }
}
