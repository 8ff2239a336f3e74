//! Rate limits for the public intake (no account needed, so anyone can send): a per-address
//! limit per minute and a per-node limit per second, both in fixed windows, answering 429 with
//! `Retry-After`. In memory per node: a limit, unlike a login lock, may be a little generous
//! when several nodes share the load. Memory stays bounded: the per-address table is cleared
//! every minute and the node limit caps how many addresses can enter it. An address counts
//! under `wushe_core::net::limit_key`: an IPv6 client as its /64, IPv4 as it is.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use time::OffsetDateTime;

/// The limiter of one node.
#[derive(Debug)]
pub struct IntakeLimiter {
    per_ip_per_minute: u32,
    global_per_second: u32,
    windows: Mutex<Windows>,
}

#[derive(Debug, Default)]
struct Windows {
    minute: i64,
    per_ip: HashMap<IpAddr, u32>,
    second: i64,
    global: u32,
}

impl IntakeLimiter {
    /// 0 lifts a limit.
    pub fn new(per_ip_per_minute: u32, global_per_second: u32) -> IntakeLimiter {
        IntakeLimiter {
            per_ip_per_minute,
            global_per_second,
            windows: Mutex::new(Windows::default()),
        }
    }

    /// Count one request from `ip` (counted as its limit key: IPv6 by /64) at `now`;
    /// `Err(seconds)` to wait when over a limit.
    pub fn check(&self, ip: IpAddr, now: OffsetDateTime) -> Result<(), u64> {
        let ip = wushe_core::net::limit_key(ip);
        let secs = now.unix_timestamp();
        let mut w = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if w.second != secs {
            w.second = secs;
            w.global = 0;
        }
        if self.global_per_second > 0 && w.global >= self.global_per_second {
            return Err(1);
        }
        w.global += 1;
        if self.per_ip_per_minute == 0 {
            return Ok(());
        }
        let minute = secs.div_euclid(60);
        if w.minute != minute {
            w.minute = minute;
            w.per_ip.clear();
        }
        let n = w.per_ip.entry(ip).or_insert(0);
        if *n >= self.per_ip_per_minute {
            return Err(u64::try_from(60 - secs.rem_euclid(60)).unwrap_or(60));
        }
        *n += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: OffsetDateTime = time::macros::datetime!(2026-04-03 08:00:10 UTC);

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn an_address_gets_its_share_per_minute_and_then_waits_for_the_next_minute() {
        let l = IntakeLimiter::new(3, 0);
        for _ in 0..3 {
            assert!(l.check(ip("10.0.0.1"), T0).is_ok());
        }
        assert_eq!(l.check(ip("10.0.0.1"), T0), Err(50));
        assert!(
            l.check(ip("10.0.0.2"), T0).is_ok(),
            "another address is not affected"
        );
        assert!(
            l.check(ip("10.0.0.1"), T0 + time::Duration::seconds(50))
                .is_ok()
        );
    }

    #[test]
    fn an_ipv6_client_counts_as_its_64_and_a_mapped_ipv4_address_as_ipv4() {
        let l = IntakeLimiter::new(2, 0);
        assert!(l.check(ip("2001:db8:1:2::1"), T0).is_ok());
        assert!(l.check(ip("2001:db8:1:2:ffff::9"), T0).is_ok());
        assert_eq!(
            l.check(ip("2001:db8:1:2:1234::5"), T0),
            Err(50),
            "the whole /64 shares one share"
        );
        assert!(
            l.check(ip("2001:db8:1:3::1"), T0).is_ok(),
            "the next /64 is another client"
        );
        assert!(l.check(ip("203.0.113.7"), T0).is_ok());
        assert!(l.check(ip("::ffff:203.0.113.7"), T0).is_ok());
        assert_eq!(l.check(ip("203.0.113.7"), T0), Err(50));
        assert!(l.check(ip("203.0.113.8"), T0).is_ok());
    }

    #[test]
    fn the_node_limit_holds_across_addresses_and_zero_lifts_limits() {
        let l = IntakeLimiter::new(0, 2);
        assert!(l.check(ip("10.0.0.1"), T0).is_ok());
        assert!(l.check(ip("10.0.0.2"), T0).is_ok());
        assert_eq!(l.check(ip("10.0.0.3"), T0), Err(1));
        assert!(
            l.check(ip("10.0.0.3"), T0 + time::Duration::seconds(1))
                .is_ok()
        );
        let open = IntakeLimiter::new(0, 0);
        for _ in 0..10_000 {
            assert!(open.check(ip("10.0.0.1"), T0).is_ok());
        }
    }
}
