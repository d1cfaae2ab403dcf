//! Open data's parsers of outside input: an uploaded resource (checked by content: CSV,
//! JSON, ...), the DataStore queries run over a parsed CSV, and the Solr-style `q`/`fq` the
//! CKAN API takes. Whatever the input: no panic; a CSV that is accepted is rectangular, writes
//! back to a CSV that parses to the same table, and a page of a query never holds more rows
//! than asked or than the table has.
#![no_main]

use kotapintar_domain::opendata::query::{Query, Searchable};
use kotapintar_domain::opendata::table::{parse_sort, DatastoreQuery, Table};
use kotapintar_domain::opendata::{check_upload, parse_tag, DatasetName};
use libfuzzer_sys::fuzz_target;

struct Doc;

impl Searchable for Doc {
    fn values(&self, field: &str) -> Vec<String> {
        match field {
            "organization" => vec!["bappeda".into()],
            "metadata_modified" => vec!["2025-01-02T03:04:05.123456".into()],
            "tags" => vec!["APBD 2025".into(), "anggaran".into()],
            _ => vec![],
        }
    }
    fn text(&self) -> String {
        "anggaran pendapatan dan belanja daerah".into()
    }
}

fuzz_target!(|data: &[u8]| {
    // the first byte chooses what the rest is
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    match kind % 4 {
        0 => {
            if let Ok((_, Some(table))) = check_upload("data.csv", rest) {
                let width = table.columns.len();
                assert!(table.rows.iter().all(|r| r.len() == width));
                let again = Table::from_csv(&table.to_csv()).expect("a written table parses");
                assert_eq!(again.rows.len(), table.rows.len());
                let text = String::from_utf8_lossy(rest);
                let q = DatastoreQuery {
                    q: Some(text.chars().take(8).collect()),
                    sort: parse_sort(&text.chars().take(40).collect::<String>()),
                    offset: rest.len() % 7,
                    limit: rest.len() % 5,
                    ..Default::default()
                };
                if let Ok(sel) = table.search(&q) {
                    assert!(sel.rows.len() <= q.limit && sel.total <= table.rows.len());
                }
            }
        }
        1 => {
            let _ = check_upload("data.json", rest);
        }
        2 => {
            let Ok(s) = std::str::from_utf8(rest) else {
                return;
            };
            if let Ok(q) = Query::parse(s) {
                let _ = q.matches(&Doc);
            }
        }
        _ => {
            let Ok(s) = std::str::from_utf8(rest) else {
                return;
            };
            if let Ok(n) = DatasetName::parse(s) {
                assert!(n.as_str().len() >= 2 && n.as_str().len() <= 100);
            }
            let _ = DatasetName::from_title(s);
            let _ = parse_tag(s);
        }
    }
});
