//! The audit viewer page: filters, entries as cards (ids rendered as names at the last
//! moment, only for users the viewer may see), and a link to older entries.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use wushe_core::audit::{Action, AuditEntry, AuditQuery, service};
use wushe_core::ids::UserId;
use wushe_core::{Actor, Permission, Role};

use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{Choice, FormErrors, field_errors, render};
use crate::http::page::{Lang, Page};
use crate::http::session::CurrentActor;

/// One entry as shown.
pub struct Row {
    pub seq: i64,
    pub at: String,
    pub at_iso: String,
    pub action: String,
    /// `None` when the outcome is ok.
    pub outcome: Option<String>,
    pub actor: String,
    pub actor_href: Option<String>,
    pub roles: String,
    pub region: String,
    pub record: String,
    pub request_id: String,
}

#[derive(Template)]
#[template(path = "audit/index.html")]
struct IndexPage {
    page: Page,
    q: AuditQuery,
    actions: Vec<Choice>,
    rows: Vec<Row>,
    older: Option<String>,
    errors: FormErrors,
    /// Show the filters open: some are set, or wrong.
    filtered: bool,
}

pub async fn index(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Query(q): Query<AuditQuery>,
) -> Result<Response, HttpError> {
    let lang = page.lang;
    let actions = Action::ALL
        .iter()
        .map(|x| Choice {
            value: x.as_str().into(),
            label: lang.pick(x.zh(), x.en()).into(),
        })
        .collect();
    let filtered = [&q.user, &q.action, &q.record, &q.from, &q.until]
        .iter()
        .any(|v| !v.trim().is_empty());
    match field_errors(service::list(s.store.as_ref(), &a, &q, s.clock.now()).await)? {
        Ok(p) => {
            let rows = rows(&s, &a, lang, &p.entries).await?;
            let older = p.next_before.map(|b| older_href(&q, b));
            render(
                StatusCode::OK,
                &IndexPage {
                    page,
                    q,
                    actions,
                    rows,
                    older,
                    errors: FormErrors::default(),
                    filtered,
                },
            )
        }
        Err(e) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &IndexPage {
                page,
                q,
                actions,
                rows: Vec::new(),
                older: None,
                errors: FormErrors::new(e, lang),
                filtered: true,
            },
        ),
    }
}

/// The same filters, one page further back.
fn older_href(q: &AuditQuery, before: i64) -> String {
    let before = before.to_string();
    let pairs: Vec<(&str, &str)> = [
        ("user", q.user.as_str()),
        ("action", q.action.as_str()),
        ("record", q.record.as_str()),
        ("from", q.from.as_str()),
        ("until", q.until.as_str()),
        ("before", before.as_str()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .collect();
    format!(
        "/audit?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    )
}

async fn rows(
    s: &AppState,
    viewer: &Actor,
    lang: Lang,
    entries: &[AuditEntry],
) -> Result<Vec<Row>, HttpError> {
    // Names of the users the viewer may see; others stay ids.
    let mut names: HashMap<String, Option<String>> = HashMap::new();
    for id in entries.iter().filter_map(|e| e.actor.as_deref()) {
        if names.contains_key(id) {
            continue;
        }
        let name = match id.parse::<UserId>() {
            Ok(uid) => s
                .store
                .user(uid)
                .await?
                .filter(|u| viewer.can_at(Permission::ViewUsers, &u.region))
                .map(|u| format!("{}（{}）", u.display_name, u.username)),
            Err(_) => None,
        };
        names.insert(id.to_string(), name);
    }
    let when = format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    Ok(entries
        .iter()
        .map(|e| {
            let action = Action::parse(&e.action)
                .map(|x| lang.pick(x.zh(), x.en()).to_string())
                .unwrap_or_else(|| e.action.clone());
            let (actor, actor_href) = match e.actor.as_deref() {
                Some(id) => match names.get(id).cloned().flatten() {
                    Some(n) => (n, Some(format!("/users/{id}"))),
                    None => (id.to_string(), None),
                },
                None if e.action == Action::LoginFailed.as_str() => {
                    (lang.pick("未登录", "Not signed in").to_string(), None)
                }
                None => (
                    lang.pick("系统（命令行）", "System (command line)")
                        .to_string(),
                    None,
                ),
            };
            let roles: Vec<&str> = e
                .role_names()
                .map(|r| {
                    Role::parse(r)
                        .map(|r| lang.pick(r.zh(), r.en()))
                        .unwrap_or(r)
                })
                .collect();
            let record = match e.record_kind.as_deref() {
                Some(k) => format!("{} {}", kind_label(lang, k), e.record_ids),
                None => e.record_ids.clone(),
            };
            Row {
                seq: e.seq,
                at: e.at().format(&when).unwrap_or_default(),
                at_iso: e.at().format(&Rfc3339).unwrap_or_default(),
                action,
                outcome: outcome_label(lang, &e.outcome),
                actor,
                actor_href,
                roles: roles.join("、"),
                region: e.region.clone().unwrap_or_else(|| "—".into()),
                record,
                request_id: e.request_id.clone().unwrap_or_else(|| "—".into()),
            }
        })
        .collect())
}

fn outcome_label(lang: Lang, outcome: &str) -> Option<String> {
    let (zh, en) = match outcome {
        "ok" => return None,
        "failed" => ("失败", "Failed"),
        "forbidden" => ("无权限", "Forbidden"),
        "not_found" => ("超出范围", "Out of scope"),
        other => (other, other),
    };
    Some(lang.pick(zh, en).to_string())
}

fn kind_label(lang: Lang, kind: &str) -> &str {
    let (zh, en) = match kind {
        "org" => ("机构", "Organisation"),
        "user" => ("账号", "Account"),
        "grant" => ("授权", "Grant"),
        "place" => ("地区", "Place"),
        "route" => ("请求", "Request"),
        "audit" => ("审计日志", "Audit log"),
        other => (other, other),
    };
    lang.pick(zh, en)
}
