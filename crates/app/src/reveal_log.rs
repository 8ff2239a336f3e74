//! Where reveals of full sensitive values are recorded: an entry in the tamper-evident audit
//! log (who, which column of which row, in which region; never the value), written before the
//! value is decrypted, plus one structured log line with the reason the worker gave.

use std::sync::Arc;

use async_trait::async_trait;
use wushe_core::audit::{Action, AuditEvent, RecordKind};
use wushe_core::reveal::{RevealEvent, RevealLog};
use wushe_core::{Result, Store};

/// Records each reveal in the audit log.
pub struct AuditRevealLog(pub Arc<dyn Store>);

#[async_trait]
impl RevealLog for AuditRevealLog {
    async fn record(&self, e: &RevealEvent) -> Result<()> {
        let mut event = AuditEvent::new(Action::SensitiveRevealed, e.at)
            .region(&e.region)
            .record(
                RecordKind::Sealed,
                [format!("{}.{}", e.table, e.column), e.row.to_string()],
            );
        event.actor = Some(e.actor);
        self.0.append_audit(&event).await?;
        tracing::warn!(
            target: "wushe::reveal",
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
