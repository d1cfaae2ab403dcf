//! Demo data for Kabupaten Badung: its areas, about 25 of its perangkat daerah, and a few
//! staff per unit. Loading twice changes nothing. Units whose current name we could not
//! confirm from sources (../shared/reference/indonesia.md §5.2) carry "(demo)" in the name.

use crate::config::Settings;
use crate::reference_data::embedded_areas;
use kotapintar_domain::region::RegionCode;
use kotapintar_domain::unit::UnitInput;
use kotapintar_domain::user::UserInput;
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::{regions, units, users, StorageError, Store};

/// The password of every demo staff account (not the admin's). Demo data is for trying
/// kotapintar out on one's own machine, never for a real deployment.
pub const DEMO_STAFF_PASSWORD: &str = "demo-kotapintar";

/// (code, name, kind, parent code). Names confirmed in sources first, then the usual OPD of
/// a Bali regency, marked as demo.
const UNITS: &[(&str, &str, &str, Option<&str>)] = &[
    ("SETDA", "Sekretariat Daerah", "other", None),
    (
        "HUMAS",
        "Bagian Hubungan Masyarakat",
        "bagian",
        Some("SETDA"),
    ),
    (
        "DISKOMINFO",
        "Dinas Komunikasi dan Informatika",
        "dinas",
        None,
    ),
    (
        "BAPPEDA",
        "Badan Perencanaan Pembangunan Daerah",
        "badan",
        None,
    ),
    ("INSPEKTORAT", "Inspektorat Daerah", "inspektorat", None),
    (
        "DLHK",
        "Dinas Lingkungan Hidup dan Kebersihan",
        "dinas",
        None,
    ),
    ("DISTANPANGAN", "Dinas Pertanian dan Pangan", "dinas", None),
    ("DISBUD", "Dinas Kebudayaan", "dinas", None),
    ("BAPENDA", "Badan Pendapatan Daerah", "badan", None),
    ("RSUD", "RSUD Kabupaten Badung (demo)", "other", None),
    (
        "DISDIKPORA",
        "Dinas Pendidikan, Kepemudaan dan Olahraga (demo)",
        "dinas",
        None,
    ),
    ("DINKES", "Dinas Kesehatan (demo)", "dinas", None),
    (
        "DPUPR",
        "Dinas Pekerjaan Umum dan Penataan Ruang (demo)",
        "dinas",
        None,
    ),
    (
        "SATPOLPP",
        "Satuan Polisi Pamong Praja (demo)",
        "other",
        None,
    ),
    ("DINSOS", "Dinas Sosial (demo)", "dinas", None),
    (
        "DISDUKCAPIL",
        "Dinas Kependudukan dan Pencatatan Sipil (demo)",
        "dinas",
        None,
    ),
    ("DISHUB", "Dinas Perhubungan (demo)", "dinas", None),
    ("DISPAR", "Dinas Pariwisata (demo)", "dinas", None),
    (
        "DPMPTSP",
        "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu (demo)",
        "dinas",
        None,
    ),
    (
        "BPBD",
        "Badan Penanggulangan Bencana Daerah (demo)",
        "badan",
        None,
    ),
    (
        "BKPSDM",
        "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia (demo)",
        "badan",
        None,
    ),
];

/// Demo staff names: invented, in the Balinese naming pattern.
const GIVEN: &[&str] = &[
    "I Made Sudarma",
    "Ni Luh Putu Ayu",
    "I Wayan Suarsana",
    "Ni Kadek Sri",
    "I Nyoman Adi",
    "Ni Ketut Wartini",
    "I Putu Eka",
    "Ni Made Rai",
    "I Kadek Dwi",
    "Ni Wayan Sukerti",
];

pub async fn load(store: &Store, settings: &Settings) -> anyhow::Result<()> {
    let system = AuditActor::System("demo".into());
    if regions::get(store, &settings.regency).await.is_err() {
        let s = crate::commands::areas_run(store, &embedded_areas(), &settings.regency).await?;
        println!(
            "demo: imported {}: {} kecamatan, {} desa/kelurahan",
            s.regency_name, s.districts, s.villages
        );
    }

    // The fixed units, then one kantor camat per kecamatan of the configured regency.
    let mut specs: Vec<(String, String, String, Option<String>)> = UNITS
        .iter()
        .map(|(c, n, k, p)| {
            (
                c.to_string(),
                n.to_string(),
                k.to_string(),
                p.map(str::to_string),
            )
        })
        .collect();
    for d in regions::children(store, &settings.regency).await? {
        let code = RegionCode::parse(&d.code).map_err(anyhow::Error::msg)?;
        let suffix = code.as_str().rsplit('.').next().unwrap_or("00");
        specs.push((
            format!("KEC-{suffix}"),
            format!("Kecamatan {}", d.name),
            "kecamatan".into(),
            None,
        ));
    }

    let mut created_units = 0;
    for (code, name, kind, parent) in &specs {
        if units::find_by_code(&store.reader, code).await?.is_some() {
            continue;
        }
        let input = UnitInput {
            code: code.clone(),
            name: name.clone(),
            kind: kind.clone(),
            parent_code: parent.clone().unwrap_or_default(),
            address: "Pusat Pemerintahan Mangupraja Mandala, Mangupura (demo)".into(),
            phone: "0361 123456".into(),
            email: format!("{}@demo.badungkab.go.id", code.to_lowercase()),
            active: Some("on".into()),
            ..Default::default()
        };
        let draft = input
            .parse()
            .map_err(|e| anyhow::anyhow!("demo unit {code}: {e}"))?;
        units::create(store, &system, draft).await?;
        created_units += 1;
    }

    let mut staff: Vec<(String, String, &str, Option<String>)> = vec![
        (
            "verifikator".into(),
            "I Gede Verifikator (demo)".into(),
            "verifier",
            Some("DISKOMINFO".into()),
        ),
        (
            "bupati".into(),
            "Bupati Badung (demo)".into(),
            "leader",
            None,
        ),
        (
            "sekda".into(),
            "Sekretaris Daerah (demo)".into(),
            "leader",
            Some("SETDA".into()),
        ),
    ];
    for (i, (code, _, _, _)) in specs.iter().enumerate() {
        let slug = code.to_lowercase();
        staff.push((
            format!("admin.{slug}"),
            GIVEN[i % GIVEN.len()].to_string(),
            "unit_admin",
            Some(code.clone()),
        ));
        staff.push((
            format!("petugas.{slug}"),
            GIVEN[(i + 3) % GIVEN.len()].to_string(),
            "officer",
            Some(code.clone()),
        ));
    }
    let mut created_staff = 0;
    for (username, full_name, role, unit) in staff {
        let input = UserInput {
            username,
            full_name,
            email: String::new(),
            role: role.into(),
            unit_code: unit.unwrap_or_default(),
            password: DEMO_STAFF_PASSWORD.into(),
            active: Some("on".into()),
        };
        let draft = input
            .parse(true)
            .map_err(|e| anyhow::anyhow!("demo user: {e}"))?;
        match users::create(store, &system, draft).await {
            Ok(_) => created_staff += 1,
            Err(StorageError::Invalid(e)) if e.for_field("username") == Some("username_taken") => {}
            Err(e) => return Err(e.into()),
        }
    }
    if created_units + created_staff > 0 {
        println!(
            "demo: created {created_units} units and {created_staff} staff accounts \
             (e.g. admin.diskominfo, petugas.dlhk, verifikator, bupati; password: {DEMO_STAFF_PASSWORD})"
        );
    }
    Ok(())
}
