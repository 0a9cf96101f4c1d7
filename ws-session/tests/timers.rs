//! Every timer fires at its deadline and not a tick before (manual clock).

mod common;

use std::time::{Duration, Instant};

use common::*;
use ws_session::{CloseCause, CloseCode, Event, Initiator, SessionConfig, State, TimeoutKind};

const TICK: Duration = Duration::from_nanos(1);

fn closed(ev: &[Event]) -> &ws_session::CloseInfo {
    match ev.last() {
        Some(Event::Closed(info)) => info,
        other => panic!("expected Closed, got {other:?}"),
    }
}

fn idle_case(
    cfg: SessionConfig,
    kind: TimeoutKind,
    activity: impl Fn(&mut ws_session::Session, Instant),
) {
    let t0 = Instant::now();
    let mut s = server(cfg, t0);
    // Activity at t0 + 3 s moves the deadline.
    let t3 = t0 + Duration::from_secs(3);
    activity(&mut s, t3);
    output(&mut s);
    events(&mut s);
    let deadline = t3 + Duration::from_secs(10);
    assert_eq!(s.poll_timeout(), Some(deadline));
    s.handle_timeout(deadline - TICK);
    assert_eq!(s.state(), State::Open, "{kind:?} fired early");
    assert!(events(&mut s).is_empty());
    s.handle_timeout(deadline);
    let wire = output(&mut s);
    assert_eq!(close_code(&wire[0]), Some(1001));
    let ev = events(&mut s);
    let info = closed(&ev);
    assert_eq!(
        (info.initiator, info.code),
        (Initiator::Local, CloseCode::ABNORMAL)
    );
    assert_eq!(info.cause, CloseCause::Timeout(kind));
}

#[test]
fn read_idle_timeout() {
    let cfg = SessionConfig::default().with_read_idle_timeout(Some(Duration::from_secs(10)));
    idle_case(cfg, TimeoutKind::ReadIdle, |s, t| {
        s.handle_input(t, &cframe(true, 2, b"x"))
    });
}

#[test]
fn write_idle_timeout() {
    let cfg = SessionConfig::default().with_write_idle_timeout(Some(Duration::from_secs(10)));
    idle_case(cfg, TimeoutKind::WriteIdle, |s, t| {
        s.send_text(t, "x").unwrap()
    });
}

#[test]
fn max_idle_fires_only_when_both_directions_are_idle() {
    let cfg = SessionConfig::default().with_max_idle_timeout(Some(Duration::from_secs(10)));
    // Read at t0+1 s, write at t0+3 s: the later one counts.
    idle_case(cfg, TimeoutKind::MaxIdle, |s, t| {
        s.handle_input(t - Duration::from_secs(2), &cframe(true, 2, b"x"));
        s.send_text(t, "y").unwrap();
    });
}

#[test]
fn control_frames_do_not_reset_read_idle() {
    let t0 = Instant::now();
    let cfg = SessionConfig::default().with_read_idle_timeout(Some(Duration::from_secs(10)));
    let mut s = server(cfg, t0);
    s.handle_input(t0 + Duration::from_secs(5), &cframe(true, 9, b""));
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(10)));
}

#[test]
fn session_close_timeout() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    let t1 = t0 + ms(7);
    s.close(t1, CloseCode::NORMAL, "").unwrap();
    output(&mut s);
    let deadline = t1 + Duration::from_secs(30);
    assert_eq!(s.poll_timeout(), Some(deadline));
    s.handle_timeout(deadline - TICK);
    assert_eq!(s.state(), State::Closing);
    s.handle_timeout(deadline);
    let ev = events(&mut s);
    let info = closed(&ev);
    assert_eq!(info.code, CloseCode::ABNORMAL);
    assert_eq!(info.cause, CloseCause::Timeout(TimeoutKind::SessionClose));
    assert!(s.is_finished());
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn abnormal_close_must_be_written_in_time() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    s.send_binary(t0, vec![0u8; 100_000]).unwrap(); // a slow peer: nothing written
    s.close(t0, CloseCode::POLICY_VIOLATION, "slow").unwrap();
    assert_eq!(s.poll_timeout(), Some(t0 + ms(50)));
    s.handle_timeout(t0 + ms(50) - TICK);
    assert_eq!(s.state(), State::Closing);
    s.handle_timeout(t0 + ms(50));
    let ev = events(&mut s);
    assert_eq!(
        closed(&ev).cause,
        CloseCause::Timeout(TimeoutKind::AbnormalCloseSend)
    );
    assert_eq!(s.pending_transmit(), 0, "the queue is abandoned");
    assert!(s.is_finished());
}

#[test]
fn abnormal_close_written_in_time_then_waits_for_the_peer() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    s.close(t0, CloseCode::POLICY_VIOLATION, "").unwrap();
    output(&mut s); // flushed at once
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(30)));
    s.handle_timeout(t0 + ms(50));
    assert_eq!(s.state(), State::Closing);
}

#[test]
fn a_normal_close_has_no_flush_deadline() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    s.close(t0, CloseCode::NORMAL, "").unwrap();
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(30)));
}

