//! `/staf/rute/aturan`: Kominfo's routing rules, in the order intake tries them, each with how
//! many requests it routed in the last 90 days; a "which unit would get this?" form (the desk
//! and the leadership may use it too); adding and editing rules (Kominfo only, audited).

use crate::csrf::CsrfForm;
use crate::session::StaffPage;
use crate::view::{form_page, form_status, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use kotapintar_domain::policy::Permission;
use kotapintar_domain::request::RequestKind;
use kotapintar_domain::routing::rules::{Matches, Rule, RuleForm, Subject};
use kotapintar_domain::unit::Unit;
use kotapintar_domain::FieldErrors;
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::regions::{self, Area};
use kotapintar_storage::routing_rules::{self, Listed};
use kotapintar_storage::{services, units, StorageError};
use serde::Deserialize;

/// The window the rules' use is counted over.
pub const USE_DAYS: i64 = 90;

/// The rule form as posted (and shown again with its problems).
#[derive(Deserialize, Default, Clone)]
pub struct RuleInput {
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub service_id: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub district_code: String,
    #[serde(default)]
    pub village_code: String,
    #[serde(default)]
    pub unit_id: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub active: Option<String>,
}

impl RuleInput {
    fn form(&self) -> RuleForm<'_> {
        RuleForm {
            position: &self.position,
            service: &self.service_id,
            kind: &self.kind,
            district: &self.district_code,
            village: &self.village_code,
            unit: &self.unit_id,
            note: &self.note,
            active: self.active.is_some(),
        }
    }

    fn of(r: &Rule) -> Self {
        let (service_id, kind) = match r.matches {
            Matches::Service(s) => (s.to_string(), String::new()),
            Matches::Kind(k) => (String::new(), k.as_str().to_string()),
        };
        let area = r.area.as_ref().map(|a| a.to_string()).unwrap_or_default();
        let (district_code, village_code) = match r.area.as_ref().map(|a| a.level()) {
            Some(kotapintar_domain::region::RegionLevel::Village) => (
                r.area
                    .as_ref()
                    .and_then(|a| a.parent())
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                area,
            ),
            _ => (area, String::new()),
        };
        Self {
            position: r.position.to_string(),
            service_id,
            kind,
            district_code,
            village_code,
            unit_id: r.unit.0.to_string(),
            note: r.note.clone().unwrap_or_default(),
            active: r.active.then(|| "on".into()),
        }
    }

    fn is_active(&self) -> bool {
        self.active.is_some()
    }
}

/// The "which unit would get this?" question, asked with GET (it changes nothing).
#[derive(Deserialize, Default, Clone)]
pub struct TestQuery {
    #[serde(default)]
    pub uji: Option<String>,
    #[serde(default)]
    pub layanan: String,
    #[serde(default)]
    pub jenis: String,
    #[serde(default)]
    pub kecamatan: String,
    #[serde(default)]
    pub desa: String,
}

/// The answer to the question: the rule and its unit, or none (the desk decides).
pub struct TestAnswer {
    pub rule: Option<(i64, String)>,
}

/// What the rule form offers to choose from.
pub struct Choices {
    pub services: Vec<(i64, String)>,
    pub kinds: Vec<RequestKind>,
    pub districts: Vec<Area>,
    pub units: Vec<Unit>,
}

