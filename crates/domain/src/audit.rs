//! The audit log is a hash chain: each entry's hash covers its content and the previous
//! entry's hash, so editing or deleting any entry breaks every hash after it. A head record
//! (sequence number and last hash) is kept beside the log, so cutting entries off the end is
//! caught too.
//!
//! A plain SHA-256 chain only proves that nobody edited the log *without recomputing it*:
//! whoever can write the database can also recompute every hash. From the moment a deployment
//! has an [`AuditKey`] (kept outside the database), each new entry's hash is an HMAC-SHA256
//! under that key instead, and the entry names the key by its fingerprint. Entries written
//! before stay plain SHA-256 and keep verifying as such; the first keyed entry covers the
//! last plain hash, so the older part cannot be rewritten either without the key. Once an
//! entry is keyed, a plain entry after it is a rewrite (see [`ChainError::Downgraded`]).

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash that precedes the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Exactly the fields the hash covers, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditContent {
    pub seq: i64,
    /// Microseconds since the epoch: both databases keep this precision exactly.
    pub at_micros: i64,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

fn message(prev_hash: &str, content: &AuditContent) -> Vec<u8> {
    let mut m = Vec::with_capacity(256);
    m.extend_from_slice(prev_hash.as_bytes());
    m.push(b'\n');
    // Serialising a struct of strings and integers cannot fail.
    m.extend_from_slice(&serde_json::to_vec(content).unwrap_or_default());
    m
}

/// The plain SHA-256 hash of an entry (entries written before the chain had a key).
pub fn entry_hash(prev_hash: &str, content: &AuditContent) -> String {
    hex::encode(Sha256::digest(message(prev_hash, content)))
}

/// The hash of an entry under `key` (`None`: plain SHA-256).
pub fn hash_with(key: Option<&AuditKey>, prev_hash: &str, content: &AuditContent) -> String {
    match key {
        None => entry_hash(prev_hash, content),
        Some(k) => k.mac(&message(prev_hash, content)),
    }
}

/// The secret that keys the chain. It never goes into the database: only its fingerprint
/// ([`AuditKey::id`]) does, so a verifier can say which key an entry needs.
#[derive(Clone)]
pub struct AuditKey {
    bytes: Vec<u8>,
    id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditKeyError {
    #[error(
        "an audit key needs at least {min} bytes of secret, e.g. 64 hex digits from `openssl rand -hex 32`",
        min = AuditKey::MIN_BYTES
    )]
    TooShort,
}

impl AuditKey {
    pub const MIN_BYTES: usize = 32;

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AuditKeyError> {
        if bytes.len() < Self::MIN_BYTES {
            return Err(AuditKeyError::TooShort);
        }
        Ok(Self {
            bytes: bytes.to_vec(),
            id: hex::encode(Sha256::digest(bytes))[..8].to_string(),
        })
    }

    /// The key as an operator writes it (environment variable or key file): hex digits (64
    /// for 32 bytes) or, if not hex, the text itself; surrounding blanks and line ends are
    /// ignored.
    pub fn parse(text: &str) -> Result<Self, AuditKeyError> {
        let t = text.trim();
        match hex::decode(t) {
            Ok(bytes) if !t.is_empty() => Self::from_bytes(&bytes),
            _ => Self::from_bytes(t.as_bytes()),
        }
    }

    /// The text form of a new key made from `bytes` (the caller supplies random bytes).
    pub fn encode(bytes: &[u8]) -> String {
        hex::encode(bytes)
    }

    /// The key's fingerprint: the first 8 hex digits of the SHA-256 of its bytes. Safe to
    /// print, log and store; it names the key without revealing it.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn mac(&self, message: &[u8]) -> String {
        // HMAC takes a key of any length, so this cannot fail.
        match Hmac::<Sha256>::new_from_slice(&self.bytes) {
            Ok(mut mac) => {
                mac.update(message);
                hex::encode(mac.finalize().into_bytes())
            }
            Err(_) => String::new(),
        }
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey({})", self.id)
    }
}

/// One stored entry, as read back for verification.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub content: AuditContent,
    pub prev_hash: String,
    pub hash: String,
    /// The fingerprint of the key the entry's hash was made with; `None`: plain SHA-256.
    pub key_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("entry {seq}: its content does not match its hash (edited)")]
    Tampered { seq: i64 },
    #[error(
        "entry {seq}: it does not follow the entry before it (an entry was removed or reordered)"
    )]
    Broken { seq: i64 },
    #[error("sequence jumps from {after} to {next} (entries were deleted)")]
    Gap { after: i64, next: i64 },
    #[error(
        "the log ends at entry {last} but the head says {head} (entries were cut off the end)"
    )]
    Truncated { last: i64, head: i64 },
    #[error("the head hash does not match the last entry")]
    HeadMismatch,
    #[error("entry {seq} is keyed with key {key_id}, and no audit key was given to check it")]
    KeyMissing { seq: i64, key_id: String },
    #[error("entry {seq} is keyed with key {key_id}, but the audit key given is {given}")]
    WrongKey {
        seq: i64,
        key_id: String,
        given: String,
    },
    #[error(
        "entry {seq} is not keyed although entries before it are (the log was rewritten without the key)"
    )]
    Downgraded { seq: i64 },
    #[error("entry {seq} is not the one recorded outside the database ({detail})")]
    NotAsRecorded { seq: i64, detail: String },
}

