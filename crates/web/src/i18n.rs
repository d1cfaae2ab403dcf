//! Translations. Every user-facing text is a key in `locales/id.toml` (the default) and
//! `locales/en.toml`; a test keeps the two catalogues and the templates in step.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Id,
    En,
}

impl Lang {
    pub const COOKIE: &'static str = "kp_lang";

    pub fn code(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "id" => Some(Self::Id),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    pub fn other(self) -> Self {
        match self {
            Self::Id => Self::En,
            Self::En => Self::Id,
        }
    }
}

pub const ID_TOML: &str = include_str!("../locales/id.toml");
pub const EN_TOML: &str = include_str!("../locales/en.toml");

/// Flattens `[section] key = "text"` into `section.key`.
pub fn flatten(src: &str) -> HashMap<String, String> {
    fn walk(prefix: &str, v: &toml::Value, out: &mut HashMap<String, String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            toml::Value::String(s) => {
                out.insert(prefix.to_string(), s.clone());
            }
            _ => {}
        }
    }
    let mut out = HashMap::new();
    // The catalogues are compiled in and tested; a broken one yields keys, not a crash.
    if let Ok(v) = src.parse::<toml::Value>() {
        walk("", &v, &mut out);
    }
    out
}

static CATALOGS: LazyLock<[HashMap<String, String>; 2]> =
    LazyLock::new(|| [flatten(ID_TOML), flatten(EN_TOML)]);

/// The text for `key`. A missing key (which the catalogue tests rule out) shows as a visible
/// marker and a warning in the log, never as a crash.
pub fn t(lang: Lang, key: &str) -> &'static str {
    let cat: &'static HashMap<String, String> = &CATALOGS[match lang {
        Lang::Id => 0,
        Lang::En => 1,
    }];
    match cat.get(key) {
        Some(s) => s.as_str(),
        None => {
            tracing::warn!(key, "missing translation");
            "[?]"
        }
    }
}

/// The text for `key` when the catalogue has one: for keys made from a field's name, which
/// only some fields have.
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    CATALOGS[match lang {
        Lang::Id => 0,
        Lang::En => 1,
    }]
    .get(key)
    .map(String::as_str)
}

/// Pages are written in the visitor's language, chosen from the `kp_lang` cookie or the
/// browser's `Accept-Language`: an HTML answer says which (`Content-Language`), and shared
/// caches keep one copy per language (`Vary`).
pub async fn language_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::header::{HeaderValue, CONTENT_LANGUAGE, CONTENT_TYPE, VARY};
    let (mut parts, body) = req.into_parts();
    let lang = Lang::from_request_parts(&mut parts, &())
        .await
        .unwrap_or_default();
    let mut res = next
        .run(axum::extract::Request::from_parts(parts, body))
        .await;
    let html = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if html {
        let headers = res.headers_mut();
        headers
            .entry(CONTENT_LANGUAGE)
            .or_insert(HeaderValue::from_static(lang.code()));
        headers.append(VARY, HeaderValue::from_static("Accept-Language, Cookie"));
    }
    res
}

/// The visitor's language: the `kp_lang` cookie, else their browser's preference between
/// Indonesian and English, else Indonesian.
impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        if let Some(l) = jar.get(Self::COOKIE).and_then(|c| Lang::parse(c.value())) {
            return Ok(l);
        }
        let accept = parts
            .headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        for part in accept.split(',') {
            let tag = part.split(';').next().unwrap_or("").trim().to_lowercase();
            if tag.starts_with("id") {
                return Ok(Lang::Id);
            }
            if tag.starts_with("en") {
                return Ok(Lang::En);
            }
        }
        Ok(Lang::Id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_have_the_same_keys() {
        let id = flatten(ID_TOML);
        let en = flatten(EN_TOML);
        assert!(id.len() > 50, "id catalogue parsed: {}", id.len());
        let mut missing: Vec<_> = id.keys().filter(|k| !en.contains_key(*k)).collect();
        missing.extend(en.keys().filter(|k| !id.contains_key(*k)));
        assert!(
            missing.is_empty(),
            "keys in one catalogue only: {missing:?}"
        );
    }

    #[test]
    fn every_key_used_in_templates_and_code_exists() {
        let id = flatten(ID_TOML);
        let sections: std::collections::HashSet<&str> =
            id.keys().filter_map(|k| k.split('.').next()).collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = Vec::new();
        for dir in ["templates", "templates/staff", "src", "src/pages"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                // Every string literal shaped like `section.key` whose section is one of the
                // catalogue's: in templates `page.t("nav.home")`, in code `"login.invalid"`.
                for (i, lit) in text.split('"').enumerate() {
                    let looks_like_key = i % 2 == 1
                        && lit.split_once('.').is_some_and(|(sec, rest)| {
                            sections.contains(sec)
                                && !rest.is_empty()
                                && rest != "html"
                                && rest.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                        });
                    if looks_like_key {
                        used.push((path.display().to_string(), lit.to_string()));
                    }
                }
            }
        }
        assert!(used.len() > 50, "found {} keys in use", used.len());
        let missing: Vec<_> = used.iter().filter(|(_, k)| !id.contains_key(k)).collect();
        assert!(
            missing.is_empty(),
            "keys used but not translated: {missing:?}"
        );
    }

    #[test]
    fn every_error_code_role_and_unit_kind_is_translated() {
        let id = flatten(ID_TOML);
        for code in [
            "required",
            "too_long",
            "invalid_email",
            "invalid_phone",
            "invalid_url",
            "invalid_choice",
            "invalid_unit_code",
            "parent_is_self",
            "parent_cycle",
            "unknown_unit",
            "unit_code_taken",
            "invalid_username",
            "username_taken",
            "password_too_short",
            "role_needs_unit",
            "not_permitted_for_role",
            "cannot_demote_self",
        ] {
            assert!(id.contains_key(&format!("error.{code}")), "error.{code}");
        }
        for role in kotapintar_domain::user::Role::ALL {
            assert!(
                id.contains_key(&format!("role.{}", role.as_str())),
                "{role:?}"
            );
        }
        for kind in kotapintar_domain::unit::UnitKind::ALL {
            assert!(
                id.contains_key(&format!("unit_kind.{}", kind.as_str())),
                "{kind:?}"
            );
        }
    }
}
