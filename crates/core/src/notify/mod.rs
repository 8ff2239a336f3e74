//! Notifications that leave wushe: the transactional outbox (rows written in the same
//! transaction as the need change that causes them, holding ids and event kinds only), the
//! delivery rules (exponential backoff with jitter, dead letter after N attempts), webhooks
//! (`webhook`: destinations, allow-list, HMAC signature) and texts to residents (`sms`: which
//! changes are worth a text, the words, caps per number and per address). Adapters that talk
//! to the outside live in the app; everything here is pure.

pub mod codes;
pub mod service;
pub mod sms;
pub mod webhook;

use time::{Duration, OffsetDateTime};

use crate::ids::{NeedEventId, NeedId, OutboxId, SmsCodeId, WebhookId};
use crate::needs::timeline::EventKind;
use crate::regions::RegionCode;

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// A text to the resident who gave a number.
    Sms,
    /// A signed POST to a destination an administrator registered.
    Webhook,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Webhook => "webhook",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        [Channel::Sms, Channel::Webhook]
            .into_iter()
            .find(|c| c.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            Channel::Sms => "短信",
            Channel::Webhook => "Webhook 推送",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Channel::Sms => "Text message",
            Channel::Webhook => "Webhook",
        }
    }
}

/// Where an outbox row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxState {
    /// Waiting for its next attempt.
    Pending,
    /// The receiver took it.
    Delivered,
    /// Nothing to send (texts switched off, no number, the destination removed).
    Skipped,
    /// A cap per number or per address held it back (recorded, never silently lost).
    Capped,
    /// Every attempt failed: an administrator may retry it.
    Dead,
}

impl OutboxState {
    pub const ALL: [OutboxState; 5] = [
        OutboxState::Pending,
        OutboxState::Delivered,
        OutboxState::Skipped,
        OutboxState::Capped,
        OutboxState::Dead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Delivered => "delivered",
            OutboxState::Skipped => "skipped",
            OutboxState::Capped => "capped",
            OutboxState::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<OutboxState> {
        OutboxState::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            OutboxState::Pending => "待发送",
            OutboxState::Delivered => "已送达",
            OutboxState::Skipped => "未发送",
            OutboxState::Capped => "超出限额",
            OutboxState::Dead => "发送失败",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            OutboxState::Pending => "Pending",
            OutboxState::Delivered => "Delivered",
            OutboxState::Skipped => "Not sent",
            OutboxState::Capped => "Over the cap",
            OutboxState::Dead => "Failed",
        }
    }
}

/// The kind of a text that is not a timeline event: a resident asked for their tracking link.
pub const TRACKING_LINK: &str = "tracking_link";

/// The kind of a text holding a one-time code (sign-up or login); the row names the code.
pub const SMS_CODE: &str = "sms_code";

/// One outbox row. Ids and kinds only: the message is rendered when it is sent, and its
/// `id` is the idempotency key the receiver sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: OutboxId,
    pub channel: Channel,
    /// An event kind (`EventKind::as_str`), [`TRACKING_LINK`] or [`SMS_CODE`].
    pub kind: String,
    /// The need the message is about (`None` for one-time codes).
    pub need: Option<NeedId>,
    /// The one-time code a [`SMS_CODE`] text carries (the code itself is sealed in its row).
    pub code: Option<SmsCodeId>,
    pub event: Option<NeedEventId>,
    pub webhook: Option<WebhookId>,
    /// The need's community, or the call-up's or account's region for a code (scopes the
    /// admin lists; not personal).
    pub region: RegionCode,
    /// A keyed hash of the client address that asked for the text (per-address caps).
    pub origin: Option<String>,
    pub state: OutboxState,
    pub attempts: i64,
    pub next_at: OffsetDateTime,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub done_at: Option<OffsetDateTime>,
}

impl OutboxMessage {
    /// A new pending row.
    pub fn new(
        channel: Channel,
        kind: &str,
        need: NeedId,
        region: &RegionCode,
        now: OffsetDateTime,
    ) -> Self {
        OutboxMessage {
            id: OutboxId::new(),
            channel,
            kind: kind.to_string(),
            need: Some(need),
            code: None,
            event: None,
            webhook: None,
            region: region.clone(),
            origin: None,
            state: OutboxState::Pending,
            attempts: 0,
            next_at: now,
            last_error: None,
            created_at: now,
            done_at: None,
        }
    }

    /// The Chinese words for the kind.
    pub fn kind_zh(&self) -> &'static str {
        match EventKind::parse(&self.kind) {
            Some(k) => k.zh(),
            None if self.kind == TRACKING_LINK => "找回查询链接",
            None if self.kind == SMS_CODE => "短信验证码",
            None => "其他",
        }
    }

    pub fn kind_en(&self) -> &'static str {
        match EventKind::parse(&self.kind) {
            Some(k) => k.en(),
            None if self.kind == TRACKING_LINK => "Tracking link recovery",
            None if self.kind == SMS_CODE => "One-time code",
            None => "Other",
        }
    }
}

/// How a delivery attempt ended, as the store records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    Delivered,
    Skipped(String),
    Capped(String),
    /// Try again at this time.
    Retry {
        at: OffsetDateTime,
        error: String,
    },
    /// No attempts left.
    Dead(String),
}

/// Retries: exponential backoff with jitter, then the dead letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all before the row goes to the dead letter.
    pub max_attempts: u32,
    /// The wait after the first failure (doubled after each further one).
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base: Duration::seconds(30),
            cap: Duration::hours(1),
        }
    }
}

impl RetryPolicy {
    /// What to do after attempt number `attempts` (1 = the first) failed with `error`.
    /// `jitter` is a random number; the wait is between half and all of the backoff, so many
    /// rows failing together do not come back together.
    pub fn after_failure(
        &self,
        attempts: i64,
        error: &str,
        now: OffsetDateTime,
        jitter: u32,
    ) -> Finish {
        let error: String = error.chars().take(300).collect();
        if attempts >= i64::from(self.max_attempts) {
            return Finish::Dead(error);
        }
        Finish::Retry {
            at: now + self.backoff(attempts, jitter),
            error,
        }
    }

    /// The wait after `attempts` failures: `base · 2^(attempts-1)`, at most `cap`, then a
    /// random share between 50 % and 100 % of it.
    pub fn backoff(&self, attempts: i64, jitter: u32) -> Duration {
        let exp = u32::try_from(attempts.clamp(1, 30) - 1).unwrap_or(0);
        let full = self
            .base
            .checked_mul(2_i32.saturating_pow(exp))
            .unwrap_or(self.cap)
            .min(self.cap);
        let ms = full.whole_milliseconds();
        let share = 500 + i128::from(jitter % 501);
        Duration::milliseconds(i64::try_from(ms * share / 1000).unwrap_or(i64::MAX))
    }
}

#[cfg(test)]
mod tests;
