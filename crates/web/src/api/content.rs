//! `/api/v1/content`: a unit's application publishes to the portal (news, announcements,
//! agenda, projects and their progress) with the `content:write` scope.
//!
//! A client writes as its unit's editor: it creates and edits drafts and submits them for
//! review; publishing stays with the unit's admins, as for a person (the editorial rule of
//! `domain::content`).

use super::{once, require, ApiPath, ApiQuery, Call, Client, Post, Problem};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, FixedOffset};
use kotapintar_domain::content::{
    ContentInput, ContentItem, ContentKind, EditorialStatus, EditorialStep, ProgressInput,
};
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::content;
use serde::{Deserialize, Serialize};

/// A content item as the API shows it to its unit's application.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ContentView {
    id: i64,
    /// `berita`, `pengumuman`, `agenda` or `proyek`.
    kind: String,
    title: String,
    slug: String,
    /// `draft`, `review` or `published`.
    status: String,
    revision: i32,
    /// The public address once published (absolute).
    url: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    published_at: Option<DateTime<chrono::Utc>>,
    /// Projects: the latest physical progress, percent.
    physical_pct: Option<f64>,
}

fn view(state: &AppState, i: &ContentItem) -> ContentView {
    ContentView {
        id: i.id.0,
        kind: i.kind.as_str().into(),
        title: i.title.clone(),
        slug: i.slug.as_str().into(),
        status: i.status.as_str().into(),
        revision: i.revision,
        url: format!(
            "{}{}",
            state.config.rules.public_url.trim_end_matches('/'),
            i.path()
        ),
        published_at: i.published_at,
        physical_pct: i.progress.as_ref().map(|p| p.physical_pct),
    }
}

/// A new item. Times are RFC 3339 (`2026-12-01T09:00:00+08:00`) or local to the deployment
/// (`2026-12-01T09:00`); dates are `YYYY-MM-DD`; rupiah are whole numbers.
#[derive(Deserialize, utoipa::ToSchema, Default)]
// Every field is optional to serde (a field's own default, as the staff form's empty
// input); which are required is the domain's rule, and the schema says so.
#[serde(deny_unknown_fields)]
pub struct ContentBody {
    #[schema(value_type = super::openapi::ContentKindName, required = true)]
    #[serde(default)]
    kind: String,
    #[schema(required = true, min_length = 1)]
    #[serde(default)]
    title: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    summary: String,
    /// Markdown; rendered and sanitised by the platform.
    #[serde(default)]
    body: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    kecamatan: String,
    #[serde(default)]
    desa: String,
    #[serde(default)]
    publish_at: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    internal: bool,
    #[serde(default)]
    sector: String,
    #[schema(value_type = super::openapi::FundSource)]
    #[serde(default)]
    fund_source: String,
    /// Rupiah, a whole number (`5075731.0` is read as `5075731`).
    #[schema(minimum = 0)]
    #[serde(default)]
    budget_ceiling: Option<i64>,
    #[schema(minimum = 0)]
    #[serde(default)]
    contract_value: Option<i64>,
    #[serde(default)]
    contractor: String,
    #[serde(default)]
    planned_start: String,
    #[serde(default)]
    planned_end: String,
    #[schema(value_type = super::openapi::ProjectStatus)]
    #[serde(default)]
    project_status: String,
    #[schema(minimum = -90.0, maximum = 90.0)]
    #[serde(default)]
    lat: Option<f64>,
    #[schema(minimum = -180.0, maximum = 180.0)]
    #[serde(default)]
    lon: Option<f64>,
    /// Submit for review at once (a unit admin then publishes it).
    #[serde(default)]
    submit: bool,
}

/// RFC 3339 instants become the local form the domain parses; anything else is passed on as
/// typed, so its error names the field.
fn local(raw: &str, offset: FixedOffset) -> String {
    match DateTime::parse_from_rfc3339(raw.trim()) {
        Ok(d) => d
            .with_timezone(&offset)
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
        Err(_) => raw.to_string(),
    }
}

