//! The OpenAPI 3.1 document (generated from the handlers' annotations) and the API's
//! documentation page rendered from it.

use super::events::*;
use super::openapi::CommonAnswers;
use super::problem::{FieldProblem, Problem};
use super::reference::*;
use super::requests::*;
use super::{content, openapi};
use crate::WebError;
use axum::http::header;
use axum::response::IntoResponse;

/// The OpenAPI 3.1 description of this API, generated from the handlers above.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "kotapintar API",
        version = "1",
        description = "For the units' own applications: read and file requests, take workflow steps, follow events (pull or webhooks). Authenticate with `Authorization: Bearer kp_<id>_<secret>` (issued by Kominfo).\n\nErrors are RFC 9457 problem+json; each `type` is a page at `/api/v1/problems/{name}` that says what it means (the list: `/api/v1/problems`). A bad query or path parameter is 400 `invalid-parameter`, an unreadable body 400 `malformed` (every wrong field listed), invalid values 422 `invalid`.\n\nPOSTs take an `Idempotency-Key`: the same key with the same request answers the first answer again; with another method, path or body it is 422 `idempotency-key-mismatch`.\n\nWho holds a request a unit's application files: the central desk, as for every request. It is verified and dispatched there; the filing client sees it in the answer (with the resident's follow-up link, `follow_url`) and may act on it (`/steps`, `/photos`) once it is dispatched to the client's unit. Before that a step is 403 `forbidden`, and a confidential one reads as 404."
    ),
    paths(list_units, list_regions, list_services, list_events, list_requests, get_request, create_request, take_step, attach_photos, list_webhooks, create_webhook, delete_webhook, content::create_content, content::list_content, content::add_progress),
    components(schemas(UnitView, RegionView, VillageView, ServiceView, Problem, FieldProblem, EventPage, ApiRequest, RequestPage, NewRequestBody, ContactBody, StepBody, WebhookBody, WebhookWithLog, DeliveryView, content::ContentView, content::ContentBody, content::ProgressBody, openapi::RequestKindName, openapi::RequestStatusName, openapi::StepAction, openapi::ContentKindName, openapi::EditorialStatusName, openapi::FundSource, openapi::ProjectStatus)),
    modifiers(&BearerAuth, &CommonAnswers),
    tags((name = "reference", description = "Units, areas and services"), (name = "requests", description = "Residents' requests handled by the client's unit"), (name = "events", description = "The unit's event feed"), (name = "webhooks", description = "Signed push delivery of events"), (name = "content", description = "The unit's news, announcements, agenda and projects on the portal"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The document as served: generated, then completed with the body rules utoipa cannot say
/// (`rules::refine`).
pub fn openapi_json() -> String {
    use utoipa::OpenApi;
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    super::rules::refine(&mut doc);
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

pub(super) async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], openapi_json())
}

#[cfg(test)]
mod tests {
    /// Every change to the API shows in review: the committed document must match the code.
    /// Regenerate with `UPDATE_OPENAPI=1 cargo test -p kotapintar-web openapi`.
    #[test]
    fn openapi_snapshot() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
        let now = super::openapi_json();
        if std::env::var("UPDATE_OPENAPI").is_ok() {
            std::fs::write(&path, &now).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == now,
            "the API changed: review and update crates/web/openapi.json (UPDATE_OPENAPI=1)"
        );
        let v: serde_json::Value = serde_json::from_str(&now).unwrap();
        assert_eq!(v["openapi"], "3.1.0");
        assert!(v["paths"]["/api/v1/requests/{code}/steps"]["post"].is_object());
    }
}

/// One operation, for the documentation page.
pub struct DocOp {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub params: Vec<(String, String, String)>,
    pub responses: Vec<(String, String)>,
}

#[derive(askama::Template)]
#[template(path = "api_docs.html")]
struct DocsTemplate {
    page: crate::view::Page,
    ops: Vec<DocOp>,
    description: String,
}

/// The API's documentation, rendered on the server from the same OpenAPI document (no
/// JavaScript, no CDN).
pub async fn docs(page: crate::view::Page) -> Result<axum::response::Html<String>, WebError> {
    let doc: serde_json::Value = serde_json::from_str(&openapi_json()).unwrap_or_default();
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    let mut ops = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "delete"] {
                let op = &item[method];
                if !op.is_object() {
                    continue;
                }
                let params = op["parameters"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|p| (text(&p["name"]), text(&p["in"]), text(&p["description"])))
                            .collect()
                    })
                    .unwrap_or_default();
                let responses = op["responses"]
                    .as_object()
                    .map(|r| {
                        r.iter()
                            .map(|(code, v)| (code.clone(), text(&v["description"])))
                            .collect()
                    })
                    .unwrap_or_default();
                ops.push(DocOp {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: text(&op["summary"]),
                    description: text(&op["description"]),
                    params,
                    responses,
                });
            }
        }
    }
    crate::view::render(&DocsTemplate {
        page,
        ops,
        description: text(&doc["info"]["description"]),
    })
}
