//! Client and destination addresses, as pure rules: which addresses are globally routable
//! (a webhook may be sent only to those, unless an administrator allowed the exact address),
//! and the key a client address is counted under in per-address limits and caps (an IPv6
//! client counts as its /64, since one household or device usually gets a whole /64).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The key a client address is counted under in every per-address limit and cap: IPv4 as it
/// is, an IPv4-mapped IPv6 address as its IPv4 address, any other IPv6 address as its /64
/// prefix (the last 64 bits zero).
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(
            u128::from(v6) & 0xffff_ffff_ffff_ffff_0000_0000_0000_0000,
        )),
    }
}

/// [`limit_key`] as text, for keys that are stored or hashed: `203.0.113.7`, or
/// `2001:db8:1:2::/64` for IPv6 (the first four groups, always written out).
pub fn limit_key_text(ip: IpAddr) -> String {
    match limit_key(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// Whether an address is globally routable: not loopback, private (RFC 1918, fc00::/7),
/// link-local (169.254/16 with the cloud metadata address, fe80::/10), CGNAT (100.64/10),
/// unspecified, multicast, broadcast, documentation, benchmarking or otherwise reserved.
/// IPv4-mapped IPv6 addresses are judged as their IPv4 address. Strict on purpose: an odd
/// range that is refused can still be allowed by an administrator, address by address.
pub fn is_global(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => is_global_v4(v4),
        IpAddr::V6(v6) => is_global_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], bits: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn is_global_v4(ip: Ipv4Addr) -> bool {
    const NOT_GLOBAL: [([u8; 4], u32); 16] = [
        ([0, 0, 0, 0], 8),       // "this network", unspecified
        ([10, 0, 0, 0], 8),      // private
        ([100, 64, 0, 0], 10),   // carrier-grade NAT
        ([127, 0, 0, 0], 8),     // loopback
        ([169, 254, 0, 0], 16),  // link-local, cloud metadata
        ([172, 16, 0, 0], 12),   // private
        ([192, 0, 0, 0], 24),    // IETF protocol assignments
        ([192, 0, 2, 0], 24),    // documentation
        ([192, 88, 99, 0], 24),  // 6to4 relays (deprecated)
        ([192, 168, 0, 0], 16),  // private
        ([198, 18, 0, 0], 15),   // benchmarking
        ([198, 51, 100, 0], 24), // documentation
        ([203, 0, 113, 0], 24),  // documentation
        ([224, 0, 0, 0], 4),     // multicast
        ([240, 0, 0, 0], 4),     // reserved, broadcast
        ([255, 255, 255, 255], 32),
    ];
    !NOT_GLOBAL.iter().any(|(net, bits)| in_v4(ip, *net, *bits))
}

fn in_v6(ip: Ipv6Addr, net: u128, bits: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
    u128::from(ip) & mask == net & mask
}

fn is_global_v6(ip: Ipv6Addr) -> bool {
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if in_v6(ip, 0x0064_ff9b_0000_0000_0000_0000_0000_0000, 96) {
        let [.., a, b, c, d] = ip.octets();
        return is_global_v4(Ipv4Addr::new(a, b, c, d));
    }
    // Only global unicast (2000::/3) is routable; loopback, unspecified, unique local,
    // link-local, multicast and the rest lie outside it.
    if !in_v6(ip, 0x2000 << 112, 3) {
        return false;
    }
    const NOT_GLOBAL: [(u128, u32); 5] = [
        (0x2001 << 112, 23),     // IETF protocol assignments, Teredo
        (0x2001_0db8 << 96, 32), // documentation
        (0x2002 << 112, 16),     // 6to4 (may relay to any IPv4 address)
        (0x3fff << 112, 20),     // documentation
        (0x3ffe << 112, 16),     // old 6bone, returned
    ];
    !NOT_GLOBAL.iter().any(|(net, bits)| in_v6(ip, *net, *bits))
}

/// Why a destination's resolved addresses may not be used: the first address that is not
/// globally routable and not in `allowed` (compared as canonical addresses), or `None` when
/// every address may be used. An empty list is refused too (nothing was checked).
pub fn refused_address(addrs: &[IpAddr], allowed: &[IpAddr]) -> Option<String> {
    if addrs.is_empty() {
        return Some("no address".into());
    }
    addrs
        .iter()
        .map(|a| a.to_canonical())
        .find(|a| !is_global(*a) && !allowed.iter().any(|p| p.to_canonical() == *a))
        .map(|a| a.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn internal_ipv4_addresses_are_not_global() {
        for a in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.0.1",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "198.19.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(!is_global(ip(a)), "{a} is not global");
        }
    }

    #[test]
    fn public_ipv4_addresses_are_global_including_the_edges_of_internal_ranges() {
        for a in [
            "1.1.1.1",
            "8.8.8.8",
            "114.114.114.114",
            "223.5.5.5",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "169.253.255.255",
            "192.169.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "223.255.255.255",
        ] {
            assert!(is_global(ip(a)), "{a} is global");
        }
    }

    #[test]
    fn internal_ipv6_addresses_are_not_global() {
        for a in [
            "::",
            "::1",
            "fc00::1",
            "fd12:3456:789a::1",
            "fe80::1",
            "febf:ffff::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
            "2001:db8::1",
            "2001::1",
            "2002:7f00:1::1",
            "3fff::1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "100::1",
            "::127.0.0.1",
        ] {
            assert!(!is_global(ip(a)), "{a} is not global");
        }
    }

    #[test]
    fn public_ipv6_addresses_are_global() {
        for a in [
            "2400:3200::1",
            "2408:8000::1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::1",
            "2001:4860:4860::8888",
            "64:ff9b::808:808",
        ] {
            assert!(is_global(ip(a)), "{a} is global");
        }
    }

    #[test]
    fn ipv4_mapped_ipv6_addresses_are_judged_as_ipv4() {
        for a in [
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.1.2.3",
            "::ffff:100.64.0.1",
            "::ffff:0.0.0.0",
        ] {
            assert!(!is_global(ip(a)), "{a} is not global");
        }
        assert!(is_global(ip("::ffff:8.8.8.8")));
    }

    #[test]
    fn a_resolved_name_is_refused_if_any_address_is_internal_and_not_allowed() {
        let none: [IpAddr; 0] = [];
        assert_eq!(refused_address(&[ip("8.8.8.8")], &none), None);
        assert_eq!(
            refused_address(&[ip("8.8.8.8"), ip("127.0.0.1")], &none).as_deref(),
            Some("127.0.0.1"),
            "one internal address among public ones is enough"
        );
        assert_eq!(
            refused_address(&[ip("::ffff:169.254.169.254")], &none).as_deref(),
            Some("169.254.169.254")
        );
        assert_eq!(refused_address(&[], &none).as_deref(), Some("no address"));
        let allowed = [ip("127.0.0.1")];
        assert_eq!(refused_address(&[ip("127.0.0.1")], &allowed), None);
        assert_eq!(refused_address(&[ip("::ffff:127.0.0.1")], &allowed), None);
        assert_eq!(
            refused_address(&[ip("127.0.0.1"), ip("::1")], &allowed).as_deref(),
            Some("::1"),
            "the permission is for the exact address"
        );
        assert_eq!(
            refused_address(&[ip("127.0.0.2")], &allowed).as_deref(),
            Some("127.0.0.2")
        );
    }

    #[test]
    fn an_ipv6_client_counts_as_its_64_and_ipv4_as_itself() {
        assert_eq!(limit_key(ip("203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(limit_key(ip("::ffff:203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(
            limit_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")),
            "one /64, one key"
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:3::1")),
            "another /64, another key"
        );
        assert_eq!(limit_key_text(ip("203.0.113.7")), "203.0.113.7");
        assert_eq!(limit_key_text(ip("::ffff:203.0.113.7")), "203.0.113.7");
        assert_eq!(limit_key_text(ip("2001:db8:0:0:1::1")), "2001:db8:0:0::/64");
    }
}
