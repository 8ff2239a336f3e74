//! Time-based one-time passwords (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, one step
//! of clock drift either way) and one-time recovery codes. Pure: time comes in as an argument.

use totp_rs::{Algorithm, Builder, Secret};

use crate::error::{Error, Result};

const DIGITS: u8 = 6;
const STEP: u64 = 30;
const SKEW: u16 = 1;
/// Issuer shown in authenticator apps.
const ISSUER: &str = "wushe";
/// Recovery codes: 10 characters from an alphabet without look-alikes (0/O, 1/I/L), ~49 bits.
const RECOVERY_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const RECOVERY_LEN: usize = 10;
/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;

/// A shared TOTP secret (160 random bits). Never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

/// The 30-second step a Unix time falls in.
pub fn step_of(unix: u64) -> u64 {
    unix / STEP
}

impl TotpSecret {
    /// A new random secret of 20 bytes, as RFC 4226 recommends.
    pub fn generate() -> Result<TotpSecret> {
        let mut b = vec![0u8; 20];
        getrandom::fill(&mut b).map_err(Error::internal)?;
        Ok(TotpSecret(b))
    }

    pub fn from_bytes(bytes: Vec<u8>) -> TotpSecret {
        TotpSecret(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Parse the manual key as shown (spaces and case do not matter).
    pub fn from_base32(text: &str) -> Option<TotpSecret> {
        let v: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        Secret::try_from_base32(v)
            .ok()
            .map(|s| TotpSecret(s.as_bytes().to_vec()))
    }

    /// The manual key: base32 without padding.
    pub fn base32(&self) -> String {
        Secret::from(self.0.clone()).to_base32()
    }

    /// The manual key in groups of four, as people type it: `ABCD EFGH …`.
    pub fn grouped(&self) -> String {
        let b = self.base32();
        b.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The `otpauth://` URI that authenticator apps read from the QR code. `account` is a
    /// user name (a–z, 0–9, `.`, `_`, `-`), so it needs no escaping.
    pub fn otpauth_uri(&self, account: &str) -> String {
        let account: String = account
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
            .collect();
        format!(
            "otpauth://totp/{ISSUER}:{account}?secret={}&issuer={ISSUER}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
            self.base32()
        )
    }

    fn totp(&self, digits: u8) -> Result<totp_rs::Totp> {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(digits)
            .with_skew(SKEW)
            .with_step_duration(STEP)
            .with_secret(self.0.clone())
            .build()
            .map_err(|e| Error::internal(format!("TOTP: {e}")))
    }

    /// The code for a Unix time.
    pub fn code_at(&self, unix: u64) -> Result<String> {
        Ok(self.totp(DIGITS)?.generate(unix).to_string())
    }

    /// The step whose code `code` is, within one step of `unix`; `None` if it is none of them.
    /// (Callers refuse a step not later than the last one used, so a code works once.)
    pub fn check(&self, code: &str, unix: u64) -> Option<u64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        self.totp(DIGITS).ok()?.check(&code, unix)
    }
}

/// Does the input look like a TOTP code (6 digits, spaces allowed) rather than a recovery code?
pub fn looks_like_code(input: &str) -> bool {
    let v: Vec<char> = input.chars().filter(|c| !c.is_whitespace()).collect();
    v.len() == DIGITS as usize && v.iter().all(|c| c.is_ascii_digit())
}

/// Ten new recovery codes, shown once as `XXXXX-XXXXX`.
pub fn new_recovery_codes() -> Result<Vec<String>> {
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    while codes.len() < RECOVERY_CODES {
        let mut code = String::with_capacity(RECOVERY_LEN + 1);
        while code.len() < RECOVERY_LEN + 1 {
            let mut b = [0u8; 16];
            getrandom::fill(&mut b).map_err(Error::internal)?;
            // Rejection sampling keeps every character equally likely.
            let limit = 256 - 256 % RECOVERY_ALPHABET.len();
            for x in b.into_iter().filter(|x| usize::from(*x) < limit) {
                if code.len() == RECOVERY_LEN / 2 {
                    code.push('-');
                }
                if code.len() < RECOVERY_LEN + 1 {
                    code.push(char::from(
                        RECOVERY_ALPHABET[usize::from(x) % RECOVERY_ALPHABET.len()],
                    ));
                }
            }
        }
        codes.push(code);
    }
    Ok(codes)
}

/// A recovery code as typed (any case, with or without the dash and spaces) in canonical form.
pub fn normalise_recovery_code(raw: &str) -> Option<String> {
    let v: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_uppercase();
    (v.len() == RECOVERY_LEN && v.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec())
    }

    #[test]
    fn the_rfc_6238_sha1_test_vectors_give_their_codes() {
        // RFC 6238 appendix B, SHA-1 rows (8 digits); our 6-digit codes are their last six.
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        let s = rfc_secret();
        let eight = s.totp(8).expect("totp");
        for (t, want) in vectors {
            assert_eq!(eight.generate(t).to_string(), want, "t = {t}");
            assert_eq!(s.code_at(t).expect("code"), want[2..], "t = {t}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_not_further() {
        let s = TotpSecret::generate().expect("secret");
        let t = 1_700_000_000;
        let code = s.code_at(t).expect("code");
        assert_eq!(s.check(&code, t), Some(step_of(t)));
        assert_eq!(s.check(&code, t + 30), Some(step_of(t)));
        assert_eq!(s.check(&code, t - 30), Some(step_of(t)));
        assert_eq!(s.check(&code, t + 60), None);
        assert_eq!(s.check(&code, t - 60), None);
        let wrong = format!(
            "{:06}",
            (code.parse::<u32>().expect("digits") + 1) % 1_000_000
        );
        assert_eq!(s.check(&wrong, t), None);
        assert_eq!(s.check("12345", t), None);
        assert_eq!(s.check("+12345", t), None);
    }

    #[test]
    fn the_manual_key_round_trips_in_groups_of_four() {
        let s = TotpSecret::generate().expect("secret");
        assert_eq!(s.base32().len(), 32);
        let g = s.grouped();
        assert_eq!(g.split(' ').count(), 8);
        assert!(g.split(' ').all(|p| p.len() == 4));
        assert_eq!(TotpSecret::from_base32(&g.to_lowercase()), Some(s.clone()));
        let uri = s.otpauth_uri("wang.li");
        assert!(
            uri.starts_with("otpauth://totp/wushe:wang.li?secret="),
            "{uri}"
        );
        assert!(uri.contains(&s.base32()) && uri.contains("period=30"));
        assert!(!format!("{s:?}").contains(&s.base32()));
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_read_back_in_any_spelling() {
        let codes = new_recovery_codes().expect("codes");
        assert_eq!(codes.len(), 10);
        let mut seen = codes.clone();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 10);
        for c in &codes {
            assert_eq!(c.len(), 11);
            assert_eq!(&c[5..6], "-");
            let n = normalise_recovery_code(c).expect("valid");
            assert_eq!(
                normalise_recovery_code(&c.to_lowercase().replace('-', " ")),
                Some(n)
            );
        }
        assert_eq!(
            normalise_recovery_code("ABCDE-FGHI0"),
            None,
            "0 is not in the alphabet"
        );
        assert!(looks_like_code("123 456") && !looks_like_code(&codes[0]));
    }
}
