//! Typed ids over UUIDv7, so a user id can never be passed where an org id is meant.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! typed_id {
    ($($name:ident),* $(,)?) => {$(
        #[doc = concat!("Identifier of one `", stringify!($name), "` record (UUIDv7).")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

typed_id!(
    UserId,
    OrgId,
    GrantId,
    JobId,
    TokenId,
    AlertId,
    NeedId,
    NeedEventId,
    ReferralId,
    TaskId,
    NotificationId,
    CampaignId,
    SignupId,
    PostId,
    ShiftId,
    BookingId,
    PersonId,
    CheckId,
    OfferId,
    OutboxId,
    WebhookId,
    SmsId,
    SmsCodeId,
);
