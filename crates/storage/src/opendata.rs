//! Datasets and their resources (`datasets`, `dataset_resources`).
//!
//! Every change commits, in one transaction, the row, an audit entry and an outbox event
//! (`dataset.saved`, `dataset.submitted`, `dataset.published`, ...), so the search index, the
//! caches and units' applications follow the catalogue the way they follow everything else.

use crate::audit::{self, AuditActor, Change};
use crate::entity::{dataset, dataset_resource, unit};
use crate::{events, Result, StorageError, Store};
use chrono::{DateTime, NaiveDate, Utc};
use kotapintar_domain::content::{EditorialStatus, EditorialStep};
use kotapintar_domain::editorial::EditorialChange;
use kotapintar_domain::event::{DatasetEvent, DomainEvent};
use kotapintar_domain::ids::{DatasetId, UnitId};
use kotapintar_domain::opendata::table::{Column, ColumnType};
use kotapintar_domain::opendata::{
    DatasetDraft, DatasetName, Frequency, Licence, LiveSource, ResourceFormat, Topic,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;

/// Where uploaded resource files live under the uploads directory.
pub const DATA_DIR: &str = "data";

/// Stable ids for things kotapintar does not give a UUID of their own (units as CKAN
/// organizations, topics as CKAN groups): a name-based UUID, the same on every node and run.
pub fn stable_uuid(kind: &str, key: &str) -> String {
    // the namespace is itself a name-based UUID of the project's name, fixed forever
    let ns = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"https://kotapintar.id/ns");
    uuid::Uuid::new_v5(&ns, format!("{kind}:{key}").as_bytes()).to_string()
}

/// The unit that publishes a dataset, as the catalogue shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Publisher {
    pub id: i64,
    pub uuid: String,
    pub slug: String,
    pub name: String,
    pub email: Option<String>,
    pub website: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Where a resource's data comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Source {
    /// A file a unit uploaded (random stored name, size, SHA-256).
    Upload {
        file: String,
        bytes: i64,
        sha256: String,
    },
    /// A table computed from kotapintar's records at each download.
    Live(LiveSource),
}

