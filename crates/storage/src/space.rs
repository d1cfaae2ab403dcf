//! Free space on the disks the server writes to, watched so that intake and uploads are
//! refused (503) while some room is left, instead of failing half-way on a full disk.

use crate::{Result, StorageError, Store};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long one look at the free space is trusted: one `statvfs` per directory per second at
/// most, however many requests arrive.
const FRESH_FOR: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct FreeSpace {
    dirs: Vec<PathBuf>,
    min_free: u64,
    last: Mutex<Option<(Instant, Option<String>)>>,
}

impl FreeSpace {
    pub fn new(dirs: Vec<PathBuf>, min_free_bytes: u64) -> Self {
        Self {
            dirs,
            min_free: min_free_bytes,
            last: Mutex::new(None),
        }
    }

    /// `Unavailable` (with the directory and its free space) while any watched directory's
    /// file system has less than the threshold free.
    pub fn check(&self) -> Result<()> {
        if self.min_free == 0 {
            return Ok(());
        }
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let problem = match last.as_ref() {
            Some((at, problem)) if at.elapsed() < FRESH_FOR => problem.clone(),
            _ => {
                let problem = self.look();
                *last = Some((Instant::now(), problem.clone()));
                problem
            }
        };
        match problem {
            Some(reason) => Err(StorageError::Unavailable { reason }),
            None => Ok(()),
        }
    }

    fn look(&self) -> Option<String> {
        self.dirs.iter().find_map(|dir| {
            let free = available_bytes(dir)?;
            (free < self.min_free).then(|| {
                tracing::warn!(dir = %dir.display(), free, min_free = self.min_free, "low disk space");
                // no path: the reason is shown by /readyz, which anyone may ask
                format!(
                    "low disk space: {} MB free, {} MB are kept free",
                    free / (1024 * 1024),
                    self.min_free / (1024 * 1024)
                )
            })
        })
    }
}

/// Room kept on top of an upload's own size when checking that it fits: the files beside it
/// (thumbnail, metadata, directory entries) and the database rows that follow.
const UPLOAD_HEADROOM: u64 = 1024 * 1024;

/// Before `bytes` of uploads (photos, evidence, covers, attachments) are written under
/// `dir`: `Unavailable` while the watched disks are below the free-space threshold, or when
/// the upload would not fit on `dir`'s disk at all. Checked before the first byte is written,
/// so a refused upload leaves nothing behind and the caller can show the form again.
pub fn check_upload(store: &Store, dir: &Path, bytes: u64) -> Result<()> {
    store.check_free_space()?;
    fits(dir, bytes)
}

/// `Unavailable` when `bytes` (and some headroom) would not fit on the disk holding `dir`.
/// A disk whose free space cannot be told is taken to have room.
pub fn fits(dir: &Path, bytes: u64) -> Result<()> {
    match available_bytes(dir) {
        Some(free) if free < bytes.saturating_add(UPLOAD_HEADROOM) => {
            Err(StorageError::Unavailable {
                reason: format!(
                    "low disk space: {} MB free, an upload of {} MB does not fit",
                    free / (1024 * 1024),
                    bytes.div_ceil(1024 * 1024)
                ),
            })
        }
        _ => Ok(()),
    }
}

/// Writes one uploaded file. A disk that is full, read-only or failing is `Unavailable` (a
/// 503 that keeps the form, not a bare 500); on any failure the part written is removed.
pub fn write_upload(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| {
        let _ = std::fs::remove_file(path);
        StorageError::from_io("cannot store an upload", &e)
    })
}

/// Bytes an unprivileged process may still write on the file system holding `dir` (or its
/// nearest existing parent: the uploads directory is made on first use). `None` when it
/// cannot be told; the watch then does not refuse anything.
fn available_bytes(dir: &Path) -> Option<u64> {
    let existing = dir.ancestors().find(|d| d.exists())?;
    let existing = if existing.as_os_str().is_empty() {
        Path::new(".")
    } else {
        existing
    };
    statvfs_available(existing)
}

#[cfg(unix)]
fn statvfs_available(dir: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(dir).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

#[cfg(not(unix))]
fn statvfs_available(_dir: &Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_below_the_threshold_with_a_reason() {
        let dir = std::env::temp_dir();
        assert!(FreeSpace::new(vec![dir.clone()], 1).check().is_ok());
        assert!(FreeSpace::new(vec![dir.clone()], 0).check().is_ok());
        let err = FreeSpace::new(vec![dir.join("not/made/yet")], u64::MAX)
            .check()
            .unwrap_err();
        match err {
            StorageError::Unavailable { reason } => {
                assert!(reason.starts_with("low disk space"), "{reason}")
            }
            e => panic!("{e}"),
        }
    }

    #[test]
    fn an_upload_that_does_not_fit_is_refused_before_it_is_written() {
        let dir = std::env::temp_dir();
        assert!(fits(&dir, 1).is_ok());
        match fits(&dir, u64::MAX - 1) {
            Err(StorageError::Unavailable { reason }) => {
                assert!(reason.starts_with("low disk space"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_write_that_fails_for_another_reason_stays_an_error() {
        // a full disk, or a read-only one, is an outage: a 503 that keeps the form
        for kind in [
            std::io::ErrorKind::StorageFull,
            std::io::ErrorKind::ReadOnlyFilesystem,
        ] {
            let e = StorageError::from_io("cannot store an upload", &kind.into());
            assert!(e.is_unavailable(), "{e}");
        }
        // a directory that is not there is a bug, not an outage
        let gone = std::env::temp_dir().join("kp-no-such-dir-for-uploads/foto.jpg");
        assert!(matches!(
            write_upload(&gone, b"foto"),
            Err(StorageError::Other(_))
        ));
    }
}
