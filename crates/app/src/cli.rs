//! The subcommands other than `serve`: demo, migrate, user add, regions import, audit
//! verify and audit checkpoint. Changes made here are audited with no actor ("system").

use std::path::Path;

use wushe_core::audit::{Action, AuditEvent, service as audit};
use wushe_core::users::{password, service as users};
use wushe_core::{Clock, SystemClock};

use crate::config::Config;
use crate::regions_file::{ImportOutcome, import_text};
use crate::{App, BoxError, checkpoints, demo, open_store};

/// Apply migrations and exit.
pub async fn migrate(config: Config) -> Result<(), BoxError> {
    let store = open_store(&config).await?;
    store.close().await;
    println!("migrations applied");
    Ok(())
}

/// Create a staff account from the command line (the operator has the server's shell, so
/// no actor is checked; the role and region are validated like any grant).
pub async fn user_add(
    config: Config,
    username: &str,
    role: &str,
    region: &str,
    name: Option<&str>,
    pass: &str,
) -> Result<(), BoxError> {
    let store = open_store(&config).await?;
    let form = users::NewUserForm {
        username: username.into(),
        display_name: name.unwrap_or(username).into(),
        password: pass.into(),
        region: region.into(),
        role: role.into(),
        org: String::new(),
    };
    let result = async {
        let new = users::parse_new_user(None, &form, &config.password_rules())?;
        let hash = password::hash(pass)?;
        users::create(&store, None, &new, &hash, SystemClock.now()).await
    }
    .await;
    store.close().await;
    match result {
        Ok(id) => {
            println!("created user {username} ({id})");
            Ok(())
        }
        Err(wushe_core::Error::Invalid(fields)) => {
            let lines: Vec<String> = fields
                .0
                .iter()
                .map(|f| format!("  {}: {}", f.field, f.en))
                .collect();
            Err(format!("cannot create the user:\n{}", lines.join("\n")).into())
        }
        Err(e) => Err(e.to_string().into()),
    }
}

/// Import a division-code CSV file: all lines or none.
pub async fn regions_import(config: Config, file: &Path) -> Result<(), BoxError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let store = open_store(&config).await?;
    let event = AuditEvent::new(Action::RegionsImported, SystemClock.now());
    let outcome = import_text(&store, &text, event).await;
    store.close().await;
    match outcome? {
        ImportOutcome::Imported { lines, changed } => {
            println!(
                "{}: {lines} lines valid, {changed} places added or changed",
                file.display()
            );
            Ok(())
        }
        ImportOutcome::Rejected(errors) => {
            for e in &errors {
                eprintln!("{}:{}: {} ({})", file.display(), e.line, e.en, e.zh);
            }
            Err(format!("{} bad lines; nothing was imported", errors.len()).into())
        }
    }
}

/// Check the audit chain, its head row and every checkpoint; name the first bad entry.
pub async fn audit_verify(config: Config) -> Result<(), BoxError> {
    let cps = checkpoints::read(&config.data_dir)?;
    let store = open_store(&config).await?;
    let heads: Vec<_> = cps.iter().map(|c| c.head.clone()).collect();
    let result = audit::verify_store(&store, &heads).await;
    store.close().await;
    match result? {
        Ok(s) => {
            println!(
                "audit log intact: {} entries, head {}",
                s.entries, s.head.hash
            );
            match cps.last() {
                Some(latest) => println!(
                    "checked against {} checkpoints; the latest ({}) recorded {} entries",
                    cps.len(),
                    latest.at,
                    latest.head.seq
                ),
                None => eprintln!(
                    "warning: no checkpoint file at {}: the chain and its head row were checked, but entries deleted together with the head row would go unnoticed",
                    checkpoints::path(&config.data_dir).display()
                ),
            }
            Ok(())
        }
        Err(bad) => Err(format!("audit log damaged: first bad {bad}").into()),
    }
}

/// Write the audit head to the checkpoint file and the log now (e.g. before a backup).
pub async fn audit_checkpoint(config: Config) -> Result<(), BoxError> {
    let store = open_store(&config).await?;
    let result = checkpoints::write(&store, &config.data_dir, SystemClock.now()).await;
    store.close().await;
    let cp = result?;
    println!(
        "audit checkpoint written to {}: {} entries, head {}",
        checkpoints::path(&config.data_dir).display(),
        cp.head.seq,
        cp.head.hash
    );
    Ok(())
}

/// Seed the demo database on first start, print the accounts and serve.
pub async fn demo(config: Config, seed: u64) -> Result<(), BoxError> {
    let store = open_store(&config).await?;
    let accounts = demo::seed(&store, seed).await?;
    store.close().await;
    let app = App::build(config).await?;
    crate::demo_needs::seed(app.state(), seed, SystemClock.now()).await?;
    let state = app.state().clone();
    tokio::spawn(async move {
        if let Err(e) = demo::seed_people(&state, seed).await {
            tracing::warn!(error = %e, "could not seed the demo registry");
        }
    });
    println!(
        "\nwushe demo (演示) is serving at http://{}/",
        app.local_addr()
    );
    println!("Demo accounts (all with password {}):", accounts.password);
    for (user, role, place) in &accounts.users {
        println!("  {user:<10} {role:<18} {place}");
    }
    println!();
    app.run_until_stopped().await
}
