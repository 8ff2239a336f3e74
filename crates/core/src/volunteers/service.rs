//! Use-cases of the volunteer module. Staff act under `ManageVolunteers` scope; volunteers
//! under `ServeShifts` scope and only ever on their own bookings; the public signs up to open
//! call-ups and verifies certificates.

use std::collections::HashMap;

use time::{Duration, OffsetDateTime};

use super::booking::{self, Attendance, BookingState, Window};
use super::certificate;
use super::record::{
    self, Booking, Campaign, CampaignState, Certificate, Commitment, PasswordLink, Post, Profile,
    RosterEntry, Shift, Signup, SignupState, VolunteerRow,
};
use super::signup::{CampaignForm, PostForm, ShiftForm, SignupForm, parse_post, parse_shifts};
use super::{Availability, availability_to_str};
use crate::actor::{Actor, Grant, Permission, Role};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::crypto::{Cipher, Lookup};
use crate::dispatch::Skills;
use crate::error::{Error, FieldErrors, Result};
use crate::ids::{BookingId, CampaignId, OrgId, PostId, ShiftId, SignupId, UserId};
use crate::needs::service::sha256_hex;
use crate::notify::codes::{self, Purpose};
use crate::orgs::OrgKind;
use crate::regions::{Level, RegionCode};
use crate::reveal::{mask_name, mask_phone};
use crate::store::Store;
use crate::text;
use crate::users::NewUser;

/// How long a set-password link works.
pub const LINK_LIFETIME: Duration = Duration::days(7);
/// How far ahead volunteers see open shifts.
pub const SHIFT_HORIZON: Duration = Duration::days(14);

const POST_QR_DOMAIN: &str = "post_qr";

// ---------------------------------------------------------------- call-ups

/// Publish a call-up in a region the actor manages volunteers in.
pub async fn publish(
    store: &dyn Store,
    actor: &Actor,
    form: &CampaignForm,
    now: OffsetDateTime,
) -> Result<CampaignId> {
    actor.require(Permission::ManageVolunteers)?;
    let input = form.parse()?;
    if !actor.can_at(Permission::ManageVolunteers, &input.region) {
        return Err(Error::invalid(
            "region",
            "只能在您负责的地区发布召集令",
            "You can only publish call-ups in the places you are responsible for",
        ));
    }
    store
        .region(&input.region)
        .await?
        .ok_or_else(|| Error::invalid("region", "没有这个地区", "No such region"))?;
    store
        .org(input.org)
        .await?
        .ok_or_else(|| Error::invalid("org", "没有这个机构", "No such organisation"))?;
    let c = Campaign {
        id: CampaignId::new(),
        org: input.org,
        title: input.title,
        description: input.description,
        region: input.region,
        meeting_point: input.meeting_point,
        roles: input.roles,
        min_age: input.min_age,
        max_age: input.max_age,
        period: input.period,
        state: CampaignState::Open,
        created_by: actor.user_id,
        created_at: now,
    };
    let audit = AuditEvent::new(Action::CampaignPublished, now)
        .by(actor)
        .region(&c.region)
        .record(RecordKind::Campaign, [c.id]);
    store.insert_campaign(&c, &audit).await?;
    Ok(c.id)
}

/// The public list.
pub async fn open_campaigns(store: &dyn Store, now: OffsetDateTime) -> Result<Vec<Campaign>> {
    store.open_campaigns(now).await
}

/// One call-up as the public sees it: only while it takes sign-ups.
pub async fn public_campaign(
    store: &dyn Store,
    id: CampaignId,
    now: OffsetDateTime,
) -> Result<Campaign> {
    store
        .campaign(id)
        .await?
        .filter(|c| c.accepts_signups(now))
        .ok_or(Error::NotFound)
}

/// Sign up to a call-up (no account), the phone recorded unverified: texts are off
/// (`[sms] mode = "off"`), so no code could prove it.
pub async fn sign_up(
    store: &dyn Store,
    cipher: &Cipher,
    campaign: CampaignId,
    form: &SignupForm,
    now: OffsetDateTime,
) -> Result<SignupId> {
    signup_checked(store, cipher, campaign, form, None, now).await
}

/// Sign up with the code texted to the number (`notify::codes`, purpose `signup`): accepted
/// only with a right code, and recorded `phone_verified`. The code is tried only when every
/// other field is right, so a typo elsewhere costs no try.
pub async fn sign_up_with_code(
    store: &dyn Store,
    cipher: &Cipher,
    campaign: CampaignId,
    form: &SignupForm,
    code: &str,
    now: OffsetDateTime,
) -> Result<SignupId> {
    signup_checked(store, cipher, campaign, form, Some(code), now).await
}

