//! Password hashing with Argon2id: hashing, verifying, and deciding when a stored hash must
//! be upgraded to the current parameters. Hashing is CPU-heavy: callers run it off the async
//! threads and bound concurrency. The rules a new password must meet are in [`super::rules`].

use std::sync::OnceLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// Current cost: 19 MiB of memory, 2 passes, 1 lane (OWASP's minimum for Argon2id).
pub const M_COST: u32 = 19 * 1024;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;

fn argon2id(m_cost: u32, t_cost: u32, p_cost: u32) -> Result<Argon2<'static>, crate::Error> {
    let params = Params::new(m_cost, t_cost, p_cost, None).map_err(crate::Error::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hasher() -> Result<Argon2<'static>, crate::Error> {
    argon2id(M_COST, T_COST, P_COST)
}

/// Hash a password with a fresh random salt and the current parameters.
pub fn hash(password: &str) -> Result<String, crate::Error> {
    hash_with_cost(password, M_COST, T_COST, P_COST)
}

/// Hash with other Argon2id costs (memory in KiB, passes, lanes): tests make old-style hashes
/// with this; production code uses [`hash`].
pub fn hash_with_cost(
    password: &str,
    m_cost: u32,
    t_cost: u32,
    p_cost: u32,
) -> Result<String, crate::Error> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(crate::Error::internal)?;
    argon2id(m_cost, t_cost, p_cost)?
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(crate::Error::internal)
}

/// Check a password against a stored Argon2id hash, with the parameters written in that hash
/// (so hashes made with older parameters still verify, and are then upgraded). A malformed
/// hash, or one of another algorithm, never verifies.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(h) = PasswordHash::new(stored) else {
        return false;
    };
    if h.algorithm.as_str() != "argon2id" {
        return false;
    }
    match hasher() {
        Ok(a) => a.verify_password(password.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// Must this stored hash be replaced by one with the current parameters? Every parameter is
/// read from the PHC string itself and compared explicitly: a missing `m`, `t`, `p` or
/// version counts as different, never as the library's default (which could hide a weak hash).
pub fn needs_rehash(stored: &str) -> bool {
    let Ok(h) = PasswordHash::new(stored) else {
        return true;
    };
    let p = &h.params;
    let current = h.algorithm.as_str() == "argon2id"
        && h.version == Some(0x13)
        && p.get_decimal("m") == Some(M_COST)
        && p.get_decimal("t") == Some(T_COST)
        && p.get_decimal("p") == Some(P_COST)
        && p.iter().count() == 3
        && h.hash
            .is_some_and(|o| o.len() == Params::DEFAULT_OUTPUT_LEN);
    !current
}

/// Verify, and when the password is right but its hash is not current, hash it again with the
/// current parameters: `(right, upgraded hash)`.
pub fn verify_and_upgrade(password: &str, stored: &str) -> (bool, Option<String>) {
    if !verify(password, stored) {
        return (false, None);
    }
    let upgraded = needs_rehash(stored).then(|| hash(password).ok()).flatten();
    (true, upgraded)
}

/// A hash of a password nobody has, verified against when the user name is unknown, so an
/// unknown name costs the same time as a known one.
pub fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash("decoy password nobody has").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password() {
        let h = hash("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterx", &h));
        assert!(!verify("x", "not a hash"));
        assert!(!verify("x", decoy_hash()));
    }

    #[test]
    fn a_hash_with_the_current_parameters_is_kept() {
        assert!(!needs_rehash(&hash("correct horse battery").expect("hash")));
    }

    #[test]
    fn a_hash_with_weaker_parameters_verifies_and_must_be_upgraded() {
        let h = hash_with_cost("correct horse battery", 4096, 1, 1).expect("hash");
        assert!(verify("correct horse battery", &h));
        assert!(needs_rehash(&h));
        assert_eq!(verify_and_upgrade("wrong horse battery", &h), (false, None));
        let (ok, upgraded) = verify_and_upgrade("correct horse battery", &h);
        let upgraded = upgraded.expect("an upgraded hash");
        assert!(ok && !needs_rehash(&upgraded) && verify("correct horse battery", &upgraded));
        let current = hash("correct horse battery").expect("hash");
        assert_eq!(
            verify_and_upgrade("correct horse battery", &current),
            (true, None)
        );
    }

    #[test]
    fn missing_parameters_are_never_taken_for_the_defaults() {
        let h = hash("correct horse battery").expect("hash");
        // The library's defaults equal our parameters, so a parser that filled in defaults
        // would call these current.
        for (from, to) in [
            ("m=19456,t=2,p=1", "t=2,p=1"),
            ("m=19456,t=2,p=1", "m=19456,p=1"),
            ("m=19456,t=2,p=1", "m=19456,t=2"),
            ("$v=19", ""),
        ] {
            let changed = h.replacen(from, to, 1);
            assert_ne!(changed, h);
            assert!(needs_rehash(&changed), "{changed}");
        }
        assert!(needs_rehash(
            "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA"
        ));
        assert!(needs_rehash("not a hash"));
    }
}
