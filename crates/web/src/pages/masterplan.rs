//! The smart-city masterplan: public pages (`/masterplan`, a programme, the progress report
//! as a page, PDF and spreadsheet) and the staff pages that keep it (programmes, indicators
//! and their values, progress updates, the dimensions, readiness assessments).

use crate::charts::{self, Group};
use crate::csrf::{CsrfForm, CsrfMultipart};
use crate::i18n::Lang;
use crate::session::StaffPage;
use crate::view::{form_page, form_status, render, Page, Val};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use kotapintar_domain::ids::UnitId;
use kotapintar_domain::masterplan::{
    format_budgets, format_rupiah, parse_date, parse_period, parse_readiness, Centi, Horizon,
    IndicatorInput, ProgrammeInput, ProgrammeStatus, TaxonInput, UpdateInput, ValueInput,
    ValueKind, READINESS,
};
use kotapintar_domain::policy::{Actor, Permission};
use kotapintar_domain::validation::optional_text;
use kotapintar_domain::FieldErrors;
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::masterplan::{
    self as mp, Assessment, Dimension, EvidenceFile, Indicator, Programme,
};
use kotapintar_storage::{applications, units, StorageError};
use serde::Deserialize;
use std::collections::HashMap;

impl Val<i64> for i64 {
    fn val(&self) -> i64 {
        *self
    }
}

impl Val<Option<Centi>> for Option<Centi> {
    fn val(&self) -> Option<Centi> {
        *self
    }
}

/// Formatting helpers the masterplan templates call.
pub struct Fmt {
    lang: Lang,
}

impl Fmt {
    pub fn rupiah(&self, a: impl Val<i64>) -> String {
        format_rupiah(a.val())
    }

    pub fn value(&self, ind: &Indicator, v: impl Val<Option<Centi>>) -> String {
        crate::report::shown(ind, v.val(), self.lang)
    }

    pub fn baseline(&self, ind: &Indicator) -> String {
        crate::report::shown(ind, Some(ind.baseline), self.lang)
    }

    pub fn aspect(&self, a: &Assessment, aspect: &str) -> Centi {
        match aspect {
            "structure" => a.structure,
            "infrastructure" => a.infrastructure,
            _ => a.superstructure,
        }
    }

    pub fn date(&self, d: &NaiveDate) -> String {
        crate::report::date(*d)
    }

    /// An indicator's targets and actuals per year as a chart.
    pub fn chart(&self, ind: &Indicator) -> String {
        let groups: Vec<Group> = ind
            .values
            .iter()
            .map(|v| Group {
                label: v.year.to_string(),
                values: [v.target.map(|c| c.as_f64()), v.actual.map(|c| c.as_f64())],
            })
            .collect();
        let t = |k| crate::i18n::t(self.lang, k);
        charts::bars(
            &groups,
            &format!("{}: {}", t("masterplan.chart_of"), ind.name),
            [t("masterplan.target"), t("masterplan.actual")],
        )
    }

    /// The readiness history: overall and per aspect, one group per assessment.
    pub fn readiness_chart(&self, history: &[Assessment]) -> String {
        let groups: Vec<Group> = history
            .iter()
            .map(|a| Group {
                label: a.assessed_on.format("%m/%Y").to_string(),
                values: [None, Some(a.overall.as_f64())],
            })
            .collect();
        let t = |k| crate::i18n::t(self.lang, k);
        charts::bars(
            &groups,
            t("masterplan.readiness_chart"),
            ["", t("masterplan.overall")],
        )
    }

    pub fn dim_name<'a>(&self, d: &'a Dimension) -> &'a str {
        if self.lang == Lang::En {
            &d.name_en
        } else {
            &d.name
        }
    }

    pub fn el_name<'a>(&self, e: &'a mp::Element) -> &'a str {
        if self.lang == Lang::En {
            &e.name_en
        } else {
            &e.name
        }
    }

    pub fn score(&self, a: &Assessment, item: &str) -> String {
        a.items
            .iter()
            .find(|(k, _)| k == item)
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(|| "-".into())
    }

    /// Change of the overall score against the assessment before (`+0.33`).
    pub fn delta(&self, history: &[Assessment], i: &usize) -> String {
        if *i == 0 {
            return String::new();
        }
        let d = history[*i].overall.0 - history[*i - 1].overall.0;
        format!("{}{}", if d >= 0 { "+" } else { "" }, Centi(d))
    }
}

