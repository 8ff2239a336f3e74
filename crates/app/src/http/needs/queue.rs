//! The staff queue (`/needs`): needs in the actor's scope and those referred to their
//! organisations, most urgent first, with filters and countdowns; `/needs/live` tells the
//! page over SSE when it should look again.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::OffsetDateTime;
use wushe_core::Permission;
use wushe_core::needs::queue::{QueueFilter, QueueItem, queue};
use wushe_core::needs::sla::SlaPolicy;
use wushe_core::needs::state::State as NeedState;
use wushe_core::needs::work::actor_orgs;
use wushe_core::needs::{Category, Priority};

use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{Choice, render};
use crate::http::page::{Lang, Page};
use crate::http::session::CurrentActor;

/// The queue's filters as query parameters (checkboxes present or absent).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct QueueParams {
    pub category: String,
    pub priority: String,
    pub state: String,
    pub escalated: Option<String>,
    pub unassigned: Option<String>,
    pub mine: Option<String>,
}

impl QueueParams {
    pub fn filter(&self) -> QueueFilter {
        QueueFilter {
            category: Category::parse(&self.category),
            priority: Priority::parse(&self.priority),
            state: NeedState::parse(&self.state),
            escalated: self.escalated.is_some(),
            unassigned: self.unassigned.is_some(),
            mine: self.mine.is_some(),
        }
    }

    /// The same filters as a query string, for the live refresh.
    pub fn query_string(&self) -> String {
        let mut parts = vec![
            ("category", self.category.as_str()),
            ("priority", self.priority.as_str()),
            ("state", self.state.as_str()),
        ];
        for (k, v) in [
            ("escalated", &self.escalated),
            ("unassigned", &self.unassigned),
            ("mine", &self.mine),
        ] {
            if v.is_some() {
                parts.push((k, "1"));
            }
        }
        serde_urlencoded::to_string(
            parts
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default()
    }
}

/// "还剩 12 分钟" / "已超时 1 小时 5 分钟".
pub fn countdown(due: OffsetDateTime, now: OffsetDateTime, lang: Lang) -> String {
    let (late, d) = SlaPolicy::remaining(due, now);
    // Time left rounds up (a fresh P1 has "15 minutes"), time overdue rounds down.
    let secs = d.whole_seconds();
    let mins = if late { secs / 60 } else { (secs + 59) / 60 };
    let (h, m) = (mins / 60, mins % 60);
    let span = match (lang, h) {
        (Lang::Zh, 0) => format!("{m} 分钟"),
        (Lang::Zh, _) => format!("{h} 小时 {m} 分钟"),
        (Lang::En, 0) => format!("{m} min"),
        (Lang::En, _) => format!("{h} h {m} min"),
    };
    match (lang, late) {
        (Lang::Zh, true) => format!("已超时 {span}"),
        (Lang::Zh, false) => format!("还剩 {span}"),
        (Lang::En, true) => format!("{span} overdue"),
        (Lang::En, false) => format!("{span} left"),
    }
}

/// One queue row as shown.
pub struct Row {
    pub id: String,
    pub code: String,
    pub priority: &'static str,
    pub priority_label: &'static str,
    pub category: &'static str,
    pub community: String,
    pub state: &'static str,
    pub escalation: i16,
    pub assigned: bool,
    pub breached: bool,
    /// "首次响应 还剩 12 分钟".
    pub clock: String,
    pub reasons: String,
    pub referred: bool,
}

async fn rows(
    s: &AppState,
    items: Vec<QueueItem>,
    scope_seen: &[wushe_core::regions::RegionCode],
    lang: Lang,
    now: OffsetDateTime,
) -> Result<Vec<Row>, HttpError> {
    let names = s.store.region_index().await?;
    Ok(items
        .into_iter()
        .map(|i| {
            let n = &i.need;
            let what = if i.first_response {
                lang.pick("首次响应", "First response")
            } else {
                lang.pick("解决期限", "Resolve by")
            };
            Row {
                id: n.id.to_string(),
                code: n.code.display(),
                priority: n.priority.as_str(),
                priority_label: lang.pick(n.priority.zh(), n.priority.en()),
                category: lang.pick(n.category.zh(), n.category.en()),
                community: names
                    .get(n.region.as_str())
                    .map(|(_, name)| name.clone())
                    .unwrap_or_else(|| n.region.0.clone()),
                state: lang.pick(n.state.zh(), n.state.en()),
                escalation: n.escalation,
                assigned: n.assignee.is_some(),
                breached: i.breached,
                clock: format!("{what} {}", countdown(i.due, now, lang)),
                reasons: n
                    .reasons
                    .iter()
                    .skip(1)
                    .map(|r| lang.pick(&r.zh, &r.en).to_string())
                    .collect::<Vec<_>>()
                    .join("；"),
                referred: !scope_seen.iter().any(|c| c.covers(&n.region)),
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "needs/queue.html")]
struct QueuePage {
    page: Page,
    rows: Vec<Row>,
    params: QueueParams,
    live_query: String,
    categories: Vec<Choice>,
    priorities: Vec<Choice>,
    states: Vec<Choice>,
    can_enter: bool,
}

fn choices(lang: Lang) -> (Vec<Choice>, Vec<Choice>, Vec<Choice>) {
    let c = Category::ALL
        .iter()
        .map(|c| Choice {
            value: c.as_str().into(),
            label: lang.pick(c.zh(), c.en()).into(),
        })
        .collect();
    let p = Priority::ALL
        .iter()
        .map(|p| Choice {
            value: p.as_str().into(),
            label: format!("{} {}", p.as_str(), lang.pick(p.zh(), p.en())),
        })
        .collect();
    let s = NeedState::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str().into(),
            label: lang.pick(s.zh(), s.en()).into(),
        })
        .collect();
    (c, p, s)
}

pub async fn index(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Query(params): Query<QueueParams>,
) -> Result<Response, HttpError> {
    let now = s.clock.now();
    let items = queue(s.desk(), &a, &params.filter(), now).await?;
    let seen = a.scope(Permission::ViewNeeds);
    let rows = rows(&s, items, &seen, page.lang, now).await?;
    let (categories, priorities, states) = choices(page.lang);
    let p = QueuePage {
        rows,
        live_query: params.query_string(),
        params,
        categories,
        priorities,
        states,
        can_enter: a.can(Permission::EnterNeeds),
        page,
    };
    render(StatusCode::OK, &p)
}

/// `changed` whenever a need the actor might see changes.
pub async fn live(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
) -> Result<Response, HttpError> {
    let scope = a.scope(Permission::ViewNeeds);
    let by_referral = !actor_orgs(&a).is_empty();
    if scope.is_empty() && !by_referral {
        return Err(wushe_core::Error::Forbidden.into());
    }
    let rx = s.live.subscribe();
    Ok(crate::http::live::changes(rx, move |sig| {
        by_referral || scope.iter().any(|c| c.covers(&sig.region))
    })
    .into_response())
}
