//! Configuration: defaults → optional `wushe.toml` → `WUSHE_*` environment and flags.
//! Secrets never appear in `Debug` output.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use wushe_core::needs::sla::SlaPolicy;
use wushe_core::users::rules::PasswordRules;
use wushe_store::{Backend, backend_of};

/// What to do when PostgreSQL is configured without a key file.
pub const POSTGRES_NEEDS_A_KEY: &str = "PostgreSQL needs a key file, and wushe never creates one there \
(every node must use the same key). Create it once with `wushe keys new /etc/wushe/secret.key`, \
copy it to every node (mode 0600, outside the data directory and its backups), and set \
WUSHE_SECRET_KEY_FILE (or secret_key_file in wushe.toml, or --secret-key-file) to its path";

/// Everything wushe needs to start. Passed down as a value; no globals.
#[derive(Clone)]
pub struct Config {
    pub bind: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// True when clients reach wushe over HTTPS (directly or through a TLS proxy):
    /// the session cookie is then `__Host-`-prefixed and `Secure`.
    pub https: bool,
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    /// Bearer token for `/metrics` from non-loopback clients.
    pub metrics_token: Option<String>,
    /// Public intake: requests per client address per minute (0 = no limit).
    pub intake_per_ip_per_minute: u32,
    /// Public intake: requests per second for the whole node (0 = no limit).
    pub intake_global_per_second: u32,
    /// Run the background job worker (tests drain jobs by hand instead).
    pub run_worker: bool,
    /// Demo mode: banner on every page.
    pub demo: bool,
    /// Reverse proxies whose `X-Forwarded-For` / `X-Real-IP` name the client; from anyone
    /// else those headers are ignored.
    pub trusted_proxies: Vec<IpAddr>,
    /// The key file for field encryption. Default on SQLite: `secret.key` in the data dir
    /// (created on first start); required on PostgreSQL (never created there).
    pub secret_key_file: Option<PathBuf>,
    /// MLPS (等保三级) mode: character-class password rules, 90-day rotation and a second
    /// factor for every staff account.
    pub mlps_mode: bool,
    /// The green channel's SLA intervals per priority (P1…P4).
    pub sla: SlaPolicy,
    /// A commit is on disk before anyone is told (true, the default: SQLite
    /// `synchronous=FULL`, PostgreSQL `synchronous_commit=on`). `false` (SQLite NORMAL,
    /// PostgreSQL `synchronous_commit=off`) only to measure what durability costs: a power cut
    /// may lose the last commits.
    pub durable_commits: bool,
    /// Welfare checks: days between checks per care level (default A 1, B 3, C 7).
    pub check_days: [i64; 3],
    /// Closed registry records are purged this many days after closing (default 3 years).
    pub people_retention_days: i64,
    /// How long a volunteer has to answer a task offer before it goes to the next candidate
    /// (default 300 seconds; 30 to 3600).
    pub dispatch_offer_seconds: i64,
    /// Notifications that leave wushe: the public address for links in texts, the webhook
    /// allow-list, the SMS gateway, retries and caps.
    pub notify: crate::notify::NotifyConfig,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url))
            .field("https", &self.https)
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("session_absolute_hours", &self.session_absolute_hours)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "[redacted]"),
            )
            .field("demo", &self.demo)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("key_file", &self.secret_key_file)
            .field("mlps_mode", &self.mlps_mode)
            .field("sla", &self.sla)
            .field("check_days", &self.check_days)
            .field("people_retention_days", &self.people_retention_days)
            .field("dispatch_offer_seconds", &self.dispatch_offer_seconds)
            .field("notify", &self.notify)
            .finish()
    }
}

