//! Progress updates and their evidence: links, and files checked by content and stored
//! under random names.

use crate::audit::{self, AuditActor, Change};
use crate::entity::{mp_evidence, mp_programme, mp_update};
use crate::{Result, StorageError, Store};
use chrono::Utc;
use kotapintar_domain::masterplan::UpdateDraft;
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use std::path::{Path, PathBuf};

/// An evidence file as uploaded.
pub struct EvidenceFile {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

pub const MAX_EVIDENCE_BYTES: usize = 10 * 1024 * 1024;

/// PDF, JPEG, PNG, or an office document (a zip: docx, xlsx, pptx), told by content.
fn evidence_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"PK\x03\x04") {
        Some("application/octet-stream")
    } else {
        None
    }
}

fn safe_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    if cleaned.trim_matches(['.', '_']).is_empty() {
        "bukti".into()
    } else {
        cleaned
    }
}

/// The directory evidence files are kept in, under the uploads directory.
pub fn evidence_dir(uploads: &Path) -> PathBuf {
    uploads.join("evidence")
}

/// Checks evidence files before anything is written: size and type by content.
pub fn check_files(files: &[EvidenceFile]) -> Result<()> {
    if files.len() > 5 {
        return Err(StorageError::field("files", "masterplan.too_many_files"));
    }
    for f in files {
        if f.bytes.is_empty() || f.bytes.len() > MAX_EVIDENCE_BYTES {
            return Err(StorageError::field("files", "masterplan.file_too_large"));
        }
        if evidence_type(&f.bytes).is_none() {
            return Err(StorageError::field("files", "masterplan.file_type"));
        }
    }
    Ok(())
}

/// Records a dated progress update with its evidence (links and files), and the programme's
/// new status if the update gives one.
pub async fn add_update(
    store: &Store,
    actor: &AuditActor,
    uploads: &Path,
    programme_id: i64,
    d: UpdateDraft,
    files: Vec<EvidenceFile>,
) -> Result<i64> {
    check_files(&files)?;
    let files = without_metadata(files).await?;
    // files first, under random names; a failed transaction removes them again
    let dir = evidence_dir(uploads);
    let mut written: Vec<(PathBuf, String, String, &'static str, i64)> = Vec::new();
    if !files.is_empty() {
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| StorageError::Other(format!("evidence directory: {e}")))?;
    }
    for (f, ctype) in &files {
        let mut b = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut b);
        let stored = hex::encode(b);
        let path = dir.join(&stored);
        tokio::fs::write(&path, &f.bytes)
            .await
            .map_err(|e| StorageError::Other(format!("evidence file: {e}")))?;
        written.push((
            path,
            stored,
            safe_file_name(&f.file_name),
            ctype,
            f.bytes.len() as i64,
        ));
    }
    let result = async {
        let tx = store.writer.begin().await?;
        let prog = crate::rows::by_id::<mp_programme::Entity>(&tx, programme_id).await?;
        let u = mp_update::ActiveModel {
            programme_id: Set(programme_id),
            reported_on: Set(d.reported_on.format("%Y-%m-%d").to_string()),
            summary: Set(d.summary.clone()),
            status: Set(d.status.map(|s| s.as_str().to_string())),
            author: Set(actor.label()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
        for l in &d.links {
            mp_evidence::ActiveModel {
                update_id: Set(u.id),
                kind: Set("link".into()),
                url: Set(Some(l.clone())),
                ..Default::default()
            }
            .insert(&tx)
            .await?;
        }
        for (_, stored, name, ctype, size) in &written {
            mp_evidence::ActiveModel {
                update_id: Set(u.id),
                kind: Set("file".into()),
                file_name: Set(Some(name.clone())),
                stored_name: Set(Some(stored.clone())),
                content_type: Set(Some((*ctype).into())),
                size: Set(Some(*size)),
                ..Default::default()
            }
            .insert(&tx)
            .await?;
        }
        let mut p: mp_programme::ActiveModel = prog.into();
        if let Some(s) = d.status {
            p.status = Set(s.as_str().into());
        }
        p.updated_at = Set(Utc::now());
        p.update(&tx).await?;
        audit::append(
            &tx,
            actor,
            Change::new("masterplan.progress_add", "mp_programme", programme_id).after(
                &serde_json::json!({
                    "update": u.id,
                    "reported_on": u.reported_on,
                    "status": u.status,
                    "links": d.links.len(),
                    "files": written.len(),
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok::<i64, StorageError>(u.id)
    }
    .await;
    if result.is_err() {
        for (path, ..) in &written {
            let _ = tokio::fs::remove_file(path).await;
        }
    }
    result
}

/// Photos lose their metadata (the GPS position, the camera, the time) the way residents'
/// photos do, by being decoded and encoded again (`media::clean_photo`); each file comes back
/// with the type it is stored and served as. Documents are kept as they are: they are
/// served only as attachments, never shown from our origin.
async fn without_metadata(files: Vec<EvidenceFile>) -> Result<Vec<(EvidenceFile, &'static str)>> {
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let ctype = evidence_type(&f.bytes).unwrap_or("application/octet-stream");
        if !ctype.starts_with("image/") {
            out.push((f, ctype));
            continue;
        }
        // decoding is CPU work: off the async threads
        let cleaned = tokio::task::spawn_blocking(move || {
            crate::media::clean_photo(&f.bytes).map(|p| (f.file_name, p))
        })
        .await
        .map_err(|e| StorageError::Other(format!("evidence photo: {e}")))?;
        let (file_name, photo) =
            cleaned.map_err(|_| StorageError::field("files", "masterplan.file_type"))?;
        out.push((
            EvidenceFile {
                file_name,
                bytes: photo.bytes,
            },
            photo.kind.mime(),
        ));
    }
    Ok(out)
}

/// An evidence file to serve, by its random stored name: the name to download it as (made
/// from the key, so the uploaded name, which may hold a person's name, is not sent), its
/// type and where it lies.
pub async fn evidence_file(
    store: &Store,
    uploads: &Path,
    key: &str,
) -> Result<(String, String, PathBuf)> {
    if key.len() != 32 || !key.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(StorageError::NotFound);
    }
    let e = mp_evidence::Entity::find()
        .filter(mp_evidence::Column::StoredName.eq(key))
        .one(&store.reader)
        .await?
        .ok_or(StorageError::NotFound)?;
    match (e.file_name, e.stored_name, e.content_type) {
        (Some(n), Some(s), Some(t)) => {
            let ext = match t.as_str() {
                "application/pdf" => "pdf",
                "image/jpeg" => "jpg",
                "image/png" => "png",
                "image/webp" => "webp",
                // an office document: its own extension, if it is a plain one
                _ => n
                    .rsplit_once('.')
                    .map(|(_, e)| e)
                    .filter(|e| {
                        (1..=5).contains(&e.len()) && e.chars().all(|c| c.is_ascii_alphanumeric())
                    })
                    .unwrap_or("bin"),
            };
            let download = format!("bukti-{}.{}", &s[..8], ext.to_ascii_lowercase());
            Ok((download, t, evidence_dir(uploads).join(s)))
        }
        _ => Err(StorageError::NotFound),
    }
}
