//! Welfare checks: recording one, today's list and the schedule.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use wushe_core::people::checks::{CheckForm, Mental, Method, Physical};
use wushe_core::people::schedule::DueGroup;
use wushe_core::people::service::{self};
use wushe_core::{Actor, Permission};

use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{Choice, FormErrors, field_errors, render, see_other};
use crate::http::page::{Lang, Page};
use crate::http::people::api::parse_id;
use crate::http::session::CurrentActor;

use super::{RowView, row_view};

#[derive(Template)]
#[template(path = "people/check.html")]
struct CheckPage {
    page: Page,
    id: String,
    row: RowView,
    form: CheckForm,
    methods: Vec<Choice>,
    physicals: Vec<Choice>,
    mentals: Vec<Choice>,
    errors: FormErrors,
}

async fn check_page(
    s: &AppState,
    a: &Actor,
    page: Page,
    id: String,
    form: CheckForm,
    errors: FormErrors,
) -> Result<CheckPage, HttpError> {
    let pid = parse_id(&id)?;
    let person = service::get(s.store.as_ref(), a, pid).await?;
    a.require_at(
        Permission::RecordChecks,
        Permission::ViewPeople,
        &person.region,
    )?;
    let v = service::view(s.store.as_ref(), &s.cipher, a, pid, s.clock.now()).await?;
    let lang = page.lang;
    Ok(CheckPage {
        row: row_view(lang, &v.row, None),
        methods: Method::ALL
            .iter()
            .map(|m| Choice {
                value: m.as_str().into(),
                label: lang.pick(m.zh(), m.en()).into(),
            })
            .collect(),
        physicals: Physical::ALL
            .iter()
            .map(|m| Choice {
                value: m.as_str().into(),
                label: lang.pick(m.zh(), m.en()).into(),
            })
            .collect(),
        mentals: Mental::ALL
            .iter()
            .map(|m| Choice {
                value: m.as_str().into(),
                label: lang.pick(m.zh(), m.en()).into(),
            })
            .collect(),
        page,
        id,
        form,
        errors,
    })
}

pub async fn check_form(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let form = CheckForm {
        method: "phone".into(),
        ..CheckForm::default()
    };
    let p = check_page(&s, &a, page, id, form, FormErrors::default()).await?;
    render(StatusCode::OK, &p)
}

pub async fn check(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<CheckForm>,
) -> Result<Response, HttpError> {
    let pid = parse_id(&id)?;
    match field_errors(crate::http::people::record_and_raise(&s, &a, pid, &form).await)? {
        Ok(_) => Ok(see_other("/checks/today?done=1")),
        Err(e) => {
            let errors = FormErrors::new(e, page.lang);
            let p = check_page(&s, &a, page, id, form, errors).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
    }
}

#[derive(Template)]
#[template(path = "people/today.html")]
struct TodayPage {
    page: Page,
    rows: Vec<RowView>,
    mine: bool,
    done: bool,
    summary: String,
}

#[derive(Deserialize, Default)]
pub struct TodayQuery {
    mine: Option<String>,
    done: Option<String>,
}

/// 今日探访: the people due by the end of today, phone first.
pub async fn today(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Query(q): Query<TodayQuery>,
) -> Result<Response, HttpError> {
    let mine = q.mine.as_deref() == Some("1");
    let items =
        service::today_list(s.store.as_ref(), &s.cipher, &a, mine, true, s.clock.now()).await?;
    let rows: Vec<RowView> = items
        .iter()
        .map(|i| row_view(page.lang, &i.row, i.call.clone()))
        .collect();
    let overdue = rows.iter().filter(|r| r.overdue).count();
    let summary = match page.lang {
        Lang::Zh => format!("今天要联系 {} 人，其中超期 {overdue} 人", rows.len()),
        Lang::En => format!("{} people to contact today, {overdue} overdue", rows.len()),
    };
    let p = TodayPage {
        summary,
        rows,
        mine,
        done: q.done.is_some(),
        page,
    };
    render(StatusCode::OK, &p)
}

/// One line of the counts table.
pub struct CountLine {
    pub label: String,
    pub active: i64,
    pub due: i64,
    pub overdue: i64,
}

#[derive(Template)]
#[template(path = "people/schedule.html")]
struct SchedulePage {
    page: Page,
    by: String,
    lines: Vec<CountLine>,
    total: CountLine,
}

#[derive(Deserialize, Default)]
pub struct ScheduleQuery {
    by: Option<String>,
}

/// Due and overdue counts per worker, community or street.
pub async fn schedule(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Query(q): Query<ScheduleQuery>,
) -> Result<Response, HttpError> {
    let group =
        q.by.as_deref()
            .and_then(DueGroup::parse)
            .unwrap_or(DueGroup::Community);
    let counts = service::counts(s.store.as_ref(), &a, group, s.clock.now()).await?;
    let mut lines = Vec::with_capacity(counts.len());
    for c in counts {
        let label = match group {
            DueGroup::Worker => match c.key.parse::<wushe_core::ids::UserId>() {
                Ok(u) => s
                    .store
                    .user(u)
                    .await?
                    .map(|u| u.display_name)
                    .unwrap_or_else(|| c.key.clone()),
                Err(_) => page.lang.pick("未分配", "Unassigned").into(),
            },
            _ => match wushe_core::regions::RegionCode::parse(&c.key) {
                Ok(code) => s
                    .store
                    .region(&code)
                    .await?
                    .map(|r| r.display_name)
                    .unwrap_or_else(|| c.key.clone()),
                Err(_) => c.key.clone(),
            },
        };
        lines.push(CountLine {
            label,
            active: c.active,
            due: c.due,
            overdue: c.overdue,
        });
    }
    let total = CountLine {
        label: page.lang.pick("合计", "Total").into(),
        active: lines.iter().map(|l| l.active).sum(),
        due: lines.iter().map(|l| l.due).sum(),
        overdue: lines.iter().map(|l| l.overdue).sum(),
    };
    let p = SchedulePage {
        by: group.as_str().into(),
        lines,
        total,
        page,
    };
    render(StatusCode::OK, &p)
}
