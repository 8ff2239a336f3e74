//! HTTP errors: `wushe_core::Error` and request problems become a status plus an
//! [`ErrorInfo`]; one middleware renders it as JSON `{error, message, fields}` under `/api`
//! or as a friendly HTML page elsewhere. 5xx causes are logged once, never shown.

use askama::Template;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;
use wushe_core::{Error, FieldError};

use crate::http::page::Lang;

/// Everything that can go wrong in a handler.
#[derive(Debug)]
pub enum HttpError {
    Core(Error),
    /// No valid session or token.
    Unauthenticated,
    /// The CSRF token is missing or wrong.
    Csrf,
    /// Malformed request (bad JSON, bad path id).
    BadRequest(String),
    /// Over a rate limit: try again after this many seconds.
    TooManyRequests(u64),
}

impl From<Error> for HttpError {
    fn from(e: Error) -> Self {
        HttpError::Core(e)
    }
}

impl From<askama::Error> for HttpError {
    fn from(e: askama::Error) -> Self {
        HttpError::Core(Error::internal(e))
    }
}

/// What the renderer needs, carried as a response extension.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub status: StatusCode,
    pub code: &'static str,
    pub zh: String,
    pub en: String,
    pub fields: Vec<FieldError>,
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let info = match self {
            HttpError::Core(Error::NotFound) => info(
                StatusCode::NOT_FOUND,
                "not_found",
                "找不到这个页面或记录",
                "Not found",
            ),
            HttpError::Core(Error::Forbidden) => info(
                StatusCode::FORBIDDEN,
                "forbidden",
                "您没有权限做这件事",
                "You are not allowed to do this",
            ),
            HttpError::Core(Error::Conflict(what)) => {
                let (zh, en) = if what.contains("changed") {
                    (
                        "记录已被他人修改，请刷新后再试",
                        "Someone changed this meanwhile; reload and try again",
                    )
                } else {
                    (
                        "记录已存在或与当前状态冲突",
                        "This conflicts with an existing record",
                    )
                };
                info(StatusCode::CONFLICT, "conflict", zh, en)
            }
            HttpError::Core(Error::Invalid(fields)) => ErrorInfo {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid",
                zh: "请修改标出的内容".into(),
                en: "Please correct the marked fields".into(),
                fields: fields.0,
            },
            HttpError::Core(Error::Tampered(field)) => {
                tracing::error!(%field, "sealed value failed its integrity check: possible tampering");
                info(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "tampered",
                    "这条记录未通过完整性校验，可能已被篡改；已记录，请联系系统管理员",
                    "This record failed its integrity check and may have been tampered with; it was logged, contact your administrator",
                )
            }
            HttpError::Core(Error::Internal(cause)) => {
                tracing::error!(%cause, "internal error");
                info(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "系统出错了，请稍后再试",
                    "Something went wrong; please try again",
                )
            }
            HttpError::Unauthenticated => info(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "请先登录",
                "Please log in",
            ),
            HttpError::Csrf => info(
                StatusCode::FORBIDDEN,
                "csrf",
                "页面已过期，请刷新后重试",
                "This page expired; reload and try again",
            ),
            HttpError::BadRequest(why) => ErrorInfo {
                status: StatusCode::BAD_REQUEST,
                code: "bad_request",
                zh: "请求格式不正确".into(),
                en: format!("Bad request: {why}"),
                fields: Vec::new(),
            },
            HttpError::Core(Error::Busy(secs)) => {
                let mut res = StatusCode::SERVICE_UNAVAILABLE.into_response();
                res.headers_mut().insert(header::RETRY_AFTER, secs.into());
                res.extensions_mut().insert(info(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "现在提交的人太多，请过几秒再试一次；情况危急请直接拨打120",
                    "Too many people are sending right now; try again in a few seconds. In an emergency call 120",
                ));
                return res;
            }
            HttpError::TooManyRequests(secs) => {
                let mut res = StatusCode::TOO_MANY_REQUESTS.into_response();
                res.headers_mut().insert(header::RETRY_AFTER, secs.into());
                res.extensions_mut().insert(info(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_requests",
                    "提交太频繁，请稍等一会儿再试；情况危急请直接拨打120",
                    "Too many requests; wait a moment and try again. In an emergency call 120",
                ));
                return res;
            }
        };
        let mut res = info.status.into_response();
        res.extensions_mut().insert(info);
        res
    }
}

fn info(status: StatusCode, code: &'static str, zh: &str, en: &str) -> ErrorInfo {
    ErrorInfo {
        status,
        code,
        zh: zh.into(),
        en: en.into(),
        fields: Vec::new(),
    }
}

#[derive(Serialize)]
struct JsonError<'a> {
    error: &'a str,
    message: &'a str,
    fields: Vec<JsonField<'a>>,
}

#[derive(Serialize)]
struct JsonField<'a> {
    field: &'a str,
    message: &'a str,
    message_zh: &'a str,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    lang: Lang,
    status: u16,
    message: &'a str,
}

impl ErrorPage<'_> {
    fn t<'s>(&self, zh: &'s str, en: &'s str) -> &'s str {
        self.lang.pick(zh, en)
    }
}

/// Render errors raised by handlers, extractors and inner middleware.
pub async fn render_errors(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let lang = Lang::from_headers(req.headers());
    let res = next.run(req).await;
    let Some(info) = res.extensions().get::<ErrorInfo>().cloned() else {
        return res;
    };
    let retry_after = res.headers().get(header::RETRY_AFTER).cloned();
    let mut rendered = render_error(info, api, lang, &path_and_query);
    if let Some(v) = retry_after {
        rendered.headers_mut().insert(header::RETRY_AFTER, v);
    }
    rendered
}

/// The error as JSON under `/api/`, a redirect to the login page for 401, or an HTML page.
fn render_error(info: ErrorInfo, api: bool, lang: Lang, path_and_query: &str) -> Response {
    if api {
        let message = lang.pick(&info.zh, &info.en);
        let fields = info
            .fields
            .iter()
            .map(|f| JsonField {
                field: f.field,
                message: lang.pick(&f.zh, &f.en),
                message_zh: &f.zh,
            })
            .collect();
        let body = serde_json::to_string(&JsonError {
            error: info.code,
            message,
            fields,
        })
        .unwrap_or_default();
        return (
            info.status,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
    }
    if info.status == StatusCode::UNAUTHORIZED {
        let next = url_encode(path_and_query);
        return Redirect::to(&format!("/login?next={next}")).into_response();
    }
    let page = ErrorPage {
        lang,
        status: info.status.as_u16(),
        message: lang.pick(&info.zh, &info.en),
    };
    match page.render() {
        Ok(html) => (info.status, Html(html)).into_response(),
        Err(_) => (info.status, info.en).into_response(),
    }
}

/// Percent-encode a value for a query string.
pub fn url_encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|v| v.trim_start_matches('=').to_string())
        .unwrap_or_default()
}
