//! Prometheus metrics at `/metrics`: loopback clients, or others with the configured token.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// Counters kept in memory by this process.
#[derive(Debug, Default)]
pub struct Metrics {
    pub requests: AtomicU64,
    pub responses_4xx: AtomicU64,
    pub responses_5xx: AtomicU64,
    pub jobs_run: AtomicU64,
    pub logins_failed: AtomicU64,
}

pub async fn metrics(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let token_ok = match (
        &state.config.metrics_token,
        headers.get(header::AUTHORIZATION),
    ) {
        (Some(t), Some(v)) => {
            crate::http::session::constant_time_eq(v.as_bytes(), format!("Bearer {t}").as_bytes())
        }
        _ => false,
    };
    if !peer.ip().is_loopback() && !token_ok {
        return (
            StatusCode::FORBIDDEN,
            "metrics need a token or a loopback client\n",
        )
            .into_response();
    }
    let m = &state.metrics;
    let intake = &state.intake_stats;
    let mut outbox = String::from("# TYPE wushe_outbox_messages gauge\n");
    match state.store.outbox_counts().await {
        Ok(rows) => {
            for (channel, st, n) in rows {
                outbox.push_str(&format!(
                    "wushe_outbox_messages{{channel=\"{channel}\",state=\"{st}\"}} {n}\n"
                ));
            }
        }
        Err(e) => tracing::warn!(error = %e, "outbox counts unavailable"),
    }
    let body = format!(
        "# TYPE wushe_http_requests_total counter\nwushe_http_requests_total {}\n\
         # TYPE wushe_http_responses_4xx_total counter\nwushe_http_responses_4xx_total {}\n\
         # TYPE wushe_http_responses_5xx_total counter\nwushe_http_responses_5xx_total {}\n\
         # TYPE wushe_jobs_run_total counter\nwushe_jobs_run_total {}\n\
         # TYPE wushe_logins_failed_total counter\nwushe_logins_failed_total {}\n\
         # TYPE wushe_intake_commits_total counter\nwushe_intake_commits_total {}\n\
         # TYPE wushe_intake_rows_total counter\nwushe_intake_rows_total {}\n",
        m.requests.load(Ordering::Relaxed),
        m.responses_4xx.load(Ordering::Relaxed),
        m.responses_5xx.load(Ordering::Relaxed),
        m.jobs_run.load(Ordering::Relaxed),
        m.logins_failed.load(Ordering::Relaxed),
        intake.commits.load(Ordering::Relaxed),
        intake.rows.load(Ordering::Relaxed),
    ) + &outbox;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
