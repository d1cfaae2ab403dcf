//! mySociety's servicerequestupdates (GET and POST).

use super::*;

/// Longest `update_id` we keep as an idempotency key (the key column's limit, with room for
/// the `servicerequestupdates:` prefix).
pub(super) const MAX_UPDATE_ID: usize = 150;
/// Requests read per query while collecting updates.
pub(super) const SCAN_PAGE: u64 = 500;
/// The widest window `GET servicerequestupdates` answers, as GET requests' default.
pub(super) const MAX_UPDATE_WINDOW_DAYS: i64 = DEFAULT_DAYS;

/// The statuses a client may POST, upper case as FixMyStreet sends them (the adapter's
/// `planned` too).
pub(super) const UPDATE_STATUSES: &str =
    "OPEN, INVESTIGATING, IN_PROGRESS, ACTION_SCHEDULED, PLANNED, \
FIXED, CLOSED, NO_FURTHER_ACTION, NOT_COUNCILS_RESPONSIBILITY, DUPLICATE, INTERNAL_REFERRAL, \
FOR_TRIAGE, CANCELLED, REOPEN";

pub(super) fn v2_status(s: Status) -> &'static str {
    if s.is_open() {
        "open"
    } else {
        "closed"
    }
}

/// An update's status as this caller reads it: the spec's `open`/`closed`, or the extended
/// status (see `Style`).
pub(super) fn status_of(s: Status, style: Style) -> &'static str {
    if style.extensions || style.client_extended {
        extended_status(s)
    } else {
        v2_status(s)
    }
}

/// mySociety's extended status for one of ours.
pub(super) fn extended_status(s: Status) -> &'static str {
    match s {
        Status::Diterima => "OPEN",
        Status::Diverifikasi => "INVESTIGATING",
        Status::Didisposisikan => "ACTION_SCHEDULED",
        Status::Ditindaklanjuti => "IN_PROGRESS",
        Status::Selesai => "FIXED",
        Status::Ditutup => "CLOSED",
        // Rejected, for whichever reason (the reason is not public): never claim it was fixed.
        Status::Ditolak => "NO_FURTHER_ACTION",
        // the unit says it is done, the desk has not yet agreed: not fixed yet
        Status::MenungguValidasi => "IN_PROGRESS",
        // bukan wewenang: mySociety's own word for it
        Status::Dialihkan => "NOT_COUNCILS_RESPONSIBILITY",
        // waiting for a date the unit set
        Status::Ditunda => "ACTION_SCHEDULED",
    }
}

/// The entries of a public timeline that are updates: each change of status and each public
/// note, after the filing itself (that is the request, not an update of it). An internal
/// step that changes nothing the public sees (an assignment) is left out.
pub(super) fn updates_of(r: &PublicRequest) -> impl Iterator<Item = &PublicEvent> {
    r.timeline
        .iter()
        .zip(r.timeline.iter().skip(1))
        .filter(|(before, e)| e.note.is_some() || e.to_status != before.to_status)
        .map(|(_, e)| e)
}

pub(super) fn update_node(state: &AppState, code: &str, e: &PublicEvent, style: Style) -> Node {
    let mut fields = vec![
        // The timeline entry's id: stable, and the id a POSTed update is answered with.
        ("update_id", Node::text(e.id.to_string())),
        ("service_request_id", Node::text(code)),
        ("status", Node::text(status_of(e.to_status, style))),
        ("updated_datetime", datetime(state, e.at)),
        // Only a note written for the public; `PublicEvent` holds no other.
        (
            "description",
            Node::text(e.note.clone().unwrap_or_default()),
        ),
        // mySociety's element for a photo of the update: the link a client posted with it
        ("media_url", Node::opt(e.media_url.clone())),
    ];
    if style.extensions {
        fields.push(("external_status_code", Node::text(e.to_status.as_str())));
    }
    Node::Object(fields)
}

