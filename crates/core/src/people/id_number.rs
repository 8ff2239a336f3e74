//! Resident ID numbers (居民身份证号码, GB 11643-1999): 17 digits (6-digit region, 8-digit
//! birth date, 3-digit sequence whose last digit is odd for men) and an ISO 7064 MOD 11-2 check
//! character (0–9 or X). Parsing refuses wrong lengths, impossible dates and wrong check
//! characters, and recognises numbers that a spreadsheet has already mangled.

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::error::FieldError;

/// A valid 18-character ID number (upper-case `X`). Sensitive: encrypt before storing.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdNumber(String);

/// Never prints the number.
impl std::fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdNumber(…)")
    }
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// The check character of the first 17 digits.
pub fn check_char(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    Some(CHECK[(sum % 11) as usize])
}

fn err(zh: &str, en: &str) -> FieldError {
    FieldError {
        field: "id_number",
        zh: zh.into(),
        en: en.into(),
    }
}

impl IdNumber {
    pub fn parse(raw: &str) -> Result<IdNumber, FieldError> {
        let s: String = raw
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        if s.contains('E') && s.contains('+')
            || (s.contains('.') && s.chars().filter(char::is_ascii_digit).count() < 18)
        {
            return Err(err(
                "身份证号已被表格软件改成了科学计数法（如 3.10101E+17），后几位已丢失，请按原件重新输入",
                "The ID number was turned into scientific notation by a spreadsheet (e.g. 3.10101E+17) and its last digits are lost; type it again from the card",
            ));
        }
        let b = s.as_bytes();
        if b.len() != 18
            || !b[..17].iter().all(u8::is_ascii_digit)
            || !(b[17].is_ascii_digit() || b[17] == b'X')
        {
            return Err(err(
                "身份证号应为18位：17位数字加最后一位数字或X",
                "An ID number has 18 characters: 17 digits, then a digit or X",
            ));
        }
        if !(b'1'..=b'9').contains(&b[0]) {
            return Err(err(
                "身份证号开头的地区码不正确",
                "The region part of the ID number is not right",
            ));
        }
        if birth_date(&s).is_none() {
            return Err(err(
                "身份证号中的出生日期不存在",
                "The birth date inside the ID number does not exist",
            ));
        }
        if check_char(&b[..17]) != Some(b[17]) {
            return Err(err(
                "身份证号最后一位校验码不对，请逐位核对",
                "The last (check) character does not match; check each digit",
            ));
        }
        Ok(IdNumber(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> Date {
        birth_date(&self.0).unwrap_or(Date::MIN)
    }

    /// Men have an odd 17th digit.
    pub fn is_male(&self) -> bool {
        self.0.as_bytes()[16] % 2 == 1
    }

    /// Full years of age on `today`.
    pub fn age_on(&self, today: Date) -> i32 {
        let b = self.birth_date();
        let mut age = today.year() - b.year();
        if (today.month() as u8, today.day()) < (b.month() as u8, b.day()) {
            age -= 1;
        }
        age
    }
}

fn birth_date(s: &str) -> Option<Date> {
    let year: i32 = s.get(6..10)?.parse().ok()?;
    let month: u8 = s.get(10..12)?.parse().ok()?;
    let day: u8 = s.get(12..14)?.parse().ok()?;
    if !(1900..=2100).contains(&year) {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid number built from a seed (region 310101, a real date, a sequence).
    fn make(seed: u64) -> String {
        let year = 1930 + (seed % 90) as i32;
        let month = 1 + (seed / 90 % 12) as u8;
        let day = 1 + (seed / 1080 % 28) as u8;
        let first17 = format!("310101{year:04}{month:02}{day:02}{:03}", seed % 1000);
        let c = check_char(first17.as_bytes()).expect("check") as char;
        format!("{first17}{c}")
    }

    #[test]
    fn the_standard_example_passes_and_a_changed_digit_fails() {
        // The example number of GB 11643-1999.
        let id = IdNumber::parse("11010519491231002X").expect("valid");
        assert_eq!(id.birth_date(), time::macros::date!(1949 - 12 - 31));
        assert!(!id.is_male());
        assert_eq!(id.age_on(time::macros::date!(2026 - 11 - 28)), 76);
        assert!(IdNumber::parse("110105194912310021").is_err());
        assert!(
            IdNumber::parse(" 11010519491231002x ").is_ok(),
            "lower-case x and spaces are fine"
        );
    }

    #[test]
    fn every_single_digit_change_is_caught() {
        for seed in 0..300 {
            let good = make(seed * 7919);
            assert!(IdNumber::parse(&good).is_ok(), "{good}");
            let b = good.as_bytes();
            for i in 0..18 {
                for d in b"0123456789X" {
                    if *d != b[i] && !(i < 17 && *d == b'X') {
                        let mut t = b.to_vec();
                        t[i] = *d;
                        let t = String::from_utf8_lossy(&t).into_owned();
                        assert!(IdNumber::parse(&t).is_err(), "{t} accepted (from {good})");
                    }
                }
            }
        }
    }

    #[test]
    fn impossible_dates_wrong_lengths_and_spreadsheet_damage_have_their_own_messages() {
        let feb30 = {
            let first17 = "31010119900230123";
            format!(
                "{first17}{}",
                check_char(first17.as_bytes()).expect("check") as char
            )
        };
        let e = IdNumber::parse(&feb30).expect_err("no 30 February");
        assert!(e.zh.contains("出生日期"));
        let e = IdNumber::parse("3.10101E+17").expect_err("mangled");
        assert!(e.zh.contains("科学计数法"));
        for bad in ["", "3101011990", "31010119900101123Y", "01010119900101123X"] {
            assert!(IdNumber::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            format!("{:?}", IdNumber::parse("11010519491231002X").expect("ok")),
            "IdNumber(…)"
        );
    }
}
