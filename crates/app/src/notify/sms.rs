//! The SMS adapters: demo (sealed into `sms_sent` for the 短信发件箱 page) and HTTP (a JSON POST
//! to the configured gateway with the key as a bearer token and the outbox id as the
//! idempotency key).

use serde::{Deserialize, Serialize};

use super::SmsConfig;

/// What the HTTP gateway receives.
#[derive(Debug, Serialize, Deserialize)]
pub struct SmsRequest {
    /// The outbox id: the same text sent twice carries the same id.
    pub id: String,
    pub to: String,
    pub sender: String,
    pub text: String,
}

/// Post one text to the gateway; `Err` with a short reason (never the number or the text).
pub async fn post(http: &reqwest::Client, cfg: &SmsConfig, req: &SmsRequest) -> Result<(), String> {
    let mut r = http
        .post(&cfg.url)
        .header("Idempotency-Key", &req.id)
        .json(req);
    if let Some(k) = &cfg.key {
        r = r.bearer_auth(k);
    }
    match r.send().await {
        Ok(res) if res.status().is_success() => Ok(()),
        Ok(res) => Err(format!("gateway answered {}", res.status().as_u16())),
        Err(e) if e.is_timeout() => Err("gateway timed out".into()),
        Err(e) if e.is_connect() => Err("gateway unreachable".into()),
        Err(_) => Err("gateway request failed".into()),
    }
}
