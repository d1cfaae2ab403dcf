//! The service catalogue: public (`/layanan`) and its editing by unit admins, the holiday
//! calendar, and the satisfaction index (IKM) per unit.

use crate::csrf::CsrfForm;
use crate::session::{Staff, StaffPage};
use crate::view::{form_page, form_status, render, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use kotapintar_domain::ids::UnitId;
use kotapintar_domain::ikm::{self, IkmResult, Unsur, WeightMode};
use kotapintar_domain::policy::{Actor, Permission};
use kotapintar_domain::request::RequestKind;
use kotapintar_domain::service::{questions_to_text, Service, ServiceInput};
use kotapintar_domain::unit::Unit;
use kotapintar_domain::working_days::Holiday;
use kotapintar_domain::FieldErrors;
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::{holidays, performance, services, units, StorageError};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Template)]
#[template(path = "layanan.html")]
struct PublicCatalog {
    page: Page,
    groups: Vec<(String, Vec<Service>)>,
}

pub async fn public_catalog(
    State(state): State<AppState>,
    page: Page,
) -> Result<Response, WebError> {
    let mut groups: BTreeMap<String, Vec<Service>> = BTreeMap::new();
    for s in services::list(&state.store, true).await? {
        groups
            .entry(s.draft.group_name.clone().unwrap_or_default())
            .or_default()
            .push(s);
    }
    render(&PublicCatalog {
        page,
        groups: groups.into_iter().collect(),
    })
    .map(IntoResponse::into_response)
}

#[derive(Template)]
#[template(path = "staff/services.html")]
struct ListTemplate {
    page: Page,
    services: Vec<Service>,
}

fn manageable_units(actor: &Actor, all: Vec<Unit>) -> Vec<Unit> {
    all.into_iter()
        .filter(|u| actor.can(Permission::ManageServices { unit: u.id }))
        .collect()
}

pub async fn list(StaffPage { state, actor, page }: StaffPage) -> Result<Response, WebError> {
    let units = manageable_units(&actor, units::list(&state.store).await?);
    if units.is_empty() {
        return Err(WebError::Forbidden);
    }
    let services = services::list(&state.store, false)
        .await?
        .into_iter()
        .filter(|s| {
            actor.can(Permission::ManageServices {
                unit: UnitId(s.unit_id),
            })
        })
        .collect();
    render(&ListTemplate { page, services }).map(IntoResponse::into_response)
}

#[derive(Template)]
#[template(path = "staff/service_form.html")]
struct FormTemplate {
    page: Page,
    id: Option<i64>,
    input: ServiceInput,
    errors: FieldErrors,
    questions_problem: String,
    kinds: [RequestKind; 4],
    units: Vec<Unit>,
    /// The validated-closure settings, for Kominfo on an existing service's page.
    closure: Option<kotapintar_storage::closure::ServiceClosure>,
}

async fn form(
    state: &AppState,
    actor: &Actor,
    page: Page,
    id: Option<i64>,
    input: ServiceInput,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let units = manageable_units(actor, units::list(&state.store).await?);
    if units.is_empty() {
        return Err(WebError::Forbidden);
    }
    let questions_problem = kotapintar_domain::service::parse_questions(&input.questions)
        .err()
        .unwrap_or_default();
    let closure = match id {
        Some(id) if actor.can(Permission::ManagePlatform) => {
            Some(kotapintar_storage::closure::of_service(&state.store.reader, id).await?)
        }
        _ => None,
    };
    form_page(
        form_status(&errors),
        &FormTemplate {
            page,
            id,
            input,
            errors,
            questions_problem,
            kinds: RequestKind::ALL,
            units,
            closure,
        },
    )
}

pub async fn new_form(StaffPage { state, actor, page }: StaffPage) -> Result<Response, WebError> {
    let input = ServiceInput {
        active: Some("on".into()),
        time_limit_days: "5".into(),
        ..Default::default()
    };
    form(&state, &actor, page, None, input, FieldErrors::new()).await
}

