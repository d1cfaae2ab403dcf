//! `package_search`: Solr-style `q`/`fq` over the published catalogue, CKAN's sorts and
//! facets.

use super::*;

/// A dataset as Solr-style queries see it.
pub(super) struct Doc<'a>(&'a Dataset);

impl Searchable for Doc<'_> {
    fn values(&self, field: &str) -> Vec<String> {
        let d = self.0;
        match field {
            "id" => vec![d.uuid.clone()],
            "name" => vec![d.name.to_string()],
            "title" | "title_string" => vec![d.title.clone()],
            "notes" => vec![d.notes.clone()],
            "num_resources" => vec![d.resources.len().to_string()],
            "num_tags" => vec![d.tags.len().to_string()],
            "res_description" => d.resources.iter().map(|r| r.description.clone()).collect(),
            "organization" => vec![d.publisher.slug.clone()],
            "owner_org" => vec![d.publisher.uuid.clone()],
            "groups" => vec![d.topic.as_str().to_string()],
            "tags" => d.tags.clone(),
            "res_format" => d
                .resources
                .iter()
                .map(|r| r.offered_format().to_string())
                .collect(),
            "license_id" => vec![d.licence.id().to_string()],
            "metadata_modified" => vec![ckan_time(d.modified())],
            "metadata_created" => vec![ckan_time(d.created_at)],
            "state" => vec!["active".into()],
            "dataset_type" | "type" => vec!["dataset".into()],
            "capacity" => vec!["public".into()],
            "res_name" => d.resources.iter().map(|r| r.name.clone()).collect(),
            "text" => vec![self.text()],
            _ => Vec::new(),
        }
    }

    fn text(&self) -> String {
        let d = self.0;
        format!(
            "{} {} {} {} {} {}",
            d.name,
            d.title,
            d.notes,
            d.tags.join(" "),
            d.publisher.name,
            d.resources
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        )
        .to_lowercase()
    }

    /// CKAN's Solr schema tokenises these: `title:pasar` finds "Harga Pasar".
    fn is_text(&self, field: &str) -> bool {
        matches!(
            field,
            "title" | "notes" | "text" | "res_name" | "res_description"
        )
    }
}

/// The fields a query may name: those `Doc` has (CKAN's index has more, but naming one we
/// do not hold would silently find nothing; Solr refuses an undefined field too).
pub(super) const QUERY_FIELDS: &[&str] = &[
    "id",
    "name",
    "title",
    "title_string",
    "notes",
    "organization",
    "owner_org",
    "groups",
    "tags",
    "res_format",
    "res_name",
    "res_description",
    "license_id",
    "metadata_modified",
    "metadata_created",
    "num_resources",
    "num_tags",
    "state",
    "dataset_type",
    "type",
    "capacity",
    "text",
];

/// Index fields with several values (a list in an `fl` answer).
const MULTI_VALUED: &[&str] = &[
    "tags",
    "groups",
    "res_format",
    "res_name",
    "res_description",
];

pub(super) const FACET_FIELDS: &[&str] = &[
    "organization",
    "groups",
    "tags",
    "res_format",
    "license_id",
    "num_resources",
    "num_tags",
];

pub(super) fn display_name(cat: &Catalogue, field: &str, value: &str) -> String {
    match field {
        "organization" => cat
            .datasets
            .iter()
            .find(|d| d.publisher.slug == value)
            .map(|d| d.publisher.name.clone())
            .unwrap_or_else(|| value.to_string()),
        "groups" => Topic::parse(value)
            .map(|t| t.title().to_string())
            .unwrap_or_else(|_| value.to_string()),
        "license_id" => Licence::parse(value)
            .map(|l| l.title().to_string())
            .unwrap_or_else(|_| value.to_string()),
        _ => value.to_string(),
    }
}

/// `q` or one `fq`, with date math resolved and every field one we hold.
fn parse_query(which: &str, raw: &str) -> Result<Query, Fail> {
    let query = Query::parse_at(raw, Utc::now().naive_utc())
        .map_err(|e| Fail::SearchQuery(format!("{which}: {e}")))?;
    if let Some(f) = query.fields().find(|f| !QUERY_FIELDS.contains(f)) {
        return Err(Fail::SearchQuery(format!(
            "{which}: undefined field {f} (searchable: {})",
            QUERY_FIELDS.join(", ")
        )));
    }
    Ok(query)
}

pub(super) fn package_search(b: &str, cat: &Catalogue, p: &Params) -> ActionResult {
    let q = p.str("q").unwrap_or_default();
    let mut query = parse_query("q", &q)?;
    let mut fqs: Vec<String> = p.str("fq").into_iter().collect();
    if let Some(list) = p.list("fq_list") {
        if list.len() > MAX_FQ_LIST {
            return Err(Fail::SearchQuery(format!(
                "fq_list: at most {MAX_FQ_LIST} filter queries"
            )));
        }
        fqs.extend(list);
    }
    for fq in fqs {
        query = query.and(parse_query("fq", &fq)?);
    }
    let rows = p.int("rows", 10)?.min(1000);
    let start = p.int("start", 0)?;
    let sort = p
        .str("sort")
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "score desc, metadata_modified desc".into());
    let mut hits: Vec<&Dataset> = cat
        .datasets
        .iter()
        .filter(|d| query.matches(&Doc(d)))
        .collect();
    sort_hits(&mut hits, &sort)?;
    let count = hits.len();
    let (facets, search_facets) = facets_of(cat, &hits, p)?;
    let fl = result_fields(p);
    let results: Vec<Value> = page(hits, start, rows)
        .into_iter()
        .map(|d| match &fl {
            Some(fields) => index_dict(d, fields),
            None => package_dict(b, d),
        })
        .collect();
    Ok(json!({
        "count": count,
        "results": results,
        "facets": facets,
        "search_facets": search_facets,
        "sort": sort,
    }))
}

