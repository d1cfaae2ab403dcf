//! Staff accounts, their roles, and signing in.

use crate::audit::{self, AuditActor, Change};
use crate::entity::{unit, user, user_role};
use crate::{password, units, Result, StorageError, Store};
use chrono::Utc;
use kotapintar_domain::ids::{UnitId, UserId};
use kotapintar_domain::policy::Actor;
use kotapintar_domain::user::{NewPassword, Role, RoleAssignment, User, UserDraft, Username};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde::Serialize;
use std::collections::HashMap;

/// What the audit log records of an account: never the password hash.
#[derive(Serialize)]
struct Snapshot<'a> {
    username: &'a str,
    full_name: &'a str,
    email: &'a Option<String>,
    active: bool,
    roles: &'a [RoleAssignment],
}

fn snapshot(u: &User) -> Snapshot<'_> {
    Snapshot {
        username: u.username.as_str(),
        full_name: &u.full_name,
        email: &u.email,
        active: u.active,
        roles: &u.roles,
    }
}

fn to_role(m: &user_role::Model) -> Option<RoleAssignment> {
    Some(RoleAssignment {
        role: Role::parse(&m.role).ok()?,
        unit_id: m.unit_id.map(UnitId),
    })
}

fn to_domain(m: user::Model, roles: Vec<RoleAssignment>) -> User {
    User {
        id: UserId(m.id),
        username: Username::from_stored(m.username),
        full_name: m.full_name,
        email: m.email,
        active: m.active,
        roles,
    }
}

async fn roles_of(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<RoleAssignment>> {
    Ok(user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user_id))
        .order_by_asc(user_role::Column::Id)
        .all(db)
        .await?
        .iter()
        .filter_map(to_role)
        .collect())
}

/// Every account, or only those holding a role in one of `units`.
pub async fn list(store: &Store, only_units: Option<&[UnitId]>) -> Result<Vec<User>> {
    let users = user::Entity::find()
        .order_by_asc(user::Column::Username)
        .all(&store.reader)
        .await?;
    let mut roles: HashMap<i64, Vec<RoleAssignment>> = HashMap::new();
    for r in user_role::Entity::find().all(&store.reader).await? {
        if let Some(a) = to_role(&r) {
            roles.entry(r.user_id).or_default().push(a);
        }
    }
    Ok(users
        .into_iter()
        .map(|u| {
            let r = roles.remove(&u.id).unwrap_or_default();
            to_domain(u, r)
        })
        .filter(|u| match only_units {
            None => true,
            Some(units) => u
                .roles
                .iter()
                .any(|r| r.unit_id.is_some_and(|id| units.contains(&id))),
        })
        .collect())
}

pub async fn get(store: &Store, id: UserId) -> Result<User> {
    let m = crate::rows::by_id::<user::Entity>(&store.reader, id.0).await?;
    let roles = roles_of(&store.reader, m.id).await?;
    Ok(to_domain(m, roles))
}

pub async fn count_admins(store: &Store) -> Result<u64> {
    Ok(user_role::Entity::find()
        .filter(user_role::Column::Role.eq(Role::Admin.as_str()))
        .count(&store.reader)
        .await?)
}

async fn resolve_unit(db: &impl ConnectionTrait, code: Option<&str>) -> Result<Option<UnitId>> {
    match code {
        None => Ok(None),
        Some(c) => match units::find_by_code(db, c).await? {
            Some(u) => Ok(Some(u.id)),
            None => Err(StorageError::field("unit_code", "unknown_unit")),
        },
    }
}

/// Resolves the draft's unit code. Callers check permissions on the result before writing.
pub async fn resolve_draft_unit(store: &Store, draft: &UserDraft) -> Result<Option<UnitId>> {
    resolve_unit(&store.reader, draft.unit_code.as_deref()).await
}

