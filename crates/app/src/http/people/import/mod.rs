//! Registry import pages: the template, the upload, a dry run and the commit, both run as
//! background tasks whose progress the page shows live (static/import.js polls the status;
//! without JavaScript the page has a refresh link).
//!
//! A job lives in this node's memory (with several nodes, DEPLOY.md routes one session's
//! import pages to one node), belongs to the person who uploaded the file (anyone else gets
//! "not found") and is forgotten 30 minutes after it last changed. The parsed rows
//! it holds are personal data in the clear: they never leave memory and are dropped with the
//! job.

mod jobs;

pub use jobs::Imports;
use jobs::{Job, JobState, Stage, dry_run, write};

use std::sync::{Arc, Mutex};

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use wushe_core::people::import::RowIssue;
use wushe_core::sheet::Limits;
use wushe_core::{Actor, Error, Permission};

use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{render, see_other};
use crate::http::page::{Lang, Page};
use crate::http::session::{CurrentActor, constant_time_eq};

/// The biggest upload the import route reads.
pub const MAX_UPLOAD: usize = 10 * 1024 * 1024;

#[derive(Template)]
#[template(path = "people/import.html")]
struct UploadPage {
    page: Page,
    error: String,
    max_mb: usize,
    max_rows: usize,
}

fn need_import(a: &Actor) -> Result<(), HttpError> {
    a.require(Permission::ImportPeople)?;
    Ok(())
}

/// The upload page.
pub async fn upload_form(CurrentActor(a): CurrentActor, page: Page) -> Result<Response, HttpError> {
    need_import(&a)?;
    upload_page(page, String::new(), StatusCode::OK)
}

fn upload_page(page: Page, error: String, status: StatusCode) -> Result<Response, HttpError> {
    let l = Limits::default();
    render(
        status,
        &UploadPage {
            page,
            error,
            max_mb: MAX_UPLOAD / 1024 / 1024,
            max_rows: l.max_rows,
        },
    )
}

/// The template as XLSX.
pub async fn template(CurrentActor(a): CurrentActor) -> Result<Response, HttpError> {
    need_import(&a)?;
    let bytes = crate::sheets::template_xlsx().map_err(Error::internal)?;
    Ok(xlsx_response(bytes, "registry-template.xlsx"))
}

