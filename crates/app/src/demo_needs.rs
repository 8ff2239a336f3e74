//! Demo data for the green channel: a realistic day of needs in 五里桥街道 — every category,
//! every state, a breached P1 that escalated, a referral to the dialysis centre with a linked
//! resource, a merged duplicate, a resident who cancelled. All names, numbers and addresses
//! are fictional. Made through the same use-cases as real work, so the timelines are true.

use time::{Duration, OffsetDateTime};
use wushe_core::actor::Actor;
use wushe_core::ids::{NeedId, OrgId};
use wushe_core::needs::escalation;
use wushe_core::needs::intake::{IntakeForm, NOTICE_VERSION};
use wushe_core::needs::queue::NeedQuery;
use wushe_core::needs::record::IdempotencyClaim;
use wushe_core::needs::service::{self, Submission};
use wushe_core::needs::state::State;
use wushe_core::needs::work::{self, Command};
use wushe_core::needs::{Category, Priority};
use wushe_core::orgs::OrgFilter;
use wushe_core::regions::RegionCode;
use wushe_core::users::service::load_actor;

use crate::{AppState, BoxError};

const WULIQIAO: &str = "310101020";

/// (category, the resident's words, who for, age, minutes ago, what staff did).
type Story = (&'static str, &'static str, &'static str, u32, i64, Plan);

/// How far the demo takes a need.
#[derive(Clone, Copy)]
enum Plan {
    Untouched,
    Triaged,
    Assigned,
    Messaged,
    Resolved,
    Closed,
    Referred,
    Duplicate,
    CancelledByResident,
}

const STORIES: &[Story] = &[
    (
        "emergency_medical",
        "我母亲在家胸痛，呼吸困难，120一直占线",
        "family",
        82,
        40,
        Plan::Untouched,
    ),
    (
        "critical_treatment",
        "父亲每周一三五血透，小区封控出不去，明天要透析",
        "family",
        67,
        95,
        Plan::Referred,
    ),
    (
        "prenatal",
        "怀孕38周，明天要产检，没有车",
        "self",
        31,
        130,
        Plan::Assigned,
    ),
    (
        "medication",
        "独居老人，降压药只剩1天了",
        "neighbour",
        84,
        200,
        Plan::Messaged,
    ),
    (
        "medication",
        "胰岛素还剩两天，医院配不到",
        "self",
        66,
        260,
        Plan::Triaged,
    ),
    (
        "supplies",
        "家里菜不够了，不着急，这周内就行",
        "self",
        45,
        300,
        Plan::Resolved,
    ),
    (
        "supplies",
        "两位老人在家，米和油快吃完了",
        "family",
        79,
        330,
        Plan::Assigned,
    ),
    (
        "psych",
        "封控十几天了，晚上睡不着，心里很慌",
        "self",
        38,
        360,
        Plan::Messaged,
    ),
    (
        "elder_care",
        "楼上独居的阿婆两天没开门了",
        "neighbour",
        88,
        420,
        Plan::Triaged,
    ),
    (
        "child_care",
        "我被隔离了，孩子7岁一个人在家",
        "family",
        7,
        480,
        Plan::Assigned,
    ),
    (
        "registration",
        "帮老人登记上门核酸采样",
        "family",
        91,
        540,
        Plan::Closed,
    ),
    (
        "other",
        "想问一下社区有没有志愿者报名的地方",
        "self",
        29,
        600,
        Plan::Closed,
    ),
    (
        "supplies",
        "家里菜不够了，能不能帮忙买点",
        "self",
        45,
        610,
        Plan::Duplicate,
    ),
    (
        "medication",
        "孩子发烧，家里退烧药没有了",
        "family",
        5,
        700,
        Plan::Resolved,
    ),
    (
        "emergency_medical",
        "老伴摔倒了，头在流血，大出血",
        "family",
        76,
        760,
        Plan::Resolved,
    ),
    (
        "supplies",
        "婴儿奶粉只剩一天的量",
        "family",
        1,
        840,
        Plan::CancelledByResident,
    ),
    (
        "elder_care",
        "母亲失能卧床，护工进不来",
        "family",
        90,
        900,
        Plan::Untouched,
    ),
    (
        "psych",
        "最近总是想哭，没人说话",
        "self",
        52,
        1000,
        Plan::Untouched,
    ),
    (
        "supplies",
        "需要一些蔬菜，不急",
        "self",
        60,
        1100,
        Plan::Untouched,
    ),
    (
        "registration",
        "帮忙申请临时救助",
        "self",
        58,
        1250,
        Plan::Triaged,
    ),
];

const NAMES: &[&str] = &[
    "王阿姨",
    "李先生",
    "张女士",
    "陈伯伯",
    "刘女士",
    "赵先生",
    "孙阿姨",
    "周女士",
];

async fn actor(s: &AppState, login: &str) -> Result<Actor, BoxError> {
    let user = s
        .store
        .user_by_name(login)
        .await?
        .ok_or_else(|| format!("demo user {login} missing"))?;
    Ok(load_actor(s.store.as_ref(), user.id)
        .await?
        .ok_or("demo user disabled")?)
}

async fn org_named(s: &AppState, name: &str) -> Result<OrgId, BoxError> {
    let found = s
        .store
        .list_orgs(&OrgFilter {
            query: Some(name.into()),
            limit: 1,
            ..OrgFilter::default()
        })
        .await?;
    Ok(found.first().ok_or("demo org missing")?.id)
}

/// Do `cmd` on the need as it stands now.
async fn act(
    s: &AppState,
    who: &Actor,
    id: NeedId,
    cmd: Command,
    at: OffsetDateTime,
) -> Result<(), BoxError> {
    let need = s.store.need(id).await?.ok_or("demo need missing")?;
    work::act(s.desk(), who, id, need.version, cmd, at).await?;
    Ok(())
}

/// Seed the day of needs unless the demo district already has needs.
pub async fn seed(s: &AppState, seed: u64, now: OffsetDateTime) -> Result<(), BoxError> {
    let street = RegionCode(WULIQIAO.into());
    let existing = s
        .store
        .list_needs(&NeedQuery {
            scope: vec![street.clone()],
            orgs: Vec::new(),
            states: State::ALL.to_vec(),
            category: None,
            priority: None,
            escalated: false,
            unassigned: false,
            assignee: None,
            limit: 1,
        })
        .await?;
    if !existing.is_empty() {
        return Ok(());
    }
    let communities = s.store.region_children(Some(&street)).await?;
    let worker = actor(s, "shegong").await?;
    let committee = actor(s, "juwei").await?;
    let supervisor = actor(s, "dudao").await?;
    let operator = actor(s, "rexian").await?;
    let dialysis = org_named(s, "血透中心").await?;
    let mut first_supplies: Option<String> = None;
    let mut ids: Vec<(NeedId, OffsetDateTime)> = Vec::new();
    for (i, (category, words, who, age, ago, plan)) in STORIES.iter().enumerate() {
        // The demo's staff work in 桥一; a few needs come from the street's other communities.
        let first = communities.first().ok_or("五里桥 has no communities")?;
        let community = match i % 4 {
            3 => communities.get(1 + i / 4).unwrap_or(first),
            _ => first,
        };
        let created = now - Duration::minutes(*ago);
        let form = IntakeForm {
            category: category.to_string(),
            description: words.to_string(),
            who_for: who.to_string(),
            age: age.to_string(),
            lives_alone: words.contains("独居"),
            child: *age < 14,
            no_carer: words.contains("一个人在家"),
            community: community.code.0.clone(),
            building: format!("{}号", 3 + (seed as usize).wrapping_add(i * 7) % 40),
            unit: String::new(),
            room: format!("{}0{}室", 1 + i % 6, 1 + i % 4),
            contact_name: NAMES[i % NAMES.len()].to_string(),
            mobile: format!(
                "1380000{:04}",
                (seed.wrapping_mul(31) as usize + i * 97) % 10_000
            ),
            privacy_consent: true,
            health_consent: true,
            notice_version: NOTICE_VERSION.into(),
            ..IntakeForm::default()
        };
        let claim = IdempotencyClaim {
            key: format!("demo:{seed}:{i}"),
            body_hash: format!("{i:064}"),
        };
        // Tracking codes from the seed (a 64-bit LCG step), so a seed always gives the same day.
        let random = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add((i as u64).wrapping_mul(1_442_695_040_888_963_407))
            .to_le_bytes();
        let by = (i % 5 == 1).then_some(&operator);
        let receipt = service::submit(
            s.desk(),
            Submission {
                form: &form,
                claim: &claim,
                code_random: random,
                by,
            },
            created,
        )
        .await?;
        let need = s
            .store
            .need_by_code(&receipt.code)
            .await?
            .ok_or("demo need missing")?;
        let id = need.id;
        ids.push((id, created));
        let step = |m: i64| created + Duration::minutes(m);
        // 桥一's own staff work its needs; the street's supervisor those of other communities.
        let (committee, worker) = if community.code == first.code {
            (&committee, &worker)
        } else {
            (&supervisor, &supervisor)
        };
        let confirm = Command::Triage {
            priority: need.priority,
            reason: "电话核实情况属实".into(),
        };
        match plan {
            Plan::Untouched => {}
            Plan::Triaged => act(s, committee, id, confirm, step(8)).await?,
            Plan::Assigned | Plan::Messaged | Plan::Resolved | Plan::Closed => {
                act(s, committee, id, confirm, step(5)).await?;
                act(
                    s,
                    committee,
                    id,
                    Command::Assign { to: worker.user_id },
                    step(9),
                )
                .await?;
                if !matches!(plan, Plan::Assigned) {
                    act(s, worker, id, Command::Start, step(12)).await?;
                    act(
                        s,
                        worker,
                        id,
                        Command::ContactAttempt {
                            reached: true,
                            note: "已电话联系".into(),
                        },
                        step(14),
                    )
                    .await?;
                    act(
                        s,
                        worker,
                        id,
                        Command::Message {
                            text: "您好，我们已收到，社工今天会上门，请保持电话畅通。".into(),
                        },
                        step(15),
                    )
                    .await?;
                }
                if matches!(plan, Plan::Resolved | Plan::Closed) {
                    act(
                        s,
                        worker,
                        id,
                        Command::Resolve {
                            outcome: "已送达/已办理，居民确认".into(),
                        },
                        step(90),
                    )
                    .await?;
                }
                if matches!(plan, Plan::Closed) {
                    act(s, &supervisor, id, Command::Close, step(120)).await?;
                }
            }
            Plan::Referred => {
                act(
                    s,
                    committee,
                    id,
                    Command::Triage {
                        priority: Priority::P2,
                        reason: "明日透析，必须今天安排".into(),
                    },
                    step(6),
                )
                .await?;
                act(
                    s,
                    worker,
                    id,
                    Command::Assign { to: worker.user_id },
                    step(8),
                )
                .await?;
                act(s, worker, id, Command::Refer { org: dialysis }, step(10)).await?;
                act(
                    s,
                    worker,
                    id,
                    Command::LinkResource {
                        org: dialysis,
                        gives: "周三上午透析床位一张".into(),
                    },
                    step(40),
                )
                .await?;
                act(
                    s,
                    worker,
                    id,
                    Command::AddTask {
                        kind: wushe_core::needs::timeline::TaskKind::Escort,
                        assignee: Some(worker.user_id),
                    },
                    step(42),
                )
                .await?;
            }
            Plan::Duplicate => {
                if let Some(code) = &first_supplies {
                    act(
                        s,
                        committee,
                        id,
                        Command::MarkDuplicate { of: code.clone() },
                        step(3),
                    )
                    .await?;
                }
            }
            Plan::CancelledByResident => {
                service::cancel_by_resident(
                    s.desk(),
                    need.code.as_str(),
                    Some(&receipt.secret),
                    step(30),
                )
                .await?;
            }
        }
        // The duplicate later in the day points at the open supplies need.
        if *category == Category::Supplies.as_str() && matches!(plan, Plan::Assigned) {
            first_supplies = Some(need.code.as_str().to_string());
        }
    }
    seed_tasks(s, &worker, &ids, now).await?;
    // Deadlines that passed during the day escalate now, notifying the supervisor.
    escalation::sweep(s.desk(), now).await?;
    Ok(())
}

/// How far the demo takes a volunteer task.
#[derive(Clone, Copy)]
enum TaskPlan {
    /// Offered now to the engine's best volunteer; the offer is still running.
    Offered,
    /// Given by name to the demo volunteer 周强 (`zhiyuan`), who has not finished yet.
    AcceptedByZhiyuan,
    /// Offered, accepted and completed with a note by the volunteer the engine chose.
    Completed(&'static str),
    /// Given by name to 周强 and completed with a note (his hours show it).
    CompletedByZhiyuan(&'static str),
}

/// Volunteer tasks on open needs of 桥一: (story index, task kind, minutes after the need
/// came in that the task was given, plan).
const TASKS: &[(usize, &str, i64, TaskPlan)] = &[
    (4, "deliver_medicine", 0, TaskPlan::Offered),
    (8, "door_visit", 20, TaskPlan::AcceptedByZhiyuan),
    (
        6,
        "supplies",
        20,
        TaskPlan::Completed("米和油已送到家门口，老人当面确认收到"),
    ),
    (
        18,
        "supplies",
        10,
        TaskPlan::CompletedByZhiyuan("蔬菜已送到，居民说够吃一周"),
    ),
];

/// Tasks on the day's needs for the demo's volunteers, through the same use-cases as real
/// dispatch, so the volunteers' task lists and the needs' timelines show them.
async fn seed_tasks(
    s: &AppState,
    worker: &Actor,
    ids: &[(NeedId, OffsetDateTime)],
    now: OffsetDateTime,
) -> Result<(), BoxError> {
    use wushe_core::dispatch::record::{OfferState, TaskState};
    use wushe_core::volunteers::tasks;
    let zhiyuan = actor(s, "zhiyuan").await?;
    let zhiyuan_id = zhiyuan.user_id.to_string();
    for (i, kind, after, plan) in TASKS {
        let Some((need, created)) = ids.get(*i) else {
            continue;
        };
        let at = |m: i64| *created + Duration::minutes(*after + m);
        // A running offer is made now; the others earlier in the day.
        let given = match plan {
            TaskPlan::Offered => now,
            _ => at(0),
        };
        let t = tasks::dispatch(s.dispatcher(), worker, *need, kind, given).await?;
        let by_name = |t| tasks::assign(s.dispatcher(), worker, t, &zhiyuan_id, at(2));
        match plan {
            TaskPlan::Offered => {
                if let Some(o) = s.store.offers_of_task(t.id).await?.first() {
                    let login = s.store.user(o.volunteer).await?.map(|u| u.username);
                    tracing::info!(volunteer = ?login, "demo task offered");
                }
            }
            TaskPlan::AcceptedByZhiyuan => {
                by_name(t.id).await?;
            }
            TaskPlan::CompletedByZhiyuan(note) => {
                by_name(t.id).await?;
                tasks::complete(s.dispatcher(), &zhiyuan, t.id, note, at(40)).await?;
            }
            TaskPlan::Completed(note) => {
                let open = s
                    .store
                    .offers_of_task(t.id)
                    .await?
                    .into_iter()
                    .find(|o| o.state == OfferState::Open);
                let who = match open.filter(|_| t.state == TaskState::Offered) {
                    Some(o) => {
                        let v = load_actor(s.store.as_ref(), o.volunteer)
                            .await?
                            .ok_or("demo volunteer disabled")?;
                        tasks::accept(s.dispatcher(), &v, o.id, at(3)).await?;
                        v
                    }
                    // Nobody was free then: staff gave it to 周强 by name.
                    None => {
                        by_name(t.id).await?;
                        zhiyuan.clone()
                    }
                };
                tasks::complete(s.dispatcher(), &who, t.id, note, at(48)).await?;
            }
        }
    }
    Ok(())
}
