//! The durable job worker: claims due jobs from the store and runs their handlers; periodic
//! tasks only enqueue. Tests call [`drain`] instead of running the loop.

mod handlers;

use std::time::Duration;

use tokio::sync::watch;
use wushe_core::jobs::{NewJob, retry_delay};

use crate::AppState;

/// How long a claimed job is leased before another worker may take it.
const LEASE: time::Duration = time::Duration::minutes(5);

/// Run due jobs until none is left; returns how many ran.
pub async fn drain(state: &AppState) -> wushe_core::Result<usize> {
    let mut n = 0;
    while run_one(state).await? {
        n += 1;
    }
    Ok(n)
}

/// Queue the periodic tasks whose time has come (each at most once per period): the SLA
/// sweep every 30 seconds, the sweep of task offers nobody answered every 10 seconds, the session purge every ten minutes, the audit checkpoint every
/// hour, the purges of registry records and of old text codes past their retention once a day.
pub async fn enqueue_periodic(state: &AppState) -> wushe_core::Result<()> {
    let now = state.clock.now();
    for (kind, period) in [
        (handlers::SLA_SWEEP, 30),
        (handlers::DISPATCH_SWEEP, 10),
        (handlers::PURGE_SESSIONS, 600),
        (handlers::AUDIT_CHECKPOINT, 3600),
        (handlers::PURGE_PEOPLE, 86_400),
        (handlers::PURGE_SMS_CODES, 86_400),
    ] {
        let bucket = now.unix_timestamp() / period;
        let job = NewJob::new(kind, "{}".into(), now).unique(format!("{kind}:{bucket}"));
        state.store.enqueue(&job).await?;
    }
    Ok(())
}

/// Claim and run one due job; `false` when nothing was due.
async fn run_one(state: &AppState) -> wushe_core::Result<bool> {
    let now = state.clock.now();
    let Some(job) = state.store.claim_job(now, now + LEASE).await? else {
        return Ok(false);
    };
    match handlers::run(state, &job).await {
        Ok(()) => state.store.complete_job(job.id, state.clock.now()).await?,
        Err(e) => {
            tracing::warn!(job = %job.id, kind = %job.kind, attempts = job.attempts, error = %e, "job failed");
            let retry = retry_delay(job.attempts).map(|d| state.clock.now() + d);
            state.store.fail_job(job.id, &e.to_string(), retry).await?;
        }
    }
    state
        .metrics
        .jobs_run
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Ok(true)
}

/// The worker loop: enqueue periodic tasks, drain, sleep a second, until told to stop.
pub async fn run_worker(state: AppState, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = enqueue_periodic(&state).await {
            tracing::warn!(error = %e, "could not enqueue periodic jobs");
        }
        if let Err(e) = drain(&state).await {
            tracing::warn!(error = %e, "job worker error");
        }
        if let Err(e) = crate::notify::deliver(&state).await {
            tracing::warn!(error = %e, "notification delivery error");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.changed() => return,
        }
    }
}
