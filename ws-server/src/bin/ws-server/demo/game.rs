//! The snake game's state, free of I/O: snakes on a wrapping grid, steering,
//! one step per tick, collisions, and the JSON state the pages draw.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write;

/// Grid width in cells (the page draws 10 px cells on a 640 x 480 canvas).
pub const WIDTH: i32 = 64;
/// Grid height in cells.
pub const HEIGHT: i32 = 48;
/// Length of a new (or respawned) snake.
pub const INITIAL_LENGTH: usize = 5;

/// A heading on the grid; `y` grows southwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Up.
    North,
    /// Down.
    South,
    /// Right.
    East,
    /// Left.
    West,
}

impl Direction {
    /// The direction named by a client message (`north`, `south`, `east`, `west`).
    pub fn parse(s: &str) -> Option<Direction> {
        match s.trim() {
            "north" => Some(Direction::North),
            "south" => Some(Direction::South),
            "east" => Some(Direction::East),
            "west" => Some(Direction::West),
            _ => None,
        }
    }

    fn delta(self) -> (i32, i32) {
        match self {
            Direction::North => (0, -1),
            Direction::South => (0, 1),
            Direction::East => (1, 0),
            Direction::West => (-1, 0),
        }
    }

    fn opposite(self) -> Direction {
        match self {
            Direction::North => Direction::South,
            Direction::South => Direction::North,
            Direction::East => Direction::West,
            Direction::West => Direction::East,
        }
    }
}

/// A cell of the grid.
pub type Cell = (i32, i32);

/// One player's snake.
#[derive(Clone, Debug)]
pub struct Snake {
    /// CSS colour, derived from the player id.
    pub color: String,
    /// Heading for the next step.
    pub direction: Direction,
    /// Heading of the last step (a snake cannot reverse onto itself).
    moved: Direction,
    /// Cells, head first.
    pub body: VecDeque<Cell>,
    /// Length the body grows to.
    pub length: usize,
    /// Snakes that died running into this one.
    pub kills: u32,
    /// Times this snake died.
    pub deaths: u32,
}

/// What a tick did to a snake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The snake ran into another snake's body, its own, or met a head head-on, and
    /// respawned; `by` is the snake it ran into (none for itself).
    Died {
        /// The dead snake.
        id: u64,
        /// The snake it ran into.
        by: Option<u64>,
    },
}

/// The board: every snake by player id.
#[derive(Debug, Default)]
pub struct Game {
    snakes: BTreeMap<u64, Snake>,
    /// Ticks played.
    pub tick: u64,
}

fn spawn_cell(id: u64, deaths: u32) -> Cell {
    let n = id.wrapping_add(u64::from(deaths) * 7);
    // In u64 first: player ids are large (see snake.rs), a cast would wrap.
    let x = n.wrapping_mul(17).wrapping_add(5) % WIDTH as u64;
    let y = n.wrapping_mul(11).wrapping_add(7) % HEIGHT as u64;
    (x as i32, y as i32)
}

impl Game {
    /// Adds a snake for player `id` at a position derived from the id.
    pub fn add(&mut self, id: u64) {
        let color = format!("hsl({}, 75%, 50%)", id.wrapping_mul(137) % 360);
        let mut body = VecDeque::new();
        body.push_back(spawn_cell(id, 0));
        self.snakes.insert(
            id,
            Snake {
                color,
                direction: Direction::East,
                moved: Direction::East,
                body,
                length: INITIAL_LENGTH,
                kills: 0,
                deaths: 0,
            },
        );
    }

    /// Removes player `id`'s snake (left, dead connection or too slow).
    pub fn remove(&mut self, id: u64) -> bool {
        self.snakes.remove(&id).is_some()
    }

