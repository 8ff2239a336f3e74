//! The keyring: the current key and every older key by id, as kept in the key file.
//! Keys are 32 random bytes; nothing here ever prints one (the `Debug` output is redacted).
//!
//! Key file, format 1 (text, one key per line, the newest last):
//! ```text
//! # comments
//! wushe-keys 1
//! current 2
//! key 1 <64 hex digits>
//! key 2 <64 hex digits>
//! ```

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// Identifies a key; stored in every ciphertext. Ids count up from 1 and are never reused.
pub type KeyId = u32;

/// The current key and the older ones, by id.
#[derive(Clone, PartialEq, Eq)]
pub struct Keyring {
    keys: BTreeMap<KeyId, [u8; 32]>,
    current: KeyId,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("ids", &self.keys.keys().collect::<Vec<_>>())
            .field("current", &self.current)
            .field("keys", &"[redacted]")
            .finish()
    }
}

const HEADER: &str = "wushe-keys 1";

const COMMENT: &str = "\
# wushe secret keys (format 1). They encrypt sensitive fields and key the blind indexes.
# Keep this file outside the data directory and out of database backups, readable only by
# the account that runs wushe (mode 0600). Without it the encrypted fields cannot be read.
# `wushe keys rotate` adds keys; never edit, reorder or remove the lines below by hand.
";

fn random_key() -> Result<[u8; 32]> {
    let mut k = [0u8; 32];
    getrandom::fill(&mut k).map_err(Error::internal)?;
    Ok(k)
}

impl Keyring {
    /// A new keyring with one random key, id 1.
    pub fn generate() -> Result<Keyring> {
        Ok(Keyring {
            keys: BTreeMap::from([(1, random_key()?)]),
            current: 1,
        })
    }

    /// A keyring from raw keys (tests and tools). `current` must be one of them.
    pub fn from_keys(keys: BTreeMap<KeyId, [u8; 32]>, current: KeyId) -> Result<Keyring> {
        if !keys.contains_key(&current) || keys.contains_key(&0) {
            return Err(Error::internal("keyring: bad key ids"));
        }
        Ok(Keyring { keys, current })
    }

    /// The same keys plus a new random one, which becomes current.
    pub fn with_new_key(&self) -> Result<Keyring> {
        let id = self.keys.keys().next_back().copied().unwrap_or(0) + 1;
        let mut keys = self.keys.clone();
        keys.insert(id, random_key()?);
        Ok(Keyring { keys, current: id })
    }

    /// The id new ciphertexts are sealed under.
    pub fn current(&self) -> KeyId {
        self.current
    }

    /// Every key id, oldest first.
    pub fn ids(&self) -> Vec<KeyId> {
        self.keys.keys().copied().collect()
    }

    /// The raw key with this id (only the cipher reads it).
    pub(crate) fn key(&self, id: KeyId) -> Option<&[u8; 32]> {
        self.keys.get(&id)
    }

    /// Read a key file. The message says which line is wrong, never what it holds.
    pub fn parse(text: &str) -> std::result::Result<Keyring, String> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        match lines.next() {
            Some((_, l)) if l == HEADER => {}
            _ => {
                return Err(format!(
                    "not a wushe key file (the first line must be '{HEADER}')"
                ));
            }
        }
        let mut current = None;
        let mut keys = BTreeMap::new();
        for (n, line) in lines {
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.as_slice() {
                ["current", id] => {
                    current = Some(
                        id.parse::<KeyId>()
                            .map_err(|_| format!("line {n}: bad key id"))?,
                    )
                }
                ["key", id, hex_key] => {
                    let id = id
                        .parse::<KeyId>()
                        .ok()
                        .filter(|i| *i > 0)
                        .ok_or_else(|| format!("line {n}: bad key id"))?;
                    let bytes: [u8; 32] = hex::decode(hex_key)
                        .ok()
                        .and_then(|b| b.try_into().ok())
                        .ok_or_else(|| format!("line {n}: a key must be 64 hex digits"))?;
                    if keys.insert(id, bytes).is_some() {
                        return Err(format!("line {n}: key {id} appears twice"));
                    }
                }
                _ => return Err(format!("line {n}: expected 'current ID' or 'key ID HEX'")),
            }
        }
        let current = current.ok_or("no 'current' line")?;
        if !keys.contains_key(&current) {
            return Err(format!("the current key {current} is not in the file"));
        }
        Ok(Keyring { keys, current })
    }

    /// The key file text for this keyring.
    pub fn to_text(&self) -> String {
        let mut out = format!("{COMMENT}{HEADER}\ncurrent {}\n", self.current);
        for (id, k) in &self.keys {
            out.push_str(&format!("key {id} {}\n", hex::encode(k)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_round_trips_and_a_new_key_becomes_current() {
        let ring = Keyring::generate().expect("ring");
        assert_eq!(ring.current(), 1);
        let two = ring.with_new_key().expect("new key");
        assert_eq!(two.ids(), vec![1, 2]);
        assert_eq!(two.current(), 2);
        assert_eq!(two.key(1), ring.key(1), "old keys are kept");
        assert_ne!(two.key(1), two.key(2));
        let back = Keyring::parse(&two.to_text()).expect("parse");
        assert_eq!(back, two);
    }

    #[test]
    fn a_damaged_key_file_is_refused_with_the_line_and_without_the_key() {
        let ring = Keyring::generate().expect("ring");
        let text = ring.to_text();
        let secret = hex::encode(ring.key(1).expect("key"));
        let short = text.replace(&secret, &secret[..62]);
        let err = Keyring::parse(&short).expect_err("short key");
        assert!(err.contains("64 hex digits"), "{err}");
        assert!(!err.contains(&secret[..62]), "the message leaks the key");
        assert!(Keyring::parse("key 1 00").is_err(), "no header");
        assert!(Keyring::parse(&text.replace("current 1", "current 2")).is_err());
        assert!(Keyring::parse(&text.replace("current 1\n", "")).is_err());
        let twice = format!("{text}key 1 {secret}\n");
        assert!(Keyring::parse(&twice).expect_err("twice").contains("twice"));
    }

    #[test]
    fn debug_output_never_shows_a_key() {
        let ring = Keyring::generate().expect("ring");
        let secret = hex::encode(ring.key(1).expect("key"));
        let shown = format!("{ring:?}");
        assert!(
            !shown.contains(&secret) && shown.contains("redacted"),
            "{shown}"
        );
    }
}
