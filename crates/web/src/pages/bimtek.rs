//! Bimtek (technical training): events, invitations, registration of staff, check-in at the
//! venue (typed code, or the phone's camera where the browser can read QR codes), materials,
//! the participants' evaluation, certificates, and the public verification page.

use crate::charts;
use crate::csrf::CsrfForm;
use crate::i18n::Lang;
use crate::session::StaffPage;
use crate::view::{form_page, form_status, render, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use kotapintar_domain::ids::UnitId;
use kotapintar_domain::policy::{Actor, Permission};
use kotapintar_domain::training::{EvaluationInput, EventInput, MaterialInput};
use kotapintar_domain::FieldErrors;
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::training::{self, Event, EventDetail, Registration, UnitTraining};
use kotapintar_storage::{applications, units, StorageError};
use serde::Deserialize;

fn local_input(t: chrono::DateTime<chrono::Utc>, state: &AppState) -> String {
    t.with_timezone(&state.config.rules.utc_offset)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

// --- the list and one's own trainings -------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff/bimtek.html")]
struct ListTemplate {
    page: Page,
    events: Vec<Event>,
    mine: Vec<(Event, Registration, String)>,
    manage: bool,
    view_units: bool,
    /// An evaluation sent back: for which registration, what was typed, what is wrong.
    eval_for: Option<i64>,
    eval: EvaluationInput,
    eval_errors: FieldErrors,
}

impl ListTemplate {
    fn failed_for(&self, id: impl crate::view::Val<i64>) -> bool {
        self.eval_for == Some(id.val())
    }

    fn typed(&self, q: &str) -> &str {
        match q {
            "content" => &self.eval.content,
            "trainer" => &self.eval.trainer,
            "usefulness" => &self.eval.usefulness,
            _ => &self.eval.comment,
        }
    }
}

pub async fn list(StaffPage { state, actor, page }: StaffPage) -> Result<Response, WebError> {
    list_page(&state, &actor, page, None).await
}

async fn list_page(
    state: &AppState,
    actor: &Actor,
    page: Page,
    eval: Option<(i64, EvaluationInput, FieldErrors)>,
) -> Result<Response, WebError> {
    let events = training::list(&state.store).await?;
    let qr_label = crate::i18n::t(page.lang, "bimtek.qr_label");
    let mine = training::mine(&state.store, actor.user_id.0)
        .await?
        .into_iter()
        .map(|(e, r)| {
            let svg = charts::qr(&r.checkin_code, &format!("{qr_label} {}", r.checkin_code));
            (e, r, svg)
        })
        .collect();
    let (eval_for, eval, eval_errors) = match eval {
        Some((id, input, e)) => (Some(id), input, e),
        None => (None, EvaluationInput::default(), FieldErrors::new()),
    };
    let status = form_status(&eval_errors);
    form_page(
        status,
        &ListTemplate {
            page,
            events,
            mine,
            manage: actor.can(Permission::ManageTraining),
            view_units: actor.can(Permission::ViewTraining),
            eval_for,
            eval,
            eval_errors,
        },
    )
}

// --- events: new and edit ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff/bimtek_form.html")]
struct FormTemplate {
    page: Page,
    id: Option<i64>,
    input: EventInput,
    errors: FieldErrors,
    apps: Vec<applications::Entry>,
}

async fn event_form(
    state: &AppState,
    page: Page,
    id: Option<i64>,
    input: EventInput,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    form_page(
        form_status(&errors),
        &FormTemplate {
            page,
            id,
            input,
            errors,
            apps: applications::list(&state.store).await?,
        },
    )
}

pub async fn new_form(StaffPage { state, actor, page }: StaffPage) -> Result<Response, WebError> {
    actor.require(Permission::ManageTraining)?;
    let input = EventInput {
        capacity: "30".into(),
        ..Default::default()
    };
    event_form(&state, page, None, input, FieldErrors::new()).await
}

pub async fn create(
    StaffPage { state, actor, page }: StaffPage,
    CsrfForm(input): CsrfForm<EventInput>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageTraining)?;
    let draft = match input.parse(state.config.rules.utc_offset) {
        Ok(d) => d,
        Err(e) => return event_form(&state, page, None, input, e).await,
    };
    match training::create(&state.store, &AuditActor::from(&actor), draft).await {
        Ok(id) => {
            Ok(Redirect::to(&format!("/staf/bimtek/{id}?ok=bimtek.event_saved")).into_response())
        }
        Err(StorageError::Invalid(e)) => event_form(&state, page, None, input, e).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_form(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageTraining)?;
    let e = training::get(&state.store, id).await?.event;
    let input = EventInput {
        title: e.title,
        topic: e.topic.unwrap_or_default(),
        application_id: e.application_id.map(|a| a.to_string()).unwrap_or_default(),
        starts_at: local_input(e.starts_at, &state),
        ends_at: local_input(e.ends_at, &state),
        place: e.place,
        trainers: e.trainers,
        capacity: e.capacity.to_string(),
    };
    event_form(&state, page, Some(id), input, FieldErrors::new()).await
}

pub async fn update(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
    CsrfForm(input): CsrfForm<EventInput>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageTraining)?;
    let draft = match input.parse(state.config.rules.utc_offset) {
        Ok(d) => d,
        Err(e) => return event_form(&state, page, Some(id), input, e).await,
    };
    match training::update(&state.store, &AuditActor::from(&actor), id, draft).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/staf/bimtek/{id}?ok=bimtek.event_saved")).into_response())
        }
        Err(StorageError::Invalid(e)) => event_form(&state, page, Some(id), input, e).await,
        Err(e) => Err(e.into()),
    }
}

