//! The dicts CKAN answers with: licences, organizations (units), groups (topics), resources
//! and the full `package_show` dict.

use super::*;

pub(super) fn licence_dict(l: Licence) -> Value {
    json!({
        "id": l.id(),
        "title": l.title(),
        "url": l.url().unwrap_or_default(),
        "status": "active",
        "od_conformance": if l.is_open() { "approved" } else { "not reviewed" },
        "osd_conformance": "not reviewed",
        "domain_content": false,
        "domain_data": true,
        "domain_software": false,
        "family": "",
        "maintainer": "",
        "is_generic": matches!(l, Licence::OtherOpen | Licence::NotSpecified),
    })
}

/// CKAN's organisation and group dicts are one shape: a publisher is an organisation, a topic
/// a group.
fn owner_dict(
    id: &str,
    name: &str,
    title: &str,
    created: &str,
    organization: bool,
    package_count: usize,
) -> Value {
    json!({
        "id": id,
        "name": name,
        "title": title,
        "display_name": title,
        "type": if organization { "organization" } else { "group" },
        "description": "",
        "image_url": "",
        "image_display_url": "",
        "created": created,
        "is_organization": organization,
        "approval_status": "approved",
        "state": "active",
        "package_count": package_count,
        "num_followers": 0,
        "extras": [],
        "groups": [],
        "tags": [],
        "users": [],
    })
}

pub(super) fn organization_dict(p: &Publisher, package_count: usize) -> Value {
    owner_dict(
        &p.uuid,
        &p.slug,
        &p.name,
        &ckan_time(p.created_at),
        true,
        package_count,
    )
}

pub(super) fn group_dict(t: Topic, package_count: usize) -> Value {
    owner_dict(
        &stable_uuid("topic", t.as_str()),
        t.as_str(),
        t.title(),
        "2026-11-29T00:00:00.000000",
        false,
        package_count,
    )
}

pub fn resource_dict(b: &str, d: &Dataset, r: &Resource) -> Value {
    let (size, hash) = match &r.source {
        Source::Upload { bytes, sha256, .. } => (json!(bytes), format!("sha256:{sha256}")),
        Source::Live(_) => (Value::Null, String::new()),
    };
    let mimetype = r.offered_mimetype();
    let format = r.offered_format();
    json!({
        "id": r.uuid,
        "package_id": d.uuid,
        "name": r.name,
        "description": r.description,
        "url": download_url(b, d, r),
        "format": format,
        "mimetype": mimetype,
        "mimetype_inner": null,
        "size": size,
        "hash": hash,
        "position": r.position,
        "state": "active",
        "created": ckan_time(r.created_at),
        "last_modified": ckan_time(r.updated_at),
        "metadata_modified": ckan_time(r.updated_at),
        "resource_type": if matches!(r.source, Source::Live(_)) { json!("live") } else { Value::Null },
        "url_type": if matches!(r.source, Source::Upload { .. }) { json!("upload") } else { Value::Null },
        "cache_url": null,
        "cache_last_updated": null,
        "datastore_active": r.is_tabular(),
    })
}

/// The full `package_show` dict (every `package_search` result is one of these).
pub fn package_dict(b: &str, d: &Dataset) -> Value {
    let mut extras = vec![
        ("frequency", d.frequency.iso8601().to_string()),
        ("identifier", d.uuid.clone()),
        ("uri", format!("{b}/data/{}", d.name)),
        ("language", "id".to_string()),
        ("publisher_name", d.publisher.name.clone()),
        ("contact_name", d.contact_name.clone()),
        ("contact_email", d.contact_email.clone()),
        ("theme", d.topic.eu_theme().to_string()),
        ("access_rights", "public".to_string()),
    ];
    if let Some(p) = d.published_at {
        extras.push((
            "issued",
            p.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ));
    }
    extras.push((
        "modified",
        d.modified()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    ));
    if let Some(s) = d.temporal_start {
        extras.push(("temporal_start", s.to_string()));
    }
    if let Some(e) = d.temporal_end {
        extras.push(("temporal_end", e.to_string()));
    }
    if !d.spatial.is_empty() {
        extras.push(("spatial_text", d.spatial.clone()));
    }
    json!({
        "id": d.uuid,
        "name": d.name.as_str(),
        "title": d.title,
        "notes": d.notes,
        "type": "dataset",
        "state": "active",
        "private": false,
        "version": null,
        "url": format!("{b}/data/{}", d.name),
        "author": d.publisher.name,
        "author_email": null,
        "maintainer": d.contact_name,
        "maintainer_email": d.contact_email,
        "license_id": d.licence.id(),
        "license_title": d.licence.title(),
        "license_url": d.licence.url().unwrap_or_default(),
        "isopen": d.licence.is_open(),
        "metadata_created": ckan_time(d.created_at),
        "metadata_modified": ckan_time(d.modified()),
        "creator_user_id": stable_uuid("unit", &d.publisher.slug),
        "owner_org": d.publisher.uuid,
        "organization": {
            "id": d.publisher.uuid,
            "name": d.publisher.slug,
            "title": d.publisher.name,
            "type": "organization",
            "description": "",
            "image_url": "",
            "created": ckan_time(d.publisher.created_at),
            "is_organization": true,
            "approval_status": "approved",
            "state": "active",
        },
        "groups": [{
            "id": stable_uuid("topic", d.topic.as_str()),
            "name": d.topic.as_str(),
            "title": d.topic.title(),
            "display_name": d.topic.title(),
            "description": "",
            "image_display_url": "",
        }],
        "tags": d.tags.iter().map(|t| json!({
            "id": stable_uuid("tag", t),
            "name": t,
            "display_name": t,
            "state": "active",
            "vocabulary_id": null,
        })).collect::<Vec<_>>(),
        "extras": extras.into_iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
        "num_tags": d.tags.len(),
        "num_resources": d.resources.len(),
        "relationships_as_subject": [],
        "relationships_as_object": [],
        "resources": d.resources.iter().map(|r| resource_dict(b, d, r)).collect::<Vec<_>>(),
    })
}
