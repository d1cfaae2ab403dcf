//! POST requests: filing a request over Open311 (URL-encoded or multipart with photos).

use super::*;

/// A photo as uploaded, not yet decoded: the field's name and its bytes.
pub(super) type Upload = (String, Bytes);

/// Reads the body into `params` (URL-encoded, as the spec says, or multipart, as clients
/// that upload photos send it) and returns the photos uploaded as `media` or `photo1..n`,
/// undecoded: decoding costs CPU and memory, so it waits until the `api_key` is checked
/// (`decode_photos`).
pub(super) async fn read_body(
    state: &AppState,
    req: Request,
    params: &mut Params,
) -> Result<Vec<Upload>, Fail> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e| Fail::bad(format!("the body could not be read: {e}")))?;
        let text = std::str::from_utf8(&body).map_err(|_| Fail::bad("the body is not UTF-8"))?;
        params.0.extend(Params::parse(text).0);
        return Ok(Vec::new());
    }
    let mut form = Multipart::from_request(req, state)
        .await
        .map_err(|e| Fail::bad(format!("the multipart body could not be read: {e}")))?;
    let mut uploads = Vec::new();
    loop {
        let field = form
            .next_field()
            .await
            .map_err(|e| Fail::bad(format!("the multipart body could not be read: {e}")))?;
        let Some(field) = field else { break };
        let name = field.name().unwrap_or_default().to_string();
        let is_file = field.file_name().is_some();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| Fail::bad(format!("{name} could not be read: {e}")))?;
        if is_file {
            if name == "media" || name == "media[]" || name.starts_with("photo") {
                uploads.push((name, bytes));
            }
        } else {
            params
                .0
                .push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    if uploads.len() > MAX_PHOTOS {
        return Err(Fail::bad(format!(
            "media: at most {MAX_PHOTOS} photos may be sent"
        )));
    }
    Ok(uploads)
}

/// Decodes and cleans the uploads of an authenticated client, on the blocking pool and at
/// most one per core at a time across the server (`AppState::decode_slots`): many large
/// photos sent at once queue instead of taking every core and their decoded size in memory.
pub(super) async fn decode_photos(
    state: &AppState,
    uploads: Vec<Upload>,
) -> Result<Vec<PhotoFile>, Fail> {
    let mut photos = Vec::new();
    for (name, bytes) in uploads {
        let _slot = state
            .decode_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Fail::from(crate::WebError::Unavailable("shutting down".into())))?;
        let cleaned = tokio::task::spawn_blocking(move || media::clean_photo(&bytes))
            .await
            .map_err(|_| Fail::bad(format!("{name} is not a readable photo")))?
            .map_err(|e| Fail::bad(format!("{name} was refused ({})", e.code())))?;
        photos.push(PhotoFile {
            extension: cleaned.kind.extension(),
            mime: cleaned.kind.mime(),
            width: cleaned.width,
            height: cleaned.height,
            bytes: cleaned.bytes,
            thumbnail: cleaned.thumbnail,
        });
    }
    Ok(photos)
}

/// `attribute[CODE]` and `attribute[CODE][]` → `CODE`.
pub(super) fn attribute_code(key: &str) -> Option<&str> {
    let inner = key.strip_prefix("attribute[")?;
    let code = inner
        .strip_suffix("][]")
        .or_else(|| inner.strip_suffix(']'))?;
    (!code.is_empty()).then_some(code)
}

/// The first line of the description, cut to a title's length.
pub(super) fn title_from(description: &str, service_name: &str) -> String {
    let first = description
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if first.is_empty() {
        return service_name.to_string();
    }
    first.chars().take(MAX_TITLE).collect()
}

/// The integration client behind `api_key`, if it may write over Open311 (`what` says what
/// it tried, for the error).
pub(super) async fn writer_client(
    state: &AppState,
    params: &Params,
    what: &str,
) -> Result<ApiClient, Fail> {
    let key = params
        .get("api_key")
        .ok_or_else(|| Fail::forbidden("api_key is missing"))?;
    let client = clients::authenticate(&state.store, key)
        .await?
        .ok_or_else(|| Fail::forbidden("api_key is not valid"))?;
    if !client.has_scope("open311:write") {
        return Err(Fail::forbidden(format!(
            "api_key may not {what}: its client lacks the open311:write scope"
        )));
    }
    // The same per-client limit as the unit API; 429 is outside the spec's three codes, but
    // it tells a client to slow down rather than that its input is wrong.
    if let Err(wait) = state.rate_limiter.check(&client) {
        return Err(Fail::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("this api_key has used up its requests for this minute; try again in {wait} s"),
        ));
    }
    Ok(client)
}

