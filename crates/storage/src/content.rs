//! What units publish: news, announcements, agenda and projects (one table, `content_items`),
//! projects' progress reports, and every revision of every item.
//!
//! Every change commits, in one transaction, the item, a revision snapshot, an audit entry and
//! an outbox event (`content.saved`, `content.published`, ...), so search indexes and units'
//! applications learn about it the same way they learn about requests.

use crate::audit::{self, AuditActor, Change};
use crate::entity::{content_item, content_revision, project_update, unit};
use crate::{events, Result, StorageError, Store};
use chrono::{DateTime, NaiveDate, Utc};
use kotapintar_domain::content::{
    AgendaDetails, ContentDetails, ContentDraft, ContentItem, ContentKind, EditorialStatus,
    EditorialStep, FundSource, ProgressInput, ProgressUpdate, ProjectDetails, ProjectStatus, Slug,
};
use kotapintar_domain::editorial::EditorialChange;
use kotapintar_domain::event::{ContentChange, ContentEvent, DomainEvent};
use kotapintar_domain::ids::{ContentId, UnitId};
use kotapintar_domain::markdown;
use kotapintar_domain::region::RegionCode;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

fn tags_field(tags: &[String]) -> String {
    if tags.is_empty() {
        return String::new();
    }
    format!(",{},", tags.join(","))
}

