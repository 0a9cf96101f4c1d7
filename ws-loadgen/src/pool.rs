//! Opening many connections with bounded concurrency, and waiting on connection
//! tasks while watching for the first failure.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::conn::Conn;
use crate::error::LoadError;
use crate::target::Target;
use crate::wire::Wires;

/// Handshakes in progress at once (keeps the server's accept backlog from
/// overflowing).
pub const OPEN_CONCURRENCY: usize = 200;

/// Opens `count` connections, [`OPEN_CONCURRENCY`] at a time, in index order (with
/// `deflate`, each offers permessage-deflate and requires it). Fails with the first
/// error (the connections already open are dropped).
pub async fn open_all(
    target: &Target,
    wires: &Arc<Wires>,
    count: usize,
    deflate: bool,
) -> Result<Vec<Conn>, LoadError> {
    let permits = Arc::new(Semaphore::new(OPEN_CONCURRENCY));
    let mut tasks = JoinSet::new();
    for index in 0..count {
        let (target, wires, permits) = (target.clone(), wires.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .map_err(|e| LoadError::Task(e.to_string()))?;
            let conn = Conn::open(&target, &wires, index as u64, deflate).await?;
            Ok::<_, LoadError>((index, conn))
        });
    }
    let mut conns = Vec::with_capacity(count);
    while let Some(result) = tasks.join_next().await {
        conns.push(result.map_err(|e| LoadError::Task(e.to_string()))??);
    }
    conns.sort_by_key(|(index, _)| *index);
    Ok(conns.into_iter().map(|(_, conn)| conn).collect())
}

/// Waits until `until`, returning early with the error of the first task that fails
/// (after calling `stop` and aborting the others). Tasks that end successfully before
/// `until` are simply collected.
pub async fn wait_or_fail<T: Send + 'static>(
    tasks: &mut JoinSet<Result<T, LoadError>>,
    until: Instant,
    stop: &impl Fn(),
) -> Result<(), LoadError> {
    let deadline = tokio::time::sleep_until(until.into());
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => return Ok(()),
            Some(result) = tasks.join_next(), if !tasks.is_empty() => {
                let failure = match result {
                    Ok(Ok(_)) => continue,
                    Ok(Err(e)) => e,
                    Err(e) => LoadError::Task(e.to_string()),
                };
                stop();
                tasks.abort_all();
                return Err(failure);
            }
        }
    }
}
