//! Where reveals of full sensitive values are recorded until the audit log is merged: one
//! structured log line per reveal (who, which field of which row, why; never the value). The
//! audit log implements the same `RevealLog` port and replaces this in `AppState`.

use async_trait::async_trait;
use wushe_core::Result;
use wushe_core::reveal::{RevealEvent, RevealLog};

/// Records reveals in the server log, at `warn` so they survive an `info` filter change.
pub struct TracingRevealLog;

#[async_trait]
impl RevealLog for TracingRevealLog {
    async fn record(&self, e: &RevealEvent) -> Result<()> {
        tracing::warn!(
            target: "wushe::reveal",
            at = %e.at,
            actor = %e.actor,
            region = %e.region,
            table = e.table,
            column = e.column,
            row = %e.row,
            reason = e.reason.as_str(),
            "full sensitive value revealed"
        );
        Ok(())
    }
}