fn fmt(page: &Page) -> Fmt {
    Fmt { lang: page.lang }
}

fn today(state: &AppState) -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&state.config.rules.utc_offset)
        .date_naive()
}

fn group_by_dimension(
    dims: Vec<Dimension>,
    programmes: Vec<Programme>,
) -> Vec<(Dimension, Vec<Programme>)> {
    dims.into_iter()
        .map(|d| {
            let ps = programmes
                .iter()
                .filter(|p| p.dimension.id == d.id)
                .cloned()
                .collect();
            (d, ps)
        })
        .collect()
}

// --- public ----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "masterplan.html")]
struct PublicTemplate {
    page: Page,
    fmt: Fmt,
    sections: Vec<(Dimension, Vec<Programme>)>,
    history: Vec<Assessment>,
    from: String,
    to: String,
}

pub async fn public_index(State(state): State<AppState>, page: Page) -> Result<Response, WebError> {
    let sections = group_by_dimension(
        mp::dimensions(&state.store).await?,
        mp::list(&state.store).await?,
    );
    let history = mp::assessments(&state.store).await?;
    let t = today(&state);
    let (from, to) = parse_period("", "", t).unwrap_or((t, t));
    Ok(render(&PublicTemplate {
        fmt: fmt(&page),
        page,
        sections,
        history,
        from: from.to_string(),
        to: to.to_string(),
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "masterplan_programme.html")]
struct PublicProgrammeTemplate {
    page: Page,
    fmt: Fmt,
    /// One programme; a list so that the templates it includes see it as a local `p`.
    progs: Vec<Programme>,
}

pub async fn public_programme(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let p = mp::get(&state.store, id).await?;
    Ok(render(&PublicProgrammeTemplate {
        fmt: fmt(&page),
        page,
        progs: vec![p],
    })?
    .into_response())
}

/// An evidence file, served as an attachment (never rendered inline from our origin, nor
/// sniffed into something else), by its random stored name.
pub async fn evidence(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    let (name, ctype, path) = mp::evidence_file(&state.store, &state.config.uploads, &key).await?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| WebError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, ctype),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PeriodQuery {
    pub dari: String,
    pub sampai: String,
}

/// A programme and its updates inside the report's period.
type ProgrammeChanges = (Programme, Vec<mp::Update>);

#[derive(Template)]
#[template(path = "masterplan_report.html")]
struct ReportTemplate {
    page: Page,
    fmt: Fmt,
    report: mp::Report,
    sections: Vec<(Dimension, Vec<ProgrammeChanges>)>,
    query: String,
    late: Vec<(i64, String, String)>,
}

async fn load_report(state: &AppState, q: &PeriodQuery) -> Result<mp::Report, WebError> {
    let (from, to) = parse_period(&q.dari, &q.sampai, today(state))
        .map_err(|e| WebError::BadRequest(format!("period: {e}")))?;
    Ok(mp::report(&state.store, from, to).await?)
}

pub async fn report_page(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    let report = load_report(&state, &q).await?;
    let query = serde_urlencoded::to_string([
        ("dari", report.from.to_string()),
        ("sampai", report.to.to_string()),
    ])
    .unwrap_or_default();
    let late = report
        .late()
        .into_iter()
        .map(|p| (p.id, p.name.clone(), p.owner.name.clone()))
        .collect();
    let sections = report
        .sections
        .iter()
        .map(|s| {
            (
                s.dimension.clone(),
                s.programmes
                    .iter()
                    .map(|rp| (rp.programme.clone(), rp.changes.clone()))
                    .collect(),
            )
        })
        .collect();
    Ok(render(&ReportTemplate {
        fmt: fmt(&page),
        page,
        report,
        sections,
        query,
        late,
    })?
    .into_response())
}

fn file_name(r: &mp::Report, ext: &str) -> String {
    format!("laporan-masterplan-{}-{}.{ext}", r.from, r.to)
}

pub async fn report_pdf(
    State(state): State<AppState>,
    lang: Lang,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    let report = load_report(&state, &q).await?;
    let regency = state.regency_name().await;
    let bytes = crate::report::report_pdf(&report, lang, &regency);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{}\"", file_name(&report, "pdf")),
            ),
        ],
        bytes,
    )
        .into_response())
}

