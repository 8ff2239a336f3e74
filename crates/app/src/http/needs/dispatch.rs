//! Volunteer tasks on the need page: what each one is doing (offered to whom until when,
//! in the claim pool, accepted, 无人接单, done), and the staff actions
//! (`POST /needs/{id}/dispatch`): give a task to volunteers, assign a named volunteer,
//! withdraw an offer, cancel a task.

use std::collections::HashSet;

use wushe_core::dispatch::offers::engine_kind;
use wushe_core::dispatch::record::{OfferState, TaskState};
use wushe_core::ids::TaskId;
use wushe_core::needs::record::Need;
use wushe_core::needs::timeline::TaskKind;
use wushe_core::{Actor, Error, Store};

use super::case_form::ActForm;
use super::view::shanghai_time;
use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::Choice;
use crate::http::page::Lang;

/// One volunteer task as staff see it.
pub struct DispatchView {
    pub id: String,
    pub kind: &'static str,
    pub state: &'static str,
    pub state_code: &'static str,
    /// Who is asked (and until when), or who took it.
    pub who: String,
    pub waiting: bool,
    pub offered: bool,
    pub cancellable: bool,
}

/// The need's volunteer tasks, and their ids (left out of the plain task list).
pub async fn views(
    store: &dyn Store,
    need: &Need,
    lang: Lang,
) -> Result<(Vec<DispatchView>, HashSet<TaskId>), HttpError> {
    let mut out = Vec::new();
    let mut ids = HashSet::new();
    for t in store.volunteer_tasks_of_need(need.id).await? {
        ids.insert(t.id);
        let who = match t.state {
            TaskState::Offered => {
                match store
                    .offers_of_task(t.id)
                    .await?
                    .into_iter()
                    .find(|o| o.state == OfferState::Open)
                {
                    Some(o) => format!(
                        "{} · {} {}",
                        name(store, o.volunteer).await?,
                        lang.pick("答复期限", "answer by"),
                        shanghai_time(o.expires_at, lang)
                    ),
                    None => String::new(),
                }
            }
            _ => match t.volunteer {
                Some(v) => name(store, v).await?,
                None => String::new(),
            },
        };
        out.push(DispatchView {
            id: t.id.to_string(),
            kind: lang.pick(t.kind.zh(), t.kind.en()),
            state: lang.pick(t.state.zh(), t.state.en()),
            state_code: t.state.as_str(),
            who,
            waiting: t.state.is_waiting(),
            offered: t.state == TaskState::Offered,
            cancellable: t.state.is_waiting() || t.state == TaskState::Accepted,
        });
    }
    Ok((out, ids))
}

async fn name(store: &dyn Store, u: wushe_core::ids::UserId) -> Result<String, HttpError> {
    Ok(store
        .user(u)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_else(|| u.to_string()))
}

/// The kinds of task volunteers take.
pub fn kinds(lang: Lang) -> Vec<Choice> {
    TaskKind::ALL
        .into_iter()
        .filter(|k| engine_kind(*k).is_some())
        .map(|k| Choice {
            value: k.as_str().into(),
            label: lang.pick(k.zh(), k.en()).into(),
        })
        .collect()
}

/// The volunteers who may serve where the need is (for staff to assign by name).
pub async fn volunteers(store: &dyn Store, need: &Need) -> Result<Vec<Choice>, HttpError> {
    let mut out = Vec::new();
    for c in store.dispatch_candidates(&need.region).await? {
        out.push(Choice {
            value: c.user.to_string(),
            label: name(store, c.user).await?,
        });
    }
    Ok(out)
}

/// Do one staff action on the need's volunteer tasks.
pub async fn act(s: &AppState, a: &Actor, need: &Need, f: &ActForm) -> Result<(), Error> {
    use wushe_core::volunteers::tasks;
    let d = s.dispatcher();
    let now = s.clock.now();
    let task = || -> Result<TaskId, Error> {
        f.task
            .trim()
            .parse()
            .map_err(|_| Error::invalid("task", "请从列表中选择", "Choose one from the list"))
    };
    let belongs = |t: TaskId| async move {
        match s.store.volunteer_task(t).await? {
            Some(v) if v.need == need.id => Ok(t),
            _ => Err(Error::NotFound),
        }
    };
    match f.action.as_str() {
        "dispatch" => tasks::dispatch(d, a, need.id, &f.kind, now)
            .await
            .map(|_| ()),
        "assign_volunteer" => {
            let t = belongs(task()?).await?;
            tasks::assign(d, a, t, &f.to, now).await.map(|_| ())
        }
        "withdraw" => {
            let t = belongs(task()?).await?;
            tasks::withdraw(d, a, t, now).await.map(|_| ())
        }
        "cancel_task" => {
            let t = belongs(task()?).await?;
            tasks::cancel(d, a, t, now).await.map(|_| ())
        }
        _ => Err(Error::invalid("action", "未知操作", "Unknown action")),
    }
}
