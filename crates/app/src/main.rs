//! The `wushe` binary: parse the command line, load configuration, run.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use wushe_app::config::{Config, Overrides};
use wushe_app::{App, cli};

/// The binary's allocator (see Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "wushe",
    version,
    about = "wushe (五社): emergency care coordination for communities, social workers, volunteers and charities"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args)]
struct Global {
    /// Configuration file (optional; environment and flags override it)
    #[arg(
        long,
        global = true,
        env = "WUSHE_CONFIG",
        default_value = "wushe.toml"
    )]
    config: PathBuf,
    /// Address to listen on
    #[arg(long, global = true, env = "WUSHE_BIND")]
    bind: Option<String>,
    /// Directory for the SQLite database and key files
    #[arg(long, global = true, env = "WUSHE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Database: sqlite://PATH, postgres://… or postgresql://… (default: sqlite in the data dir)
    #[arg(
        long,
        global = true,
        env = "WUSHE_DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// Clients use HTTPS (directly or via a TLS proxy): secure, __Host- session cookies
    #[arg(long, global = true, env = "WUSHE_HTTPS")]
    https: Option<bool>,
    /// Bearer token that non-loopback clients must send to read /metrics
    #[arg(
        long,
        global = true,
        env = "WUSHE_METRICS_TOKEN",
        hide_env_values = true
    )]
    metrics_token: Option<String>,
    /// Public intake limit per client address per minute (0 lifts it, e.g. for benchmarks)
    #[arg(long, global = true, env = "WUSHE_INTAKE_PER_IP_PER_MINUTE")]
    intake_per_ip_per_minute: Option<u32>,
    /// Public intake limit per second for this node (0 lifts it)
    #[arg(long, global = true, env = "WUSHE_INTAKE_GLOBAL_PER_SECOND")]
    intake_global_per_second: Option<u32>,
    /// Reverse proxies (comma-separated IPs) whose X-Forwarded-For / X-Real-IP are believed
    #[arg(
        long,
        global = true,
        env = "WUSHE_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Option<Vec<String>>,
    /// Key file for field encryption (default on SQLite: secret.key in the data dir, created
    /// on first start; required on PostgreSQL). Keep it outside the data dir and its backups
    #[arg(long, global = true, env = "WUSHE_SECRET_KEY_FILE")]
    secret_key_file: Option<PathBuf>,
    /// MLPS (等保三级) mode: password character classes, 90-day rotation, a second factor for all staff
    #[arg(long, global = true, env = "WUSHE_MLPS_MODE")]
    mlps_mode: Option<bool>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application (the default)
    Serve,
    /// Serve a demo with fictional organisations and users in its own database (demo.db)
    Demo {
        /// Seed for the generated demo data
        #[arg(long, default_value_t = 2022)]
        seed: u64,
    },
    /// Apply database migrations and exit
    Migrate,
    /// Manage staff accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Manage places
    #[command(subcommand)]
    Regions(RegionsCommand),
    /// Check the tamper-evident audit log
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage the field-encryption keys
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every entry's hash and link, the head row and the checkpoints in the data
    /// directory; exits non-zero naming the first bad entry
    Verify,
    /// Append the current head (count and hash) to the checkpoint file and the log now
    Checkpoint,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a key file (mode 0600) for a PostgreSQL deployment; never overwrites one
    New {
        /// Where to write it, e.g. /etc/wushe/secret.key
        file: PathBuf,
    },
    /// Check that the key file fits the database; prints key fingerprints, never keys
    Check,
    /// Add a new current key (keeping the old ones) and re-encrypt every sealed value under
    /// it, in batches with progress. Safe to interrupt: running it again continues, skipping
    /// values already under the new key
    Rotate {
        /// Rows read per batch
        #[arg(long, default_value_t = 500)]
        batch: u32,
        /// Re-encrypt at most this many values in this run (spread the work over several runs)
        #[arg(long)]
        limit: Option<u64>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a staff account with one role over one region (prompts for nothing; reads
    /// the password from WUSHE_NEW_PASSWORD or --password)
    Add {
        /// Login name: 3–32 lower-case letters, digits or . _ -
        username: String,
        /// Role: admin, civil_affairs, committee_staff, social_worker, supervisor,
        /// hotline_operator, counselor, volunteer or charity_staff
        #[arg(long)]
        role: String,
        /// Region code the role covers, e.g. 310101 (黄浦区) or 310101020 (五里桥街道)
        #[arg(long)]
        region: String,
        /// Name shown in the interface (defaults to the login name)
        #[arg(long)]
        name: Option<String>,
        /// Password (at least 10 characters); prefer the WUSHE_NEW_PASSWORD variable
        #[arg(long, env = "WUSHE_NEW_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

#[derive(Subcommand)]
enum RegionsCommand {
    /// Import division codes from a CSV file with columns code,name,parent_code,level.
    /// Checks every line first; writes nothing if any line is bad. Safe to repeat.
    Import {
        /// The CSV file
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let args = Cli::parse();
    let g = args.global;
    let overrides = Overrides {
        bind: g.bind,
        data_dir: g.data_dir,
        database_url: g.database_url,
        https: g.https,
        metrics_token: g.metrics_token,
        intake_per_ip_per_minute: g.intake_per_ip_per_minute,
        intake_global_per_second: g.intake_global_per_second,
        trusted_proxies: g.trusted_proxies,
        secret_key_file: g.secret_key_file,
        mlps_mode: g.mlps_mode,
        ..Default::default()
    };
    // Creating a key file needs no configuration (PostgreSQL setups need the file first).
    if let Some(Command::Keys(KeysCommand::New { file })) = &args.command {
        return match wushe_app::keys::new_file(file) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("wushe: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let demo = matches!(args.command, Some(Command::Demo { .. }));
    let config = match Config::load(&g.config, overrides, demo) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("wushe: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    wushe_app::init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("wushe: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match args.command.unwrap_or(Command::Serve) {
            Command::Serve => App::build(config).await?.run_until_stopped().await,
            Command::Demo { seed } => cli::demo(config, seed).await,
            Command::Migrate => cli::migrate(config).await,
            Command::User(UserCommand::Add {
                username,
                role,
                region,
                name,
                password,
            }) => {
                cli::user_add(
                    config,
                    &username,
                    &role,
                    &region,
                    name.as_deref(),
                    &password,
                )
                .await
            }
            Command::Regions(RegionsCommand::Import { file }) => {
                cli::regions_import(config, &file).await
            }
            Command::Audit(AuditCommand::Verify) => cli::audit_verify(config).await,
            Command::Audit(AuditCommand::Checkpoint) => cli::audit_checkpoint(config).await,
            Command::Keys(KeysCommand::New { file }) => wushe_app::keys::new_file(&file),
            Command::Keys(KeysCommand::Check) => wushe_app::keys::check(config).await,
            Command::Keys(KeysCommand::Rotate { batch, limit }) => {
                wushe_app::keys::rotate(config, batch, limit).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wushe: {e}");
            ExitCode::FAILURE
        }
    }
}
