//! The code on a 志愿服务记录证明 (service record certificate): 8 characters of random id and
//! 8 characters of MAC over that id (HMAC-SHA256 under the server's keyed-hash key, via the
//! field cipher), written in groups of four from an alphabet without look-alikes
//! (no I, L, O, U). Case and separators are ignored when a code is typed; any other change
//! makes the MAC fail. Candidates under every key keep old certificates valid after a key
//! rotation.

use crate::crypto::Cipher;
use crate::error::Result;

/// Crockford's base-32 alphabet: digits and capitals without I, L, O and U.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters of the id and of the MAC.
pub const PART: usize = 8;

const DOMAIN: &str = "service_certificate";

fn encode(bytes: &[u8], n: usize) -> String {
    // 5 bits per character, most significant first.
    let mut out = String::with_capacity(n);
    let mut acc: u64 = 0;
    let mut bits = 0;
    for b in bytes {
        acc = (acc << 8) | u64::from(*b);
        bits += 8;
        while bits >= 5 && out.len() < n {
            bits -= 5;
            let i = usize::try_from((acc >> bits) & 31).unwrap_or(0);
            out.push(char::from(ALPHABET[i]));
        }
        if out.len() == n {
            break;
        }
    }
    out
}

/// A new certificate id from 5 random bytes (40 bits).
pub fn id_from_random(random: [u8; 5]) -> String {
    encode(&random, PART)
}

fn mac_from_hash(hash_hex: &str) -> String {
    let hex = hash_hex.split_once(':').map(|(_, v)| v).unwrap_or(hash_hex);
    let bytes = hex::decode(hex).unwrap_or_default();
    encode(&bytes, PART)
}

/// The full code of a certificate id, grouped: `ABCD-EFGH-JKMN-PQRS`.
pub fn code_of(cipher: &Cipher, id: &str) -> Result<String> {
    let mac = mac_from_hash(&cipher.keyed_hash(DOMAIN, id)?);
    Ok(group(&format!("{id}{mac}")))
}

fn group(s: &str) -> String {
    s.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// Upper-case, drop spaces and dashes; `None` unless 16 characters of the alphabet remain.
pub fn normalise(raw: &str) -> Option<String> {
    let v: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (v.len() == 2 * PART && v.bytes().all(|b| ALPHABET.contains(&b))).then_some(v)
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The certificate id of a typed code if its MAC is right under any key; else `None`.
pub fn verify(cipher: &Cipher, raw: &str) -> Option<String> {
    let v = normalise(raw)?;
    let (id, mac) = v.split_at(PART);
    cipher
        .keyed_hash_candidates(DOMAIN, id)
        .iter()
        .any(|h| same(&mac_from_hash(h), mac))
        .then(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Keyring;

    #[test]
    fn a_code_verifies_in_any_case_and_every_single_character_change_fails() {
        let cipher = Cipher::new(&Keyring::generate().expect("ring"));
        let id = id_from_random([1, 2, 3, 4, 250]);
        let code = code_of(&cipher, &id).expect("code");
        assert_eq!(code.len(), 19);
        assert_eq!(verify(&cipher, &code).as_deref(), Some(id.as_str()));
        assert_eq!(
            verify(&cipher, &code.to_lowercase()).as_deref(),
            Some(id.as_str())
        );
        assert_eq!(
            verify(&cipher, &code.replace('-', " ")).as_deref(),
            Some(id.as_str())
        );
        let plain: Vec<u8> = code.bytes().filter(|b| *b != b'-').collect();
        for pos in 0..plain.len() {
            for c in ALPHABET.iter().filter(|c| **c != plain[pos]) {
                let mut t = plain.clone();
                t[pos] = *c;
                let t = String::from_utf8(t).expect("ascii");
                assert_eq!(verify(&cipher, &t), None, "{t} verified");
            }
        }
        for bad in ["", "ABCD", "IIII-IIII-IIII-IIII", &format!("{code}0")] {
            assert_eq!(verify(&cipher, bad), None, "{bad}");
        }
    }

    #[test]
    fn codes_survive_a_key_rotation_but_not_another_deployment() {
        let ring = Keyring::generate().expect("ring");
        let before = Cipher::new(&ring);
        let id = id_from_random([9, 8, 7, 6, 5]);
        let code = code_of(&before, &id).expect("code");
        let after = Cipher::new(&ring.with_new_key().expect("rotate"));
        assert_eq!(verify(&after, &code).as_deref(), Some(id.as_str()));
        let other = Cipher::new(&Keyring::generate().expect("other"));
        assert_eq!(verify(&other, &code), None);
    }

    #[test]
    fn ids_use_only_the_alphabet() {
        let id = id_from_random([255; 5]);
        assert_eq!(id, "ZZZZZZZZ");
        assert_eq!(id_from_random([0; 5]), "00000000");
    }
}
