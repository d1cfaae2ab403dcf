//! One function per subcommand. They parse their input into domain types and call the same
//! storage functions as the web pages, so a change made here is audited the same way.

pub(crate) mod areas;
mod backup;
pub mod import;
pub mod intake;
pub mod routing;
pub mod search;
mod user;

use crate::app::{shutdown_signal, Application};
use crate::cli::{
    AreasCommand, AuditCommand, Cli, ClientCommand, Command, ImportCommand, IntakeCommand,
    RoutingCommand, SearchCommand, UserCommand,
};
use crate::config::{Overrides, Settings};
use kotapintar_domain::FieldErrors;
use kotapintar_storage::{OpenMode, Store};
use std::process::ExitCode;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let overrides = Overrides {
        listen: cli.listen.clone(),
        database_url: cli.database_url.clone(),
        data_dir: cli.data_dir.clone(),
    };
    let settings =
        if cli.config != std::path::Path::new(crate::cli::DEFAULT_CONFIG) && !cli.config.exists() {
            Err(anyhow::anyhow!(
                "configuration file {} does not exist",
                cli.config.display()
            ))
        } else {
            Settings::load(&cli.config, &overrides).map_err(anyhow::Error::from)
        };
    if let Command::Intake(IntakeCommand::Email) = cli.command {
        // run by the MTA: every failure, the settings' too, must become an exit status it
        // understands (75 keeps the message for later)
        if let Ok(s) = &settings {
            crate::telemetry::init(s);
        }
        return Ok(intake::run(settings).await);
    }
    let settings = settings?;
    crate::telemetry::init(&settings);
    tracing::debug!(?settings, "settings loaded");
    match cli.command {
        Command::Serve => serve(&settings, &cli.config, OpenMode::MustExist).await,
        Command::Migrate => {
            let store = Store::connect(&settings.database_url, OpenMode::CreateIfMissing).await?;
            crate::app::prepare(&store, &settings).await?;
            println!("database {} is up to date", settings.database_url);
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo => {
            let store = Store::connect(&settings.database_url, OpenMode::CreateIfMissing).await?;
            crate::app::prepare(&store, &settings).await?;
            crate::demo::load(&store, &settings).await?;
            store.close().await;
            serve(&settings, &cli.config, OpenMode::MustExist).await
        }
        Command::User(cmd) => user_command(&settings, cmd).await,
        Command::Areas(AreasCommand::Import { dir, regency }) => {
            let store = open(&settings).await?;
            areas::import(&store, &settings, dir, regency).await
        }
        Command::Audit(AuditCommand::Verify { recorded_head }) => {
            audit_verify(&settings, recorded_head.as_deref()).await
        }
        Command::Client(cmd) => client_command(&settings, cmd).await,
        Command::Import(cmd) => {
            let store = open(&settings).await?;
            match cmd {
                ImportCommand::Requests {
                    unit,
                    file,
                    dry_run,
                } => import::requests_file(&store, &settings, &unit, &file, dry_run).await,
                ImportCommand::Services { file, dry_run } => {
                    import::services_file(&store, &file, dry_run).await
                }
            }
        }
        Command::Search(SearchCommand::Rebuild { child: true }) => {
            search::build_for_server(&settings).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Search(SearchCommand::Rebuild { child: false }) => {
            let n = search::rebuild(&settings).await?;
            println!(
                "search index rebuilt in {}: {n} documents",
                settings.search_dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Routing(cmd) => {
            let store = open(&settings).await?;
            let out = match cmd {
                RoutingCommand::Evaluate { days } => routing::evaluate(&store, days).await,
                RoutingCommand::Train => routing::train(&store).await,
            };
            store.close().await;
            out
        }
        Command::Backup { out } => {
            let store = open(&settings).await?;
            backup::run(&store, &settings, out).await
        }
        Command::Intake(IntakeCommand::Email) => Ok(intake::run(Ok(settings)).await),
    }
}

/// `kotapintar user …`: staff accounts.
async fn user_command(settings: &Settings, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    let store = open(settings).await?;
    match cmd {
        UserCommand::Create {
            username,
            full_name,
            role,
            unit,
            email,
            password_stdin,
        } => {
            user::create(
                &store,
                username,
                full_name,
                role,
                unit,
                email,
                password_stdin,
            )
            .await
        }
        UserCommand::ResetPassword {
            username,
            password_stdin,
        } => user::reset_password(&store, &username, password_stdin).await,
        UserCommand::Disable { username } => user::disable(&store, &username).await,
    }
}

/// `kotapintar client …`: API clients of unit applications; a token is shown once.
async fn client_command(settings: &Settings, cmd: ClientCommand) -> anyhow::Result<ExitCode> {
    let store = open(settings).await?;
    let cli = kotapintar_storage::audit::AuditActor::System("cli".into());
    let result = match cmd {
        ClientCommand::Create {
            name,
            unit,
            scopes,
            rate_limit,
        } => kotapintar_storage::clients::create(&store, &cli, &name, &unit, &scopes, rate_limit)
            .await
            .map(Some),
        ClientCommand::Rotate { id } => kotapintar_storage::clients::rotate(&store, &cli, id)
            .await
            .map(Some),
        ClientCommand::Revoke { id } => kotapintar_storage::clients::revoke(&store, &cli, id)
            .await
            .map(|_| {
                println!("client {id} revoked");
                None
            }),
        ClientCommand::List => {
            for c in kotapintar_storage::clients::list(&store).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    c.client.id,
                    c.client.name,
                    c.client.unit_code,
                    c.client.scopes.join(" "),
                    if c.active { "active" } else { "revoked" }
                );
            }
            Ok(None)
        }
    };
    match result {
        Ok(Some(issued)) => {
            println!(
                "client {} ({}, unit {})",
                issued.client.id, issued.client.name, issued.client.unit_code
            );
            println!("token: {}", issued.token);
            println!("This token is shown only now; store it in the unit application's settings.");
            Ok(ExitCode::SUCCESS)
        }
        Ok(None) => Ok(ExitCode::SUCCESS),
        Err(kotapintar_storage::StorageError::Invalid(e)) => Err(anyhow::anyhow!(
            "the client was not saved:\n{}",
            describe(&e)
        )),
        Err(kotapintar_storage::StorageError::NotFound) => Err(anyhow::anyhow!("no such client")),
        Err(e) => Err(e.into()),
    }
}

/// Checks the audit chain with the configured key and says which key and since when. Only
/// reads: it neither creates a key nor keys the chain.
async fn audit_verify(settings: &Settings, recorded: Option<&str>) -> anyhow::Result<ExitCode> {
    let recorded = match recorded {
        None => None,
        Some(r) => {
            let parsed = r
                .split_once(':')
                .and_then(|(seq, hash)| Some((seq.trim().parse::<i64>().ok()?, hash.trim())))
                .filter(|(_, hash)| hash.len() == 64);
            Some(parsed.ok_or_else(|| {
                anyhow::anyhow!(
                    "--recorded-head: '{r}' is not ENTRY:HASH as the weekly summary prints it"
                )
            })?)
        }
    };
    let store = Store::connect(&settings.database_url, OpenMode::MustExist).await?;
    store.migrate().await?;
    let key = crate::audit_key::read(settings)?;
    let result = kotapintar_storage::audit::verify_with(&store, key.as_ref(), recorded).await?;
    let chain_key = kotapintar_storage::audit::chain_key_id(&store.reader).await?;
    store.close().await;
    match result {
        Ok(v) => {
            println!("audit log intact: {} entries verified", v.entries);
            match (&v.keyed_since, &chain_key) {
                (Some(since), _) => println!(
                    "keyed with key {} since entry {} ({}); entries before it are plain SHA-256",
                    since.key_id,
                    since.seq,
                    time_of(since.at_micros)
                ),
                (None, Some(id)) => println!(
                    "keyed with key {id} from entry {} on (no keyed entry yet)",
                    v.entries + 1
                ),
                (None, None) => {
                    println!("NOT KEYED: plain SHA-256 only; start the server once to key it")
                }
            }
            println!("head: entry {} {}", v.entries, v.head_hash);
            if let Some((seq, _)) = recorded {
                println!("entry {seq} is as recorded");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("AUDIT LOG BROKEN: {e}");
            if let Some(k) = &key {
                println!("(checked with audit key {})", k.id());
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

fn time_of(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// Opens an existing database and brings its schema up to date.
async fn open(settings: &Settings) -> anyhow::Result<Store> {
    let store = Store::connect(&settings.database_url, OpenMode::MustExist).await?;
    crate::app::prepare(&store, settings).await?;
    Ok(store)
}

async fn serve(
    settings: &Settings,
    config: &std::path::Path,
    mode: OpenMode,
) -> anyhow::Result<ExitCode> {
    let mut app = Application::build(settings, mode).await?;
    match search::child_build(settings, config) {
        Ok(child) => app = app.build_search_in(kotapintar_search::sync::Builder::Child(child)),
        Err(e) => tracing::warn!(error = %e, "the search index will be built in this process"),
    }
    let url = format!("http://{}:{}/", settings.listen.ip(), app.port());
    println!(
        "kotapintar is serving {url} (database: {})",
        settings.database_url
    );
    tracing::info!(%url, "serving");
    app.run_until(shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// Field errors as a person reads them on a terminal: one line per field, in English.
fn describe(errors: &FieldErrors) -> String {
    errors
        .0
        .iter()
        .map(|e| {
            format!(
                "  --{}: {}",
                match e.field.as_str() {
                    // the flag is named after what people type, not the stored field
                    "unit_code" => "unit".to_string(),
                    "rate_limit_per_minute" => "rate-limit".to_string(),
                    f => f.replace('_', "-"),
                },
                kotapintar_web::i18n::t(
                    kotapintar_web::i18n::Lang::En,
                    &format!("error.{}", e.code)
                )
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn read_password_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

pub(crate) use areas::run as areas_run;

/// Imports one regency's areas from the copy built into the program.
pub async fn import_builtin_areas(
    store: &Store,
    regency: &kotapintar_domain::region::RegionCode,
) -> anyhow::Result<kotapintar_storage::regions::ImportSummary> {
    areas::run(store, &crate::reference_data::embedded_areas(), regency).await
}

/// A field error's English message, for terminal output.
pub(crate) fn describe_field(code: &str) -> &'static str {
    kotapintar_web::i18n::t(kotapintar_web::i18n::Lang::En, &format!("error.{code}"))
}