impl ContentBody {
    /// The body checked as a draft: the tags as the API takes them (a list), then everything
    /// the domain checks, every error at once.
    fn draft(
        self,
        unit: kotapintar_domain::ids::UnitId,
        offset: FixedOffset,
    ) -> Result<kotapintar_domain::content::ContentDraft, kotapintar_domain::FieldErrors> {
        let tags = self.tag_errors();
        match self.input(offset).parse(unit, offset) {
            Ok(draft) if tags.is_empty() => Ok(draft),
            Ok(_) => Err(tags),
            Err(mut e) => {
                // the list's own errors name the item; the domain's (on the joined text) not
                if !tags.is_empty() {
                    e.0.retain(|f| f.field != "tags");
                }
                e.0.extend(tags.0);
                Err(e)
            }
        }
    }

    /// The staff form takes tags as one comma-separated text; the API as a list, checked as the
    /// OpenAPI document says (at most 12, each at most 40 characters and without a comma), so
    /// a list is never silently split or merged into other tags.
    fn tag_errors(&self) -> kotapintar_domain::FieldErrors {
        let mut e = kotapintar_domain::FieldErrors::new();
        if self.tags.len() > 12 {
            e.add("tags", "too_many_tags");
        }
        for (i, t) in self.tags.iter().enumerate() {
            if t.chars().count() > 40 {
                e.add(format!("tags[{i}]"), "too_long");
            } else if t.contains(',') {
                e.add(format!("tags[{i}]"), "invalid_tag");
            }
        }
        e
    }

    /// The body in the form the domain parses (as the staff form sends it).
    pub fn input(self, offset: FixedOffset) -> ContentInput {
        let num = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        let coord = |v: Option<f64>| v.map(|n| n.to_string()).unwrap_or_default();
        ContentInput {
            kind: self.kind,
            title: self.title,
            slug: self.slug,
            summary: self.summary,
            body: self.body,
            tags: self.tags.join(","),
            kecamatan: self.kecamatan,
            desa: self.desa,
            publish_at: local(&self.publish_at, offset),
            starts_at: local(&self.starts_at, offset),
            ends_at: local(&self.ends_at, offset),
            place: self.place,
            audience: self.audience,
            internal: self.internal.then(|| "on".into()),
            sector: self.sector,
            fund_source: self.fund_source,
            budget_ceiling: num(self.budget_ceiling),
            contract_value: num(self.contract_value),
            contractor: self.contractor,
            planned_start: self.planned_start,
            planned_end: self.planned_end,
            project_status: self.project_status,
            lat: coord(self.lat),
            lon: coord(self.lon),
        }
    }
}

