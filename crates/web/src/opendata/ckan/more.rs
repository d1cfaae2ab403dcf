//! `tag_show`, `package_autocomplete` and `recently_changed_packages_activity_list`, as
//! CKAN 2.10/2.11 answer them, over the published catalogue.

use super::*;

/// `tag_show`: one free tag (we have no vocabularies), with its datasets when
/// `include_datasets` is true. CKAN matches the name exactly.
pub(super) fn tag_show(b: &str, cat: &Catalogue, p: &Params) -> ActionResult {
    let id = p.str("id").ok_or_else(|| missing("id"))?;
    if p.str("vocabulary_id").is_some_and(|v| !v.trim().is_empty()) {
        return Err(Fail::NotFound("Vocabulary not found".into()));
    }
    let tagged: Vec<&Dataset> = cat
        .datasets
        .iter()
        .filter(|d| d.tags.contains(&id))
        .collect();
    if tagged.is_empty() {
        return Err(Fail::NotFound(format!("Could not find tag \"{id}\"")));
    }
    let mut tag = json!({
        "id": stable_uuid("tag", &id),
        "name": id,
        "display_name": id,
        "vocabulary_id": null,
    });
    if p.bool("include_datasets")? {
        tag["packages"] = Value::Array(tagged.into_iter().map(|d| package_dict(b, d)).collect());
    }
    Ok(tag)
}

/// `package_autocomplete`: datasets whose name or title contains `q` (case-insensitive), at
/// most `limit` (10), by name; `match_field` says which one matched, as CKAN says it.
pub(super) fn package_autocomplete(cat: &Catalogue, p: &Params) -> ActionResult {
    let q = p.str("q").ok_or_else(|| missing("q"))?;
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(invalid("q", "Query too long"));
    }
    let limit = p.int("limit", 10)?;
    let needle = q.to_lowercase();
    let mut hits: Vec<&Dataset> = cat
        .datasets
        .iter()
        .filter(|d| {
            d.name.as_str().to_lowercase().contains(&needle)
                || d.title.to_lowercase().contains(&needle)
        })
        .collect();
    hits.sort_by(|x, y| x.name.as_str().cmp(y.name.as_str()));
    Ok(Value::Array(
        page(hits, 0, limit)
            .into_iter()
            .map(|d| {
                let name = d.name.as_str();
                let (field, displayed) = if name.to_lowercase().contains(&needle) {
                    ("name", name.to_string())
                } else {
                    ("title", format!("{} ({name})", d.title))
                };
                json!({
                    "name": name,
                    "title": d.title,
                    "match_field": field,
                    "match_displayed": displayed,
                })
            })
            .collect(),
    ))
}

/// CKAN's `ckan.activity_list_limit` default and its ceiling.
const ACTIVITY_LIMIT: i64 = 31;
const ACTIVITY_LIMIT_MAX: i64 = 100;

/// `recently_changed_packages_activity_list`: the latest change of each published dataset,
/// newest first (`offset`, `limit`). The catalogue keeps each dataset's current state, so a
/// dataset appears once, with what it is now; who changed it is not public (`user_id` is
/// null), like the staff behind every other public output.
pub(super) fn recent_activity(b: &str, cat: &Catalogue, p: &Params) -> ActionResult {
    let limit = p.int("limit", ACTIVITY_LIMIT)?.min(ACTIVITY_LIMIT_MAX);
    let offset = p.int("offset", 0)?;
    let when = |d: &Dataset| d.published_at.map_or(d.modified(), |p| p.max(d.modified()));
    let mut all: Vec<&Dataset> = cat.datasets.iter().collect();
    all.sort_by(|x, y| when(y).cmp(&when(x)).then_with(|| x.uuid.cmp(&y.uuid)));
    Ok(Value::Array(
        page(all, offset, limit)
            .into_iter()
            .map(|d| {
                let at = when(d);
                // first published and untouched since: CKAN's "new package"
                let kind = if d.published_at.is_some_and(|p| p >= d.modified()) {
                    "new package"
                } else {
                    "changed package"
                };
                json!({
                    "id": stable_uuid("activity", &format!("{}@{}", d.uuid, ckan_time(at))),
                    "timestamp": ckan_time(at),
                    "user_id": null,
                    "object_id": d.uuid,
                    "activity_type": kind,
                    "data": {"package": package_dict(b, d)},
                })
            })
            .collect(),
    ))
}
