//! Photos of a form that was sent back for correction. A browser cannot refill a file input,
//! so photos that passed their checks wait here under a random draft id (carried in a hidden
//! field) and go with the corrected form; residents on slow connections upload them once.
//! Drafts older than a day are removed by the sweep.

use crate::requests::PhotoFile;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

pub const MAX_PHOTOS: usize = 5;

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct DraftPhoto {
    /// The name the resident's file had, to show which photos are already attached.
    pub original_name: String,
    pub extension: String,
    pub mime: String,
    pub width: u32,
    pub height: u32,
}

fn valid_id(id: &str) -> bool {
    id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit())
}

fn dir(uploads: &Path, id: &str) -> Option<PathBuf> {
    valid_id(id).then(|| uploads.join("drafts").join(id))
}

fn new_id() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn static_str(s: &str) -> &'static str {
    match s {
        "jpg" => "jpg",
        "png" => "png",
        "webp" => "webp",
        "image/jpeg" => "image/jpeg",
        "image/png" => "image/png",
        "image/webp" => "image/webp",
        _ => "bin",
    }
}

/// The photos of a draft, in order. An unknown or damaged draft is simply empty.
pub fn load(uploads: &Path, id: &str) -> Vec<(DraftPhoto, PhotoFile)> {
    let Some(d) = dir(uploads, id) else {
        return Vec::new();
    };
    let Ok(meta) = std::fs::read_to_string(d.join("meta.json")) else {
        return Vec::new();
    };
    let Ok(list) = serde_json::from_str::<Vec<DraftPhoto>>(&meta) else {
        return Vec::new();
    };
    list.into_iter()
        .enumerate()
        .filter_map(|(i, m)| {
            let bytes = std::fs::read(d.join(format!("{i}.{}", m.extension))).ok()?;
            let thumbnail = std::fs::read(d.join(format!("{i}.thumb.jpg"))).ok()?;
            let file = PhotoFile {
                extension: static_str(&m.extension),
                mime: static_str(&m.mime),
                bytes,
                thumbnail,
                width: m.width,
                height: m.height,
            };
            Some((m, file))
        })
        .collect()
}

/// Keeps `photos` (already cleaned) as a draft, replacing any earlier one with this id.
pub fn save(uploads: &Path, photos: &[(String, &PhotoFile)]) -> std::io::Result<Option<String>> {
    if photos.is_empty() {
        return Ok(None);
    }
    let id = new_id();
    let d = uploads.join("drafts").join(&id);
    // a draft written in part (the disk filled up) is removed, not left for the sweep
    write_draft(&d, photos).inspect_err(|_| {
        let _ = std::fs::remove_dir_all(&d);
    })?;
    Ok(Some(id))
}

/// [`save`] for a server that watches its free space: refused (`Unavailable`, nothing
/// written) while the disks are below the threshold or the photos would not fit, and a write
/// that meets a full or read-only disk is `Unavailable` too, so the form is shown again with
/// what was typed instead of a bare 500.
pub fn save_checked(
    store: &crate::Store,
    uploads: &Path,
    photos: &[(String, &PhotoFile)],
) -> crate::Result<Option<String>> {
    if photos.is_empty() {
        return Ok(None);
    }
    let bytes: u64 = photos
        .iter()
        .map(|(_, p)| (p.bytes.len() + p.thumbnail.len()) as u64)
        .sum();
    crate::space::check_upload(store, uploads, bytes)?;
    save(uploads, photos)
        .map_err(|e| crate::StorageError::from_io("cannot keep the photos of a form", &e))
}

fn write_draft(d: &Path, photos: &[(String, &PhotoFile)]) -> std::io::Result<()> {
    std::fs::create_dir_all(d)?;
    let mut meta = Vec::new();
    for (i, (name, p)) in photos.iter().enumerate().take(MAX_PHOTOS) {
        std::fs::write(d.join(format!("{i}.{}", p.extension)), &p.bytes)?;
        std::fs::write(d.join(format!("{i}.thumb.jpg")), &p.thumbnail)?;
        meta.push(DraftPhoto {
            original_name: name.chars().take(100).collect(),
            extension: p.extension.to_string(),
            mime: p.mime.to_string(),
            width: p.width,
            height: p.height,
        });
    }
    std::fs::write(
        d.join("meta.json"),
        serde_json::to_vec(&meta).unwrap_or_default(),
    )
}

pub fn remove(uploads: &Path, id: &str) {
    if let Some(d) = dir(uploads, id) {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// Removes drafts older than `age`; returns how many.
pub fn purge(uploads: &Path, age: Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(uploads.join("drafts")) else {
        return 0;
    };
    let now = SystemTime::now();
    let mut n = 0;
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|d| d > age);
        if old && std::fs::remove_dir_all(e.path()).is_ok() {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_no_path_tricks() {
        let tmp = std::env::temp_dir().join(format!("kp-drafts-{}", new_id()));
        let p = PhotoFile {
            extension: "jpg",
            mime: "image/jpeg",
            bytes: vec![1, 2, 3],
            thumbnail: vec![4],
            width: 3,
            height: 1,
        };
        let id = save(&tmp, &[("jalan.jpg".into(), &p)]).unwrap().unwrap();
        let back = load(&tmp, &id);
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].0.original_name, "jalan.jpg");
        assert_eq!(back[0].1.bytes, vec![1, 2, 3]);
        assert!(load(&tmp, "../../etc").is_empty());
        assert!(load(&tmp, &"0".repeat(32)).is_empty());
        remove(&tmp, &id);
        assert!(load(&tmp, &id).is_empty());
        let _ = std::fs::remove_dir_all(tmp);
    }

    #[tokio::test]
    async fn photos_are_refused_before_the_disk_is_full_and_nothing_is_written() {
        let tmp = std::env::temp_dir().join(format!("kp-drafts-{}", new_id()));
        std::fs::create_dir_all(&tmp).unwrap();
        let url =
            crate::DatabaseUrl::parse(&format!("sqlite://{}", tmp.join("t.db").display())).unwrap();
        let store = crate::Store::connect(&url, crate::OpenMode::CreateIfMissing)
            .await
            .unwrap();
        let p = PhotoFile {
            extension: "jpg",
            mime: "image/jpeg",
            bytes: vec![1, 2, 3],
            thumbnail: vec![4],
            width: 3,
            height: 1,
        };
        let uploads = tmp.join("uploads");
        // nothing watched: kept
        let id = save_checked(&store, &uploads, &[("a.jpg".into(), &p)])
            .unwrap()
            .unwrap();
        assert_eq!(load(&uploads, &id).len(), 1);
        // more free space wanted than any disk has: refused, and no new draft appears
        store.watch_free_space(vec![uploads.clone()], u64::MAX);
        let before = std::fs::read_dir(uploads.join("drafts")).unwrap().count();
        match save_checked(&store, &uploads, &[("b.jpg".into(), &p)]) {
            Err(crate::StorageError::Unavailable { reason }) => {
                assert!(reason.starts_with("low disk space"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        let after = std::fs::read_dir(uploads.join("drafts")).unwrap().count();
        assert_eq!(before, after);
        store.close().await;
        let _ = std::fs::remove_dir_all(tmp);
    }
}