async fn signup_checked(
    store: &dyn Store,
    cipher: &Cipher,
    campaign: CampaignId,
    form: &SignupForm,
    code: Option<&str>,
    now: OffsetDateTime,
) -> Result<SignupId> {
    let c = public_campaign(store, campaign, now).await?;
    let no_code = code.is_some_and(|k| codes::typed(k).is_empty());
    let with_missing_code = |e: Error| match e {
        Error::Invalid(mut f) if no_code => {
            if let Error::Invalid(m) = codes::missing() {
                f.0.extend(m.0);
            }
            Error::Invalid(f)
        }
        other => other,
    };
    let input = form.parse(&c).map_err(with_missing_code)?;
    let home = store.region(&input.home_community).await?;
    if home.is_none_or(|r| r.level != Level::Community) {
        return Err(with_missing_code(Error::invalid(
            "home_community",
            "找不到这个社区，请从列表中选择",
            "No such community; choose it from the list",
        )));
    }
    if let Some(k) = code {
        codes::check(store, cipher, Purpose::Signup, &input.mobile, k, now).await?;
    }
    let id = SignupId::new();
    let s = Signup {
        id,
        campaign: c.id,
        role_name: input.role,
        name: cipher.seal_str(record::SIGNUP_NAME.field(id.0), &input.name)?,
        mobile: cipher.seal_str(record::SIGNUP_MOBILE.field(id.0), &input.mobile)?,
        mobile_index: cipher
            .blind_index(Lookup::Phone, &input.mobile)
            .ok_or_else(|| Error::internal("mobile does not index"))?,
        phone_verified: code.is_some(),
        age: input.age,
        skills: input.skills,
        availability: availability_to_str(&input.availability),
        home_community: input.home_community,
        notice_version: super::NOTICE_VERSION.into(),
        state: SignupState::Pending,
        reason: None,
        decided_by: None,
        decided_at: None,
        user: None,
        created_at: now,
    };
    let audit = AuditEvent::new(Action::VolunteerSignedUp, now)
        .region(&c.region)
        .record(RecordKind::Signup, [id]);
    store.insert_signup(&s, &audit).await.map_err(|e| match e {
        Error::Conflict(_) => Error::invalid(
            "mobile",
            "这个手机号已经报名过这次召集，请等待工作人员审核",
            "This mobile number has already signed up to this call-up; staff will review it",
        ),
        other => other,
    })?;
    Ok(id)
}

/// A sign-up as staff see it: name and mobile masked.
#[derive(Debug, Clone)]
pub struct SignupView {
    pub id: SignupId,
    pub role_name: String,
    pub name: String,
    pub mobile: String,
    pub phone_verified: bool,
    pub age: i32,
    pub skills: Skills,
    pub availability: Vec<Availability>,
    pub home_community: RegionCode,
    pub state: SignupState,
    pub reason: Option<String>,
}

fn signup_view(cipher: &Cipher, s: &Signup) -> Result<SignupView> {
    let name = cipher.open_str(record::SIGNUP_NAME.field(s.id.0), &s.name)?;
    let mobile = cipher.open_str(record::SIGNUP_MOBILE.field(s.id.0), &s.mobile)?;
    Ok(SignupView {
        id: s.id,
        role_name: s.role_name.clone(),
        name: mask_name(&name),
        mobile: mask_phone(&mobile),
        phone_verified: s.phone_verified,
        age: s.age,
        skills: s.skills,
        availability: super::availability_from_str(&s.availability),
        home_community: s.home_community.clone(),
        state: s.state,
        reason: s.reason.clone(),
    })
}

/// Stop a call-up taking sign-ups (staff who manage volunteers there).
pub async fn close(
    store: &dyn Store,
    actor: &Actor,
    id: CampaignId,
    now: OffsetDateTime,
) -> Result<()> {
    let c = store.campaign(id).await?.ok_or(Error::NotFound)?;
    actor.require_at(
        Permission::ManageVolunteers,
        Permission::ManageVolunteers,
        &c.region,
    )?;
    let audit = AuditEvent::new(Action::CampaignClosed, now)
        .by(actor)
        .region(&c.region)
        .record(RecordKind::Campaign, [c.id]);
    store.close_campaign(c.id, &audit).await?;
    Ok(())
}

/// The full name and mobile of a sign-up, to call the person before deciding: staff who
/// manage volunteers there and may reveal sensitive values, with a reason; each value's
/// reveal is audited before it is decrypted.
pub async fn reveal_signup(
    store: &dyn Store,
    cipher: &Cipher,
    log: &dyn crate::reveal::RevealLog,
    actor: &Actor,
    id: SignupId,
    reason: &str,
    now: OffsetDateTime,
) -> Result<(String, String)> {
    let s = store.signup(id).await?.ok_or(Error::NotFound)?;
    let c = store.campaign(s.campaign).await?.ok_or(Error::NotFound)?;
    actor.require_at(
        Permission::ManageVolunteers,
        Permission::ManageVolunteers,
        &c.region,
    )?;
    let mut out = Vec::with_capacity(2);
    for (column, bytes) in [
        (&record::SIGNUP_NAME, &s.name),
        (&record::SIGNUP_MOBILE, &s.mobile),
    ] {
        let sealed = crate::reveal::Sealed {
            column,
            row: s.id.0,
            region: &c.region,
            bytes,
        };
        out.push(
            crate::reveal::reveal(
                cipher,
                log,
                actor,
                Permission::ManageVolunteers,
                sealed,
                reason,
                now,
            )
            .await?,
        );
    }
    let mobile = out.pop().unwrap_or_default();
    let name = out.pop().unwrap_or_default();
    Ok((name, mobile))
}

