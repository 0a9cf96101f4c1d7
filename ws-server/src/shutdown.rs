//! Graceful shutdown ([`Server::shutdown`]): stop accepting, refuse new handshakes
//! (503), 1001 to every session, wait for the close handshakes up to a grace
//! period, then drop what remains.

use std::time::Duration;

use ws_frame::CloseCode;

use crate::server::Server;

impl Server {
    /// Graceful shutdown: stops accepting, refuses new handshakes (503), sends 1001
    /// to every session, waits up to `grace` for the sessions to finish their close
    /// handshakes, then drops the connections that remain.
    pub async fn shutdown(&self, grace: Duration) {
        let _ = self.inner.stop.send_replace(true);
        let sessions = self.open_sessions();
        tracing::info!(sessions = sessions.len(), "shutting down");
        for s in &sessions {
            let _ = s.close(CloseCode::GOING_AWAY, "server shutting down");
        }
        let connections = &self.inner.connections;
        let deadline = tokio::time::Instant::now() + grace;
        if !connections.wait_none(deadline).await {
            let left = self.open_sessions();
            tracing::info!(
                sessions = left.len(),
                "grace period over: dropping connections"
            );
            for s in left {
                s.terminate();
            }
            let _ = connections
                .wait_none(tokio::time::Instant::now() + Duration::from_secs(1))
                .await;
        }
    }
}
