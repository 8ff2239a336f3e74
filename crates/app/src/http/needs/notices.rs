//! In-app notifications (`/notifications`): escalations, assignments and tasks for the
//! signed-in staff member, newest first; opening the page marks them read.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::view::shanghai_time;
use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::render;
use crate::http::page::Page;
use crate::http::session::CurrentActor;

pub struct NoticeView {
    pub at: String,
    pub what: String,
    pub need: Option<String>,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "needs/notifications.html")]
struct NoticesPage {
    page: Page,
    notices: Vec<NoticeView>,
}

pub async fn index(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
) -> Result<Response, HttpError> {
    let lang = page.lang;
    let list = s.store.notifications(a.user_id, 100).await?;
    s.store
        .mark_notifications_read(a.user_id, s.clock.now())
        .await?;
    let notices = list
        .into_iter()
        .map(|n| NoticeView {
            at: shanghai_time(n.at, lang),
            what: match n.level {
                Some(l) => format!(
                    "{} · {} {l}",
                    lang.pick(n.kind.zh(), n.kind.en()),
                    lang.pick("级别", "level")
                ),
                None => lang.pick(n.kind.zh(), n.kind.en()).to_string(),
            },
            need: n.need.map(|id| id.to_string()),
            unread: !n.read,
        })
        .collect();
    let mut page = page;
    page.unread = 0;
    render(StatusCode::OK, &NoticesPage { page, notices })
}
