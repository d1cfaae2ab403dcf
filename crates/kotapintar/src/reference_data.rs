//! Reference data compiled into the binary, so a fresh install needs no downloads:
//! Indonesia's administrative areas (idn-area-data 4.0.1, ODbL 1.0; see
//! reference-data/areas/SOURCE.md).

use kotapintar_storage::regions::{AreaFiles, CsvFile};

const PROVINCES: &str = include_str!("../../../reference-data/areas/provinces.csv");
const REGENCIES: &str = include_str!("../../../reference-data/areas/regencies.csv");
const DISTRICTS: &str = include_str!("../../../reference-data/areas/districts.csv");
const VILLAGES: &str = include_str!("../../../reference-data/areas/villages.csv");

pub fn embedded_areas() -> AreaFiles<'static> {
    let f = |name: &str, content: &'static str| CsvFile {
        name: format!("(built-in) {name}"),
        content,
    };
    AreaFiles {
        provinces: f("provinces.csv", PROVINCES),
        regencies: f("regencies.csv", REGENCIES),
        districts: f("districts.csv", DISTRICTS),
        villages: f("villages.csv", VILLAGES),
    }
}

const HOLIDAYS: &str = include_str!("../../../reference-data/holidays/id-national-2024-2030.csv");

/// Indonesia's national holidays 2024-2030 (from the `holidays` package; later years are its
/// estimates, which admins correct in the staff area).
pub fn national_holidays() -> anyhow::Result<Vec<kotapintar_domain::working_days::Holiday>> {
    kotapintar_domain::working_days::parse_holidays_csv(
        "(built-in) id-national-2024-2030.csv",
        HOLIDAYS,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
}
