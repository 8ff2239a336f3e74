//! The field cipher: AES-256-GCM with the field's place as associated data, and keyed
//! hashes (blind indexes, recovery codes) under separate derived keys.
//!
//! Sealed value, format 1:
//! `[version=1][algorithm=1 AES-256-GCM][key id: u32 big-endian][nonce: 12][ciphertext + tag: 16]`.
//! The associated data is the 6-byte header followed by the table, the column (each with a
//! two-byte length) and the 16-byte row id, so a sealed value copied to another row or column,
//! or given another key id, fails to open. Algorithm 2 is reserved for SM4-GCM.

use std::collections::BTreeMap;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::crypto::keyring::{KeyId, Keyring};
use crate::crypto::{CryptoError, FieldRef};
use crate::error::{Error, Result};

/// Format version written by this build.
pub const FORMAT_V1: u8 = 1;
/// AES-256-GCM with a random 96-bit nonce.
pub const ALG_AES_256_GCM: u8 = 1;
const HEADER: usize = 6;
const NONCE: usize = 12;
const TAG: usize = 16;

/// Keys derived from one master key; each use gets its own.
struct Derived {
    aead: Aes256Gcm,
    index: [u8; 32],
    fingerprint: String,
}

/// HMAC-SHA256 of `label` under `key`.
fn prf(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0u8; 32],
    };
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// Exact-match lookups by a keyed blind index over a normalised value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// National ID number (GB 11643): 15 or 18 characters, the last may be `X`.
    IdNumber,
    /// Mobile or landline number; `+86`/`0086` and separators are dropped.
    Phone,
}

impl Lookup {
    fn domain(self) -> &'static str {
        match self {
            Lookup::IdNumber => "id_number",
            Lookup::Phone => "phone",
        }
    }

    /// The canonical form that is hashed, or `None` when the value is not one of these.
    pub fn normalise(self, raw: &str) -> Option<String> {
        let v: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        match self {
            Lookup::IdNumber => {
                let v = v.to_ascii_uppercase();
                let body_ok = v.chars().rev().skip(1).all(|c| c.is_ascii_digit());
                let last_ok = v
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_ascii_digit() || c == 'X');
                ((v.len() == 18 || v.len() == 15) && body_ok && last_ok).then_some(v)
            }
            Lookup::Phone => {
                let v = v
                    .strip_prefix("+86")
                    .or_else(|| v.strip_prefix("0086"))
                    .map(str::to_string)
                    .unwrap_or(v);
                ((5..=15).contains(&v.len()) && v.chars().all(|c| c.is_ascii_digit())).then_some(v)
            }
        }
    }
}

/// The one field cipher. Built from the keyring at start and shared (in an `Arc`) with
/// every use-case that reads or writes sensitive fields.
pub struct Cipher {
    keys: BTreeMap<KeyId, Derived>,
    current: KeyId,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cipher")
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

impl Cipher {
    pub fn new(ring: &Keyring) -> Cipher {
        let keys = ring
            .ids()
            .into_iter()
            .filter_map(|id| ring.key(id).map(|k| (id, k)))
            .map(|(id, master)| {
                let aead_key = prf(master, &[b"wushe/1/aead"]);
                let derived = Derived {
                    aead: Aes256Gcm::new(&Key::<Aes256Gcm>::from(aead_key)),
                    index: prf(master, &[b"wushe/1/keyed-hash"]),
                    fingerprint: hex::encode(prf(master, &[b"wushe/1/fingerprint"])),
                };
                (id, derived)
            })
            .collect();
        Cipher {
            keys,
            current: ring.current(),
        }
    }

    /// The key new values are sealed under.
    pub fn current_key(&self) -> KeyId {
        self.current
    }

    /// `(key id, fingerprint)` of every key: an HMAC of a fixed label, never the key.
    pub fn fingerprints(&self) -> Vec<(KeyId, String)> {
        self.keys
            .iter()
            .map(|(id, d)| (*id, d.fingerprint.clone()))
            .collect()
    }

    fn aad(header: &[u8], field: &FieldRef<'_>) -> Vec<u8> {
        let mut aad = Vec::with_capacity(HEADER + field.table.len() + field.column.len() + 20);
        aad.extend_from_slice(header);
        for part in [field.table.as_bytes(), field.column.as_bytes()] {
            aad.extend_from_slice(&(part.len().min(u16::MAX as usize) as u16).to_be_bytes());
            aad.extend_from_slice(part);
        }
        aad.extend_from_slice(field.row.as_bytes());
        aad
    }

