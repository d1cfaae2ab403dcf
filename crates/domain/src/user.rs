//! Staff accounts and their roles.

use crate::ids::{UnitId, UserId};
use crate::validation::{optional_email, required_text};
use crate::FieldErrors;
use serde::{Deserialize, Serialize};

/// Login name: lower-case letters, digits, `.`, `_`, `-`; 3 to 32 characters. Normalised
/// here (not by a database collation) so SQLite and PostgreSQL compare it the same way.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let t = raw.trim().to_lowercase();
        if t.is_empty() {
            return Err("required");
        }
        if !(3..=32).contains(&t.len())
            || !t
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        {
            return Err("invalid_username");
        }
        Ok(Self(t))
    }

    /// For names read back from storage, which were parsed on the way in.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Username> for String {
    fn from(u: Username) -> Self {
        u.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password as typed, checked against the policy. Never `Debug`-printed.
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 10;

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let n = raw.chars().count();
        if n == 0 {
            return Err("required");
        }
        if n < Self::MIN_CHARS {
            return Err("password_too_short");
        }
        if n > 128 {
            return Err("too_long");
        }
        Ok(Self(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Kominfo: runs the whole platform.
    Admin,
    /// Manages one unit: its staff and its settings.
    UnitAdmin,
    /// Works one unit's inbox.
    Officer,
    /// Publishes one unit's content.
    Editor,
    /// The central intake desk: verifies and dispatches incoming requests.
    Verifier,
    /// Bupati, Sekda: reads everything, changes nothing.
    Leader,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Self::Admin,
        Self::UnitAdmin,
        Self::Officer,
        Self::Editor,
        Self::Verifier,
        Self::Leader,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::UnitAdmin => "unit_admin",
            Self::Officer => "officer",
            Self::Editor => "editor",
            Self::Verifier => "verifier",
            Self::Leader => "leader",
        }
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or("invalid_choice")
    }

    /// Roles that act for one unit must name it; the others act system-wide (their unit, if
    /// given, is only where the person sits).
    pub fn needs_unit(self) -> bool {
        matches!(self, Self::UnitAdmin | Self::Officer | Self::Editor)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleAssignment {
    pub role: Role,
    pub unit_id: Option<UnitId>,
}

/// What the user form submits, before checking. The unit is named by its code.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct UserInput {
    pub username: String,
    pub full_name: String,
    pub email: String,
    pub role: String,
    pub unit_code: String,
    #[serde(skip_serializing)]
    pub password: String,
    pub active: Option<String>,
}

impl std::fmt::Debug for UserDraft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserDraft")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct UserDraft {
    pub username: Username,
    pub full_name: String,
    pub email: Option<String>,
    pub role: Role,
    /// A unit code, resolved (and checked to exist) by storage.
    pub unit_code: Option<String>,
    /// `None` when editing without changing the password.
    pub password: Option<NewPassword>,
    pub active: bool,
}

impl UserInput {
    /// `password_required`: a new account must get one; an edit may leave it blank.
    pub fn parse(&self, password_required: bool) -> Result<UserDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let username = e.check("username", Username::parse(&self.username));
        let full_name = e.check("full_name", required_text(&self.full_name, 200));
        let email = e.check("email", optional_email(&self.email));
        let role = e.check("role", crate::validation::required(&self.role, Role::parse));
        let unit_code = self.unit_code.trim().to_uppercase();
        let unit_code = (!unit_code.is_empty()).then_some(unit_code);
        if let Some(r) = role {
            if r.needs_unit() && unit_code.is_none() {
                e.add("unit_code", "role_needs_unit");
            }
        }
        let password = if self.password.is_empty() && !password_required {
            None
        } else {
            e.check("password", NewPassword::parse(&self.password))
        };
        let active = matches!(self.active.as_deref(), Some("on" | "true" | "1"));
        match (username, full_name, email, role) {
            (Some(username), Some(full_name), Some(email), Some(role)) if e.is_empty() => {
                Ok(UserDraft {
                    username,
                    full_name,
                    email,
                    role,
                    unit_code,
                    password,
                    active,
                })
            }
            _ => Err(e),
        }
    }
}

/// A stored account, without its password hash.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: UserId,
    pub username: Username,
    pub full_name: String,
    pub email: Option<String>,
    pub active: bool,
    pub roles: Vec<RoleAssignment>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised() {
        assert_eq!(
            Username::parse(" Made.Wirawan ").unwrap().as_str(),
            "made.wirawan"
        );
        assert_eq!(Username::parse("ab"), Err("invalid_username"));
        assert_eq!(Username::parse("made wirawan"), Err("invalid_username"));
        assert_eq!(Username::parse(""), Err("required"));
    }

    #[test]
    fn unit_roles_need_a_unit() {
        let input = UserInput {
            username: "made".into(),
            full_name: "I Made Wirawan".into(),
            role: "officer".into(),
            password: "panjang-sekali-123".into(),
            ..Default::default()
        };
        let e = input.parse(true).unwrap_err();
        assert_eq!(e.for_field("unit_code"), Some("role_needs_unit"));
        let ok = UserInput {
            role: "leader".into(),
            ..input
        };
        assert!(ok.parse(true).is_ok());
    }

    #[test]
    fn password_policy() {
        assert_eq!(
            NewPassword::parse("pendek").unwrap_err(),
            "password_too_short"
        );
        assert!(NewPassword::parse("cukup-panjang").is_ok());
        assert_eq!(
            format!("{:?}", NewPassword::parse("rahasia-sekali").unwrap()),
            "NewPassword(***)"
        );
    }

    #[test]
    fn blank_password_allowed_only_when_editing() {
        let input = UserInput {
            username: "made".into(),
            full_name: "Made".into(),
            role: "leader".into(),
            ..Default::default()
        };
        assert_eq!(
            input.parse(true).unwrap_err().for_field("password"),
            Some("required")
        );
        assert!(input.parse(false).unwrap().password.is_none());
    }
}
