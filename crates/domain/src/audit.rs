//! The audit log is a hash chain: each entry's hash covers its content and the previous
//! entry's hash, so editing or deleting any entry breaks every hash after it. A head record
//! (sequence number and last hash) is kept beside the log, so cutting entries off the end is
//! caught too.

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

pub fn entry_hash(prev_hash: &str, content: &AuditContent) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    // Serialising a struct of strings and integers cannot fail.
    h.update(serde_json::to_vec(content).unwrap_or_default());
    hex::encode(h.finalize())
}

/// One stored entry, as read back for verification.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub content: AuditContent,
    pub prev_hash: String,
    pub hash: String,
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
}

/// Checks a log entry by entry, in sequence order, so a long log need not fit in memory.
#[derive(Debug)]
pub struct ChainVerifier {
    prev_hash: String,
    last_seq: i64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            prev_hash: GENESIS_HASH.to_string(),
            last_seq: 0,
        }
    }
}

impl ChainVerifier {
    pub fn push(&mut self, e: StoredEntry) -> Result<(), ChainError> {
        if e.content.seq != self.last_seq + 1 {
            return Err(ChainError::Gap {
                after: self.last_seq,
                next: e.content.seq,
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainError::Broken { seq: e.content.seq });
        }
        if entry_hash(&e.prev_hash, &e.content) != e.hash {
            return Err(ChainError::Tampered { seq: e.content.seq });
        }
        self.prev_hash = e.hash;
        self.last_seq = e.content.seq;
        Ok(())
    }

    /// Compares the end of the chain with the head record. Returns the number of entries.
    pub fn finish(self, head: Option<(i64, String)>) -> Result<i64, ChainError> {
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
        Ok(self.last_seq)
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
}
