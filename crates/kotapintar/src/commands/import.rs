//! Bulk import from a unit's earlier application: services and historical requests, from CSV
//! (with a header row) or JSON (an array of objects). Every row is checked first; a dry run
//! only reports, naming file, line and field. A real run imports nothing if any row is
//! invalid, shows progress, and is idempotent (services by code, requests by the old
//! application's id), so an interrupted run is resumed by running it again.

use super::describe_field;
use crate::config::Settings;
use chrono::{FixedOffset, NaiveDate, TimeZone, Utc};
use kotapintar_domain::intake::RequestInput;
use kotapintar_domain::request::Status;
use kotapintar_domain::service::{ServiceDraft, ServiceInput};
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::requests::{self, HistoricalRequest};
use kotapintar_storage::{services, units, StorageError, Store};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::path::Path;
use std::process::ExitCode;

/// Rows with their line numbers (CSV: the line in the file; JSON: the item's position), each
/// the value or why it could not be read.
pub type Rows<T> = Vec<(u64, Result<T, String>)>;
/// Rows with their line numbers, each checked: the value, or its problems (field, message).
pub type CheckedRows<T> = Vec<(u64, Result<T, Vec<(String, String)>>)>;

/// Reads rows with their line numbers (CSV: the line in the file; JSON: the item's position).
fn read_rows<T: DeserializeOwned>(path: &Path) -> anyhow::Result<Rows<T>> {
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let json = path.extension().and_then(|e| e.to_str()) == Some("json");
    parse_rows(&text, json).map_err(|e| anyhow::anyhow!("{}{e}", path.display()))
}

/// The rows of an import file's text: a JSON array of objects, or CSV with a header row. The
/// error of a file that cannot be read at all starts with the separator to follow its name.
pub fn parse_rows<T: DeserializeOwned>(text: &str, json: bool) -> Result<Rows<T>, String> {
    if json {
        let items: Vec<serde_json::Value> = serde_json::from_str(text)
            .map_err(|e| format!(": not a JSON array of objects: {e}"))?;
        Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    i as u64 + 1,
                    serde_json::from_value(v).map_err(|e| e.to_string()),
                )
            })
            .collect())
    } else {
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = rdr.headers().map_err(|e| format!(", line 1: {e}"))?.clone();
        let mut out = Vec::new();
        for rec in rdr.records() {
            match rec {
                Ok(r) => {
                    let line = r.position().map(|p| p.line()).unwrap_or(0);
                    out.push((
                        line,
                        r.deserialize(Some(&headers)).map_err(|e| e.to_string()),
                    ));
                }
                Err(e) => out.push((
                    e.position().map(|p| p.line()).unwrap_or(0),
                    Err(e.to_string()),
                )),
            }
        }
        Ok(out)
    }
}

/// Every row of a requests file checked as far as it can be without the database: each
/// becomes a historical request or the list of its problems (field, code). The import runs
/// the database's checks on the good ones next.
pub fn check_request_rows(
    text: &str,
    json: bool,
    offset: FixedOffset,
) -> Result<CheckedRows<HistoricalRequest>, String> {
    Ok(parse_rows::<RequestRow>(text, json)?
        .into_iter()
        .map(|(line, row)| {
            let checked = row.map_err(|e| vec![("row".to_string(), e)]).and_then(|r| {
                check_row(r, offset).map_err(|p| {
                    p.into_iter()
                        .map(|(f, c)| (f, describe_field(c).to_string()))
                        .collect()
                })
            });
            (line, checked)
        })
        .collect())
}

