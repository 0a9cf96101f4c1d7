//! The snake game (`/snake`): every 100 ms a tick moves the snakes and the board
//! goes as JSON to every player; players steer with `north`/`south`/`east`/`west`
//! text messages (the page sends them for the arrow keys).
//!
//! # One game across servers
//!
//! The board is the topic [`STATE`]: every player's session subscribes to it, and
//! with a broker (`--broker`) players on different servers play in one game. One
//! server, the host, runs the game: each server says `hello` on the topic
//! [`CONTROL`] every tick, and the host is the server with the smallest topics node
//! id heard in the last [`NODE_TIMEOUT`] (alone, a server hosts itself). Servers
//! send their players' joins, steering and departures to the host on [`CONTROL`];
//! when the host changes (it stopped, or one with a smaller id appeared) every
//! server sends the joins of its players again, so the new host's game has
//! everyone (scores start over); the host removes the snakes of a server it no
//! longer hears.
//!
//! A slow player gets the newest board only: the board topic keeps one waiting
//! state per player ([`SlowConsumer::DropOldest`] with `keep: 1`), so nobody is
//! slowed down and nobody's memory grows. (Tomcat's snake closes a player whose
//! send misses its 100 ms; a board is a snapshot, so a newer one replaces an older
//! one here instead.)

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ws_server::{CloseInfo, Endpoint, Message, SessionHandle, SlowConsumer, Topics};

use super::game::{Direction, Game};

/// Time between ticks.
pub const TICK: Duration = Duration::from_millis(100);
/// The board topic.
pub const STATE: &str = "snake/state";
/// The topic the servers coordinate on.
pub const CONTROL: &str = "snake/control";
/// A server not heard for this long is gone.
pub const NODE_TIMEOUT: Duration = Duration::from_secs(1);

/// Sets the board's slow-consumer policy.
pub fn configure(topics: &Topics) {
    topics.set_policy(
        STATE,
        SlowConsumer::DropOldest {
            keep: 1,
            notice: None,
        },
    );
}

/// What a server knows.
struct Node {
    topics: Topics,
    /// Player ids are `tag * 1,000,000 + session id`: unique across servers and
    /// exact in JavaScript numbers.
    tag: u64,
    /// This server's players: id -> session.
    players: Mutex<HashMap<u64, SessionHandle>>,
    /// The coordination task is running.
    started: AtomicBool,
}

/// The snake endpoint.
pub struct Snake {
    node: Arc<Node>,
}

impl Snake {
    /// The game of the server with these topics.
    pub fn new(topics: Topics) -> Snake {
        let tag = topics.node_id() % 9_000_000 + 1_000_000;
        Snake {
            node: Arc::new(Node {
                topics,
                tag,
                players: Mutex::new(HashMap::new()),
                started: AtomicBool::new(false),
            }),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Node {
    async fn control(&self, line: String) {
        self.topics.publish(CONTROL, line).await;
    }

    /// The joins of this server's players, sent again to a (new) host.
    async fn rejoin(&self) {
        let ids: Vec<u64> = lock(&self.players).keys().copied().collect();
        for id in ids {
            self.control(format!("join {} {id}", self.topics.node_id()))
                .await;
        }
    }
}

impl Endpoint for Snake {
    /// The player's id.
    type State = u64;

    async fn on_open(&self, session: &SessionHandle) -> u64 {
        let node = &self.node;
        let id = node.tag * 1_000_000 + session.id();
        lock(&node.players).insert(id, session.clone());
        let _ = session.subscribe(STATE);
        let _ = session
            .send_text(format!(r#"{{"type":"join","id":{id}}}"#))
            .await;
        if !node.started.swap(true, Ordering::AcqRel) {
            tokio::spawn(coordinate(Arc::clone(node)));
        }
        node.control(format!("join {} {id}", node.topics.node_id()))
            .await;
        id
    }

    async fn on_message(&self, id: &mut u64, _: &SessionHandle, message: Message) {
        if let Message::Text(text) = message {
            if let Some(direction) = Direction::parse(&text) {
                let name = direction_name(direction);
                self.node.control(format!("steer {id} {name}")).await;
            }
        }
    }

    async fn on_close(&self, id: &mut u64, _: &SessionHandle, _close: &CloseInfo) {
        lock(&self.node.players).remove(id);
        self.node.control(format!("leave {id}")).await;
    }
}

fn direction_name(d: Direction) -> &'static str {
    match d {
        Direction::North => "north",
        Direction::South => "south",
        Direction::East => "east",
        Direction::West => "west",
    }
}

/// The game as the host runs it: the board and each player's server.
#[derive(Default)]
struct Hosted {
    game: Game,
    owners: HashMap<u64, u64>,
}

/// What the coordination task keeps.
struct Coordinator {
    node: Arc<Node>,
    /// Servers heard, with when.
    heard: HashMap<u64, Instant>,
    host: Option<u64>,
    hosted: Option<Hosted>,
}

impl Coordinator {
    /// One line from [`CONTROL`].
    fn handle(&mut self, line: &str) {
        let mut words = line.split(' ');
        let verb = words.next().unwrap_or("");
        let mut number = || words.next().and_then(|w| w.parse::<u64>().ok());
        match verb {
            "hello" => {
                if let Some(n) = number() {
                    self.heard.insert(n, Instant::now());
                }
            }
            "join" => {
                if let (Some(owner), Some(id), Some(h)) = (number(), number(), &mut self.hosted) {
                    if h.owners.insert(id, owner).is_none() {
                        h.game.add(id);
                    }
                }
            }
            "leave" => {
                if let (Some(id), Some(h)) = (number(), &mut self.hosted) {
                    h.owners.remove(&id);
                    h.game.remove(id);
                }
            }
            "steer" => {
                let id = number();
                let direction = words.next().and_then(Direction::parse);
                if let (Some(id), Some(d), Some(h)) = (id, direction, &mut self.hosted) {
                    h.game.steer(id, d);
                }
            }
            _ => {}
        }
    }

    /// One tick: say hello, pick the host, and if it is us, step the game.
    async fn tick(&mut self) {
        let me = self.node.topics.node_id();
        self.node.control(format!("hello {me}")).await;
        let now = Instant::now();
        self.heard
            .retain(|_, at| now.duration_since(*at) < NODE_TIMEOUT);
        self.heard.insert(me, now);
        let host = self.heard.keys().min().copied();
        if host != self.host {
            tracing::info!(host, me, "snake: host changed");
            self.host = host;
            self.hosted = (host == Some(me)).then(Hosted::default);
            self.node.rejoin().await;
        }
        let Some(hosted) = &mut self.hosted else {
            return;
        };
        let heard = &self.heard;
        let gone: Vec<u64> = hosted
            .owners
            .iter()
            .filter(|(_, owner)| !heard.contains_key(owner))
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            hosted.owners.remove(&id);
            hosted.game.remove(id);
        }
        if hosted.owners.is_empty() {
            return;
        }
        hosted.game.step();
        let json = hosted.game.to_json();
        self.node.topics.publish(STATE, json).await;
    }
}

/// The server's part in the game, from its first player on: hello and host
/// election every tick, the game when it hosts.
async fn coordinate(node: Arc<Node>) {
    let mut control = node.topics.listen(CONTROL, 4096);
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut c = Coordinator {
        node,
        heard: HashMap::new(),
        host: None,
        hosted: None,
    };
    loop {
        tokio::select! {
            _ = interval.tick() => c.tick().await,
            message = control.recv() => match message {
                Some(Message::Text(line)) => c.handle(&line),
                Some(_) => {}
                None => return,
            },
        }
    }
}
