//! Free space on the disks the server writes to, watched so that intake and uploads are
//! refused (503) while some room is left, instead of failing half-way on a full disk.

use crate::{Result, StorageError};
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
}
