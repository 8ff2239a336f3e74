//! Masking: how sensitive values show by default. Pure functions; the full value is shown
//! only through an audited reveal (see [`crate::reveal`]).

fn mask_middle(value: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = value.trim().chars().collect();
    let n = chars.len();
    if n <= keep_start + keep_end {
        // Too short to show any part safely.
        return "*".repeat(n.max(1));
    }
    let mut out: String = chars[..keep_start].iter().collect();
    out.push_str(&"*".repeat(n - keep_start - keep_end));
    out.extend(&chars[n - keep_end..]);
    out
}

/// A national ID number with only its first 3 and last 4 characters: `310***********1234`.
pub fn mask_id_number(value: &str) -> String {
    mask_middle(value, 3, 4)
}

/// A phone number with only its first 3 and last 4 digits: `138****5678`.
pub fn mask_phone(value: &str) -> String {
    let digits: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    mask_middle(&digits, 3, 4)
}

/// A name with only its first character (the family name, for most Chinese names): `张*`.
pub fn mask_name(value: &str) -> String {
    let mut chars = value.trim().chars();
    match chars.next() {
        None => "*".into(),
        Some(first) => {
            let rest = chars.filter(|c| !c.is_whitespace()).count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_show_the_first_three_and_last_four() {
        assert_eq!(mask_id_number("310101199001011234"), "310***********1234");
        assert_eq!(mask_id_number("31010119900101123X"), "310***********123X");
        assert_eq!(mask_id_number("310101900101123"), "310********1123");
        assert_eq!(
            mask_id_number("1234567"),
            "*******",
            "too short to show any part"
        );
        assert_eq!(mask_id_number(""), "*");
    }

    #[test]
    fn phones_show_the_first_three_and_last_four_digits() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("138 1234 5678"), "138****5678");
        assert_eq!(mask_phone("021-63001234"), "021****1234");
        assert_eq!(mask_phone("110"), "***");
    }

    #[test]
    fn names_show_only_the_first_character() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("王小明"), "王**");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(
            mask_name("李"),
            "李*",
            "a one-character name is still masked"
        );
        assert_eq!(mask_name("Li Hua"), "L****");
        assert_eq!(mask_name(" "), "*");
    }

    #[test]
    fn a_masked_value_never_contains_the_hidden_part() {
        let id = "310101199001011234";
        let masked = mask_id_number(id);
        assert!(!masked.contains("19900101"));
        assert_eq!(masked.chars().count(), id.chars().count());
        assert!(!mask_phone("13812345678").contains("1234"));
    }
}
