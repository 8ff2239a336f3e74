//! The audit log over HTTP: the scoped viewer (`/audit` and `GET /api/v1/audit`), and
//! [`context`], the middleware that ties each request to the log — it copies the request id
//! onto the actor (so every audit event a use-case builds names its request) and records
//! every denial the core sends back (403, or 404 for a record outside the actor's scope).

mod api;
mod html;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use wushe_core::Actor;
use wushe_core::audit::{Action, AuditEvent, Outcome, RecordKind};
use wushe_core::regions::RegionCode;

use crate::AppState;
use crate::http::error::ErrorInfo;
use crate::http::request_id::RequestId;
use crate::http::routes::Routes;

pub use api::{__path_list, AuditEntryDto, AuditPageDto, list};

pub fn router() -> Routes {
    Routes::new()
        .route("/audit", get(html::index))
        .route("/api/v1/audit", get(api::list))
}

/// Runs inside the session middleware (it needs the actor) and around everything else.
pub async fn context(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let Some(actor) = req.extensions_mut().get_mut::<Actor>().map(|a| {
        a.request_id = request_id;
        a.clone()
    }) else {
        return next.run(req).await;
    };
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    let outcome = match res.extensions().get::<ErrorInfo>().map(|i| i.code) {
        Some("forbidden") => Outcome::Forbidden,
        Some("not_found") => Outcome::NotFound,
        _ => return res,
    };
    // Unknown paths (the fallback) are no denial: nothing was there to refuse.
    let Some(route) = route else { return res };
    let ids = std::iter::once(format!("{method}:{route}")).chain(path_ids(&route, &path));
    let event = AuditEvent::new(Action::Denied, state.clock.now())
        .by(&actor)
        .outcome(outcome)
        .record(RecordKind::Route, ids);
    if let Err(e) = state.store.append_audit(&event).await {
        tracing::error!(error = %e, "could not record a denial in the audit log");
    }
    res
}

/// The values of the route's `{…}` parameters that look like ids (a UUID or an official
/// place code); anything else typed into a URL is left out of the log.
fn path_ids(route: &str, path: &str) -> Vec<String> {
    route
        .split('/')
        .zip(path.split('/'))
        .filter(|(r, _)| r.starts_with('{'))
        .map(|(_, v)| v)
        .filter(|v| looks_like_id(v))
        .map(str::to_string)
        .collect()
}

fn looks_like_id(v: &str) -> bool {
    if uuid::Uuid::try_parse(v).is_ok() {
        return true;
    }
    let digits = v.chars().take_while(char::is_ascii_digit).count();
    RegionCode::parse(v).is_ok() && matches!(digits, 2 | 4 | 6 | 9 | 12)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_id_like_path_values_are_recorded() {
        let id = "0190e0a0-0000-7000-8000-000000000001";
        assert_eq!(
            path_ids("/orgs/{id}/edit", &format!("/orgs/{id}/edit")),
            vec![id]
        );
        assert_eq!(
            path_ids("/places/{code}", "/places/310101020001G01"),
            vec!["310101020001G01"]
        );
        // A phone number, a name, or free text typed into the URL stays out.
        for v in ["13800138000", "%E5%BC%A0%E4%B8%89", "zhang", "31010102000"] {
            assert!(
                path_ids("/places/{code}", &format!("/places/{v}")).is_empty(),
                "{v}"
            );
        }
    }
}