async fn choices(state: &AppState) -> Result<Choices, WebError> {
    Ok(Choices {
        services: services::list(&state.store, true)
            .await?
            .into_iter()
            .map(|s| (s.id, s.draft.name))
            .collect(),
        kinds: RequestKind::ALL.to_vec(),
        districts: regions::children(&state.store, &state.config.regency).await?,
        units: units::list(&state.store)
            .await?
            .into_iter()
            .filter(|u| u.active)
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "staff/routing_rules.html")]
struct ListTemplate {
    page: Page,
    rules: Vec<Listed>,
    can_manage: bool,
    choices: Choices,
    input: RuleInput,
    errors: FieldErrors,
    test: TestQuery,
    test_errors: FieldErrors,
    answer: Option<TestAnswer>,
    days: i64,
}

impl ListTemplate {
    fn kind_label(&self, r: &Listed) -> String {
        match r.rule.matches {
            Matches::Kind(k) => self.page.tk("kind", k.as_str()).to_string(),
            Matches::Service(_) => r.service_name.clone().unwrap_or_default(),
        }
    }
}

/// Asks the rules which unit would get a request with the tester's answers.
async fn answer(
    state: &AppState,
    q: &TestQuery,
) -> Result<(Option<TestAnswer>, FieldErrors), WebError> {
    if q.uji.is_none() {
        return Ok((None, FieldErrors::new()));
    }
    let mut e = FieldErrors::new();
    let service = match q.layanan.trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(id) => match services::get(&state.store, id).await {
                Ok(s) => Some(s),
                Err(StorageError::NotFound) => {
                    e.add("layanan", "unknown_service");
                    None
                }
                Err(other) => return Err(other.into()),
            },
            Err(_) => {
                e.add("layanan", "invalid_choice");
                None
            }
        },
    };
    // a service has a kind; without one, the kind chosen (a complaint unless said)
    let kind = match (&service, q.jenis.trim()) {
        (Some(s), _) => Some(s.draft.kind),
        (None, "") => Some(RequestKind::Pengaduan),
        (None, raw) => e.check("jenis", RequestKind::parse(raw)),
    };
    let area = |raw: &str, field: &str, e: &mut FieldErrors| match raw.trim() {
        "" => None,
        raw => e.check(field, kotapintar_domain::region::RegionCode::parse(raw)),
    };
    let district = area(&q.kecamatan, "kecamatan", &mut e);
    let village = area(&q.desa, "desa", &mut e);
    let Some(kind) = kind.filter(|_| e.is_empty()) else {
        return Ok((None, e));
    };
    let subject = Subject {
        service: service.as_ref().map(|s| s.id),
        kind,
        district: district.as_ref().map(|d| d.as_str()),
        village: village.as_ref().map(|v| v.as_str()),
    };
    let rule = routing_rules::which(&state.store, &subject)
        .await?
        .map(|(r, unit)| (r.id, unit));
    Ok((Some(TestAnswer { rule }), e))
}

async fn list_page(
    state: &AppState,
    page: Page,
    can_manage: bool,
    input: RuleInput,
    errors: FieldErrors,
    test: TestQuery,
) -> Result<Response, WebError> {
    let since = Utc::now() - Duration::days(USE_DAYS);
    let (answer, test_errors) = answer(state, &test).await?;
    let status = form_status(&errors);
    form_page(
        status,
        &ListTemplate {
            page,
            rules: routing_rules::list(&state.store, since).await?,
            can_manage,
            choices: choices(state).await?,
            input,
            errors,
            test,
            test_errors,
            answer,
            days: USE_DAYS,
        },
    )
}

pub async fn list(
    StaffPage { state, actor, page }: StaffPage,
    Query(test): Query<TestQuery>,
) -> Result<Response, WebError> {
    actor.require(Permission::ViewRouting)?;
    let input = RuleInput {
        active: Some("on".into()),
        ..RuleInput::default()
    };
    let can_manage = actor.can(Permission::ManageRouting);
    list_page(&state, page, can_manage, input, FieldErrors::new(), test).await
}

/// The parsed form, or the errors the domain or the database found in it.
fn saved<T>(r: Result<T, StorageError>) -> Result<Result<T, FieldErrors>, WebError> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(StorageError::Invalid(e)) => Ok(Err(e)),
        Err(other) => Err(other.into()),
    }
}

pub async fn create(
    StaffPage { state, actor, page }: StaffPage,
    CsrfForm(input): CsrfForm<RuleInput>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageRouting)?;
    let result = match input.form().parse() {
        Ok(draft) => saved(
            routing_rules::create(
                &state.store,
                &AuditActor::from(&actor),
                &state.config.regency,
                draft,
            )
            .await,
        )?,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/staf/rute/aturan?ok=rule_saved").into_response()),
        Err(e) => list_page(&state, page, true, input, e, TestQuery::default()).await,
    }
}

#[derive(Template)]
#[template(path = "staff/routing_rule_form.html")]
struct EditTemplate {
    page: Page,
    id: i64,
    choices: Choices,
    input: RuleInput,
    errors: FieldErrors,
}

pub async fn edit_form(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageRouting)?;
    let rule = routing_rules::get(&state.store, id).await?;
    form_page(
        axum::http::StatusCode::OK,
        &EditTemplate {
            page,
            id,
            choices: choices(&state).await?,
            input: RuleInput::of(&rule),
            errors: FieldErrors::new(),
        },
    )
}

pub async fn update(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
    CsrfForm(input): CsrfForm<RuleInput>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageRouting)?;
    // an unknown rule is "not found" before any check of the form
    routing_rules::get(&state.store, id).await?;
    let result = match input.form().parse() {
        Ok(draft) => saved(
            routing_rules::update(
                &state.store,
                &AuditActor::from(&actor),
                &state.config.regency,
                id,
                draft,
            )
            .await,
        )?,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/staf/rute/aturan?ok=rule_saved").into_response()),
        Err(errors) => form_page(
            form_status(&errors),
            &EditTemplate {
                page,
                id,
                choices: choices(&state).await?,
                input,
                errors,
            },
        ),
    }
}