pub(super) async fn file_request(
    state: &AppState,
    params: &Params,
    uploads: Vec<Upload>,
) -> Answer {
    // first who is asking: nobody without a key makes the server decode a photo
    let client = writer_client(state, params, "create requests").await?;
    let code = params
        .get("service_code")
        .ok_or_else(|| Fail::bad("service_code is required"))?;
    let service = active_service(state, code)
        .await?
        .ok_or_else(|| Fail::bad(format!("service_code '{code}' is not a known service")))?;
    let (new_request, media_url) = request_from(params, &service).map_err(field_errors)?;
    let photos = decode_photos(state, uploads).await?;
    let rules = &state.config.rules;
    match requests::check(&state.store, rules, &new_request).await {
        Ok(()) => {}
        Err(StorageError::Invalid(e)) => return Err(field_errors(e)),
        Err(e) => return Err(e.into()),
    }
    let calendar = state.calendar().await?;
    let done = match requests::submit_with_link(
        &state.store,
        rules,
        &calendar,
        &state.config.uploads,
        new_request,
        photos,
        media_url,
    )
    .await
    {
        Ok(d) => d,
        Err(StorageError::Invalid(e)) => return Err(field_errors(e)),
        Err(e) => return Err(e.into()),
    };
    tracing::info!(client = %client.name, code = %done.code, "request filed over Open311");
    Ok((
        "service_requests",
        Node::List(
            "request",
            vec![Node::Object(vec![(
                "service_request_id",
                Node::text(done.code),
            )])],
        ),
    ))
}

/// The pure part of filing over Open311: a POSTed form's fields (URL-encoded, as the spec
/// sends them) read as a request of `service`, with the domain's checks. Checks that need the
/// database (answers against the service's questions, the area) come after, in storage.
pub fn request_from_form(body: &str, service: &Service) -> Result<NewRequest, FieldErrors> {
    request_from(&Params::parse(body), service).map(|(r, _)| r)
}

/// The attribute FixMyStreet sends a report's own title in (when the service has no question
/// of that code): our request's title, instead of the description's first line.
const TITLE_ATTRIBUTE: &str = "title";

/// A POSTed request: the new request and its outside photo link (`media_url`), or every
/// field that is wrong.
pub(super) fn request_from(
    params: &Params,
    service: &Service,
) -> Result<(NewRequest, Option<String>), FieldErrors> {
    let mut errors = FieldErrors::new();
    // The spec: "lat & long both required, or address_string or address_id". FixMyStreet's
    // `address_id=#NOTPINPOINTED#` counts as given (it says the reporter chose no point).
    if ["lat", "long", "address_string", "address_id"]
        .iter()
        .all(|k| params.get(k).is_none())
    {
        errors.add("location", "location_required");
    }
    let media_url = errors
        .check(
            "media_url",
            kotapintar_domain::intake::media_url(params.get("media_url").unwrap_or("")),
        )
        .flatten();
    let description = params.get("description").unwrap_or("").to_string();
    let name = [params.get("first_name"), params.get("last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let asks_title = service
        .draft
        .questions
        .iter()
        .any(|q| q.code.eq_ignore_ascii_case(TITLE_ATTRIBUTE));
    let given_title = params
        .0
        .iter()
        .find(|(k, v)| attribute_code(k) == Some(TITLE_ATTRIBUTE) && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_string())
        .filter(|_| !asks_title);
    let input = RequestInput {
        kind: service.draft.kind.as_str().into(),
        service_code: service.draft.code.clone(),
        title: given_title
            .clone()
            .unwrap_or_else(|| title_from(&description, &service.draft.name)),
        description,
        latitude: params.get("lat").unwrap_or("").into(),
        longitude: params.get("long").unwrap_or("").into(),
        // FixMyStreet's `address_id=#NOTPINPOINTED#` means "no location": nothing to keep.
        location_address: params.get("address_string").unwrap_or("").into(),
        name,
        email: params.get("email").unwrap_or("").into(),
        phone: params.get("phone").unwrap_or("").into(),
        ..Default::default()
    };
    // Answers keyed as the form's `q_<code>`; attributes our service does not ask about
    // (FixMyStreet's `uprn`, for one) are ignored by the checks.
    let answers: Vec<(String, String)> = params
        .0
        .iter()
        .filter_map(|(k, v)| attribute_code(k).map(|c| (c, v)))
        .filter(|(c, _)| asks_title || *c != TITLE_ATTRIBUTE)
        .map(|(c, v)| (format!("q_{}", c.trim().to_lowercase()), v.clone()))
        .collect();
    match input.parse(answers) {
        Ok(r) if errors.is_empty() => Ok((r, media_url)),
        Ok(_) => Err(errors),
        Err(mut e) => {
            // a title the client sent is its own field, not the description's first line
            if given_title.is_some() {
                for f in e.0.iter_mut().filter(|f| f.field == "title") {
                    f.field = format!("attribute[{TITLE_ATTRIBUTE}]");
                }
            }
            errors.0.extend(e.0);
            Err(errors)
        }
    }
}