/// Call-ups in the actor's scope.
pub async fn campaigns(store: &dyn Store, actor: &Actor) -> Result<Vec<Campaign>> {
    let scope = actor.scope(Permission::ManageVolunteers);
    if scope.is_empty() {
        return Err(Error::Forbidden);
    }
    store.list_campaigns(&scope).await
}

/// A call-up with its sign-ups (masked) and commitments, for staff in scope.
pub async fn campaign_detail(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    id: CampaignId,
) -> Result<(Campaign, Vec<SignupView>, Vec<Commitment>)> {
    let c = store.campaign(id).await?.ok_or(Error::NotFound)?;
    actor.require_at(
        Permission::ManageVolunteers,
        Permission::ManageVolunteers,
        &c.region,
    )?;
    let signups = store
        .signups_of(id)
        .await?
        .iter()
        .map(|s| signup_view(cipher, s))
        .collect::<Result<Vec<_>>>()?;
    let commitments = store.commitments_of(id).await?;
    Ok((c, signups, commitments))
}

async fn decidable(store: &dyn Store, actor: &Actor, id: SignupId) -> Result<(Signup, Campaign)> {
    let s = store.signup(id).await?.ok_or(Error::NotFound)?;
    let c = store.campaign(s.campaign).await?.ok_or(Error::NotFound)?;
    actor.require_at(
        Permission::ManageVolunteers,
        Permission::ManageVolunteers,
        &c.region,
    )?;
    if s.state != SignupState::Pending {
        return Err(Error::invalid(
            "signup",
            "这份报名已经处理过了",
            "This sign-up has already been decided",
        ));
    }
    Ok((s, c))
}

/// What the approving staff member is shown: the new account and its one-time link secret.
#[derive(Debug, Clone)]
pub struct Approved {
    pub user: UserId,
    pub username: String,
    /// The secret of `/volunteer/password/{secret}`; only its SHA-256 is stored.
    pub link_secret: String,
}

/// Approve a sign-up: a `volunteer` account granted in the call-up's region, user name = the
/// mobile number, with a profile from the sign-up and a one-time set-password link. The
/// approver needs `ManageVolunteers` there; the grant is always and only the volunteer role
/// (not a grant the approver chooses, so the users module's grant rule does not apply).
/// `unusable_password_hash` must be the hash of a random secret nobody is told (never the
/// login decoy, whose password is in the source): the account has no usable password until
/// the link is used.
pub async fn approve(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    id: SignupId,
    unusable_password_hash: &str,
    link_secret: String,
    now: OffsetDateTime,
) -> Result<Approved> {
    let (s, c) = decidable(store, actor, id).await?;
    let name = cipher.open_str(record::SIGNUP_NAME.field(s.id.0), &s.name)?;
    let mobile = cipher.open_str(record::SIGNUP_MOBILE.field(s.id.0), &s.mobile)?;
    if store.user_by_name(&mobile).await?.is_some() {
        return Err(Error::invalid(
            "signup",
            "这个手机号已经有账号了：请在账号管理中为他/她添加志愿者角色",
            "This mobile number already has an account: add the volunteer role to it on the staff page",
        ));
    }
    let user = NewUser {
        username: mobile.clone(),
        display_name: name,
        region: c.region.clone(),
        grants: vec![Grant {
            role: Role::Volunteer,
            region: c.region.clone(),
            org: None,
        }],
    };
    // The user id is made by the store; the profile and link carry a placeholder it replaces.
    let placeholder = UserId(uuid::Uuid::nil());
    let profile = Profile {
        user: placeholder,
        skills: s.skills,
        availability: s.availability.clone(),
        home_community: s.home_community.clone(),
        team: None,
        region: c.region.clone(),
        updated_at: now,
        version: 1,
    };
    let link = PasswordLink {
        token_hash: sha256_hex(link_secret.as_bytes()),
        user: placeholder,
        expires_at: now + LINK_LIFETIME,
    };
    let audit = AuditEvent::new(Action::SignupApproved, now)
        .by(actor)
        .region(&c.region)
        .record(RecordKind::Signup, [s.id]);
    let uid = store
        .approve_signup(
            s.id,
            &user,
            unusable_password_hash,
            &profile,
            &link,
            actor.user_id,
            now,
            &audit,
        )
        .await?;
    Ok(Approved {
        user: uid,
        username: mobile,
        link_secret,
    })
}

