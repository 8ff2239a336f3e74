//! Call-ups (召集令): publishing and closing them, the public's sign-ups, staff deciding them
//! (approval makes a volunteer account with a set-password link), organisations' commitments.

use time::OffsetDateTime;

use crate::actor::{Actor, Grant, Permission, Role};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::crypto::{Cipher, Lookup};
use crate::dispatch::Skills;
use crate::error::{Error, FieldErrors, Result};
use crate::ids::{CampaignId, OrgId, SignupId, UserId};
use crate::needs::service::sha256_hex;
use crate::notify::codes::{self, Purpose};
use crate::regions::{Level, RegionCode};
use crate::reveal::{mask_name, mask_phone};
use crate::store::Store;
use crate::text;
use crate::users::NewUser;
use crate::volunteers::record::{
    self, Campaign, CampaignState, Commitment, PasswordLink, Profile, Signup, SignupState,
};
use crate::volunteers::signup::{CampaignForm, SignupForm};
use crate::volunteers::{Availability, availability_to_str};

use super::LINK_LIFETIME;

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
        notice_version: crate::volunteers::NOTICE_VERSION.into(),
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
        availability: crate::volunteers::availability_from_str(&s.availability),
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
    let (s, c) = signup_in_scope(store, actor, id).await?;
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

/// A sign-up and its call-up, for staff who manage volunteers where the call-up is.
async fn signup_in_scope(
    store: &dyn Store,
    actor: &Actor,
    id: SignupId,
) -> Result<(Signup, Campaign)> {
    let s = store.signup(id).await?.ok_or(Error::NotFound)?;
    let c = store.campaign(s.campaign).await?.ok_or(Error::NotFound)?;
    actor.require_at(
        Permission::ManageVolunteers,
        Permission::ManageVolunteers,
        &c.region,
    )?;
    Ok((s, c))
}

async fn decidable(store: &dyn Store, actor: &Actor, id: SignupId) -> Result<(Signup, Campaign)> {
    let (s, c) = signup_in_scope(store, actor, id).await?;
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