/// Hide the password in a database URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:[redacted]{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Values that may come from `wushe.toml`, the environment or flags (later ones win).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    pub bind: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub https: Option<bool>,
    pub session_idle_minutes: Option<i64>,
    pub session_absolute_hours: Option<i64>,
    pub metrics_token: Option<String>,
    pub intake_per_ip_per_minute: Option<u32>,
    pub intake_global_per_second: Option<u32>,
    pub trusted_proxies: Option<Vec<String>>,
    pub secret_key_file: Option<PathBuf>,
    pub mlps_mode: Option<bool>,
    /// First-response minutes for P1, P2, P3, P4 (wushe.toml only).
    pub sla_first_response_minutes: Option<[i64; 4]>,
    /// Resolution minutes for P1, P2, P3, P4 (wushe.toml only).
    pub sla_resolution_minutes: Option<[i64; 4]>,
    /// Benchmarks only (wushe.toml only).
    pub durable_commits: Option<bool>,
    pub check_days_a: Option<i64>,
    pub check_days_b: Option<i64>,
    pub check_days_c: Option<i64>,
    pub people_retention_days: Option<i64>,
    pub dispatch_offer_seconds: Option<i64>,
    /// The address residents reach wushe at, for links in texts (wushe.toml only).
    pub public_url: Option<String>,
    /// Origins webhooks may be sent to, e.g. `["https://hook.example.org"]` (wushe.toml only).
    pub webhook_allow: Option<Vec<String>>,
    /// Internal addresses webhooks may still go to, each exactly, e.g. `["10.0.0.5"]`
    /// (wushe.toml only).
    pub webhook_allow_private: Option<Vec<String>>,
    /// `[sms]`: mode = "off" | "demo" | "http", url, key, sender (wushe.toml only).
    pub sms: Option<crate::notify::SmsOverrides>,
}

impl Overrides {
    fn apply(self, over: Overrides) -> Overrides {
        Overrides {
            bind: over.bind.or(self.bind),
            data_dir: over.data_dir.or(self.data_dir),
            database_url: over.database_url.or(self.database_url),
            https: over.https.or(self.https),
            session_idle_minutes: over.session_idle_minutes.or(self.session_idle_minutes),
            session_absolute_hours: over.session_absolute_hours.or(self.session_absolute_hours),
            metrics_token: over.metrics_token.or(self.metrics_token),
            intake_per_ip_per_minute: over
                .intake_per_ip_per_minute
                .or(self.intake_per_ip_per_minute),
            intake_global_per_second: over
                .intake_global_per_second
                .or(self.intake_global_per_second),
            trusted_proxies: over.trusted_proxies.or(self.trusted_proxies),
            secret_key_file: over.secret_key_file.or(self.secret_key_file),
            mlps_mode: over.mlps_mode.or(self.mlps_mode),
            sla_first_response_minutes: over
                .sla_first_response_minutes
                .or(self.sla_first_response_minutes),
            sla_resolution_minutes: over.sla_resolution_minutes.or(self.sla_resolution_minutes),
            durable_commits: over.durable_commits.or(self.durable_commits),
            check_days_a: over.check_days_a.or(self.check_days_a),
            check_days_b: over.check_days_b.or(self.check_days_b),
            check_days_c: over.check_days_c.or(self.check_days_c),
            people_retention_days: over.people_retention_days.or(self.people_retention_days),
            dispatch_offer_seconds: over.dispatch_offer_seconds.or(self.dispatch_offer_seconds),
            public_url: over.public_url.or(self.public_url),
            webhook_allow: over.webhook_allow.or(self.webhook_allow),
            webhook_allow_private: over.webhook_allow_private.or(self.webhook_allow_private),
            sms: over.sms.or(self.sms),
        }
    }
}

