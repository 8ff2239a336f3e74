//! Job handlers, by kind. Payloads carry ids only.

use wushe_core::jobs::Job;
use wushe_core::{Error, Result};

use crate::AppState;

pub const PURGE_SESSIONS: &str = "purge_sessions";
pub const AUDIT_CHECKPOINT: &str = "audit_checkpoint";
/// Escalate the needs whose SLA clocks are due.
pub const SLA_SWEEP: &str = "sla_sweep";
/// Delete registry records closed longer ago than the retention period.
pub const PURGE_PEOPLE: &str = "purge_people";
/// Move task offers nobody answered in time to the next candidate.
pub const DISPATCH_SWEEP: &str = "dispatch_sweep";
/// Delete used or expired text codes past retention, with their texts.
pub const PURGE_SMS_CODES: &str = "purge_sms_codes";

/// Run one job.
pub async fn run(state: &AppState, job: &Job) -> Result<()> {
    match job.kind.as_str() {
        PURGE_SESSIONS => {
            let now = state.clock.now();
            let n = state
                .store
                .purge_sessions(now - state.sessions.idle, now - state.sessions.absolute)
                .await?;
            if n > 0 {
                tracing::info!(removed = n, "expired sessions purged");
            }
            let before = now - wushe_core::users::second_factor::PENDING_FOR;
            state.store.purge_pending_logins(before).await?;
            // Login failures, streaks and locks are kept for a day, well beyond every window.
            let n = state
                .store
                .purge_login_records(now - time::Duration::hours(24))
                .await?;
            if n > 0 {
                tracing::info!(removed = n, "old login failures and locks purged");
            }
            Ok(())
        }
        AUDIT_CHECKPOINT => {
            crate::checkpoints::write(
                state.store.as_ref(),
                &state.config.data_dir,
                state.clock.now(),
            )
            .await?;
            Ok(())
        }
        SLA_SWEEP => {
            let n = wushe_core::needs::escalation::sweep(state.desk(), state.clock.now()).await?;
            if n > 0 {
                tracing::info!(escalated = n, "needs escalated");
            }
            Ok(())
        }
        PURGE_PEOPLE => {
            let n = wushe_core::people::service::purge_expired(
                state.store.as_ref(),
                time::Duration::days(state.config.people_retention_days),
                state.clock.now(),
            )
            .await?;
            if n > 0 {
                tracing::info!(removed = n, "closed registry records past retention purged");
            }
            Ok(())
        }
        DISPATCH_SWEEP => {
            let n =
                wushe_core::volunteers::tasks::sweep(state.dispatcher(), state.clock.now()).await?;
            if n > 0 {
                tracing::info!(moved = n, "task offers timed out and moved on");
            }
            Ok(())
        }
        PURGE_SMS_CODES => {
            let n = wushe_core::notify::codes::purge_old(state.store.as_ref(), state.clock.now())
                .await?;
            if n > 0 {
                tracing::info!(removed = n, "old text codes purged");
            }
            Ok(())
        }
        other => Err(Error::internal(format!("unknown job kind {other}"))),
    }
}
