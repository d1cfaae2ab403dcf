use crate::config::Settings;
use crate::reference_data::embedded_areas;
use kotapintar_domain::region::{RegionCode, RegionLevel};
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::regions::{self, AreaFiles, CsvFile};
use kotapintar_storage::Store;
use std::path::PathBuf;
use std::process::ExitCode;

pub async fn import(
    store: &Store,
    settings: &Settings,
    dir: Option<PathBuf>,
    regency: Option<String>,
) -> anyhow::Result<ExitCode> {
    let regency = match regency {
        Some(r) => RegionCode::parse(&r)
            .ok()
            .filter(|c| c.level() == RegionLevel::Regency)
            .ok_or_else(|| {
                anyhow::anyhow!("--regency: '{r}' is not a regency or city code like 51.03")
            })?,
        None => settings.regency.clone(),
    };
    let summary = match dir {
        None => run(store, &embedded_areas(), &regency).await?,
        Some(dir) => {
            let read = |name: &str| -> anyhow::Result<(String, String)> {
                let path = dir.join(name);
                let content = std::fs::read_to_string(&path)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                Ok((path.display().to_string(), content))
            };
            let (pn, pc) = read("provinces.csv")?;
            let (rn, rc) = read("regencies.csv")?;
            let (dn, dc) = read("districts.csv")?;
            let (vn, vc) = read("villages.csv")?;
            let files = AreaFiles {
                provinces: CsvFile {
                    name: pn,
                    content: &pc,
                },
                regencies: CsvFile {
                    name: rn,
                    content: &rc,
                },
                districts: CsvFile {
                    name: dn,
                    content: &dc,
                },
                villages: CsvFile {
                    name: vn,
                    content: &vc,
                },
            };
            run(store, &files, &regency).await?
        }
    };
    println!(
        "imported {} ({}): {} kecamatan, {} desa/kelurahan",
        summary.regency_name, regency, summary.districts, summary.villages
    );
    Ok(ExitCode::SUCCESS)
}

/// Parses everything first, then writes in one transaction: a bad row leaves the database
/// exactly as it was.
pub async fn run(
    store: &Store,
    files: &AreaFiles<'_>,
    regency: &RegionCode,
) -> anyhow::Result<regions::ImportSummary> {
    let parsed = regions::parse_for_regency(files, regency)
        .map_err(|e| anyhow::anyhow!("{e}; nothing was imported"))?;
    Ok(regions::import(store, &AuditActor::System("areas-import".into()), &parsed).await?)
}
