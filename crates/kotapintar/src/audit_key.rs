//! The audit chain's key: where it comes from, and the key file a first start creates.
//!
//! Kept outside the database on purpose: a chain keyed with it cannot be recomputed by
//! whoever can write the database (see `kotapintar_domain::audit`). In order of precedence:
//! `KOTAPINTAR_AUDIT_KEY`, the file named by `KOTAPINTAR_AUDIT_KEY_FILE`, else
//! `{data_dir}/audit.key`, which is created (random, mode 0600) when the chain is not keyed
//! yet. Every node of a deployment needs the same key; the operator backs it up apart from
//! the database backups (`kotapintar backup` does not copy it).

use crate::config::{AuditKeySource, Settings};
use kotapintar_domain::audit::AuditKey;
use kotapintar_storage::audit::{self, KeyUse};
use kotapintar_storage::Store;
use rand::RngCore;
use std::path::Path;

/// The configured key, if there is one already; `None` only when the default key file does
/// not exist yet. A key file that is named but missing or unreadable is an error.
pub fn read(settings: &Settings) -> anyhow::Result<Option<AuditKey>> {
    match &settings.audit_key {
        AuditKeySource::Value(v) => {
            Ok(Some(AuditKey::parse(v.expose()).map_err(|e| {
                anyhow::anyhow!("KOTAPINTAR_AUDIT_KEY: {e}")
            })?))
        }
        AuditKeySource::File(path) => read_file(path).map(Some),
        AuditKeySource::DefaultFile(path) if !path.exists() => Ok(None),
        AuditKeySource::DefaultFile(path) => read_file(path).map(Some),
    }
}

/// Where the key is, for messages to the operator.
pub fn describe(settings: &Settings) -> String {
    match &settings.audit_key {
        AuditKeySource::Value(_) => "KOTAPINTAR_AUDIT_KEY".into(),
        AuditKeySource::File(p) | AuditKeySource::DefaultFile(p) => p.display().to_string(),
    }
}

/// Reads a key file (hex digits, surrounding blanks ignored).
pub fn read_file(path: &Path) -> anyhow::Result<AuditKey> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read the audit key file {}: {e}", path.display()))?;
    warn_if_readable_by_others(path);
    AuditKey::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(m) = std::fs::metadata(path) {
        if m.permissions().mode() & 0o077 != 0 {
            tracing::warn!(
                file = %path.display(),
                "the audit key file can be read by other users; chmod 600 it"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_: &Path) {}

/// Creates the default key file with a new random key, readable by its owner only. Nodes
/// starting together on one data directory end up with one key: the file appears whole or
/// not at all (written aside, then linked into place, which fails if it exists).
fn create(path: &Path) -> anyhow::Result<AuditKey> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let mut suffix = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut suffix);
    let aside = dir.join(format!(".audit.key.{}", hex_of(&suffix)));
    let written = write_private(&aside, &format!("{}\n", AuditKey::encode(&bytes)));
    let linked = written.and_then(|()| std::fs::hard_link(&aside, path));
    let _ = std::fs::remove_file(&aside);
    match linked {
        Ok(()) => {
            let key = AuditKey::from_bytes(&bytes)?;
            tracing::info!(file = %path.display(), key = key.id(), "new audit key created; back it up apart from the database");
            Ok(key)
        }
        // another node made it a moment ago: use theirs
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_file(path),
        Err(e) => Err(anyhow::anyhow!(
            "cannot create the audit key file {}: {e}",
            path.display()
        )),
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// Makes this process hold the deployment's key and keys the chain with it from the next
/// entry on (unless it is keyed already). Refuses a key other than the chain's, and a missing
/// key for a chain that is keyed: a node must never extend it unkeyed or under a new key.
pub async fn install(store: &Store, settings: &Settings) -> anyhow::Result<AuditKey> {
    let key = match read(settings)? {
        Some(k) => k,
        None => {
            let AuditKeySource::DefaultFile(path) = &settings.audit_key else {
                anyhow::bail!("no audit key");
            };
            let keyed = audit::chain_key_id(&store.reader).await?;
            match keyed {
                // another node on this data directory made the file a moment ago
                Some(_) if path.exists() => read_file(path)?,
                Some(id) => anyhow::bail!(
                    "the audit log is keyed with key {id}, and this node has no key: put the \
                     deployment's key file at {} (or set KOTAPINTAR_AUDIT_KEY or \
                     KOTAPINTAR_AUDIT_KEY_FILE)",
                    path.display()
                ),
                None => create(path)?,
            }
        }
    };
    match audit::use_key(store, &key).await? {
        KeyUse::Introduced { from_seq } => tracing::info!(
            key = key.id(),
            from_entry = from_seq,
            "the audit log is keyed from this entry on; earlier entries stay plain SHA-256"
        ),
        KeyUse::Continued => {}
    }
    Ok(key)
}
