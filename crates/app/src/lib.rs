//! wushe-app: configuration, HTTP, jobs, templates and the `wushe` binary.
//!
//! [`App::build`] opens the store, binds the listener (port 0 in tests) and assembles the
//! router; [`App::run_until_stopped`] serves until Ctrl-C or SIGTERM, draining in-flight requests.

pub mod checkpoints;
pub mod cli;
pub mod config;
pub mod demo;
pub mod demo_needs;
pub mod demo_people;
pub mod http;
pub mod jobs;
pub mod keys;
pub mod notify;
pub mod regions_file;
pub mod reveal_log;
pub mod sheets;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use wushe_core::crypto::Cipher;
use wushe_core::needs::sla::SlaPolicy;
use wushe_core::needs::work::Desk;
use wushe_core::reveal::RevealLog;
use wushe_core::users::SessionPolicy;
use wushe_core::{Clock, Store, SystemClock};
use wushe_store::{IntakeStats, Live, SqlStore};

use crate::config::Config;

/// Errors that end a command.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Shared state of the running application: one allocation, so the many clones a request
/// makes (each middleware layer and extractor takes one) cost a single reference count.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct Shared {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    pub sessions: SessionPolicy,
    /// At most two password hashes are computed at once, so a login flood cannot starve the server.
    pub hashing: Arc<Semaphore>,
    pub metrics: Arc<http::metrics::Metrics>,
    /// Rate limits of the public intake.
    pub intake_limit: Arc<http::intake_limit::IntakeLimiter>,
    /// Rate limits of the safety check while a resident types (six times the intake's).
    pub advice_limit: Arc<http::intake_limit::IntakeLimiter>,
    /// The field cipher: use-cases that read or write sealed values get it passed explicitly.
    pub cipher: Arc<Cipher>,
    /// Where reveals of full sensitive values are recorded (the audit log, once merged).
    pub reveal_log: Arc<dyn RevealLog>,
    /// SLA intervals of the green channel.
    pub sla: Arc<SlaPolicy>,
    /// Signals of changed needs, for live pages.
    pub live: Live,
    /// Commits and rows of the intake's group commit (rows per commit, in `/metrics`).
    pub intake_stats: Arc<IntakeStats>,
    /// The client for outbound notifications (SMS gateway, webhooks).
    pub outbound: reqwest::Client,
    /// Rate limits of the public tracking-link recovery form (the intake's).
    pub recover_limit: Arc<http::intake_limit::IntakeLimiter>,
    /// Rate limits of asking for a one-time code (sign-up and login; the intake's).
    pub code_limit: Arc<http::intake_limit::IntakeLimiter>,
    /// Registry imports running or waiting for confirmation on this node.
    pub imports: Arc<http::people::import::Imports>,
}

impl AppState {
    /// What the green channel's use-cases need.
    pub fn desk(&self) -> Desk<'_> {
        Desk {
            store: self.store.as_ref(),
            cipher: self.cipher.as_ref(),
            sla: self.sla.as_ref(),
        }
    }

    /// What the volunteer-task use-cases need.
    pub fn dispatcher(&self) -> wushe_core::volunteers::tasks::Dispatcher<'_> {
        wushe_core::volunteers::tasks::Dispatcher {
            store: self.store.as_ref(),
            cipher: self.cipher.as_ref(),
            offer_seconds: self.config.dispatch_offer_seconds,
        }
    }
}

/// A built application: a bound listener and its state.
pub struct App {
    listener: TcpListener,
    state: AppState,
    sql: SqlStore,
}

/// Log to stderr; `RUST_LOG` filters (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Create the data directory and open (and migrate) the configured database.
pub async fn open_store(config: &Config) -> Result<SqlStore, BoxError> {
    if config.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            format!(
                "cannot create data directory {}: {e}",
                config.data_dir.display()
            )
        })?;
    }
    Ok(SqlStore::open(&config.database_url, config.durable_commits).await?)
}

impl App {
    /// Open the store and bind the listener, with the real clock.
    pub async fn build(config: Config) -> Result<App, BoxError> {
        App::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Open the store and bind the listener with a given clock (tests use a `TestClock`).
    pub async fn build_with_clock(config: Config, clock: Arc<dyn Clock>) -> Result<App, BoxError> {
        let (sql, cipher) = keys::open_with_keys(&config).await?;
        let listener = TcpListener::bind(&config.bind)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
        let sessions = SessionPolicy {
            idle: time::Duration::minutes(config.session_idle_minutes),
            absolute: time::Duration::hours(config.session_absolute_hours),
        };
        let intake_limit = Arc::new(http::intake_limit::IntakeLimiter::new(
            config.intake_per_ip_per_minute,
            config.intake_global_per_second,
        ));
        let sla = config.sla;
        let advice_limit = Arc::new(http::intake_limit::IntakeLimiter::new(
            config.intake_per_ip_per_minute.saturating_mul(6),
            config.intake_global_per_second.saturating_mul(6),
        ));
        let outbound = notify::outbound_client(&config.notify)
            .map_err(|e| format!("cannot build the outbound HTTP client: {e}"))?;
        let recover_limit = Arc::new(http::intake_limit::IntakeLimiter::new(
            config.intake_per_ip_per_minute,
            config.intake_global_per_second,
        ));
        let code_limit = Arc::new(http::intake_limit::IntakeLimiter::new(
            config.intake_per_ip_per_minute,
            config.intake_global_per_second,
        ));
        let state = AppState(Arc::new(Shared {
            outbound,
            recover_limit,
            code_limit,
            intake_limit,
            advice_limit,
            store: Arc::new(sql.clone()),
            clock,
            config: Arc::new(config),
            sessions,
            hashing: Arc::new(Semaphore::new(2)),
            metrics: Arc::new(http::metrics::Metrics::default()),
            cipher,
            reveal_log: Arc::new(reveal_log::AuditRevealLog(Arc::new(sql.clone()))),
            sla: Arc::new(sla),
            live: sql.live(),
            intake_stats: sql.intake_stats(),
            imports: Arc::default(),
        }));
        Ok(App {
            listener,
            state,
            sql,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serve until Ctrl-C or SIGTERM; in-flight requests finish before the store closes.
    pub async fn run_until_stopped(self) -> Result<(), BoxError> {
        self.run_until(shutdown_signal()).await
    }

    /// Serve until `stop` completes.
    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), BoxError> {
        let addr = self.local_addr();
        tracing::info!(%addr, backend = ?self.sql.backend(), "wushe listening");
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let worker = if self.state.config.run_worker {
            Some(tokio::spawn(jobs::run_worker(self.state.clone(), stop_rx)))
        } else {
            None
        };
        let router = http::router(self.state.clone());
        axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stop)
        .await?;
        let _ = stop_tx.send(true);
        if let Some(w) = worker {
            let _ = w.await;
        }
        self.sql.close().await;
        tracing::info!("wushe stopped");
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
