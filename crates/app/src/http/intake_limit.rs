//! Rate limits for the public intake (no account needed, so anyone can send): a per-address
//! limit per minute and a per-node limit per second, both in fixed windows, answering 429 with
//! `Retry-After`. In memory per node: a limit, unlike a login lock, may be a little generous
//! when several nodes share the load. Memory stays bounded: the per-address table is cleared
//! every minute and the node limit caps how many addresses can enter it.

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

    /// Count one request from `ip` at `now`; `Err(seconds)` to wait when over a limit.
    pub fn check(&self, ip: IpAddr, now: OffsetDateTime) -> Result<(), u64> {
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