async fn save(
    state: &AppState,
    actor: &Actor,
    page: Page,
    id: Option<i64>,
    input: ServiceInput,
) -> Result<Response, WebError> {
    let draft = match input.parse() {
        Ok(d) => d,
        Err(e) => return form(state, actor, page, id, input, e).await,
    };
    let unit = match services::resolve_unit(&state.store, &draft).await {
        Ok(u) => u,
        Err(StorageError::Invalid(e)) => return form(state, actor, page, id, input, e).await,
        Err(e) => return Err(e.into()),
    };
    if !actor.can(Permission::ManageServices { unit: UnitId(unit) }) {
        return form(
            state,
            actor,
            page,
            id,
            input,
            FieldErrors::single("unit_code", "not_permitted_for_role"),
        )
        .await;
    }
    let who = AuditActor::from(actor);
    let result = match id {
        None => services::create(&state.store, &who, draft).await,
        Some(id) => {
            let current = services::get(&state.store, id).await?;
            actor.require(Permission::ManageServices {
                unit: UnitId(current.unit_id),
            })?;
            services::update(&state.store, &who, id, draft).await
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to("/staf/layanan?ok=service_saved").into_response()),
        Err(StorageError::Invalid(e)) => form(state, actor, page, id, input, e).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn create(
    StaffPage { state, actor, page }: StaffPage,
    CsrfForm(input): CsrfForm<ServiceInput>,
) -> Result<Response, WebError> {
    save(&state, &actor, page, None, input).await
}

pub async fn edit_form(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let s = services::get(&state.store, id).await?;
    actor.require(Permission::ManageServices {
        unit: UnitId(s.unit_id),
    })?;
    let d = &s.draft;
    let input = ServiceInput {
        unit_code: d.unit_code.clone(),
        code: d.code.clone(),
        name: d.name.clone(),
        kind: d.kind.as_str().into(),
        group_name: d.group_name.clone().unwrap_or_default(),
        keywords: d.keywords.clone().unwrap_or_default(),
        description: d.description.clone().unwrap_or_default(),
        requirements: d.requirements.clone().unwrap_or_default(),
        procedure: d.procedure.clone().unwrap_or_default(),
        time_limit_days: d.time_limit_days.to_string(),
        cost: d.cost.clone().unwrap_or_default(),
        product: d.product.clone().unwrap_or_default(),
        complaint_handling: d.complaint_handling.clone().unwrap_or_default(),
        legal_basis: d.legal_basis.clone().unwrap_or_default(),
        questions: questions_to_text(&d.questions),
        active: d.active.then(|| "on".into()),
    };
    form(&state, &actor, page, Some(id), input, FieldErrors::new()).await
}

pub async fn update(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
    CsrfForm(input): CsrfForm<ServiceInput>,
) -> Result<Response, WebError> {
    // another unit's service is refused before its form is checked, as its page is
    let current = services::get(&state.store, id).await?;
    actor.require(Permission::ManageServices {
        unit: UnitId(current.unit_id),
    })?;
    save(&state, &actor, page, Some(id), input).await
}

/// The validated-closure form: two check boxes.
#[derive(Deserialize, Default)]
pub struct ClosureForm {
    #[serde(default)]
    validate: Option<String>,
    #[serde(default)]
    photos_required: Option<String>,
}

/// Kominfo sets whether the service's resolutions are validated by the desk before the
/// reporter confirms, and whether photos of the result are required (issue 21).
pub async fn closure_update(
    StaffPage { state, actor, .. }: StaffPage,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<ClosureForm>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManagePlatform)?;
    // an unknown service is a 404, not a row pointing nowhere
    services::get(&state.store, id).await?;
    let to = kotapintar_storage::closure::ServiceClosure {
        validate: form.validate.is_some(),
        photos_required: form.photos_required.is_some(),
    };
    kotapintar_storage::closure::set(&state.store, &AuditActor::from(&actor), id, to).await?;
    Ok(Redirect::to(&format!("/staf/layanan/{id}?ok=closure_saved")).into_response())
}

// --- holidays -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff/holidays.html")]
struct HolidaysTemplate {
    page: Page,
    days: Vec<holidays::Entry>,
    errors: FieldErrors,
    input: HolidayForm,
    year: i32,
}

#[derive(Deserialize, Default, Clone)]
pub struct HolidayForm {
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub name_id: String,
    #[serde(default)]
    pub name_en: String,
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    tahun: Option<i32>,
}

async fn holidays_page(
    state: &AppState,
    page: Page,
    year: i32,
    input: HolidayForm,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let days = holidays::list(&state.store)
        .await?
        .into_iter()
        .filter(|h| h.day.date.year() == year)
        .collect();
    let status = form_status(&errors);
    Ok((
        status,
        render(&HolidaysTemplate {
            page,
            days,
            errors,
            input,
            year,
        })?,
    )
        .into_response())
}

pub async fn holidays_list(
    StaffPage { state, actor, page }: StaffPage,
    Query(q): Query<YearQuery>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManagePlatform)?;
    let year = q.tahun.unwrap_or_else(|| Utc::now().year());
    holidays_page(
        &state,
        page,
        year,
        HolidayForm::default(),
        FieldErrors::new(),
    )
    .await
}