/// Decline a sign-up with a reason (kept with it).
pub async fn decline(
    store: &dyn Store,
    actor: &Actor,
    id: SignupId,
    reason: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let (s, c) = decidable(store, actor, id).await?;
    let reason = text::required("reason", reason, 200).map_err(|mut f| {
        f.zh = "请写明未通过的原因".into();
        f.en = "Give the reason for declining".into();
        Error::Invalid(FieldErrors(vec![f]))
    })?;
    let audit = AuditEvent::new(Action::SignupDeclined, now)
        .by(actor)
        .region(&c.region)
        .record(RecordKind::Signup, [s.id]);
    store
        .decline_signup(s.id, &reason, actor.user_id, now, &audit)
        .await
}

/// An organisation answers a call-up by committing people. The actor must manage the
/// organisation (`ManageOrgs` over its region).
pub async fn commit(
    store: &dyn Store,
    actor: &Actor,
    campaign: CampaignId,
    org: &str,
    people: &str,
    note: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let c = store
        .campaign(campaign)
        .await?
        .filter(|c| c.accepts_signups(now))
        .ok_or(Error::NotFound)?;
    let mut e = FieldErrors::default();
    let org_id: Option<OrgId> = e.take(org.trim().parse().map_err(|_| crate::FieldError {
        field: "org",
        zh: "请选择机构".into(),
        en: "Choose the organisation".into(),
    }));
    let people = e.take(match people.trim().parse::<i32>() {
        Ok(n) if (1..=10_000).contains(&n) => Ok(n),
        _ => Err(crate::FieldError {
            field: "people",
            zh: "人数请填写 1 到 10000".into(),
            en: "People: a number from 1 to 10000".into(),
        }),
    });
    let note = e.take(text::optional("note", note, 200));
    e.into_result()?;
    let (Some(org_id), Some(people), Some(note)) = (org_id, people, note) else {
        return Err(Error::internal("parsed fields missing"));
    };
    let o = store.org(org_id).await?.ok_or(Error::NotFound)?;
    actor.require_at(Permission::ManageOrgs, Permission::ViewOrgs, &o.region)?;
    let commitment = Commitment {
        id: uuid::Uuid::now_v7(),
        campaign: c.id,
        org: o.id,
        people,
        note: note.unwrap_or_default(),
        created_by: actor.user_id,
        created_at: now,
    };
    let audit = AuditEvent::new(Action::OrgCommitted, now)
        .by(actor)
        .region(&o.region)
        .record(RecordKind::Campaign, [c.id.to_string(), o.id.to_string()]);
    store.insert_commitment(&commitment, &audit).await
}

// ---------------------------------------------------------------- password links

/// The account a set-password link is for, while it is unused and unexpired.
pub async fn link_user(
    store: &dyn Store,
    secret: &str,
    now: OffsetDateTime,
) -> Result<crate::users::User> {
    let uid = store
        .password_link(&sha256_hex(secret.as_bytes()), now)
        .await?
        .ok_or(Error::NotFound)?;
    store.user(uid).await?.ok_or(Error::NotFound)
}

/// Set the password through the link (once).
pub async fn set_password_by_link(
    store: &dyn Store,
    secret: &str,
    password_hash: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let user = link_user(store, secret, now).await?;
    let audit = AuditEvent::new(Action::PasswordLinkUsed, now)
        .region(&user.region)
        .record(RecordKind::User, [user.id]);
    if store
        .use_password_link(&sha256_hex(secret.as_bytes()), password_hash, now, &audit)
        .await?
    {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

// ---------------------------------------------------------------- profiles

/// The actor's own profile (volunteers only).
pub async fn my_profile(store: &dyn Store, actor: &Actor) -> Result<Profile> {
    actor.require(Permission::ServeShifts)?;
    store.profile(actor.user_id).await?.ok_or(Error::NotFound)
}

/// The profile form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub skills: Vec<String>,
    pub availability: Vec<String>,
    pub home_community: String,
    pub team: String,
    pub version: String,
}

/// Change one's own skills, availability, home community and team.
pub async fn update_my_profile(
    store: &dyn Store,
    actor: &Actor,
    form: &ProfileForm,
    now: OffsetDateTime,
) -> Result<()> {
    let current = my_profile(store, actor).await?;
    let mut e = FieldErrors::default();
    let skills = e.take(super::parse_skills("skills", &form.skills));
    let availability = e.take(super::parse_availability(
        "availability",
        &form.availability,
    ));
    let home = e.take(RegionCode::parse(&form.home_community).map_err(|mut f| {
        f.field = "home_community";
        f
    }));
    let team: Option<Option<OrgId>> = if form.team.trim().is_empty() {
        Some(None)
    } else {
        e.take(
            form.team
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| crate::FieldError {
                    field: "team",
                    zh: "请从列表中选择志愿者队".into(),
                    en: "Choose a volunteer team from the list".into(),
                }),
        )
    };
    let version = e.take(
        form.version
            .trim()
            .parse::<i64>()
            .map_err(|_| crate::FieldError {
                field: "version",
                zh: "页面已过期，请刷新".into(),
                en: "The page is out of date; reload it".into(),
            }),
    );
    e.into_result()?;
    let (Some(skills), Some(availability), Some(home), Some(team), Some(version)) =
        (skills, availability, home, team, version)
    else {
        return Err(Error::internal("parsed fields missing"));
    };
    if store
        .region(&home)
        .await?
        .is_none_or(|r| r.level != Level::Community)
    {
        return Err(Error::invalid(
            "home_community",
            "找不到这个社区，请从列表中选择",
            "No such community; choose it from the list",
        ));
    }
    if let Some(t) = team
        && store
            .org(t)
            .await?
            .is_none_or(|o| o.kind != OrgKind::VolunteerTeam)
    {
        return Err(Error::invalid(
            "team",
            "请从列表中选择志愿者队",
            "Choose a volunteer team from the list",
        ));
    }
    let p = Profile {
        skills,
        availability: availability_to_str(&availability),
        home_community: home,
        team,
        updated_at: now,
        version,
        ..current
    };
    let audit = AuditEvent::new(Action::ProfileUpdated, now)
        .by(actor)
        .region(&p.region)
        .record(RecordKind::User, [actor.user_id]);
    store.update_profile(&p, &audit).await
}

