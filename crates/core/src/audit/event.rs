//! What is recorded: an [`AuditEvent`] says who (user id, roles, home or record region),
//! did what ([`Action`]) to which records ([`RecordKind`] and ids), in which request, with
//! what [`Outcome`] — never field values. Use-cases build events; stores seal them.

use time::OffsetDateTime;

use crate::actor::{Actor, Role};
use crate::ids::UserId;
use crate::regions::RegionCode;

/// What happened. Stored by its `as_str` name; new actions are only ever added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Login,
    LoginFailed,
    Logout,
    /// An authenticated request refused by the core (403, or 404 for a record outside scope).
    Denied,
    OrgCreated,
    OrgUpdated,
    UserCreated,
    GrantAdded,
    GrantRevoked,
    PlaceAdded,
    RegionsImported,
    LangChanged,
    AuditViewed,
    PasswordChanged,
    UserDisabled,
    UserEnabled,
    TokenIssued,
    TokenRevoked,
    UserUnlocked,
    SecondFactorEnrolled,
    /// A full sensitive value was shown (recorded before it is decrypted).
    SensitiveRevealed,
    NeedCreated,
    NeedViewed,
    NeedTriaged,
    NeedAssigned,
    NeedReferred,
    NeedUpdated,
    NeedResolved,
    NeedClosed,
    NeedCancelled,
    NeedReopened,
    NeedMerged,
    NeedEscalated,
    CampaignPublished,
    VolunteerSignedUp,
    SignupApproved,
    SignupDeclined,
    OrgCommitted,
    PasswordLinkUsed,
    ProfileUpdated,
    PostCreated,
    ShiftsAdded,
    ShiftBooked,
    ShiftAttendance,
    CertificateIssued,
    HoursExported,
    PostLeadSet,
    CampaignClosed,
    PersonCreated,
    PersonUpdated,
    PersonClosed,
    PersonReopened,
    PersonAnonymised,
    PersonExported,
    PeoplePurged,
    CheckRecorded,
    CheckPhonesShown,
    TaskDispatched,
    TaskOfferAnswered,
    TaskOfferExpired,
    TaskOverridden,
    TaskCompleted,
    TaskContactShown,
    BookingCancelled,
    DispatchModeSet,
    WebhookCreated,
    WebhookRemoved,
    WebhookSecretReplaced,
    OutboxRetried,
    TrackingLinkRequested,
    /// A registry import committed (ids: `count:N`, `file:<sha256>`).
    PeopleImported,
    /// A list exported masked (ids: the list, `rows:N`, the format).
    ListExported,
    /// A list exported with full values, for a reason (logged with the reveal log).
    ListExportedFull,
    /// A one-time code was texted for a sign-up or a login (ids: the outbox row).
    SmsCodeSent,
    /// Used or expired text codes past retention deleted with their texts (ids: `count:N`,
    /// `outbox:N`, `texts:N`).
    SmsCodesPurged,
}

