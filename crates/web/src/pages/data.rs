//! The open-data catalogue for people: `/data` (search and facets), `/data/{name}` (metadata,
//! a paged preview of tabular resources that needs no JavaScript, downloads, and the API calls
//! that fetch the same data), and the staff side `/staf/data` where units describe datasets
//! and attach resources and the walidata (Kominfo) approves them.
//! Who may do what: the policy (`Permission::{ProduceData, Walidata, DatasetStep}`).

use crate::csrf::{CsrfForm, CsrfMultipart};
use crate::opendata::{base, catalogue, download_url, table_of};
use crate::session::StaffPage;
use crate::view::{form_page, form_status, render, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use kotapintar_domain::content::{EditorialStatus, EditorialStep};
use kotapintar_domain::ids::{DatasetId, UnitId};
use kotapintar_domain::opendata::query::{Query as SolrQuery, Searchable};
use kotapintar_domain::opendata::table::{DatastoreQuery, Table};
use kotapintar_domain::opendata::{
    check_upload, download_name, DatasetInput, Frequency, Licence, LiveSource, ResourceFormat,
    Topic,
};
use kotapintar_domain::policy::{Actor, Permission};
use kotapintar_domain::unit::Unit;
use kotapintar_domain::FieldErrors;
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::opendata::{self, Dataset, NewResource, Resource, Source};
use kotapintar_storage::{units, StorageError};
use serde::Deserialize;
use std::collections::BTreeMap;

const PER_PAGE: usize = 20;
const PREVIEW_ROWS: usize = 25;

// ---------------------------------------------------------------------------------------------
// Public catalogue

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CatalogueQuery {
    q: String,
    unit: String,
    topik: String,
    format: String,
    tag: String,
    hal: usize,
}

/// A facet value: what it filters on, its label, how many datasets have it, and the address
/// that toggles it.
pub struct FacetItem {
    pub label: String,
    pub count: usize,
    pub href: String,
    pub selected: bool,
}

pub struct Facet {
    pub key: &'static str,
    pub items: Vec<FacetItem>,
}

pub struct ListedDataset {
    pub name: String,
    pub title: String,
    pub unit: String,
    pub topic: String,
    pub formats: Vec<String>,
    pub modified: chrono::DateTime<chrono::Utc>,
    pub excerpt: String,
}

#[derive(Template)]
#[template(path = "data/list.html")]
struct ListTemplate {
    page: Page,
    q: CatalogueQuery,
    total: usize,
    items: Vec<ListedDataset>,
    facets: Vec<Facet>,
    page_no: usize,
    pages: usize,
    filter_query: String,
}

fn formats_of(d: &Dataset) -> Vec<String> {
    let mut f: Vec<String> = d
        .resources
        .iter()
        .map(|r| r.offered_format().to_string())
        .collect();
    f.sort();
    f.dedup();
    f
}

struct Doc<'a>(&'a Dataset);

impl Searchable for Doc<'_> {
    fn values(&self, _field: &str) -> Vec<String> {
        Vec::new()
    }
    fn text(&self) -> String {
        let d = self.0;
        format!(
            "{} {} {} {} {}",
            d.title,
            d.notes,
            d.tags.join(" "),
            d.publisher.name,
            d.topic.title()
        )
        .to_lowercase()
    }
}

fn excerpt(s: &str) -> String {
    let plain = kotapintar_domain::markdown::plain_text(s);
    let mut out: String = plain.chars().take(220).collect();
    if plain.chars().count() > 220 {
        out.push('…');
    }
    out
}

fn query_string(q: &CatalogueQuery, overrides: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(&str, String)> = vec![
        ("q", q.q.clone()),
        ("unit", q.unit.clone()),
        ("topik", q.topik.clone()),
        ("format", q.format.clone()),
        ("tag", q.tag.clone()),
    ];
    for (k, v) in overrides {
        if let Some(p) = pairs.iter_mut().find(|(pk, _)| pk == k) {
            p.1 = v.to_string();
        }
    }
    pairs.retain(|(_, v)| !v.is_empty());
    serde_urlencoded::to_string(&pairs).unwrap_or_default()
}

