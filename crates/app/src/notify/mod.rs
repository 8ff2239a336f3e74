//! Delivery of the outbox: the configuration (public address for links, webhook allow-list,
//! SMS gateway, retries, caps), the outbound HTTP client (rustls over ring, no redirects, short
//! timeouts, no proxies from the environment) and the delivery pass the worker runs every
//! second. Tests call [`deliver`].

mod deliver;
mod sms;
mod webhook;

use std::net::IpAddr;
use std::time::Duration;

use serde::Deserialize;
use wushe_core::notify::RetryPolicy;
use wushe_core::notify::sms::Caps;

pub use deliver::{deliver, deliver_row};
pub use sms::SmsRequest;

/// How texts leave wushe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsMode {
    /// No texts (rows are recorded as not sent).
    Off,
    /// Texts are written to the 短信发件箱 (演示) page, never sent.
    Demo,
    /// Texts are posted to an HTTP gateway.
    Http,
}

/// `[sms]` in wushe.toml.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsOverrides {
    pub mode: Option<String>,
    pub url: Option<String>,
    pub key: Option<String>,
    pub sender: Option<String>,
    pub per_phone_hour: Option<i64>,
    pub per_phone_day: Option<i64>,
    pub per_ip_hour: Option<i64>,
}

/// The SMS gateway.
#[derive(Clone)]
pub struct SmsConfig {
    pub mode: SmsMode,
    pub url: String,
    /// Sent as `Authorization: Bearer …`; redacted in `Debug`.
    pub key: Option<String>,
    /// The signature in 【】 at the start of every text.
    pub sender: String,
}

impl std::fmt::Debug for SmsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsConfig")
            .field("mode", &self.mode)
            .field("url", &self.url)
            .field("key", &self.key.as_ref().map(|_| "[redacted]"))
            .field("sender", &self.sender)
            .finish()
    }
}

/// Everything delivery needs from the configuration.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// Where residents reach wushe, e.g. `https://wushe.example.org` (links in texts).
    pub public_url: String,
    /// Origins webhooks may be sent to.
    pub webhook_allow: Vec<String>,
    /// Addresses that are not globally routable (loopback, private, link-local …) which a
    /// webhook may still be sent to, each allowed exactly (an on-premises receiver; the tests'
    /// fake receiver on 127.0.0.1). Any other such address refuses the delivery.
    pub webhook_allow_private: Vec<IpAddr>,
    pub sms: SmsConfig,
    pub retry: RetryPolicy,
    pub caps: Caps,
    /// Timeout of one outbound request.
    pub timeout: Duration,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            public_url: "http://127.0.0.1:8080".into(),
            webhook_allow: Vec::new(),
            webhook_allow_private: Vec::new(),
            sms: SmsConfig {
                mode: SmsMode::Off,
                url: String::new(),
                key: None,
                sender: "五社联动".into(),
            },
            retry: RetryPolicy::default(),
            caps: Caps::default(),
            timeout: Duration::from_secs(5),
        }
    }
}

impl NotifyConfig {
    /// From wushe.toml values; the demo texts into its outbox page unless told otherwise.
    pub fn load(
        public_url: Option<String>,
        bind: &str,
        webhook_allow: Option<Vec<String>>,
        webhook_allow_private: Option<Vec<String>>,
        sms: Option<SmsOverrides>,
        demo: bool,
    ) -> Result<NotifyConfig, String> {
        let d = NotifyConfig::default();
        let public_url = public_url
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_string();
        if wushe_core::notify::webhook::origin(&public_url).is_none() {
            return Err(format!(
                "public_url must be an http(s) address, not {public_url}"
            ));
        }
        let mut allow_private = Vec::new();
        for a in webhook_allow_private.unwrap_or_default() {
            match a.trim().parse::<IpAddr>() {
                Ok(ip) => allow_private.push(ip.to_canonical()),
                Err(_) => {
                    return Err(format!(
                        "webhook_allow_private: {a} is not an IP address like 10.0.0.5 (names and ranges are not accepted)"
                    ));
                }
            }
        }
        let webhook_allow = webhook_allow.unwrap_or_default();
        for a in &webhook_allow {
            if wushe_core::notify::webhook::origin(a).is_none() {
                return Err(format!(
                    "webhook_allow: {a} is not an origin like https://hook.example.org"
                ));
            }
            // An address written into the allow-list is checked now; names at delivery.
            if let Some(ip) = webhook::literal_host(a)
                && wushe_core::net::refused_address(&[ip], &allow_private).is_some()
            {
                return Err(format!(
                    "webhook_allow: {a} is an internal address; add \"{ip}\" to webhook_allow_private if webhooks are meant to go there"
                ));
            }
        }
        let o = sms.unwrap_or_default();
        let mode = match o.mode.as_deref() {
            None if demo => SmsMode::Demo,
            None | Some("off") => SmsMode::Off,
            Some("demo") => SmsMode::Demo,
            Some("http") => SmsMode::Http,
            Some(other) => {
                return Err(format!(
                    "[sms] mode must be \"off\", \"demo\" or \"http\", not {other:?}"
                ));
            }
        };
        let url = o.url.unwrap_or_default();
        if mode == SmsMode::Http && wushe_core::notify::webhook::origin(&url).is_none() {
            return Err("[sms] mode = \"http\" needs url = \"https://…\" of the gateway".into());
        }
        let caps = Caps {
            per_phone_hour: o.per_phone_hour.unwrap_or(d.caps.per_phone_hour),
            per_phone_day: o.per_phone_day.unwrap_or(d.caps.per_phone_day),
            per_origin_hour: o.per_ip_hour.unwrap_or(d.caps.per_origin_hour),
        };
        if caps.per_phone_hour < 1 || caps.per_phone_day < 1 || caps.per_origin_hour < 1 {
            return Err("[sms] caps must be at least 1".into());
        }
        Ok(NotifyConfig {
            public_url,
            webhook_allow,
            webhook_allow_private: allow_private,
            sms: SmsConfig {
                mode,
                url,
                key: o.key.filter(|k| !k.is_empty()),
                sender: o.sender.unwrap_or(d.sms.sender),
            },
            caps,
            ..d
        })
    }
}

/// Make ring the process's rustls provider (reqwest is built without one, so neither
/// aws-lc nor OpenSSL is compiled). Safe to call more than once.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// TLS for outbound requests: rustls over ring with the Mozilla roots compiled in (the same
/// roots sqlx uses), built once and handed to reqwest, so building a client parses no
/// certificate files.
pub fn tls_config() -> Result<rustls::ClientConfig, rustls::Error> {
    install_tls_provider();
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Ok(
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth(),
    )
}

/// The client for every outbound request: no redirects (a 3xx is a failure, so an allowed
/// destination cannot bounce wushe to an internal address), short timeouts, no proxy from the
/// environment.
pub fn outbound_client(cfg: &NotifyConfig) -> Result<reqwest::Client, String> {
    outbound_builder(cfg)?.build().map_err(|e| e.to_string())
}

/// [`outbound_client`]'s settings, for clients that add to them (a webhook's pinned addresses).
pub(crate) fn outbound_builder(cfg: &NotifyConfig) -> Result<reqwest::ClientBuilder, String> {
    let tls = tls_config().map_err(|e| e.to_string())?;
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(cfg.timeout)
        .connect_timeout(Duration::from_secs(3))
        .no_proxy()
        .user_agent("wushe-notify/1"))
}
