//! Webhooks: destinations an administrator registers (URL, event kinds, a secret shown once),
//! accepted only when the URL's origin is in the deployment's allow-list (so the feature
//! cannot be used to probe internal addresses), and the HMAC-SHA256 signature over the
//! timestamp and the body that receivers check.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::OffsetDateTime;

use crate::crypto::EncryptedColumn;
use crate::error::{Error, Result};
use crate::ids::{UserId, WebhookId};
use crate::needs::timeline::EventKind;
use crate::regions::RegionCode;

/// The signing secret, sealed.
pub const SECRET: EncryptedColumn = EncryptedColumn {
    table: "webhooks",
    column: "secret",
    id_column: "id",
};

/// The event kinds a destination may subscribe to.
pub const KINDS: [EventKind; 10] = [
    EventKind::Created,
    EventKind::Triaged,
    EventKind::Assigned,
    EventKind::Started,
    EventKind::Referred,
    EventKind::Escalated,
    EventKind::Resolved,
    EventKind::Closed,
    EventKind::Cancelled,
    EventKind::Reopened,
];

/// A registered destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: WebhookId,
    pub url: String,
    pub kinds: Vec<EventKind>,
    /// Events of needs inside this region only.
    pub region: RegionCode,
    /// Sealed under [`SECRET`].
    pub secret: Vec<u8>,
    pub active: bool,
    pub created_by: Option<UserId>,
    pub created_at: OffsetDateTime,
}

/// The origin (`scheme://host[:port]`, lower case, default port left out) of an http(s) URL,
/// or `None` for anything else (other schemes, user info, no host).
pub fn origin(url: &str) -> Option<String> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.is_empty() || authority.contains('@') || authority.contains('\\') {
        return None;
    }
    let (host, port): (&str, u16) = if authority.starts_with('[') {
        let close = authority.find(']')?;
        let port = match &authority[close + 1..] {
            "" => default_port,
            p => p.strip_prefix(':')?.parse().ok()?,
        };
        (&authority[..=close], port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, p.parse().ok()?),
            None => (authority, default_port),
        }
    };
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'))
    {
        return None;
    }
    let host = host.to_ascii_lowercase();
    Some(if port == default_port {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}:{port}")
    })
}

/// Check a destination URL against the allow-list of origins.
pub fn check_url(url: &str, allow: &[String]) -> Result<String> {
    let url = url.trim();
    let Some(o) = origin(url) else {
        return Err(Error::invalid(
            "url",
            "请填写以 https:// 或 http:// 开头的完整地址",
            "Enter a full address starting with https:// or http://",
        ));
    };
    if !allow.iter().filter_map(|a| origin(a)).any(|a| a == o) {
        return Err(Error::invalid(
            "url",
            "这个地址不在允许的推送目标中（由系统配置 webhook_allow 决定），请联系运维人员添加",
            "This address is not an allowed destination (set by webhook_allow in wushe.toml); ask the operator to add it",
        ));
    }
    if url.len() > 500 {
        return Err(Error::invalid("url", "地址太长", "The address is too long"));
    }
    Ok(url.to_string())
}

/// The header value receivers check: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac(secret, timestamp, body))
    )
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length.
    let Ok(mut m) = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(secret) else {
        // HMAC takes keys of any length; this cannot happen.
        return Vec::new();
    };
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m.finalize().into_bytes().to_vec()
}

/// Check a signature header as a receiver would (constant time).
pub fn verify(secret: &[u8], header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = x.parse::<i64>().ok(),
            Some(("v1", x)) => v1 = hex::decode(x).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let mut m = match <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return false,
    };
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m.verify_slice(&v1).is_ok()
}

/// The kinds as stored: `,created,assigned,` (so one `LIKE '%,kind,%'` finds subscribers).
pub fn kinds_column(kinds: &[EventKind]) -> String {
    let mut s = String::from(",");
    for k in kinds {
        s.push_str(k.as_str());
        s.push(',');
    }
    s
}

pub fn parse_kinds_column(s: &str) -> Vec<EventKind> {
    s.split(',').filter_map(EventKind::parse).collect()
}