pub async fn holidays_add(
    StaffPage { state, actor, page }: StaffPage,
    CsrfForm(f): CsrfForm<HolidayForm>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManagePlatform)?;
    let mut e = FieldErrors::new();
    let date = NaiveDate::parse_from_str(f.date.trim(), "%Y-%m-%d").ok();
    if date.is_none() {
        e.add(
            "date",
            if f.date.trim().is_empty() {
                "required"
            } else {
                "invalid_date"
            },
        );
    }
    let name_id = e.check(
        "name_id",
        kotapintar_domain::validation::required_text(&f.name_id, 200),
    );
    let name_en = kotapintar_domain::validation::optional_text(&f.name_en, 200)
        .ok()
        .flatten();
    let (Some(date), Some(name_id)) = (date, name_id) else {
        let year = Utc::now().year();
        return holidays_page(&state, page, year, f, e).await;
    };
    let day = Holiday {
        date,
        name_en: name_en.unwrap_or_else(|| name_id.clone()),
        name_id,
    };
    holidays::upsert(&state.store, &AuditActor::from(&actor), &[day], "local").await?;
    state.forget_calendar();
    Ok(Redirect::to(&format!(
        "/staf/libur?tahun={}&ok=holiday_saved",
        date.year()
    ))
    .into_response())
}

pub async fn holidays_remove(
    State(state): State<AppState>,
    Staff(actor): Staff,
    CsrfForm(f): CsrfForm<HolidayForm>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManagePlatform)?;
    let date = NaiveDate::parse_from_str(f.date.trim(), "%Y-%m-%d")
        .map_err(|_| WebError::BadRequest("date".into()))?;
    holidays::remove(&state.store, &AuditActor::from(&actor), date).await?;
    state.forget_calendar();
    Ok(Redirect::to(&format!(
        "/staf/libur?tahun={}&ok=holiday_removed",
        date.year()
    ))
    .into_response())
}

// --- IKM ----------------------------------------------------------------------------------

pub struct IkmRow {
    pub unit: String,
    pub result: Option<IkmResult>,
}

#[derive(Template)]
#[template(path = "staff/ikm.html")]
struct IkmTemplate {
    page: Page,
    rows: Vec<IkmRow>,
    year: i32,
    unsur: Vec<Unsur>,
}

pub async fn ikm_page(
    StaffPage { state, actor, page }: StaffPage,
    Query(q): Query<YearQuery>,
) -> Result<Response, WebError> {
    actor.require(Permission::ViewSatisfaction)?;
    let year = q.tahun.unwrap_or_else(|| Utc::now().year());
    let offset = state.config.rules.utc_offset;
    let start = offset
        .with_ymd_and_hms(year, 1, 1, 0, 0, 0)
        .single()
        .map(|t| t.with_timezone(&Utc));
    let end = offset
        .with_ymd_and_hms(year + 1, 1, 1, 0, 0, 0)
        .single()
        .map(|t| t.with_timezone(&Utc));
    let mut rows = Vec::new();
    for u in units::list(&state.store).await? {
        let surveys = performance::survey_responses(&state.store, Some(u.id.0), start, end).await?;
        if surveys.is_empty() {
            continue;
        }
        rows.push(IkmRow {
            unit: u.name,
            result: ikm::compute(surveys.iter(), WeightMode::Exact),
        });
    }
    render(&IkmTemplate {
        page,
        rows,
        year,
        unsur: Unsur::ALL.to_vec(),
    })
    .map(IntoResponse::into_response)
}

