//! The live tables: computed from kotapintar's own records when asked for (aggregates and
//! public facts only), one function a table.

use super::Table;
use crate::WebError;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use kotapintar_domain::performance::Period;
use kotapintar_storage::{performance, Store};

fn s(v: &str) -> String {
    v.to_string()
}

fn fmt1(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}")).unwrap_or_default()
}

/// Requests received and resolved per unit and month, the last twelve months.
pub(super) async fn requests_monthly(store: &Store, today: NaiveDate) -> Result<Table, WebError> {
    let names = performance::unit_names(store).await?;
    let unit = |id: i64| names.get(&id).cloned().unwrap_or_default();
    let mut rows = Vec::new();
    let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let mut months = vec![first];
    for _ in 0..11 {
        let prev = months[months.len() - 1] - Duration::days(1);
        months.push(NaiveDate::from_ymd_opt(prev.year(), prev.month(), 1).unwrap_or(prev));
    }
    months.reverse();
    for (i, from) in months.iter().enumerate() {
        let to = months
            .get(i + 1)
            .map(|n| *n - Duration::days(1))
            .unwrap_or(today);
        for (id, f) in performance::per_unit(store, Period { from: *from, to }).await? {
            let (code, name) = unit(id);
            rows.push(vec![
                from.format("%Y-%m").to_string(),
                code,
                name,
                f.received.to_string(),
                f.resolved.to_string(),
                f.on_time.to_string(),
            ]);
        }
    }
    Ok(Table::new(
        vec![
            s("bulan"),
            s("kode_unit"),
            s("unit"),
            s("diterima"),
            s("selesai"),
            s("selesai_tepat_waktu"),
        ],
        rows,
    ))
}

/// How long each unit took to resolve requests over the last year.
pub(super) async fn resolution_times(store: &Store, today: NaiveDate) -> Result<Table, WebError> {
    let names = performance::unit_names(store).await?;
    let unit = |id: i64| names.get(&id).cloned().unwrap_or_default();
    let period = Period::last_days(today, 365);
    let rows = performance::per_unit(store, period)
        .await?
        .into_iter()
        .map(|(id, f)| {
            let (code, name) = unit(id);
            vec![
                code,
                name,
                f.resolved.to_string(),
                fmt1(f.resolve_median()),
                f.resolve_p90().map(|v| v.to_string()).unwrap_or_default(),
                fmt1(f.on_time_share()),
            ]
        })
        .collect();
    Ok(Table::new(
        vec![
            s("kode_unit"),
            s("unit"),
            s("selesai_365_hari"),
            s("median_hari_kerja"),
            s("p90_hari_kerja"),
            s("persen_tepat_waktu"),
        ],
        rows,
    ))
}

/// Each unit's satisfaction index (IKM) over the last year.
pub(super) async fn ikm(store: &Store, today: NaiveDate) -> Result<Table, WebError> {
    let names = performance::unit_names(store).await?;
    let period = Period::last_days(today, 365);
    let mut rows = Vec::new();
    for (id, (code, name)) in &names {
        let f = performance::totals(store, *id, period).await?;
        if let Some(r) = f.ikm() {
            let h = r.converted.hundredths();
            rows.push(vec![
                code.clone(),
                name.clone(),
                r.respondents.to_string(),
                format!("{}.{:02}", h / 100, h % 100),
                r.mutu.letter().to_string(),
            ]);
        }
    }
    Ok(Table::new(
        vec![
            s("kode_unit"),
            s("unit"),
            s("responden_365_hari"),
            s("ikm"),
            s("mutu"),
        ],
        rows,
    ))
}

/// Published projects with their latest progress.
pub(super) async fn projects(store: &Store) -> Result<Table, WebError> {
    use kotapintar_storage::content::{self, PublicFilter};
    let f = PublicFilter {
        section: Some("proyek".into()),
        ..Default::default()
    };
    let (items, _) = content::public_list(store, &f, Utc::now(), 0, 100_000).await?;
    let rows = items
        .iter()
        .filter_map(|i| {
            let p = i.project()?;
            let progress = i.progress.as_ref();
            Some(vec![
                i.slug.as_str().to_string(),
                i.title.clone(),
                i.unit_name.clone(),
                p.sector.clone(),
                p.fund_source.as_str().to_string(),
                p.budget_ceiling.to_string(),
                p.contract_value.map(|v| v.to_string()).unwrap_or_default(),
                p.planned_start.to_string(),
                p.planned_end.to_string(),
                p.status.as_str().to_string(),
                progress
                    .map(|x| format!("{:.1}", x.physical_pct))
                    .unwrap_or_default(),
                progress
                    .map(|x| format!("{:.1}", x.budget_pct))
                    .unwrap_or_default(),
                progress
                    .map(|x| x.reported_on.to_string())
                    .unwrap_or_default(),
                i.kecamatan
                    .as_ref()
                    .map(|k| k.to_string())
                    .unwrap_or_default(),
                p.lat.map(|v| format!("{v:.6}")).unwrap_or_default(),
                p.lon.map(|v| format!("{v:.6}")).unwrap_or_default(),
            ])
        })
        .collect();
    Ok(Table::new(
        [
            "slug",
            "nama_proyek",
            "unit",
            "sektor",
            "sumber_dana",
            "pagu_rupiah",
            "nilai_kontrak_rupiah",
            "mulai_rencana",
            "selesai_rencana",
            "status",
            "progres_fisik_persen",
            "realisasi_anggaran_persen",
            "tanggal_laporan",
            "kode_kecamatan",
            "lintang",
            "bujur",
        ]
        .map(s)
        .to_vec(),
        rows,
    ))
}

/// The active units and how to reach them.
pub(super) async fn units(store: &Store) -> Result<Table, WebError> {
    let rows = kotapintar_storage::units::list(store)
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| {
            vec![
                u.code.to_string(),
                u.name,
                u.kind.as_str().to_string(),
                u.address.unwrap_or_default(),
                u.phone.unwrap_or_default(),
                u.email.unwrap_or_default(),
                u.website.unwrap_or_default(),
            ]
        })
        .collect();
    Ok(Table::new(
        [
            "kode",
            "nama",
            "jenis",
            "alamat_kantor",
            "telepon_kantor",
            "email_kantor",
            "situs",
        ]
        .map(s)
        .to_vec(),
        rows,
    ))
}

/// The public service catalogue.
pub(super) async fn services(store: &Store) -> Result<Table, WebError> {
    let rows = kotapintar_storage::services::list(store, true)
        .await?
        .into_iter()
        .map(|v| {
            vec![
                v.draft.code.clone(),
                v.draft.name.clone(),
                v.unit_name.clone(),
                v.draft.kind.as_str().to_string(),
                v.draft.time_limit_days.to_string(),
                v.draft.cost.clone().unwrap_or_default(),
            ]
        })
        .collect();
    Ok(Table::new(
        [
            "kode",
            "nama",
            "unit",
            "jenis",
            "batas_waktu_hari_kerja",
            "biaya",
        ]
        .map(s)
        .to_vec(),
        rows,
    ))
}
