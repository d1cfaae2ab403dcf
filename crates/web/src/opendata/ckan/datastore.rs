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
    let (q, q_fields) = datastore_q(p)?;
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
    let sort = match p.str("sort") {
        Some(s) => check_sort(&s).map_err(|m| invalid("sort", &m))?,
        None => Vec::new(),
    };
    let include_total = p.bool_or("include_total", true)?;
    let query = DatastoreQuery {
        filters,
        q,
        q_fields,
        fields,
        sort,
        distinct: p.bool("distinct")?,
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
    let mut result = json!({
        "include_total": include_total,
        "resource_id": r.uuid,
        "fields": field_defs,
        "records_format": format,
        "records": records,
        "limit": limit,
        "offset": offset,
        "_links": {
            "start": datastore_link(p, &r.uuid, None),
            "next": datastore_link(p, &r.uuid, Some(offset.saturating_add(limit))),
        },
    });
    // CKAN leaves the total out when it is not asked for (it is not counted then)
    if include_total {
        result["total"] = json!(sel.total);
        result["total_was_estimated"] = json!(false);
    }
    if offset > 0 {
        result["_links"]["prev"] = json!(datastore_link(
            p,
            &r.uuid,
            Some(offset.saturating_sub(limit).max(0))
        ));
    }
    Ok(result)
}

/// A paging link as CKAN writes it: every argument of this call as it was sent (objects and
/// lists as JSON), only `offset` changed (`None`: the first page, without one).
pub(super) fn datastore_link(p: &Params, resource_id: &str, offset: Option<i64>) -> String {
    let mut pairs: Vec<(String, String)> = vec![("resource_id".into(), resource_id.into())];
    for (k, v) in &p.0 {
        if matches!(
            k.as_str(),
            "resource_id" | "id" | "offset" | "callback" | "_"
        ) {
            continue;
        }
        let text = match v {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            // a repeated query key (`fields=a&fields=b`) is sent back as a comma list
            Value::Array(a) if a.iter().all(Value::is_string) => a
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_string(),
        };
        pairs.push((k.clone(), text));
    }
    if let Some(o) = offset {
        pairs.push(("offset".into(), o.to_string()));
    }
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("/api/3/action/datastore_search?{query}")
}

/// `q` as read: words for the whole row, and words per column.
type DatastoreQ = (Option<String>, Vec<(String, String)>);

/// `q`: words for the whole row (a string), or per column (a JSON object, or a string that
/// is one, as a GET query carries it). Values of an object are words; a number is its text.
pub(super) fn datastore_q(p: &Params) -> Result<DatastoreQ, Fail> {
    let object = match p.0.get("q") {
        Some(Value::Object(m)) => Some(m.clone()),
        // CKAN's `unicode_or_json_validator`: JSON if it parses, else the text as written
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(m)) => Some(m),
            _ => None,
        },
        _ => None,
    };
    let Some(m) = object else {
        return Ok((p.str("q"), Vec::new()));
    };
    let fields = m
        .into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, s)),
            Value::Number(n) => Ok((k, n.to_string())),
            _ => Err(invalid("q", "The value of each field must be a string")),
        })
        .collect::<Result<Vec<_>, Fail>>()?;
    Ok((None, fields))
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
                    "q" if fe.code == "unknown_column" => "Unknown column in q",
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
