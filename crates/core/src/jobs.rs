//! Durable jobs: rows run by a worker loop. Payloads carry ids, never personal values.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::JobId;

/// A job to queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewJob {
    pub id: JobId,
    pub kind: String,
    /// JSON with ids only.
    pub payload: String,
    pub run_at: OffsetDateTime,
    /// Jobs with the same key are queued once (e.g. one escalation step per need).
    pub unique_key: Option<String>,
}

impl NewJob {
    pub fn new(kind: &str, payload: String, run_at: OffsetDateTime) -> Self {
        NewJob {
            id: JobId::new(),
            kind: kind.to_string(),
            payload,
            run_at,
            unique_key: None,
        }
    }

    pub fn unique(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }
}

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub payload: String,
    pub attempts: i32,
}

/// Delay before retrying a failed job: 10 s doubling, capped at one hour; `None` gives up.
pub fn retry_delay(attempts: i32) -> Option<time::Duration> {
    if attempts >= 10 {
        return None;
    }
    let secs = 10i64
        .saturating_mul(1i64 << attempts.clamp(0, 20))
        .min(3600);
    Some(time::Duration::seconds(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_then_stop() {
        assert_eq!(retry_delay(0), Some(time::Duration::seconds(10)));
        assert_eq!(retry_delay(3), Some(time::Duration::seconds(80)));
        assert_eq!(retry_delay(9), Some(time::Duration::seconds(3600)));
        assert_eq!(retry_delay(10), None);
    }
}