/// Every row of a services file read and checked as far as it can be without the database
/// (a row without `active` is active): a draft, or its problems (field, message).
pub fn check_service_rows(text: &str, json: bool) -> Result<CheckedRows<ServiceDraft>, String> {
    Ok(parse_rows::<ServiceInput>(text, json)?
        .into_iter()
        .map(|(line, row)| {
            let draft = row
                .map_err(|e| vec![("row".to_string(), e)])
                .and_then(|mut input| {
                    if input.active.is_none() {
                        input.active = Some("on".into());
                    }
                    input.parse().map_err(|e| {
                        e.0.iter()
                            .map(|f| (f.field.clone(), describe_field(f.code).to_string()))
                            .collect()
                    })
                });
            (line, draft)
        })
        .collect())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RequestRow {
    source_id: String,
    kind: String,
    service_code: String,
    title: String,
    description: String,
    status: String,
    received_at: String,
    resolved_at: String,
    response: String,
    district_code: String,
    village_code: String,
    latitude: String,
    longitude: String,
    location_address: String,
    name: String,
    email: String,
    phone: String,
    anonymous: String,
    confidential: String,
    /// Answers to the service's questions: `code=value; code=value`.
    answers: String,
}

fn when(raw: &str, offset: FixedOffset) -> Result<Option<chrono::DateTime<Utc>>, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(Some(d.with_timezone(&Utc)));
    }
    let date = NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| "invalid_date")?;
    let midnight = date.and_hms_opt(0, 0, 0).ok_or("invalid_date")?;
    Ok(offset
        .from_local_datetime(&midnight)
        .single()
        .map(|d| d.with_timezone(&Utc)))
}

fn flag(v: &str) -> Option<String> {
    matches!(
        v.trim().to_lowercase().as_str(),
        "1" | "true" | "ya" | "yes" | "on"
    )
    .then(|| "on".into())
}

/// Turns a row into a historical request, or the list of its problems.
fn check_row(
    row: RequestRow,
    offset: FixedOffset,
) -> Result<HistoricalRequest, Vec<(String, &'static str)>> {
    let mut problems = Vec::new();
    if row.source_id.trim().is_empty() {
        problems.push(("source_id".to_string(), "required"));
    }
    let status = match Status::parse(&row.status) {
        Ok(s) => Some(s),
        Err(c) => {
            problems.push((
                "status".into(),
                if row.status.trim().is_empty() {
                    "required"
                } else {
                    c
                },
            ));
            None
        }
    };
    let received_at = match when(&row.received_at, offset) {
        Ok(Some(t)) => Some(t),
        Ok(None) => {
            problems.push(("received_at".into(), "required"));
            None
        }
        Err(c) => {
            problems.push(("received_at".into(), c));
            None
        }
    };
    let resolved_at = when(&row.resolved_at, offset).unwrap_or_else(|c| {
        problems.push(("resolved_at".into(), c));
        None
    });
    let input = RequestInput {
        kind: row.kind,
        service_code: row.service_code,
        title: row.title,
        description: row.description,
        latitude: row.latitude,
        longitude: row.longitude,
        location_address: row.location_address,
        district_code: row.district_code,
        village_code: row.village_code,
        name: row.name,
        email: row.email,
        phone: row.phone,
        anonymous: flag(&row.anonymous),
        confidential: flag(&row.confidential),
    };
    let answers: Vec<(String, String)> = row
        .answers
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (format!("q_{}", k.trim()), v.trim().to_string()))
        .collect();
    let request = match input.parse(answers) {
        Ok(r) => Some(r),
        Err(e) => {
            problems.extend(e.0.into_iter().map(|f| (answer_field(f.field), f.code)));
            None
        }
    };
    match (request, status, received_at) {
        (Some(request), Some(status), Some(received_at)) if problems.is_empty() => {
            Ok(HistoricalRequest {
                source_id: row.source_id.trim().to_string(),
                request,
                status,
                received_at,
                resolved_at,
                response: Some(row.response.trim().to_string()).filter(|r| !r.is_empty()),
            })
        }
        _ => Err(problems),
    }
}

/// Question answers come from the `answers` column; say so in messages.
fn answer_field(field: String) -> String {
    match field.strip_prefix("q_") {
        Some(code) => format!("answers.{code}"),
        None => field,
    }
}

