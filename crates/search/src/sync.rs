//! Keeping a node's index in step with the database. Every change that the public can see
//! writes an event in its own transaction (see `storage::events`); each node follows the event
//! feed from the cursor stored in its index, re-reads what each event names and re-indexes or
//! removes it. So every node, on SQLite or on PostgreSQL, converges on the same index, and
//! `rebuild` produces it from scratch.

use crate::docs;
use crate::index::SearchIndex;
use crate::SearchError;
use chrono::{DateTime, Utc};
use kotapintar_domain::event::{EventKind, SubjectType};
use kotapintar_storage::{content, events, opendata, requests, services, units, Store};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::sync::watch;

/// How often a node looks for new events. New content is findable within this plus the time
/// to index it (well under the 2 seconds promised).
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

const BATCH: u64 = 1000;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Subject {
    Content(i64),
    Request(String),
    Service(i64),
    Unit(i64),
    Dataset(i64),
}

/// Re-reads the subjects and stages their current public form, or their removal.
async fn refresh(
    store: &Store,
    index: &SearchIndex,
    subjects: BTreeSet<Subject>,
    now: DateTime<Utc>,
) -> Result<usize, SearchError> {
    let db = &store.reader;
    let mut upserts = Vec::new();
    let mut removals = Vec::new();
    let mut unit_cache: Option<Vec<kotapintar_domain::unit::Unit>> = None;
    // Requests are read in one query per 500 (at a thousand new requests a second, one
    // query each cost the database as much as the requests themselves).
    let codes: Vec<String> = subjects
        .iter()
        .filter_map(|s| match s {
            Subject::Request(code) => Some(code.clone()),
            _ => None,
        })
        .collect();
    let mut found: HashMap<String, requests::SearchableRequest> =
        requests::searchable_by_codes(db, &codes)
            .await?
            .into_iter()
            .map(|r| (r.public.tracking_code.clone(), r))
            .collect();
    for s in subjects {
        match s {
            Subject::Content(id) => match content::public_by_id(db, id, now).await? {
                Some(item) => upserts.push(docs::from_content(&item)),
                None => removals.push(docs::content_key(id)),
            },
            Subject::Request(code) => match found.remove(&code) {
                Some(r) => upserts.push(docs::from_request(&r)),
                None => removals.push(docs::request_key(&code)),
            },
            Subject::Service(id) => match services::get(store, id).await {
                Ok(svc) if svc.draft.active => {
                    if unit_cache.is_none() {
                        unit_cache = Some(units::list(store).await?);
                    }
                    let slug = unit_cache
                        .as_ref()
                        .and_then(|us| us.iter().find(|u| u.id.0 == svc.unit_id))
                        .map(|u| u.slug.clone())
                        .unwrap_or_default();
                    upserts.push(docs::from_service(&svc, &slug, now));
                }
                Ok(_) | Err(kotapintar_storage::StorageError::NotFound) => {
                    removals.push(docs::service_key(id))
                }
                Err(e) => return Err(e.into()),
            },
            Subject::Dataset(id) => {
                match opendata::get(store, kotapintar_domain::ids::DatasetId(id)).await {
                    Ok(d) if kotapintar_domain::opendata::is_public(d.status) => {
                        upserts.push(docs::from_dataset(&d))
                    }
                    Ok(_) | Err(kotapintar_storage::StorageError::NotFound) => {
                        removals.push(docs::dataset_key(id))
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Subject::Unit(id) => {
                match units::get(store, kotapintar_domain::ids::UnitId(id)).await {
                    Ok(u) if u.active => upserts.push(docs::from_unit(&u, now)),
                    Ok(_) | Err(kotapintar_storage::StorageError::NotFound) => {
                        removals.push(docs::unit_key(id))
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    let n = upserts.len() + removals.len();
    index.stage(&upserts, &removals)?;
    Ok(n)
}

/// What an event asks the index to read again, by its kind; `None` for kinds the index does
/// not show (performance figures, regions) and for kinds this version does not know.
fn subject_of(e: &events::Event) -> Option<Subject> {
    let id = &e.subject_id;
    match EventKind::parse(&e.kind)?.subject_type() {
        SubjectType::Request => Some(Subject::Request(id.clone())),
        SubjectType::Content => id.parse().ok().map(Subject::Content),
        SubjectType::Service => id.parse().ok().map(Subject::Service),
        SubjectType::Unit => id.parse().ok().map(Subject::Unit),
        SubjectType::Dataset => id.parse().ok().map(Subject::Dataset),
        SubjectType::Performance | SubjectType::Region => None,
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub cursor: i64,
    pub changed: usize,
}

/// Absorbs the events after the index's cursor (and content whose scheduled moment passed
/// since `since`), commits them with the new cursor. Returns `None` if the index needs a
/// rebuild first.
pub async fn catch_up(
    store: &Store,
    index: &SearchIndex,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<Pass>, SearchError> {
    let Some(mut cursor) = index.cursor()? else {
        return Ok(None);
    };
    // An index ahead of the database was built from a later state of it: the database was
    // restored from a backup under an existing index. The events it would wait for reuse
    // numbers it has already passed, so new content would never be indexed (and content
    // that is no longer in the database would still be found): build it again.
    if cursor > events::head(&store.reader).await? {
        tracing::warn!(
            index_cursor = cursor,
            "the search index is ahead of the database (restored from a backup?)"
        );
        return Ok(None);
    }
    let mut changed = 0;
    let mut subjects: BTreeSet<Subject> = content::becoming_public(&store.reader, since, now)
        .await?
        .into_iter()
        .map(Subject::Content)
        .collect();
    loop {
        let batch = events::after(&store.reader, cursor, None, BATCH).await?;
        let last = batch.last().map(|e| e.seq);
        subjects.extend(batch.iter().filter_map(subject_of));
        if let Some(last) = last {
            cursor = last;
        }
        if !subjects.is_empty() {
            changed += refresh(store, index, std::mem::take(&mut subjects), now).await?;
        }
        if (batch.len() as u64) < BATCH {
            break;
        }
    }
    if changed > 0 || Some(cursor) != index.cursor()? {
        index.commit(cursor)?;
    }
    Ok(Some(Pass { cursor, changed }))
}

/// Builds the index from scratch from the database. The cursor is read *before* reading the
/// data, so a change made during the rebuild is absorbed again by the next `catch_up`.
/// `progress` is called with the number of documents indexed so far.
pub async fn rebuild(
    store: &Store,
    index: &SearchIndex,
    mut progress: impl FnMut(u64),
) -> Result<u64, SearchError> {
    let cursor = events::head(&store.reader).await?;
    let now = Utc::now();
    index.clear()?;
    let mut n: u64 = 0;
    let all_units = units::list(store).await?;
    let slugs: HashMap<i64, String> = all_units.iter().map(|u| (u.id.0, u.slug.clone())).collect();
    let units_docs: Vec<_> = all_units
        .iter()
        .filter(|u| u.active)
        .map(|u| docs::from_unit(u, now))
        .collect();
    n += units_docs.len() as u64;
    index.add_new(&units_docs)?;
    let service_docs: Vec<_> = services::list(store, true)
        .await?
        .iter()
        .map(|s| {
            let slug = slugs.get(&s.unit_id).cloned().unwrap_or_default();
            docs::from_service(s, &slug, now)
        })
        .collect();
    n += service_docs.len() as u64;
    index.add_new(&service_docs)?;
    let dataset_docs: Vec<_> = opendata::published(store)
        .await?
        .iter()
        .map(docs::from_dataset)
        .collect();
    n += dataset_docs.len() as u64;
    index.add_new(&dataset_docs)?;
    progress(n);
    let mut after = 0;
    loop {
        let page = content::public_after(&store.reader, after, BATCH, now).await?;
        let Some(last) = page.last() else { break };
        after = last.id.0;
        let d: Vec<_> = page.iter().map(docs::from_content).collect();
        n += d.len() as u64;
        index.add_new(&d)?;
        progress(n);
    }
    let mut after = 0;
    loop {
        let page = requests::searchable_after(&store.reader, after, BATCH).await?;
        let Some(last) = page.last() else { break };
        after = last.id.0;
        let d: Vec<_> = page.iter().map(docs::from_request).collect();
        n += d.len() as u64;
        index.add_new(&d)?;
        progress(n);
    }
    index.commit(cursor)?;
    Ok(n)
}

/// Where a node builds its index from scratch.
#[derive(Debug, Clone, Default)]
pub enum Builder {
    /// In the server's own process (tests, and a server that cannot start itself again).
    #[default]
    InProcess,
    /// In a child process that is handed the index directory. A build over a million
    /// documents touches far more memory than serving does (tantivy's indexing buffers, the
    /// database's reads), and an allocator keeps much of what a process once used; in a child
    /// all of it goes back to the system when the child exits.
    Child(ChildBuild),
}

/// The command that builds the index in a child process: it must open the same database and
/// index directory, build, commit, print a [`BuildReport`] as JSON on its last line of
/// standard output, and give up when its standard input closes (the server has gone).
#[derive(Debug, Clone)]
pub struct ChildBuild {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub envs: Vec<(OsString, OsString)>,
}

/// What a build in a child process reports to the server.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct BuildReport {
    pub documents: u64,
    pub seconds: f64,
    /// The child's peak resident memory (where the system tells it).
    pub peak_memory_kib: Option<u64>,
}

/// Follows the event feed until `stop` turns true: rebuilds first if the index is new, then
/// catches up every `POLL_INTERVAL`. Errors are logged and retried: search must never take
/// the node down.
pub async fn follow(
    store: Store,
    index: Arc<SearchIndex>,
    mut builder: Builder,
    mut stop: watch::Receiver<bool>,
) {
    let mut since = Utc::now();
    loop {
        if *stop.borrow() {
            return;
        }
        let now = Utc::now();
        match catch_up(&store, &index, since, now).await {
            Ok(Some(_)) => since = now,
            Ok(None) => {
                tracing::info!("building the search index from the database");
                match build(&store, &index, &mut builder, &mut stop).await {
                    Some(Ok(_)) => since = now,
                    Some(Err(e)) => tracing::error!(error = %e, "search index rebuild failed"),
                    // stopping: the child was ended, the index is built next time
                    None => return,
                }
            }
            Err(e) => tracing::warn!(error = %e, "search index: catching up failed; will retry"),
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL_INTERVAL) => {}
            _ = stop.changed() => {}
        }
    }
}

/// Builds the index from scratch where `builder` says; `None` if `stop` turned true first.
/// If a child process fails, the node builds in its own process, now and from then on (not
/// a new process every half second if it cannot work).
async fn build(
    store: &Store,
    index: &SearchIndex,
    builder: &mut Builder,
    stop: &mut watch::Receiver<bool>,
) -> Option<Result<u64, SearchError>> {
    let child = match builder {
        Builder::Child(child) if index.dir().is_some() => child.clone(),
        _ => return Some(rebuild_logged(store, index).await),
    };
    match build_in_child(index, &child, stop).await {
        Ok(Some(report)) => {
            tracing::info!(
                documents = report.documents,
                seconds = report.seconds,
                child_peak_memory_mib = report.peak_memory_kib.map(|k| k / 1024),
                "search index built in a child process"
            );
            Some(Ok(report.documents))
        }
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(
                error = %e,
                "building the search index in a child process failed; \
                 this node builds it in its own process from now on"
            );
            *builder = Builder::InProcess;
            Some(rebuild_logged(store, index).await)
        }
    }
}

/// `rebuild` in this process, with progress in the log.
pub async fn rebuild_logged(store: &Store, index: &SearchIndex) -> Result<u64, SearchError> {
    let started = Instant::now();
    let mut last_report = Instant::now();
    let n = rebuild(store, index, |n| {
        if last_report.elapsed() > Duration::from_secs(5) {
            tracing::info!(documents = n, "search index: building");
            last_report = Instant::now();
        }
    })
    .await?;
    tracing::info!(
        documents = n,
        seconds = started.elapsed().as_secs_f64(),
        "search index built"
    );
    Ok(n)
}

/// Hands the index directory to a child process that builds it, then takes it back, whatever
/// the child did. `None` if `stop` turned true first (the child is ended).
async fn build_in_child(
    index: &SearchIndex,
    child: &ChildBuild,
    stop: &mut watch::Receiver<bool>,
) -> Result<Option<BuildReport>, SearchError> {
    index.release_writer()?;
    let outcome = run_child(child, stop).await;
    let reopened = index.reopen();
    let report = outcome?;
    reopened?;
    if report.is_some() && index.cursor()?.is_none() {
        return Err(SearchError::Index(
            "the child process reported a build but the index has no commit".into(),
        ));
    }
    Ok(report)
}

async fn run_child(
    child: &ChildBuild,
    stop: &mut watch::Receiver<bool>,
) -> Result<Option<BuildReport>, SearchError> {
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        SearchError::Index(format!("{what} {}: {e}", child.program.display()))
    };
    let mut process = tokio::process::Command::new(&child.program)
        .args(&child.args)
        .envs(child.envs.iter().map(|(k, v)| (k, v)))
        // never written to: it closes when this process ends, however it ends, and the
        // child then stops rather than hold the directory's lock against a restarted server
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| failed("cannot start", &e))?;
    // held until the child has exited: `wait` would close it otherwise
    let _stdin = process.stdin.take();
    let mut stdout = process
        .stdout
        .take()
        .ok_or_else(|| failed("no output from", &"stdout not captured"))?;
    let mut output = String::new();
    let finished = async {
        let (status, read) = tokio::join!(process.wait(), stdout.read_to_string(&mut output));
        read.map_err(|e| failed("cannot read the output of", &e))?;
        status.map_err(|e| failed("lost", &e))
    };
    let status = tokio::select! {
        status = finished => status?,
        _ = stop.changed() => {
            // `kill_on_drop` ends the child when `process` goes out of scope here
            return Ok(None);
        }
    };
    if !status.success() {
        return Err(failed("failed:", &status));
    }
    let report = output
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .and_then(|l| serde_json::from_str::<BuildReport>(l).ok())
        .ok_or_else(|| failed("no build report from", &output.trim()))?;
    Ok(Some(report))
}