pub async fn report_xlsx(
    State(state): State<AppState>,
    lang: Lang,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    let report = load_report(&state, &q).await?;
    let bytes = crate::report::report_xlsx(&report, lang)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", file_name(&report, "xlsx")),
            ),
        ],
        bytes,
    )
        .into_response())
}

// --- staff: programmes ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff/masterplan.html")]
struct StaffListTemplate {
    page: Page,
    fmt: Fmt,
    sections: Vec<(Dimension, Vec<Programme>)>,
    manage: bool,
}

pub async fn staff_list(StaffPage { state, actor, page }: StaffPage) -> Result<Response, WebError> {
    let sections = group_by_dimension(
        mp::dimensions(&state.store).await?,
        mp::list(&state.store).await?,
    );
    Ok(render(&StaffListTemplate {
        fmt: fmt(&page),
        page,
        sections,
        manage: actor.can(Permission::ManageMasterplan),
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "staff/masterplan_form.html")]
struct FormTemplate {
    page: Page,
    fmt: Fmt,
    id: Option<i64>,
    input: ProgrammeInput,
    errors: FieldErrors,
    dims: Vec<Dimension>,
    units: Vec<kotapintar_domain::unit::Unit>,
    apps: Vec<applications::Entry>,
    horizons: [Horizon; 3],
    statuses: [ProgrammeStatus; 5],
}

impl FormTemplate {
    fn app_checked(&self, id: impl Val<i64>) -> bool {
        let id = id.val().to_string();
        self.input
            .application_ids
            .split(',')
            .any(|x| x.trim() == id)
    }
}

async fn programme_form(
    state: &AppState,
    page: Page,
    id: Option<i64>,
    input: ProgrammeInput,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    form_page(
        form_status(&errors),
        &FormTemplate {
            fmt: fmt(&page),
            page,
            id,
            input,
            errors,
            dims: mp::dimensions(&state.store).await?,
            units: units::list(&state.store).await?,
            apps: applications::list(&state.store).await?,
            horizons: Horizon::ALL,
            statuses: ProgrammeStatus::ALL,
        },
    )
}

pub async fn new_form(StaffPage { state, actor, page }: StaffPage) -> Result<Response, WebError> {
    actor.require(Permission::ManageMasterplan)?;
    use chrono::Datelike;
    let y = today(&state).year();
    let input = ProgrammeInput {
        start_year: y.to_string(),
        end_year: (y + 1).to_string(),
        status: "planned".into(),
        ..Default::default()
    };
    programme_form(&state, page, None, input, FieldErrors::new()).await
}

/// Partner codes and application ids may come as repeated fields (checkboxes).
fn programme_input(fields: Vec<(String, String)>) -> ProgrammeInput {
    let mut partners = Vec::new();
    let mut apps = Vec::new();
    let mut rest = Vec::new();
    for (k, v) in fields {
        match k.as_str() {
            "partner" => partners.push(v),
            "application" => apps.push(v),
            "_csrf" => {}
            _ => rest.push((k, v)),
        }
    }
    let mut input: ProgrammeInput =
        serde_urlencoded::from_str(&serde_urlencoded::to_string(&rest).unwrap_or_default())
            .unwrap_or_default();
    if !partners.is_empty() {
        input.partner_codes = partners.join(",");
    }
    if !apps.is_empty() {
        input.application_ids = apps.join(",");
    }
    input
}

pub async fn create(
    StaffPage { state, actor, page }: StaffPage,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageMasterplan)?;
    let input = programme_input(fields);
    let draft = match input.parse() {
        Ok(d) => d,
        Err(e) => return programme_form(&state, page, None, input, e).await,
    };
    match mp::create(&state.store, &AuditActor::from(&actor), draft).await {
        Ok(id) => Ok(Redirect::to(&format!(
            "/staf/masterplan/program/{id}?ok=masterplan.programme_saved"
        ))
        .into_response()),
        Err(StorageError::Invalid(e)) => programme_form(&state, page, None, input, e).await,
        Err(e) => Err(e.into()),
    }
}

fn input_of(p: &Programme) -> ProgrammeInput {
    ProgrammeInput {
        name: p.name.clone(),
        description: p.description.clone().unwrap_or_default(),
        element_id: p.element.id.to_string(),
        horizon: p.horizon.as_str().into(),
        owner_code: p.owner.code.clone(),
        partner_codes: p
            .partners
            .iter()
            .map(|u| u.code.clone())
            .collect::<Vec<_>>()
            .join(","),
        rpjmd_code: p.rpjmd_code.clone().unwrap_or_default(),
        start_year: p.start_year.to_string(),
        end_year: p.end_year.to_string(),
        budgets: format_budgets(&p.budgets),
        application_ids: p
            .applications
            .iter()
            .map(|(id, _)| id.to_string())
            .collect::<Vec<_>>()
            .join(","),
        status: p.status.as_str().into(),
    }
}

pub async fn edit_form(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageMasterplan)?;
    let p = mp::get(&state.store, id).await?;
    programme_form(&state, page, Some(id), input_of(&p), FieldErrors::new()).await
}

