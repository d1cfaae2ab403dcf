//! Administrative areas, imported from the idn-area-data CSV files (Kemendagri codes, ODbL).

use crate::audit::{self, AuditActor, Change};
use crate::entity::region;
use crate::{Result, StorageError, Store};
use kotapintar_domain::event::{DomainEvent, RegionsImported};
use kotapintar_domain::region::{RegionCode, RegionLevel};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

/// One CSV file's name (for messages) and content.
pub struct CsvFile<'a> {
    pub name: String,
    pub content: &'a str,
}

/// The four files of idn-area-data.
pub struct AreaFiles<'a> {
    pub provinces: CsvFile<'a>,
    pub regencies: CsvFile<'a>,
    pub districts: CsvFile<'a>,
    pub villages: CsvFile<'a>,
}

/// A row that cannot be imported, named by file, line and field.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{file}, line {line}, field '{field}': {message}")]
pub struct ImportError {
    pub file: String,
    pub line: u64,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub code: RegionCode,
    pub parent: Option<RegionCode>,
    pub level: RegionLevel,
    pub name: String,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub regency_name: String,
    pub districts: usize,
    pub villages: usize,
}

/// Reads one file, keeping the rows whose first column is `wanted` or lies within it.
/// Every row is checked, not only the wanted ones, so a damaged file is noticed at once.
fn read_rows(
    f: &CsvFile<'_>,
    parent_col: Option<&str>,
    wanted: impl Fn(&RegionCode) -> bool,
) -> Result<Vec<Region>, ImportError> {
    let err = |line: u64, field: &str, message: String| ImportError {
        file: f.name.clone(),
        line,
        field: field.to_string(),
        message,
    };
    let mut rdr = csv::ReaderBuilder::new().from_reader(f.content.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| err(1, "header", e.to_string()))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let code_i = col("code").ok_or_else(|| err(1, "code", "missing column".into()))?;
    let name_i = col("name").ok_or_else(|| err(1, "name", "missing column".into()))?;
    let parent_i = match parent_col {
        Some(p) => Some(col(p).ok_or_else(|| err(1, p, "missing column".into()))?),
        None => None,
    };
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| err(line, "row", e.to_string()))?;
        let raw_code = rec.get(code_i).unwrap_or("");
        let code = RegionCode::parse(raw_code).map_err(|_| {
            err(
                line,
                "code",
                format!("'{raw_code}' is not a Kemendagri code"),
            )
        })?;
        let name = rec.get(name_i).unwrap_or("").trim();
        if name.is_empty() {
            return Err(err(line, "name", "is empty".into()));
        }
        let parent = match parent_i {
            Some(pi) => {
                let raw = rec.get(pi).unwrap_or("");
                let p = RegionCode::parse(raw).map_err(|_| {
                    err(
                        line,
                        parent_col.unwrap_or(""),
                        format!("'{raw}' is not a Kemendagri code"),
                    )
                })?;
                if code.parent().as_ref() != Some(&p) {
                    return Err(err(
                        line,
                        parent_col.unwrap_or(""),
                        format!("{p} is not the parent of {code}"),
                    ));
                }
                Some(p)
            }
            None => None,
        };
        if wanted(&code) {
            out.push(Region {
                level: code.level(),
                code,
                parent,
                name: name.to_string(),
            });
        }
    }
    Ok(out)
}

/// Everything to import for one regency or city: its province, itself, its kecamatan and
/// its desa/kelurahan. Pure parsing; nothing is written.
pub fn parse_for_regency(
    files: &AreaFiles<'_>,
    regency: &RegionCode,
) -> Result<Vec<Region>, ImportError> {
    let province = regency.parent();
    let mut all = read_rows(&files.provinces, None, |c| Some(c) == province.as_ref())?;
    let regencies = read_rows(&files.regencies, Some("province_code"), |c| c == regency)?;
    if regencies.is_empty() {
        return Err(ImportError {
            file: files.regencies.name.clone(),
            line: 0,
            field: "code".into(),
            message: format!("no regency or city with code {regency}"),
        });
    }
    all.extend(regencies);
    all.extend(read_rows(&files.districts, Some("regency_code"), |c| {
        c.is_within(regency)
    })?);
    all.extend(read_rows(&files.villages, Some("district_code"), |c| {
        c.is_within(regency)
    })?);
    Ok(all)
}