// --- response templates ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff/templates.html")]
struct TemplatesTemplate {
    page: Page,
    templates: Vec<(String, String)>,
    units: Vec<Unit>,
    errors: FieldErrors,
    input: TemplateForm,
}

#[derive(Deserialize, Default, Clone)]
pub struct TemplateForm {
    #[serde(default)]
    pub unit_code: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
}

async fn templates_page(
    state: &AppState,
    actor: &Actor,
    page: Page,
    input: TemplateForm,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let units = manageable_units(actor, units::list(&state.store).await?);
    if units.is_empty() {
        return Err(WebError::Forbidden);
    }
    let ids: Vec<UnitId> = units.iter().map(|u| u.id).collect();
    let templates = kotapintar_storage::templates::for_units(&state.store, &ids).await?;
    let status = form_status(&errors);
    Ok((
        status,
        render(&TemplatesTemplate {
            page,
            templates,
            units,
            errors,
            input,
        })?,
    )
        .into_response())
}

pub async fn templates_list(
    StaffPage { state, actor, page }: StaffPage,
) -> Result<Response, WebError> {
    templates_page(
        &state,
        &actor,
        page,
        TemplateForm::default(),
        FieldErrors::new(),
    )
    .await
}

/// Unit admins add templates for their unit; admins may also add shared ones (no unit).
pub async fn templates_add(
    StaffPage { state, actor, page }: StaffPage,
    CsrfForm(f): CsrfForm<TemplateForm>,
) -> Result<Response, WebError> {
    let mut e = FieldErrors::new();
    let title = e.check(
        "title",
        kotapintar_domain::validation::required_text(&f.title, 200),
    );
    let body = e.check(
        "body",
        kotapintar_domain::validation::required_text(&f.body, 4000),
    );
    let unit = match f.unit_code.trim() {
        "" if actor.is_admin() => None,
        "" => {
            e.add("unit_code", "required");
            None
        }
        code => match units::find_by_code(&state.store.reader, code).await? {
            Some(u) if actor.can(Permission::ManageServices { unit: u.id }) => Some(u.id),
            Some(_) => {
                e.add("unit_code", "not_permitted_for_role");
                None
            }
            None => {
                e.add("unit_code", "unknown_unit");
                None
            }
        },
    };
    let (Some(title), Some(body)) = (title, body) else {
        return templates_page(&state, &actor, page, f, e).await;
    };
    if !e.is_empty() {
        return templates_page(&state, &actor, page, f, e).await;
    }
    kotapintar_storage::templates::create(
        &state.store,
        &AuditActor::from(&actor),
        unit,
        &title,
        &body,
    )
    .await?;
    Ok(Redirect::to("/staf/templat?ok=template_saved").into_response())
}

// --- integration clients -------------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff/clients.html")]
struct ClientsTemplate {
    page: Page,
    clients: Vec<kotapintar_storage::clients::ClientInfo>,
    units: Vec<Unit>,
    errors: FieldErrors,
    input: ClientForm,
    /// A token just issued: shown this once.
    issued: Option<(String, String)>,
    scopes: &'static [&'static str],
}