pub async fn update(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageMasterplan)?;
    let input = programme_input(fields);
    let draft = match input.parse() {
        Ok(d) => d,
        Err(e) => return programme_form(&state, page, Some(id), input, e).await,
    };
    match mp::update(&state.store, &AuditActor::from(&actor), id, draft).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/staf/masterplan/program/{id}?ok=masterplan.programme_saved"
        ))
        .into_response()),
        Err(StorageError::Invalid(e)) => programme_form(&state, page, Some(id), input, e).await,
        Err(e) => Err(e.into()),
    }
}

/// Which of the programme page's forms was sent back, with what was typed.
#[derive(Default)]
struct Forms {
    indicator: IndicatorInput,
    indicator_errors: FieldErrors,
    value_for: Option<i64>,
    value: ValueInput,
    value_errors: FieldErrors,
    update: UpdateInput,
    update_errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "staff/masterplan_programme.html")]
struct ProgrammeTemplate {
    page: Page,
    fmt: Fmt,
    /// One programme; a list so that the templates it includes see it as a local `p`.
    progs: Vec<Programme>,
    start_year: i32,
    end_year: i32,
    manage: bool,
    report: bool,
    f: Forms,
    kinds: [ValueKind; 4],
    statuses: [ProgrammeStatus; 5],
    today: String,
}

impl ProgrammeTemplate {
    fn typed_value(&self, field: &str) -> &str {
        match field {
            "year" => &self.f.value.year,
            "target" => &self.f.value.target,
            _ => &self.f.value.actual,
        }
    }

    /// The year a value form starts with: this year if the programme covers it.
    fn current_year(&self) -> i32 {
        let y: i32 = self
            .today
            .get(..4)
            .and_then(|s| s.parse().ok())
            .unwrap_or(self.start_year);
        y.clamp(self.start_year, self.end_year)
    }

    fn failed_for(&self, id: impl Val<i64>) -> bool {
        self.f.value_for == Some(id.val())
    }
}

fn may_report(actor: &Actor, p: &Programme) -> bool {
    actor.can(Permission::ReportProgramme {
        owner: UnitId(p.owner.id),
    })
}

