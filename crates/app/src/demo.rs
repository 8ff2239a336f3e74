//! Demo data: the real places of Shanghai and Zengdu, and in 黄浦区 (including 五里桥街道)
//! fictional organisations of every kind, one user of every role and a registry of a few
//! thousand fictional people with a week of welfare checks. Seeded once, on the
//! first start of `wushe demo`; the same seed always gives the same data. The demo's accounts
//! are exempt from the second factor, and the demo banner says so.

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
    let accounts = DemoAccounts {
        password: pass.clone(),
        users: USERS
            .iter()
            .map(|(u, _, r, c)| {
                (
                    u.to_string(),
                    format!("{} {}", r.as_str(), r.zh()),
                    region_label(c),
                )
            })
            .collect(),
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
    Ok(accounts)
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