pub async fn public_list(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<CatalogueQuery>,
) -> Result<Html<String>, WebError> {
    let cat = catalogue(&state).await?;
    // bare words, all required: the same rule as the CKAN API's `q`
    let words =
        SolrQuery::parse(&q.q.replace(['"', ':', '[', ']', '(', ')'], " ")).unwrap_or_default();
    let text_hits: Vec<&Dataset> = cat
        .datasets
        .iter()
        .filter(|d| words.matches(&Doc(d)))
        .collect();
    let keep = |d: &&Dataset, skip: &str| {
        (skip == "unit" || q.unit.is_empty() || d.publisher.slug == q.unit)
            && (skip == "topik" || q.topik.is_empty() || d.topic.as_str() == q.topik)
            && (skip == "format" || q.format.is_empty() || formats_of(d).contains(&q.format))
            && (skip == "tag" || q.tag.is_empty() || d.tags.contains(&q.tag))
    };
    // each facet counts over the other filters, so a chosen value can be widened again
    let facet =
        |key: &'static str, values: &dyn Fn(&Dataset) -> Vec<(String, String)>, current: &str| {
            let mut counts: BTreeMap<String, (String, usize)> = BTreeMap::new();
            for d in text_hits.iter().filter(|d| keep(d, key)) {
                for (v, label) in values(d) {
                    counts.entry(v).or_insert((label, 0)).1 += 1;
                }
            }
            let mut items: Vec<FacetItem> = counts
                .into_iter()
                .map(|(v, (label, count))| {
                    let selected = v == current;
                    let target = if selected { String::new() } else { v.clone() };
                    FacetItem {
                        label,
                        count,
                        href: format!("/data?{}", query_string(&q, &[(key, &target)])),
                        selected,
                    }
                })
                .collect();
            items.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
            items.truncate(15);
            Facet { key, items }
        };
    let facets = vec![
        facet(
            "unit",
            &|d| vec![(d.publisher.slug.clone(), d.publisher.name.clone())],
            &q.unit,
        ),
        facet(
            "topik",
            &|d| vec![(d.topic.as_str().into(), d.topic.title().into())],
            &q.topik,
        ),
        facet(
            "format",
            &|d| formats_of(d).into_iter().map(|f| (f.clone(), f)).collect(),
            &q.format,
        ),
        facet(
            "tag",
            &|d| d.tags.iter().map(|t| (t.clone(), t.clone())).collect(),
            &q.tag,
        ),
    ];
    let mut hits: Vec<&Dataset> = text_hits.into_iter().filter(|d| keep(d, "")).collect();
    hits.sort_by_key(|d| std::cmp::Reverse(d.modified()));
    let total = hits.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page_no = q.hal.min(pages - 1);
    let items = hits
        .into_iter()
        .skip(page_no * PER_PAGE)
        .take(PER_PAGE)
        .map(|d| ListedDataset {
            name: d.name.to_string(),
            title: d.title.clone(),
            unit: d.publisher.name.clone(),
            topic: d.topic.title().to_string(),
            formats: formats_of(d),
            modified: d.modified(),
            excerpt: excerpt(&d.notes),
        })
        .collect();
    let filter_query = query_string(&q, &[]);
    render(&ListTemplate {
        page,
        q,
        total,
        items,
        facets,
        page_no,
        pages,
        filter_query,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ItemQuery {
    sumber: String,
    hal: usize,
}

/// One page of a tabular preview.
pub struct Preview {
    pub resource: String,
    pub resource_name: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub total: usize,
    pub page_no: usize,
    pub pages: usize,
    pub first_row: usize,
}

pub struct ResourceView {
    pub uuid: String,
    pub name: String,
    pub description: String,
    pub format: String,
    pub size: String,
    pub url: String,
    pub tabular: bool,
    pub live: bool,
    pub api: String,
}

#[derive(Template)]
#[template(path = "data/item.html")]
struct ItemTemplate {
    page: Page,
    d: Dataset,
    base: String,
    notes_html: String,
    resources: Vec<ResourceView>,
    preview: Option<Preview>,
}

fn human_size(bytes: i64) -> String {
    let b = bytes as f64;
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    } else if b >= 1024.0 {
        format!("{:.0} KB", b / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

fn resource_view(b: &str, d: &Dataset, r: &Resource) -> ResourceView {
    let size = match &r.source {
        Source::Upload { bytes, .. } => human_size(*bytes),
        Source::Live(_) => String::new(),
    };
    ResourceView {
        uuid: r.uuid.clone(),
        name: r.name.clone(),
        description: r.description.clone(),
        format: r.offered_format().into(),
        size,
        url: download_url(b, d, r),
        tabular: r.is_tabular(),
        live: matches!(r.source, Source::Live(_)),
        api: format!(
            "{b}/api/3/action/datastore_search?resource_id={}&limit=5",
            r.uuid
        ),
    }
}

pub async fn public_item(
    State(state): State<AppState>,
    page: Page,
    Path(name): Path<String>,
    Query(q): Query<ItemQuery>,
) -> Result<Html<String>, WebError> {
    let cat = catalogue(&state).await?;
    let d = cat.dataset(&name).ok_or(WebError::NotFound)?.clone();
    let b = base(&state);
    let resources = d
        .resources
        .iter()
        .map(|r| resource_view(&b, &d, r))
        .collect();
    let chosen = d
        .resources
        .iter()
        .filter(|r| r.is_tabular())
        .find(|r| q.sumber.is_empty() || r.uuid == q.sumber);
    let preview = match chosen {
        Some(r) => match table_of(&state, r).await? {
            Some(t) => Some(preview_of(r, &t, q.hal)),
            None => None,
        },
        None => None,
    };
    let notes_html = kotapintar_domain::markdown::render(&d.notes);
    render(&ItemTemplate {
        page,
        d,
        base: b,
        notes_html,
        resources,
        preview,
    })
}

fn preview_of(r: &Resource, t: &Table, hal: usize) -> Preview {
    let total = t.rows.len();
    let pages = total.div_ceil(PREVIEW_ROWS).max(1);
    let page_no = hal.min(pages - 1);
    let sel = t
        .search(&DatastoreQuery {
            offset: page_no * PREVIEW_ROWS,
            limit: PREVIEW_ROWS,
            ..Default::default()
        })
        .map(|s| s.rows.into_iter().map(|(_, cells)| cells).collect())
        .unwrap_or_default();
    Preview {
        resource: r.uuid.clone(),
        resource_name: r.name.clone(),
        columns: std::iter::once("#".to_string())
            .chain(t.columns.iter().map(|c| c.name.clone()))
            .collect(),
        rows: sel,
        total,
        page_no,
        pages,
        first_row: page_no * PREVIEW_ROWS + 1,
    }
}

// ---------------------------------------------------------------------------------------------
// Staff: producers describe, the walidata approves

/// Units whose datasets this person may manage (all active units for Kominfo).
async fn manageable_units(state: &AppState, actor: &Actor) -> Result<Vec<Unit>, WebError> {
    Ok(units::list(&state.store)
        .await?
        .into_iter()
        .filter(|u| u.active && actor.can(Permission::ProduceData { unit: u.id }))
        .collect())
}

#[derive(Template)]
#[template(path = "staff/data_list.html")]
struct StaffListTemplate {
    page: Page,
    datasets: Vec<Dataset>,
    walidata: bool,
    can_create: bool,
}

pub async fn staff_list(
    StaffPage { state, actor, page }: StaffPage,
) -> Result<Html<String>, WebError> {
    let units = manageable_units(&state, &actor).await?;
    let walidata = actor.can(Permission::Walidata);
    if units.is_empty() && !walidata {
        return Err(WebError::Forbidden);
    }
    let ids: Vec<UnitId> = units.iter().map(|u| u.id).collect();
    let mut datasets =
        opendata::list_for_staff(&state.store, (!walidata).then_some(ids.as_slice())).await?;
    // what waits for the walidata comes first
    datasets.sort_by_key(|d| {
        (
            d.status != EditorialStatus::Review,
            std::cmp::Reverse(d.updated_at),
        )
    });
    render(&StaffListTemplate {
        page,
        datasets,
        walidata,
        can_create: !units.is_empty(),
    })
}

#[derive(Template)]
#[template(path = "staff/data_form.html")]
struct FormTemplate {
    page: Page,
    d: Option<Dataset>,
    input: DatasetInput,
    unit_id: i64,
    units: Vec<Unit>,
    errors: FieldErrors,
    steps: Vec<EditorialStep>,
    topics: Vec<Topic>,
    licences: Vec<Licence>,
    frequencies: Vec<Frequency>,
    live_sources: Vec<LiveSource>,
    resource_errors: FieldErrors,
    /// The CSV line a refused upload's problem is on.
    file_line: Option<u64>,
    resource_name: String,
    resource_description: String,
}

fn input_of(d: &Dataset) -> DatasetInput {
    DatasetInput {
        name: d.name.to_string(),
        title: d.title.clone(),
        notes: d.notes.clone(),
        tags: d.tags.join(", "),
        topic: d.topic.as_str().into(),
        licence: d.licence.id().into(),
        frequency: d.frequency.as_str().into(),
        temporal_start: d.temporal_start.map(|x| x.to_string()).unwrap_or_default(),
        temporal_end: d.temporal_end.map(|x| x.to_string()).unwrap_or_default(),
        spatial: d.spatial.clone(),
        contact_name: d.contact_name.clone(),
        contact_email: d.contact_email.clone(),
    }
}

struct FormState {
    input: DatasetInput,
    unit_id: i64,
    errors: FieldErrors,
    resource_errors: FieldErrors,
    file_line: Option<u64>,
    resource_name: String,
    resource_description: String,
}

async fn form(
    state: &AppState,
    page: Page,
    actor: &Actor,
    d: Option<Dataset>,
    f: FormState,
) -> Result<Response, WebError> {
    let units = manageable_units(state, actor).await?;
    let steps = match &d {
        Some(d) => [
            EditorialStep::Submit,
            EditorialStep::Publish,
            EditorialStep::Return,
            EditorialStep::Unpublish,
        ]
        .into_iter()
        .filter(|s| kotapintar_domain::content::next_status(d.status, *s).is_ok())
        .filter(|s| {
            actor.can(Permission::DatasetStep {
                unit: d.unit_id,
                step: *s,
            })
        })
        .collect(),
        None => Vec::new(),
    };
    let status = if f.errors.is_empty() {
        form_status(&f.resource_errors)
    } else {
        form_status(&f.errors)
    };
    form_page(
        status,
        &FormTemplate {
            page,
            d,
            input: f.input,
            unit_id: f.unit_id,
            units,
            errors: f.errors,
            steps,
            topics: Topic::ALL.to_vec(),
            licences: Licence::ALL.to_vec(),
            frequencies: Frequency::ALL.to_vec(),
            live_sources: LiveSource::ALL.to_vec(),
            resource_errors: f.resource_errors,
            file_line: f.file_line,
            resource_name: f.resource_name,
            resource_description: f.resource_description,
        },
    )
}

fn fresh(input: DatasetInput, unit_id: i64) -> FormState {
    FormState {
        input,
        unit_id,
        errors: FieldErrors::new(),
        resource_errors: FieldErrors::new(),
        file_line: None,
        resource_name: String::new(),
        resource_description: String::new(),
    }
}

pub async fn new_form(StaffPage { state, actor, page }: StaffPage) -> Result<Response, WebError> {
    let units = manageable_units(&state, &actor).await?;
    let first = units.first().ok_or(WebError::Forbidden)?;
    let input = DatasetInput {
        licence: Licence::CcBy.id().into(),
        frequency: Frequency::Annual.as_str().into(),
        topic: Topic::Pemerintahan.as_str().into(),
        spatial: state.regency_name().await,
        contact_name: first.name.clone(),
        contact_email: first.email.clone().unwrap_or_default(),
        ..Default::default()
    };
    form(&state, page, &actor, None, fresh(input, first.id.0)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DatasetForm {
    unit_id: i64,
    #[serde(flatten)]
    input: DatasetInput,
}

pub async fn create(
    StaffPage { state, actor, page }: StaffPage,
    CsrfForm(f): CsrfForm<DatasetForm>,
) -> Result<Response, WebError> {
    // people who produce no data are refused before their form is looked at
    if manageable_units(&state, &actor).await?.is_empty() {
        return Err(WebError::Forbidden);
    }
    let unit = UnitId(f.unit_id);
    let mut errors = FieldErrors::new();
    if !actor.can(Permission::ProduceData { unit }) {
        errors.add("unit_id", "not_permitted_for_role");
    }
    let result = match f.input.parse(unit) {
        Ok(draft) if errors.is_empty() => {
            opendata::create(
                &state.store,
                &AuditActor::from(&actor),
                actor.user_id.0,
                draft,
            )
            .await
        }
        Ok(_) => Err(StorageError::Invalid(errors)),
        Err(mut e) => {
            e.0.extend(errors.0);
            Err(StorageError::Invalid(e))
        }
    };
    match result {
        Ok(d) => Ok(Redirect::to(&format!("/staf/data/{}?ok=dataset_saved", d.id)).into_response()),
        Err(StorageError::Invalid(e)) => {
            let mut st = fresh(f.input, f.unit_id);
            st.errors = e;
            form(&state, page, &actor, None, st).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn managed(state: &AppState, actor: &Actor, id: DatasetId) -> Result<Dataset, WebError> {
    let d = opendata::get(&state.store, id).await?;
    if !actor.can(Permission::ProduceData { unit: d.unit_id }) && !actor.can(Permission::Walidata) {
        return Err(WebError::Forbidden);
    }
    Ok(d)
}

pub async fn edit_form(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<DatasetId>,
) -> Result<Response, WebError> {
    let d = managed(&state, &actor, id).await?;
    let st = fresh(input_of(&d), d.unit_id.0);
    form(&state, page, &actor, Some(d), st).await
}

pub async fn update(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<DatasetId>,
    CsrfForm(f): CsrfForm<DatasetForm>,
) -> Result<Response, WebError> {
    let d = managed(&state, &actor, id).await?;
    actor.require(Permission::ProduceData { unit: d.unit_id })?;
    let result = match f.input.parse(d.unit_id) {
        Ok(draft) => opendata::update(&state.store, &AuditActor::from(&actor), id, draft).await,
        Err(e) => Err(StorageError::Invalid(e)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/staf/data/{id}?ok=dataset_saved")).into_response()),
        Err(StorageError::Invalid(e)) => {
            let mut st = fresh(f.input, d.unit_id.0);
            st.errors = e;
            form(&state, page, &actor, Some(d), st).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct StepForm {
    step: String,
}

pub async fn step(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<DatasetId>,
    CsrfForm(f): CsrfForm<StepForm>,
) -> Result<Response, WebError> {
    let d = managed(&state, &actor, id).await?;
    let step =
        EditorialStep::parse(&f.step).map_err(|_| WebError::BadRequest("unknown step".into()))?;
    actor.require(Permission::DatasetStep {
        unit: d.unit_id,
        step,
    })?;
    match opendata::step(&state.store, &AuditActor::from(&actor), id, step).await {
        Ok(_) => {
            let ok = match step {
                EditorialStep::Submit => "dataset_submitted",
                EditorialStep::Publish => "dataset_published",
                EditorialStep::Return => "dataset_returned",
                EditorialStep::Unpublish => "dataset_unpublished",
            };
            Ok(Redirect::to(&format!("/staf/data/{id}?ok={ok}")).into_response())
        }
        Err(StorageError::Invalid(e)) => {
            let mut st = fresh(input_of(&d), d.unit_id.0);
            st.resource_errors = e;
            form(&state, page, &actor, Some(d), st).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Adds a resource: an uploaded file (checked by content; a CSV must be UTF-8 and rectangular)
/// or a live table. A refused upload comes back with the name and description as typed and
/// the reason (for a CSV, the line).
pub async fn add_resource(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<DatasetId>,
    form_data: CsrfMultipart,
) -> Result<Response, WebError> {
    let d = managed(&state, &actor, id).await?;
    actor.require(Permission::ProduceData { unit: d.unit_id })?;
    let name = form_data.get("resource_name").trim().to_string();
    let description = form_data.get("resource_description").trim().to_string();
    let live = form_data.get("live_source").trim().to_string();
    let mut errors = FieldErrors::new();
    let mut file_line = None;
    let file = form_data
        .files
        .into_iter()
        .find(|f| f.field == "file" && !(f.bytes.is_empty() && f.file_name.is_empty()));
    let new = if !live.is_empty() {
        match LiveSource::parse(&live) {
            Ok(source) => Some(NewResource {
                name: if name.is_empty() {
                    live.clone()
                } else {
                    name.clone()
                },
                description: description.clone(),
                format: ResourceFormat::Csv,
                source: Source::Live(source),
                file_name: download_name(d.name.as_str(), ResourceFormat::Csv),
                // computed at each download: nothing to keep
                columns: Vec::new(),
                row_count: 0,
            }),
            Err(code) => {
                errors.add("live_source", code);
                None
            }
        }
    } else if let Some(f) = file {
        let file_name = f.file_name.clone();
        let bytes = f.bytes;
        let checked = {
            let bytes = bytes.clone();
            let file_name = file_name.clone();
            tokio::task::spawn_blocking(move || check_upload(&file_name, &bytes))
                .await
                .map_err(|e| WebError::Internal(e.to_string()))?
        };
        match checked {
            Ok((format, table)) => {
                let (store, uploads) = (state.store.clone(), state.config.uploads.clone());
                let source = tokio::task::spawn_blocking(move || {
                    opendata::save_file(&store, &uploads, &bytes, format)
                })
                .await
                .map_err(|e| WebError::Internal(e.to_string()))??;
                let label = if name.is_empty() {
                    file_name.clone()
                } else {
                    name.clone()
                };
                Some(NewResource {
                    name: label,
                    description: description.clone(),
                    format,
                    source,
                    file_name: download_name(&file_name, format),
                    columns: table
                        .as_ref()
                        .map(|t| t.columns.clone())
                        .unwrap_or_default(),
                    row_count: table.as_ref().map(|t| t.rows.len() as i64).unwrap_or(0),
                })
            }
            Err(p) => {
                errors.add("file", p.code);
                file_line = p.line;
                None
            }
        }
    } else {
        errors.add("file", "file_or_live_required");
        None
    };
    match new {
        Some(r) => {
            opendata::add_resource(&state.store, &AuditActor::from(&actor), id, r).await?;
            Ok(Redirect::to(&format!("/staf/data/{id}?ok=resource_added#sumber")).into_response())
        }
        None => {
            let mut st = fresh(input_of(&d), d.unit_id.0);
            st.resource_errors = errors;
            st.file_line = file_line;
            st.resource_name = name;
            st.resource_description = description;
            form(&state, page, &actor, Some(d), st).await
        }
    }
}

/// A form whose only field is its CSRF token.
#[derive(Deserialize)]
pub struct NoFields {}

pub async fn remove_resource(
    StaffPage { state, actor, page }: StaffPage,
    Path((id, rid)): Path<(DatasetId, i64)>,
    CsrfForm(_f): CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    let d = managed(&state, &actor, id).await?;
    actor.require(Permission::ProduceData { unit: d.unit_id })?;
    match opendata::remove_resource(&state.store, &AuditActor::from(&actor), id, rid).await {
        Ok(()) => Ok(
            Redirect::to(&format!("/staf/data/{id}?ok=resource_removed#sumber")).into_response(),
        ),
        Err(StorageError::Invalid(e)) => {
            let mut st = fresh(input_of(&d), d.unit_id.0);
            st.resource_errors = e;
            form(&state, page, &actor, Some(d), st).await
        }
        Err(e) => Err(e.into()),
    }
}