impl Action {
    pub const ALL: [Action; 75] = [
        Action::Login,
        Action::LoginFailed,
        Action::Logout,
        Action::Denied,
        Action::OrgCreated,
        Action::OrgUpdated,
        Action::UserCreated,
        Action::GrantAdded,
        Action::GrantRevoked,
        Action::PlaceAdded,
        Action::RegionsImported,
        Action::LangChanged,
        Action::AuditViewed,
        Action::PasswordChanged,
        Action::UserDisabled,
        Action::UserEnabled,
        Action::TokenIssued,
        Action::TokenRevoked,
        Action::SensitiveRevealed,
        Action::UserUnlocked,
        Action::SecondFactorEnrolled,
        Action::NeedCreated,
        Action::NeedViewed,
        Action::NeedTriaged,
        Action::NeedAssigned,
        Action::NeedReferred,
        Action::NeedUpdated,
        Action::NeedResolved,
        Action::NeedClosed,
        Action::NeedCancelled,
        Action::NeedReopened,
        Action::NeedMerged,
        Action::NeedEscalated,
        Action::CampaignPublished,
        Action::VolunteerSignedUp,
        Action::SignupApproved,
        Action::SignupDeclined,
        Action::OrgCommitted,
        Action::PasswordLinkUsed,
        Action::ProfileUpdated,
        Action::PostCreated,
        Action::ShiftsAdded,
        Action::ShiftBooked,
        Action::ShiftAttendance,
        Action::CertificateIssued,
        Action::HoursExported,
        Action::PostLeadSet,
        Action::CampaignClosed,
        Action::PersonCreated,
        Action::PersonUpdated,
        Action::PersonClosed,
        Action::PersonReopened,
        Action::PersonAnonymised,
        Action::PersonExported,
        Action::PeoplePurged,
        Action::CheckRecorded,
        Action::CheckPhonesShown,
        Action::TaskDispatched,
        Action::TaskOfferAnswered,
        Action::TaskOfferExpired,
        Action::TaskOverridden,
        Action::TaskCompleted,
        Action::TaskContactShown,
        Action::BookingCancelled,
        Action::DispatchModeSet,
        Action::WebhookCreated,
        Action::WebhookRemoved,
        Action::WebhookSecretReplaced,
        Action::OutboxRetried,
        Action::TrackingLinkRequested,
        Action::PeopleImported,
        Action::ListExported,
        Action::ListExportedFull,
        Action::SmsCodeSent,
        Action::SmsCodesPurged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::LoginFailed => "login_failed",
            Action::Logout => "logout",
            Action::Denied => "denied",
            Action::OrgCreated => "org_created",
            Action::OrgUpdated => "org_updated",
            Action::UserCreated => "user_created",
            Action::GrantAdded => "grant_added",
            Action::GrantRevoked => "grant_revoked",
            Action::PlaceAdded => "place_added",
            Action::RegionsImported => "regions_imported",
            Action::LangChanged => "lang_changed",
            Action::AuditViewed => "audit_viewed",
            Action::PasswordChanged => "password_changed",
            Action::UserDisabled => "user_disabled",
            Action::UserEnabled => "user_enabled",
            Action::TokenIssued => "token_issued",
            Action::TokenRevoked => "token_revoked",
            Action::SensitiveRevealed => "sensitive_revealed",
            Action::UserUnlocked => "user_unlocked",
            Action::SecondFactorEnrolled => "second_factor_enrolled",
            Action::NeedCreated => "need_created",
            Action::NeedViewed => "need_viewed",
            Action::NeedTriaged => "need_triaged",
            Action::NeedAssigned => "need_assigned",
            Action::NeedReferred => "need_referred",
            Action::NeedUpdated => "need_updated",
            Action::NeedResolved => "need_resolved",
            Action::NeedClosed => "need_closed",
            Action::NeedCancelled => "need_cancelled",
            Action::NeedReopened => "need_reopened",
            Action::NeedMerged => "need_merged",
            Action::NeedEscalated => "need_escalated",
            Action::CampaignPublished => "campaign_published",
            Action::VolunteerSignedUp => "volunteer_signed_up",
            Action::SignupApproved => "signup_approved",
            Action::SignupDeclined => "signup_declined",
            Action::OrgCommitted => "org_committed",
            Action::PasswordLinkUsed => "password_link_used",
            Action::ProfileUpdated => "volunteer_profile_updated",
            Action::PostCreated => "post_created",
            Action::ShiftsAdded => "shifts_added",
            Action::ShiftBooked => "shift_booked",
            Action::ShiftAttendance => "shift_attendance",
            Action::CertificateIssued => "certificate_issued",
            Action::HoursExported => "hours_exported",
            Action::PostLeadSet => "post_lead_set",
            Action::CampaignClosed => "campaign_closed",
            Action::PersonCreated => "person_created",
            Action::PersonUpdated => "person_updated",
            Action::PersonClosed => "person_closed",
            Action::PersonReopened => "person_reopened",
            Action::PersonAnonymised => "person_anonymised",
            Action::PersonExported => "person_exported",
            Action::PeoplePurged => "people_purged",
            Action::CheckRecorded => "check_recorded",
            Action::CheckPhonesShown => "check_phones_shown",
            Action::TaskDispatched => "task_dispatched",
            Action::TaskOfferAnswered => "task_offer_answered",
            Action::TaskOfferExpired => "task_offer_expired",
            Action::TaskOverridden => "task_overridden",
            Action::TaskCompleted => "task_completed",
            Action::TaskContactShown => "task_contact_shown",
            Action::BookingCancelled => "booking_cancelled",
            Action::DispatchModeSet => "dispatch_mode_set",
            Action::WebhookCreated => "webhook_created",
            Action::WebhookRemoved => "webhook_removed",
            Action::WebhookSecretReplaced => "webhook_secret_replaced",
            Action::OutboxRetried => "outbox_retried",
            Action::TrackingLinkRequested => "tracking_link_requested",
            Action::PeopleImported => "people_imported",
            Action::ListExported => "list_exported",
            Action::ListExportedFull => "list_exported_full",
            Action::SmsCodeSent => "sms_code_sent",
            Action::SmsCodesPurged => "sms_codes_purged",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The Chinese label shown in the viewer.
    pub fn zh(self) -> &'static str {
        match self {
            Action::Login => "登录",
            Action::LoginFailed => "登录失败",
            Action::Logout => "退出登录",
            Action::Denied => "访问被拒绝",
            Action::OrgCreated => "登记机构",
            Action::OrgUpdated => "修改机构",
            Action::UserCreated => "新建账号",
            Action::GrantAdded => "授予角色",
            Action::GrantRevoked => "撤销角色",
            Action::PlaceAdded => "添加网格或楼栋",
            Action::RegionsImported => "导入区划代码",
            Action::LangChanged => "切换语言",
            Action::AuditViewed => "查看审计日志",
            Action::PasswordChanged => "修改密码",
            Action::UserDisabled => "停用账号",
            Action::UserEnabled => "启用账号",
            Action::TokenIssued => "生成 API 令牌",
            Action::TokenRevoked => "撤销 API 令牌",
            Action::SensitiveRevealed => "查看完整敏感信息",
            Action::UserUnlocked => "解除登录锁定",
            Action::SecondFactorEnrolled => "启用两步验证",
            Action::NeedCreated => "收到求助",
            Action::NeedViewed => "查看求助详情",
            Action::NeedTriaged => "评估求助优先级",
            Action::NeedAssigned => "分派求助",
            Action::NeedReferred => "转介求助",
            Action::NeedUpdated => "更新求助",
            Action::NeedResolved => "解决求助",
            Action::NeedClosed => "结束求助",
            Action::NeedCancelled => "取消求助",
            Action::NeedReopened => "重新打开求助",
            Action::NeedMerged => "合并重复求助",
            Action::NeedEscalated => "求助超时升级",
            Action::CampaignPublished => "发布召集令",
            Action::VolunteerSignedUp => "志愿者报名",
            Action::SignupApproved => "通过报名",
            Action::SignupDeclined => "未通过报名",
            Action::OrgCommitted => "机构响应召集",
            Action::PasswordLinkUsed => "通过链接设置密码",
            Action::ProfileUpdated => "修改志愿者资料",
            Action::PostCreated => "新建岗位",
            Action::ShiftsAdded => "添加班次",
            Action::ShiftBooked => "报名班次",
            Action::ShiftAttendance => "签到/签退/缺勤",
            Action::CertificateIssued => "开具志愿服务记录证明",
            Action::HoursExported => "导出服务时长",
            Action::PostLeadSet => "指定岗位负责人",
            Action::CampaignClosed => "结束召集",
            Action::PersonCreated => "登记服务对象",
            Action::PersonUpdated => "修改服务对象",
            Action::PersonClosed => "结案服务对象",
            Action::PersonReopened => "重新开启服务对象",
            Action::PersonAnonymised => "匿名化服务对象",
            Action::PersonExported => "导出个人信息副本",
            Action::PeoplePurged => "清除到期结案记录",
            Action::CheckRecorded => "记录探访",
            Action::CheckPhonesShown => "查看今日探访电话",
            Action::TaskDispatched => "派发志愿者任务",
            Action::TaskOfferAnswered => "志愿者答复任务",
            Action::TaskOfferExpired => "任务邀请超时",
            Action::TaskOverridden => "工作人员调整任务",
            Action::TaskCompleted => "志愿者完成任务",
            Action::TaskContactShown => "志愿者查看任务地址电话",
            Action::BookingCancelled => "取消班次报名",
            Action::DispatchModeSet => "设置派单方式",
            Action::WebhookCreated => "登记推送地址 (Webhook)",
            Action::WebhookRemoved => "停用推送地址",
            Action::WebhookSecretReplaced => "更换推送地址的签名密钥",
            Action::OutboxRetried => "重新发送失败的通知",
            Action::TrackingLinkRequested => "居民找回查询链接",
            Action::PeopleImported => "批量导入服务对象",
            Action::ListExported => "导出名单（已遮挡）",
            Action::ListExportedFull => "导出完整名单",
            Action::SmsCodeSent => "发送短信验证码",
            Action::SmsCodesPurged => "清除过期的短信验证码",
        }
    }