/// Volunteers in the actor's scope (to assign to shifts).
pub async fn volunteers(store: &dyn Store, actor: &Actor) -> Result<Vec<VolunteerRow>> {
    let scope = actor.scope(Permission::ManageVolunteers);
    if scope.is_empty() {
        return Err(Error::Forbidden);
    }
    store.list_volunteers(&scope).await
}

// ---------------------------------------------------------------- posts and shifts

pub async fn create_post(
    store: &dyn Store,
    actor: &Actor,
    form: &PostForm,
    now: OffsetDateTime,
) -> Result<PostId> {
    actor.require(Permission::ManageVolunteers)?;
    let (kind, name, region) = parse_post(form)?;
    if !actor.can_at(Permission::ManageVolunteers, &region) {
        return Err(Error::invalid(
            "region",
            "只能在您负责的社区设岗",
            "You can only set up posts in the communities you are responsible for",
        ));
    }
    if store
        .region(&region)
        .await?
        .is_none_or(|r| r.level != Level::Community)
    {
        return Err(Error::invalid(
            "region",
            "请选择一个社区",
            "Choose a community",
        ));
    }
    let p = Post {
        id: PostId::new(),
        region,
        kind,
        name,
        lead: None,
        created_at: now,
    };
    let audit = AuditEvent::new(Action::PostCreated, now)
        .by(actor)
        .region(&p.region)
        .record(RecordKind::Post, [p.id]);
    store.insert_post(&p, &audit).await?;
    Ok(p.id)
}

pub async fn posts(store: &dyn Store, actor: &Actor) -> Result<Vec<Post>> {
    let scope = actor.scope(Permission::ManageVolunteers);
    if scope.is_empty() {
        return Err(Error::Forbidden);
    }
    store.list_posts(&scope).await
}

/// May the actor run this post's roster (staff in scope, or the post's lead)?
fn runs(actor: &Actor, post: &Post) -> bool {
    actor.can_at(Permission::ManageVolunteers, &post.region) || post.lead == Some(actor.user_id)
}

/// Make a volunteer who may serve there the post's lead (an empty choice clears it). The
/// lead runs the roster's attendance: check-in, check-out and no-shows.
pub async fn set_lead(
    store: &dyn Store,
    actor: &Actor,
    post: PostId,
    user: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let p = store.post(post).await?.ok_or(Error::NotFound)?;
    actor.require_at(
        Permission::ManageVolunteers,
        Permission::ManageVolunteers,
        &p.region,
    )?;
    let lead = if user.trim().is_empty() {
        None
    } else {
        let bad = || {
            Error::invalid(
                "lead",
                "请从列表中选择一位可在这里服务的志愿者",
                "Choose a volunteer from the list who may serve here",
            )
        };
        let uid: UserId = user.trim().parse().map_err(|_| bad())?;
        let target = crate::users::service::load_actor(store, uid)
            .await?
            .ok_or_else(bad)?;
        if !target.can_at(Permission::ServeShifts, &p.region)
            || !actor.can_at(Permission::ManageVolunteers, &target.region)
        {
            return Err(bad());
        }
        Some(uid)
    };
    let mut ids = vec![p.id.to_string()];
    ids.extend(lead.map(|u| u.to_string()));
    let audit = AuditEvent::new(Action::PostLeadSet, now)
        .by(actor)
        .region(&p.region)
        .record(RecordKind::Post, ids);
    store.set_post_lead(p.id, lead, &audit).await
}

/// Posts the actor leads.
pub async fn posts_i_lead(store: &dyn Store, actor: &Actor) -> Result<Vec<Post>> {
    store.posts_led_by(actor.user_id).await
}

