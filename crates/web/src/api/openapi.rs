//! What the OpenAPI document says beyond the handlers' own annotations: the values a string
//! field may take (schema-only enums), and the error answers every operation of a kind can
//! give (so no status the server sends is undocumented).

use super::problem::ProblemType;
use serde::Serialize;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};

/// The kind of a request.
// Only a schema: the handlers read these values as strings and the domain parses them.
#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestKindName {
    Pengaduan,
    Aspirasi,
    PermintaanInformasi,
    Permohonan,
}

/// The status of a request in the workflow.
// Only a schema: the handlers read these values as strings and the domain parses them.
#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatusName {
    Diterima,
    Diverifikasi,
    Ditolak,
    Didisposisikan,
    Ditindaklanjuti,
    Selesai,
    Ditutup,
    /// Resolved by the unit, waiting for the central desk's validation (validated closure).
    MenungguValidasi,
    /// Not the regency's authority: referred to an outside agency (see `status_reason`).
    Dialihkan,
    /// Deferred to a date with a reason (see `status_reason`); not late meanwhile.
    Ditunda,
}

/// A workflow step a unit's application may take.
// Only a schema: the handlers read these values as strings and the domain parses them.
#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepAction {
    /// Start work (`ditindaklanjuti`); `note` optional.
    Start,
    /// Resolve with a `response` to the resident (10 characters at least).
    Resolve,
    /// A `note`, public when `public` is true.
    Comment,
    /// Hand over to another unit (`to_unit`, a unit code) with a reason in `note`.
    Forward,
    /// Assign to an officer of the unit (`officer`, a username).
    Assign,
    /// Not the regency's authority, before work starts: refer to an outside agency (`agency`,
    /// its id) with a public reason in `note`.
    Refer,
    /// Defer to a date (`until`, YYYY-MM-DD, after today and within a year) with a public
    /// reason in `note`.
    Defer,
    /// Resume a deferred request now; `note` optional.
    Resume,
}

/// The kind of a portal item.
// Only a schema: the handlers read these values as strings and the domain parses them.
#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContentKindName {
    Berita,
    Pengumuman,
    Agenda,
    Proyek,
}

/// Where an item stands in the editorial workflow.
// Only a schema: the handlers read these values as strings and the domain parses them.
#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EditorialStatusName {
    Draft,
    Review,
    Published,
}

/// Where a project's money comes from.
// Only a schema: the handlers read these values as strings and the domain parses them.
#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FundSource {
    /// Not given (an item that is not a project).
    #[serde(rename = "")]
    Unset,
    Apbd,
    Apbn,
    Dak,
    Lainnya,
}

/// A project's state.
// Only a schema: the handlers read these values as strings and the domain parses them.
#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProjectStatus {
    /// Not given (an item that is not a project).
    #[serde(rename = "")]
    Unset,
    Planned,
    Tender,
    Running,
    Done,
    Stopped,
}

/// The body of `POST /requests/{code}/photos`.
// Only a schema: the handler reads the multipart parts itself.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
pub struct PhotoUpload {
    /// JPEG, PNG or WebP, 10 MB each, at most 5; metadata is removed.
    #[schema(value_type = Vec<String>, format = Binary, min_items = 1)]
    photo: Vec<u8>,
}

fn problem(t: ProblemType, description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(format!("{description} (problem type `{}`)", t.uri()))
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// Adds the error answers an operation can give and does not list yet, from its shape: every
/// call can meet a bad token, the rate limit and an outage; parameters can be invalid; a path
/// can name nothing; a POST body can be unreadable, too large or invalid, and its key in use.
pub struct CommonAnswers;

impl CommonAnswers {
    fn add(op: &mut Operation, post: bool, scoped: bool) {
        let params = op.parameters.as_deref().unwrap_or_default();
        let has_path = params
            .iter()
            .any(|p| matches!(p.parameter_in, ParameterIn::Path));
        let has_query = params
            .iter()
            .any(|p| matches!(p.parameter_in, ParameterIn::Query | ParameterIn::Path));
        let mut answers = vec![
            (
                "401",
                problem(ProblemType::Unauthorized, "No valid bearer token"),
            ),
            (
                "429",
                problem(
                    ProblemType::RateLimit,
                    "The client's calls per minute are used up; see Retry-After",
                ),
            ),
            (
                "503",
                problem(
                    ProblemType::Unavailable,
                    "Storage cannot be written now; nothing was stored; see Retry-After",
                ),
            ),
        ];
        if scoped {
            answers.push((
                "403",
                problem(
                    ProblemType::Scope,
                    "The client lacks the scope, or its unit may not do this",
                ),
            ));
        }
        if has_path {
            answers.push((
                "404",
                problem(ProblemType::NotFound, "No such resource for this client"),
            ));
        }
        if post {
            answers.push(("400", problem(ProblemType::Malformed, "The body is not the documented JSON (every wrong field listed), or a parameter is not valid")));
            answers.push(("409", problem(ProblemType::InProgress, "A call with this Idempotency-Key is still running, or the resource's state does not allow this now")));
            answers.push((
                "413",
                problem(ProblemType::TooLarge, "The body is too large"),
            ));
            answers.push(("422", problem(ProblemType::Invalid, "Invalid fields, one entry each; or the Idempotency-Key was used for another request")));
        } else if has_query {
            answers.push((
                "400",
                problem(
                    ProblemType::InvalidParameter,
                    "A query or path parameter is not valid, one entry each",
                ),
            ));
        }
        for (code, answer) in answers {
            op.responses
                .responses
                .entry(code.to_string())
                .or_insert(answer.into());
        }
    }
}

impl utoipa::Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for (op, post) in [
                (item.get.as_mut(), false),
                (item.delete.as_mut(), false),
                (item.post.as_mut(), true),
            ] {
                let Some(op) = op else { continue };
                // the reference lists need no scope; everything else does
                let scoped = !op
                    .tags
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .any(|t| t == "reference");
                Self::add(op, post, scoped);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kotapintar_domain::request::{RequestKind, Status};

    fn names<T: Serialize>(items: &[T]) -> Vec<String> {
        items
            .iter()
            .map(|i| {
                serde_json::to_value(i)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    /// The document's enums are the domain's values, no more, no fewer.
    #[test]
    fn the_documented_values_are_the_domains() {
        use RequestKindName as K;
        use RequestStatusName as S;
        let kinds: Vec<String> = RequestKind::ALL.iter().map(|k| k.as_str().into()).collect();
        assert_eq!(
            names(&[
                K::Pengaduan,
                K::Aspirasi,
                K::PermintaanInformasi,
                K::Permohonan
            ]),
            kinds
        );
        let statuses: Vec<String> = Status::ALL.iter().map(|k| k.as_str().into()).collect();
        assert_eq!(
            names(&[
                S::Diterima,
                S::Diverifikasi,
                S::Ditolak,
                S::Didisposisikan,
                S::Ditindaklanjuti,
                S::Selesai,
                S::Ditutup,
                S::MenungguValidasi,
                S::Dialihkan,
                S::Ditunda
            ]),
            statuses
        );
        use kotapintar_domain::content::{ContentKind, EditorialStatus};
        for k in names(&[
            ContentKindName::Berita,
            ContentKindName::Pengumuman,
            ContentKindName::Agenda,
            ContentKindName::Proyek,
        ]) {
            assert!(ContentKind::parse(&k).is_ok(), "{k}");
        }
        for k in names(&[
            EditorialStatusName::Draft,
            EditorialStatusName::Review,
            EditorialStatusName::Published,
        ]) {
            assert!(EditorialStatus::parse(&k).is_ok(), "{k}");
        }
    }
}