pub async fn create(store: &Store, actor: &AuditActor, draft: UserDraft) -> Result<User> {
    let Some(pw) = &draft.password else {
        return Err(StorageError::field("password", "required"));
    };
    let hash = password::hash(pw.expose().to_string()).await?;
    let tx = store.writer.begin().await?;
    let unit_id = resolve_unit(&tx, draft.unit_code.as_deref()).await?;
    let now = Utc::now();
    let m = user::ActiveModel {
        username: Set(draft.username.as_str().to_string()),
        full_name: Set(draft.full_name.clone()),
        email: Set(draft.email.clone()),
        password_hash: Set(hash),
        active: Set(draft.active),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .map_err(|e| StorageError::on_unique(e, "username", "username_taken"))?;
    user_role::ActiveModel {
        user_id: Set(m.id),
        role: Set(draft.role.as_str().to_string()),
        unit_id: Set(unit_id.map(|u| u.0)),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let roles = roles_of(&tx, m.id).await?;
    let user = to_domain(m, roles);
    audit::append(
        &tx,
        actor,
        Change::new("user.create", "user", user.id).after(&snapshot(&user)),
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// Changes name, email, active flag and the (single) role; the password only if one is given.
pub async fn update(
    store: &Store,
    actor: &AuditActor,
    id: UserId,
    draft: UserDraft,
) -> Result<User> {
    let new_hash = match &draft.password {
        Some(pw) => Some(password::hash(pw.expose().to_string()).await?),
        None => None,
    };
    let tx = store.writer.begin().await?;
    let current = crate::rows::by_id::<user::Entity>(&tx, id.0).await?;
    let before = to_domain(current.clone(), roles_of(&tx, id.0).await?);
    let unit_id = resolve_unit(&tx, draft.unit_code.as_deref()).await?;
    let password_changed = new_hash.is_some();
    let mut m: user::ActiveModel = current.into();
    m.username = Set(draft.username.as_str().to_string());
    m.full_name = Set(draft.full_name);
    m.email = Set(draft.email);
    m.active = Set(draft.active);
    if let Some(h) = new_hash {
        m.password_hash = Set(h);
        m.failed_logins = Set(0);
        m.locked_until = Set(None);
    }
    m.updated_at = Set(Utc::now());
    let m = m
        .update(&tx)
        .await
        .map_err(|e| StorageError::on_unique(e, "username", "username_taken"))?;
    user_role::Entity::delete_many()
        .filter(user_role::Column::UserId.eq(id.0))
        .exec(&tx)
        .await?;
    user_role::ActiveModel {
        user_id: Set(id.0),
        role: Set(draft.role.as_str().to_string()),
        unit_id: Set(unit_id.map(|u| u.0)),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    // A new password is a reset: whoever held a session with the old one (perhaps the
    // reason for the reset) is signed out, and the owner may log in at once.
    if !m.active || password_changed {
        end_sessions(&tx, id.0).await?;
    }
    if password_changed {
        crate::login_throttle::clear_username(&tx, m.username.as_str()).await?;
        crate::login_throttle::clear_username(&tx, before.username.as_str()).await?;
    }
    let after = to_domain(m, roles_of(&tx, id.0).await?);
    audit::append(
        &tx,
        actor,
        Change::new("user.update", "user", id)
            .before(&snapshot(&before))
            .after(&snapshot(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

async fn end_sessions(db: &impl ConnectionTrait, user_id: i64) -> Result<()> {
    crate::entity::session::Entity::delete_many()
        .filter(crate::entity::session::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

async fn find_by_username(db: &impl ConnectionTrait, username: &Username) -> Result<user::Model> {
    user::Entity::find()
        .filter(user::Column::Username.eq(username.as_str()))
        .one(db)
        .await?
        .ok_or(StorageError::NotFound)
}

/// Sets a new password (and lifts a login throttle on the name); used by the CLI and the
/// admin pages.
pub async fn reset_password(
    store: &Store,
    actor: &AuditActor,
    username: &Username,
    pw: &NewPassword,
) -> Result<()> {
    let hash = password::hash(pw.expose().to_string()).await?;
    let tx = store.writer.begin().await?;
    let current = find_by_username(&tx, username).await?;
    let id = current.id;
    let mut m: user::ActiveModel = current.into();
    m.password_hash = Set(hash);
    m.failed_logins = Set(0);
    m.locked_until = Set(None);
    m.updated_at = Set(Utc::now());
    m.update(&tx).await?;
    end_sessions(&tx, id).await?;
    // the person can log in with the new password straight away, from anywhere
    crate::login_throttle::clear_username(&tx, username.as_str()).await?;
    audit::append(&tx, actor, Change::new("user.reset_password", "user", id)).await?;
    tx.commit().await?;
    Ok(())
}

/// Disables an account and ends its sessions at once.
pub async fn disable(store: &Store, actor: &AuditActor, username: &Username) -> Result<()> {
    let tx = store.writer.begin().await?;
    let current = find_by_username(&tx, username).await?;
    let id = current.id;
    let mut m: user::ActiveModel = current.into();
    m.active = Set(false);
    m.updated_at = Set(Utc::now());
    m.update(&tx).await?;
    end_sessions(&tx, id).await?;
    audit::append(
        &tx,
        actor,
        Change::new("user.disable", "user", id).after(&serde_json::json!({"active": false})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub enum LoginOutcome {
    Ok(Actor),
    /// Wrong username or password; deliberately not saying which. `account` is for the audit
    /// log only (the account whose password was wrong, if the name exists) and must never
    /// reach the person logging in.
    Invalid {
        account: Option<UserId>,
    },
    Disabled,
}

/// Checks a username and password. Throttling repeated failures is the caller's business
/// (`login_throttle`): it counts usernames whether or not they exist, which this cannot.
pub async fn authenticate(store: &Store, username: &str, pw: &str) -> Result<LoginOutcome> {
    let Ok(username) = Username::parse(username) else {
        password::verify(pw.to_string(), password::DUMMY_HASH.to_string()).await;
        return Ok(LoginOutcome::Invalid { account: None });
    };
    let found = user::Entity::find()
        .filter(user::Column::Username.eq(username.as_str()))
        .one(&store.reader)
        .await?;
    let Some(u) = found else {
        // the same time spent as for a real account, so timing does not tell names apart
        password::verify(pw.to_string(), password::DUMMY_HASH.to_string()).await;
        return Ok(LoginOutcome::Invalid { account: None });
    };
    if !password::verify(pw.to_string(), u.password_hash.clone()).await {
        return Ok(LoginOutcome::Invalid {
            account: Some(UserId(u.id)),
        });
    }
    if !u.active {
        return Ok(LoginOutcome::Disabled);
    }
    Ok(LoginOutcome::Ok(actor_of(&store.reader, u).await?))
}

pub(crate) async fn actor_of(db: &impl ConnectionTrait, u: user::Model) -> Result<Actor> {
    let roles = roles_of(db, u.id).await?;
    Ok(Actor {
        user_id: UserId(u.id),
        username: Username::from_stored(u.username),
        full_name: u.full_name,
        roles,
    })
}

/// Creates the first admin if there is none yet. Returns the generated password when one was
/// made up (so it can be shown once), `None` when the given one was used or an admin exists.
pub async fn ensure_first_admin(
    store: &Store,
    given_password: Option<&str>,
) -> Result<Option<FirstAdmin>> {
    if count_admins(store).await? > 0 {
        return Ok(None);
    }
    let (pw, generated) = match given_password {
        Some(p) => (p.to_string(), false),
        None => (password::generate(), true),
    };
    let pw_checked = NewPassword::parse(&pw).map_err(|code| {
        StorageError::Other(format!(
            "KOTAPINTAR_ADMIN_PASSWORD is not acceptable: {code} (at least {} characters)",
            NewPassword::MIN_CHARS
        ))
    })?;
    let kominfo = unit::Entity::find()
        .filter(unit::Column::Code.eq("DISKOMINFO"))
        .one(&store.reader)
        .await?;
    let draft = UserDraft {
        username: Username::from_stored("admin".into()),
        full_name: "Administrator".into(),
        email: None,
        role: Role::Admin,
        unit_code: kominfo.map(|k| k.code),
        password: Some(pw_checked),
        active: true,
    };
    create(store, &AuditActor::System("first-start".into()), draft).await?;
    Ok(Some(FirstAdmin {
        password: pw,
        generated,
    }))
}

pub struct FirstAdmin {
    pub password: String,
    pub generated: bool,
}