/// A post with its shifts and who is on them.
pub async fn roster(
    store: &dyn Store,
    actor: &Actor,
    id: PostId,
) -> Result<(Post, Vec<(Shift, Vec<RosterEntry>)>)> {
    let post = store.post(id).await?.ok_or(Error::NotFound)?;
    if !runs(actor, &post) {
        return Err(Error::NotFound);
    }
    let mut by_shift: HashMap<ShiftId, Vec<RosterEntry>> = HashMap::new();
    for e in store.roster(id).await? {
        by_shift.entry(e.booking.shift).or_default().push(e);
    }
    let shifts = store
        .shifts_of_post(id)
        .await?
        .into_iter()
        .map(|s| {
            let people = by_shift.remove(&s.id).unwrap_or_default();
            (s, people)
        })
        .collect();
    Ok((post, shifts))
}

/// Add shifts to a post: one a day for the days asked.
pub async fn add_shifts(
    store: &dyn Store,
    actor: &Actor,
    post: PostId,
    form: &ShiftForm,
    now: OffsetDateTime,
) -> Result<usize> {
    let p = store.post(post).await?.ok_or(Error::NotFound)?;
    actor.require_at(
        Permission::ManageVolunteers,
        Permission::ManageVolunteers,
        &p.region,
    )?;
    let (windows, slots) = parse_shifts(form)?;
    let shifts: Vec<Shift> = windows
        .into_iter()
        .map(|w| Shift {
            id: ShiftId::new(),
            post: p.id,
            region: p.region.clone(),
            window: w,
            slots,
            taken: 0,
        })
        .collect();
    let audit = AuditEvent::new(Action::ShiftsAdded, now)
        .by(actor)
        .region(&p.region)
        .record(RecordKind::Post, [p.id]);
    store.insert_shifts(&shifts, &audit).await?;
    Ok(shifts.len())
}

async fn book_for(
    store: &dyn Store,
    actor: &Actor,
    shift: &Shift,
    user: UserId,
    now: OffsetDateTime,
) -> Result<BookingId> {
    let held: Vec<Window> = store
        .bookings_of_user(user)
        .await?
        .into_iter()
        .map(|b| b.window)
        .collect();
    booking::check_booking(&shift.window, shift.slots, shift.taken, &held, now)
        .map_err(|r| r.error())?;
    let b = Booking {
        id: BookingId::new(),
        shift: shift.id,
        user,
        window: shift.window,
        state: BookingState::Booked,
        checked_in_at: None,
        checked_out_at: None,
        booked_by: actor.user_id,
        created_at: now,
    };
    let audit = AuditEvent::new(Action::ShiftBooked, now)
        .by(actor)
        .region(&shift.region)
        .record(
            RecordKind::Booking,
            [b.id.to_string(), shift.id.to_string(), user.to_string()],
        );
    store.book_shift(&b, &audit).await?;
    Ok(b.id)
}

/// A volunteer picks a shift in their serving region.
pub async fn book(
    store: &dyn Store,
    actor: &Actor,
    shift: ShiftId,
    now: OffsetDateTime,
) -> Result<BookingId> {
    let s = store.shift(shift).await?.ok_or(Error::NotFound)?;
    actor.require_at(Permission::ServeShifts, Permission::ServeShifts, &s.region)?;
    book_for(store, actor, &s, actor.user_id, now).await
}

/// Staff put a volunteer (one who may serve there) on a shift.
pub async fn assign(
    store: &dyn Store,
    actor: &Actor,
    shift: ShiftId,
    user: &str,
    now: OffsetDateTime,
) -> Result<BookingId> {
    let s = store.shift(shift).await?.ok_or(Error::NotFound)?;
    actor.require_at(
        Permission::ManageVolunteers,
        Permission::ManageVolunteers,
        &s.region,
    )?;
    let bad = || {
        Error::invalid(
            "user",
            "请从列表中选择一位可在这里服务的志愿者",
            "Choose a volunteer from the list who may serve here",
        )
    };
    let uid: UserId = user.trim().parse().map_err(|_| bad())?;
    let target = crate::users::service::load_actor(store, uid)
        .await?
        .ok_or_else(bad)?;
    if !target.can_at(Permission::ServeShifts, &s.region)
        || !actor.can_at(Permission::ManageVolunteers, &target.region)
    {
        return Err(bad());
    }
    book_for(store, actor, &s, uid, now).await
}

async fn step(
    store: &dyn Store,
    actor: &Actor,
    b: &Booking,
    shift: &Shift,
    step: Attendance,
    now: OffsetDateTime,
) -> Result<BookingState> {
    let to = booking::attend(b.state, &shift.window, step, now)?;
    let audit = AuditEvent::new(Action::ShiftAttendance, now)
        .by(actor)
        .region(&shift.region)
        .record(
            RecordKind::Booking,
            [b.id.to_string(), to.as_str().to_string()],
        );
    if store.set_attendance(b.id, b.state, to, now, &audit).await? {
        Ok(to)
    } else {
        Err(Error::Conflict("booking changed".into()))
    }
}

