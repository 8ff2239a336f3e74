//! One need for staff (`/needs/{id}`): facts, the resident's details (in full only for those
//! who handle it; every view audited), the timeline, referrals, tasks and the actions the
//! state machine allows (`POST /needs/{id}/act`). A lost race or a bad field re-shows the
//! page with what was typed, never losing it.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use time::OffsetDateTime;
use wushe_core::actor::Role;
use wushe_core::ids::{NeedId, OrgId, UserId};
use wushe_core::needs::Priority;
use wushe_core::needs::queue::current_deadline;
use wushe_core::needs::record::Need;
use wushe_core::needs::state::State as NeedState;
use wushe_core::needs::timeline::{EventKind, ReferralState, TaskKind};
use wushe_core::needs::work::{self, Access, Personal};
use wushe_core::orgs::OrgFilter;
use wushe_core::reveal::{mask_name, mask_phone};
use wushe_core::{Error, FieldErrors, Store};

use super::case_form::ActForm;
use super::queue::countdown;
use super::view::{shanghai_time, urgent_lines};
use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{Choice, FormErrors, render, see_other};
use crate::http::page::{Lang, Page};
use crate::http::session::CurrentActor;

/// A timeline entry as staff read it.
pub struct EventView {
    pub at: String,
    pub what: &'static str,
    pub who: String,
    pub detail: String,
    pub note: Option<String>,
    pub public: bool,
}

pub struct ReferralView {
    pub org: String,
    pub state: &'static str,
}

pub struct TaskView {
    pub id: String,
    pub kind: &'static str,
    pub assignee: String,
    pub done: bool,
}

#[derive(Template)]
#[template(path = "needs/case.html")]
struct CasePage {
    page: Page,
    id: String,
    version: i64,
    code: String,
    priority: &'static str,
    priority_label: &'static str,
    category: &'static str,
    state: &'static str,
    community: String,
    source: &'static str,
    escalation: i16,
    /// The linked registry person, for those who may see the registry.
    person: Option<String>,
    clock: String,
    breached: bool,
    reviewed: bool,
    assignee: String,
    reasons: Vec<String>,
    urgent: Vec<String>,
    /// The resident's details in full (handlers) or masked (view only).
    full: bool,
    contact_name: String,
    mobile: String,
    address: String,
    description: String,
    facts: Vec<String>,
    events: Vec<EventView>,
    referrals: Vec<ReferralView>,
    tasks: Vec<TaskView>,
    /// Volunteer tasks, the kinds volunteers take, and who may be assigned one by name.
    dispatches: Vec<super::dispatch::DispatchView>,
    dispatch_kinds: Vec<Choice>,
    volunteers: Vec<Choice>,
    /// Which action forms to show.
    handle: bool,
    pending_referral: bool,
    accepted_referral: bool,
    is_open: bool,
    can_start: bool,
    can_resolve: bool,
    is_resolved: bool,
    workers: Vec<Choice>,
    orgs: Vec<Choice>,
    priorities: Vec<Choice>,
    task_kinds: Vec<Choice>,
    /// The form that failed, with what was typed, and the message.
    form: ActForm,
    errors: FormErrors,
    problem: String,
}

async fn user_name(store: &dyn Store, id: Option<UserId>, lang: Lang) -> Result<String, HttpError> {
    Ok(match id {
        None => lang.pick("系统", "wushe").to_string(),
        Some(u) => store
            .user(u)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_else(|| u.to_string()),
    })
}

async fn org_name(store: &dyn Store, id: OrgId) -> Result<String, HttpError> {
    Ok(store
        .org(id)
        .await?
        .map(|o| o.name)
        .unwrap_or_else(|| id.to_string()))
}

/// The workers who may be given this need (handle needs in its community).
async fn workers(store: &dyn Store, need: &Need) -> Result<Vec<Choice>, HttpError> {
    let mut out: Vec<Choice> = Vec::new();
    for role in [
        Role::CommitteeStaff,
        Role::SocialWorker,
        Role::Supervisor,
        Role::Counselor,
    ] {
        for (u, _) in store.grant_holders(role, &need.region).await? {
            let value = u.to_string();
            if out.iter().any(|c| c.value == value) {
                continue;
            }
            if let Some(user) = store.user(u).await? {
                out.push(Choice {
                    value,
                    label: format!("{}（{}）", user.display_name, role.zh()),
                });
            }
        }
    }
    Ok(out)
}

fn facts(p: &Personal, lang: Lang) -> Vec<String> {
    let s = &p.subject;
    let mut v = Vec::new();
    if let Some(age) = s.age {
        v.push(format!("{} {age}", lang.pick("年龄", "Age")));
    }
    for (on, zh, en) in [
        (s.lives_alone, "独居", "Lives alone"),
        (s.disabled, "残疾/失能", "Disabled"),
        (s.child, "儿童", "Child"),
        (s.no_carer, "无人照料", "No carer"),
        (s.pregnant, "怀孕", "Pregnant"),
    ] {
        if on {
            v.push(lang.pick(zh, en).to_string());
        }
    }
    if let Some(d) = s.due_date {
        v.push(format!("{} {d}", lang.pick("预产期", "Due")));
    }
    v
}

