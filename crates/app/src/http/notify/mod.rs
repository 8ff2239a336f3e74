//! Notifications that leave wushe. Administrators: `/admin/outbox` (dead letters with their
//! error and a 重新发送 button, recent deliveries, counts), `/admin/webhooks` (register a
//! destination inside the allow-list; the secret is shown once), `/admin/sms` (短信发件箱
//! (演示): the texts demo mode wrote instead of sending). Residents: `/help/recover`, the
//! tracking-link recovery form (rate-limited like the intake, honeypot, the same answer
//! whether or not anything matched).

mod admin;
mod recover;

use axum::routing::{get, post};

use crate::http::routes::Routes;

pub fn router() -> Routes {
    Routes::new()
        .route("/admin/outbox", get(admin::outbox))
        .route("/admin/outbox/{id}/retry", post(admin::retry))
        .route(
            "/admin/webhooks",
            get(admin::webhooks).post(admin::register),
        )
        .route("/admin/webhooks/{id}/remove", post(admin::remove))
        .route("/admin/webhooks/{id}/secret", post(admin::replace_secret))
        .route("/admin/sms", get(admin::sms))
        .route("/help/recover", get(recover::form).post(recover::submit))
}

fn parse<T: std::str::FromStr>(raw: &str) -> Result<T, crate::http::error::HttpError> {
    raw.parse()
        .map_err(|_| crate::http::error::HttpError::Core(wushe_core::Error::NotFound))
}