/// The post lead (or staff in scope) checks a volunteer in or out, or marks a no-show.
pub async fn attend_by_lead(
    store: &dyn Store,
    actor: &Actor,
    id: BookingId,
    action: &str,
    now: OffsetDateTime,
) -> Result<BookingState> {
    let b = store.booking(id).await?.ok_or(Error::NotFound)?;
    let s = store.shift(b.shift).await?.ok_or(Error::NotFound)?;
    let p = store.post(s.post).await?.ok_or(Error::NotFound)?;
    if !runs(actor, &p) {
        return Err(Error::NotFound);
    }
    let a = Attendance::parse(action.trim()).ok_or_else(|| {
        Error::invalid(
            "attendance",
            "请选择签到、签退或缺勤",
            "Choose check-in, check-out or no-show",
        )
    })?;
    step(store, actor, &b, &s, a, now).await
}

/// The secret in a post's QR code: a keyed hash of the post id (32 hex characters).
pub fn post_token(cipher: &Cipher, post: PostId) -> Result<String> {
    let h = cipher.keyed_hash(POST_QR_DOMAIN, &post.to_string())?;
    Ok(strip(&h))
}

fn strip(h: &str) -> String {
    h.split_once(':')
        .map(|(_, v)| v)
        .unwrap_or(h)
        .chars()
        .take(32)
        .collect()
}

fn post_token_ok(cipher: &Cipher, post: PostId, token: &str) -> bool {
    cipher
        .keyed_hash_candidates(POST_QR_DOMAIN, &post.to_string())
        .iter()
        .any(|h| {
            let s = strip(h);
            s.len() == token.len()
                && s.bytes()
                    .zip(token.bytes())
                    .fold(0u8, |a, (x, y)| a | (x ^ y))
                    == 0
        })
}

/// What scanning a post's code would do for the actor now.
#[derive(Debug, Clone)]
pub struct ScanView {
    pub post: Post,
    /// The booking and shift it applies to and the step, if any.
    pub current: Option<(Booking, Shift, Attendance)>,
}

/// Read a scanned post code: the post and the actor's current shift there, if any.
pub async fn scan(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    post: PostId,
    token: &str,
    now: OffsetDateTime,
) -> Result<ScanView> {
    actor.require(Permission::ServeShifts)?;
    if !post_token_ok(cipher, post, token) {
        return Err(Error::NotFound);
    }
    let p = store.post(post).await?.ok_or(Error::NotFound)?;
    let mut current = None;
    for b in store.bookings_of_user(actor.user_id).await? {
        let w = b.window;
        let near =
            now >= w.start - booking::EARLY_CHECK_IN && now <= w.end + booking::LATE_CHECK_OUT;
        if !near {
            continue;
        }
        let Some(s) = store.shift(b.shift).await? else {
            continue;
        };
        if s.post != p.id {
            continue;
        }
        let step = match b.state {
            BookingState::Booked if now < w.end => Attendance::CheckIn,
            BookingState::CheckedIn => Attendance::CheckOut,
            _ => continue,
        };
        current = Some((b, s, step));
        break;
    }
    Ok(ScanView { post: p, current })
}

/// Check in or out of one's current shift at a scanned post.
pub async fn scan_attend(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    post: PostId,
    token: &str,
    now: OffsetDateTime,
) -> Result<BookingState> {
    let v = scan(store, cipher, actor, post, token, now).await?;
    let Some((b, s, a)) = v.current else {
        return Err(Error::invalid(
            "attendance",
            "您现在在这个岗位没有需要签到或签退的班次",
            "You have no shift to check into or out of at this post now",
        ));
    };
    step(store, actor, &b, &s, a, now).await
}

/// One of my shifts, with its post.
#[derive(Debug, Clone)]
pub struct MyShift {
    pub booking: Booking,
    pub shift: Shift,
    pub post: Post,
}

/// The actor's own bookings with their shifts and posts, and the minutes served.
pub async fn my_shifts(store: &dyn Store, actor: &Actor) -> Result<(Vec<MyShift>, i64)> {
    actor.require(Permission::ServeShifts)?;
    let mut out = Vec::new();
    let mut minutes = 0;
    let mut posts: HashMap<PostId, Post> = HashMap::new();
    for b in store.bookings_of_user(actor.user_id).await? {
        let Some(s) = store.shift(b.shift).await? else {
            continue;
        };
        let p = match posts.get(&s.post) {
            Some(p) => p.clone(),
            None => {
                let Some(p) = store.post(s.post).await? else {
                    continue;
                };
                posts.insert(p.id, p.clone());
                p
            }
        };
        minutes += booking::served_minutes(&s.window, b.checked_in_at, b.checked_out_at);
        out.push(MyShift {
            booking: b,
            shift: s,
            post: p,
        });
    }
    // Completed volunteer tasks count too (accepted → completed, capped).
    minutes += store.task_minutes(actor.user_id).await?;
    Ok((out, minutes))
}