async fn programme_page(
    state: &AppState,
    actor: &Actor,
    page: Page,
    id: i64,
    f: Forms,
) -> Result<Response, WebError> {
    let p = mp::get(&state.store, id).await?;
    let failed =
        !(f.indicator_errors.is_empty() && f.value_errors.is_empty() && f.update_errors.is_empty());
    let status = if failed {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    form_page(
        status,
        &ProgrammeTemplate {
            fmt: fmt(&page),
            page,
            manage: actor.can(Permission::ManageMasterplan),
            report: may_report(actor, &p),
            start_year: p.start_year,
            end_year: p.end_year,
            progs: vec![p],
            f,
            kinds: ValueKind::ALL,
            statuses: ProgrammeStatus::ALL,
            today: today(state).to_string(),
        },
    )
}

pub async fn staff_programme(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let f = Forms {
        indicator: IndicatorInput {
            kind: "count".into(),
            direction: "increase".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    programme_page(&state, &actor, page, id, f).await
}

pub async fn add_indicator(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
    CsrfForm(input): CsrfForm<IndicatorInput>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageMasterplan)?;
    let draft = match input.parse() {
        Ok(d) => d,
        Err(e) => {
            let f = Forms {
                indicator: input,
                indicator_errors: e,
                ..Default::default()
            };
            return programme_page(&state, &actor, page, id, f).await;
        }
    };
    mp::add_indicator(&state.store, &AuditActor::from(&actor), id, draft).await?;
    Ok(Redirect::to(&format!(
        "/staf/masterplan/program/{id}?ok=masterplan.indicator_saved"
    ))
    .into_response())
}

pub async fn set_values(
    StaffPage { state, actor, page }: StaffPage,
    Path(indicator): Path<i64>,
    CsrfForm(input): CsrfForm<ValueInput>,
) -> Result<Response, WebError> {
    let id = mp::programme_of_indicator(&state.store, indicator).await?;
    let owner = mp::owner_of(&state.store, id).await?;
    actor.require(Permission::ReportProgramme {
        owner: UnitId(owner),
    })?;
    match mp::set_values(&state.store, &AuditActor::from(&actor), indicator, &input).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/staf/masterplan/program/{id}?ok=masterplan.values_saved#ind-{indicator}"
        ))
        .into_response()),
        Err(StorageError::Invalid(e)) => {
            let f = Forms {
                value_for: Some(indicator),
                value: input,
                value_errors: e,
                ..Default::default()
            };
            programme_page(&state, &actor, page, id, f).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn add_update(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<i64>,
    form: CsrfMultipart,
) -> Result<Response, WebError> {
    let owner = mp::owner_of(&state.store, id).await?;
    actor.require(Permission::ReportProgramme {
        owner: UnitId(owner),
    })?;
    let input: UpdateInput = serde_urlencoded::from_str(&form.as_urlencoded()).unwrap_or_default();
    let back = |input: UpdateInput, e: FieldErrors| Forms {
        update: input,
        update_errors: e,
        ..Default::default()
    };
    let draft = match input.parse(today(&state)) {
        Ok(d) => d,
        Err(e) => return programme_page(&state, &actor, page, id, back(input, e)).await,
    };
    let files: Vec<EvidenceFile> = form
        .files
        .into_iter()
        .filter(|f| f.field == "files")
        .map(|f| EvidenceFile {
            file_name: f.file_name,
            bytes: f.bytes.to_vec(),
        })
        .collect();
    match mp::add_update(
        &state.store,
        &AuditActor::from(&actor),
        &state.config.uploads,
        id,
        draft,
        files,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/staf/masterplan/program/{id}?ok=masterplan.progress_saved"
        ))
        .into_response()),
        Err(StorageError::Invalid(e)) => {
            programme_page(&state, &actor, page, id, back(input, e)).await
        }
        Err(e) => Err(e.into()),
    }
}

// --- staff: the taxonomy ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff/masterplan_taxonomy.html")]
struct TaxonomyTemplate {
    page: Page,
    dims: Vec<Dimension>,
    input: TaxonInput,
    errors: FieldErrors,
}

async fn taxonomy_page(
    state: &AppState,
    page: Page,
    input: TaxonInput,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    form_page(
        form_status(&errors),
        &TaxonomyTemplate {
            page,
            dims: mp::dimensions(&state.store).await?,
            input,
            errors,
        },
    )
}

