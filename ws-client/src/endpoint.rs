//! The endpoint API (JSR 356 in spirit, the same shape as `ws-server`'s): an
//! [`Endpoint`] receives callbacks, a [`SessionHandle`] sends.
//!
//! Callbacks are `async` and run one at a time, in order, on a task of their own,
//! separate from the connection's driver: a slow callback delays the next event (and,
//! once the event queue is full, reading from the socket: backpressure), never the
//! writing of what was sent. Inside a callback send with
//! [`SessionHandle::send`] (`.await` completes when the bytes are written, Tomcat's
//! blocking-send semantics); [`SessionHandle::send_blocking`] is for threads
//! outside the runtime.

use std::future::Future;

use bytes::Bytes;
use futures::channel::mpsc;
use futures::StreamExt;
use ws_session::{CloseInfo, Delivery, Event, Message, MessageKind};

use crate::driver::is_clean;
use crate::error::Error;
use crate::handle::SessionHandle;

/// Callbacks for one client connection. Every method has a default that does
/// nothing (delivery: whole).
pub trait Endpoint: Send + 'static {
    /// How text messages are delivered: [`Delivery::Whole`] (default) to
    /// [`on_message`](Self::on_message), up to `textBufferSize` (1009 beyond), or
    /// [`Delivery::Partial`] to [`on_part`](Self::on_part) as they arrive. Overrides
    /// the session configuration's `text_delivery`.
    fn text_delivery(&self) -> Delivery {
        Delivery::Whole
    }

    /// How binary messages are delivered; as [`text_delivery`](Self::text_delivery).
    fn binary_delivery(&self) -> Delivery {
        Delivery::Whole
    }

    /// The connection is open; runs before any other callback.
    fn on_open(&mut self, session: &SessionHandle) -> impl Future<Output = ()> + Send {
        let _ = session;
        async {}
    }

    /// A whole message arrived (types with whole delivery).
    fn on_message(
        &mut self,
        session: &SessionHandle,
        message: Message,
    ) -> impl Future<Output = ()> + Send {
        let _ = (session, message);
        async {}
    }

    /// A part of a message arrived (types with partial delivery); `last` ends it.
    /// Text parts are whole UTF-8 characters.
    fn on_part(
        &mut self,
        session: &SessionHandle,
        kind: MessageKind,
        data: Bytes,
        last: bool,
    ) -> impl Future<Output = ()> + Send {
        let _ = (session, kind, data, last);
        async {}
    }

    /// A pong arrived (pings are answered automatically).
    fn on_pong(
        &mut self,
        session: &SessionHandle,
        payload: Bytes,
    ) -> impl Future<Output = ()> + Send {
        let _ = (session, payload);
        async {}
    }

    /// The connection failed: a protocol error (the mapped close code was sent), a
    /// timeout, or the transport ended without a close handshake.
    /// [`on_close`](Self::on_close) follows.
    fn on_error(
        &mut self,
        session: &SessionHandle,
        error: &Error,
    ) -> impl Future<Output = ()> + Send {
        let _ = (session, error);
        async {}
    }

    /// The connection is closed; called exactly once, and no callback follows.
    fn on_close(
        &mut self,
        session: &SessionHandle,
        info: &CloseInfo,
    ) -> impl Future<Output = ()> + Send {
        let _ = (session, info);
        async {}
    }
}

/// Feeds `events` to `endpoint` until the close.
pub(crate) async fn run<E: Endpoint>(
    mut endpoint: E,
    handle: SessionHandle,
    mut events: mpsc::Receiver<Event>,
) {
    endpoint.on_open(&handle).await;
    while let Some(event) = events.next().await {
        match event {
            Event::Message(m) => endpoint.on_message(&handle, m).await,
            Event::Part { kind, data, last } => endpoint.on_part(&handle, kind, data, last).await,
            Event::Pong(p) => endpoint.on_pong(&handle, p).await,
            Event::Closed(info) => {
                if !is_clean(&info) {
                    let error = Error::Abnormal(info.clone());
                    endpoint.on_error(&handle, &error).await;
                }
                endpoint.on_close(&handle, &info).await;
                return;
            }
            _ => {}
        }
    }
    // The driver always reports the close before it ends; stay total anyway.
    if let Some(info) = handle.close_info() {
        endpoint.on_close(&handle, &info).await;
    }
}