/// Writes the regions in one transaction: an import either lands whole or not at all.
/// Re-importing updates names and adds new areas; it never deletes (requests refer to codes).
pub async fn import(
    store: &Store,
    actor: &AuditActor,
    regions: &[Region],
) -> Result<ImportSummary> {
    let tx = store.writer.begin().await?;
    for chunk in regions.chunks(500) {
        let models = chunk.iter().map(|r| region::ActiveModel {
            code: Set(r.code.to_string()),
            parent_code: Set(r
                .parent
                .as_ref()
                .map(|p| p.to_string())
                .or_else(|| r.code.parent().map(|p| p.to_string()))),
            level: Set(r.level.as_str().to_string()),
            name: Set(r.name.clone()),
            village_kind: Set(r.code.village_kind().map(|k| k.as_str().to_string())),
        });
        region::Entity::insert_many(models)
            .on_conflict(
                OnConflict::column(region::Column::Code)
                    .update_columns([
                        region::Column::ParentCode,
                        region::Column::Level,
                        region::Column::Name,
                        region::Column::VillageKind,
                    ])
                    .to_owned(),
            )
            .exec(&tx)
            .await?;
    }
    let summary = ImportSummary {
        regency_name: regions
            .iter()
            .find(|r| r.level == RegionLevel::Regency)
            .map(|r| r.name.clone())
            .unwrap_or_default(),
        districts: regions
            .iter()
            .filter(|r| r.level == RegionLevel::District)
            .count(),
        villages: regions
            .iter()
            .filter(|r| r.level == RegionLevel::Village)
            .count(),
    };
    let regency_code = regions
        .iter()
        .find(|r| r.level == RegionLevel::Regency)
        .map(|r| r.code.to_string())
        .unwrap_or_default();
    audit::append(
        &tx,
        actor,
        Change::new("regions.import", "region", regency_code.clone()).after(&serde_json::json!({
            "districts": summary.districts,
            "villages": summary.villages,
        })),
    )
    .await?;
    // public pages list the areas: tell their caches (addressed to no unit's client)
    let event = DomainEvent::RegionsImported(RegionsImported {
        regency_code,
        districts: summary.districts,
        villages: summary.villages,
    });
    crate::events::append_event(&tx, &event, &[], false).await?;
    tx.commit().await?;
    Ok(summary)
}

/// An administrative area as pages and the API name it: its Kemendagri code and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    pub code: String,
    pub name: String,
}

impl From<region::Model> for Area {
    fn from(m: region::Model) -> Self {
        Area {
            code: m.code,
            name: m.name,
        }
    }
}

/// The areas directly inside `parent`, by name.
pub async fn children(store: &Store, parent: &RegionCode) -> Result<Vec<Area>> {
    Ok(region::Entity::find()
        .filter(region::Column::ParentCode.eq(parent.as_str()))
        .order_by_asc(region::Column::Name)
        .all(&store.reader)
        .await?
        .into_iter()
        .map(Area::from)
        .collect())
}

/// How many children each child of `parent` has (a regency's kecamatan → their villages), in
/// one query: codes are hierarchical, so the grandchildren are the codes under `parent.`.
pub async fn grandchild_counts(
    store: &Store,
    parent: &RegionCode,
) -> Result<std::collections::HashMap<String, u64>> {
    let rows: Vec<(String, i64)> = region::Entity::find()
        .select_only()
        .column(region::Column::ParentCode)
        .column_as(region::Column::Code.count(), "n")
        .filter(region::Column::ParentCode.starts_with(format!("{}.", parent.as_str())))
        .group_by(region::Column::ParentCode)
        .into_tuple()
        .all(&store.reader)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(p, n)| (p, u64::try_from(n).unwrap_or(0)))
        .collect())
}

pub async fn get(store: &Store, code: &RegionCode) -> Result<Area> {
    region::Entity::find_by_id(code.as_str())
        .one(&store.reader)
        .await?
        .map(Area::from)
        .ok_or(StorageError::NotFound)
}