/// Where the keyed part of a chain begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedSince {
    pub seq: i64,
    pub at_micros: i64,
    pub key_id: String,
}

/// What a successful verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: i64,
    pub head_hash: String,
    /// `None`: no entry is keyed (yet).
    pub keyed_since: Option<KeyedSince>,
}

/// Checks a log entry by entry, in sequence order, so a long log need not fit in memory.
#[derive(Debug)]
pub struct ChainVerifier {
    prev_hash: String,
    last_seq: i64,
    key: Option<AuditKey>,
    keyed_since: Option<KeyedSince>,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self::new(None)
    }
}

impl ChainVerifier {
    /// A verifier for a chain whose keyed entries are checked with `key`.
    pub fn new(key: Option<AuditKey>) -> Self {
        Self {
            prev_hash: GENESIS_HASH.to_string(),
            last_seq: 0,
            key,
            keyed_since: None,
        }
    }

    pub fn push(&mut self, e: StoredEntry) -> Result<(), ChainError> {
        let seq = e.content.seq;
        if seq != self.last_seq + 1 {
            return Err(ChainError::Gap {
                after: self.last_seq,
                next: seq,
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainError::Broken { seq });
        }
        let key = match (&e.key_id, &self.keyed_since) {
            (None, Some(_)) => return Err(ChainError::Downgraded { seq }),
            (None, None) => None,
            (Some(id), _) => match &self.key {
                None => {
                    return Err(ChainError::KeyMissing {
                        seq,
                        key_id: id.clone(),
                    })
                }
                Some(k) if k.id() != id => {
                    return Err(ChainError::WrongKey {
                        seq,
                        key_id: id.clone(),
                        given: k.id().to_string(),
                    })
                }
                Some(k) => Some(k),
            },
        };
        if hash_with(key, &e.prev_hash, &e.content) != e.hash {
            return Err(ChainError::Tampered { seq });
        }
        if let (Some(id), None) = (&e.key_id, &self.keyed_since) {
            self.keyed_since = Some(KeyedSince {
                seq,
                at_micros: e.content.at_micros,
                key_id: id.clone(),
            });
        }
        self.prev_hash = e.hash;
        self.last_seq = seq;
        Ok(())
    }

    /// Compares the end of the chain with the head record.
    pub fn finish_report(self, head: Option<(i64, String)>) -> Result<Verified, ChainError> {
        let (head_seq, head_hash) = head.unwrap_or((0, GENESIS_HASH.to_string()));
        if head_seq != self.last_seq {
            return Err(ChainError::Truncated {
                last: self.last_seq,
                head: head_seq,
            });
        }
        if head_hash != self.prev_hash {
            return Err(ChainError::HeadMismatch);
        }
        Ok(Verified {
            entries: self.last_seq,
            head_hash: self.prev_hash,
            keyed_since: self.keyed_since,
        })
    }

    /// Compares the end of the chain with the head record. Returns the number of entries.
    pub fn finish(self, head: Option<(i64, String)>) -> Result<i64, ChainError> {
        self.finish_report(head).map(|v| v.entries)
    }
}

/// Checks a whole log, read in sequence order, against its head.
pub fn verify_chain(
    entries: impl IntoIterator<Item = StoredEntry>,
    head: Option<(i64, String)>,
) -> Result<i64, ChainError> {
    let mut v = ChainVerifier::default();
    for e in entries {
        v.push(e)?;
    }
    v.finish(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<StoredEntry> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let content = AuditContent {
                    seq,
                    at_micros: 1_700_000_000_000_000 + seq,
                    actor: "admin".into(),
                    action: "unit.create".into(),
                    entity_type: "unit".into(),
                    entity_id: seq.to_string(),
                    before: None,
                    after: Some(format!("{{\"name\":\"Unit {seq}\"}}")),
                };
                let hash = entry_hash(&prev, &content);
                let e = StoredEntry {
                    content,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                    key_id: None,
                };
                prev = hash;
                e
            })
            .collect()
    }

    fn head(c: &[StoredEntry]) -> Option<(i64, String)> {
        c.last().map(|e| (e.content.seq, e.hash.clone()))
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        let h = head(&c);
        assert_eq!(verify_chain(c, h), Ok(5));
        assert_eq!(verify_chain(vec![], None), Ok(0));
    }

    #[test]
    fn edit_is_detected() {
        let mut c = chain(5);
        let h = head(&c);
        c[2].content.after = Some("{\"name\":\"changed\"}".into());
        assert_eq!(verify_chain(c, h), Err(ChainError::Tampered { seq: 3 }));
    }

    #[test]
    fn deletion_in_the_middle_is_detected() {
        let mut c = chain(5);
        let h = head(&c);
        c.remove(1);
        assert_eq!(
            verify_chain(c, h),
            Err(ChainError::Gap { after: 1, next: 3 })
        );
    }

    #[test]
    fn deletion_at_the_end_is_detected() {
        let mut c = chain(5);
        let h = head(&c);
        c.pop();
        assert_eq!(
            verify_chain(c, h),
            Err(ChainError::Truncated { last: 4, head: 5 })
        );
    }

    #[test]
    fn rehashing_one_entry_still_breaks_the_next() {
        let mut c = chain(4);
        let h = head(&c);
        c[1].content.actor = "mallory".into();
        c[1].hash = entry_hash(&c[1].prev_hash, &c[1].content);
        assert_eq!(verify_chain(c, h), Err(ChainError::Broken { seq: 3 }));
    }

    fn key(byte: u8) -> AuditKey {
        AuditKey::from_bytes(&[byte; 32]).unwrap()
    }

    /// `plain` entries, then the rest keyed with `k`.
    fn mixed(n: i64, plain: i64, k: &AuditKey) -> Vec<StoredEntry> {
        let mut c = chain(n);
        let mut prev = c[(plain - 1) as usize].hash.clone();
        for e in c.iter_mut().skip(plain as usize) {
            e.prev_hash = prev.clone();
            e.hash = hash_with(Some(k), &prev, &e.content);
            e.key_id = Some(k.id().to_string());
            prev = e.hash.clone();
        }
        c
    }

    fn verify_with(
        c: Vec<StoredEntry>,
        k: Option<&AuditKey>,
        head: Option<(i64, String)>,
    ) -> Result<Verified, ChainError> {
        let mut v = ChainVerifier::new(k.cloned());
        for e in c {
            v.push(e)?;
        }
        v.finish_report(head)
    }

    #[test]
    fn keys_parse_from_hex_or_text_and_print_only_their_fingerprint() {
        let hex64 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let k = AuditKey::parse(&format!("  {hex64}\n")).unwrap();
        assert_eq!(k.id().len(), 8);
        assert_eq!(
            k.id(),
            &hex::encode(Sha256::digest(hex::decode(hex64).unwrap()))[..8]
        );
        assert!(!format!("{k:?}").contains("0011"));
        assert_eq!(
            AuditKey::parse("short").unwrap_err(),
            AuditKeyError::TooShort
        );
        assert!(AuditKey::parse("a passphrase that is long enough to be a key").is_ok());
        assert!(AuditKey::parse("").is_err());
    }

    #[test]
    fn a_keyed_chain_verifies_with_its_key_and_says_since_when() {
        let k = key(7);
        let c = mixed(6, 2, &k);
        let h = head(&c);
        let v = verify_with(c, Some(&k), h).unwrap();
        assert_eq!(v.entries, 6);
        let since = v.keyed_since.unwrap();
        assert_eq!((since.seq, since.key_id.as_str()), (3, k.id()));
    }

    #[test]
    fn a_keyed_chain_fails_without_the_key_or_with_another() {
        let k = key(7);
        let c = mixed(4, 1, &k);
        let h = head(&c);
        assert!(matches!(
            verify_with(c.clone(), None, h.clone()),
            Err(ChainError::KeyMissing { seq: 2, .. })
        ));
        assert!(matches!(
            verify_with(c, Some(&key(8)), h),
            Err(ChainError::WrongKey { seq: 2, .. })
        ));
    }

    #[test]
    fn recomputing_a_keyed_chain_without_the_key_is_detected() {
        let k = key(7);
        let mut c = mixed(5, 1, &k);
        // the attacker edits entry 3 and recomputes every hash from there as plain SHA-256
        c[2].content.actor = "mallory".into();
        let mut prev = c[1].hash.clone();
        for e in c.iter_mut().skip(2) {
            e.prev_hash = prev.clone();
            e.hash = entry_hash(&prev, &e.content);
            prev = e.hash.clone();
        }
        let h = head(&c);
        // with the key ids left in place, the hashes are not HMACs
        assert_eq!(
            verify_with(c.clone(), Some(&k), h.clone()),
            Err(ChainError::Tampered { seq: 3 })
        );
        // with the key ids removed, a plain entry follows a keyed one
        for e in c.iter_mut().skip(2) {
            e.key_id = None;
        }
        assert_eq!(
            verify_with(c, Some(&k), h),
            Err(ChainError::Downgraded { seq: 3 })
        );
    }

    #[test]
    fn the_plain_part_before_the_key_cannot_be_rewritten_either() {
        let k = key(7);
        let mut c = mixed(5, 3, &k);
        c[0].content.actor = "mallory".into();
        let mut prev = GENESIS_HASH.to_string();
        for e in c.iter_mut().take(3) {
            e.prev_hash = prev.clone();
            e.hash = entry_hash(&prev, &e.content);
            prev = e.hash.clone();
        }
        // entry 4 is keyed over entry 3's old hash; re-pointing it needs the key
        c[3].prev_hash = prev;
        let h = head(&c);
        assert_eq!(
            verify_with(c, Some(&k), h),
            Err(ChainError::Tampered { seq: 4 })
        );
    }
}