/// Shifts the actor may pick (under their `ServeShifts` scope, starting in the next two
/// weeks, not full), with their posts.
pub async fn open_shifts(
    store: &dyn Store,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<Vec<(Shift, Post)>> {
    let scope = actor.scope(Permission::ServeShifts);
    if scope.is_empty() {
        return Err(Error::Forbidden);
    }
    let mut posts: HashMap<PostId, Option<Post>> = HashMap::new();
    let mut out = Vec::new();
    for s in store
        .shifts_between(&scope, now, now + SHIFT_HORIZON)
        .await?
        .into_iter()
        .filter(|s| s.taken < s.slots)
        .take(200)
    {
        if let std::collections::hash_map::Entry::Vacant(e) = posts.entry(s.post) {
            e.insert(store.post(s.post).await?);
        }
        if let Some(Some(p)) = posts.get(&s.post) {
            out.push((s, p.clone()));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- service record

/// Issue a 志愿服务记录证明 for the actor's hours so far, under the name they choose to show.
/// Returns the certificate and its code.
pub async fn issue_certificate(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    display_name: &str,
    random: [u8; 5],
    now: OffsetDateTime,
) -> Result<(Certificate, String)> {
    let (_, minutes) = my_shifts(store, actor).await?;
    let display_name = text::required("display_name", display_name, 20)
        .map_err(|f| Error::Invalid(FieldErrors(vec![f])))?;
    let c = Certificate {
        id: certificate::id_from_random(random),
        user: actor.user_id,
        display_name,
        minutes,
        region: actor.region.clone(),
        issued_at: now,
    };
    let audit = AuditEvent::new(Action::CertificateIssued, now)
        .by(actor)
        .record(RecordKind::Certificate, [c.id.clone()]);
    store.insert_certificate(&c, &audit).await?;
    let code = certificate::code_of(cipher, &c.id)?;
    Ok((c, code))
}

/// One of the actor's own certificates.
pub async fn my_certificate(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    id: &str,
) -> Result<(Certificate, String)> {
    let c = store
        .certificate(id)
        .await?
        .filter(|c| c.user == actor.user_id)
        .ok_or(Error::NotFound)?;
    let code = certificate::code_of(cipher, &c.id)?;
    Ok((c, code))
}

/// Public verification: a certificate by its code; a tampered or unknown code is `NotFound`.
pub async fn verify_certificate(
    store: &dyn Store,
    cipher: &Cipher,
    code: &str,
) -> Result<Certificate> {
    let id = certificate::verify(cipher, code).ok_or(Error::NotFound)?;
    store.certificate(&id).await?.ok_or(Error::NotFound)
}

/// One line of the hours export: checked-out shifts and completed tasks (their minutes as on
/// the service record), and the total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursRow {
    pub username: String,
    pub display_name: String,
    pub shifts: i64,
    pub shift_minutes: i64,
    pub tasks: i64,
    pub task_minutes: i64,
    /// Shift and task minutes together.
    pub minutes: i64,
}

/// Hours per volunteer in the actor's scope (audited: the export carries names and phones).
pub async fn hours_report(
    store: &dyn Store,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<Vec<HoursRow>> {
    let scope = actor.scope(Permission::ManageVolunteers);
    if scope.is_empty() {
        return Err(Error::Forbidden);
    }
    let audit = AuditEvent::new(Action::HoursExported, now).by(actor);
    store.append_audit(&audit).await?;
    let mut rows: HashMap<String, HoursRow> = HashMap::new();
    let row = |rows: &mut HashMap<String, HoursRow>, username: String, display_name: String| {
        rows.remove(&username).unwrap_or(HoursRow {
            username,
            display_name,
            shifts: 0,
            shift_minutes: 0,
            tasks: 0,
            task_minutes: 0,
            minutes: 0,
        })
    };
    for (username, display_name, b) in store.checked_bookings(&scope).await? {
        let mut r = row(&mut rows, username, display_name);
        r.shifts += 1;
        r.shift_minutes += booking::served_minutes(&b.window, b.checked_in_at, b.checked_out_at);
        rows.insert(r.username.clone(), r);
    }
    for t in store.task_minutes_in_scope(&scope).await? {
        let mut r = row(&mut rows, t.username, t.display_name);
        r.tasks += t.tasks;
        r.task_minutes += t.minutes;
        rows.insert(r.username.clone(), r);
    }
    let mut out: Vec<HoursRow> = rows
        .into_values()
        .map(|mut r| {
            r.minutes = r.shift_minutes + r.task_minutes;
            r
        })
        .collect();
    out.sort_by(|a, b| b.minutes.cmp(&a.minutes).then(a.username.cmp(&b.username)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Keyring;

    #[test]
    fn post_tokens_verify_only_for_their_post() {
        let c = Cipher::new(&Keyring::generate().expect("ring"));
        let p = PostId::new();
        let t = post_token(&c, p).expect("token");
        assert_eq!(t.len(), 32);
        assert!(post_token_ok(&c, p, &t));
        assert!(!post_token_ok(&c, PostId::new(), &t));
        assert!(!post_token_ok(&c, p, &t[..31]));
        assert!(!post_token_ok(&c, p, ""));
    }
}