    /// Players on the board.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.snakes.len()
    }

    /// A snake, by player id.
    #[cfg(test)]
    pub fn snake(&self, id: u64) -> Option<&Snake> {
        self.snakes.get(&id)
    }

    /// Turns a snake for its next step; turning back onto itself is ignored.
    pub fn steer(&mut self, id: u64, direction: Direction) {
        if let Some(s) = self.snakes.get_mut(&id) {
            if direction != s.moved.opposite() {
                s.direction = direction;
            }
        }
    }

    /// One step: every snake moves one cell (wrapping at the edges) and grows to its
    /// length; then collisions: a head on another snake's cell kills the snake that
    /// moved into it (the other one scores and grows by one), heads meeting kill
    /// both, a head on its own body kills it. Dead snakes respawn at length
    /// [`INITIAL_LENGTH`].
    pub fn step(&mut self) -> Vec<Outcome> {
        self.tick += 1;
        for s in self.snakes.values_mut() {
            let (dx, dy) = s.direction.delta();
            let (x, y) = s.body[0];
            s.body
                .push_front(((x + dx).rem_euclid(WIDTH), (y + dy).rem_euclid(HEIGHT)));
            s.moved = s.direction;
            s.body.truncate(s.length);
        }
        let mut outcomes = Vec::new();
        for (&id, s) in &self.snakes {
            let head = s.body[0];
            if s.body.iter().skip(1).any(|&c| c == head) {
                outcomes.push(Outcome::Died { id, by: None });
                continue;
            }
            let hit = self
                .snakes
                .iter()
                .find(|&(&other, o)| other != id && o.body.contains(&head));
            if let Some((&other, _)) = hit {
                outcomes.push(Outcome::Died {
                    id,
                    by: Some(other),
                });
            }
        }
        for outcome in &outcomes {
            let Outcome::Died { id, by } = *outcome;
            if let Some(s) = self.snakes.get_mut(&id) {
                s.deaths += 1;
                s.length = INITIAL_LENGTH;
                s.body.clear();
                s.body.push_back(spawn_cell(id, s.deaths));
            }
            let Some(by) = by else { continue };
            // Two snakes that ran into each other both die and neither scores.
            let mutual = outcomes.contains(&Outcome::Died {
                id: by,
                by: Some(id),
            });
            if !mutual {
                if let Some(k) = self.snakes.get_mut(&by) {
                    k.kills += 1;
                    k.length += 1;
                }
            }
        }
        outcomes
    }

    /// The board as JSON:
    /// `{"type":"state","tick":N,"width":W,"height":H,"snakes":[{"id":..,"color":..,
    /// "kills":..,"deaths":..,"body":[[x,y],...]},...]}`.
    pub fn to_json(&self) -> String {
        let mut out = format!(
            r#"{{"type":"state","tick":{},"width":{WIDTH},"height":{HEIGHT},"snakes":["#,
            self.tick
        );
        for (i, (id, s)) in self.snakes.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                r#"{{"id":{id},"color":"{}","kills":{},"deaths":{},"body":["#,
                s.color, s.kills, s.deaths
            );
            for (j, (x, y)) in s.body.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                let _ = write!(out, "[{x},{y}]");
            }
            out.push_str("]}");
        }
        out.push_str("]}");
        out
    }

    #[cfg(test)]
    fn place(&mut self, id: u64, body: &[Cell], direction: Direction) {
        let s = self.snakes.get_mut(&id).expect("snake exists");
        s.body = body.iter().copied().collect();
        s.length = body.len();
        s.direction = direction;
        s.moved = direction;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_snake_grows_to_its_length_moving_east() {
        let mut g = Game::default();
        g.add(1);
        let start = g.snake(1).unwrap().body[0];
        for _ in 0..10 {
            assert!(g.step().is_empty());
        }
        let s = g.snake(1).unwrap();
        assert_eq!(s.body.len(), INITIAL_LENGTH);
        assert_eq!(s.body[0], ((start.0 + 10) % WIDTH, start.1));
        assert_eq!(g.tick, 10);
    }

    #[test]
    fn snakes_wrap_around_the_edges() {
        let mut g = Game::default();
        g.add(1);
        g.place(1, &[(0, 0)], Direction::West);
        g.step();
        assert_eq!(g.snake(1).unwrap().body[0], (WIDTH - 1, 0));
        g.steer(1, Direction::North);
        g.step();
        assert_eq!(g.snake(1).unwrap().body[0], (WIDTH - 1, HEIGHT - 1));
    }

    #[test]
    fn steering_back_onto_itself_is_ignored() {
        let mut g = Game::default();
        g.add(1);
        g.place(1, &[(5, 5), (4, 5)], Direction::East);
        g.steer(1, Direction::West);
        g.step();
        assert_eq!(g.snake(1).unwrap().body[0], (6, 5));
        g.steer(1, Direction::South);
        g.step();
        assert_eq!(g.snake(1).unwrap().body[0], (6, 6));
    }

    #[test]
    fn running_into_a_body_kills_the_runner_and_scores_for_the_other() {
        let mut g = Game::default();
        g.add(1);
        g.add(2);
        // Snake 2 lies across column 10; snake 1 heads east into it.
        g.place(2, &[(10, 3), (10, 4), (10, 5), (10, 6)], Direction::North);
        g.place(1, &[(9, 5), (8, 5)], Direction::East);
        let outcomes = g.step();
        assert_eq!(outcomes, [Outcome::Died { id: 1, by: Some(2) }]);
        let (one, two) = (g.snake(1).unwrap(), g.snake(2).unwrap());
        assert_eq!(
            (one.deaths, one.length, one.body.len()),
            (1, INITIAL_LENGTH, 1)
        );
        assert_eq!((two.kills, two.length), (1, 5));
    }

    #[test]
    fn heads_meeting_kill_both_without_score() {
        let mut g = Game::default();
        g.add(1);
        g.add(2);
        g.place(1, &[(10, 10), (9, 10)], Direction::East);
        g.place(2, &[(12, 10), (13, 10)], Direction::West);
        let mut outcomes = g.step();
        outcomes.sort_by_key(|Outcome::Died { id, .. }| *id);
        assert_eq!(
            outcomes,
            [
                Outcome::Died { id: 1, by: Some(2) },
                Outcome::Died { id: 2, by: Some(1) }
            ]
        );
        assert_eq!(g.snake(1).unwrap().kills + g.snake(2).unwrap().kills, 0);
    }

    #[test]
    fn running_into_itself_kills() {
        let mut g = Game::default();
        g.add(1);
        // A coiled snake: head at (5,5) moving south into (5,6), which is its body.
        g.place(
            1,
            &[(5, 5), (6, 5), (6, 6), (5, 6), (4, 6)],
            Direction::South,
        );
        assert_eq!(g.step(), [Outcome::Died { id: 1, by: None }]);
    }

    #[test]
    fn removed_snakes_leave_the_board() {
        let mut g = Game::default();
        g.add(1);
        g.add(2);
        assert!(g.remove(1));
        assert!(!g.remove(1));
        assert_eq!(g.len(), 1);
        assert!(!g.to_json().contains(r#""id":1,"#));
    }

    #[test]
    fn json_state_lists_every_snake() {
        let mut g = Game::default();
        g.add(3);
        g.place(3, &[(1, 2), (0, 2)], Direction::East);
        assert_eq!(
            g.to_json(),
            r#"{"type":"state","tick":0,"width":64,"height":48,"snakes":[{"id":3,"color":"hsl(51, 75%, 50%)","kills":0,"deaths":0,"body":[[1,2],[0,2]]}]}"#
        );
    }

    #[test]
    fn directions_parse_from_client_messages() {
        assert_eq!(Direction::parse("north"), Some(Direction::North));
        assert_eq!(Direction::parse(" west\n"), Some(Direction::West));
        assert_eq!(Direction::parse("up"), None);
    }
}
