//! Parsed text values: bounded, trimmed, free of control characters.

use crate::error::FieldError;

/// Trimmed text of 1..=max characters with no control characters.
pub fn required(field: &'static str, raw: &str, max: usize) -> Result<String, FieldError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(FieldError {
            field,
            zh: "必填".into(),
            en: "Required".into(),
        });
    }
    bounded(field, v, max)
}

/// Like [`required`] but empty input is `None`.
pub fn optional(field: &'static str, raw: &str, max: usize) -> Result<Option<String>, FieldError> {
    let v = raw.trim();
    if v.is_empty() {
        Ok(None)
    } else {
        bounded(field, v, max).map(Some)
    }
}

fn bounded(field: &'static str, v: &str, max: usize) -> Result<String, FieldError> {
    if v.chars().count() > max {
        return Err(FieldError {
            field,
            zh: format!("最多 {max} 个字"),
            en: format!("At most {max} characters"),
        });
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(FieldError {
            field,
            zh: "含有不可见的控制字符".into(),
            en: "Contains control characters".into(),
        });
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_trims_and_refuses_blank_and_long_text() {
        assert_eq!(
            required("n", "  居委会 ", 10).ok(),
            Some("居委会".to_string())
        );
        assert!(required("n", "   ", 10).is_err());
        assert!(required("n", &"字".repeat(11), 10).is_err());
        assert!(required("n", "a\u{0}b", 10).is_err());
        assert_eq!(optional("n", " ", 10).ok(), Some(None));
    }
}
