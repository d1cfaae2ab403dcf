use super::{describe, read_password_line};
use kotapintar_domain::user::{NewPassword, UserInput, Username};
use kotapintar_domain::FieldErrors;
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::{password, users, StorageError, Store};
use std::process::ExitCode;

fn cli_actor() -> AuditActor {
    AuditActor::System("cli".into())
}

fn invalid(errors: &FieldErrors) -> anyhow::Error {
    anyhow::anyhow!("the account was not saved:\n{}", describe(errors))
}

pub async fn create(
    store: &Store,
    username: String,
    full_name: String,
    role: String,
    unit: Option<String>,
    email: Option<String>,
    password_stdin: bool,
) -> anyhow::Result<ExitCode> {
    let (pw, generated) = if password_stdin {
        (read_password_line()?, false)
    } else {
        (password::generate(), true)
    };
    let input = UserInput {
        username,
        full_name,
        email: email.unwrap_or_default(),
        role,
        unit_code: unit.unwrap_or_default(),
        password: pw.clone(),
        active: Some("on".into()),
    };
    let draft = input.parse(true).map_err(|e| invalid(&e))?;
    match users::create(store, &cli_actor(), draft).await {
        Ok(u) => {
            println!("created user {} (id {})", u.username, u.id);
            if generated {
                println!("password: {pw}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(StorageError::Invalid(e)) => Err(invalid(&e)),
        Err(e) => Err(e.into()),
    }
}

fn known_username(raw: &str) -> anyhow::Result<Username> {
    Username::parse(raw).map_err(|code| invalid(&FieldErrors::single("username", code)))
}

pub async fn reset_password(
    store: &Store,
    username: &str,
    password_stdin: bool,
) -> anyhow::Result<ExitCode> {
    let username = known_username(username)?;
    let (pw, generated) = if password_stdin {
        (read_password_line()?, false)
    } else {
        (password::generate(), true)
    };
    let pw =
        NewPassword::parse(&pw).map_err(|code| invalid(&FieldErrors::single("password", code)))?;
    match users::reset_password(store, &cli_actor(), &username, &pw).await {
        Ok(()) => {
            println!("password of {username} reset; its sessions were ended");
            if generated {
                println!("password: {}", pw.expose());
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(StorageError::NotFound) => Err(anyhow::anyhow!("no user named '{username}'")),
        Err(e) => Err(e.into()),
    }
}

pub async fn disable(store: &Store, username: &str) -> anyhow::Result<ExitCode> {
    let username = known_username(username)?;
    match users::disable(store, &cli_actor(), &username).await {
        Ok(()) => {
            println!("user {username} disabled; its sessions were ended");
            Ok(ExitCode::SUCCESS)
        }
        Err(StorageError::NotFound) => Err(anyhow::anyhow!("no user named '{username}'")),
        Err(e) => Err(e.into()),
    }
}
