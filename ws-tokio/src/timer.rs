//! [`Timer`]: one resettable tokio sleep for a session's next deadline, allocated
//! only once a deadline exists (a session without timeouts carries no timer).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

/// The session's timer: armed for the earliest deadline, re-armed when it moves.
#[derive(Debug, Default)]
pub(crate) struct Timer {
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    armed: Option<Instant>,
}

impl Timer {
    /// Arms the timer for `deadline` (or disarms it with `None`) and polls it: ready
    /// once the deadline has passed. The waker is registered while it is pending.
    pub(crate) fn poll(&mut self, deadline: Option<Instant>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(deadline) = deadline else {
            self.armed = None;
            return Poll::Pending;
        };
        let at = tokio::time::Instant::from_std(deadline);
        match &mut self.sleep {
            Some(sleep) if self.armed == Some(deadline) => sleep.as_mut().poll(cx),
            Some(sleep) => {
                sleep.as_mut().reset(at);
                self.armed = Some(deadline);
                sleep.as_mut().poll(cx)
            }
            None => {
                let sleep = self.sleep.insert(Box::pin(tokio::time::sleep_until(at)));
                self.armed = Some(deadline);
                sleep.as_mut().poll(cx)
            }
        }
    }
}