impl ClientsTemplate {
    pub fn scope_checked(&self, scope: &str) -> bool {
        self.input.scopes.iter().any(|s| s == scope)
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct ClientForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub unit_code: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub rate_limit: String,
}

async fn clients_page(
    state: &AppState,
    page: Page,
    input: ClientForm,
    errors: FieldErrors,
    issued: Option<(String, String)>,
) -> Result<Response, WebError> {
    let status = form_status(&errors);
    let body = render(&ClientsTemplate {
        page,
        clients: kotapintar_storage::clients::list(&state.store).await?,
        units: units::list(&state.store).await?,
        errors,
        input,
        issued,
        scopes: &kotapintar_domain::client::SCOPES,
    })?;
    Ok(secret_page(status, body))
}

/// A page with a secret on it (a token, a signing key) must not be cached anywhere.
fn secret_page(status: axum::http::StatusCode, body: axum::response::Html<String>) -> Response {
    (
        status,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        body,
    )
        .into_response()
}

pub async fn clients_list(
    StaffPage { state, actor, page }: StaffPage,
) -> Result<Response, WebError> {
    actor.require(Permission::ManagePlatform)?;
    clients_page(
        &state,
        page,
        ClientForm {
            rate_limit: "600".into(),
            ..Default::default()
        },
        FieldErrors::new(),
        None,
    )
    .await
}

/// The form posts `scopes` once per ticked box; serde_urlencoded wants them gathered.
fn client_form(fields: &[(String, String)]) -> ClientForm {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    ClientForm {
        name: get("name"),
        unit_code: get("unit_code"),
        scopes: fields
            .iter()
            .filter(|(k, _)| k == "scopes")
            .map(|(_, v)| v.clone())
            .collect(),
        rate_limit: get("rate_limit_per_minute"),
    }
}

pub async fn clients_create(
    StaffPage { state, actor, page }: StaffPage,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManagePlatform)?;
    let f = client_form(&fields);
    let rate = f.rate_limit.trim().parse::<i32>().unwrap_or(0);
    match kotapintar_storage::clients::create(
        &state.store,
        &AuditActor::from(&actor),
        &f.name,
        &f.unit_code,
        &f.scopes.join(" "),
        rate,
    )
    .await
    {
        Ok(issued) => {
            let shown = Some((issued.client.name.clone(), issued.token));
            clients_page(
                &state,
                page,
                ClientForm {
                    rate_limit: "600".into(),
                    ..Default::default()
                },
                FieldErrors::new(),
                shown,
            )
            .await
        }
        Err(StorageError::Invalid(e)) => clients_page(&state, page, f, e, None).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ClientAction {
    id: i64,
}

pub async fn clients_rotate(
    StaffPage { state, actor, page }: StaffPage,
    CsrfForm(f): CsrfForm<ClientAction>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManagePlatform)?;
    let issued =
        kotapintar_storage::clients::rotate(&state.store, &AuditActor::from(&actor), f.id).await?;
    clients_page(
        &state,
        page,
        ClientForm {
            rate_limit: "600".into(),
            ..Default::default()
        },
        FieldErrors::new(),
        Some((issued.client.name, issued.token)),
    )
    .await
}

pub async fn clients_revoke(
    State(state): State<AppState>,
    Staff(actor): Staff,
    CsrfForm(f): CsrfForm<ClientAction>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManagePlatform)?;
    kotapintar_storage::clients::revoke(&state.store, &AuditActor::from(&actor), f.id).await?;
    Ok(Redirect::to("/staf/klien?ok=client_revoked").into_response())
}

pub struct SubscriptionView {
    pub sub: kotapintar_storage::webhooks::Subscription,
    pub deliveries: Vec<kotapintar_storage::webhooks::Delivery>,
}

#[derive(Template)]
#[template(path = "staff/client.html")]
struct ClientTemplate {
    page: Page,
    info: kotapintar_storage::clients::ClientInfo,
    subs: Vec<SubscriptionView>,
    kinds: Vec<&'static str>,
    errors: FieldErrors,
    url: String,
    secret: Option<String>,
    calls: Vec<kotapintar_storage::clients::Call>,
}

async fn client_page(
    state: &AppState,
    page: Page,
    id: i64,
    errors: FieldErrors,
    url: String,
    secret: Option<String>,
) -> Result<Response, WebError> {
    let info = kotapintar_storage::clients::get(&state.store, id).await?;
    let mut subs = Vec::new();
    for sub in kotapintar_storage::webhooks::for_client(&state.store, id).await? {
        let deliveries = kotapintar_storage::webhooks::log(&state.store, sub.id, 20).await?;
        subs.push(SubscriptionView { sub, deliveries });
    }
    let status = form_status(&errors);
    let calls = kotapintar_storage::clients::calls(&state.store, id, 20).await?;
    let body = render(&ClientTemplate {
        page,
        info,
        subs,
        kinds: kotapintar_storage::webhooks::EVENT_KINDS.to_vec(),
        errors,
        url,
        secret,
        calls,
    })?;
    Ok(secret_page(status, body))
}

