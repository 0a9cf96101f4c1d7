//! The endpoint API (JSR 356 in spirit): an [`Endpoint`] receives callbacks, a
//! [`SessionHandle`] sends.
//!
//! Callbacks run one at a time, in order, on a blocking thread of the runtime
//! (`spawn_blocking`), so they may block — [`SessionHandle::send_blocking`] works
//! there — without stalling the connection's driver. Whole or partial delivery per
//! message type comes from [`SessionConfig`](ws_session::SessionConfig)
//! (`text_delivery`, `binary_delivery`): whole messages reach
//! [`on_message`](Endpoint::on_message), parts reach [`on_part`](Endpoint::on_part).

use bytes::Bytes;
use futures::channel::mpsc;
use futures::StreamExt;
use ws_session::{CloseInfo, Event, Message, MessageKind};

use crate::driver::is_clean;
use crate::error::Error;
use crate::handle::SessionHandle;

/// Callbacks for one client connection. Every method has an empty default.
pub trait Endpoint: Send + 'static {
    /// The connection is open.
    fn on_open(&mut self, session: &SessionHandle) {
        let _ = session;
    }

    /// A whole message arrived (types with whole delivery).
    fn on_message(&mut self, session: &SessionHandle, message: Message) {
        let _ = (session, message);
    }

    /// A part of a message arrived (types with partial delivery); `last` ends it.
    fn on_part(&mut self, session: &SessionHandle, kind: MessageKind, data: Bytes, last: bool) {
        let _ = (session, kind, data, last);
    }

    /// A pong arrived (pings are answered automatically).
    fn on_pong(&mut self, session: &SessionHandle, payload: Bytes) {
        let _ = (session, payload);
    }

    /// The connection failed: protocol error, timeout, or the transport ended
    /// without a close handshake. [`on_close`](Self::on_close) follows.
    fn on_error(&mut self, session: &SessionHandle, error: &Error) {
        let _ = (session, error);
    }

    /// The connection is closed; the last callback.
    fn on_close(&mut self, session: &SessionHandle, info: &CloseInfo) {
        let _ = (session, info);
    }
}

/// Feeds `events` to `endpoint` on the calling (blocking) thread until the close.
pub(crate) fn run<E: Endpoint>(
    mut endpoint: E,
    handle: SessionHandle,
    mut events: mpsc::Receiver<Event>,
    runtime: tokio::runtime::Handle,
) {
    endpoint.on_open(&handle);
    while let Some(event) = runtime.block_on(events.next()) {
        match event {
            Event::Message(m) => endpoint.on_message(&handle, m),
            Event::Part { kind, data, last } => endpoint.on_part(&handle, kind, data, last),
            Event::Pong(p) => endpoint.on_pong(&handle, p),
            Event::Closed(info) => {
                if !is_clean(&info) {
                    endpoint.on_error(&handle, &Error::Abnormal(info.clone()));
                }
                endpoint.on_close(&handle, &info);
                return;
            }
            _ => {}
        }
    }
    // The driver ended without a close event (it cannot, but stay total).
    let info = handle.close_info();
    if let Some(info) = info {
        endpoint.on_close(&handle, &info);
    }
}