#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    pub id: i64,
    pub uuid: String,
    pub dataset_id: DatasetId,
    pub position: i32,
    pub name: String,
    pub description: String,
    pub format: ResourceFormat,
    pub source: Source,
    /// The name offered when downloading (`jumlah-pasar.csv`).
    pub file_name: String,
    pub columns: Vec<Column>,
    pub row_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Resource {
    /// Whether the DataStore (tabular preview, `datastore_search`) serves this resource.
    pub fn is_tabular(&self) -> bool {
        self.is_live() || self.format.is_tabular()
    }

    /// A live table has no stored columns or row count: both change with the records.
    pub fn is_live(&self) -> bool {
        matches!(self.source, Source::Live(_))
    }

    /// The format a download comes in: a tabular resource (a live table included) is offered
    /// as CSV, whatever it was uploaded as.
    pub fn offered_format(&self) -> &'static str {
        if self.is_tabular() {
            "CSV"
        } else {
            self.format.as_str()
        }
    }

    /// The media type of a download, as [`Resource::offered_format`].
    pub fn offered_mimetype(&self) -> &'static str {
        if self.is_tabular() {
            "text/csv"
        } else {
            self.format.mimetype()
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Dataset {
    pub id: DatasetId,
    pub uuid: String,
    pub unit_id: UnitId,
    pub publisher: Publisher,
    pub name: DatasetName,
    pub title: String,
    pub notes: String,
    pub tags: Vec<String>,
    pub topic: Topic,
    pub licence: Licence,
    pub frequency: Frequency,
    pub temporal_start: Option<NaiveDate>,
    pub temporal_end: Option<NaiveDate>,
    pub spatial: String,
    pub contact_name: String,
    pub contact_email: String,
    pub status: EditorialStatus,
    pub revision: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub resources: Vec<Resource>,
}

impl Dataset {
    /// The draft as stored: what a form shows back, and what the audit log compares.
    pub fn draft(&self) -> DatasetDraft {
        DatasetDraft {
            unit_id: self.unit_id,
            name: Some(self.name.clone()),
            title: self.title.clone(),
            notes: self.notes.clone(),
            tags: self.tags.clone(),
            topic: self.topic,
            licence: self.licence,
            frequency: self.frequency,
            temporal_start: self.temporal_start,
            temporal_end: self.temporal_end,
            spatial: self.spatial.clone(),
            contact_name: self.contact_name.clone(),
            contact_email: self.contact_email.clone(),
        }
    }

    /// The latest change to the dataset or any of its resources (CKAN's `metadata_modified`).
    pub fn modified(&self) -> DateTime<Utc> {
        self.resources
            .iter()
            .map(|r| r.updated_at)
            .chain(std::iter::once(self.updated_at))
            .max()
            .unwrap_or(self.updated_at)
    }
}

#[derive(Serialize, Deserialize)]
struct StoredColumn {
    name: String,
    kind: String,
}

fn columns_field(cols: &[Column]) -> String {
    let stored: Vec<StoredColumn> = cols
        .iter()
        .map(|c| StoredColumn {
            name: c.name.clone(),
            kind: c.kind.as_str().into(),
        })
        .collect();
    serde_json::to_string(&stored).unwrap_or_else(|_| "[]".into())
}

/// A stored value of `column` that must parse; one that does not is corrupt, never a default.
fn stored<T, E>(
    column: &str,
    value: &str,
    parse: impl FnOnce(&str) -> std::result::Result<T, E>,
) -> Result<T> {
    parse(value).map_err(|_| StorageError::corrupt(column, value))
}

fn columns_of(raw: &str) -> Result<Vec<Column>> {
    let stored_columns: Vec<StoredColumn> = stored("dataset_resources.columns", raw, |r| {
        serde_json::from_str(r)
    })?;
    stored_columns
        .into_iter()
        .map(|c| {
            Ok(Column {
                kind: stored("dataset_resources.columns", &c.kind, ColumnType::parse)?,
                name: c.name,
            })
        })
        .collect()
}

/// A stored resource; a format, live source or columns this version cannot read are an
/// error, never a default.
fn resource_of(m: dataset_resource::Model) -> Result<Resource> {
    let source = match (m.live_source.as_deref(), m.file) {
        (Some(l), _) => Source::Live(stored(
            "dataset_resources.live_source",
            l,
            LiveSource::parse,
        )?),
        (None, file) => Source::Upload {
            file: file.unwrap_or_default(),
            bytes: m.bytes.unwrap_or(0),
            sha256: m.sha256.unwrap_or_default(),
        },
    };
    Ok(Resource {
        format: stored("dataset_resources.format", &m.format, ResourceFormat::parse)?,
        columns: columns_of(&m.columns)?,
        id: m.id,
        uuid: m.uuid,
        dataset_id: DatasetId(m.dataset_id),
        position: m.position,
        name: m.name,
        description: m.description,
        source,
        file_name: m.file_name,
        row_count: m.row_count,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn publisher_of(u: &unit::Model) -> Publisher {
    Publisher {
        id: u.id,
        uuid: stable_uuid("unit", &u.code),
        slug: u.slug.clone(),
        name: u.name.clone(),
        email: u.email.clone(),
        website: u.website.clone(),
        created_at: u.created_at,
    }
}

/// Every active unit as a publisher (CKAN's organizations), with the time the unit was
/// created, as a dataset's publisher carries it.
pub async fn publishers(store: &Store) -> Result<Vec<Publisher>> {
    Ok(unit::Entity::find()
        .filter(unit::Column::Active.eq(true))
        .order_by_asc(unit::Column::Name)
        .all(&store.reader)
        .await?
        .iter()
        .map(publisher_of)
        .collect())
}

fn parse_date(s: &Option<String>) -> Option<NaiveDate> {
    s.as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

async fn assemble(db: &impl ConnectionTrait, models: Vec<dataset::Model>) -> Result<Vec<Dataset>> {
    if models.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
    let mut unit_ids: Vec<i64> = models.iter().map(|m| m.unit_id).collect();
    unit_ids.sort_unstable();
    unit_ids.dedup();
    let units: HashMap<i64, unit::Model> = unit::Entity::find()
        .filter(unit::Column::Id.is_in(unit_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut resources: HashMap<i64, Vec<Resource>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for r in dataset_resource::Entity::find()
            .filter(dataset_resource::Column::DatasetId.is_in(chunk.to_vec()))
            .order_by_asc(dataset_resource::Column::Position)
            .order_by_asc(dataset_resource::Column::Id)
            .all(db)
            .await?
        {
            resources
                .entry(r.dataset_id)
                .or_default()
                .push(resource_of(r)?);
        }
    }
    let mut out = Vec::with_capacity(models.len());
    for m in models {
        let Some(u) = units.get(&m.unit_id) else {
            continue;
        };
        out.push(Dataset {
            tags: stored("datasets.tags", &m.tags, |t| serde_json::from_str(t))?,
            topic: stored("datasets.topic", &m.topic, Topic::parse)?,
            licence: stored("datasets.licence", &m.licence, Licence::parse)?,
            frequency: stored("datasets.frequency", &m.frequency, Frequency::parse)?,
            status: stored("datasets.status", &m.status, EditorialStatus::parse)?,
            id: DatasetId(m.id),
            uuid: m.uuid,
            unit_id: UnitId(m.unit_id),
            publisher: publisher_of(u),
            name: DatasetName::from_stored(m.name),
            title: m.title,
            notes: m.notes,
            temporal_start: parse_date(&m.temporal_start),
            temporal_end: parse_date(&m.temporal_end),
            spatial: m.spatial,
            contact_name: m.contact_name,
            contact_email: m.contact_email,
            revision: m.revision,
            created_at: m.created_at,
            updated_at: m.updated_at,
            published_at: m.published_at,
            resources: resources.remove(&m.id).unwrap_or_default(),
        });
    }
    Ok(out)
}

fn apply(am: &mut dataset::ActiveModel, d: &DatasetDraft) {
    am.unit_id = Set(d.unit_id.0);
    am.title = Set(d.title.clone());
    am.notes = Set(d.notes.clone());
    am.tags = Set(serde_json::to_string(&d.tags).unwrap_or_else(|_| "[]".into()));
    am.topic = Set(d.topic.as_str().into());
    am.licence = Set(d.licence.id().into());
    am.frequency = Set(d.frequency.as_str().into());
    am.temporal_start = Set(d.temporal_start.map(|x| x.to_string()));
    am.temporal_end = Set(d.temporal_end.map(|x| x.to_string()));
    am.spatial = Set(d.spatial.clone());
    am.contact_name = Set(d.contact_name.clone());
    am.contact_email = Set(d.contact_email.clone());
}

async fn name_taken(
    db: &impl ConnectionTrait,
    name: &DatasetName,
    except: Option<i64>,
) -> Result<bool> {
    let mut q = dataset::Entity::find().filter(dataset::Column::Name.eq(name.as_str()));
    if let Some(id) = except {
        q = q.filter(dataset::Column::Id.ne(id));
    }
    Ok(q.count(db).await? > 0)
}

/// A typed name must be free (the clash is explained on the field); one made from the title
/// is numbered until it is free.
async fn choose_name(
    db: &impl ConnectionTrait,
    typed: Option<&DatasetName>,
    title: &str,
    except: Option<i64>,
) -> Result<DatasetName> {
    if let Some(n) = typed {
        if name_taken(db, n, except).await? {
            return Err(StorageError::field("name", "dataset_name_taken"));
        }
        return Ok(n.clone());
    }
    let base = DatasetName::from_title(title);
    if !name_taken(db, &base, except).await? {
        return Ok(base);
    }
    for n in 2..1000 {
        let candidate = base.numbered(n);
        if !name_taken(db, &candidate, except).await? {
            return Ok(candidate);
        }
    }
    Err(StorageError::field("name", "dataset_name_taken"))
}

async fn announce(
    db: &impl ConnectionTrait,
    change: EditorialChange,
    m: &dataset::Model,
) -> Result<()> {
    let event = DomainEvent::Dataset(
        change,
        DatasetEvent {
            id: DatasetId(m.id),
            name: m.name.clone(),
            status: stored("datasets.status", &m.status, EditorialStatus::parse)?,
            revision: m.revision,
        },
    );
    events::append_event(db, &event, &[UnitId(m.unit_id)], false).await?;
    Ok(())
}

/// Stores a new dataset as a draft.
pub async fn create(
    store: &Store,
    actor: &AuditActor,
    created_by: i64,
    draft: DatasetDraft,
) -> Result<Dataset> {
    let tx = store.writer.begin().await?;
    let name = choose_name(&tx, draft.name.as_ref(), &draft.title, None).await?;
    let now = Utc::now();
    let mut am = dataset::ActiveModel {
        uuid: Set(uuid::Uuid::new_v4().to_string()),
        name: Set(name.as_str().into()),
        status: Set(EditorialStatus::Draft.as_str().into()),
        revision: Set(1),
        created_by: Set(created_by),
        created_at: Set(now),
        updated_at: Set(now),
        published_at: Set(None),
        ..Default::default()
    };
    apply(&mut am, &draft);
    let m = am
        .insert(&tx)
        .await
        .map_err(|e| StorageError::on_unique(e, "name", "dataset_name_taken"))?;
    audit::append(
        &tx,
        actor,
        Change::new("dataset.create", "dataset", m.id).after(&draft),
    )
    .await?;
    announce(&tx, EditorialChange::Saved, &m).await?;
    tx.commit().await?;
    get(store, DatasetId(m.id)).await
}

async fn locked(tx: &impl ConnectionTrait, id: i64) -> Result<dataset::Model> {
    crate::rows::locked::<dataset::Entity>(tx, id).await
}

/// Saves an edit. A published dataset stays published (the walidata approved its content
/// once; its page changes, and the audit log keeps what changed). The name changes only when
/// typed, so harvesters and links keep finding it.
pub async fn update(
    store: &Store,
    actor: &AuditActor,
    id: DatasetId,
    draft: DatasetDraft,
) -> Result<Dataset> {
    let id = id.0;
    let tx = store.writer.begin().await?;
    let m = locked(&tx, id).await?;
    if m.unit_id != draft.unit_id.0 {
        return Err(StorageError::Forbidden);
    }
    let before = assemble(&tx, vec![m.clone()]).await?.remove(0).draft();
    let name = match &draft.name {
        Some(n) if n.as_str() != m.name => {
            choose_name(&tx, Some(n), &draft.title, Some(id)).await?
        }
        _ => DatasetName::from_stored(m.name.clone()),
    };
    let revision = m.revision + 1;
    let mut am: dataset::ActiveModel = m.into();
    apply(&mut am, &draft);
    am.name = Set(name.as_str().into());
    am.revision = Set(revision);
    am.updated_at = Set(Utc::now());
    let m = am
        .update(&tx)
        .await
        .map_err(|e| StorageError::on_unique(e, "name", "dataset_name_taken"))?;
    audit::append(
        &tx,
        actor,
        Change::new("dataset.update", "dataset", id)
            .before(&before)
            .after(&draft),
    )
    .await?;
    announce(&tx, EditorialChange::Saved, &m).await?;
    tx.commit().await?;
    get(store, DatasetId(id)).await
}

/// Moves a dataset through review: submitted by its producer, published, returned or
/// withdrawn by the walidata (the caller checks who may, with `Permission::DatasetStep`). A
/// dataset without resources cannot be published: there would be nothing to download.
pub async fn step(
    store: &Store,
    actor: &AuditActor,
    id: DatasetId,
    step: EditorialStep,
) -> Result<Dataset> {
    let id = id.0;
    let tx = store.writer.begin().await?;
    let m = locked(&tx, id).await?;
    crate::editorial::check(&m, step)?;
    if matches!(step, EditorialStep::Submit | EditorialStep::Publish) {
        let n = dataset_resource::Entity::find()
            .filter(dataset_resource::Column::DatasetId.eq(id))
            .count(&tx)
            .await?;
        if n == 0 {
            return Err(StorageError::field(
                "resources",
                "dataset_without_resources",
            ));
        }
    }
    let (t, m) = crate::editorial::step(&tx, actor, m, step).await?;
    announce(&tx, t.change, &m).await?;
    tx.commit().await?;
    get(store, DatasetId(id)).await
}

/// A resource to add: its description and where its data comes from.
#[derive(Debug, Clone)]
pub struct NewResource {
    pub name: String,
    pub description: String,
    pub format: ResourceFormat,
    pub source: Source,
    pub file_name: String,
    pub columns: Vec<Column>,
    pub row_count: i64,
}

/// Adds a resource at the end of the dataset's list.
pub async fn add_resource(
    store: &Store,
    actor: &AuditActor,
    dataset_id: DatasetId,
    r: NewResource,
) -> Result<Resource> {
    let dataset_id = dataset_id.0;
    let tx = store.writer.begin().await?;
    let m = locked(&tx, dataset_id).await?;
    let position = dataset_resource::Entity::find()
        .filter(dataset_resource::Column::DatasetId.eq(dataset_id))
        .count(&tx)
        .await? as i32;
    let now = Utc::now();
    let (live, file, bytes, sha) = match &r.source {
        Source::Live(l) => (Some(l.as_str().to_string()), None, None, None),
        Source::Upload {
            file,
            bytes,
            sha256,
        } => (None, Some(file.clone()), Some(*bytes), Some(sha256.clone())),
    };
    let rm = dataset_resource::ActiveModel {
        uuid: Set(uuid::Uuid::new_v4().to_string()),
        dataset_id: Set(dataset_id),
        position: Set(position),
        name: Set(r.name.chars().take(200).collect()),
        description: Set(r.description.clone()),
        format: Set(r.format.as_str().into()),
        live_source: Set(live),
        file: Set(file),
        file_name: Set(r.file_name.clone()),
        bytes: Set(bytes),
        sha256: Set(sha),
        columns: Set(columns_field(&r.columns)),
        row_count: Set(r.row_count),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let revision = m.revision + 1;
    let mut am: dataset::ActiveModel = m.into();
    am.revision = Set(revision);
    am.updated_at = Set(now);
    let m = am.update(&tx).await?;
    audit::append(
        &tx,
        actor,
        Change::new("dataset.resource_add", "dataset", dataset_id).after(&serde_json::json!({
            "resource": rm.uuid,
            "name": rm.name,
            "format": rm.format,
            "live_source": rm.live_source,
            "sha256": rm.sha256,
            "bytes": rm.bytes,
        })),
    )
    .await?;
    announce(&tx, EditorialChange::Saved, &m).await?;
    tx.commit().await?;
    resource_of(rm)
}

/// Removes a resource (its file stays on disk: old links answer 404 from the database's
/// point of view, and a backup restored later still has the file).
pub async fn remove_resource(
    store: &Store,
    actor: &AuditActor,
    dataset_id: DatasetId,
    resource_id: i64,
) -> Result<()> {
    let dataset_id = dataset_id.0;
    let tx = store.writer.begin().await?;
    let m = locked(&tx, dataset_id).await?;
    let r = dataset_resource::Entity::find_by_id(resource_id)
        .filter(dataset_resource::Column::DatasetId.eq(dataset_id))
        .one(&tx)
        .await?
        .ok_or(StorageError::NotFound)?;
    let remaining = dataset_resource::Entity::find()
        .filter(dataset_resource::Column::DatasetId.eq(dataset_id))
        .count(&tx)
        .await?;
    if remaining <= 1 && m.status == EditorialStatus::Published.as_str() {
        return Err(StorageError::field(
            "resources",
            "dataset_without_resources",
        ));
    }
    dataset_resource::Entity::delete_by_id(resource_id)
        .exec(&tx)
        .await?;
    let revision = m.revision + 1;
    let mut am: dataset::ActiveModel = m.into();
    am.revision = Set(revision);
    am.updated_at = Set(Utc::now());
    let m = am.update(&tx).await?;
    audit::append(
        &tx,
        actor,
        Change::new("dataset.resource_remove", "dataset", dataset_id)
            .before(&serde_json::json!({ "resource": r.uuid, "name": r.name, "sha256": r.sha256 })),
    )
    .await?;
    announce(&tx, EditorialChange::Saved, &m).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn get(store: &Store, id: DatasetId) -> Result<Dataset> {
    let id = id.0;
    let m = crate::rows::by_id::<dataset::Entity>(&store.reader, id).await?;
    assemble(&store.reader, vec![m])
        .await?
        .pop()
        .ok_or(StorageError::NotFound)
}

/// Datasets of these units (all units: `None`), newest change first, for the staff area.
pub async fn list_for_staff(store: &Store, units: Option<&[UnitId]>) -> Result<Vec<Dataset>> {
    let mut q = dataset::Entity::find().order_by_desc(dataset::Column::UpdatedAt);
    if let Some(u) = units {
        q = q.filter(dataset::Column::UnitId.is_in(u.iter().map(|x| x.0)));
    }
    assemble(&store.reader, q.all(&store.reader).await?).await
}

/// Every published dataset with its resources, ordered by id (the catalogue is small: a
/// regency publishes hundreds of datasets, not millions, so the web layer filters in memory).
pub async fn published(store: &Store) -> Result<Vec<Dataset>> {
    let models = dataset::Entity::find()
        .filter(dataset::Column::Status.eq(EditorialStatus::Published.as_str()))
        .order_by_asc(dataset::Column::Id)
        .all(&store.reader)
        .await?;
    assemble(&store.reader, models).await
}

/// Reads a stored upload back (names are random and made only by `save_file`).
pub fn file_path(uploads: &Path, file: &str) -> Option<std::path::PathBuf> {
    let ok = !file.is_empty()
        && file.len() < 80
        && file.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        && !file.contains("..");
    ok.then(|| uploads.join(DATA_DIR).join(file))
}

/// Stores an accepted upload under a random name; returns the stored name, size and SHA-256.
/// Refused (`Unavailable`, nothing written) while the disk is below its free-space threshold
/// or would not hold the file.
pub fn save_file(
    store: &Store,
    uploads: &Path,
    bytes: &[u8],
    format: ResourceFormat,
) -> Result<Source> {
    let dir = uploads.join(DATA_DIR);
    crate::space::check_upload(store, &dir, bytes.len() as u64)?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| StorageError::from_io("cannot make the data directory", &e))?;
    let name = format!("{}.{}", uuid::Uuid::new_v4().simple(), format.extension());
    // written to a temporary name first, so a crash never leaves half a file under the name
    let tmp = dir.join(format!("{name}.tmp"));
    crate::space::write_upload(&tmp, bytes)?;
    std::fs::rename(&tmp, dir.join(&name)).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        StorageError::from_io("cannot store an upload", &e)
    })?;
    Ok(Source::Upload {
        file: name,
        bytes: bytes.len() as i64,
        sha256: hex::encode(Sha256::digest(bytes)),
    })
}
