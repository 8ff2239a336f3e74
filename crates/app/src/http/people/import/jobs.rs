//! The import jobs of this node: where each stands, and the background work (the dry run,
//! then the write) that moves it on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use uuid::Uuid;
use wushe_core::ids::UserId;
use wushe_core::people::import::{self, Checked};
use wushe_core::sheet::{self, Limits};
use wushe_core::{Actor, Error};

use crate::AppState;

/// How long a finished or abandoned job is kept.
const KEEP: time::Duration = time::Duration::minutes(30);

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Reading,
    Checking,
    Duplicates,
    Checked,
    Writing,
    Done,
    Failed,
}

impl Stage {
    pub(super) fn running(self) -> bool {
        matches!(
            self,
            Stage::Reading | Stage::Checking | Stage::Duplicates | Stage::Writing
        )
    }
}

pub(super) struct JobState {
    pub(super) stage: Stage,
    pub(super) done: usize,
    pub(super) total: usize,
    pub(super) checked: Option<Arc<Checked>>,
    pub(super) imported: usize,
    pub(super) failure: Option<(String, String)>,
    pub(super) changed: time::OffsetDateTime,
}

/// One import.
pub struct Job {
    pub(super) owner: UserId,
    pub(super) file_name: String,
    pub(super) sha256: String,
    pub(super) state: Mutex<JobState>,
}

impl Job {
    pub(super) fn set(&self, f: impl FnOnce(&mut JobState)) {
        if let Ok(mut s) = self.state.lock() {
            f(&mut s);
        }
    }

    pub(super) fn progress(&self, stage: Stage, done: usize) {
        self.set(|s| {
            s.stage = stage;
            s.done = done.min(s.total.max(done));
        });
    }
}

/// The import jobs of this node.
#[derive(Default)]
pub struct Imports {
    jobs: Mutex<HashMap<Uuid, Arc<Job>>>,
}

impl Imports {
    pub(super) fn get(&self, id: Uuid, owner: UserId) -> Option<Arc<Job>> {
        let jobs = self.jobs.lock().ok()?;
        jobs.get(&id).filter(|j| j.owner == owner).cloned()
    }

    pub(super) fn insert(
        &self,
        job: Job,
        now: time::OffsetDateTime,
    ) -> Result<(Uuid, Arc<Job>), Error> {
        let mut jobs = self.jobs.lock().map_err(|_| Error::internal("imports"))?;
        jobs.retain(|_, j| {
            j.state
                .lock()
                .map(|s| s.stage.running() || s.changed > now - KEEP)
                .unwrap_or(false)
        });
        if jobs
            .values()
            .any(|j| j.owner == job.owner && j.state.lock().is_ok_and(|s| s.stage.running()))
        {
            return Err(Error::Conflict(
                "您的上一个导入还在进行中，请等它完成 / Your previous import is still running"
                    .into(),
            ));
        }
        let id = Uuid::now_v7();
        let job = Arc::new(job);
        jobs.insert(id, job.clone());
        Ok((id, job))
    }
}

pub(super) fn fail(
    job: &Job,
    zh: impl Into<String>,
    en: impl Into<String>,
    now: time::OffsetDateTime,
) {
    job.set(|s| {
        s.stage = Stage::Failed;
        s.failure = Some((zh.into(), en.into()));
        s.changed = now;
    });
}

pub(super) async fn dry_run(s: AppState, a: Actor, job: Arc<Job>, bytes: Vec<u8>) {
    let today = import::today(s.clock.now());
    let j = job.clone();
    let actor = a.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let grid = sheet::read(&bytes, &Limits::default())?;
        drop(bytes);
        j.set(|st| {
            st.stage = Stage::Checking;
            st.total = grid.len().saturating_sub(1);
        });
        let jj = j.clone();
        Ok::<_, sheet::SheetError>(import::check_grid(&grid, &actor, today, &mut |n| {
            jj.progress(Stage::Checking, n)
        }))
    })
    .await;
    let mut checked = match checked {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return fail(&job, e.zh, e.en, s.clock.now()),
        Err(_) => {
            return fail(
                &job,
                "读取文件时出错",
                "The file could not be read",
                s.clock.now(),
            );
        }
    };
    job.set(|st| {
        st.stage = Stage::Duplicates;
        st.done = 0;
        st.total = checked.valid.len();
    });
    let j = job.clone();
    let mut progress = move |n| j.progress(Stage::Duplicates, n);
    if let Err(e) =
        import::registry_duplicates(s.store.as_ref(), &s.cipher, &a, &mut checked, &mut progress)
            .await
    {
        tracing::error!(target: "wushe::import", error = %e, "duplicate check failed");
        return fail(
            &job,
            "检查重复时出错，请重试",
            "Checking duplicates failed; try again",
            s.clock.now(),
        );
    }
    let now = s.clock.now();
    job.set(|st| {
        st.stage = Stage::Checked;
        st.done = checked.rows;
        st.total = checked.rows;
        st.checked = Some(Arc::new(checked));
        st.changed = now;
    });
    // The checked rows are personal data in the clear: not kept past the waiting time, even
    // if nobody uploads again (which is when finished jobs are swept).
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(
            KEEP.whole_seconds().unsigned_abs(),
        ))
        .await;
        job.set(|st| {
            if st.stage == Stage::Checked {
                st.checked = None;
                st.stage = Stage::Failed;
                st.failure = Some((
                    "等待确认超过 30 分钟，已作废。请重新上传".into(),
                    "Not confirmed within 30 minutes; upload the file again".into(),
                ));
            }
        });
    });
}

pub(super) async fn write(s: AppState, a: Actor, job: Arc<Job>, checked: Arc<Checked>) {
    let j = job.clone();
    let mut progress = move |n| j.progress(Stage::Writing, n);
    let r = import::commit(
        s.store.as_ref(),
        &s.cipher,
        &a,
        &checked,
        &job.sha256,
        s.clock.now(),
        &mut progress,
    )
    .await;
    let now = s.clock.now();
    match r {
        Ok(n) => {
            tracing::info!(target: "wushe::import", actor = %a.user_id, people = n, "registry import committed");
            job.set(|st| {
                st.stage = Stage::Done;
                st.imported = n;
                st.done = n;
                st.checked = None;
                st.changed = now;
            });
        }
        Err(e) => {
            tracing::error!(target: "wushe::import", error = %e, "registry import failed; nothing written");
            fail(
                &job,
                "写入时出错，没有导入任何人。请重试",
                "Saving failed; nobody was imported. Try again",
                now,
            );
        }
    }
}