pub async fn requests_file(
    store: &Store,
    settings: &Settings,
    unit_code: &str,
    file: &Path,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let unit = units::find_by_code(&store.reader, unit_code)
        .await?
        .ok_or_else(|| anyhow::anyhow!("--unit: There is no work unit with this code."))?;
    let name = file.display().to_string();
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (line, row) in read_rows::<RequestRow>(file)? {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                bad.push(format!("{name}, line {line}: {e}"));
                continue;
            }
        };
        match check_row(row, settings.rules.utc_offset) {
            Ok(h) => match requests::check_historical(store, &settings.rules, &h).await {
                Ok(()) => good.push((line, h)),
                Err(StorageError::Invalid(e)) => bad.extend(e.0.iter().map(|f| {
                    format!(
                        "{name}, line {line}, field '{}': {}",
                        answer_field(f.field.clone()),
                        describe_field(f.code)
                    )
                })),
                Err(e) => return Err(e.into()),
            },
            Err(problems) => {
                bad.extend(problems.iter().map(|(f, c)| {
                    format!("{name}, line {line}, field '{f}': {}", describe_field(c))
                }))
            }
        }
    }
    if let Some(code) = stop_after_check(good.len(), &bad, dry_run)? {
        return Ok(code);
    }
    let total = good.len();
    let (mut created, mut skipped) = (0, 0);
    for (i, (_, h)) in good.into_iter().enumerate() {
        if requests::import_historical(store, &settings.rules, unit.id, h).await? {
            created += 1;
        } else {
            skipped += 1;
        }
        if (i + 1) % 100 == 0 || i + 1 == total {
            eprintln!("imported {}/{total}", i + 1);
        }
    }
    kotapintar_storage::audit::append(
        &store.writer,
        &AuditActor::System("import".into()),
        kotapintar_storage::audit::Change::new("requests.import", "unit", unit.id).after(
            &serde_json::json!({"file": name, "created": created, "already_imported": skipped}),
        ),
    )
    .await?;
    println!(
        "imported {created} requests for {} ({skipped} were imported before)",
        unit.code
    );
    Ok(ExitCode::SUCCESS)
}

/// Prints the problems found in a file, and says whether the import stops here: with the exit
/// code after a dry run, with an error when anything was refused (a file is imported whole or
/// not at all), `None` when the valid rows are to be written.
fn stop_after_check(
    valid: usize,
    bad: &[String],
    dry_run: bool,
) -> anyhow::Result<Option<ExitCode>> {
    for b in bad {
        println!("{b}");
    }
    if dry_run {
        println!(
            "dry run: {valid} rows valid, {} problems; nothing was changed",
            bad.len()
        );
        return Ok(Some(if bad.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }));
    }
    if !bad.is_empty() {
        anyhow::bail!(
            "{} problems; nothing was imported (fix the file, check it with --dry-run)",
            bad.len()
        );
    }
    Ok(None)
}

pub async fn services_file(store: &Store, file: &Path, dry_run: bool) -> anyhow::Result<ExitCode> {
    let name = file.display().to_string();
    let mut good = Vec::new();
    let mut bad = Vec::new();
    let text = std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let json = file.extension().and_then(|e| e.to_str()) == Some("json");
    let rows = check_service_rows(&text, json).map_err(|e| anyhow::anyhow!("{name}{e}"))?;
    for (line, row) in rows {
        match row {
            Err(p) => bad.extend(
                p.into_iter()
                    .map(|(f, e)| format!("{name}, line {line}, field '{f}': {e}")),
            ),
            Ok(d) => match services::resolve_unit(store, &d).await {
                Ok(_) => good.push(d),
                Err(StorageError::Invalid(e)) => bad.extend(e.0.iter().map(|f| {
                    format!(
                        "{name}, line {line}, field '{}': {}",
                        f.field,
                        describe_field(f.code)
                    )
                })),
                Err(e) => return Err(e.into()),
            },
        }
    }
    if let Some(code) = stop_after_check(good.len(), &bad, dry_run)? {
        return Ok(code);
    }
    let actor = AuditActor::System("import".into());
    let (mut created, mut updated) = (0, 0);
    for d in good {
        match services::find_by_code(store, &d.code).await? {
            Some(existing) => {
                services::update(store, &actor, existing.id, d).await?;
                updated += 1;
            }
            None => {
                services::create(store, &actor, d).await?;
                created += 1;
            }
        }
    }
    println!("services: {created} created, {updated} updated");
    Ok(ExitCode::SUCCESS)
}