    /// The English label shown in the viewer.
    pub fn en(self) -> &'static str {
        match self {
            Action::Login => "Logged in",
            Action::LoginFailed => "Login failed",
            Action::Logout => "Logged out",
            Action::Denied => "Access denied",
            Action::OrgCreated => "Organisation created",
            Action::OrgUpdated => "Organisation edited",
            Action::UserCreated => "Account created",
            Action::GrantAdded => "Role granted",
            Action::GrantRevoked => "Role revoked",
            Action::PlaceAdded => "Place added",
            Action::RegionsImported => "Regions imported",
            Action::LangChanged => "Language changed",
            Action::AuditViewed => "Audit log viewed",
            Action::PasswordChanged => "Password changed",
            Action::UserDisabled => "Account disabled",
            Action::UserEnabled => "Account enabled",
            Action::TokenIssued => "API token issued",
            Action::TokenRevoked => "API token revoked",
            Action::SensitiveRevealed => "Full sensitive value shown",
            Action::UserUnlocked => "Login lock lifted",
            Action::SecondFactorEnrolled => "Second factor enrolled",
            Action::NeedCreated => "Need received",
            Action::NeedViewed => "Need viewed",
            Action::NeedTriaged => "Need priority reviewed",
            Action::NeedAssigned => "Need assigned",
            Action::NeedReferred => "Need referred",
            Action::NeedUpdated => "Need updated",
            Action::NeedResolved => "Need resolved",
            Action::NeedClosed => "Need closed",
            Action::NeedCancelled => "Need cancelled",
            Action::NeedReopened => "Need reopened",
            Action::NeedMerged => "Need merged as duplicate",
            Action::NeedEscalated => "Need escalated",
            Action::CampaignPublished => "Call-up published",
            Action::VolunteerSignedUp => "Volunteer signed up",
            Action::SignupApproved => "Sign-up approved",
            Action::SignupDeclined => "Sign-up declined",
            Action::OrgCommitted => "Organisation answered a call-up",
            Action::PasswordLinkUsed => "Password set by link",
            Action::ProfileUpdated => "Volunteer profile edited",
            Action::PostCreated => "Post created",
            Action::ShiftsAdded => "Shifts added",
            Action::ShiftBooked => "Shift booked",
            Action::ShiftAttendance => "Check-in, check-out or no-show",
            Action::CertificateIssued => "Service record certificate issued",
            Action::HoursExported => "Hours exported",
            Action::PostLeadSet => "Post lead set",
            Action::CampaignClosed => "Call-up closed",
            Action::PersonCreated => "Person registered",
            Action::PersonUpdated => "Person edited",
            Action::PersonClosed => "Person record closed",
            Action::PersonReopened => "Person record reopened",
            Action::PersonAnonymised => "Person anonymised",
            Action::PersonExported => "Personal record exported",
            Action::PeoplePurged => "Closed records purged",
            Action::CheckRecorded => "Welfare check recorded",
            Action::CheckPhonesShown => "Phones of today's checks shown",
            Action::TaskDispatched => "Volunteer task dispatched",
            Action::TaskOfferAnswered => "Volunteer answered a task",
            Action::TaskOfferExpired => "Task offer timed out",
            Action::TaskOverridden => "Staff changed a task",
            Action::TaskCompleted => "Volunteer completed a task",
            Action::TaskContactShown => "Volunteer viewed a task's address and phone",
            Action::BookingCancelled => "Shift booking cancelled",
            Action::DispatchModeSet => "Dispatch mode set",
            Action::WebhookCreated => "Webhook registered",
            Action::WebhookRemoved => "Webhook removed",
            Action::WebhookSecretReplaced => "Webhook signing secret replaced",
            Action::OutboxRetried => "Failed notification sent again",
            Action::TrackingLinkRequested => "Resident asked for tracking links",
            Action::PeopleImported => "Registry import",
            Action::ListExported => "List exported (masked)",
            Action::ListExportedFull => "List exported in full",
            Action::SmsCodeSent => "Text code sent",
            Action::SmsCodesPurged => "Old text codes deleted",
        }
    }
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// Wrong credentials.
    Failed,
    /// 403: the actor sees the record but may not do this.
    Forbidden,
    /// 404 for a record outside the actor's scope.
    NotFound,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::Forbidden => "forbidden",
            Outcome::NotFound => "not_found",
        }
    }
}

