//! Demo data: the real places of Shanghai and Zengdu, and in 黄浦区 (including 五里桥街道)
//! fictional organisations of every kind, one user of every role, volunteers with posts and
//! shifts, and a registry of a few thousand fictional people with a week of welfare checks.
//! Seeded once, on the first start of `wushe demo`; the same seed always gives the same data.
//! The demo's accounts are exempt from the second factor, and the demo banner says so.

use time::OffsetDateTime;
use wushe_core::actor::{Grant, Role};
use wushe_core::audit::{Action, AuditEvent, RecordKind};
use wushe_core::ids::OrgId;
use wushe_core::orgs::{Org, OrgKind};
use wushe_core::regions::RegionCode;
use wushe_core::store::{OrgStore, SecondFactorStore, UserStore};
use wushe_core::users::{NewUser, password};
use wushe_store::SqlStore;

use crate::BoxError;
use crate::regions_file::{ImportOutcome, SHIPPED, import_text};

/// The accounts to print: (user name, role, region name).
pub struct DemoAccounts {
    pub password: String,
    pub users: Vec<(String, String, String)>,
}

const HUANGPU: &str = "310101";
const WULIQIAO: &str = "310101020";
const QIAOYI: &str = "310101020001";

/// Fictional organisations: (name, kind, region).
const ORGS: &[(&str, OrgKind, &str)] = &[
    ("桥一居委会（演示）", OrgKind::Committee, QIAOYI),
    ("五里桥街道社工站（演示）", OrgKind::Station, WULIQIAO),
    ("彩虹社工服务社（演示）", OrgKind::SocialOrg, HUANGPU),
    ("某医院医务社工部（演示）", OrgKind::SocialOrg, HUANGPU),
    (
        "五里桥党员志愿服务队（演示）",
        OrgKind::VolunteerTeam,
        WULIQIAO,
    ),
    ("暖心公益基金会（演示）", OrgKind::Charity, HUANGPU),
    ("某医院血透中心（演示）", OrgKind::Provider, HUANGPU),
    ("平安大药房（演示）", OrgKind::Provider, WULIQIAO),
    ("黄浦区民政局（演示）", OrgKind::Government, HUANGPU),
];

/// Users: (login, display name, role, region).
const USERS: &[(&str, &str, Role, &str)] = &[
    ("admin", "管理员 王明", Role::Admin, HUANGPU),
    ("minzheng", "民政 李华", Role::CivilAffairs, HUANGPU),
    ("juwei", "居委 张红", Role::CommitteeStaff, QIAOYI),
    ("shegong", "社工 陈静", Role::SocialWorker, QIAOYI),
    ("dudao", "督导 刘洋", Role::Supervisor, WULIQIAO),
    ("rexian", "接线员 赵敏", Role::HotlineOperator, HUANGPU),
    ("xinli", "心理咨询师 孙悦", Role::Counselor, HUANGPU),
    ("zhiyuan", "志愿者 周强", Role::Volunteer, QIAOYI),
    ("cishan", "慈善 吴芳", Role::CharityStaff, HUANGPU),
];

