//! CSRF protection for every state-changing form: the double-submit pattern. A random token
//! lives in a `SameSite=Strict` cookie and in a hidden `_csrf` field of each form; a POST whose
//! two copies differ is refused. Another site can make a browser send the cookie, but it can
//! neither read it nor put it in the form.

use crate::WebError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use serde::de::DeserializeOwned;
use serde::Deserialize;

pub const COOKIE: &str = "kp_csrf";

#[derive(Clone)]
pub struct CsrfToken(pub String);

/// The cookie that carries a token: `Secure` when the deployment is served over https.
pub fn cookie(token: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Gives every visitor a token before any form is shown, and makes it readable to the
/// handler of this very request.
pub async fn ensure_cookie(
    State(state): State<crate::AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let jar = CookieJar::from_headers(req.headers());
    let existing = jar
        .get(COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit()));
    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => (kotapintar_storage::sessions::new_token(), true),
    };
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    if fresh {
        if let Ok(v) = HeaderValue::from_str(&cookie(&token, state.config.secure_cookies)) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, WebError> {
        parts
            .extensions
            .get::<CsrfToken>()
            .cloned()
            .ok_or_else(|| WebError::Internal("csrf middleware missing".into()))
    }
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// A urlencoded form whose `_csrf` field matches the visitor's cookie.
pub struct CsrfForm<T>(pub T);

impl<S, T> FromRequest<S> for CsrfForm<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, WebError> {
        let (mut parts, body) = req.into_parts();
        let expected = Expected::of(&mut parts, state).await?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| WebError::BadRequest("unreadable form".into()))?;
        let field: CsrfField = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| WebError::BadRequest("malformed form".into()))?;
        expected.check(&field.csrf)?;
        let value = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| WebError::BadRequest(format!("malformed form: {e}")))?;
        Ok(CsrfForm(value))
    }
}

/// The token a form must carry, and the cookie that came with the request: both must match,
/// whatever kind of form carries the token.
struct Expected {
    token: String,
    /// The cookie as sent, not a freshly minted one: a request without it cannot match.
    sent_cookie: Option<String>,
}

impl Expected {
    async fn of<S: Send + Sync>(parts: &mut Parts, state: &S) -> Result<Self, WebError> {
        let token = CsrfToken::from_request_parts(parts, state).await?.0;
        let sent_cookie = CookieJar::from_headers(&parts.headers)
            .get(COOKIE)
            .map(|c| c.value().to_string());
        Ok(Self { token, sent_cookie })
    }

    fn check(&self, sent: &str) -> Result<(), WebError> {
        let valid = self.sent_cookie.as_deref() == Some(self.token.as_str())
            && constant_time_eq(sent.as_bytes(), self.token.as_bytes());
        if valid {
            Ok(())
        } else {
            Err(WebError::CsrfFailed)
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// One uploaded file of a multipart form.
pub struct Upload {
    pub field: String,
    pub file_name: String,
    pub bytes: Bytes,
}

/// A multipart form (with file uploads) whose `_csrf` field matches the visitor's cookie.
/// Text fields come as pairs (a field may repeat), files separately.
pub struct CsrfMultipart {
    pub fields: Vec<(String, String)>,
    pub files: Vec<Upload>,
}

impl CsrfMultipart {
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The text fields as one urlencoded string, to deserialise into a form struct.
    pub fn as_urlencoded(&self) -> String {
        serde_urlencoded::to_string(&self.fields).unwrap_or_default()
    }
}

impl<S> FromRequest<S> for CsrfMultipart
where
    S: Send + Sync,
{
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, WebError> {
        let (mut parts, body) = req.into_parts();
        let expected = Expected::of(&mut parts, state).await?;
        let mut mp =
            axum::extract::Multipart::from_request(Request::from_parts(parts, body), state)
                .await
                .map_err(|e| WebError::BadRequest(format!("not a multipart form: {e}")))?;
        let mut fields = Vec::new();
        let mut files = Vec::new();
        loop {
            let field = match mp.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(WebError::TooLarge)
                }
                Err(e) => return Err(WebError::BadRequest(format!("unreadable form: {e}"))),
            };
            let name = field.name().unwrap_or("").to_string();
            match field.file_name().map(str::to_string) {
                Some(file_name) => {
                    let bytes = field.bytes().await.map_err(|e| {
                        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                            WebError::TooLarge
                        } else {
                            WebError::BadRequest(format!("unreadable upload: {e}"))
                        }
                    })?;
                    // an empty file input still sends a part with no name and no bytes
                    if !bytes.is_empty() || !file_name.is_empty() {
                        files.push(Upload {
                            field: name,
                            file_name,
                            bytes,
                        });
                    }
                }
                None => {
                    let text = field
                        .text()
                        .await
                        .map_err(|e| WebError::BadRequest(format!("unreadable field: {e}")))?;
                    fields.push((name, text));
                }
            }
        }
        let sent = fields
            .iter()
            .find(|(k, _)| k == "_csrf")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        expected.check(sent)?;
        Ok(CsrfMultipart { fields, files })
    }
}
