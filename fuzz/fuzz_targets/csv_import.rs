//! Import files: historical requests and services (CSV with a header row, or a JSON array,
//! chosen by the first byte), and the four area CSV files (split at 0x1E).
#![no_main]

#[path = "common.rs"]
mod common;

use chrono::FixedOffset;
use kotapintar::commands::import::{check_request_rows, check_service_rows};
use kotapintar_domain::region::RegionCode;
use kotapintar_storage::regions::{parse_for_regency, AreaFiles, CsvFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let json = mode & 1 == 1;
    let offset = FixedOffset::east_opt(8 * 3600).expect("WITA");

    if let Ok(rows) = check_request_rows(text, json, offset) {
        for (_, row) in rows {
            match row {
                Ok(h) => {
                    common::check_request(&h.request);
                    assert!(!h.source_id.is_empty() && h.source_id == h.source_id.trim());
                    if let Some(r) = &h.response {
                        assert!(!r.trim().is_empty(), "an empty response kept");
                    }
                }
                Err(problems) => assert!(!problems.is_empty(), "a refused row with no reason"),
            }
        }
    }
    if let Ok(rows) = check_service_rows(text, json) {
        for (_, row) in rows {
            match row {
                Ok(d) => {
                    assert!(!d.code.is_empty() && !d.name.trim().is_empty());
                    for q in &d.questions {
                        assert!(!q.code.is_empty());
                        if q.datatype.is_list() {
                            assert!(!q.options.is_empty(), "a choice without options: {q:?}");
                        }
                    }
                }
                Err(problems) => assert!(!problems.is_empty(), "a refused row with no reason"),
            }
        }
    }

    let mut parts = text.split('\u{1e}');
    let mut next = |name: &str| CsvFile {
        name: name.to_string(),
        content: parts.next().unwrap_or(""),
    };
    let files = AreaFiles {
        provinces: next("provinces.csv"),
        regencies: next("regencies.csv"),
        districts: next("districts.csv"),
        villages: next("villages.csv"),
    };
    let regency = RegionCode::parse("51.03").expect("Badung's code");
    if let Ok(regions) = parse_for_regency(&files, &regency) {
        assert!(
            regions.iter().any(|r| r.code == regency),
            "the regency itself"
        );
        for r in &regions {
            assert!(
                r.code == regency || r.code.is_within(&regency) || regency.is_within(&r.code),
                "{} is not Badung's",
                r.code
            );
            assert!(!r.name.is_empty());
        }
    }
});
