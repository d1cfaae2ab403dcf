//! Staff pages for units (perangkat daerah): list, create, edit. Only admins change them.

use crate::csrf::CsrfForm;
use crate::session::{Staff, StaffPage};
use crate::view::{form_page, form_status, render, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use kotapintar_domain::ids::UnitId;
use kotapintar_domain::policy::Permission;
use kotapintar_domain::unit::{Unit, UnitInput, UnitKind};
use kotapintar_domain::FieldErrors;
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::{units, StorageError};

#[derive(Template)]
#[template(path = "staff/units.html")]
struct ListTemplate {
    page: Page,
    units: Vec<Unit>,
}

#[derive(Template)]
#[template(path = "staff/unit_form.html")]
struct FormTemplate {
    page: Page,
    /// `None` for a new unit.
    id: Option<UnitId>,
    input: UnitInput,
    errors: FieldErrors,
    kinds: [UnitKind; 7],
    parents: Vec<Unit>,
}

pub async fn list(
    State(state): State<AppState>,
    Staff(_): Staff,
    page: Page,
) -> Result<Response, WebError> {
    let units = units::list(&state.store).await?;
    Ok(render(&ListTemplate { page, units })?.into_response())
}

async fn form(
    state: &AppState,
    page: Page,
    id: Option<UnitId>,
    input: UnitInput,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let parents = units::list(&state.store)
        .await?
        .into_iter()
        .filter(|u| Some(u.id) != id)
        .collect();
    form_page(
        form_status(&errors),
        &FormTemplate {
            page,
            id,
            input,
            errors,
            kinds: UnitKind::ALL,
            parents,
        },
    )
}

pub async fn new_form(StaffPage { state, actor, page }: StaffPage) -> Result<Response, WebError> {
    actor.require(Permission::ManageUnits)?;
    let input = UnitInput {
        active: Some("on".into()),
        ..Default::default()
    };
    form(&state, page, None, input, FieldErrors::new()).await
}

pub async fn create(
    StaffPage { state, actor, page }: StaffPage,
    CsrfForm(input): CsrfForm<UnitInput>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageUnits)?;
    let draft = match input.parse() {
        Ok(d) => d,
        Err(errors) => return form(&state, page, None, input, errors).await,
    };
    match units::create(&state.store, &AuditActor::from(&actor), draft).await {
        Ok(_) => Ok(Redirect::to("/staf/unit?ok=unit_saved").into_response()),
        Err(StorageError::Invalid(errors)) => form(&state, page, None, input, errors).await,
        Err(e) => Err(e.into()),
    }
}

fn input_of(u: &Unit, parent_code: String) -> UnitInput {
    UnitInput {
        code: u.code.to_string(),
        name: u.name.clone(),
        kind: u.kind.as_str().into(),
        parent_code,
        head_name: u.head_name.clone().unwrap_or_default(),
        address: u.address.clone().unwrap_or_default(),
        phone: u.phone.clone().unwrap_or_default(),
        email: u.email.clone().unwrap_or_default(),
        website: u.website.clone().unwrap_or_default(),
        opening_hours: u.opening_hours.clone().unwrap_or_default(),
        active: u.active.then(|| "on".into()),
    }
}

pub async fn edit_form(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageUnits)?;
    let unit = units::get(&state.store, UnitId(id)).await?;
    let parent_code = match unit.parent_id {
        Some(p) => units::get(&state.store, p).await?.code.to_string(),
        None => String::new(),
    };
    let input = input_of(&unit, parent_code);
    form(&state, page, Some(unit.id), input, FieldErrors::new()).await
}

pub async fn update(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
    CsrfForm(input): CsrfForm<UnitInput>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageUnits)?;
    let id = UnitId(id);
    let draft = match input.parse() {
        Ok(d) => d,
        Err(errors) => return form(&state, page, Some(id), input, errors).await,
    };
    match units::update(&state.store, &AuditActor::from(&actor), id, draft).await {
        Ok(_) => Ok(Redirect::to("/staf/unit?ok=unit_saved").into_response()),
        Err(StorageError::Invalid(errors)) => form(&state, page, Some(id), input, errors).await,
        Err(e) => Err(e.into()),
    }
}
