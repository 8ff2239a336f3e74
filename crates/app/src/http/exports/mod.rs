//! List exports (`/exports`): the registry, the needs and the welfare checks as XLSX or CSV,
//! scoped by the actor's regions. A GET gives the masked list; a full list is a POST with a
//! reason (and the `ExportFull` permission), recorded before anything is decrypted.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use wushe_core::export::{self, Ask, List, Table};
use wushe_core::{Actor, Error, FieldErrors, Permission};

use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{FormErrors, field_errors, render};
use crate::http::page::Page;
use crate::http::routes::Routes;
use crate::http::session::CurrentActor;

pub fn router() -> Routes {
    Routes::new()
        .route("/exports", get(index))
        .route("/exports/{list}/{format}", get(masked).post(full))
}

/// One list on the page.
pub struct ListView {
    pub code: &'static str,
    pub name: &'static str,
    pub note: &'static str,
}

#[derive(Template)]
#[template(path = "exports/index.html")]
struct IndexPage {
    page: Page,
    lists: Vec<ListView>,
    can_full: bool,
    errors: FormErrors,
    reason: String,
    chosen: String,
}

fn lists(a: &Actor, page: &Page) -> Vec<ListView> {
    [List::People, List::Needs, List::Checks]
        .into_iter()
        .filter(|l| a.can(l.view_permission()))
        .map(|l| ListView {
            code: l.as_str(),
            name: page.t(l.zh(), l.en()),
            note: match l {
                List::People => page.t(
                    "在您负责范围内的全部在册服务对象；完整导出的文件可直接重新导入",
                    "Everyone on the registry in your regions; a full export re-imports as it is",
                ),
                List::Needs => page.t(
                    "您负责范围内的全部需求（含已办结）",
                    "Every need in your regions, closed ones too",
                ),
                List::Checks => {
                    page.t("最近 90 天的探访记录", "Welfare checks of the last 90 days")
                }
            },
        })
        .collect()
}

fn index_page(
    a: &Actor,
    page: Page,
    errors: FieldErrors,
    reason: String,
    chosen: String,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let lang = page.lang;
    let p = IndexPage {
        lists: lists(a, &page),
        can_full: a.can(Permission::ExportFull),
        errors: FormErrors::new(errors, lang),
        reason,
        chosen,
        page,
    };
    render(status, &p)
}

pub async fn index(CurrentActor(a): CurrentActor, page: Page) -> Result<Response, HttpError> {
    if !a.can(Permission::ViewPeople) && !a.can(Permission::ViewNeeds) {
        return Err(Error::Forbidden.into());
    }
    index_page(
        &a,
        page,
        FieldErrors::default(),
        String::new(),
        String::new(),
        StatusCode::OK,
    )
}

fn parse(list: &str, format: &str) -> Result<(List, &'static str), HttpError> {
    let l = List::parse(list).ok_or(Error::NotFound)?;
    let f = match format {
        "xlsx" => "xlsx",
        "csv" => "csv",
        _ => return Err(Error::NotFound.into()),
    };
    Ok((l, f))
}

fn file(t: &Table, format: &str, full: bool) -> Result<Response, HttpError> {
    let name = format!(
        "{}-{}.{format}",
        t.list.as_str(),
        if full { "full" } else { "masked" }
    );
    let (ctype, bytes) = if format == "xlsx" {
        (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            crate::sheets::table_xlsx(t).map_err(Error::internal)?,
        )
    } else {
        ("text/csv; charset=utf-8", export::to_csv(t)?)
    };
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// The masked list.
pub async fn masked(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path((list, format)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    let (list, format) = parse(&list, &format)?;
    let t = export::export(
        s.store.as_ref(),
        &s.cipher,
        s.reveal_log.as_ref(),
        &a,
        Ask {
            list,
            full_reason: None,
            format,
        },
        s.clock.now(),
    )
    .await?;
    file(&t, format, false)
}

#[derive(Deserialize)]
pub struct FullForm {
    #[serde(default)]
    reason: String,
}

/// The full list, for a reason.
pub async fn full(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path((list, format)): Path<(String, String)>,
    Form(f): Form<FullForm>,
) -> Result<Response, HttpError> {
    let (list, format) = parse(&list, &format)?;
    let r = export::export(
        s.store.as_ref(),
        &s.cipher,
        s.reveal_log.as_ref(),
        &a,
        Ask {
            list,
            full_reason: Some(&f.reason),
            format,
        },
        s.clock.now(),
    )
    .await;
    match field_errors(r)? {
        Ok(t) => file(&t, format, true),
        Err(e) => index_page(
            &a,
            page,
            e,
            f.reason,
            format!("{}/{format}", list.as_str()),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}
