//! Organizations (the units) and groups (the topics): lists and single ones.

use super::*;

pub(super) fn sort_groups(
    items: &mut [(String, String, usize, Value)],
    sort: &str,
) -> Result<(), Fail> {
    let keys = check_sort(sort).map_err(|m| invalid("sort", &m))?;
    let (field, desc) = keys
        .first()
        .cloned()
        .unwrap_or_else(|| ("title".into(), false));
    match field.as_str() {
        "name" => items.sort_by(|a, b| a.0.cmp(&b.0)),
        "title" | "display_name" => items.sort_by_key(|a| a.1.to_lowercase()),
        "package_count" => items.sort_by(|a, b| a.2.cmp(&b.2).then_with(|| a.0.cmp(&b.0))),
        other => return Err(invalid("sort", &format!("Cannot sort by field `{other}`"))),
    }
    if desc {
        items.reverse();
    }
    Ok(())
}

pub(super) fn list_groups(
    mut items: Vec<(String, String, usize, Value)>,
    p: &Params,
    names_key: &str,
) -> ActionResult {
    if let Some(q) = p.str("q").map(|q| q.to_lowercase()) {
        items.retain(|i| i.0.contains(&q) || i.1.to_lowercase().contains(&q));
    }
    if let Some(only) = p.list(names_key) {
        items.retain(|i| only.contains(&i.0));
    }
    sort_groups(
        &mut items,
        &p.str("sort").unwrap_or_else(|| "title asc".into()),
    )?;
    let all_fields = p.bool("all_fields")?;
    let limit = p.int("limit", if all_fields { 25 } else { 1000 })?;
    let offset = p.int("offset", 0)?;
    let items = page(items, offset, limit);
    Ok(Value::Array(
        items
            .into_iter()
            .map(|(name, _, _, dict)| if all_fields { dict } else { json!(name) })
            .collect(),
    ))
}

pub(super) async fn publishers(state: &AppState) -> Result<Vec<Publisher>, Fail> {
    Ok(kotapintar_storage::opendata::publishers(&state.store).await?)
}

pub(super) fn count_by_org(cat: &Catalogue, slug: &str) -> usize {
    cat.datasets
        .iter()
        .filter(|d| d.publisher.slug == slug)
        .count()
}

pub(super) async fn organization_list(
    state: &AppState,
    _b: &str,
    cat: &Catalogue,
    p: &Params,
) -> ActionResult {
    let items = publishers(state)
        .await?
        .into_iter()
        .map(|u| {
            // a unit with datasets shows the creation time the catalogue knows
            let known = cat
                .datasets
                .iter()
                .find(|d| d.publisher.slug == u.slug)
                .map(|d| d.publisher.clone());
            let u = known.unwrap_or(u);
            let n = count_by_org(cat, &u.slug);
            (u.slug.clone(), u.name.clone(), n, organization_dict(&u, n))
        })
        .collect();
    list_groups(items, p, "organizations")
}

pub(super) async fn organization_show(
    state: &AppState,
    b: &str,
    cat: &Catalogue,
    p: &Params,
) -> ActionResult {
    let id = p.str("id").ok_or_else(|| missing("id"))?;
    let u = publishers(state)
        .await?
        .into_iter()
        .find(|u| u.slug == id || u.uuid == id)
        .ok_or_else(|| Fail::NotFound("Organization was not found".into()))?;
    let u = cat
        .datasets
        .iter()
        .find(|d| d.publisher.slug == u.slug)
        .map(|d| d.publisher.clone())
        .unwrap_or(u);
    let n = count_by_org(cat, &u.slug);
    let mut dict = organization_dict(&u, n);
    if p.bool("include_datasets")? {
        dict["packages"] = Value::Array(
            cat.datasets
                .iter()
                .filter(|d| d.publisher.slug == u.slug)
                .take(1000)
                .map(|d| package_dict(b, d))
                .collect(),
        );
    }
    Ok(dict)
}

pub(super) fn group_list(_b: &str, cat: &Catalogue, p: &Params) -> ActionResult {
    let items = Topic::ALL
        .into_iter()
        .map(|t| {
            let n = cat.datasets.iter().filter(|d| d.topic == t).count();
            (
                t.as_str().to_string(),
                t.title().to_string(),
                n,
                group_dict(t, n),
            )
        })
        .collect();
    list_groups(items, p, "groups")
}

pub(super) fn group_show(b: &str, cat: &Catalogue, p: &Params) -> ActionResult {
    let id = p.str("id").ok_or_else(|| missing("id"))?;
    let t = Topic::ALL
        .into_iter()
        .find(|t| t.as_str() == id || stable_uuid("topic", t.as_str()) == id)
        .ok_or_else(|| Fail::NotFound("Group was not found".into()))?;
    let n = cat.datasets.iter().filter(|d| d.topic == t).count();
    let mut dict = group_dict(t, n);
    if p.bool("include_datasets")? {
        dict["packages"] = Value::Array(
            cat.datasets
                .iter()
                .filter(|d| d.topic == t)
                .take(1000)
                .map(|d| package_dict(b, d))
                .collect(),
        );
    }
    Ok(dict)
}