/// Creates a draft for the client's unit (and submits it for review if asked).
#[utoipa::path(post, path = "/api/v1/content", tag = "content", security(("bearer" = [])),
    request_body = ContentBody,
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200, description = "Same key, same answer: the call is done once")),
    responses((status = 201, body = ContentView), (status = 422, description = "One entry per invalid field", body = Problem, content_type = "application/problem+json"), (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"), (status = 403, description = "The client lacks the scope", body = Problem, content_type = "application/problem+json"), (status = 429, description = "Rate limit; see Retry-After", body = Problem, content_type = "application/problem+json")))]
pub async fn create_content(
    State(state): State<AppState>,
    Client(client): Client,
    post: Post,
) -> Response {
    let (call, body) = match Call::begin(&client, "content:write", &post)
        .and_then(|call| Ok((call, post.json::<ContentBody>()?)))
    {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let (st, cl) = (state.clone(), client.clone());
    once(&state, &client, call, move || async move {
        let submit = body.submit;
        let offset = st.config.rules.utc_offset;
        let draft = body
            .draft(cl.unit_id, offset)
            .map_err(|e| Problem::invalid(&e))?;
        let actor = AuditActor::System(format!("client-{}", cl.id));
        let mut item = content::create(&st.store, &actor, 0, draft, None).await?;
        if submit {
            item = content::step(&st.store, &actor, item.id, EditorialStep::Submit).await?;
        }
        Ok((
            StatusCode::CREATED,
            serde_json::to_value(view(&st, &item)).unwrap_or_default(),
        ))
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContentListQuery {
    /// Only items of this kind: berita, pengumuman, agenda or proyek (empty: every kind).
    #[param(pattern = "^(berita|pengumuman|agenda|proyek)?$")]
    kind: Option<String>,
    /// Only items in this editorial status: draft, review or published (empty: every one).
    #[param(pattern = "^(draft|review|published)?$")]
    status: Option<String>,
}

/// The client's unit's items, newest change first (at most 200).
#[utoipa::path(get, path = "/api/v1/content", tag = "content", security(("bearer" = [])),
    params(ContentListQuery),
    responses((status = 200, body = [ContentView]), (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"), (status = 403, description = "The client lacks the scope", body = Problem, content_type = "application/problem+json")))]
pub async fn list_content(
    State(state): State<AppState>,
    Client(client): Client,
    ApiQuery(q): ApiQuery<ContentListQuery>,
) -> Response {
    if let Err(p) = require(&client, "content:write") {
        return p.into_response();
    }
    let mut e = kotapintar_domain::FieldErrors::new();
    let mut choice = |name: &str, raw: Option<&str>, ok: bool| {
        if raw.is_some_and(|r| !r.is_empty()) && !ok {
            e.add(name, "invalid_choice");
        }
    };
    let status = q
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| EditorialStatus::parse(s).ok());
    let kind = q
        .kind
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|k| ContentKind::parse(k).ok());
    choice("status", q.status.as_deref(), status.is_some());
    choice("kind", q.kind.as_deref(), kind.is_some());
    if !e.is_empty() {
        return Problem::invalid_parameters(&e).into_response();
    }
    let units = [client.unit_id];
    let items = match content::staff_list(&state.store, Some(&units), status, kind, 200).await {
        Ok(i) => i,
        Err(e) => return Problem::from(e).into_response(),
    };
    Json(items.iter().map(|i| view(&state, i)).collect::<Vec<_>>()).into_response()
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressBody {
    /// `YYYY-MM-DD`, not in the future, not before the previous report.
    #[schema(format = Date)]
    reported_on: String,
    /// 0 to 100, never less than the previous report.
    #[schema(minimum = 0.0, maximum = 100.0)]
    physical_pct: f64,
    /// 0 to 100.
    #[schema(minimum = 0.0, maximum = 100.0)]
    budget_pct: f64,
    #[serde(default)]
    note: String,
}

/// Records a progress report on one of the unit's projects (one per day).
#[utoipa::path(post, path = "/api/v1/content/{id}/progress", tag = "content", security(("bearer" = [])),
    request_body = ProgressBody,
    params(("id" = i64, Path, minimum = 1, description = "The project's id"), ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200, description = "Same key, same answer")),
    responses((status = 201, description = "Recorded", body = Object), (status = 404, description = "No such project of this unit", body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"), (status = 403, description = "The client lacks the scope", body = Problem, content_type = "application/problem+json")))]
pub async fn add_progress(
    State(state): State<AppState>,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
    post: Post,
) -> Response {
    let (call, id, body) = match Call::begin(&client, "content:write", &post).and_then(|call| {
        let id = kotapintar_domain::ids::ContentId(super::extract::path_id(&id, "id")?);
        Ok((call, id, post.json::<ProgressBody>()?))
    }) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let (st, cl) = (state.clone(), client.clone());
    once(&state, &client, call, move || async move {
        let item = content::get(&st.store, id).await?;
        if item.unit_id != cl.unit_id {
            // another unit's item is not this client's to know about
            return Err(Problem::from(kotapintar_storage::StorageError::NotFound));
        }
        let input = ProgressInput {
            reported_on: body.reported_on,
            physical_pct: body.physical_pct.to_string(),
            budget_pct: body.budget_pct.to_string(),
            note: body.note,
        };
        let today = chrono::Utc::now()
            .with_timezone(&st.config.rules.utc_offset)
            .date_naive();
        let actor = AuditActor::System(format!("client-{}", cl.id));
        let update = content::add_progress(&st.store, &actor, 0, id, &input, today, None).await?;
        Ok((
            StatusCode::CREATED,
            serde_json::json!({
                "id": id,
                "reported_on": update.reported_on.to_string(),
                "physical_pct": update.physical_pct,
                "budget_pct": update.budget_pct,
            }),
        ))
    })
    .await
}