// --- one event --------------------------------------------------------------------------------------

/// Which form on the event page was sent back.
#[derive(Default)]
struct Forms {
    invite_unit: String,
    invite_errors: FieldErrors,
    register_user: String,
    register_errors: FieldErrors,
    material: MaterialInput,
    material_errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "staff/bimtek_event.html")]
struct EventTemplate {
    page: Page,
    d: EventDetail,
    manage: bool,
    /// Staff the actor may register: (user id + unit id as `u:unit`, name, unit name).
    registrable: Vec<(String, String, String)>,
    /// Units not yet invited (for the invite form).
    uninvited: Vec<(String, String)>,
    /// Whether the actor sees participants' check-in codes (trainers, and unit admins for
    /// their own staff).
    f: Forms,
    evaluation: Vec<(&'static str, String)>,
}

fn units_for(actor: &Actor, invited: &[i64]) -> Vec<i64> {
    invited
        .iter()
        .copied()
        .filter(|u| actor.can(Permission::RegisterTrainees { unit: UnitId(*u) }))
        .collect()
}

async fn event_page(
    state: &AppState,
    actor: &Actor,
    page: Page,
    id: i64,
    f: Forms,
) -> Result<Response, WebError> {
    let d = training::get(&state.store, id).await?;
    let manage = actor.can(Permission::ManageTraining);
    let invited: Vec<i64> = d.invited.iter().map(|(u, ..)| *u).collect();
    let mine = units_for(actor, &invited);
    let all_units = units::list(&state.store).await?;
    let registrable = training::staff_of(&state.store, &mine)
        .await?
        .into_iter()
        .filter(|(user, _, _)| !d.registrations.iter().any(|r| r.user_id == *user))
        .map(|(user, name, unit)| {
            let unit_name = all_units
                .iter()
                .find(|u| u.id.0 == unit)
                .map(|u| u.name.clone())
                .unwrap_or_default();
            (format!("{user}:{unit}"), name, unit_name)
        })
        .collect();
    let uninvited = all_units
        .iter()
        .filter(|u| u.active && !invited.contains(&u.id.0))
        .map(|u| (u.code.to_string(), u.name.clone()))
        .collect();
    // a unit admin sees the registrations (and codes) of their own staff only
    let mut d = d;
    if !manage {
        d.registrations.retain(|r| {
            actor.can(Permission::RegisterTrainees {
                unit: UnitId(r.unit_id),
            })
        });
    }
    let evaluation = match d.evaluation {
        Some((means, _)) => ["content", "trainer", "usefulness"]
            .into_iter()
            .zip(means)
            .map(|(q, m)| (q, kotapintar_domain::masterplan::Centi(m).to_string()))
            .collect(),
        None => Vec::new(),
    };
    let failed = !(f.invite_errors.is_empty()
        && f.register_errors.is_empty()
        && f.material_errors.is_empty());
    let status = if failed {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    form_page(
        status,
        &EventTemplate {
            page,
            d,
            manage,
            registrable,
            uninvited,
            f,
            evaluation,
        },
    )
}

pub async fn detail(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    event_page(&state, &actor, page, id, Forms::default()).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    pub unit_code: String,
}

pub async fn invite(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageTraining)?;
    let result = if form.unit_code.trim().is_empty() {
        Err(StorageError::field("unit_code", "required"))
    } else {
        training::invite(&state.store, &AuditActor::from(&actor), id, &form.unit_code).await
    };
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/staf/bimtek/{id}?ok=bimtek.unit_invited")).into_response())
        }
        Err(StorageError::Invalid(e)) => {
            let f = Forms {
                invite_unit: form.unit_code,
                invite_errors: e,
                ..Default::default()
            };
            event_page(&state, &actor, page, id, f).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    /// `user:unit`
    pub participant: String,
}

pub async fn register(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<RegisterForm>,
) -> Result<Response, WebError> {
    let parsed = form
        .participant
        .split_once(':')
        .and_then(|(u, n)| Some((u.trim().parse::<i64>().ok()?, n.trim().parse::<i64>().ok()?)));
    let result = match parsed {
        None => Err(StorageError::field(
            "participant",
            if form.participant.trim().is_empty() {
                "required"
            } else {
                "invalid_choice"
            },
        )),
        Some((user, unit)) => {
            actor.require(Permission::RegisterTrainees { unit: UnitId(unit) })?;
            training::register(&state.store, &AuditActor::from(&actor), id, unit, user)
                .await
                .map(|_| ())
        }
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!(
            "/staf/bimtek/{id}?ok=bimtek.participant_registered"
        ))
        .into_response()),
        Err(StorageError::Invalid(e)) => {
            // storage names the field user_id; the form's is participant
            let e = FieldErrors(
                e.0.into_iter()
                    .map(|mut x| {
                        x.field = "participant".into();
                        x
                    })
                    .collect(),
            );
            let f = Forms {
                register_user: form.participant,
                register_errors: e,
                ..Default::default()
            };
            event_page(&state, &actor, page, id, f).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn add_material(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
    CsrfForm(input): CsrfForm<MaterialInput>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageTraining)?;
    match input.parse() {
        Ok((title, url)) => {
            training::add_material(&state.store, &AuditActor::from(&actor), id, title, url).await?;
            Ok(
                Redirect::to(&format!("/staf/bimtek/{id}?ok=bimtek.material_saved"))
                    .into_response(),
            )
        }
        Err(e) => {
            let f = Forms {
                material: input,
                material_errors: e,
                ..Default::default()
            };
            event_page(&state, &actor, page, id, f).await
        }
    }
}

// --- check-in at the venue ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff/bimtek_checkin.html")]
struct CheckinTemplate {
    page: Page,
    event: Event,
    code: String,
    errors: FieldErrors,
    done: Option<training::CheckedIn>,
}

async fn checkin_page(
    state: &AppState,
    page: Page,
    id: i64,
    code: String,
    errors: FieldErrors,
    done: Option<training::CheckedIn>,
) -> Result<Response, WebError> {
    let event = training::get(&state.store, id).await?.event;
    form_page(
        form_status(&errors),
        &CheckinTemplate {
            page,
            event,
            code,
            errors,
            done,
        },
    )
}

pub async fn checkin_form(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageTraining)?;
    checkin_page(&state, page, id, String::new(), FieldErrors::new(), None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CheckinForm {
    pub code: String,
}

pub async fn checkin(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<CheckinForm>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageTraining)?;
    match training::check_in(
        &state.store,
        &AuditActor::from(&actor),
        id,
        &form.code,
        chrono::Utc::now(),
    )
    .await
    {
        // the form comes back empty, ready for the next participant
        Ok(done) => {
            checkin_page(
                &state,
                page,
                id,
                String::new(),
                FieldErrors::new(),
                Some(done),
            )
            .await
        }
        Err(StorageError::Invalid(e)) => checkin_page(&state, page, id, form.code, e, None).await,
        Err(e) => Err(e.into()),
    }
}

// --- the participant's evaluation ----------------------------------------------------------------------

pub async fn evaluate(
    StaffPage { state, actor, page }: StaffPage,
    Path(registration): Path<i64>,
    CsrfForm(input): CsrfForm<EvaluationInput>,
) -> Result<Response, WebError> {
    match training::evaluate(
        &state.store,
        &AuditActor::from(&actor),
        actor.user_id.0,
        registration,
        &input,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/staf/bimtek?ok=bimtek.evaluation_saved").into_response()),
        Err(StorageError::Invalid(e)) => {
            list_page(&state, &actor, page, Some((registration, input, e))).await
        }
        Err(e) => Err(e.into()),
    }
}

// --- per unit ----------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff/bimtek_units.html")]
struct UnitsTemplate {
    page: Page,
    rows: Vec<UnitTraining>,
}

pub async fn per_unit(StaffPage { state, actor, page }: StaffPage) -> Result<Response, WebError> {
    actor.require(Permission::ViewTraining)?;
    let only: Option<Vec<i64>> = actor
        .training_units()
        .map(|units| units.into_iter().map(|u| u.0).collect());
    let rows = training::per_unit(&state.store, only.as_deref()).await?;
    Ok(render(&UnitsTemplate { page, rows })?.into_response())
}

// --- certificates ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "sertifikat.html")]
struct CertificateTemplate {
    page: Page,
    cert: Option<training::Certificate>,
    code: String,
    not_found: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LookupQuery {
    pub kode: String,
}

/// `/sertifikat?kode=...`: the lookup form, or a redirect to the certificate's page.
pub async fn lookup(page: Page, Query(q): Query<LookupQuery>) -> Result<Response, WebError> {
    if q.kode.trim().is_empty() {
        return Ok(render(&CertificateTemplate {
            page,
            cert: None,
            code: String::new(),
            not_found: false,
        })?
        .into_response());
    }
    let code = kotapintar_domain::training::normalise_certificate_code(&q.kode)
        .unwrap_or_else(|| q.kode.trim().to_string());
    let target = format!(
        "/sertifikat/{}",
        serde_urlencoded::to_string([("", code.as_str())])
            .unwrap_or_default()
            .trim_start_matches('=')
    );
    Ok(Redirect::to(&target).into_response())
}

/// The public verification page. It shows the minimum that makes a certificate checkable,
/// the participant's name as printed included (see ARCHITECTURE.md); it is not indexed.
pub async fn verify(
    State(state): State<AppState>,
    page: Page,
    Path(code): Path<String>,
) -> Result<Response, WebError> {
    let (cert, not_found) = match training::certificate(&state.store, &code).await {
        Ok(c) => (Some(c), false),
        Err(StorageError::NotFound) => (None, true),
        Err(e) => return Err(e.into()),
    };
    let status = if not_found {
        axum::http::StatusCode::NOT_FOUND
    } else {
        axum::http::StatusCode::OK
    };
    let body = render(&CertificateTemplate {
        page,
        cert,
        code,
        not_found,
    })?;
    Ok((
        status,
        [
            (header::HeaderName::from_static("x-robots-tag"), "noindex"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

pub async fn certificate_pdf(
    State(state): State<AppState>,
    lang: Lang,
    Path(code): Path<String>,
) -> Result<Response, WebError> {
    let cert = training::certificate(&state.store, &code).await?;
    let base = state.config.rules.public_url.trim_end_matches('/');
    let verify_url = format!("{base}/sertifikat/{}", cert.code);
    let regency = state.regency_name().await;
    let bytes = crate::report::certificate_pdf(
        &cert,
        lang,
        state.config.rules.utc_offset,
        &verify_url,
        &regency,
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"sertifikat-{}.pdf\"", cert.code),
            ),
            (
                header::HeaderName::from_static("x-robots-tag"),
                "noindex".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}
