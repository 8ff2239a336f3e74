//! The rules a new password must meet, and when a password expires. Always: 10 to 128
//! characters and a zxcvbn score of at least 3, scored with the user's own name and user name
//! as known words. In MLPS mode (等保三级): also three of four character classes, and a change
//! every 90 days. Every refusal says, in Chinese and English, how to fix it.

use time::{Duration, OffsetDateTime};
use zxcvbn::feedback::Warning;

use crate::error::FieldError;

/// Which password rules apply in this deployment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PasswordRules {
    /// MLPS (等保) mode: character classes and rotation.
    pub mlps: bool,
}

impl PasswordRules {
    pub const MIN_CHARS: usize = 10;
    /// An upper bound keeps hashing and strength estimation cheap.
    pub const MAX_CHARS: usize = 128;
    pub const MIN_SCORE: u8 = 3;
    pub const MIN_CLASSES: usize = 3;
    /// How long a password lasts in MLPS mode.
    pub const ROTATION: Duration = Duration::days(90);

    /// Check a new password. `user_inputs` are words zxcvbn should treat as guessable (the
    /// user name and the display name). `field` names the form field the message belongs to.
    pub fn check(
        &self,
        field: &'static str,
        password: &str,
        user_inputs: &[&str],
    ) -> Result<(), FieldError> {
        let refuse = |zh: String, en: String| Err(FieldError { field, zh, en });
        let n = password.chars().count();
        if n < Self::MIN_CHARS {
            return refuse(
                format!(
                    "密码至少需要{}个字符（现在是{n}个）。可以用三四个不相关的词连成一句好记的话。",
                    Self::MIN_CHARS
                ),
                format!(
                    "Use at least {} characters (this has {n}). Three or four unrelated words make a password that is long and easy to remember.",
                    Self::MIN_CHARS
                ),
            );
        }
        if n > Self::MAX_CHARS {
            return refuse(
                format!("密码最多{}个字符，请缩短一些。", Self::MAX_CHARS),
                format!("Use at most {} characters.", Self::MAX_CHARS),
            );
        }
        let mut zh = Vec::new();
        let mut en = Vec::new();
        let inputs: Vec<String> = user_inputs
            .iter()
            .map(|s| s.trim().to_lowercase())
            .filter(|s| s.chars().count() >= 3)
            .collect();
        let input_refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let estimate = zxcvbn::zxcvbn(password, &input_refs);
        if u8::from(estimate.score()) < Self::MIN_SCORE {
            zh.push("密码太容易被猜到。".to_string());
            en.push("This password is too easy to guess.".to_string());
            let lower = password.to_lowercase();
            if inputs.iter().any(|i| lower.contains(i.as_str())) {
                zh.push("不要在密码里用自己的姓名或用户名。".into());
                en.push("Do not use your name or user name in it.".into());
            } else if let Some(w) = estimate.feedback().and_then(|f| f.warning()) {
                zh.push(warning_zh(w).into());
                en.push(w.to_string());
            }
            zh.push(
                "请再加一两个不相关的词，或换成一句只有您知道的话；加长比加符号更有效。".into(),
            );
            en.push("Add another word or two, or use a phrase only you know; length helps more than symbols.".into());
        }
        if self.mlps {
            let missing = missing_classes(password);
            if 4 - missing.len() < Self::MIN_CLASSES {
                let (mz, me): (Vec<&str>, Vec<&str>) = missing.into_iter().unzip();
                zh.push(format!(
                    "等保要求密码包含大写字母、小写字母、数字、符号中的至少三类，请加上：{}。",
                    mz.join("、")
                ));
                en.push(format!(
                    "MLPS mode needs at least three of: upper-case letters, lower-case letters, digits, symbols. Add: {}.",
                    me.join(", ")
                ));
            }
        }
        if zh.is_empty() {
            Ok(())
        } else {
            refuse(zh.join(""), en.join(" "))
        }
    }

    /// Has a password set at `changed_at` expired at `now`? Only in MLPS mode.
    pub fn is_expired(&self, changed_at: OffsetDateTime, now: OffsetDateTime) -> bool {
        self.mlps && now - changed_at >= Self::ROTATION
    }
}

/// The character classes a password lacks, as (Chinese, English) names. Letters without case
/// (such as Chinese characters) count as symbols.
fn missing_classes(password: &str) -> Vec<(&'static str, &'static str)> {
    let has = |f: fn(char) -> bool| password.chars().any(f);
    let mut missing = Vec::new();
    if !has(char::is_uppercase) {
        missing.push(("大写字母", "upper-case letters"));
    }
    if !has(char::is_lowercase) {
        missing.push(("小写字母", "lower-case letters"));
    }
    if !has(|c| c.is_numeric()) {
        missing.push(("数字", "digits"));
    }
    if !has(|c| !c.is_uppercase() && !c.is_lowercase() && !c.is_numeric()) {
        missing.push(("符号", "symbols"));
    }
    missing
}

