//! Tracking codes residents can read out on the phone: 8 characters from an alphabet without
//! look-alikes (no 0/O, 1/I/L) plus a mod-31 check character, shown as `K7QX-M3NP-5`.
//! The check character catches every single mistyped character and every swap of neighbours.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// 31 characters (a prime, which makes the check character strong).
pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A valid tracking code (9 characters, no separators).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TrackingCode(String);

fn value(c: u8) -> Option<usize> {
    ALPHABET.iter().position(|&a| a == c)
}

/// The check character for `body`: position weights 1..=9 modulo 31 make the weighted sum of
/// all nine characters 0. 31 is prime, so changing one character (by d ≠ 0) or swapping two
/// neighbours (changing the sum by their difference) always changes the sum.
fn check_char(body: &[u8]) -> Option<u8> {
    let n = ALPHABET.len();
    let mut sum = 0;
    for (i, &c) in body.iter().enumerate() {
        sum += (i + 1) * value(c)?;
    }
    // 9 × 7 = 63 ≡ 1 (mod 31): 7 is the inverse of the check position's weight.
    let check = (n - sum % n) % n * 7 % n;
    Some(ALPHABET[check])
}

impl TrackingCode {
    /// A new code from 8 random bytes (the edge supplies randomness).
    pub fn from_random(bytes: [u8; 8]) -> TrackingCode {
        let body: Vec<u8> = bytes
            .iter()
            .map(|b| ALPHABET[*b as usize % ALPHABET.len()])
            .collect();
        let check = check_char(&body).unwrap_or(ALPHABET[0]);
        let mut s = String::from_utf8_lossy(&body).into_owned();
        s.push(check as char);
        TrackingCode(s)
    }

    /// Accepts lower case, spaces and dashes; refuses wrong length, unknown characters and a
    /// wrong check character.
    pub fn parse(raw: &str) -> Result<TrackingCode, FieldError> {
        let s: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_uppercase();
        let bytes = s.as_bytes();
        let ok = bytes.len() == 9
            && bytes.iter().all(|b| value(*b).is_some())
            && check_char(&bytes[..8]) == Some(bytes[8]);
        if ok {
            Ok(TrackingCode(s))
        } else {
            Err(FieldError {
                field: "code",
                zh: "查询码不正确，请核对（9位，例如 K7QX-M3NP-5）".into(),
                en: "That tracking code is not right; check it (9 characters, e.g. K7QX-M3NP-5)"
                    .into(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `K7QX-M3NP-5`, easier to read aloud.
    pub fn display(&self) -> String {
        format!("{}-{}-{}", &self.0[..4], &self.0[4..8], &self.0[8..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(seed: u64) -> TrackingCode {
        TrackingCode::from_random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_le_bytes())
    }

    #[test]
    fn a_generated_code_parses_in_any_reasonable_spelling() {
        for seed in 0..500 {
            let c = sample(seed);
            assert_eq!(TrackingCode::parse(c.as_str()).as_ref(), Ok(&c));
            assert_eq!(
                TrackingCode::parse(&c.display().to_lowercase()).as_ref(),
                Ok(&c)
            );
            assert!(!c.as_str().contains(['0', '1', 'I', 'L', 'O']));
        }
    }

    #[test]
    fn every_single_typo_and_neighbour_swap_is_caught() {
        for seed in 0..200 {
            let c = sample(seed);
            let b = c.as_str().as_bytes().to_vec();
            for i in 0..9 {
                for &other in ALPHABET {
                    if other != b[i] {
                        let mut t = b.clone();
                        t[i] = other;
                        assert!(TrackingCode::parse(&String::from_utf8_lossy(&t)).is_err());
                    }
                }
                if i < 8 && b[i] != b[i + 1] {
                    let mut t = b.clone();
                    t.swap(i, i + 1);
                    assert!(
                        TrackingCode::parse(&String::from_utf8_lossy(&t)).is_err(),
                        "swap at {i} of {}",
                        c.as_str()
                    );
                }
            }
        }
    }

    #[test]
    fn wrong_lengths_and_characters_are_refused() {
        for bad in [
            "",
            "K7QX-M3NP",
            "K7QX-M3NP-55",
            "O7QX-M3NP-5",
            "K7QX_M3NP_5",
        ] {
            assert!(TrackingCode::parse(bad).is_err(), "{bad}");
        }
    }
}