fn parse_date(s: &Option<String>) -> Option<NaiveDate> {
    s.as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

/// A stored value of `column` that must parse; one that does not is corrupt, never a default.
fn stored<T, E>(
    column: &str,
    value: &str,
    parse: impl FnOnce(&str) -> std::result::Result<T, E>,
) -> Result<T> {
    parse(value).map_err(|_| StorageError::corrupt(column, value))
}

/// A stored item. An absent optional value takes its documented default; a present one that
/// does not parse (an unknown kind or status) is an error.
fn to_domain(m: content_item::Model, unit: Option<&unit::Model>) -> Result<ContentItem> {
    let kind = stored("content_items.kind", &m.kind, ContentKind::parse)?;
    let status = stored("content_items.status", &m.status, EditorialStatus::parse)?;
    let attachments = stored("content_items.attachments", &m.attachments, |a| {
        serde_json::from_str(a)
    })?;
    let fund_source = m
        .fund_source
        .as_deref()
        .map(|f| stored("content_items.fund_source", f, FundSource::parse))
        .transpose()?;
    let project_status = m
        .project_status
        .as_deref()
        .map(|s| stored("content_items.project_status", s, ProjectStatus::parse))
        .transpose()?;
    let details = match kind {
        ContentKind::Berita | ContentKind::Pengumuman => ContentDetails::Article,
        ContentKind::Agenda => ContentDetails::Agenda(AgendaDetails {
            starts_at: m.starts_at.unwrap_or(m.created_at),
            ends_at: m.ends_at.or(m.starts_at).unwrap_or(m.created_at),
            place: m.place.clone().unwrap_or_default(),
            audience: m.audience.clone(),
            internal: m.internal,
        }),
        ContentKind::Proyek => ContentDetails::Project(ProjectDetails {
            sector: m.sector.clone().unwrap_or_default(),
            fund_source: fund_source.unwrap_or(FundSource::Other),
            budget_ceiling: m.budget_ceiling.unwrap_or(0),
            contract_value: m.contract_value,
            contractor: m.contractor.clone(),
            planned_start: parse_date(&m.planned_start).unwrap_or_default(),
            planned_end: parse_date(&m.planned_end).unwrap_or_default(),
            status: project_status.unwrap_or(ProjectStatus::Planned),
            lat: m.lat,
            lon: m.lon,
        }),
    };
    let progress = match (m.physical_pct, m.budget_pct, parse_date(&m.progress_on)) {
        (Some(physical_pct), Some(budget_pct), Some(reported_on)) => Some(ProgressUpdate {
            reported_on,
            physical_pct,
            budget_pct,
            note: String::new(),
        }),
        _ => None,
    };
    Ok(ContentItem {
        id: ContentId(m.id),
        kind,
        unit_id: UnitId(m.unit_id),
        unit_slug: unit.map(|u| u.slug.clone()).unwrap_or_default(),
        unit_name: unit.map(|u| u.name.clone()).unwrap_or_default(),
        slug: Slug::from_stored(m.slug),
        title: m.title,
        summary: m.summary,
        body_md: m.body_md,
        body_html: m.body_html,
        tags: m
            .tags
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        kecamatan: m.kecamatan.and_then(|c| RegionCode::parse(&c).ok()),
        desa: m.desa.and_then(|c| RegionCode::parse(&c).ok()),
        cover_photo: m.cover_photo,
        attachments,
        status,
        publish_at: m.publish_at,
        published_at: m.published_at,
        revision: m.revision,
        created_at: m.created_at,
        updated_at: m.updated_at,
        details,
        progress,
    })
}

async fn with_units(
    db: &impl ConnectionTrait,
    models: Vec<content_item::Model>,
) -> Result<Vec<ContentItem>> {
    let mut ids: Vec<i64> = models.iter().map(|m| m.unit_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let units: HashMap<i64, unit::Model> = if ids.is_empty() {
        HashMap::new()
    } else {
        unit::Entity::find()
            .filter(unit::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect()
    };
    models
        .into_iter()
        .map(|m| {
            let u = units.get(&m.unit_id);
            to_domain(m, u)
        })
        .collect()
}

/// Writes the draft's fields onto a row.
fn apply(am: &mut content_item::ActiveModel, d: &ContentDraft) {
    am.kind = Set(d.kind.as_str().into());
    am.section = Set(d.kind.public_path().into());
    am.title = Set(d.title.clone());
    am.summary = Set(d.summary.clone());
    am.body_md = Set(d.body_md.clone());
    am.body_html = Set(markdown::render(&d.body_md));
    am.tags = Set(tags_field(&d.tags));
    am.kecamatan = Set(d.kecamatan.as_ref().map(|r| r.to_string()));
    am.desa = Set(d.desa.as_ref().map(|r| r.to_string()));
    am.publish_at = Set(d.publish_at);
    am.attachments = Set(serde_json::to_string(&d.attachments).unwrap_or_else(|_| "[]".into()));
    let (mut starts, mut ends, mut place, mut audience, mut internal) =
        (None, None, None, None, false);
    let (mut sector, mut fund, mut ceiling, mut contract, mut contractor) =
        (None, None, None, None, None);
    let (mut pstart, mut pend, mut pstatus, mut lat, mut lon) = (None, None, None, None, None);
    match &d.details {
        ContentDetails::Article => {}
        ContentDetails::Agenda(a) => {
            starts = Some(a.starts_at);
            ends = Some(a.ends_at);
            place = Some(a.place.clone());
            audience = a.audience.clone();
            internal = a.internal;
        }
        ContentDetails::Project(p) => {
            sector = Some(p.sector.clone());
            fund = Some(p.fund_source.as_str().to_string());
            ceiling = Some(p.budget_ceiling);
            contract = p.contract_value;
            contractor = p.contractor.clone();
            pstart = Some(p.planned_start.to_string());
            pend = Some(p.planned_end.to_string());
            pstatus = Some(p.status.as_str().to_string());
            lat = p.lat;
            lon = p.lon;
        }
    }
    am.starts_at = Set(starts);
    am.ends_at = Set(ends);
    am.place = Set(place);
    am.audience = Set(audience);
    am.internal = Set(internal);
    am.sector = Set(sector);
    am.fund_source = Set(fund);
    am.budget_ceiling = Set(ceiling);
    am.contract_value = Set(contract);
    am.contractor = Set(contractor);
    am.planned_start = Set(pstart);
    am.planned_end = Set(pend);
    am.project_status = Set(pstatus);
    am.lat = Set(lat);
    am.lon = Set(lon);
}

async fn slug_taken(
    db: &impl ConnectionTrait,
    section: &str,
    slug: &Slug,
    except: Option<i64>,
) -> Result<bool> {
    let mut q = content_item::Entity::find()
        .filter(content_item::Column::Section.eq(section))
        .filter(content_item::Column::Slug.eq(slug.as_str()));
    if let Some(id) = except {
        q = q.filter(content_item::Column::Id.ne(id));
    }
    Ok(q.count(db).await? > 0)
}

/// A slug typed by the editor must be free (the clash is explained); one made from the title
/// is numbered until it is free (the clash is resolved).
async fn choose_slug(
    db: &impl ConnectionTrait,
    section: &str,
    typed: Option<&Slug>,
    title: &str,
    except: Option<i64>,
) -> Result<Slug> {
    if let Some(s) = typed {
        if slug_taken(db, section, s, except).await? {
            return Err(StorageError::field("slug", "slug_taken"));
        }
        return Ok(s.clone());
    }
    let base = Slug::from_title(title);
    if !slug_taken(db, section, &base, except).await? {
        return Ok(base);
    }
    for n in 2..1000 {
        let s = base.numbered(n);
        if !slug_taken(db, section, &s, except).await? {
            return Ok(s);
        }
    }
    Err(StorageError::field("slug", "slug_taken"))
}

#[derive(Serialize)]
struct Snapshot<'a> {
    draft: &'a ContentDraft,
    slug: &'a str,
    status: &'a str,
    cover_photo: Option<&'a str>,
}

async fn record_revision(
    db: &impl ConnectionTrait,
    actor: &AuditActor,
    m: &content_item::Model,
    draft: &ContentDraft,
) -> Result<()> {
    let snapshot = Snapshot {
        draft,
        slug: &m.slug,
        status: &m.status,
        cover_photo: m.cover_photo.as_deref(),
    };
    content_revision::ActiveModel {
        item_id: Set(m.id),
        revision: Set(m.revision),
        status: Set(m.status.clone()),
        snapshot: Set(serde_json::to_string(&snapshot).unwrap_or_default()),
        actor: Set(actor.label()),
        at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

async fn announce(
    db: &impl ConnectionTrait,
    change: ContentChange,
    m: &content_item::Model,
) -> Result<()> {
    let event = DomainEvent::Content(
        change,
        ContentEvent {
            id: ContentId(m.id),
            kind: m.kind.clone(),
            slug: m.slug.clone(),
            status: EditorialStatus::parse(&m.status)
                .map_err(|_| StorageError::corrupt("content_items.status", &m.status))?,
            revision: m.revision,
        },
    );
    events::append_event(db, &event, &[UnitId(m.unit_id)], false).await?;
    Ok(())
}

/// The draft as it is stored, for comparing and for revisions.
fn draft_of(item: &ContentItem) -> ContentDraft {
    ContentDraft {
        kind: item.kind,
        unit_id: item.unit_id,
        title: item.title.clone(),
        slug: Some(item.slug.clone()),
        summary: item.summary.clone(),
        body_md: item.body_md.clone(),
        tags: item.tags.clone(),
        kecamatan: item.kecamatan.clone(),
        desa: item.desa.clone(),
        publish_at: item.publish_at,
        details: item.details.clone(),
        attachments: item.attachments.clone(),
    }
}

/// Stores a new item as a draft (revision 1).
pub async fn create(
    store: &Store,
    actor: &AuditActor,
    created_by: i64,
    draft: ContentDraft,
    cover_photo: Option<String>,
) -> Result<ContentItem> {
    let tx = store.writer.begin().await?;
    let section = draft.kind.public_path();
    let slug = choose_slug(&tx, section, draft.slug.as_ref(), &draft.title, None).await?;
    let now = Utc::now();
    let mut am = content_item::ActiveModel {
        unit_id: Set(draft.unit_id.0),
        slug: Set(slug.as_str().into()),
        cover_photo: Set(cover_photo),
        status: Set(EditorialStatus::Draft.as_str().into()),
        published_at: Set(None),
        revision: Set(1),
        created_by: Set(created_by),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    apply(&mut am, &draft);
    let m = am
        .insert(&tx)
        .await
        .map_err(|e| StorageError::on_unique(e, "slug", "slug_taken"))?;
    record_revision(&tx, actor, &m, &draft).await?;
    audit::append(
        &tx,
        actor,
        Change::new("content.create", "content", m.id).after(&draft),
    )
    .await?;
    announce(&tx, ContentChange::Editorial(EditorialChange::Saved), &m).await?;
    tx.commit().await?;
    get(store, ContentId(m.id)).await
}

/// Saves an edit as a new revision. A published item stays published (its page changes); its
/// slug changes only when the editor types a new one, so links keep working.
pub async fn update(
    store: &Store,
    actor: &AuditActor,
    id: ContentId,
    draft: ContentDraft,
    cover_photo: Option<String>,
) -> Result<ContentItem> {
    let id = id.0;
    let tx = store.writer.begin().await?;
    let m = crate::rows::locked::<content_item::Entity>(&tx, id).await?;
    if m.unit_id != draft.unit_id.0 {
        return Err(StorageError::Forbidden);
    }
    let before = with_units(&tx, vec![m.clone()]).await?.remove(0);
    let section = draft.kind.public_path();
    let slug = match &draft.slug {
        Some(s) if s.as_str() != m.slug || section != m.section => {
            choose_slug(&tx, section, Some(s), &draft.title, Some(id)).await?
        }
        Some(s) => s.clone(),
        None if section != m.section => {
            choose_slug(&tx, section, None, &draft.title, Some(id)).await?
        }
        None => Slug::from_stored(m.slug.clone()),
    };
    let revision = m.revision + 1;
    let status = m.status.clone();
    let published_at = m.published_at;
    let mut am: content_item::ActiveModel = m.into();
    apply(&mut am, &draft);
    am.slug = Set(slug.as_str().into());
    if let Some(c) = cover_photo {
        am.cover_photo = Set(Some(c));
    }
    am.revision = Set(revision);
    am.updated_at = Set(Utc::now());
    // a published item whose schedule is edited moves with it
    if status == EditorialStatus::Published.as_str() {
        am.published_at = Set(draft.publish_at.or(published_at));
    }
    let m = am
        .update(&tx)
        .await
        .map_err(|e| StorageError::on_unique(e, "slug", "slug_taken"))?;
    record_revision(&tx, actor, &m, &draft).await?;
    audit::append(
        &tx,
        actor,
        Change::new("content.update", "content", id)
            .before(&draft_of(&before))
            .after(&draft),
    )
    .await?;
    announce(&tx, ContentChange::Editorial(EditorialChange::Saved), &m).await?;
    tx.commit().await?;
    get(store, ContentId(id)).await
}

/// Moves an item through the editorial workflow. Publishing makes it public at its
/// `publish_at` (scheduled) or now. Who may take the step is checked by the caller with
/// `Permission::ContentStep`; this checks the step is possible from the item's current state, under
/// a row lock, so two reviewers cannot both act on the same state.
pub async fn step(
    store: &Store,
    actor: &AuditActor,
    id: ContentId,
    step: EditorialStep,
) -> Result<ContentItem> {
    let id = id.0;
    let tx = store.writer.begin().await?;
    let m = crate::rows::locked::<content_item::Entity>(&tx, id).await?;
    let item = with_units(&tx, vec![m.clone()]).await?.remove(0);
    let (t, m) = crate::editorial::step(&tx, actor, m, step).await?;
    record_revision(&tx, actor, &m, &draft_of(&item)).await?;
    announce(&tx, ContentChange::Editorial(t.change), &m).await?;
    tx.commit().await?;
    get(store, ContentId(id)).await
}

pub async fn get(store: &Store, id: ContentId) -> Result<ContentItem> {
    let id = id.0;
    let m = crate::rows::by_id::<content_item::Entity>(&store.reader, id).await?;
    Ok(with_units(&store.reader, vec![m]).await?.remove(0))
}

/// Public items only: published, their moment reached, not internal.
fn public_condition(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(content_item::Column::Status.eq(EditorialStatus::Published.as_str()))
        .add(content_item::Column::PublishedAt.lte(now))
        .add(content_item::Column::Internal.eq(false))
}

/// The public item at `/{section}/{slug}`, if the public may see it now.
pub async fn public_by_slug(
    store: &Store,
    section: &str,
    slug: &str,
    now: DateTime<Utc>,
) -> Result<Option<ContentItem>> {
    let m = content_item::Entity::find()
        .filter(content_item::Column::Section.eq(section))
        .filter(content_item::Column::Slug.eq(slug))
        .filter(public_condition(now))
        .one(&store.reader)
        .await?;
    Ok(match m {
        Some(m) => Some(with_units(&store.reader, vec![m]).await?.remove(0)),
        None => None,
    })
}

/// The public item with this id (for the search index), if the public may see it now.
pub async fn public_by_id(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<ContentItem>> {
    let m = content_item::Entity::find_by_id(id)
        .filter(public_condition(now))
        .one(db)
        .await?;
    Ok(match m {
        Some(m) => Some(with_units(db, vec![m]).await?.remove(0)),
        None => None,
    })
}

/// Public items with ids above `after_id`, in id order: how the search index is rebuilt.
pub async fn public_after(
    db: &impl ConnectionTrait,
    after_id: i64,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Vec<ContentItem>> {
    let ms = content_item::Entity::find()
        .filter(content_item::Column::Id.gt(after_id))
        .filter(public_condition(now))
        .order_by_asc(content_item::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    with_units(db, ms).await
}

/// Items scheduled to become public in `(from, to]`: the search index adds them when their
/// moment comes.
pub async fn becoming_public(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<i64>> {
    Ok(content_item::Entity::find()
        .select_only()
        .column(content_item::Column::Id)
        .filter(content_item::Column::Status.eq(EditorialStatus::Published.as_str()))
        .filter(content_item::Column::PublishedAt.gt(from))
        .filter(content_item::Column::PublishedAt.lte(to))
        .into_tuple::<i64>()
        .all(db)
        .await?)
}

#[derive(Debug, Clone, Default)]
pub struct PublicFilter {
    pub section: Option<String>,
    pub kind: Option<ContentKind>,
    pub unit: Option<UnitId>,
    pub kecamatan: Option<String>,
    pub tag: Option<String>,
    pub project_status: Option<ProjectStatus>,
    /// Agenda: only activities that have not ended by this moment.
    pub upcoming_from: Option<DateTime<Utc>>,
}

/// One page of public items, newest first (agenda: soonest first), and the total.
pub async fn public_list(
    store: &Store,
    f: &PublicFilter,
    now: DateTime<Utc>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<ContentItem>, u64)> {
    let mut q = content_item::Entity::find().filter(public_condition(now));
    if let Some(s) = &f.section {
        q = q.filter(content_item::Column::Section.eq(s.as_str()));
    }
    if let Some(k) = f.kind {
        q = q.filter(content_item::Column::Kind.eq(k.as_str()));
    }
    if let Some(u) = f.unit {
        q = q.filter(content_item::Column::UnitId.eq(u.0));
    }
    if let Some(k) = &f.kecamatan {
        q = q.filter(content_item::Column::Kecamatan.eq(k.as_str()));
    }
    if let Some(t) = &f.tag {
        q = q.filter(content_item::Column::Tags.contains(format!(",{},", t.to_lowercase())));
    }
    if let Some(s) = f.project_status {
        q = q.filter(content_item::Column::ProjectStatus.eq(s.as_str()));
    }
    if let Some(from) = f.upcoming_from {
        q = q.filter(content_item::Column::EndsAt.gte(from));
    }
    let total = q.clone().count(&store.reader).await?;
    q = if f.upcoming_from.is_some() {
        q.order_by_asc(content_item::Column::StartsAt)
    } else {
        q.order_by_desc(content_item::Column::PublishedAt)
    };
    let ms = q
        .order_by_desc(content_item::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(&store.reader)
        .await?;
    Ok((with_units(&store.reader, ms).await?, total))
}

/// The staff's list: items of the given units (all units for Kominfo), newest change first.
pub async fn staff_list(
    store: &Store,
    units: Option<&[UnitId]>,
    status: Option<EditorialStatus>,
    kind: Option<ContentKind>,
    limit: u64,
) -> Result<Vec<ContentItem>> {
    let mut q = content_item::Entity::find();
    if let Some(units) = units {
        q = q.filter(content_item::Column::UnitId.is_in(units.iter().map(|u| u.0)));
    }
    if let Some(s) = status {
        q = q.filter(content_item::Column::Status.eq(s.as_str()));
    }
    if let Some(k) = kind {
        q = q.filter(content_item::Column::Kind.eq(k.as_str()));
    }
    let ms = q
        .order_by_desc(content_item::Column::UpdatedAt)
        .limit(limit)
        .all(&store.reader)
        .await?;
    with_units(&store.reader, ms).await
}

#[derive(Debug, Clone, Serialize)]
pub struct Revision {
    pub revision: i32,
    pub status: String,
    pub actor: String,
    pub at: DateTime<Utc>,
}

pub async fn revisions(store: &Store, id: ContentId) -> Result<Vec<Revision>> {
    let id = id.0;
    Ok(content_revision::Entity::find()
        .filter(content_revision::Column::ItemId.eq(id))
        .order_by_desc(content_revision::Column::Revision)
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|r| Revision {
            revision: r.revision,
            status: r.status,
            actor: r.actor,
            at: r.at,
        })
        .collect())
}

#[derive(Debug, Clone, Serialize)]
pub struct StoredProgress {
    pub update: ProgressUpdate,
    pub photo: Option<String>,
}

/// A project's progress reports, oldest first.
pub async fn progress(
    db: &impl ConnectionTrait,
    item_id: ContentId,
) -> Result<Vec<StoredProgress>> {
    let item_id = item_id.0;
    Ok(project_update::Entity::find()
        .filter(project_update::Column::ItemId.eq(item_id))
        .order_by_asc(project_update::Column::ReportedOn)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|u| {
            Some(StoredProgress {
                update: ProgressUpdate {
                    reported_on: NaiveDate::parse_from_str(&u.reported_on, "%Y-%m-%d").ok()?,
                    physical_pct: u.physical_pct,
                    budget_pct: u.budget_pct,
                    note: u.note,
                },
                photo: u.photo,
            })
        })
        .collect())
}

/// Records a progress report on a project. The checks that need the previous report (dates
/// and physical progress never go backwards) run inside the transaction, under the project's
/// row lock; one report per day (a second submit of the same form is refused, not doubled).
pub async fn add_progress(
    store: &Store,
    actor: &AuditActor,
    created_by: i64,
    item_id: ContentId,
    input: &ProgressInput,
    today: NaiveDate,
    photo: Option<String>,
) -> Result<ProgressUpdate> {
    let item_id = item_id.0;
    let tx = store.writer.begin().await?;
    let m = crate::rows::locked::<content_item::Entity>(&tx, item_id).await?;
    if m.kind != ContentKind::Proyek.as_str() {
        return Err(StorageError::field("reported_on", "not_a_project"));
    }
    let previous = progress(&tx, ContentId(item_id))
        .await?
        .pop()
        .map(|p| p.update);
    let update = input
        .parse(previous.as_ref(), today)
        .map_err(StorageError::Invalid)?;
    project_update::ActiveModel {
        item_id: Set(item_id),
        reported_on: Set(update.reported_on.to_string()),
        physical_pct: Set(update.physical_pct),
        budget_pct: Set(update.budget_pct),
        note: Set(update.note.clone()),
        photo: Set(photo),
        created_by: Set(created_by),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .map_err(|e| StorageError::on_unique(e, "reported_on", "progress_already_reported"))?;
    let mut am: content_item::ActiveModel = m.clone().into();
    am.physical_pct = Set(Some(update.physical_pct));
    am.budget_pct = Set(Some(update.budget_pct));
    am.progress_on = Set(Some(update.reported_on.to_string()));
    am.updated_at = Set(Utc::now());
    let m = am.update(&tx).await?;
    audit::append(
        &tx,
        actor,
        Change::new("content.progress", "content", item_id).after(&update),
    )
    .await?;
    announce(&tx, ContentChange::Progress, &m).await?;
    tx.commit().await?;
    Ok(update)
}

/// The newest publication moment of each unit (for "has not published for 30 days").
pub async fn last_published_by_unit(
    store: &Store,
    now: DateTime<Utc>,
) -> Result<HashMap<UnitId, DateTime<Utc>>> {
    let rows: Vec<(i64, Option<DateTime<Utc>>)> = content_item::Entity::find()
        .select_only()
        .column(content_item::Column::UnitId)
        .column_as(Expr::col(content_item::Column::PublishedAt).max(), "last")
        .filter(public_condition(now))
        .group_by(content_item::Column::UnitId)
        .into_tuple()
        .all(&store.reader)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(u, at)| Some((UnitId(u), at?)))
        .collect())
}

/// Where attached documents live under the uploads directory.
pub const ATTACHMENT_DIR: &str = "lampiran";

/// Stores a checked document under a random name; returns that name (`/lampiran/{name}`).
/// Refused (`Unavailable`, nothing written) while the disk is below its free-space threshold
/// or would not hold the file.
pub fn save_attachment(store: &Store, uploads: &Path, bytes: &[u8]) -> Result<String> {
    let dir = uploads.join(ATTACHMENT_DIR);
    crate::space::check_upload(store, &dir, bytes.len() as u64)?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| StorageError::from_io("cannot make the attachment directory", &e))?;
    let name = format!("{}.pdf", uuid::Uuid::new_v4().simple());
    crate::space::write_upload(&dir.join(&name), bytes)?;
    Ok(name)
}

/// Where portal images live under the uploads directory.
pub const IMAGE_DIR: &str = "gambar";

/// Stores a checked image (and its thumbnail) under a random name; returns the name used in
/// `/gambar/{name}`. Refused like `save_attachment`; a thumbnail that cannot be written takes
/// its image with it.
pub fn save_image(
    store: &Store,
    uploads: &Path,
    photo: &crate::media::CleanPhoto,
) -> Result<String> {
    let dir = uploads.join(IMAGE_DIR);
    let size = (photo.bytes.len() + photo.thumbnail.len()) as u64;
    crate::space::check_upload(store, &dir, size)?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| StorageError::from_io("cannot make the image directory", &e))?;
    let name = uuid::Uuid::new_v4().simple().to_string();
    let image = dir.join(format!("{name}.{}", photo.kind.extension()));
    crate::space::write_upload(&image, &photo.bytes)?;
    if let Err(e) =
        crate::space::write_upload(&dir.join(format!("{name}.thumb.jpg")), &photo.thumbnail)
    {
        let _ = std::fs::remove_file(&image);
        return Err(e);
    }
    Ok(format!("{name}.{}", photo.kind.extension()))
}