/// `GET servicerequestupdates`: the public updates of public requests in a time window
/// (`start_date`/`end_date`, by default the last 90 days like GET requests), oldest first,
/// at most 1000, so a client that polls from its last `updated_datetime` never skips one.
/// `api_key`, which FixMyStreet sends, is not needed; when sent it must be valid, and it
/// decides the statuses (`Style`). `jurisdiction_id` must be ours (`check_jurisdiction`).
///
/// The window may span at most `MAX_UPDATE_WINDOW_DAYS` (FixMyStreet asks for the last hour
/// or so), and the timeline is read in `(at, id)` order with a limit: an answer reads at most
/// 1000 entries and their requests, never every public request (`start_date=1970-01-01`
/// used to).
pub(super) async fn update_list(state: &AppState, params: &Params, style: Style) -> Answer {
    let offset = state.config.rules.utc_offset;
    let start = parse_datetime(params, "start_date", offset)?;
    let end = parse_datetime(params, "end_date", offset)?;
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            return Err(Fail::bad("start_date must not be after end_date"));
        }
    }
    let now = Utc::now();
    let from = start.unwrap_or_else(|| end.unwrap_or(now) - Duration::days(DEFAULT_DAYS));
    if end.unwrap_or(now).max(from) - from > Duration::days(MAX_UPDATE_WINDOW_DAYS) {
        return Err(Fail::bad(format!(
            "start_date to end_date may span at most {MAX_UPDATE_WINDOW_DAYS} days: ask for a shorter window"
        )));
    }
    let candidates = kotapintar_storage::timeline::public_update_candidates(
        &state.store,
        from,
        end,
        MAX_REQUESTS,
    )
    .await?;
    let mut codes: Vec<String> = candidates.iter().map(|c| c.tracking_code.clone()).collect();
    codes.sort_unstable();
    codes.dedup();
    let mut requests_by_code = std::collections::HashMap::new();
    for chunk in codes.chunks(SCAN_PAGE as usize) {
        // the list leaves out `rahasia` requests in its query, and publishes the rest
        let filter = PublicFilter {
            with_timeline: true,
            codes: chunk.to_vec(),
            ..Default::default()
        };
        let (rows, _) = requests::public_list(&state.store, &filter, 0, SCAN_PAGE).await?;
        for r in rows {
            requests_by_code.insert(r.tracking_code.clone(), r);
        }
    }
    let mut items = Vec::with_capacity(candidates.len());
    for c in &candidates {
        let Some(r) = requests_by_code.get(&c.tracking_code) else {
            continue;
        };
        // only what the public projection shows as an update of this request
        if let Some(e) = updates_of(r).find(|e| e.id == c.event_id) {
            items.push(update_node(state, &r.tracking_code, e, style));
        }
    }
    Ok((
        "service_request_updates",
        Node::List("request_update", items),
    ))
}

pub(super) fn update_answer(update_id: String) -> (&'static str, Node) {
    (
        "service_request_updates",
        Node::List(
            "request_update",
            vec![Node::Object(vec![("update_id", Node::Text(update_id))])],
        ),
    )
}

/// `POST servicerequestupdates`: a unit's client comments on, starts or resolves a request
/// its unit handles, through the same workflow and permissions as staff. The answer's
/// `update_id` is ours (the new timeline entry's, as GET shows it); the client's own
/// `update_id` makes the call idempotent: sent again, it is answered without applying twice.
pub(super) async fn post_update(state: &AppState, params: &Params) -> Answer {
    let client = writer_client(state, params, "post updates").await?;
    let missing: Vec<String> = [
        "service_request_id",
        "update_id",
        "updated_datetime",
        "status",
        "description",
    ]
    .into_iter()
    .filter(|f| params.get(f).is_none())
    .map(|f| format!("{f} is required"))
    .collect();
    if !missing.is_empty() {
        return Err(Fail {
            status: StatusCode::BAD_REQUEST,
            descriptions: missing,
            retry_after: None,
        });
    }
    // Checked as the spec asks, but the timeline records when we applied the update.
    parse_datetime(params, "updated_datetime", state.config.rules.utc_offset)?;
    let update_id = params.get("update_id").unwrap_or_default();
    if update_id.chars().count() > MAX_UPDATE_ID {
        return Err(Fail::bad(format!(
            "update_id is too long ({MAX_UPDATE_ID} characters at most)"
        )));
    }
    let key = format!("servicerequestupdates:{update_id}");
    // The update_id names the update; FixMyStreet sends the same one again unchanged.
    match clients::claim_key(&state.store, client.id, &key, "POST servicerequestupdates").await? {
        Idempotency::Proceed => {}
        // 409 is not among the spec's codes.
        Idempotency::InProgress => {
            return Err(Fail::bad(format!(
                "update_id '{update_id}' is being applied right now; send it again later"
            )))
        }
        Idempotency::Replay(_, ours) => return Ok(update_answer(ours)),
        // keys of the API and of Open311 are apart (the `servicerequestupdates:` prefix)
        Idempotency::Mismatch => {
            return Err(Fail::bad(format!(
                "update_id '{update_id}' was used for another request"
            )))
        }
    }
    let applied = apply_update(state, &client, params).await;
    // Only an applied update is remembered: a refused one changed nothing, so the client may
    // correct it and send it again under the same update_id.
    let remember = applied.as_ref().ok().map(|ours| (200, ours.as_str()));
    if let Err(e) = clients::finish_key(&state.store, client.id, &key, remember).await {
        // The update is applied (or refused) either way; a replay then waits as "in progress"
        // instead of applying twice.
        tracing::error!(error = %e, %key, "could not record an Open311 update's key");
    }
    applied.map(update_answer)
}