fn warning_zh(w: Warning) -> &'static str {
    match w {
        Warning::StraightRowsOfKeysAreEasyToGuess => "键盘上连着的一排键很容易被猜到。",
        Warning::ShortKeyboardPatternsAreEasyToGuess => "简短的键盘图案很容易被猜到。",
        Warning::RepeatsLikeAaaAreEasyToGuess => "像“aaa”这样的重复很容易被猜到。",
        Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => {
            "像“abcabcabc”这样的重复并不比“abc”难猜多少。"
        }
        Warning::ThisIsATop10Password
        | Warning::ThisIsATop100Password
        | Warning::ThisIsACommonPassword => "这是非常常见的密码。",
        Warning::ThisIsSimilarToACommonlyUsedPassword => "这和常见密码很相似。",
        Warning::SequencesLikeAbcAreEasyToGuess => "像 abc 或 6543 这样的顺序很容易被猜到。",
        Warning::RecentYearsAreEasyToGuess => "最近的年份很容易被猜到。",
        Warning::AWordByItselfIsEasyToGuess => "单独一个词很容易被猜到。",
        Warning::DatesAreOftenEasyToGuess => "日期通常很容易被猜到。",
        Warning::NamesAndSurnamesByThemselvesAreEasyToGuess
        | Warning::CommonNamesAndSurnamesAreEasyToGuess => "姓名很容易被猜到。",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, TestClock};

    const STANDARD: PasswordRules = PasswordRules { mlps: false };
    const MLPS: PasswordRules = PasswordRules { mlps: true };

    fn refused(r: PasswordRules, pw: &str, inputs: &[&str]) -> FieldError {
        r.check("password", pw, inputs)
            .expect_err(&format!("{pw} should be refused"))
    }

    #[test]
    fn short_passwords_are_refused_with_the_count() {
        let e = refused(STANDARD, "Xk9#vq2!", &[]);
        assert_eq!(e.field, "password");
        assert!(
            e.zh.contains("至少需要10个字符") && e.zh.contains("8"),
            "{}",
            e.zh
        );
        assert!(e.en.contains("at least 10"), "{}", e.en);
        assert!(
            refused(STANDARD, &"长".repeat(129), &[])
                .en
                .contains("at most")
        );
    }

    #[test]
    fn long_but_guessable_passwords_are_refused() {
        for pw in [
            "aaaaaaaaaaaa",
            "password123",
            "1234567890",
            "qwertyuiop",
            "iloveyou2022",
        ] {
            let e = refused(STANDARD, pw, &[]);
            assert!(e.zh.contains("太容易被猜到"), "{pw}: {}", e.zh);
            assert!(e.en.contains("Add another word"), "{pw}: {}", e.en);
        }
    }

    #[test]
    fn the_user_name_and_display_name_count_as_guessable() {
        let pw = "wang.xiaoli2024";
        let e = refused(STANDARD, pw, &["wang.xiaoli", "王小丽"]);
        assert!(e.zh.contains("姓名或用户名"), "{}", e.zh);
    }

    #[test]
    fn strong_passwords_pass_in_both_modes_when_they_mix_classes() {
        assert!(
            STANDARD
                .check("password", "绿色通道-2026-wuli", &[])
                .is_ok()
        );
        assert!(
            STANDARD
                .check("password", "tiger lamp orchard river", &[])
                .is_ok()
        );
        assert!(MLPS.check("password", "Tiger-lamp-orchard-7", &[]).is_ok());
    }

    #[test]
    fn mlps_mode_asks_for_three_character_classes_and_names_the_missing_ones() {
        let pw = "tiger lamp orchard river";
        assert!(STANDARD.check("new_password", pw, &[]).is_ok());
        let e = refused(MLPS, pw, &[]);
        assert!(e.zh.contains("至少三类"), "{}", e.zh);
        assert!(e.zh.ends_with("请加上：大写字母、数字。"), "{}", e.zh);
        assert!(
            e.en.ends_with("Add: upper-case letters, digits."),
            "{}",
            e.en
        );
    }

    #[test]
    fn passwords_expire_after_90_days_only_in_mlps_mode() {
        let clock = TestClock::new(time::macros::datetime!(2026-04-03 08:00 UTC));
        let set = clock.now();
        clock.advance(Duration::days(89));
        assert!(!MLPS.is_expired(set, clock.now()));
        clock.advance(Duration::days(1));
        assert!(MLPS.is_expired(set, clock.now()));
        assert!(!STANDARD.is_expired(set, clock.now()));
    }
}
