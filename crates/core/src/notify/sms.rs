//! Texts to residents who gave a number: which changes of their need are worth a text, the
//! words (short, Chinese, the tracking link and the code, nothing personal), and the caps that
//! keep anyone from using wushe to flood a phone.

use crate::crypto::EncryptedColumn;
use crate::needs::timeline::EventKind;

use super::TRACKING_LINK;

/// The number a demo text went to (kept only in demo mode, for the 短信发件箱 page).
pub const DEMO_PHONE: EncryptedColumn = EncryptedColumn {
    table: "sms_sent",
    column: "phone",
    id_column: "id",
};

/// The words of a demo text (they hold the tracking link's secret).
pub const DEMO_BODY: EncryptedColumn = EncryptedColumn {
    table: "sms_sent",
    column: "body",
    id_column: "id",
};

/// The changes that text the resident: received, assigned, on the way, resolved, cancelled.
pub const RESIDENT_KINDS: [EventKind; 5] = [
    EventKind::Created,
    EventKind::Assigned,
    EventKind::Started,
    EventKind::Resolved,
    EventKind::Cancelled,
];

/// Whether a timeline event of this kind texts the resident.
pub fn texts_resident(kind: EventKind) -> bool {
    RESIDENT_KINDS.contains(&kind)
}

/// The words of a text: the sender's signature, what happened, the tracking code and link.
/// `None` for a kind that is never texted.
pub fn text(sender: &str, kind: &str, code: &str, link: &str) -> Option<String> {
    let what = match EventKind::parse(kind) {
        Some(EventKind::Created) => "我们已收到您的求助",
        Some(EventKind::Assigned) => "您的求助已安排工作人员跟进",
        Some(EventKind::Started) => "工作人员正在处理您的求助，可能已在路上",
        Some(EventKind::Resolved) => "您的求助已处理完毕，如仍需帮助请打开链接告诉我们",
        Some(EventKind::Cancelled) => "您的求助已取消",
        None if kind == TRACKING_LINK => "这是您求助的查询链接",
        _ => return None,
    };
    Some(format!(
        "【{sender}】{what}（编号 {code}）。查看进展：{link}"
    ))
}

/// Caps on texts: per number per hour and per day, and per client address per hour for
/// texts a resident asks for (tracking-link recovery).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    pub per_phone_hour: i64,
    pub per_phone_day: i64,
    pub per_origin_hour: i64,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            per_phone_hour: 5,
            per_phone_day: 10,
            per_origin_hour: 10,
        }
    }
}

/// Texts already sent, counted by the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SentCounts {
    pub phone_hour: i64,
    pub phone_day: i64,
    /// Texts asked for from the same address in the last hour (0 for staff-caused texts).
    pub origin_hour: i64,
}

impl Caps {
    /// Why the next text may not go, or `None` when it may.
    pub fn refuse(&self, sent: SentCounts) -> Option<&'static str> {
        if sent.phone_hour >= self.per_phone_hour {
            Some("cap: texts to this number in the last hour")
        } else if sent.phone_day >= self.per_phone_day {
            Some("cap: texts to this number in the last day")
        } else if sent.origin_hour >= self.per_origin_hour {
            Some("cap: texts asked for from this address in the last hour")
        } else {
            None
        }
    }
}

/// One text handed to the gateway or held back by a cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsRecord {
    pub id: crate::ids::SmsId,
    pub outbox: crate::ids::OutboxId,
    /// Blind index of the number.
    pub phone_index: String,
    pub origin: Option<String>,
    /// `sent` or `capped`.
    pub outcome: &'static str,
    /// `demo` or `http`.
    pub mode: &'static str,
    /// Sealed number and words: demo mode only.
    pub phone: Option<Vec<u8>>,
    pub body: Option<Vec<u8>>,
    pub at: time::OffsetDateTime,
}