/// Applies one update and returns the id of the timeline entry it wrote.
pub(super) async fn apply_update(
    state: &AppState,
    client: &ApiClient,
    params: &Params,
) -> Result<String, Fail> {
    let raw = params.get("service_request_id").unwrap_or_default();
    let status = params
        .get("status")
        .unwrap_or_default()
        .to_ascii_uppercase();
    let description = params.get("description").unwrap_or_default().to_string();
    // a photo of the update kept elsewhere (FixMyStreet sends it so): an outside link, checked
    // before anything is applied, stored with the timeline entry, never fetched
    let media_url = kotapintar_domain::intake::media_url(params.get("media_url").unwrap_or(""))
        .map_err(|code| field_errors(FieldErrors::single("media_url", code)))?;
    let not_found = || Fail::not_found(format!("service_request_id '{raw}' was not found"));
    let code = normalise_tracking_code(raw).ok_or_else(not_found)?;
    let actor = Actor::for_client(client);
    // What the client may see: a `rahasia` request of another unit is unknown, as it is on
    // every read.
    let before = match requests::for_client(&state.store, &actor, &code).await {
        Ok((r, _)) => r,
        Err(StorageError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    let id = match requests::id_by_code(&state.store, &code).await {
        Ok(id) => id,
        Err(StorageError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    let action = update_action(&status, before.status, description)?;
    let rejects = matches!(action, StaffAction::Reject { .. });
    let calendar = state.calendar().await?;
    match requests::act_with_link(
        &state.store,
        &state.config.rules,
        &calendar,
        &actor,
        id,
        action,
        media_url,
    )
    .await
    {
        Ok(_) => {}
        Err(StorageError::Forbidden) if rejects => {
            return Err(Fail::forbidden(format!(
                "status {status} would reject the request, which only the central desk may do"
            )))
        }
        Err(StorageError::Forbidden) => {
            return Err(Fail::forbidden(format!(
                "service_request_id '{code}' is not handled by this client's unit"
            )))
        }
        // A step the workflow does not allow now; 409 is not among the spec's codes.
        Err(StorageError::Conflict(why)) => {
            return Err(Fail::bad(format!(
                "status {status} cannot be applied now: {why}"
            )))
        }
        Err(StorageError::Invalid(e)) => return Err(field_errors(e)),
        Err(StorageError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    }
    // The entry just written is the first one after those seen before the step.
    let last_before = before.timeline.iter().map(|e| e.id).max().unwrap_or(0);
    let (after, _) = requests::for_client(&state.store, &actor, &code).await?;
    after
        .timeline
        .iter()
        .map(|e| e.id)
        .find(|i| *i > last_before)
        .map(|i| i.to_string())
        .ok_or_else(|| {
            Fail::from(ErrorClass::Internal(
                "the applied update is missing from the timeline".into(),
            ))
        })
}

/// A posted status as one of our steps, given where the request is now. Whether the client
/// may take the step and whether the workflow allows it is decided by `requests::act`, as
/// for staff; here only what Open311 cannot express is refused.
pub(super) fn update_action(
    status: &str,
    current: Status,
    description: String,
) -> Result<StaffAction, Fail> {
    let comment = |note| StaffAction::Comment { note, public: true };
    Ok(match status {
        // "Still open": a public note. On a request that is already done it would mean
        // reopening it, which is the reporter's step (an objection), not a unit's.
        "OPEN" | "INVESTIGATING" if current.is_open() => comment(description),
        "OPEN" | "INVESTIGATING" | "REOPEN" => {
            return Err(Fail::bad(format!(
                "status {status} would reopen the request, which only its reporter may do (by objecting to the resolution)"
            )))
        }
        // Work starts; once it has, a further "in progress" is a public note.
        "IN_PROGRESS" | "ACTION_SCHEDULED" | "PLANNED" if current == Status::Ditindaklanjuti => {
            comment(description)
        }
        "IN_PROGRESS" | "ACTION_SCHEDULED" | "PLANNED" => StaffAction::StartWork {
            note: Some(description),
        },
        // Done, with the description as the response to the reporter, who may object.
        "FIXED" | "CLOSED" | "NO_FURTHER_ACTION" => StaffAction::Resolve {
            response: description,
        },
        "NOT_COUNCILS_RESPONSIBILITY" => StaffAction::Reject {
            reason: RejectReason::OutsideAuthority,
            note: description,
            duplicate_of: None,
        },
        "DUPLICATE" => StaffAction::Reject {
            reason: RejectReason::Duplicate,
            note: description,
            duplicate_of: None,
        },
        "INTERNAL_REFERRAL" | "FOR_TRIAGE" => {
            return Err(Fail::bad(format!(
                "status {status} would forward the request, but Open311 cannot name the unit to forward to: forward it in the staff area or with the unit API (/api/v1)"
            )))
        }
        "CANCELLED" => {
            return Err(Fail::bad(
                "status CANCELLED is not possible: only the central desk may withdraw a request",
            ))
        }
        _ => {
            return Err(Fail::bad(format!(
                "status '{status}' is not one of {UPDATE_STATUSES}"
            )))
        }
    })
}