/// A configuration problem: printed and the process exits with code 2.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Config {
    /// The key file: the configured one, or `secret.key` in the data directory.
    pub fn key_file(&self) -> PathBuf {
        self.secret_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("secret.key"))
    }

    /// Build the configuration. `file` is read if it exists; `cli` holds environment and flags.
    /// Nothing is created on disk here.
    pub fn load(file: &Path, cli: Overrides, demo: bool) -> Result<Config, ConfigError> {
        let from_file = match std::fs::read_to_string(file) {
            Ok(text) => toml::from_str::<Overrides>(&text)
                .map_err(|e| ConfigError(format!("{}: {e}", file.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Overrides::default(),
            Err(e) => return Err(ConfigError(format!("cannot read {}: {e}", file.display()))),
        };
        let o = from_file.apply(cli);
        let data_dir = o.data_dir.unwrap_or_else(|| PathBuf::from("data"));
        let default_db = if demo { "demo.db" } else { "wushe.db" };
        let database_url = match (demo, o.database_url) {
            (false, Some(url)) => url,
            _ => format!("sqlite://{}", data_dir.join(default_db).display()),
        };
        let backend = backend_of(&database_url).map_err(ConfigError)?;
        if backend == Backend::Postgres && o.secret_key_file.is_none() {
            return Err(ConfigError(POSTGRES_NEEDS_A_KEY.into()));
        }
        let trusted_proxies = parse_proxies(o.trusted_proxies.unwrap_or_default())?;
        let sla = sla_policy(o.sla_first_response_minutes, o.sla_resolution_minutes)?;
        let bind = o.bind.unwrap_or_else(|| "127.0.0.1:8080".into());
        let notify = crate::notify::NotifyConfig::load(
            o.public_url,
            &bind,
            o.webhook_allow,
            o.webhook_allow_private,
            o.sms,
            demo,
        )
        .map_err(ConfigError)?;
        let cfg = Config {
            bind,
            data_dir,
            database_url,
            https: o.https.unwrap_or(false),
            session_idle_minutes: o.session_idle_minutes.unwrap_or(30),
            session_absolute_hours: o.session_absolute_hours.unwrap_or(12),
            metrics_token: o.metrics_token.filter(|t| !t.is_empty()),
            intake_per_ip_per_minute: o.intake_per_ip_per_minute.unwrap_or(20),
            intake_global_per_second: o.intake_global_per_second.unwrap_or(200),
            run_worker: true,
            demo,
            trusted_proxies,
            secret_key_file: o.secret_key_file,
            mlps_mode: o.mlps_mode.unwrap_or(false),
            sla,
            durable_commits: o.durable_commits.unwrap_or(true),
            check_days: [
                o.check_days_a.unwrap_or(1),
                o.check_days_b.unwrap_or(3),
                o.check_days_c.unwrap_or(7),
            ],
            people_retention_days: o.people_retention_days.unwrap_or(3 * 365),
            dispatch_offer_seconds: o.dispatch_offer_seconds.unwrap_or(300),
            notify,
        };
        if !wushe_core::dispatch::offers::OFFER_SECONDS.contains(&cfg.dispatch_offer_seconds) {
            return Err(ConfigError(
                "dispatch_offer_seconds must be between 30 and 3600".into(),
            ));
        }
        if cfg.check_days.iter().any(|d| !(1..=90).contains(d)) {
            return Err(ConfigError(
                "check_days_a/b/c must be between 1 and 90 days".into(),
            ));
        }
        if cfg.people_retention_days < 1 {
            return Err(ConfigError(
                "people_retention_days must be at least 1".into(),
            ));
        }
        if cfg.session_idle_minutes < 1 || cfg.session_absolute_hours < 1 {
            return Err(ConfigError("session timeouts must be at least 1".into()));
        }
        Ok(cfg)
    }

    /// The welfare-check cadence per care level.
    pub fn cadence(&self) -> wushe_core::people::Cadence {
        let [a, b, c] = self.check_days;
        wushe_core::people::Cadence {
            a: time::Duration::days(a),
            b: time::Duration::days(b),
            c: time::Duration::days(c),
        }
    }

    /// The password rules of this deployment.
    pub fn password_rules(&self) -> PasswordRules {
        PasswordRules {
            mlps: self.mlps_mode,
        }
    }
}

/// SLA intervals from minutes per priority; each must be positive and each first response
/// shorter than its resolution.
fn sla_policy(
    first: Option<[i64; 4]>,
    resolution: Option<[i64; 4]>,
) -> Result<SlaPolicy, ConfigError> {
    let default = SlaPolicy::default();
    let minutes = |d: [time::Duration; 4]| d.map(|x| x.whole_minutes());
    let first = first.unwrap_or(minutes(default.first_response));
    let resolution = resolution.unwrap_or(minutes(default.resolution));
    for (i, (f, r)) in first.iter().zip(&resolution).enumerate() {
        if *f < 1 || *r <= *f {
            return Err(ConfigError(format!(
                "sla: P{} needs a first response of at least 1 minute and a longer resolution (got {f} and {r} minutes)",
                i + 1
            )));
        }
    }
    Ok(SlaPolicy {
        first_response: first.map(time::Duration::minutes),
        resolution: resolution.map(time::Duration::minutes),
    })
}

/// Trusted proxy addresses: plain IPs (empty entries from a trailing comma are skipped).
fn parse_proxies(raw: Vec<String>) -> Result<Vec<IpAddr>, ConfigError> {
    raw.iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse().map_err(|_| {
                ConfigError(format!(
                    "trusted_proxies: '{s}' is not an IP address (list proxies as plain IPs, e.g. 10.0.0.5)"
                ))
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
