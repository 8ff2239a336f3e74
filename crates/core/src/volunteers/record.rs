//! Stored volunteer records. A sign-up's name and mobile are sealed by the field cipher (the
//! columns are listed here and registered in the store's `ENCRYPTED_COLUMNS`); the rest is
//! plain: skills, availability, community, states and times.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::PostKind;
use super::booking::{BookingState, Window};
use crate::crypto::EncryptedColumn;
use crate::dispatch::Skills;
use crate::ids::{BookingId, CampaignId, OrgId, PostId, ShiftId, SignupId, UserId};
use crate::regions::RegionCode;

pub const SIGNUP_NAME: EncryptedColumn = EncryptedColumn {
    table: "campaign_signups",
    column: "name",
    id_column: "id",
};
pub const SIGNUP_MOBILE: EncryptedColumn = EncryptedColumn {
    table: "campaign_signups",
    column: "mobile",
    id_column: "id",
};

/// One role a call-up asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignRole {
    pub name: String,
    pub headcount: u32,
    /// Skill names (the dispatch module's).
    #[serde(default)]
    pub skills: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignState {
    Open,
    Closed,
}

impl CampaignState {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignState::Open => "open",
            CampaignState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<CampaignState> {
        match s {
            "open" => Some(CampaignState::Open),
            "closed" => Some(CampaignState::Closed),
            _ => None,
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            CampaignState::Open => "召集中",
            CampaignState::Closed => "已结束",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            CampaignState::Open => "Open",
            CampaignState::Closed => "Closed",
        }
    }
}

/// A call-up (召集令).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: CampaignId,
    /// The organisation that publishes it.
    pub org: OrgId,
    pub title: String,
    pub description: String,
    /// Where help is needed; approved volunteers are granted here.
    pub region: RegionCode,
    pub meeting_point: String,
    pub roles: Vec<CampaignRole>,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub period: Window,
    pub state: CampaignState,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
}

impl Campaign {
    /// Open and not yet over.
    pub fn accepts_signups(&self, now: OffsetDateTime) -> bool {
        self.state == CampaignState::Open && self.period.end > now
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupState {
    Pending,
    Approved,
    Declined,
}

impl SignupState {
    pub fn as_str(self) -> &'static str {
        match self {
            SignupState::Pending => "pending",
            SignupState::Approved => "approved",
            SignupState::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<SignupState> {
        match s {
            "pending" => Some(SignupState::Pending),
            "approved" => Some(SignupState::Approved),
            "declined" => Some(SignupState::Declined),
            _ => None,
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            SignupState::Pending => "待审核",
            SignupState::Approved => "已通过",
            SignupState::Declined => "未通过",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            SignupState::Pending => "Waiting",
            SignupState::Approved => "Approved",
            SignupState::Declined => "Declined",
        }
    }
}

/// An individual's sign-up to a call-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signup {
    pub id: SignupId,
    pub campaign: CampaignId,
    pub role_name: String,
    /// Sealed.
    pub name: Vec<u8>,
    /// Sealed.
    pub mobile: Vec<u8>,
    /// Keyed blind index of the mobile (one sign-up per number and call-up).
    pub mobile_index: String,
    /// Always `false` until the SMS adapter exists: nothing verifies the number yet.
    pub phone_verified: bool,
    pub age: i32,
    pub skills: Skills,
    /// Stored names of availability windows.
    pub availability: String,
    pub home_community: RegionCode,
    pub notice_version: String,
    pub state: SignupState,
    pub reason: Option<String>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<OffsetDateTime>,
    /// The volunteer account made on approval.
    pub user: Option<UserId>,
    pub created_at: OffsetDateTime,
}

/// An organisation's answer to a call-up: a number of its social workers or volunteers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commitment {
    pub id: uuid::Uuid,
    pub campaign: CampaignId,
    pub org: OrgId,
    pub people: i32,
    pub note: String,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
}

/// A volunteer's profile (the account itself is a `users` row with the volunteer role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub user: UserId,
    pub skills: Skills,
    pub availability: String,
    pub home_community: RegionCode,
    /// A team: an organisation of kind `volunteer_team`.
    pub team: Option<OrgId>,
    /// The region of the volunteer's grant (where they serve); lists are scoped by it.
    pub region: RegionCode,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// A volunteer as listed to staff: account basics and profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolunteerRow {
    pub user: UserId,
    pub username: String,
    pub display_name: String,
    pub profile: Profile,
}

/// A one-time link to set a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordLink {
    /// SHA-256 (hex) of the link's secret.
    pub token_hash: String,
    pub user: UserId,
    pub expires_at: OffsetDateTime,
}

/// A post (岗位) in a community.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub id: PostId,
    pub region: RegionCode,
    pub kind: PostKind,
    pub name: String,
    pub lead: Option<UserId>,
    pub created_at: OffsetDateTime,
}

/// A shift at a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    pub id: ShiftId,
    pub post: PostId,
    pub region: RegionCode,
    pub window: Window,
    pub slots: i32,
    pub taken: i32,
}

/// One person on one shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub id: BookingId,
    pub shift: ShiftId,
    pub user: UserId,
    /// The shift's window, copied so the database can refuse overlaps.
    pub window: Window,
    pub state: BookingState,
    pub checked_in_at: Option<OffsetDateTime>,
    pub checked_out_at: Option<OffsetDateTime>,
    pub booked_by: UserId,
    pub created_at: OffsetDateTime,
}

/// A booking with the volunteer's display name (the roster).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    pub booking: Booking,
    pub display_name: String,
}

/// A issued 志愿服务记录证明: what the public verification shows, and nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The short id (the first half of the code).
    pub id: String,
    pub user: UserId,
    /// The name the volunteer chose to show.
    pub display_name: String,
    pub minutes: i64,
    pub region: RegionCode,
    pub issued_at: OffsetDateTime,
}
