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
    let created_services = load_services(store, &system).await?;
    let created_requests = load_requests(store, settings).await?;
    if created_services + created_requests > 0 {
        println!("demo: created {created_services} services and {created_requests} requests");
    }
    if created_units + created_staff > 0 {
        println!(
            "demo: created {created_units} units and {created_staff} staff accounts \
             (e.g. admin.diskominfo, petugas.dlhk, verifikator, bupati; password: {DEMO_STAFF_PASSWORD})"
        );
    }
    Ok(())
}

/// (unit, code, name, kind, group, days, requirements, questions)
type ServiceSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);
const SERVICES: &[ServiceSpec] = &[
    ("DPUPR", "jalan-rusak", "Jalan rusak", "pengaduan", "Infrastruktur", "10", "",
     "jenis | Jenis kerusakan | singlevaluelist | required | Berlubang; Retak; Ambles\npanjang | Perkiraan panjang kerusakan (meter) | number | optional"),
    ("DLHK", "sampah", "Sampah tidak terangkut", "pengaduan", "Lingkungan", "3", "", ""),
    ("DISHUB", "lampu-jalan", "Penerangan jalan umum mati", "pengaduan", "Infrastruktur", "5", "", "jumlah | Jumlah lampu yang mati | number | optional"),
    ("DISDUKCAPIL", "ktp-el", "Penerbitan KTP-el", "permohonan", "Kependudukan", "14",
     "Fotokopi Kartu Keluarga; surat pengantar desa/kelurahan; berusia 17 tahun atau sudah menikah.", ""),
    ("DISKOMINFO", "informasi-publik", "Permintaan informasi publik", "permintaan_informasi", "Informasi", "10",
     "Identitas pemohon; rincian informasi yang diminta dan tujuan penggunaannya (UU 14/2008).", ""),
    ("BAPPEDA", "usulan-pembangunan", "Usulan pembangunan", "aspirasi", "Perencanaan", "14", "", ""),
];

async fn load_services(store: &Store, system: &AuditActor) -> anyhow::Result<usize> {
    let mut n = 0;
    for (unit, code, name, kind, group, days, requirements, questions) in SERVICES {
        if kotapintar_storage::services::find_by_code(store, code)
            .await?
            .is_some()
        {
            continue;
        }
        let input = kotapintar_domain::service::ServiceInput {
            unit_code: unit.to_string(),
            code: code.to_string(),
            name: name.to_string(),
            kind: kind.to_string(),
            group_name: group.to_string(),
            time_limit_days: days.to_string(),
            requirements: requirements.to_string(),
            procedure: "Laporan diverifikasi Diskominfo, diteruskan ke perangkat daerah, ditindaklanjuti, lalu dikonfirmasi pelapor.".into(),
            cost: "Gratis".into(),
            complaint_handling: "Melalui kotapintar (/lapor), telepon 14084, atau langsung ke kantor.".into(),
            questions: questions.to_string(),
            active: Some("on".into()),
            ..Default::default()
        };
        let draft = input
            .parse()
            .map_err(|e| anyhow::anyhow!("demo service {code}: {e}"))?;
        kotapintar_storage::services::create(store, system, draft).await?;
        n += 1;
    }
    Ok(n)
}