    /// Seal `plain` for one field of one row, under the current key.
    pub fn seal(&self, field: FieldRef<'_>, plain: &[u8]) -> Result<Vec<u8>> {
        let key = self
            .keys
            .get(&self.current)
            .ok_or_else(|| Error::internal("the current key is missing"))?;
        let mut header = vec![FORMAT_V1, ALG_AES_256_GCM];
        header.extend_from_slice(&self.current.to_be_bytes());
        let mut nonce = [0u8; NONCE];
        getrandom::fill(&mut nonce).map_err(Error::internal)?;
        let aad = Cipher::aad(&header, &field);
        let sealed = key
            .aead
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| Error::internal("encryption failed"))?;
        let mut out = header;
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Open a sealed value of this field. Any change to its bytes, a truncation or a move to
    /// another row or column is [`CryptoError::Tampered`].
    pub fn open(
        &self,
        field: FieldRef<'_>,
        sealed: &[u8],
    ) -> std::result::Result<Vec<u8>, CryptoError> {
        if sealed.len() < HEADER + NONCE + TAG {
            return Err(CryptoError::Tampered);
        }
        let (header, rest) = sealed.split_at(HEADER);
        if header[0] != FORMAT_V1 || header[1] != ALG_AES_256_GCM {
            return Err(CryptoError::Unsupported {
                version: header[0],
                algorithm: header[1],
            });
        }
        let id = KeyId::from_be_bytes([header[2], header[3], header[4], header[5]]);
        let key = self.keys.get(&id).ok_or(CryptoError::UnknownKey(id))?;
        let (nonce, body) = rest.split_at(NONCE);
        let nonce: [u8; NONCE] = nonce.try_into().map_err(|_| CryptoError::Tampered)?;
        let aad = Cipher::aad(header, &field);
        key.aead
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: body,
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Tampered)
    }

    /// Seal a text value.
    pub fn seal_str(&self, field: FieldRef<'_>, plain: &str) -> Result<Vec<u8>> {
        self.seal(field, plain.as_bytes())
    }

    /// Open a text value; failures become [`Error::Tampered`] (naming the field) or internal.
    pub fn open_str(&self, field: FieldRef<'_>, sealed: &[u8]) -> Result<String> {
        let bytes = self.open(field, sealed).map_err(|e| e.into_error(&field))?;
        String::from_utf8(bytes).map_err(|_| Error::Tampered(field.to_string()))
    }

    /// The key id a sealed value names, if it has a readable header.
    pub fn key_id_of(sealed: &[u8]) -> Option<KeyId> {
        (sealed.len() >= HEADER && sealed[0] == FORMAT_V1)
            .then(|| KeyId::from_be_bytes([sealed[2], sealed[3], sealed[4], sealed[5]]))
    }

    fn keyed(&self, id: KeyId, domain: &str, value: &str) -> Option<String> {
        let d = self.keys.get(&id)?;
        let mac = prf(&d.index, &[domain.as_bytes(), &[0], value.as_bytes()]);
        Some(format!("{id}:{}", hex::encode(mac)))
    }

    /// A keyed hash (HMAC-SHA256 under the derived hashing key) of `value` in `domain`,
    /// prefixed with the key id: `"2:ab12…"`. For values that must be matched, never read.
    pub fn keyed_hash(&self, domain: &str, value: &str) -> Result<String> {
        self.keyed(self.current, domain, value)
            .ok_or_else(|| Error::internal("the current key is missing"))
    }

    /// The keyed hash of `value` under every key, to match values hashed before a rotation.
    pub fn keyed_hash_candidates(&self, domain: &str, value: &str) -> Vec<String> {
        self.keys
            .keys()
            .filter_map(|id| self.keyed(*id, domain, value))
            .collect()
    }

    /// The blind index of an ID number or phone, or `None` when the value does not parse.
    pub fn blind_index(&self, lookup: Lookup, raw: &str) -> Option<String> {
        let v = lookup.normalise(raw)?;
        self.keyed(self.current, lookup.domain(), &v)
    }

    /// Blind indexes of the value under every key (search with `IN (…)`).
    pub fn blind_index_candidates(&self, lookup: Lookup, raw: &str) -> Vec<String> {
        match lookup.normalise(raw) {
            Some(v) => self.keyed_hash_candidates(lookup.domain(), &v),
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
#[path = "cipher_tests.rs"]
mod tests;