/// A failed attempt to act, shown again: what was typed, field errors, or a conflict.
#[derive(Default)]
struct Attempt {
    form: ActForm,
    errors: FieldErrors,
    problem: String,
}

async fn case_page(
    s: &AppState,
    page: Page,
    (need, access): (Need, Access),
    attempt: Attempt,
    now: OffsetDateTime,
) -> Result<CasePage, HttpError> {
    let lang = page.lang;
    let store = s.store.as_ref();
    let full = access.may_handle() || matches!(access, Access::Referral { accepted: true, .. });
    let p = work::personal(&s.cipher, &need)?;
    let mut events = Vec::new();
    for e in store.need_events(need.id).await? {
        let mut detail = Vec::new();
        if let Some(pr) = e.data.priority {
            detail.push(format!("{} {}", pr.as_str(), lang.pick(pr.zh(), pr.en())));
        }
        if let Some(u) = e.data.user {
            detail.push(user_name(store, Some(u), lang).await?);
        }
        if let Some(o) = e.data.org {
            detail.push(org_name(store, o).await?);
        }
        if let Some(l) = e.data.level {
            detail.push(format!("{} {l}", lang.pick("级别", "level")));
        }
        if let Some(r) = e.data.reached {
            detail.push(
                lang.pick(
                    if r { "已联系上" } else { "未联系上" },
                    if r { "reached" } else { "not reached" },
                )
                .into(),
            );
        }
        if let Some(o) = e.data.other
            && let Some(other) = store.need(o).await?
        {
            detail.push(other.code.display());
        }
        events.push(EventView {
            at: shanghai_time(e.at, lang),
            what: lang.pick(e.kind.zh(), e.kind.en()),
            who: match (e.actor, e.kind) {
                (None, EventKind::Created | EventKind::ResidentInfo | EventKind::Cancelled) => {
                    lang.pick("求助人", "the resident").to_string()
                }
                (actor, _) => user_name(store, actor, lang).await?,
            },
            detail: detail.join(" · "),
            note: if full || e.kind.note_is_public() {
                work::event_note(&s.cipher, &e)?
            } else {
                None
            },
            public: e.kind.public(),
        });
    }
    events.reverse();
    let mut referrals = Vec::new();
    let mut pending_referral = false;
    let mut accepted_referral = false;
    for r in store.need_referrals(need.id).await? {
        if let Access::Referral { org, .. } = access
            && org == r.org
        {
            pending_referral |= r.state == ReferralState::Pending;
            accepted_referral |= r.state == ReferralState::Accepted;
        }
        referrals.push(ReferralView {
            org: org_name(store, r.org).await?,
            state: lang.pick(r.state.zh(), r.state.en()),
        });
    }
    let (dispatches, volunteer_tasks) = super::dispatch::views(store, &need, lang).await?;
    let mut tasks = Vec::new();
    for t in store.need_tasks(need.id).await? {
        if volunteer_tasks.contains(&t.id) {
            continue;
        }
        tasks.push(TaskView {
            id: t.id.to_string(),
            kind: lang.pick(t.kind.zh(), t.kind.en()),
            assignee: match t.assignee {
                Some(a) => user_name(store, Some(a), lang).await?,
                None => lang.pick("未指定", "nobody yet").into(),
            },
            done: t.done,
        });
    }
    let handle = access.may_handle();
    let workers = if handle {
        workers(store, &need).await?
    } else {
        Vec::new()
    };
    let volunteers = if handle {
        super::dispatch::volunteers(store, &need).await?
    } else {
        Vec::new()
    };
    let orgs = if handle || accepted_referral {
        store
            .list_orgs(&OrgFilter {
                limit: 300,
                ..OrgFilter::default()
            })
            .await?
            .into_iter()
            .map(|o| Choice {
                value: o.id.to_string(),
                label: o.name,
            })
            .collect()
    } else {
        Vec::new()
    };
    let (due, first) = current_deadline(&s.sla, &need);
    let community = store
        .region(&need.region)
        .await?
        .map(|r| r.display_name)
        .unwrap_or_else(|| need.region.0.clone());
    let assignee = match need.assignee {
        Some(a) => user_name(store, Some(a), lang).await?,
        None => lang.pick("未分派", "Unassigned").into(),
    };
    Ok(CasePage {
        id: need.id.to_string(),
        version: need.version,
        code: need.code.display(),
        priority: need.priority.as_str(),
        priority_label: lang.pick(need.priority.zh(), need.priority.en()),
        category: lang.pick(need.category.zh(), need.category.en()),
        state: lang.pick(need.state.zh(), need.state.en()),
        community,
        source: lang.pick(need.source.zh(), need.source.en()),
        escalation: need.escalation,
        person: need
            .person
            .filter(|_| {
                page.actor
                    .as_ref()
                    .is_some_and(|a| a.can_at(wushe_core::Permission::ViewPeople, &need.region))
            })
            .map(|p| p.to_string()),
        clock: if need.state.is_open() {
            format!(
                "{} {}",
                lang.pick(
                    if first {
                        "首次响应"
                    } else {
                        "解决期限"
                    },
                    if first {
                        "First response"
                    } else {
                        "Resolve by"
                    }
                ),
                countdown(due, now, lang)
            )
        } else {
            String::new()
        },
        breached: need.state.is_open() && due < now,
        reviewed: need.reviewed,
        assignee,
        reasons: need
            .reasons
            .iter()
            .map(|r| lang.pick(&r.zh, &r.en).to_string())
            .collect(),
        urgent: urgent_lines(&need.advice, lang),
        full,
        contact_name: if full {
            p.contact_name.clone()
        } else {
            mask_name(&p.contact_name)
        },
        mobile: if full {
            p.mobile.clone()
        } else {
            mask_phone(&p.mobile)
        },
        address: if full {
            p.address.clone()
        } else {
            lang.pick("（仅处理人员可见）", "(shown to handlers only)")
                .into()
        },
        description: if full {
            p.description.clone()
        } else {
            lang.pick("（仅处理人员可见）", "(shown to handlers only)")
                .into()
        },
        facts: if full { facts(&p, lang) } else { Vec::new() },
        events,
        referrals,
        tasks,
        dispatches,
        dispatch_kinds: super::dispatch::kinds(lang),
        volunteers,
        handle,
        pending_referral,
        accepted_referral,
        is_open: need.state.is_open(),
        can_start: need.state == NeedState::Assigned,
        can_resolve: wushe_core::needs::state::next(
            need.state,
            wushe_core::needs::state::Action::Resolve,
        )
        .is_some(),
        is_resolved: need.state == NeedState::Resolved,
        workers,
        orgs,
        priorities: Priority::ALL
            .iter()
            .map(|p| Choice {
                value: p.as_str().into(),
                label: format!("{} {}", p.as_str(), lang.pick(p.zh(), p.en())),
            })
            .collect(),
        task_kinds: TaskKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str().into(),
                label: lang.pick(k.zh(), k.en()).into(),
            })
            .collect(),
        form: attempt.form,
        errors: FormErrors::new(attempt.errors, lang),
        problem: attempt.problem,
        page,
    })
}

