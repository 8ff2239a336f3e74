//! The webhook adapter: a JSON body with the event kind, ids and times, signed with
//! HMAC-SHA256 over `timestamp.body` (see docs/NOTIFICATIONS.md).

use serde::Serialize;
use wushe_core::notify::OutboxMessage;
use wushe_core::notify::webhook::signature;

/// The body receivers get: ids and kinds only.
#[derive(Debug, Serialize)]
pub struct Payload {
    /// The outbox id; also the `Idempotency-Key` header (the same event delivered twice has
    /// the same id).
    pub id: String,
    pub kind: String,
    pub need: String,
    pub event: Option<String>,
    pub region: String,
    /// When the change happened (RFC 3339, UTC).
    pub occurred_at: String,
}

impl Payload {
    pub fn of(m: &OutboxMessage) -> Payload {
        Payload {
            id: m.id.to_string(),
            kind: m.kind.clone(),
            need: m.need.map(|n| n.to_string()).unwrap_or_default(),
            event: m.event.map(|e| e.to_string()),
            region: m.region.as_str().to_string(),
            occurred_at: m
                .created_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        }
    }
}

/// Post one event; `Err` with a short reason.
pub async fn post(
    http: &reqwest::Client,
    url: &str,
    secret: &[u8],
    m: &OutboxMessage,
    now: time::OffsetDateTime,
) -> Result<(), String> {
    let body = serde_json::to_vec(&Payload::of(m)).map_err(|e| e.to_string())?;
    let ts = now.unix_timestamp();
    let res = http
        .post(url)
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", m.id.to_string())
        .header("X-Wushe-Event", &m.kind)
        .header("X-Wushe-Timestamp", ts.to_string())
        .header("X-Wushe-Signature", signature(secret, ts, &body))
        .body(body)
        .send()
        .await;
    match res {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) if r.status().is_redirection() => Err(format!(
            "destination answered {} (redirects are not followed)",
            r.status().as_u16()
        )),
        Ok(r) => Err(format!("destination answered {}", r.status().as_u16())),
        Err(e) if e.is_timeout() => Err("destination timed out".into()),
        Err(e) if e.is_connect() => Err("destination unreachable".into()),
        Err(_) => Err("request failed".into()),
    }
}