pub async fn taxonomy(StaffPage { state, actor, page }: StaffPage) -> Result<Response, WebError> {
    actor.require(Permission::ManageMasterplan)?;
    taxonomy_page(&state, page, TaxonInput::default(), FieldErrors::new()).await
}

pub async fn taxonomy_add(
    StaffPage { state, actor, page }: StaffPage,
    CsrfForm(input): CsrfForm<TaxonInput>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageMasterplan)?;
    let draft = match input.parse() {
        Ok(d) => d,
        Err(e) => return taxonomy_page(&state, page, input, e).await,
    };
    match mp::add_taxon(&state.store, &AuditActor::from(&actor), draft).await {
        Ok(_) => Ok(
            Redirect::to("/staf/masterplan/dimensi?ok=masterplan.taxonomy_saved").into_response(),
        ),
        Err(StorageError::Invalid(e)) => taxonomy_page(&state, page, input, e).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn taxonomy_update(
    StaffPage { state, actor, page }: StaffPage,
    Path((kind, id)): Path<(String, i64)>,
    CsrfForm(input): CsrfForm<TaxonInput>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageMasterplan)?;
    let element = match kind.as_str() {
        "elemen" => true,
        "dimensi" => false,
        _ => return Err(WebError::NotFound),
    };
    let draft = match input.parse() {
        Ok(d) => d,
        Err(e) => return taxonomy_page(&state, page, input, e).await,
    };
    match mp::update_taxon(&state.store, &AuditActor::from(&actor), element, id, draft).await {
        Ok(()) => Ok(
            Redirect::to("/staf/masterplan/dimensi?ok=masterplan.taxonomy_saved").into_response(),
        ),
        Err(StorageError::Invalid(e)) => taxonomy_page(&state, page, input, e).await,
        Err(e) => Err(e.into()),
    }
}

// --- staff: readiness ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff/readiness.html")]
struct ReadinessTemplate {
    page: Page,
    fmt: Fmt,
    history: Vec<Assessment>,
    aspects: [(&'static str, [&'static str; 3]); 3],
    input: HashMap<String, String>,
    errors: FieldErrors,
    manage: bool,
}

impl ReadinessTemplate {
    fn typed(&self, item: &str) -> &str {
        self.input.get(item).map(String::as_str).unwrap_or("")
    }
}

async fn readiness_page(
    state: &AppState,
    actor: &Actor,
    page: Page,
    input: HashMap<String, String>,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    form_page(
        form_status(&errors),
        &ReadinessTemplate {
            fmt: fmt(&page),
            page,
            history: mp::assessments(&state.store).await?,
            aspects: READINESS,
            input,
            errors,
            manage: actor.can(Permission::ManageMasterplan),
        },
    )
}

pub async fn readiness(StaffPage { state, actor, page }: StaffPage) -> Result<Response, WebError> {
    let mut input = HashMap::new();
    input.insert("assessed_on".to_string(), today(&state).to_string());
    readiness_page(&state, &actor, page, input, FieldErrors::new()).await
}

pub async fn readiness_add(
    StaffPage { state, actor, page }: StaffPage,
    CsrfForm(input): CsrfForm<HashMap<String, String>>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageMasterplan)?;
    let mut errors = FieldErrors::new();
    let date = errors.check(
        "assessed_on",
        parse_date(input.get("assessed_on").map(String::as_str).unwrap_or("")),
    );
    let notes = errors
        .check(
            "notes",
            optional_text(input.get("notes").map(String::as_str).unwrap_or(""), 4000),
        )
        .flatten();
    let items = match parse_readiness(&input) {
        Ok(i) => Some(i),
        Err(e) => {
            errors.0.extend(e.0);
            None
        }
    };
    let (Some(date), Some(items), true) = (date, items, errors.is_empty()) else {
        return readiness_page(&state, &actor, page, input, errors).await;
    };
    mp::add_assessment(&state.store, &AuditActor::from(&actor), date, notes, items).await?;
    Ok(Redirect::to("/staf/masterplan/kesiapan?ok=masterplan.readiness_saved").into_response())
}