pub(crate) fn xlsx_response(bytes: Vec<u8>, name: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// The upload: a multipart form with `_csrf` first, then `file`. The CSRF middleware lets
/// multipart bodies through to this route only; the token is checked here, before the file
/// is read.
pub async fn upload(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    mut mp: Multipart,
) -> Result<Response, HttpError> {
    need_import(&a)?;
    let mut csrf_ok = false;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(mut field) = mp
        .next_field()
        .await
        .map_err(|_| HttpError::BadRequest("bad upload".into()))?
    {
        match field.name() {
            Some("_csrf") => {
                let v = field.text().await.unwrap_or_default();
                csrf_ok = constant_time_eq(v.as_bytes(), page.csrf.as_bytes());
            }
            Some("file") if csrf_ok => {
                let name = field.file_name().unwrap_or("").chars().take(100).collect();
                let mut bytes = Vec::new();
                loop {
                    let chunk = match field.chunk().await {
                        Ok(Some(c)) => c,
                        Ok(None) => break,
                        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                            return too_large(page);
                        }
                        Err(_) => return Err(HttpError::BadRequest("bad upload".into())),
                    };
                    if bytes.len() + chunk.len() > MAX_UPLOAD {
                        return too_large(page);
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(HttpError::Csrf);
    }
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let m = page
            .t("请选择要上传的文件", "Choose a file to upload")
            .to_string();
        return upload_page(page, m, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let now = s.clock.now();
    let job = Job {
        owner: a.user_id,
        file_name,
        sha256: hex::encode(Sha256::digest(&bytes)),
        state: Mutex::new(JobState {
            stage: Stage::Reading,
            done: 0,
            total: 0,
            checked: None,
            imported: 0,
            failure: None,
            changed: now,
        }),
    };
    let (id, job) = match s.imports.insert(job, now) {
        Ok(v) => v,
        Err(Error::Conflict(m)) => return upload_page(page, m, StatusCode::CONFLICT),
        Err(e) => return Err(e.into()),
    };
    tokio::spawn(dry_run(s.clone(), a, job, bytes));
    Ok(see_other(&format!("/people/import/{id}")))
}

fn too_large(page: Page) -> Result<Response, HttpError> {
    let m = page
        .t(
            "文件太大：最多 10 MB。请分成几个文件导入",
            "The file is too large: at most 10 MB. Split it into several files",
        )
        .to_string();
    upload_page(page, m, StatusCode::PAYLOAD_TOO_LARGE)
}

/// What the status poll answers.
#[derive(Serialize)]
pub struct Status {
    stage: Stage,
    done: usize,
    total: usize,
    running: bool,
    label: String,
}

fn stage_label(lang: Lang, stage: Stage) -> &'static str {
    match stage {
        Stage::Reading => lang.pick("正在读取文件…", "Reading the file…"),
        Stage::Checking => lang.pick("正在逐行检查…", "Checking every row…"),
        Stage::Duplicates => lang.pick(
            "正在查找登记册中的重复…",
            "Looking for duplicates in the registry…",
        ),
        Stage::Checked => lang.pick("检查完成", "Check finished"),
        Stage::Writing => lang.pick("正在加密并写入…", "Sealing and saving…"),
        Stage::Done => lang.pick("导入完成", "Import finished"),
        Stage::Failed => lang.pick("未能完成", "Could not finish"),
    }
}

fn job_of(s: &AppState, a: &Actor, id: &str) -> Result<Arc<Job>, HttpError> {
    let id: Uuid = id.parse().map_err(|_| Error::NotFound)?;
    s.imports
        .get(id, a.user_id)
        .ok_or_else(|| Error::NotFound.into())
}

/// The progress as JSON, for the page's script.
pub async fn status(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    need_import(&a)?;
    let job = job_of(&s, &a, &id)?;
    let st = job.state.lock().map_err(|_| Error::internal("job"))?;
    let body = Status {
        stage: st.stage,
        done: st.done,
        total: st.total,
        running: st.stage.running(),
        label: stage_label(page.lang, st.stage).to_string(),
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response())
}

/// One problem as shown.
pub struct IssueView {
    pub row: usize,
    pub column: String,
    pub message: String,
}

fn issue_views(lang: Lang, v: &[RowIssue], max: usize) -> Vec<IssueView> {
    v.iter()
        .take(max)
        .map(|i| IssueView {
            row: i.row,
            column: lang.pick(i.column_zh, i.column_en).to_string(),
            message: match lang {
                Lang::Zh => format!("{}（{}）", i.zh, i.en),
                Lang::En => format!("{} ({})", i.en, i.zh),
            },
        })
        .collect()
}

/// Problems shown on the page; the rest are in the downloadable report.
const SHOWN: usize = 2_000;

#[derive(Template)]
#[template(path = "people/import_job.html")]
struct JobPage {
    page: Page,
    id: String,
    file_name: String,
    running: bool,
    failed: bool,
    finished: bool,
    checked: bool,
    label: String,
    done: usize,
    total: usize,
    rows: usize,
    valid: usize,
    error_rows: usize,
    errors: Vec<IssueView>,
    errors_total: usize,
    warnings: Vec<IssueView>,
    warnings_total: usize,
    importable: bool,
    imported: usize,
    failure: String,
    confirm_error: String,
}

fn job_page(
    page: Page,
    id: &str,
    job: &Job,
    confirm_error: String,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let st = job.state.lock().map_err(|_| Error::internal("job"))?;
    let lang = page.lang;
    let c = st.checked.clone();
    let (errors, warnings) = match &c {
        Some(c) => (
            issue_views(lang, &c.errors, SHOWN),
            issue_views(lang, &c.warnings, SHOWN),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let mut error_rows: Vec<usize> = c
        .as_ref()
        .map(|c| c.errors.iter().map(|e| e.row).collect())
        .unwrap_or_default();
    error_rows.dedup();
    let p = JobPage {
        id: id.to_string(),
        file_name: job.file_name.clone(),
        running: st.stage.running(),
        failed: st.stage == Stage::Failed,
        finished: st.stage == Stage::Done,
        checked: st.stage == Stage::Checked,
        label: stage_label(lang, st.stage).to_string(),
        done: st.done,
        total: st.total,
        rows: c.as_ref().map(|c| c.rows).unwrap_or(0),
        valid: c.as_ref().map(|c| c.valid.len()).unwrap_or(0),
        error_rows: error_rows.len(),
        errors_total: c.as_ref().map(|c| c.errors.len()).unwrap_or(0),
        warnings_total: c.as_ref().map(|c| c.warnings.len()).unwrap_or(0),
        importable: c.as_ref().is_some_and(|c| c.importable()),
        errors,
        warnings,
        imported: st.imported,
        failure: st
            .failure
            .as_ref()
            .map(|(zh, en)| lang.pick(zh, en).to_string())
            .unwrap_or_default(),
        confirm_error,
        page,
    };
    drop(st);
    render(status, &p)
}

/// The job page: progress while running, then the dry run's report, then the result.
pub async fn show(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    need_import(&a)?;
    match job_of(&s, &a, &id) {
        Ok(job) => job_page(page, &id, &job, String::new(), StatusCode::OK),
        Err(_) => gone(page),
    }
}

/// A job this node does not hold (idle too long, lost with a restart, or someone else's): the
/// upload page, saying what to do.
fn gone(page: Page) -> Result<Response, HttpError> {
    let m = page
        .t(
            "找不到这个导入：30 分钟没有操作，或服务已重启。请重新上传文件",
            "This import is no longer here: nothing happened for 30 minutes, or the server restarted. Upload the file again",
        )
        .to_string();
    upload_page(page, m, StatusCode::NOT_FOUND)
}

/// Every problem of the dry run as CSV (UTF-8 with BOM), for files with many.
pub async fn report_csv(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    need_import(&a)?;
    let job = job_of(&s, &a, &id)?;
    let checked = job
        .state
        .lock()
        .map_err(|_| Error::internal("job"))?
        .checked
        .clone()
        .ok_or(Error::NotFound)?;
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let safe = wushe_core::sheet::safe_cell;
    let _ = w.write_record(["行 Row", "列 Column", "类型 Kind", "问题", "Problem"]);
    for (kind, list) in [
        ("错误 error", &checked.errors),
        ("提醒 warning", &checked.warnings),
    ] {
        for i in list.iter() {
            let _ = w.write_record([
                i.row.to_string(),
                safe(&format!("{} {}", i.column_zh, i.column_en)),
                kind.to_string(),
                safe(&i.zh),
                safe(&i.en),
            ]);
        }
    }
    let bytes = w.into_inner().map_err(Error::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"import-report.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    duplicates_checked: String,
}

/// Commit a checked file (all or nothing), in the background.
pub async fn commit(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, HttpError> {
    need_import(&a)?;
    let job = job_of(&s, &a, &id)?;
    let checked = {
        let st = job.state.lock().map_err(|_| Error::internal("job"))?;
        match (&st.stage, &st.checked) {
            (Stage::Checked, Some(c)) if c.importable() => c.clone(),
            _ => return Err(Error::Conflict("not ready to import".into()).into()),
        }
    };
    if !checked.warnings.is_empty() && f.duplicates_checked != "on" {
        let m = page
            .t(
                "请先核对上面的重复提醒，并勾选“已核对”",
                "Check the duplicate warnings above first and tick the box",
            )
            .to_string();
        return job_page(page, &id, &job, m, StatusCode::UNPROCESSABLE_ENTITY);
    }
    job.set(|st| {
        st.stage = Stage::Writing;
        st.done = 0;
        st.total = checked.valid.len();
    });
    tokio::spawn(write(s.clone(), a, job, checked));
    Ok(see_other(&format!("/people/import/{id}")))
}