#[test]
fn failure_close_flush_deadline() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    s.handle_input(t0, &frame(true, 0, 1, b"x", false));
    // The failure takes effect when the events are taken (none came before it);
    // its flush deadline counts from the input that held the violation.
    assert_eq!(events(&mut s).len(), 1, "one Closed event only");
    assert_eq!(s.state(), State::Closed);
    assert_eq!(s.poll_timeout(), Some(t0 + ms(50)));
    s.handle_timeout(t0 + ms(50) - TICK);
    assert!(s.pending_transmit() > 0);
    s.handle_timeout(t0 + ms(50));
    assert_eq!(s.pending_transmit(), 0);
    assert!(s.is_finished());
    assert!(events(&mut s).is_empty(), "one Closed event only");
}

#[test]
fn no_timers_by_default() {
    let t0 = Instant::now();
    let s = server(SessionConfig::default(), t0);
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn equal_deadlines_are_not_lost() {
    // Tomcat lost timeouts whose deadlines compared equal in an ordered set.
    let t0 = Instant::now();
    let ten = Some(Duration::from_secs(10));
    let cfg = SessionConfig::default()
        .with_read_idle_timeout(ten)
        .with_write_idle_timeout(ten)
        .with_max_idle_timeout(ten);
    let mut s = server(cfg, t0);
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(10)));
    s.handle_timeout(t0 + Duration::from_secs(10));
    let ev = events(&mut s);
    assert_eq!(ev.len(), 1);
    assert_eq!(
        closed(&ev).cause,
        CloseCause::Timeout(TimeoutKind::ReadIdle)
    );

    // Close-send and close-handshake deadlines at the same instant.
    let cfg = SessionConfig::default()
        .with_session_close_timeout(ms(50))
        .with_abnormal_close_send_timeout(ms(50));
    let mut s = server(cfg, t0);
    s.close(t0, CloseCode::POLICY_VIOLATION, "").unwrap();
    assert_eq!(s.poll_timeout(), Some(t0 + ms(50)));
    s.handle_timeout(t0 + ms(50));
    assert!(s.is_finished());
    assert_eq!(events(&mut s).len(), 1);
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn late_timeout_calls_fire_once() {
    let t0 = Instant::now();
    let cfg = SessionConfig::default().with_read_idle_timeout(Some(Duration::from_secs(1)));
    let mut s = server(cfg, t0);
    s.handle_timeout(t0 + Duration::from_secs(100));
    s.handle_timeout(t0 + Duration::from_secs(200));
    assert_eq!(events(&mut s).len(), 1);
}

#[test]
fn idle_timeouts_change_on_a_live_session() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    assert_eq!(s.poll_timeout(), None);
    // Turned on: counts from the last activity (the start here).
    s.set_idle_timeouts(t0, None, None, Some(Duration::from_secs(30)));
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(30)));
    assert_eq!(s.config().max_idle_timeout, Some(Duration::from_secs(30)));
    // Shortened below the time already idle: fires at the next timeout call.
    let t20 = t0 + Duration::from_secs(20);
    s.set_idle_timeouts(t20, Some(Duration::from_secs(10)), None, None);
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(10)));
    // Turned off again: nothing fires.
    s.set_idle_timeouts(t20, None, None, None);
    assert_eq!(s.poll_timeout(), None);
    s.handle_timeout(t20);
    assert_eq!(s.state(), State::Open);
    // On again, already expired: closes with 1001 at once.
    s.set_idle_timeouts(t20, Some(Duration::from_secs(10)), None, None);
    s.handle_timeout(t20);
    let wire = output(&mut s);
    assert_eq!(close_code(&wire[0]), Some(1001));
    let ev = events(&mut s);
    assert_eq!(
        closed(&ev).cause,
        CloseCause::Timeout(TimeoutKind::ReadIdle)
    );
}

#[test]
fn a_send_without_its_time_counts_from_when_a_write_timeout_is_set() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    // Nothing reads send times: a front-end may pass an older instant.
    assert!(!s.send_reads_time());
    let t50 = t0 + Duration::from_secs(50);
    s.send_text(t0, "sent at t50, passed as t0").unwrap();
    let _ = output(&mut s);
    // A write timeout set at t50 counts that send as made at t50, not at t0.
    s.set_idle_timeouts(t50, None, Some(Duration::from_secs(10)), None);
    assert!(s.send_reads_time());
    assert_eq!(s.poll_timeout(), Some(t50 + Duration::from_secs(10)));
    // From now on each send's time is read.
    let t55 = t0 + Duration::from_secs(55);
    s.send_text(t55, "timed").unwrap();
    assert_eq!(s.poll_timeout(), Some(t55 + Duration::from_secs(10)));
}

#[test]
fn without_untimed_sends_a_write_timeout_counts_from_the_last_send() {
    let t0 = Instant::now();
    let cfg = SessionConfig::default().with_max_idle_timeout(Some(Duration::from_secs(60)));
    let mut s = server(cfg, t0);
    assert!(s.send_reads_time());
    let t5 = t0 + Duration::from_secs(5);
    s.send_text(t5, "timed").unwrap();
    // Shortened at t50: the last send's time was kept, so it fires at t15.
    s.set_idle_timeouts(
        t0 + Duration::from_secs(50),
        None,
        Some(Duration::from_secs(10)),
        None,
    );
    assert_eq!(s.poll_timeout(), Some(t5 + Duration::from_secs(10)));
}
