//! `datastore_search`: filters, full-text `q`, fields, sort and paging over a tabular
//! resource, in CKAN's four record formats.

use super::*;

pub(super) async fn datastore_search(state: &AppState, p: &Params) -> ActionResult {
    let rid = p
        .str("resource_id")
        .or_else(|| p.str("id"))
        .ok_or_else(|| missing("resource_id"))?;
    let cat = catalogue(state).await?;
    let (_, r) = cat
        .resource(&rid)
        .ok_or_else(|| Fail::NotFound(format!("Resource \"{rid}\" was not found.")))?;
    let table = table_of(state, r)
        .await?
        .ok_or_else(|| Fail::NotFound(format!("Resource \"{rid}\" was not found.")))?;
    let limit = p.int("limit", 100)?.min(32_000);
    let offset = p.int("offset", 0)?;
    let filters = datastore_filters(p)?;
    let q = match p.0.get("q") {
        Some(Value::Object(m)) => Some(
            m.values()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => p.str("q"),
    };
    // refused here with CKAN's search error (400), before anything is matched
    if let Some(q) = &q {
        if q.chars().count() > MAX_QUERY_CHARS || q.split_whitespace().count() > MAX_QUERY_TERMS {
            return Err(Fail::SearchQuery(format!(
                "q: at most {MAX_QUERY_TERMS} words and {MAX_QUERY_CHARS} characters"
            )));
        }
    }
    if filters.len() > MAX_QUERY_TERMS
        || filters.iter().map(|(_, v)| v.len()).sum::<usize>() > MAX_QUERY_TERMS * 4
    {
        return Err(Fail::SearchQuery(format!(
            "filters: at most {MAX_QUERY_TERMS} columns"
        )));
    }
    let fields = p.list("fields");
    let sort = p.str("sort").map(|s| parse_sort(&s)).unwrap_or_default();
    let query = DatastoreQuery {
        filters,
        q,
        fields,
        sort,
        offset: usize::try_from(offset).unwrap_or(0),
        limit: usize::try_from(limit).unwrap_or(100),
    };
    let searched = {
        let _slot = state
            .search_slots
            .acquire()
            .await
            .map_err(|_| Fail::Internal)?;
        let t = table.clone();
        tokio::task::spawn_blocking(move || t.search(&query))
            .await
            .map_err(|_| Fail::Internal)?
    };
    let sel = searched.map_err(|e| table_error(&e))?;
    let field_defs: Vec<Value> = sel
        .columns
        .iter()
        .map(|c| match c {
            None => json!({"id": "_id", "type": "int"}),
            Some(i) => {
                json!({"id": table.columns[*i].name, "type": table.columns[*i].kind.as_str()})
            }
        })
        .collect();
    let format = p.str("records_format").unwrap_or_else(|| "objects".into());
    let records = datastore_records(&table, &sel, &format)?;
    let next_offset = offset + limit;
    let mut result = json!({
        "include_total": p.bool_or("include_total", true)?,
        "resource_id": r.uuid,
        "fields": field_defs,
        "records_format": format,
        "records": records,
        "limit": limit,
        "offset": offset,
        "total": sel.total,
        "total_was_estimated": false,
        "_links": {
            "start": format!("/api/3/action/datastore_search?resource_id={}", r.uuid),
            "next": format!("/api/3/action/datastore_search?resource_id={}&offset={next_offset}", r.uuid),
        },
    });
    if offset > 0 {
        result["_links"]["prev"] = json!(format!(
            "/api/3/action/datastore_search?resource_id={}&offset={}",
            r.uuid,
            (offset - limit).max(0)
        ));
    }
    Ok(result)
}

/// `filters`: a JSON object (or one encoded as a string) of column → value or values.
pub(super) fn datastore_filters(p: &Params) -> Result<Vec<(String, Vec<String>)>, Fail> {
    Ok(match p.0.get("filters") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => {
            let obj = match v {
                Value::Object(m) => m.clone(),
                Value::String(s) if s.trim().is_empty() => Map::new(),
                Value::String(s) => match serde_json::from_str::<Value>(s) {
                    Ok(Value::Object(m)) => m,
                    _ => return Err(invalid("filters", "Not a json object")),
                },
                _ => return Err(invalid("filters", "Not a json object")),
            };
            obj.into_iter()
                .map(|(k, v)| {
                    let text = |x: &Value| match x {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    let values = match &v {
                        Value::Array(a) => a.iter().map(text).collect(),
                        other => vec![text(other)],
                    };
                    (k, values)
                })
                .collect()
        }
    })
}

/// The selected rows in the asked `records_format`: objects, lists, CSV or TSV text.
pub(super) fn datastore_records(
    table: &kotapintar_domain::opendata::table::Table,
    sel: &kotapintar_domain::opendata::table::Selection,
    format: &str,
) -> Result<Value, Fail> {
    let cell = |c: &Option<usize>, v: &str| match c {
        None => json!(v.parse::<i64>().unwrap_or(0)),
        Some(i) => table.json_value(*i, v),
    };
    Ok(match format {
        "objects" => Value::Array(
            sel.rows
                .iter()
                .map(|(_, cells)| {
                    let mut m = Map::new();
                    for (c, v) in sel.columns.iter().zip(cells) {
                        let key = c
                            .map(|i| table.columns[i].name.clone())
                            .unwrap_or_else(|| "_id".into());
                        m.insert(key, cell(c, v));
                    }
                    Value::Object(m)
                })
                .collect(),
        ),
        "lists" => Value::Array(
            sel.rows
                .iter()
                .map(|(_, cells)| {
                    Value::Array(
                        sel.columns
                            .iter()
                            .zip(cells)
                            .map(|(c, v)| cell(c, v))
                            .collect(),
                    )
                })
                .collect(),
        ),
        "csv" | "tsv" => {
            let mut w = csv::WriterBuilder::new()
                .delimiter(if format == "tsv" { b'\t' } else { b',' })
                .has_headers(false)
                .from_writer(Vec::new());
            for (_, cells) in &sel.rows {
                // a formula in a cell would run in the spreadsheet of whoever opens it
                let _ = kotapintar_domain::csv_cell::write_record(&mut w, cells);
            }
            json!(String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default())
        }
        _ => {
            return Err(invalid(
                "records_format",
                "Value must be one of ['objects', 'lists', 'csv', 'tsv']",
            ))
        }
    })
}

/// A DataStore query the table refused, in CKAN's words.
pub(super) fn table_error(e: &kotapintar_domain::FieldErrors) -> Fail {
    Fail::Validation(
        e.0.iter()
            .map(|fe| {
                let msg = match fe.field.as_str() {
                    "q" => "Query too long",
                    "filters" if fe.code == "too_many_filters" => "Too many filters",
                    "filters" => "Unknown column in filters",
                    "fields" => "Unknown column in fields",
                    _ => "Unknown column in sort",
                };
                (fe.field.clone(), msg.to_string())
            })
            .collect(),
    )
}