fn need_id(raw: &str) -> Result<NeedId, HttpError> {
    raw.parse().map_err(|_| HttpError::Core(Error::NotFound))
}

pub async fn show(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let now = s.clock.now();
    let opened = work::open(s.desk(), &a, need_id(&id)?, now).await?;
    let p = case_page(&s, page, opened, Attempt::default(), now).await?;
    render(StatusCode::OK, &p)
}

pub async fn act(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> Result<Response, HttpError> {
    let id = need_id(&id)?;
    let now = s.clock.now();
    let result = match f.command(a.user_id) {
        Ok(cmd) => work::act(s.desk(), &a, id, f.version, cmd, now).await,
        Err(e) => Err(e),
    };
    let (status, errors, problem) = match result {
        Ok(_) => return Ok(see_other(&format!("/needs/{id}"))),
        Err(Error::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors, String::new()),
        Err(Error::Conflict(msg)) => (StatusCode::CONFLICT, FieldErrors::default(), msg),
        Err(e) => return Err(e.into()),
    };
    let opened = work::open(s.desk(), &a, id, now).await?;
    let attempt = Attempt {
        form: f,
        errors,
        problem,
    };
    let p = case_page(&s, page, opened, attempt, now).await?;
    render(status, &p)
}

/// Staff actions on the need's volunteer tasks; errors re-show the page like [`act`].
pub async fn dispatch(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> Result<Response, HttpError> {
    let id = need_id(&id)?;
    let now = s.clock.now();
    let need = s.store.need(id).await?.ok_or(Error::NotFound)?;
    // Seen at all? (Outside scope: not found, like the page.)
    work::access(s.desk(), &a, &need).await?;
    let (status, errors, problem) = match super::dispatch::act(&s, &a, &need, &f).await {
        Ok(()) => return Ok(see_other(&format!("/needs/{id}#volunteer-tasks"))),
        // Fields with no input of their own on the page (a hidden task id): say it on top.
        Err(Error::Invalid(errors))
            if errors
                .0
                .iter()
                .any(|e| !matches!(e.field, "kind" | "volunteer")) =>
        {
            let msg = errors
                .0
                .first()
                .map(|e| page.t(&e.zh, &e.en).to_string())
                .unwrap_or_default();
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                FieldErrors::default(),
                msg,
            )
        }
        Err(Error::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors, String::new()),
        Err(Error::Conflict(msg)) => (StatusCode::CONFLICT, FieldErrors::default(), msg),
        Err(e) => return Err(e.into()),
    };
    let opened = work::open(s.desk(), &a, id, now).await?;
    let attempt = Attempt {
        form: f,
        errors,
        problem,
    };
    let p = case_page(&s, page, opened, attempt, now).await?;
    render(status, &p)
}
