//! The demo's smart-city masterplan: programmes with indicators and progress, and the
//! readiness self-assessments.

use super::kontak_bupati;
use kotapintar_domain::masterplan::ProgrammeInput;
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::Store;

/// A demo indicator: name, kind, unit, baseline, and (year, target, actual) values.
type DemoIndicator = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, &'static str)],
);
/// A demo progress update: date, summary, status.
type DemoUpdate = (&'static str, &'static str, &'static str);

/// Demo masterplan: a few programmes of Badung's smart-city plan (the 2017 programme's
/// themes: one complaint channel, the fibre backbone and command centre, waste, tourism),
/// with indicators, progress, and two readiness assessments. Marked "(demo)".
pub(super) async fn load_masterplan(store: &Store, system: &AuditActor) -> anyhow::Result<()> {
    use kotapintar_storage::masterplan as mp;
    if !mp::list(store).await?.is_empty() {
        return Ok(());
    }
    let kontak = kontak_bupati(store, system).await?;
    let dims = mp::dimensions(store).await?;
    let element = |dim: &str, el: &str| {
        dims.iter()
            .find(|d| d.code == dim)
            .and_then(|d| d.elements.iter().find(|e| e.code == el))
            .map(|e| e.id.to_string())
            .unwrap_or_default()
    };
    for (input, indicators, updates) in demo_programmes(element, kontak) {
        load_programme(store, system, input, &indicators, &updates).await?;
    }
    load_readiness(store, system).await?;
    println!("demo: loaded the smart-city masterplan (4 programmes, 2 readiness assessments)");
    Ok(())
}

/// The demo programmes; `element` finds an element's id by its dimension's and its code.
fn demo_programmes(
    element: impl Fn(&str, &str) -> String,
    kontak: i64,
) -> Vec<(ProgrammeInput, Vec<DemoIndicator>, Vec<DemoUpdate>)> {
    vec![
        (
            ProgrammeInput {
                name: "Kontak Bupati: satu kanal pengaduan untuk semua perangkat daerah (demo)".into(),
                description: "Quick win: pengaduan warga masuk di satu kanal, diverifikasi dan diteruskan ke perangkat daerah dengan batas waktu hari kerja.".into(),
                element_id: element("governance", "public_service"),
                horizon: "quick_win".into(),
                owner_code: "DISKOMINFO".into(),
                partner_codes: "INSPEKTORAT, HUMAS".into(),
                rpjmd_code: "2.16.03".into(),
                start_year: "2025".into(),
                end_year: "2026".into(),
                budgets: "2025: 350.000.000\n2026: 400.000.000".into(),
                application_ids: kontak.to_string(),
                status: "running".into(),
            },
            vec![
                ("Pengaduan ditindaklanjuti paling lama 5 hari kerja", "percent", "", "45", &[("2025", "70", "74"), ("2026", "85", "")]),
                ("Perangkat daerah yang terhubung", "count", "perangkat daerah", "4", &[("2025", "20", "27"), ("2026", "33", "")]),
            ],
            vec![
                ("2025-03-10", "Kanal diluncurkan; tim reaksi cepat dibentuk di setiap perangkat daerah (demo).", "running"),
                ("2025-11-28", "Semua dinas dan kecamatan terhubung; rata-rata tindak lanjut 3,4 hari kerja (demo).", ""),
            ],
        ),
        (
            ProgrammeInput {
                name: "Badung Command Center dan jaringan serat optik (demo)".into(),
                description: "Pusat pemantauan CCTV, ATCS dan Wi-Fi publik di atas tulang punggung serat optik Uluwatu–Tanjung Benoa–Belok Sidan.".into(),
                element_id: element("society", "security"),
                horizon: "medium_term".into(),
                owner_code: "DISKOMINFO".into(),
                partner_codes: "DISHUB".into(),
                rpjmd_code: "2.16.02".into(),
                start_year: "2024".into(),
                end_year: "2028".into(),
                budgets: "2024: 1.200.000.000\n2025: 900.000.000\n2026: 750.000.000".into(),
                application_ids: String::new(),
                status: "delayed".into(),
            },
            vec![
                ("Titik Wi-Fi publik aktif", "count", "titik", "900", &[("2024", "1000", "1074"), ("2025", "1200", "1110")]),
            ],
            vec![("2025-08-15", "Pengadaan CCTV tahap 2 mundur ke APBD Perubahan (demo).", "delayed")],
        ),
        (
            ProgrammeInput {
                name: "Bank sampah digital desa (demo)".into(),
                description: "Pencatatan setoran bank sampah dengan aplikasi, terhubung ke TPS3R desa.".into(),
                element_id: element("environment", "waste"),
                horizon: "short_term".into(),
                owner_code: "DLHK".into(),
                partner_codes: "DISKOMINFO".into(),
                rpjmd_code: "2.11.04".into(),
                start_year: "2025".into(),
                end_year: "2027".into(),
                budgets: "2025: 150.000.000\n2026: 200.000.000".into(),
                application_ids: String::new(),
                status: "running".into(),
            },
            vec![
                ("Desa dan kelurahan dengan bank sampah digital", "count", "desa", "5", &[("2025", "15", "12"), ("2026", "30", "")]),
            ],
            vec![("2025-10-01", "Dua belas desa memakai aplikasi bank sampah (demo).", "")],
        ),
        (
            ProgrammeInput {
                name: "Promosi desa wisata digital (demo)".into(),
                description: "Profil dan pemesanan paket desa wisata dalam satu portal.".into(),
                element_id: element("branding", "tourism"),
                horizon: "short_term".into(),
                owner_code: "DISPAR".into(),
                partner_codes: "DISKOMINFO".into(),
                rpjmd_code: String::new(),
                start_year: "2026".into(),
                end_year: "2027".into(),
                budgets: "2026: 175.000.000".into(),
                application_ids: String::new(),
                status: "planned".into(),
            },
            vec![],
            vec![],
        ),
    ]
}

/// One demo programme with its indicators, their values, and its progress updates.
async fn load_programme(
    store: &Store,
    system: &AuditActor,
    input: ProgrammeInput,
    indicators: &[DemoIndicator],
    updates: &[DemoUpdate],
) -> anyhow::Result<()> {
    use kotapintar_domain::masterplan::{IndicatorInput, UpdateInput, ValueInput};
    use kotapintar_storage::masterplan as mp;
    let draft = input
        .parse()
        .map_err(|e| anyhow::anyhow!("demo programme {}: {e}", input.name))?;
    // the baselines are of the year before the programme starts
    let baseline_year = (draft.start_year - 1).to_string();
    let id = mp::create(store, system, draft).await?;
    for (name, kind, unit, baseline, values) in indicators {
        let draft = IndicatorInput {
            name: (*name).into(),
            kind: (*kind).into(),
            unit: (*unit).into(),
            direction: "increase".into(),
            baseline: (*baseline).into(),
            baseline_year: baseline_year.clone(),
        }
        .parse()
        .map_err(|e| anyhow::anyhow!("demo indicator {name}: {e}"))?;
        let ind = mp::add_indicator(store, system, id, draft).await?;
        for (year, target, actual) in values.iter() {
            let v = ValueInput {
                year: (*year).into(),
                target: (*target).into(),
                actual: (*actual).into(),
            };
            mp::set_values(store, system, ind, &v).await?;
        }
    }
    for (date, summary, status) in updates {
        let draft = UpdateInput {
            reported_on: (*date).into(),
            summary: (*summary).into(),
            status: (*status).into(),
            links: String::new(),
        }
        .parse(chrono::Utc::now().date_naive())
        .map_err(|e| anyhow::anyhow!("demo update: {e}"))?;
        let uploads = std::path::Path::new(".");
        mp::add_update(store, system, uploads, id, draft, Vec::new()).await?;
    }
    Ok(())
}

/// Two readiness self-assessments a year apart, the second better.
async fn load_readiness(store: &Store, system: &AuditActor) -> anyhow::Result<()> {
    use kotapintar_domain::masterplan::READINESS;
    use kotapintar_storage::masterplan as mp;
    for (date, scores) in [
        ("2024-06-01", [2u8, 2, 3, 2, 3, 2, 2, 3, 2]),
        ("2025-06-01", [3, 3, 3, 3, 4, 3, 3, 3, 3]),
    ] {
        let items: Vec<(String, u8)> = READINESS
            .iter()
            .flat_map(|(a, items)| items.iter().map(move |i| format!("{a}.{i}")))
            .zip(scores)
            .collect();
        let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")?;
        mp::add_assessment(
            store,
            system,
            date,
            Some("Penilaian mandiri (demo)".into()),
            items,
        )
        .await?;
    }
    Ok(())
}
