//! The snake game (`/snake`): every 100 ms a tick moves the snakes and broadcasts
//! the board as JSON to every player; players steer with `north`/`south`/`east`/
//! `west` text messages (the page sends them for the arrow keys).
//!
//! Each tick's state is sent to every player with a flushed (blocking) send of at
//! most [`SEND_TIMEOUT`] (Tomcat's snake sets `BLOCKING_SEND_TIMEOUT` to 100 ms per
//! session). A player whose send does not complete in time is removed from the game
//! and its session closed with 1001; a dead connection fails the send and is removed
//! the same way. Sends to all players run concurrently, so one slow player delays a
//! tick by at most [`SEND_TIMEOUT`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::future::join_all;
use ws_server::{CloseCode, CloseInfo, Endpoint, Message, SessionHandle};

use super::game::{Direction, Game};

/// Time between ticks.
pub const TICK: Duration = Duration::from_millis(100);
/// How long one player's state update may take to be written.
pub const SEND_TIMEOUT: Duration = Duration::from_millis(100);

#[derive(Default)]
struct Board {
    game: Game,
    players: HashMap<u64, SessionHandle>,
    /// A ticker task is running (it stops when the last player leaves).
    running: bool,
}

/// The snake endpoint: one board for everyone connected to it.
#[derive(Default)]
pub struct Snake {
    state: Arc<Mutex<Board>>,
}

fn lock(state: &Mutex<Board>) -> MutexGuard<'_, Board> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

impl Endpoint for Snake {
    type State = ();

    async fn on_open(&self, session: &SessionHandle) {
        let id = session.id();
        let start = {
            let mut st = lock(&self.state);
            st.game.add(id);
            st.players.insert(id, session.clone());
            !std::mem::replace(&mut st.running, true)
        };
        let _ = session
            .send_text(format!(r#"{{"type":"join","id":{id}}}"#))
            .await;
        if start {
            tokio::spawn(ticker(Arc::clone(&self.state)));
        }
    }

    async fn on_message(&self, _: &mut (), session: &SessionHandle, message: Message) {
        if let Message::Text(text) = message {
            if let Some(direction) = Direction::parse(&text) {
                lock(&self.state).game.steer(session.id(), direction);
            }
        }
    }

    async fn on_close(&self, _: &mut (), session: &SessionHandle, _close: &CloseInfo) {
        let mut st = lock(&self.state);
        st.game.remove(session.id());
        st.players.remove(&session.id());
    }
}

/// Ticks until no player is left.
async fn ticker(state: Arc<Mutex<Board>>) {
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let (json, players) = {
            let mut st = lock(&state);
            if st.players.is_empty() {
                st.running = false;
                return;
            }
            st.game.step();
            let players: Vec<SessionHandle> = st.players.values().cloned().collect();
            (st.game.to_json(), players)
        };
        let sends = players.iter().map(|p| {
            let message = Message::Text(json.clone());
            async move { tokio::time::timeout(SEND_TIMEOUT, p.send_flushed(message)).await }
        });
        let results = join_all(sends).await;
        for (player, result) in players.iter().zip(results) {
            let too_slow = match result {
                Ok(Ok(())) => continue,
                Ok(Err(_)) => false,
                Err(_elapsed) => true,
            };
            {
                let mut st = lock(&state);
                st.game.remove(player.id());
                st.players.remove(&player.id());
            }
            if too_slow {
                tracing::debug!(id = player.id(), "snake: player too slow, removed");
                let _ = player.close(CloseCode::GOING_AWAY, "too slow");
            }
        }
    }
}
