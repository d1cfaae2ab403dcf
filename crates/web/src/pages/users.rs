//! Staff pages for accounts. Admins manage everyone; a unit admin staffs their own unit.

use crate::csrf::CsrfForm;
use crate::session::StaffPage;
use crate::view::{form_page, form_status, render, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use kotapintar_domain::ids::{UnitId, UserId};
use kotapintar_domain::policy::{Actor, Permission};
use kotapintar_domain::unit::Unit;
use kotapintar_domain::user::{Role, User, UserDraft, UserInput};
use kotapintar_domain::FieldErrors;
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::{units, users, StorageError};
use std::collections::HashMap;

pub struct UserRow {
    pub user: User,
    pub role: String,
    pub unit: String,
}

#[derive(Template)]
#[template(path = "staff/users.html")]
struct ListTemplate {
    page: Page,
    rows: Vec<UserRow>,
}

#[derive(Template)]
#[template(path = "staff/user_form.html")]
struct FormTemplate {
    page: Page,
    id: Option<UserId>,
    input: UserInput,
    errors: FieldErrors,
    roles: Vec<Role>,
    units: Vec<Unit>,
}

/// The units whose staff this actor may see: all for an admin.
fn visible_units(actor: &Actor) -> Option<Vec<UnitId>> {
    (!actor.is_admin()).then(|| actor.administered_units().collect())
}

pub async fn list(StaffPage { state, actor, page }: StaffPage) -> Result<Response, WebError> {
    actor.require(Permission::ListUsers)?;
    let scope = visible_units(&actor);
    let all_units: HashMap<UnitId, Unit> = units::list(&state.store)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let rows = users::list(&state.store, scope.as_deref())
        .await?
        .into_iter()
        .map(|user| {
            let first = user.roles.first();
            let role = first
                .map(|r| format!("role.{}", r.role.as_str()))
                .unwrap_or_default();
            let unit = first
                .and_then(|r| r.unit_id)
                .and_then(|id| all_units.get(&id))
                .map(|u| u.name.clone())
                .unwrap_or_default();
            UserRow { user, role, unit }
        })
        .collect();
    Ok(render(&ListTemplate { page, rows })?.into_response())
}

async fn form(
    state: &AppState,
    actor: &Actor,
    page: Page,
    id: Option<UserId>,
    input: UserInput,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let scope = visible_units(actor);
    let units = units::list(&state.store)
        .await?
        .into_iter()
        .filter(|u| scope.as_ref().is_none_or(|s| s.contains(&u.id)))
        .collect();
    let roles = Role::ALL
        .into_iter()
        .filter(|r| actor.is_admin() || r.needs_unit())
        .collect();
    let status = form_status(&errors);
    // A password typed into a rejected form is not sent back to the browser.
    let input = UserInput {
        password: String::new(),
        ..input
    };
    form_page(
        status,
        &FormTemplate {
            page,
            id,
            input,
            errors,
            roles,
            units,
        },
    )
}

pub async fn new_form(StaffPage { state, actor, page }: StaffPage) -> Result<Response, WebError> {
    actor.require(Permission::ListUsers)?;
    let input = UserInput {
        active: Some("on".into()),
        ..Default::default()
    };
    form(&state, &actor, page, None, input, FieldErrors::new()).await
}

/// Parses the form and checks that the actor may give this role in this unit.
async fn check(
    state: &AppState,
    actor: &Actor,
    input: &UserInput,
    new: bool,
) -> Result<UserDraft, FieldErrors> {
    let draft = input.parse(new)?;
    let unit = match users::resolve_draft_unit(&state.store, &draft).await {
        Ok(u) => u,
        Err(StorageError::Invalid(e)) => return Err(e),
        Err(_) => return Err(FieldErrors::single("unit_code", "unknown_unit")),
    };
    if !actor.can(Permission::ManageUser {
        role: draft.role,
        unit,
    }) {
        return Err(FieldErrors::single("role", "not_permitted_for_role"));
    }
    Ok(draft)
}

pub async fn create(
    StaffPage { state, actor, page }: StaffPage,
    CsrfForm(input): CsrfForm<UserInput>,
) -> Result<Response, WebError> {
    actor.require(Permission::ListUsers)?;
    let draft = match check(&state, &actor, &input, true).await {
        Ok(d) => d,
        Err(errors) => return form(&state, &actor, page, None, input, errors).await,
    };
    match users::create(&state.store, &AuditActor::from(&actor), draft).await {
        Ok(_) => Ok(Redirect::to("/staf/pengguna?ok=user_saved").into_response()),
        Err(StorageError::Invalid(errors)) => form(&state, &actor, page, None, input, errors).await,
        Err(e) => Err(e.into()),
    }
}

/// May the actor edit this existing account at all (judged by the role it holds now)?
fn may_edit(actor: &Actor, user: &User) -> bool {
    user.roles.iter().all(|r| {
        actor.can(Permission::ManageUser {
            role: r.role,
            unit: r.unit_id,
        })
    }) && (actor.is_admin() || !user.roles.is_empty())
}

pub async fn edit_form(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    actor.require(Permission::ListUsers)?;
    let user = users::get(&state.store, UserId(id)).await?;
    if !may_edit(&actor, &user) {
        return Err(WebError::Forbidden);
    }
    let first = user.roles.first();
    let unit_code = match first.and_then(|r| r.unit_id) {
        Some(u) => units::get(&state.store, u).await?.code.to_string(),
        None => String::new(),
    };
    let input = UserInput {
        username: user.username.to_string(),
        full_name: user.full_name.clone(),
        email: user.email.clone().unwrap_or_default(),
        role: first
            .map(|r| r.role.as_str().to_string())
            .unwrap_or_default(),
        unit_code,
        password: String::new(),
        active: user.active.then(|| "on".into()),
    };
    form(
        &state,
        &actor,
        page,
        Some(user.id),
        input,
        FieldErrors::new(),
    )
    .await
}

pub async fn update(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
    CsrfForm(input): CsrfForm<UserInput>,
) -> Result<Response, WebError> {
    actor.require(Permission::ListUsers)?;
    let id = UserId(id);
    let user = users::get(&state.store, id).await?;
    if !may_edit(&actor, &user) {
        return Err(WebError::Forbidden);
    }
    let draft = match check(&state, &actor, &input, false).await {
        Ok(d) => d,
        Err(errors) => return form(&state, &actor, page, Some(id), input, errors).await,
    };
    if id == actor.user_id && (!draft.active || (actor.is_admin() && draft.role != Role::Admin)) {
        // Locking oneself out of administration is never what was meant.
        let errors = FieldErrors::single("role", "cannot_demote_self");
        return form(&state, &actor, page, Some(id), input, errors).await;
    }
    match users::update(&state.store, &AuditActor::from(&actor), id, draft).await {
        Ok(_) => Ok(Redirect::to("/staf/pengguna?ok=user_saved").into_response()),
        Err(StorageError::Invalid(errors)) => {
            form(&state, &actor, page, Some(id), input, errors).await
        }
        Err(e) => Err(e.into()),
    }
}
