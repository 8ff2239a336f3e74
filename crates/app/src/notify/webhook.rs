//! The webhook adapter: a JSON body with the event kind, ids and times, signed with
//! HMAC-SHA256 over `timestamp.body` (see docs/NOTIFICATIONS.md); and where it may go: the
//! destination's name is resolved at delivery, every address must be globally routable or
//! allowed exactly in `webhook_allow_private`, and the request is pinned to the addresses
//! checked, so a second lookup cannot swap them.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

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

/// How long resolving a destination's name may take.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(3);

/// Where a delivery may connect: the URL's host and the addresses checked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The host as written in the URL (lower case, no brackets).
    pub host: String,
    /// `Some` when the host is a name: the addresses it resolved to, all checked.
    pub pinned: Option<Vec<SocketAddr>>,
}

/// Why a delivery cannot go now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    /// Never: the destination is (or resolves to) an internal address that is not allowed.
    Refused(String),
    /// Perhaps later: the name did not resolve.
    Unresolved(String),
}

/// The host of an http(s) URL when it is an IP address (`http://10.0.0.5:9000`,
/// `http://[fd00::1]/`), canonical (IPv4-mapped as IPv4); `None` for names and nonsense.
pub fn literal_host(url: &str) -> Option<IpAddr> {
    let u = reqwest::Url::parse(url.trim()).ok()?;
    let host = u.host_str()?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// Resolve and check the destination of `url`: every address it is or resolves to must be
/// globally routable or in `allowed`. Nothing is sent to any address when one is refused.
pub async fn target(url: &str, allowed: &[IpAddr]) -> Result<Target, Blocked> {
    let u = reqwest::Url::parse(url.trim())
        .map_err(|_| Blocked::Refused("the destination URL cannot be read".into()))?;
    let (Some(host), Some(port)) = (u.host_str(), u.port_or_known_default()) else {
        return Err(Blocked::Refused("the destination URL has no host".into()));
    };
    let refused = |host: &str, what: &str, ip: &str| {
        Blocked::Refused(format!(
            "the destination {host} {what} {ip}, which is not a public address (refused; \
             an administrator may allow that exact address in webhook_allow_private)"
        ))
    };
    if let Some(ip) = literal_host(url) {
        return match wushe_core::net::refused_address(&[ip], allowed) {
            Some(bad) => Err(refused(host, "is", &bad)),
            None => Ok(Target {
                host: host.to_string(),
                pinned: None,
            }),
        };
    }
    let found = tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host, port)))
        .await
        .map_err(|_| Blocked::Unresolved(format!("resolving {host} timed out")))?
        .map_err(|_| Blocked::Unresolved(format!("{host} could not be resolved")))?;
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for a in found {
        let a = SocketAddr::new(a.ip().to_canonical(), a.port());
        if !addrs.contains(&a) {
            addrs.push(a);
        }
    }
    if addrs.is_empty() {
        return Err(Blocked::Unresolved(format!("{host} has no address")));
    }
    let ips: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
    if let Some(bad) = wushe_core::net::refused_address(&ips, allowed) {
        return Err(refused(host, "resolves to", &bad));
    }
    Ok(Target {
        host: host.to_string(),
        pinned: Some(addrs),
    })
}

/// A client for one delivery that connects to `t`'s checked addresses only (the outbound
/// client's settings otherwise: no redirects, no proxies, short timeouts).
pub fn pinned_client(cfg: &super::NotifyConfig, t: &Target) -> Result<reqwest::Client, String> {
    let mut b = super::outbound_builder(cfg)?;
    if let Some(addrs) = &t.pinned {
        b = b.resolve_to_addrs(&t.host, addrs);
    }
    b.build().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn literal_hosts_are_read_from_urls_and_names_are_not() {
        assert_eq!(literal_host("http://10.0.0.5:9000/x"), Some(ip("10.0.0.5")));
        assert_eq!(literal_host("https://[fd00::1]/hook"), Some(ip("fd00::1")));
        assert_eq!(
            literal_host("http://[::ffff:127.0.0.1]:8080"),
            Some(ip("127.0.0.1"))
        );
        assert_eq!(literal_host("https://hook.example.org"), None);
        assert_eq!(literal_host("not a url"), None);
    }

    #[tokio::test]
    async fn an_internal_literal_is_refused_unless_allowed_and_a_public_one_is_not_pinned() {
        let none: [IpAddr; 0] = [];
        for url in [
            "http://127.0.0.1:9/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]:9/",
            "http://[::ffff:10.0.0.1]/",
            "http://100.64.0.1/",
        ] {
            assert!(
                matches!(target(url, &none).await, Err(Blocked::Refused(_))),
                "{url}"
            );
        }
        let ok = target("http://127.0.0.1:9/hook", &[ip("127.0.0.1")])
            .await
            .expect("allowed");
        assert_eq!(ok.pinned, None);
        let public = target("https://8.8.8.8/hook", &none).await.expect("public");
        assert_eq!(public.host, "8.8.8.8");
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_is_refused_with_the_address() {
        let none: [IpAddr; 0] = [];
        match target("http://localhost:9/hook", &none).await {
            Err(Blocked::Refused(why)) => {
                assert!(why.contains("localhost resolves to"), "{why}");
                assert!(why.contains("webhook_allow_private"), "{why}");
            }
            other => panic!("{other:?}"),
        }
        let loopback = [ip("127.0.0.1"), ip("::1")];
        let ok = target("http://localhost:9/hook", &loopback)
            .await
            .expect("allowed");
        let pinned = ok.pinned.expect("pinned");
        assert!(!pinned.is_empty());
        assert!(pinned.iter().all(|a| a.ip().is_loopback() && a.port() == 9));
    }
}
