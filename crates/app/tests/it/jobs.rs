//! The durable job queue as the application uses it: periodic tasks are queued once per
//! period (the SLA sweep every 30 s, the session purge every ten minutes, the audit checkpoint
//! every hour, the purges of old registry records and text codes every day) and the
//! session purge removes expired sessions.

use reqwest::StatusCode;
use wushe_app::jobs;
use wushe_core::{Clock, Role};

use crate::harness::*;

#[tokio::test]
async fn the_periodic_session_purge_is_queued_once_and_removes_expired_sessions() {
    let app = TestApp::spawn().await;
    let _stale = app.login_as(Role::SocialWorker, QIAOYI).await;
    let _stale_too = app.login_as(Role::Volunteer, QIAOYI).await;
    app.clock.advance(time::Duration::minutes(45));
    let mut fresh = app.login_as(Role::SocialWorker, QIAOYI).await;
    jobs::enqueue_periodic(&app.state).await.expect("enqueue");
    jobs::enqueue_periodic(&app.state)
        .await
        .expect("enqueue again");
    assert_eq!(
        jobs::drain(&app.state).await.expect("drain"),
        6,
        "one SLA sweep, one offer sweep, one session purge, one audit checkpoint, one registry \
         purge and one purge of old text codes per period"
    );
    assert_eq!(
        jobs::drain(&app.state).await.expect("drain"),
        0,
        "nothing left"
    );
    let now = app.clock.now();
    let left = app
        .state
        .store
        .purge_sessions(
            now - app.state.sessions.idle,
            now - app.state.sessions.absolute,
        )
        .await
        .expect("purge");
    assert_eq!(left, 0, "the job already removed both idle sessions");
    assert_eq!(
        fresh.get("/").await.status(),
        StatusCode::OK,
        "a live session survives the purge"
    );
    // Ten minutes later the next period queues the purge again (and the checkpoint only if
    // the clock crossed into a new hour).
    let hour = |t: time::OffsetDateTime| t.unix_timestamp() / 3600;
    let day = |t: time::OffsetDateTime| t.unix_timestamp() / 86_400;
    let before = app.clock.now();
    app.clock.advance(time::Duration::minutes(10));
    let new_hour = usize::from(hour(before) != hour(app.clock.now()));
    let new_day = usize::from(day(before) != day(app.clock.now()));
    jobs::enqueue_periodic(&app.state).await.expect("enqueue");
    assert_eq!(
        jobs::drain(&app.state).await.expect("drain"),
        3 + new_hour + 2 * new_day,
        "the two sweeps and the session purge, and what a new hour (the checkpoint) or day (the \
         two purges) adds"
    );
}