/// The kind of record an entry's ids refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Org,
    User,
    /// Ids: the user, then the grant.
    Grant,
    /// Ids: place codes.
    Place,
    /// Ids: `METHOD:/route/{template}`, then the id-like path parameters (denials).
    Route,
    /// Ids: the user and record ids a viewer filtered by.
    Audit,
    /// Ids: the token's owner, then the token.
    Token,
    /// Ids: `table.column`, then the row.
    Sealed,
    Need,
    Campaign,
    Signup,
    Post,
    Shift,
    Booking,
    /// Ids: the need's task, then the offer or volunteer where there is one.
    Task,
    Certificate,
    Person,
    Check,
    Webhook,
    OutboxMessage,
    /// Ids: one-time text codes (or `count:N` for a purge).
    SmsCode,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Org => "org",
            RecordKind::User => "user",
            RecordKind::Grant => "grant",
            RecordKind::Place => "place",
            RecordKind::Route => "route",
            RecordKind::Audit => "audit",
            RecordKind::Token => "token",
            RecordKind::Sealed => "sealed",
            RecordKind::Need => "need",
            RecordKind::Campaign => "campaign",
            RecordKind::Signup => "signup",
            RecordKind::Post => "post",
            RecordKind::Shift => "shift",
            RecordKind::Booking => "booking",
            RecordKind::Task => "task",
            RecordKind::Certificate => "certificate",
            RecordKind::Check => "check",
            RecordKind::Person => "person",
            RecordKind::Webhook => "webhook",
            RecordKind::OutboxMessage => "outbox",
            RecordKind::SmsCode => "sms_code",
        }
    }
}

