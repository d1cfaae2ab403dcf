//! Integration clients: a unit's own application, acting for that unit through the API.

use crate::ids::UnitId;
use serde::Serialize;

/// What a client may do. Named as `resource:action`, as they appear in tokens' descriptions.
/// `open311:extended` grants nothing: it is the client's setting to read mySociety's extended
/// statuses over Open311 without asking for `extensions=true` (FixMyStreet never asks).
pub const SCOPES: [&str; 6] = [
    "requests:read",
    "requests:write",
    "content:write",
    "events:read",
    "open311:write",
    "open311:extended",
];

/// Checks a space- or comma-separated list of scopes.
pub fn parse_scopes(raw: &str) -> Result<Vec<String>, &'static str> {
    let mut out: Vec<String> = raw
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| s.to_lowercase())
        .collect();
    if out.is_empty() {
        return Err("required");
    }
    if out.iter().any(|s| !SCOPES.contains(&s.as_str())) {
        return Err("invalid_scope");
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// An authenticated client, as handlers see it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ApiClient {
    pub id: i64,
    pub name: String,
    pub unit_id: UnitId,
    pub unit_code: String,
    pub scopes: Vec<String>,
    pub rate_limit_per_minute: i32,
}

impl ApiClient {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// Splits a token `kp_<id>_<secret>` into the client id and the secret.
pub fn split_token(token: &str) -> Option<(i64, &str)> {
    let rest = token.strip_prefix("kp_")?;
    let (id, secret) = rest.split_once('_')?;
    let id = id.parse().ok()?;
    (secret.len() == 64 && secret.chars().all(|c| c.is_ascii_hexdigit())).then_some((id, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_checked_and_normalised() {
        assert_eq!(
            parse_scopes("requests:read, EVENTS:read requests:read").unwrap(),
            vec!["events:read", "requests:read"]
        );
        assert_eq!(parse_scopes("requests:delete"), Err("invalid_scope"));
        assert_eq!(parse_scopes("  "), Err("required"));
    }

    #[test]
    fn tokens_split_only_when_well_formed() {
        let secret = "a".repeat(64);
        assert_eq!(
            split_token(&format!("kp_12_{secret}")),
            Some((12, secret.as_str()))
        );
        assert_eq!(split_token(&format!("kp_x_{secret}")), None);
        assert_eq!(split_token("kp_12_short"), None);
        assert_eq!(split_token(&format!("Bearer kp_12_{secret}")), None);
    }
}