/// A few requests at every stage, so the public list, the inbox and the map have something.
async fn load_requests(store: &Store, settings: &Settings) -> anyhow::Result<usize> {
    use kotapintar_domain::intake::RequestInput;
    use kotapintar_storage::requests::{self, StaffAction};
    let (_, total) = requests::public_list(store, &Default::default(), 0, 1).await?;
    if total > 0 {
        return Ok(0);
    }
    let calendar = kotapintar_storage::holidays::calendar(store).await?;
    let rules = &settings.rules;
    // (service, title, description, district, village, lat, lon, how far along: 0 received .. 3 resolved)
    type Sample = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        u8,
    );
    let samples: &[Sample] = &[
        ("jalan-rusak", "Jalan berlubang di depan pasar", "Lubang besar di badan jalan depan pasar, berbahaya bagi pengendara motor terutama malam hari.", "51.03.01", "51.03.01.1002", "-8.7190", "115.1730", 4),
        ("sampah", "Sampah menumpuk di pinggir jalan", "Sampah rumah tangga menumpuk sudah tiga hari dan belum diangkut, mulai berbau.", "51.03.06", "51.03.06.1001", "-8.6720", "115.1620", 3),
        ("lampu-jalan", "Lampu jalan mati sepanjang 200 meter", "Beberapa lampu penerangan jalan umum mati sehingga jalan gelap gulita pada malam hari.", "51.03.02", "51.03.02.2001", "-8.6100", "115.1200", 2),
        ("usulan-pembangunan", "Usulan trotoar untuk pejalan kaki", "Mohon dibangun trotoar di sekitar sekolah agar anak-anak aman berjalan kaki.", "51.03.05", "", "-8.7900", "115.1600", 1),
        ("jalan-rusak", "Jalan ambles setelah hujan", "Bahu jalan ambles setelah hujan deras dan membahayakan kendaraan yang lewat.", "51.03.03", "", "", "", 0),
    ];
    let verifier = actor_by_username(store, "verifikator").await?;
    let mut n = 0;
    for (service, title, desc, district, village, lat, lon, stage) in samples {
        let service_row = kotapintar_storage::services::find_by_code(store, service).await?;
        let Some(service_row) = service_row else {
            continue;
        };
        let input = RequestInput {
            kind: service_row.draft.kind.as_str().into(),
            service_code: service.to_string(),
            title: title.to_string(),
            description: desc.to_string(),
            district_code: district.to_string(),
            village_code: village.to_string(),
            latitude: lat.to_string(),
            longitude: lon.to_string(),
            ..Default::default()
        };
        let answers = if *service == "jalan-rusak" {
            vec![("q_jenis".to_string(), "Berlubang".to_string())]
        } else {
            vec![]
        };
        let req = input
            .parse(answers)
            .map_err(|e| anyhow::anyhow!("demo request: {e}"))?;
        let done = requests::submit(
            store,
            rules,
            &calendar,
            &settings.data_dir.join("uploads"),
            req,
            vec![],
        )
        .await?;
        n += 1;
        if *stage == 0 {
            continue;
        }
        let unit =
            kotapintar_storage::units::find_by_code(&store.reader, &service_row.draft.unit_code)
                .await?
                .ok_or_else(|| anyhow::anyhow!("demo unit {}", service_row.draft.unit_code))?;
        requests::act(
            store,
            rules,
            &calendar,
            &verifier,
            done.id,
            StaffAction::Dispatch {
                units: vec![unit.id],
                note: Some("Diteruskan ke perangkat daerah terkait.".into()),
            },
        )
        .await?;
        if *stage == 1 {
            continue;
        }
        let officer = actor_by_username(
            store,
            &format!("petugas.{}", unit.code.as_str().to_lowercase()),
        )
        .await?;
        requests::act(
            store,
            rules,
            &calendar,
            &officer,
            done.id,
            StaffAction::StartWork {
                note: Some("Petugas dijadwalkan ke lokasi.".into()),
            },
        )
        .await?;
        if *stage == 2 {
            continue;
        }
        requests::act(
            store,
            rules,
            &calendar,
            &officer,
            done.id,
            StaffAction::Resolve {
                response: "Sudah ditangani oleh tim lapangan. Terima kasih atas laporannya.".into(),
            },
        )
        .await?;
    }
    Ok(n)
}

async fn actor_by_username(
    store: &Store,
    username: &str,
) -> anyhow::Result<kotapintar_domain::policy::Actor> {
    let all = users::list(store, None).await?;
    let u = all
        .into_iter()
        .find(|u| u.username.as_str() == username)
        .ok_or_else(|| anyhow::anyhow!("demo user {username} missing"))?;
    Ok(kotapintar_domain::policy::Actor {
        user_id: u.id,
        username: u.username,
        full_name: u.full_name,
        roles: u.roles,
    })
}