/// One thing that happened, as the use-case that did it describes it. Carries ids only:
/// never names, phone numbers, passwords or any other field value.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// From the injected clock; stored in UTC to the millisecond.
    pub at: OffsetDateTime,
    /// `None` for the command line ("system") and for logins that did not authenticate.
    pub actor: Option<UserId>,
    /// The actor's roles (anywhere), sorted.
    pub roles: Vec<Role>,
    /// The region the entry is filed under; the viewer shows an entry to those whose
    /// `ViewAudit` scope covers it. `None`: visible only to verification and the CLI.
    pub region: Option<RegionCode>,
    pub action: Action,
    pub record_kind: Option<RecordKind>,
    /// Record ids (UUIDs, place codes, route templates): never contain whitespace.
    pub record_ids: Vec<String>,
    /// The HTTP request it happened in.
    pub request_id: Option<String>,
    pub outcome: Outcome,
}

impl AuditEvent {
    /// An event with no actor (the command line, or an unauthenticated request).
    pub fn new(action: Action, at: OffsetDateTime) -> AuditEvent {
        AuditEvent {
            at,
            actor: None,
            roles: Vec::new(),
            region: None,
            action,
            record_kind: None,
            record_ids: Vec::new(),
            request_id: None,
            outcome: Outcome::Ok,
        }
    }

    /// Done by `actor`: their id, roles and request, filed under their home region until
    /// [`AuditEvent::region`] names the record's region.
    pub fn by(mut self, actor: &Actor) -> AuditEvent {
        self.actor = Some(actor.user_id);
        self.roles = actor.roles();
        self.region = Some(actor.region.clone());
        self.request_id = actor.request_id.clone();
        self
    }

    pub fn region(mut self, region: &RegionCode) -> AuditEvent {
        self.region = Some(region.clone());
        self
    }

    pub fn no_region(mut self) -> AuditEvent {
        self.region = None;
        self
    }

    pub fn record<I, S>(mut self, kind: RecordKind, ids: I) -> AuditEvent
    where
        I: IntoIterator<Item = S>,
        S: ToString,
    {
        self.record_kind = Some(kind);
        self.record_ids = ids.into_iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn request(mut self, request_id: Option<String>) -> AuditEvent {
        self.request_id = request_id;
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> AuditEvent {
        self.outcome = outcome;
        self
    }

    /// The same event with one more record id: stores add the id of a record they create.
    pub fn with_record_id(&self, id: impl ToString) -> AuditEvent {
        let mut e = self.clone();
        e.record_ids.push(id.to_string());
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::fixtures::{actor, at};

    #[test]
    fn every_action_name_round_trips_and_is_unique() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        let mut names: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len());
    }

    #[test]
    fn an_event_by_an_actor_carries_their_id_roles_home_region_and_request() {
        let a = actor();
        let e = AuditEvent::new(Action::OrgCreated, at()).by(&a);
        assert_eq!(e.actor, Some(a.user_id));
        assert_eq!(e.roles, vec![Role::Admin, Role::SocialWorker]);
        assert_eq!(e.region, Some(a.region.clone()));
        assert_eq!(e.request_id.as_deref(), Some("req-1"));
    }
}
