//! The client's address, for the login defences. It is the socket peer, unless the peer is a
//! configured trusted proxy: then it is the right-most `X-Forwarded-For` entry that is not
//! itself a trusted proxy (or `X-Real-IP` when there is no `X-Forwarded-For`). Entries further
//! left were written by the client and could say anything, so they are never used; from an
//! untrusted peer both headers are ignored entirely.
//!
//! Every per-address limit and cap counts the client under [`ClientIp::limit_key`]
//! (`wushe_core::net::limit_key`): an IPv6 client as its /64, IPv4 as it is.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use wushe_core::crypto::Cipher;

use crate::AppState;
use crate::http::error::HttpError;

/// The address a request is counted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The key this client is counted under in per-address limits and caps: an IPv6 client
    /// as its /64 (one household or device gets a whole /64), IPv4 as it is.
    pub fn limit_key(self) -> IpAddr {
        wushe_core::net::limit_key(self.0)
    }

    /// What texts this client asks for record as their origin (caps per address): a keyed
    /// hash of [`ClientIp::limit_key`], never the address.
    pub fn sms_origin(self, cipher: &Cipher) -> wushe_core::Result<String> {
        cipher.keyed_hash("sms-origin", &wushe_core::net::limit_key_text(self.0))
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .ok_or_else(|| wushe_core::Error::internal("no peer address on the connection"))?;
        Ok(ClientIp(client_ip(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

/// The client address of a request from `peer` with `headers`.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|t| t.to_canonical() == ip);
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    if hops.is_empty() {
        return headers
            .get("x-real-ip")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_hop)
            .unwrap_or(peer);
    }
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            Some(ip) if is_trusted(ip) => continue,
            Some(ip) => return ip,
            // A trusted proxy wrote something that is not an address: guess nothing.
            None => return peer,
        }
    }
    peer
}

/// One forwarded address: `203.0.113.7`, `203.0.113.7:5100`, `2001:db8::1` or `[2001:db8::1]:443`.
fn parse_hop(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            s.strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|r| r.parse().ok())
        })
        .map(|ip: IpAddr| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).expect("value"));
        }
        h
    }

    const PROXY: &str = "10.0.0.5";

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let h = headers(&[
            ("x-forwarded-for", "198.51.100.1"),
            ("x-real-ip", "198.51.100.2"),
        ]);
        assert_eq!(
            client_ip(ip("203.0.113.9"), &h, &[ip(PROXY)]),
            ip("203.0.113.9")
        );
        assert_eq!(client_ip(ip("203.0.113.9"), &h, &[]), ip("203.0.113.9"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7, 10.0.0.6")]);
        let trusted = [ip(PROXY), ip("10.0.0.6")];
        assert_eq!(client_ip(ip(PROXY), &h, &trusted), ip("198.51.100.7"));
        let split = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "198.51.100.7:5100"),
        ]);
        assert_eq!(client_ip(ip(PROXY), &split, &trusted), ip("198.51.100.7"));
    }

    #[test]
    fn x_real_ip_is_used_only_without_x_forwarded_for() {
        let trusted = [ip(PROXY)];
        let h = headers(&[("x-real-ip", "[2001:db8::7]:443")]);
        assert_eq!(client_ip(ip(PROXY), &h, &trusted), ip("2001:db8::7"));
        let both = headers(&[
            ("x-forwarded-for", "198.51.100.7"),
            ("x-real-ip", "1.1.1.1"),
        ]);
        assert_eq!(client_ip(ip(PROXY), &both, &trusted), ip("198.51.100.7"));
    }

    #[test]
    fn garbage_or_only_proxies_in_the_header_leave_the_peer() {
        let trusted = [ip(PROXY)];
        let h = headers(&[("x-forwarded-for", "198.51.100.7, unknown")]);
        assert_eq!(client_ip(ip(PROXY), &h, &trusted), ip(PROXY));
        let h = headers(&[("x-forwarded-for", PROXY)]);
        assert_eq!(client_ip(ip(PROXY), &h, &trusted), ip(PROXY));
        assert_eq!(client_ip(ip(PROXY), &HeaderMap::new(), &trusted), ip(PROXY));
    }

    #[test]
    fn mapped_ipv4_peers_match_trusted_ipv4_proxies() {
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.5"), &h, &[ip(PROXY)]),
            ip("198.51.100.7")
        );
    }
}
