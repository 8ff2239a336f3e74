//! Tests of the configuration: the file, the environment and flags, and what is refused.

use super::*;

#[test]
fn sla_minutes_come_from_the_file_and_nonsense_is_refused() {
    let dir = std::env::temp_dir().join(format!("wushe-sla-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("wushe.toml");
    std::fs::write(
        &file,
        "sla_first_response_minutes = [10, 60, 240, 1440]\nsla_resolution_minutes = [90, 720, 2880, 10080]\n",
    )
    .expect("write");
    let cfg = Config::load(&file, Overrides::default(), false).expect("loads");
    assert_eq!(cfg.sla.first_response[0], time::Duration::minutes(10));
    assert_eq!(cfg.sla.resolution[0], time::Duration::minutes(90));
    std::fs::write(&file, "sla_first_response_minutes = [120, 60, 240, 1440]\n").expect("write");
    let err = Config::load(&file, Overrides::default(), false).expect_err("refused");
    assert!(err.0.contains("P1"), "{}", err.0);
    let cfg = Config::load(
        Path::new("/nonexistent/wushe.toml"),
        Overrides::default(),
        false,
    )
    .expect("defaults");
    assert_eq!(cfg.sla, SlaPolicy::default());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_unknown_scheme_is_refused() {
    let cli = Overrides {
        database_url: Some("postgre://x".into()),
        ..Default::default()
    };
    let err = Config::load(Path::new("/nonexistent/wushe.toml"), cli, false).expect_err("refused");
    assert!(err.0.contains("postgre"), "{}", err.0);
}

#[test]
fn defaults_put_sqlite_in_the_data_dir_and_demo_in_its_own_file() {
    let c = Config::load(
        Path::new("/nonexistent/wushe.toml"),
        Overrides::default(),
        false,
    )
    .expect("ok");
    assert_eq!(c.database_url, "sqlite://data/wushe.db");
    assert_eq!(c.bind, "127.0.0.1:8080");
    let d = Config::load(
        Path::new("/nonexistent/wushe.toml"),
        Overrides::default(),
        true,
    )
    .expect("ok");
    assert_eq!(d.database_url, "sqlite://data/demo.db");
}

#[test]
fn the_file_is_overridden_by_environment_and_flags() {
    let dir = std::env::temp_dir().join(format!("wushe-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("wushe.toml");
    std::fs::write(
        &file,
        "bind = \"0.0.0.0:9000\"\ndata_dir = \"/srv/wushe\"\nsession_idle_minutes = 20\n",
    )
    .expect("write");
    let cli = Overrides {
        bind: Some("127.0.0.1:7000".into()),
        ..Default::default()
    };
    let c = Config::load(&file, cli, false).expect("ok");
    assert_eq!(c.bind, "127.0.0.1:7000");
    assert_eq!(c.data_dir, PathBuf::from("/srv/wushe"));
    assert_eq!(c.database_url, "sqlite:///srv/wushe/wushe.db");
    assert_eq!(c.session_idle_minutes, 20);
    std::fs::write(&file, "colour = \"orange\"\n").expect("write");
    assert!(
        Config::load(&file, Overrides::default(), false).is_err(),
        "unknown keys are refused"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_check_cadence_and_retention_come_from_the_file_and_bad_values_are_refused() {
    let dir = std::env::temp_dir().join(format!("wushe-cfg-people-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("wushe.toml");
    let d = Config::load(&file, Overrides::default(), false).expect("defaults");
    assert_eq!(d.cadence(), wushe_core::people::Cadence::default());
    assert_eq!(d.people_retention_days, 3 * 365);
    assert_eq!(d.dispatch_offer_seconds, 300);
    std::fs::write(
        &file,
        "check_days_b = 2
people_retention_days = 400
",
    )
    .expect("write");
    let c = Config::load(&file, Overrides::default(), false).expect("ok");
    assert_eq!(c.cadence().b, time::Duration::days(2));
    assert_eq!(c.cadence().a, time::Duration::days(1));
    assert_eq!(c.people_retention_days, 400);
    for bad in [
        "check_days_a = 0\n",
        "check_days_c = 400\n",
        "people_retention_days = 0\n",
        "dispatch_offer_seconds = 5\n",
        "dispatch_offer_seconds = 86400\n",
    ] {
        std::fs::write(&file, bad).expect("write");
        assert!(
            Config::load(&file, Overrides::default(), false).is_err(),
            "{bad}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn notifications_come_from_the_file_the_demo_texts_into_its_outbox_and_nonsense_is_refused() {
    use crate::notify::SmsMode;
    let dir = std::env::temp_dir().join(format!("wushe-cfg-notify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("wushe.toml");
    let d = Config::load(&file, Overrides::default(), false).expect("defaults");
    assert_eq!(d.notify.sms.mode, SmsMode::Off);
    assert!(d.notify.webhook_allow.is_empty());
    assert_eq!(d.notify.public_url, "http://127.0.0.1:8080");
    let demo = Config::load(&file, Overrides::default(), true).expect("demo");
    assert_eq!(
        demo.notify.sms.mode,
        SmsMode::Demo,
        "the demo never sends real texts"
    );
    std::fs::write(
        &file,
        "public_url = \"https://wushe.example.org/\"
webhook_allow = [\"https://hook.example.org\"]
[sms]
mode = \"http\"
url = \"https://sms.example.org/send\"
key = \"gateway-secret\"
sender = \"黄浦五社\"
per_phone_hour = 3
",
    )
    .expect("write");
    let c = Config::load(&file, Overrides::default(), false).expect("ok");
    assert_eq!(c.notify.public_url, "https://wushe.example.org");
    assert_eq!(
        c.notify.webhook_allow,
        vec!["https://hook.example.org".to_string()]
    );
    assert_eq!(c.notify.sms.mode, SmsMode::Http);
    assert_eq!(c.notify.sms.sender, "黄浦五社");
    assert_eq!(c.notify.caps.per_phone_hour, 3);
    assert_eq!(c.notify.caps.per_phone_day, 10);
    assert!(
        !format!("{c:?}").contains("gateway-secret"),
        "the key is redacted"
    );
    for bad in [
        "[sms]\nmode = \"loud\"\n",
        "[sms]\nmode = \"http\"\n",
        "[sms]\nper_phone_day = 0\n",
        "webhook_allow = [\"hook.example.org\"]\n",
        "webhook_allow_private = [\"localhost\"]\n",
        "webhook_allow_private = [\"10.0.0.0/8\"]\n",
        "webhook_allow = [\"http://10.0.0.5:9000\"]\n",
        "webhook_allow = [\"http://[::1]:9000\"]\n",
        "webhook_allow = [\"http://169.254.169.254\"]\n",
        "public_url = \"wushe.example.org\"\n",
        "[sms]\nvolume = 11\n",
    ] {
        std::fs::write(&file, bad).expect("write");
        assert!(
            Config::load(&file, Overrides::default(), false).is_err(),
            "{bad}"
        );
    }
    std::fs::write(
        &file,
        "webhook_allow = [\"http://10.0.0.5:9000\", \"https://hook.example.org\"]
webhook_allow_private = [\"10.0.0.5\", \"::ffff:192.168.1.9\"]
",
    )
    .expect("write");
    let c = Config::load(&file, Overrides::default(), false).expect("allowed exactly");
    assert_eq!(
        c.notify.webhook_allow_private,
        vec![
            "10.0.0.5".parse::<std::net::IpAddr>().expect("ip"),
            "192.168.1.9".parse().expect("ip")
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn trusted_proxies_and_mlps_mode_come_from_the_file_and_bad_addresses_are_refused() {
    let dir = std::env::temp_dir().join(format!("wushe-cfg-proxy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("wushe.toml");
    std::fs::write(
        &file,
        "trusted_proxies = [\"10.0.0.5\", \"::1\"]\nmlps_mode = true\n",
    )
    .expect("write");
    let c = Config::load(&file, Overrides::default(), false).expect("ok");
    let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
    assert_eq!(c.trusted_proxies, vec![ip("10.0.0.5"), ip("::1")]);
    assert!(c.mlps_mode && c.password_rules().mlps);
    let cli = Overrides {
        trusted_proxies: Some(vec!["10.0.0.6".into(), String::new()]),
        mlps_mode: Some(false),
        ..Default::default()
    };
    let c = Config::load(&file, cli, false).expect("ok");
    assert_eq!(c.trusted_proxies, vec![ip("10.0.0.6")], "flags win");
    assert!(!c.mlps_mode);
    let d = Config::load(
        Path::new("/nonexistent/wushe.toml"),
        Overrides::default(),
        false,
    )
    .expect("ok");
    assert!(
        d.trusted_proxies.is_empty() && !d.mlps_mode,
        "off by default"
    );
    std::fs::write(&file, "trusted_proxies = [\"10.0.0.0/8\"]\n").expect("write");
    let err = Config::load(&file, Overrides::default(), false).expect_err("refused");
    assert!(err.0.contains("10.0.0.0/8"), "{}", err.0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn postgresql_without_a_key_file_is_a_configuration_error_that_says_what_to_do() {
    let cli = Overrides {
        database_url: Some("postgres://u@h/db".into()),
        ..Default::default()
    };
    let err = Config::load(Path::new("/nonexistent/wushe.toml"), cli.clone(), false)
        .expect_err("refused");
    assert!(
        err.0.contains("WUSHE_SECRET_KEY_FILE") && err.0.contains("wushe keys new"),
        "{}",
        err.0
    );
    let with_key = Overrides {
        secret_key_file: Some("/etc/wushe/secret.key".into()),
        mlps_mode: Some(true),
        ..cli
    };
    let c = Config::load(Path::new("/nonexistent/wushe.toml"), with_key, false).expect("ok");
    assert_eq!(c.key_file(), PathBuf::from("/etc/wushe/secret.key"));
    assert!(c.mlps_mode);
    let sqlite = Config::load(
        Path::new("/nonexistent/wushe.toml"),
        Overrides::default(),
        false,
    )
    .expect("ok");
    assert_eq!(sqlite.key_file(), PathBuf::from("data/secret.key"));
    assert!(!sqlite.mlps_mode);
}

#[test]
fn passwords_in_urls_are_redacted() {
    assert_eq!(
        redact_url("postgres://u:secret@h/db"),
        "postgres://u:[redacted]@h/db"
    );
    let cli = Overrides {
        database_url: Some("postgres://u:secret@h/db".into()),
        secret_key_file: Some("/etc/wushe/wushe.key".into()),
        ..Default::default()
    };
    let c = Config::load(Path::new("/nonexistent/wushe.toml"), cli, false).expect("ok");
    assert!(!format!("{c:?}").contains("secret"));
}
