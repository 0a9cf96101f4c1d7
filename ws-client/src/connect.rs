//! [`connect`] and [`connect_endpoint`]: open a connection, start its driver task.

use std::sync::Arc;

use futures::channel::mpsc;
use ws_session::{DeflateConfig, Delivery, Event, Session, SessionConfig};

use crate::config::ClientConfig;
use crate::driver::{Command, Driver, Shared};
use crate::endpoint::{self, Endpoint};
use crate::error::ConnectError;
use crate::handle::SessionHandle;
use crate::handshake::{self, Upgraded};
use crate::rng::Masks;
use crate::socket::WebSocket;

/// Commands queued per connection before senders wait.
const COMMANDS: usize = 128;
/// Events queued for the application before the driver stops reading.
const EVENTS: usize = 128;

/// Opens a `ws://` or `wss://` connection and returns it as a
/// [`Stream`](futures::Stream) + [`Sink`](futures::Sink) of messages.
///
/// Messages are always delivered whole here (the delivery settings of
/// `config.session` are overridden); use [`connect_endpoint`] for parts.
pub async fn connect(uri: &str, config: &ClientConfig) -> Result<WebSocket, ConnectError> {
    let mut session = config.session.clone();
    session.text_delivery = Delivery::Whole;
    session.binary_delivery = Delivery::Whole;
    let (events, commands, handle, shared) = start(uri, config, session).await?;
    Ok(WebSocket::new(events, commands, handle, shared))
}

/// Opens a connection driven by `endpoint`'s callbacks (see [`Endpoint`]) and
/// returns a handle for sending. `on_open` runs before any other callback. The
/// endpoint's `text_delivery` / `binary_delivery` override the session config's.
pub async fn connect_endpoint<E: Endpoint>(
    uri: &str,
    config: &ClientConfig,
    endpoint: E,
) -> Result<SessionHandle, ConnectError> {
    let mut session = config.session.clone();
    session.text_delivery = endpoint.text_delivery();
    session.binary_delivery = endpoint.binary_delivery();
    let (events, _commands, handle, _shared) = start(uri, config, session).await?;
    tokio::spawn(endpoint::run(endpoint, handle.clone(), events));
    Ok(handle)
}

type Started = (
    mpsc::Receiver<Event>,
    mpsc::Sender<Command>,
    SessionHandle,
    Arc<Shared>,
);

async fn start(
    uri: &str,
    config: &ClientConfig,
    mut session_config: SessionConfig,
) -> Result<Started, ConnectError> {
    let Upgraded {
        transport,
        established,
        leftover,
    } = handshake::open(uri, config).await?;
    session_config.deflate = established.deflate.map(|p| {
        DeflateConfig::default()
            .with_server_no_context_takeover(p.server_no_context_takeover)
            .with_client_no_context_takeover(p.client_no_context_takeover)
            .with_server_max_window_bits(p.server_window_bits())
            .with_client_max_window_bits(p.client_window_bits())
    });
    let now = std::time::Instant::now();
    let mut session = Session::client(session_config, Masks::new(), now);
    if !leftover.is_empty() {
        session.handle_input(now, &leftover);
    }
    let shared = Arc::new(Shared {
        protocol: established.protocol,
        deflate: established.deflate,
        ..Shared::default()
    });
    let (command_tx, command_rx) = mpsc::channel(COMMANDS);
    let (event_tx, event_rx) = mpsc::channel(EVENTS);
    let handle = SessionHandle::new(
        command_tx.clone(),
        Arc::clone(&shared),
        config.settings.blocking_send_timeout,
    );
    let driver = Driver::new(
        transport,
        session,
        command_rx,
        event_tx,
        Arc::clone(&shared),
    );
    tokio::spawn(driver.run());
    Ok((event_rx, command_tx, handle, shared))
}
