//! Password hashing with Argon2id and the minimum password policy.
//! Hashing is CPU-heavy: callers run it off the async threads and bound concurrency.

use std::sync::OnceLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::FieldError;

/// Current parameters: Argon2id, 19 MiB, 2 passes, 1 lane (OWASP's minimum recommendation).
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hash a password with a fresh random salt.
pub fn hash(password: &str) -> Result<String, crate::Error> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(crate::Error::internal)?;
    hasher()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(crate::Error::internal)
}

/// Check a password against a stored hash; a malformed hash never verifies.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(h) => {
            h.algorithm.as_str() == "argon2id"
                && hasher().verify_password(password.as_bytes(), &h).is_ok()
        }
        Err(_) => false,
    }
}

/// A hash of a password nobody has, verified against when the user name is unknown, so an
/// unknown name costs the same time as a known one.
pub fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash("decoy password nobody has").unwrap_or_default())
}

/// At least 10 characters, not all the same character.
pub fn check_policy(password: &str) -> Result<(), FieldError> {
    let n = password.chars().count();
    let distinct = password
        .chars()
        .collect::<std::collections::HashSet<_>>()
        .len();
    if n < 10 || distinct < 4 || n > 128 {
        return Err(FieldError {
            field: "password",
            zh: "密码至少10个字符，且不能过于简单".into(),
            en: "Password: at least 10 characters, not too simple".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password() {
        let h = hash("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterx", &h));
        assert!(!verify("x", "not a hash"));
        assert!(!verify("x", decoy_hash()));
    }

    #[test]
    fn short_or_trivial_passwords_are_refused() {
        assert!(check_policy("short").is_err());
        assert!(check_policy("aaaaaaaaaaaa").is_err());
        assert!(check_policy("绿色通道-2026-wuli").is_ok());
    }
}