pub async fn client_detail(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManagePlatform)?;
    client_page(&state, page, id, FieldErrors::new(), String::new(), None).await
}

pub async fn client_subscribe(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManagePlatform)?;
    let url = fields
        .iter()
        .find(|(k, _)| k == "url")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let types: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "event_types")
        .map(|(_, v)| v.clone())
        .collect();
    let info = kotapintar_storage::clients::get(&state.store, id).await?;
    let subscribed =
        match crate::webhook_target::check(&url, state.config.webhook_allow_private).await {
            Ok(()) => {
                kotapintar_storage::webhooks::subscribe_by_admin(
                    &state.store,
                    &AuditActor::from(&actor),
                    &info.client,
                    &url,
                    &types,
                )
                .await
            }
            Err(e) => Err(e),
        };
    match subscribed {
        Ok((_, secret)) => {
            client_page(
                &state,
                page,
                id,
                FieldErrors::new(),
                String::new(),
                Some(secret),
            )
            .await
        }
        Err(StorageError::Invalid(e)) => client_page(&state, page, id, e, url, None).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ReplayForm {
    delivery: i64,
}

pub async fn delivery_replay(
    State(state): State<AppState>,
    Staff(actor): Staff,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ReplayForm>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManagePlatform)?;
    kotapintar_storage::webhooks::replay(&state.store, &AuditActor::from(&actor), f.delivery)
        .await?;
    Ok(Redirect::to(&format!("/staf/klien/{id}?ok=delivery_replayed")).into_response())
}

// --- application registry -------------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff/applications.html")]
struct ApplicationsTemplate {
    page: Page,
    apps: Vec<kotapintar_storage::applications::Entry>,
    units: Vec<Unit>,
    clients: Vec<kotapintar_storage::clients::ClientInfo>,
    statuses: [&'static str; 3],
    errors: FieldErrors,
    input: AppForm,
}

#[derive(Deserialize, Default, Clone)]
pub struct AppForm {
    #[serde(default)]
    pub unit_code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub client_id: String,
}

async fn applications_page(
    state: &AppState,
    page: Page,
    input: AppForm,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    form_page(
        form_status(&errors),
        &ApplicationsTemplate {
            page,
            apps: kotapintar_storage::applications::list(&state.store).await?,
            units: units::list(&state.store).await?,
            clients: kotapintar_storage::clients::list(&state.store).await?,
            statuses: kotapintar_storage::applications::STATUSES,
            errors,
            input,
        },
    )
}

/// Kominfo's view of every unit application: which are integrated, and how they are doing.
pub async fn applications_list(
    StaffPage { state, actor, page }: StaffPage,
) -> Result<Response, WebError> {
    actor.require(Permission::ViewRegistry)?;
    applications_page(
        &state,
        page,
        AppForm {
            status: "not_integrated".into(),
            ..Default::default()
        },
        FieldErrors::new(),
    )
    .await
}

pub async fn applications_add(
    StaffPage { state, actor, page }: StaffPage,
    CsrfForm(f): CsrfForm<AppForm>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManagePlatform)?;
    let client_id = f.client_id.trim().parse::<i64>().ok();
    let new = kotapintar_storage::applications::NewApplication {
        unit_code: &f.unit_code,
        name: &f.name,
        purpose: &f.purpose,
        url: &f.url,
        owner: &f.owner,
        status: &f.status,
        client_id,
    };
    match kotapintar_storage::applications::create(&state.store, &AuditActor::from(&actor), new)
        .await
    {
        Ok(_) => Ok(Redirect::to("/staf/aplikasi?ok=application_saved").into_response()),
        Err(StorageError::Invalid(e)) => applications_page(&state, page, f, e).await,
        Err(e) => Err(e.into()),
    }
}
