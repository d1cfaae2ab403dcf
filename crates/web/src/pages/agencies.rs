//! `/staf/instansi-luar`: the outside agencies Kominfo keeps, where the desk refers a request
//! that is not the regency's authority ("bukan wewenang"). Added and edited with an audit
//! entry; deactivated (unticked), never deleted, so a referred request keeps its agency.

use crate::csrf::CsrfForm;
use crate::session::StaffPage;
use crate::view::{form_page, form_status, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kotapintar_domain::agency::{AgencyInput, AgencyKind};
use kotapintar_domain::policy::Permission;
use kotapintar_domain::FieldErrors;
use kotapintar_storage::agencies::{self, Agency};
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::StorageError;

#[derive(Template)]
#[template(path = "staff/agencies.html")]
struct ListTemplate {
    page: Page,
    agencies: Vec<Agency>,
    kinds: [AgencyKind; 6],
    input: AgencyInput,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "staff/agency_form.html")]
struct EditTemplate {
    page: Page,
    id: i64,
    kinds: [AgencyKind; 6],
    input: AgencyInput,
    errors: FieldErrors,
}

fn input_of(a: &Agency) -> AgencyInput {
    AgencyInput {
        name: a.name.clone(),
        kind: a.kind.as_str().into(),
        email: a.email.clone().unwrap_or_default(),
        phone: a.phone.clone().unwrap_or_default(),
        website: a.website.clone().unwrap_or_default(),
        active: a.active.then(|| "on".into()),
    }
}

async fn list_page(
    state: &AppState,
    page: Page,
    input: AgencyInput,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    form_page(
        form_status(&errors),
        &ListTemplate {
            page,
            agencies: agencies::all(&state.store.reader).await?,
            kinds: AgencyKind::ALL,
            input,
            errors,
        },
    )
}

pub async fn list(StaffPage { state, actor, page }: StaffPage) -> Result<Response, WebError> {
    actor.require(Permission::ManageAgencies)?;
    let input = AgencyInput {
        active: Some("on".into()),
        ..AgencyInput::default()
    };
    list_page(&state, page, input, FieldErrors::new()).await
}

/// A storage answer: field problems go back to the form, anything else is an error page.
fn saved<T>(r: Result<T, StorageError>) -> Result<Result<T, FieldErrors>, WebError> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(StorageError::Invalid(e)) => Ok(Err(e)),
        Err(other) => Err(other.into()),
    }
}

pub async fn create(
    StaffPage { state, actor, page }: StaffPage,
    CsrfForm(input): CsrfForm<AgencyInput>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageAgencies)?;
    let result = match input.parse() {
        Ok(draft) => saved(agencies::create(&state.store, &AuditActor::from(&actor), draft).await)?,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/staf/instansi-luar?ok=agency_saved").into_response()),
        Err(e) => list_page(&state, page, input, e).await,
    }
}

pub async fn edit_form(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageAgencies)?;
    let agency = agencies::get(&state.store.reader, id).await?;
    form_page(
        StatusCode::OK,
        &EditTemplate {
            page,
            id,
            kinds: AgencyKind::ALL,
            input: input_of(&agency),
            errors: FieldErrors::new(),
        },
    )
}

pub async fn update(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
    CsrfForm(input): CsrfForm<AgencyInput>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageAgencies)?;
    // an unknown agency is "not found" before any check of the form
    agencies::get(&state.store.reader, id).await?;
    let result = match input.parse() {
        Ok(draft) => {
            saved(agencies::update(&state.store, &AuditActor::from(&actor), id, draft).await)?
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/staf/instansi-luar?ok=agency_saved").into_response()),
        Err(errors) => form_page(
            form_status(&errors),
            &EditTemplate {
                page,
                id,
                kinds: AgencyKind::ALL,
                input,
                errors,
            },
        ),
    }
}
