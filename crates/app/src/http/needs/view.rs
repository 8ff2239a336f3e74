//! What a resident is shown after submitting, shared by the page and the API: the tracking
//! code and link, the priority with its reasons in the resident's language, and the safety
//! advice (call 120 / 110, the crisis hotline). Nothing else: a replay shows the same.

use time::{OffsetDateTime, UtcOffset};
use wushe_core::needs::service::Receipt;
use wushe_core::needs::triage::SafetyAdvice;

use crate::http::page::Lang;

/// China's national psychological assistance hotline.
pub const CRISIS_HOTLINE: &str = "12356";

/// The receipt in one language.
pub struct ReceiptView {
    pub code: String,
    pub link: String,
    pub priority: &'static str,
    pub priority_label: &'static str,
    pub reasons: Vec<String>,
    pub advice: SafetyAdvice,
    /// The lines to show in large type, most urgent first.
    pub urgent: Vec<String>,
}

/// The urgent lines for the advice ("请立即拨打120", …); empty when there is no danger.
pub fn urgent_lines(advice: &SafetyAdvice, lang: Lang) -> Vec<String> {
    let mut v = Vec::new();
    if advice.call_120 {
        v.push(lang.pick("请立即拨打120", "Call 120 now").to_string());
    }
    if advice.call_110 {
        v.push(lang.pick("请立即拨打110", "Call 110 now").to_string());
    }
    if advice.crisis_hotline {
        v.push(format!(
            "{} {CRISIS_HOTLINE}",
            lang.pick("心理援助热线", "Psychological crisis hotline")
        ));
    }
    v
}

impl ReceiptView {
    pub fn new(r: &Receipt, lang: Lang) -> ReceiptView {
        ReceiptView {
            code: r.code.display(),
            link: format!("/t/{}?k={}", r.code.as_str(), r.secret),
            priority: r.priority.as_str(),
            priority_label: lang.pick(r.priority.zh(), r.priority.en()),
            reasons: r
                .reasons
                .iter()
                .map(|x| lang.pick(&x.zh, &x.en).to_string())
                .collect(),
            advice: r.advice,
            urgent: urgent_lines(&r.advice, lang),
        }
    }
}

/// `4月3日 14:05` in Shanghai time (UTC+8 all year), or `3 Apr 14:05` in English.
pub fn shanghai_time(t: OffsetDateTime, lang: Lang) -> String {
    let offset = UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC);
    let t = t.to_offset(offset);
    match lang {
        Lang::En => format!(
            "{} {} {:02}:{:02}",
            t.day(),
            &format!("{}", t.month())[..3],
            t.hour(),
            t.minute()
        ),
        _ => format!(
            "{}月{}日 {:02}:{:02}",
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_show_in_shanghai() {
        let t = datetime!(2026-04-03 06:05 UTC);
        assert_eq!(shanghai_time(t, Lang::Zh), "4月3日 14:05");
        assert_eq!(shanghai_time(t, Lang::En), "3 Apr 14:05");
    }
}