/// Seed the demo database unless it is already seeded.
pub async fn seed(store: &SqlStore, seed: u64) -> Result<DemoAccounts, BoxError> {
    let pass = format!("wushe-demo-{seed}");
    let mut users: Vec<(String, String, String)> = USERS
        .iter()
        .map(|(u, _, r, c)| {
            (
                u.to_string(),
                format!("{} {}", r.as_str(), r.zh()),
                region_label(c),
            )
        })
        .collect();
    users.push((
        "13900000000".into(),
        format!(
            "volunteer 志愿者 (…{:04}, {DEMO_VOLUNTEERS})",
            DEMO_VOLUNTEERS - 1
        ),
        region_label(WULIQIAO),
    ));
    let accounts = DemoAccounts {
        password: pass.clone(),
        users,
    };
    if store.user_by_name("admin").await?.is_some() {
        exempt_demo_accounts(store).await?;
        return Ok(accounts);
    }
    let now = OffsetDateTime::now_utc();
    for (name, text) in SHIPPED {
        let event = AuditEvent::new(Action::RegionsImported, now);
        if let ImportOutcome::Rejected(e) = import_text(store, text, event).await? {
            return Err(format!(
                "shipped region file {name} is invalid: {} bad lines",
                e.len()
            )
            .into());
        }
    }
    for (i, (name, kind, region)) in ORGS.iter().enumerate() {
        let org = Org {
            id: OrgId::new(),
            name: name.to_string(),
            kind: *kind,
            region: RegionCode(region.to_string()),
            phone: Some(format!("021-6300{:04}", (seed as usize + i * 37) % 10_000)),
            address: Some("演示地址，非真实".into()),
            description: Some("演示用虚构机构".into()),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let event = AuditEvent::new(Action::OrgCreated, now)
            .region(&org.region)
            .record(RecordKind::Org, [org.id]);
        store.insert_org(&org, &event).await?;
    }
    let hash = password::hash(&pass)?;
    for (login, display, role, region) in USERS {
        let region = RegionCode(region.to_string());
        let user = NewUser {
            username: login.to_string(),
            display_name: display.to_string(),
            region: region.clone(),
            grants: vec![Grant {
                role: *role,
                region,
                org: None,
            }],
        };
        let event = AuditEvent::new(Action::UserCreated, now)
            .region(&user.region)
            .record(RecordKind::User, Vec::<String>::new());
        store.insert_user(&user, &hash, now, &event).await?;
    }
    exempt_demo_accounts(store).await?;
    seed_volunteers(store, seed, &hash, now).await?;
    Ok(accounts)
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超",
    "秀英", "华", "慧", "建国",
];

/// How many fictional volunteers the demo has.
pub const DEMO_VOLUNTEERS: usize = 300;

/// A call-up, a few hundred fictional volunteers of 五里桥街道 (one transaction), four posts
/// with a week of morning and afternoon shifts, some bookings, and yesterday's checked shifts
/// so hours show.
async fn seed_volunteers(
    store: &SqlStore,
    seed: u64,
    hash: &str,
    now: OffsetDateTime,
) -> Result<(), BoxError> {
    use time::Duration;
    use wushe_core::dispatch::{Skill, Skills};
    use wushe_core::ids::{BookingId, CampaignId, PostId, ShiftId};
    use wushe_core::store::{CallupStore, RegionStore, RosterStore};
    use wushe_core::volunteers::booking::{BookingState, Window};
    use wushe_core::volunteers::record::{
        Booking, Campaign, CampaignRole, CampaignState, Post, Profile, Shift,
    };
    use wushe_core::volunteers::signup::china_at;
    use wushe_core::volunteers::{Availability, PostKind, availability_to_str};

    let admin = store
        .user_by_name("admin")
        .await?
        .ok_or("demo admin missing")?;
    let station = store
        .list_orgs(&wushe_core::orgs::OrgFilter {
            kind: Some(OrgKind::Station),
            region: Some(RegionCode(WULIQIAO.into())),
            query: None,
            limit: 1,
        })
        .await?
        .into_iter()
        .next()
        .ok_or("demo station missing")?;
    let street = RegionCode(WULIQIAO.into());
    let campaign = Campaign {
        id: CampaignId::new(),
        org: station.id,
        title: "五里桥街道抗疫志愿者召集令（演示）".into(),
        description: "街道各小区采样点、卡口和物资点需要志愿者轮班，也需要有车的志愿者帮居民配药送药。演示数据。".into(),
        region: street.clone(),
        meeting_point: "五里桥街道社区服务中心门口（演示）".into(),
        roles: vec![
            CampaignRole { name: "采样点秩序维护".into(), headcount: 60, skills: vec![] },
            CampaignRole { name: "物资分拣搬运".into(), headcount: 40, skills: vec![] },
            CampaignRole { name: "送药司机".into(), headcount: 10, skills: vec!["driver_with_vehicle".into()] },
            CampaignRole { name: "电话回访".into(), headcount: 10, skills: vec!["counselling".into()] },
        ],
        min_age: Some(18),
        max_age: Some(65),
        period: Window { start: now - Duration::days(1), end: now + Duration::days(30) },
        state: CampaignState::Open,
        created_by: admin.id,
        created_at: now,
    };
    store
        .insert_campaign(
            &campaign,
            &AuditEvent::new(Action::CampaignPublished, now)
                .region(&street)
                .record(RecordKind::Campaign, [campaign.id]),
        )
        .await?;
    let communities: Vec<RegionCode> = store
        .region_children(Some(&street))
        .await?
        .into_iter()
        .map(|r| r.code)
        .filter(|c| c.0.len() == 12)
        .collect();
    let home = |i: usize| {
        communities
            .get(i % communities.len().max(1))
            .cloned()
            .unwrap_or_else(|| RegionCode(QIAOYI.into()))
    };
    let profile = |i: usize| {
        let mut skills = Skills::NONE;
        for (k, s) in Skill::ALL.iter().enumerate() {
            if (i + k * 3 + seed as usize).is_multiple_of(7) {
                skills = skills.with(*s);
            }
        }
        let avail: Vec<Availability> = Availability::ALL
            .iter()
            .enumerate()
            .filter(|(k, _)| !(i + k).is_multiple_of(3))
            .map(|(_, a)| *a)
            .collect();
        Profile {
            user: wushe_core::ids::UserId(uuid::Uuid::nil()),
            skills,
            availability: availability_to_str(&avail),
            home_community: home(i),
            team: None,
            region: street.clone(),
            updated_at: now,
            version: 1,
        }
    };
    let people: Vec<(NewUser, Profile)> = (0..DEMO_VOLUNTEERS)
        .map(|i| {
            let name = format!(
                "{}{}（演示）",
                SURNAMES[(i * 7 + seed as usize) % SURNAMES.len()],
                GIVEN[(i * 11 + 3) % GIVEN.len()]
            );
            (
                NewUser {
                    username: format!("1390000{i:04}"),
                    display_name: name,
                    region: street.clone(),
                    grants: vec![Grant {
                        role: Role::Volunteer,
                        region: street.clone(),
                        org: None,
                    }],
                },
                profile(i),
            )
        })
        .collect();
    let ids = store
        .insert_demo_volunteers(
            &people,
            hash,
            now,
            &AuditEvent::new(Action::UserCreated, now)
                .region(&street)
                .record(RecordKind::User, Vec::<String>::new()),
        )
        .await?;
    if let Some(z) = store.user_by_name("zhiyuan").await? {
        store
            .insert_demo_profile(
                z.id,
                &Profile {
                    region: RegionCode(QIAOYI.into()),
                    ..profile(1)
                },
                now,
            )
            .await?;
    }
    let posts = [
        (PostKind::TestingSite, "桥一小区采样点（演示）", QIAOYI),
        (PostKind::Checkpoint, "桥一小区东门卡口（演示）", QIAOYI),
        (PostKind::SupplyPoint, "街道物资中转点（演示）", QIAOYI),
        (PostKind::HotlineDesk, "街道热线席位（演示）", QIAOYI),
    ];
    let today = now.to_offset(wushe_core::volunteers::signup::CHINA).date();
    let mut booked = 0usize;
    for (n, (kind, name, region)) in posts.iter().enumerate() {
        let region = RegionCode(region.to_string());
        let post = Post {
            id: PostId::new(),
            region: region.clone(),
            kind: *kind,
            name: name.to_string(),
            lead: None,
            created_at: now,
        };
        store
            .insert_post(
                &post,
                &AuditEvent::new(Action::PostCreated, now)
                    .region(&region)
                    .record(RecordKind::Post, [post.id]),
            )
            .await?;
        let mut shifts = Vec::new();
        for d in -1..7i64 {
            let day = today + Duration::days(d);
            for (h0, h1) in [(8u8, 12u8), (13, 17)] {
                let (Ok(t0), Ok(t1)) = (
                    time::Time::from_hms(h0, 0, 0),
                    time::Time::from_hms(h1, 0, 0),
                ) else {
                    continue;
                };
                shifts.push(Shift {
                    id: ShiftId::new(),
                    post: post.id,
                    region: region.clone(),
                    window: Window {
                        start: china_at(day, t0),
                        end: china_at(day, t1),
                    },
                    slots: 3 + (n as i32 % 3),
                    taken: 0,
                });
            }
        }
        store
            .insert_shifts(
                &shifts,
                &AuditEvent::new(Action::ShiftsAdded, now)
                    .region(&region)
                    .record(RecordKind::Post, [post.id]),
            )
            .await?;
        // Two people on most shifts; yesterday's were served.
        for (k, sh) in shifts.iter().enumerate() {
            for j in 0..2 {
                let Some(user) = ids.get((n * 40 + k * 2 + j) % ids.len()) else {
                    continue;
                };
                let b = Booking {
                    id: BookingId::new(),
                    shift: sh.id,
                    user: *user,
                    window: sh.window,
                    state: BookingState::Booked,
                    checked_in_at: None,
                    checked_out_at: None,
                    booked_by: *user,
                    created_at: now,
                };
                let ev = AuditEvent::new(Action::ShiftBooked, now)
                    .region(&region)
                    .record(RecordKind::Booking, [b.id]);
                if store.book_shift(&b, &ev).await.is_err() {
                    continue;
                }
                booked += 1;
                if sh.window.end < now {
                    let ev = AuditEvent::new(Action::ShiftAttendance, now)
                        .region(&region)
                        .record(RecordKind::Booking, [b.id]);
                    store
                        .set_attendance(
                            b.id,
                            BookingState::Booked,
                            BookingState::CheckedIn,
                            sh.window.start,
                            &ev,
                        )
                        .await?;
                    store
                        .set_attendance(
                            b.id,
                            BookingState::CheckedIn,
                            BookingState::CheckedOut,
                            sh.window.end,
                            &ev,
                        )
                        .await?;
                }
            }
        }
    }
    tracing::info!(volunteers = ids.len(), booked, "demo volunteers seeded");
    Ok(())
}

/// The registry (a few thousand people with a week of checks), seeded in the background
/// once the server is up, so the demo serves at once. The demo's social worker (桥一) and
/// supervisor (五里桥) follow the people of their places.
pub async fn seed_people(state: &crate::AppState, seed: u64) -> Result<usize, BoxError> {
    let mut workers = Vec::new();
    for login in ["shegong", "dudao"] {
        if let Some(u) = state.store.user_by_name(login).await? {
            workers.push((u.region.clone(), u.id));
        }
    }
    let started = std::time::Instant::now();
    let n = crate::demo_people::seed(
        state.store.as_ref(),
        state.cipher.clone(),
        workers,
        seed,
        OffsetDateTime::now_utc(),
    )
    .await?;
    if n > 0 {
        tracing::info!(
            people = n,
            ms = started.elapsed().as_millis() as u64,
            "demo registry seeded"
        );
    }
    Ok(n)
}

/// The demo's own accounts skip the second factor (the banner says so). This is the only
/// place that sets the exemption; no page or API can.
async fn exempt_demo_accounts(store: &SqlStore) -> Result<(), BoxError> {
    for (login, ..) in USERS {
        if let Some(u) = store.user_by_name(login).await? {
            store.set_mfa_exempt(u.id, true).await?;
        }
    }
    Ok(())
}

fn region_label(code: &str) -> String {
    match code {
        HUANGPU => "黄浦区 310101".into(),
        WULIQIAO => "五里桥街道 310101020".into(),
        QIAOYI => "桥一居委会 310101020001".into(),
        other => other.into(),
    }
}