/// `fl`: the index fields to return instead of the full dicts (CKAN takes a list, or a string
/// of names separated by spaces or commas); `None` (or `*`): the full package dicts.
fn result_fields(p: &Params) -> Option<Vec<String>> {
    let raw = match p.0.get("fl")? {
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        Value::String(s) => s.clone(),
        _ => return None,
    };
    let fields: Vec<String> = raw
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .collect();
    (!fields.is_empty() && !fields.iter().any(|f| f == "*")).then_some(fields)
}

/// A dataset as CKAN answers with `fl`: the named index fields only (a list for those with
/// several values, numbers for counts), unknown names left out as Solr leaves them out.
fn index_dict(d: &Dataset, fields: &[String]) -> Value {
    let doc = Doc(d);
    let mut out = Map::new();
    for f in fields {
        let values = doc.values(f);
        let v = if MULTI_VALUED.contains(&f.as_str()) {
            json!(values)
        } else if f.starts_with("num_") {
            match values.first().and_then(|v| v.parse::<i64>().ok()) {
                Some(n) => json!(n),
                None => continue,
            }
        } else {
            match values.into_iter().next() {
                Some(v) => json!(v),
                None => continue,
            }
        };
        out.insert(f.clone(), v);
    }
    Value::Object(out)
}

/// Orders the matches by `sort` (CKAN's `field dir, ...`), refusing fields CKAN would not
/// sort by; ties fall to the id, so pages are stable.
pub(super) fn sort_hits(hits: &mut [&Dataset], sort: &str) -> Result<(), Fail> {
    let keys = check_sort(sort).map_err(|m| invalid("sort", &m))?;
    for (field, _) in &keys {
        if !matches!(
            field.as_str(),
            "score"
                | "id"
                | "name"
                | "title"
                | "title_string"
                | "metadata_modified"
                | "metadata_created"
                | "views_recent"
                | "num_resources"
                | "num_tags"
        ) {
            return Err(Fail::SearchQuery(format!("sort: unknown field {field}")));
        }
    }
    hits.sort_by(|x, y| {
        for (field, desc) in &keys {
            let o = match field.as_str() {
                "id" => x.uuid.cmp(&y.uuid),
                "name" => x.name.as_str().cmp(y.name.as_str()),
                "title" | "title_string" => x.title.to_lowercase().cmp(&y.title.to_lowercase()),
                "metadata_modified" => x.modified().cmp(&y.modified()),
                "metadata_created" => x.created_at.cmp(&y.created_at),
                "num_resources" => x.resources.len().cmp(&y.resources.len()),
                "num_tags" => x.tags.len().cmp(&y.tags.len()),
                // every match scores the same here; the next key decides
                _ => std::cmp::Ordering::Equal,
            };
            let o = if *desc { o.reverse() } else { o };
            if o != std::cmp::Ordering::Equal {
                return o;
            }
        }
        x.uuid.cmp(&y.uuid)
    });
    Ok(())
}

/// One facet object of the answer: field → counts (or CKAN's item lists).
type Facets = Map<String, Value>;

/// `facets` and `search_facets` of the matches, as CKAN counts them (`facet.field`,
/// `facet.limit`, `facet.mincount`; none when `facet=false`).
pub(super) fn facets_of(
    cat: &Catalogue,
    hits: &[&Dataset],
    p: &Params,
) -> Result<(Facets, Facets), Fail> {
    let mut facets = Map::new();
    let mut search_facets = Map::new();
    if p.bool_or("facet", true)? {
        let fields = p.list("facet.field").unwrap_or_default();
        let limit = match p.0.get("facet.limit") {
            Some(v)
                if v.as_str().is_some_and(|s| s.trim().starts_with('-'))
                    || v.as_i64().is_some_and(|n| n < 0) =>
            {
                usize::MAX
            }
            _ => usize::try_from(p.int("facet.limit", 50)?).unwrap_or(50),
        };
        let mincount = p.int("facet.mincount", 1)?;
        if let Some(bad) = fields.iter().find(|f| !FACET_FIELDS.contains(&f.as_str())) {
            return Err(invalid(
                "facet.field",
                &format!(
                    "Cannot facet on field `{bad}`: use {}",
                    FACET_FIELDS.join(", ")
                ),
            ));
        }
        for field in &fields {
            let mut counts: BTreeMap<String, i64> = BTreeMap::new();
            for d in hits {
                let mut vals = Doc(d).values(field);
                vals.sort();
                vals.dedup();
                for v in vals {
                    *counts.entry(v).or_default() += 1;
                }
            }
            let mut top: Vec<(String, i64)> =
                counts.into_iter().filter(|(_, n)| *n >= mincount).collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            top.truncate(limit);
            facets.insert(
                field.clone(),
                Value::Object(top.iter().map(|(k, n)| (k.clone(), json!(n))).collect()),
            );
            let mut items: Vec<Value> = top
                .iter()
                .map(|(k, n)| json!({"name": k, "display_name": display_name(cat, field, k), "count": n}))
                .collect();
            items.sort_by(|a, b| {
                b["display_name"]
                    .as_str()
                    .unwrap_or_default()
                    .cmp(a["display_name"].as_str().unwrap_or_default())
            });
            search_facets.insert(field.clone(), json!({"title": field, "items": items}));
        }
    }
    Ok((facets, search_facets))
}
