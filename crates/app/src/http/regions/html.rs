//! Pages for places.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use wushe_core::regions::{Level, Region, service};
use wushe_core::{Permission, Store};

use super::api::parse_code;
use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{FormErrors, field_errors, render, see_other};
use crate::http::page::Page;
use crate::http::session::CurrentActor;

#[derive(Template)]
#[template(path = "regions/index.html")]
struct PlacePage {
    page: Page,
    path: Vec<Region>,
    children: Vec<Region>,
    current: Option<Region>,
    can_add: bool,
    add_level: String,
    add_name: String,
    errors: FormErrors,
    query: String,
}

impl PlacePage {
    fn level_name(&self, r: &Region) -> &'static str {
        if self.page.lang == crate::http::page::Lang::En {
            r.level.as_str()
        } else {
            r.level.zh()
        }
    }
}

async fn page_for(
    store: &dyn Store,
    actor: &wushe_core::Actor,
    page: Page,
    code: Option<&str>,
) -> Result<PlacePage, HttpError> {
    let code = code.map(parse_code).transpose()?;
    let (mut path, children) = service::browse(store, actor, code.as_ref()).await?;
    let current = path.last().cloned();
    // 上海市 › 上海市 (the placeholder city row) reads as one step: keep the deeper one.
    path.reverse();
    path.dedup_by(|shallower, deeper| shallower.display_name == deeper.display_name);
    path.reverse();
    let can_add = current.as_ref().is_some_and(|c| {
        matches!(c.level, Level::Community | Level::Grid)
            && actor.can_at(Permission::ManagePlaces, &c.code)
    });
    Ok(PlacePage {
        page,
        path,
        children,
        current,
        can_add,
        add_level: "grid".into(),
        add_name: String::new(),
        errors: FormErrors::default(),
        query: String::new(),
    })
}

pub async fn index(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
) -> Result<Response, HttpError> {
    render(
        StatusCode::OK,
        &page_for(s.store.as_ref(), &a, page, None).await?,
    )
}

pub async fn show(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(code): Path<String>,
) -> Result<Response, HttpError> {
    render(
        StatusCode::OK,
        &page_for(s.store.as_ref(), &a, page, Some(&code)).await?,
    )
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub async fn search(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Query(q): Query<SearchQuery>,
) -> Result<Response, HttpError> {
    let lang = page.lang;
    let mut p = page_for(s.store.as_ref(), &a, page, None).await?;
    let status = match field_errors(service::find(s.store.as_ref(), &a, &q.q).await)? {
        Ok(found) => {
            p.children = found;
            StatusCode::OK
        }
        Err(e) => {
            p.errors = FormErrors::new(e, lang);
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    p.query = q.q;
    render(status, &p)
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    level: String,
    #[serde(default)]
    name: String,
}

pub async fn add_child(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(code): Path<String>,
    Form(f): Form<AddForm>,
) -> Result<Response, HttpError> {
    match field_errors(
        service::add_place(
            s.store.as_ref(),
            &a,
            &code,
            &f.level,
            &f.name,
            s.clock.now(),
        )
        .await,
    )? {
        Ok(_) => Ok(see_other(&format!("/places/{code}"))),
        Err(e) => {
            let lang = page.lang;
            let mut p = page_for(s.store.as_ref(), &a, page, Some(&code)).await?;
            p.errors = FormErrors::new(e, lang);
            p.add_level = f.level;
            p.add_name = f.name;
            render(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
    }
}
