//! CSRF protection for every state change: a random token in a `SameSite=Strict` cookie must
//! come back in the form field `_csrf` or the `X-CSRF-Token` header (double submit).

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::http::error::HttpError;
use crate::http::session::{BearerAuth, constant_time_eq, cookie, random_token, set_cookie};

pub const COOKIE: &str = "wushe_csrf";

/// The token for forms on this page, in the request extensions.
#[derive(Clone)]
pub struct CsrfToken(pub String);

/// Largest form body read here (forms are small; uploads come later with their own limits).
const MAX_FORM: usize = 256 * 1024;

pub async fn protect(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let existing = cookie(req.headers(), COOKIE).filter(|t| t.len() >= 32);
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || req.extensions().get::<BearerAuth>().is_some()
        || cookieless_intake(&req);
    let (mut req, fresh) = match existing {
        Some(t) => {
            let mut req = req;
            req.extensions_mut().insert(CsrfToken(t));
            (req, None)
        }
        None => match random_token() {
            Ok(t) => {
                let mut req = req;
                req.extensions_mut().insert(CsrfToken(t.clone()));
                (req, Some(t))
            }
            Err(e) => return HttpError::from(e).into_response(),
        },
    };
    if !safe {
        let expected = match (&fresh, req.extensions().get::<CsrfToken>()) {
            (None, Some(t)) => t.0.clone(),
            _ => return HttpError::Csrf.into_response(),
        };
        let sent_header = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let ok = match sent_header {
            Some(h) => constant_time_eq(h.as_bytes(), expected.as_bytes()),
            None if is_form(&req) => {
                let (parts, body) = req.into_parts();
                let Ok(bytes) = to_bytes(body, MAX_FORM).await else {
                    return HttpError::BadRequest("form too large".into()).into_response();
                };
                let field = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
                    .ok()
                    .and_then(|kv| kv.into_iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v));
                req = Request::from_parts(parts, Body::from(bytes));
                field.is_some_and(|f| constant_time_eq(f.as_bytes(), expected.as_bytes()))
            }
            // The registry upload checks the `_csrf` field of its multipart body itself,
            // before it reads the file (multipart is accepted on that one route only).
            None => is_multipart(&req) && MULTIPART_ROUTES.contains(&req.uri().path()),
        };
        if !ok {
            return HttpError::Csrf.into_response();
        }
    }
    let mut res = next.run(req).await;
    if let Some(t) = fresh {
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&state, COOKIE, &t, None, "Strict"),
        );
    }
    res
}

fn is_form(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// The public intake API (`POST /api/v1/needs`) sent with no cookies at all needs no CSRF
/// token. CSRF abuses the ambient authority of a victim's cookies; a request without any
/// cookie carries none, and this endpoint acts for nobody (no session is read). A cross-site
/// page cannot make it either: an HTML form cannot send a JSON body or the required
/// `Idempotency-Key` header, and a script sending those triggers a CORS preflight that this
/// server never approves. With a cookie present (a signed-in browser), the token is required
/// as everywhere else.
/// Routes whose handler checks the `_csrf` field of a multipart body.
const MULTIPART_ROUTES: [&str; 1] = ["/people/import"];

fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"))
}

fn cookieless_intake(req: &Request) -> bool {
    *req.method() == Method::POST
        && req.uri().path() == "/api/v1/needs"
        && !req.headers().contains_key(header::COOKIE)
}
