//! Demo data for Kabupaten Badung: its areas, about 25 of its perangkat daerah, and a few
//! staff per unit. Loading twice changes nothing. Units whose current name we could not
//! confirm from sources (../shared/reference/indonesia.md §5.2) carry "(demo)" in the name.

mod agencies;
mod masterplan;

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

    let (unit_codes, created_units) = load_units(store, settings, &system).await?;
    let created_staff = load_staff(store, &system, &unit_codes).await?;
    let created_services = load_services(store, &system).await?;
    let created_requests = load_requests(store, settings).await?;
    masterplan::load_masterplan(store, &system).await?;
    load_training(store, &system).await?;
    load_portal(store, settings, &system).await?;
    load_opendata(store, settings, &system).await?;
    let created_agencies = agencies::load_agencies(store, &system).await?;
    if created_agencies > 0 {
        println!("demo: created {created_agencies} outside agencies");
    }
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

/// The fixed units, then one kantor camat per kecamatan of the configured regency: every
/// unit's code, and how many were created now.
async fn load_units(
    store: &Store,
    settings: &Settings,
    system: &AuditActor,
) -> anyhow::Result<(Vec<String>, u32)> {
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
        units::create(store, system, draft).await?;
        created_units += 1;
    }

    Ok((
        specs.into_iter().map(|(code, ..)| code).collect(),
        created_units,
    ))
}

/// The demo's staff: a verifier, two leaders, and an admin and an officer per unit.
async fn load_staff(
    store: &Store,
    system: &AuditActor,
    unit_codes: &[String],
) -> anyhow::Result<u32> {
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
    for (i, code) in unit_codes.iter().enumerate() {
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
        match users::create(store, system, draft).await {
            Ok(_) => created_staff += 1,
            Err(StorageError::Invalid(e)) if e.for_field("username") == Some("username_taken") => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(created_staff)
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

/// The registry entry of the demo's complaint channel (Kontak Bupati), created if missing:
/// a masterplan programme and a training event both name it.
async fn kontak_bupati(store: &Store, system: &AuditActor) -> anyhow::Result<i64> {
    use kotapintar_storage::applications;
    let name = "Kontak Bupati (demo)";
    if let Some(a) = applications::list(store)
        .await?
        .into_iter()
        .find(|a| a.name == name)
    {
        return Ok(a.id);
    }
    Ok(applications::create(
        store,
        system,
        applications::NewApplication {
            unit_code: "DISKOMINFO",
            name,
            purpose: "Kanal pengaduan terpadu semua perangkat daerah",
            url: "",
            owner: "",
            status: "integrated",
            client_id: None,
        },
    )
    .await?)
}

/// Demo bimtek: one past event with two staff checked in (so certificates exist), and one
/// coming event open for registration.
async fn load_training(store: &Store, system: &AuditActor) -> anyhow::Result<()> {
    use kotapintar_domain::training::EventInput;
    use kotapintar_storage::training;
    if !training::list(store).await?.is_empty() {
        return Ok(());
    }
    let kontak = kontak_bupati(store, system).await?;
    let wita = chrono::FixedOffset::east_opt(8 * 3600).ok_or_else(|| anyhow::anyhow!("offset"))?;
    let today = chrono::Utc::now().with_timezone(&wita).date_naive();
    let day = |offset: i64, hour: u32| {
        (today + chrono::Duration::days(offset))
            .format(&format!("%Y-%m-%dT{hour:02}:00"))
            .to_string()
    };
    let events = [
        (
            "Bimtek Kontak Bupati untuk petugas perangkat daerah (demo)",
            day(-14, 9),
            day(-14, 15),
            vec!["DLHK", "DPUPR"],
        ),
        (
            "Bimtek integrasi data antar perangkat daerah (demo)",
            day(10, 9),
            day(10, 16),
            vec!["DLHK", "DISHUB", "DISDUKCAPIL"],
        ),
    ];
    for (i, (title, starts, ends, units)) in events.into_iter().enumerate() {
        let draft = EventInput {
            title: title.into(),
            topic: "Menerima, menindaklanjuti dan menyelesaikan laporan warga di kotapintar."
                .into(),
            application_id: if i == 0 {
                kontak.to_string()
            } else {
                String::new()
            },
            starts_at: starts,
            ends_at: ends,
            place: "Ruang Rapat Diskominfo, Puspem Badung (demo)".into(),
            trainers: "Tim Diskominfo Badung (demo)".into(),
            capacity: "30".into(),
        }
        .parse(wita)
        .map_err(|e| anyhow::anyhow!("demo event: {e}"))?;
        let starts_at = draft.starts_at;
        let id = training::create(store, system, draft).await?;
        for code in units {
            training::invite(store, system, id, code).await?;
            let Some(unit) = units::find_by_code(&store.reader, code).await? else {
                continue;
            };
            let staff = training::staff_of(store, &[unit.id.0]).await?;
            if let Some((user, _, _)) = staff.first() {
                let checkin = training::register(store, system, id, unit.id.0, *user).await?;
                if i == 0 {
                    training::check_in(
                        store,
                        system,
                        id,
                        &checkin,
                        starts_at + chrono::Duration::minutes(5),
                    )
                    .await?;
                }
            }
        }
    }
    println!("demo: loaded 2 bimtek events (one held, with certificates)");
    Ok(())
}

/// Demo portal content: news, an announcement, agenda items and projects (one behind its
/// schedule), published, so the portal, its feeds and search have something to show.
async fn load_portal(
    store: &Store,
    settings: &Settings,
    system: &AuditActor,
) -> anyhow::Result<()> {
    use kotapintar_domain::content::{ContentInput, EditorialStep, ProgressInput};
    use kotapintar_storage::content;
    if !content::staff_list(store, None, None, None, 1)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let offset = settings.rules.utc_offset;
    let today = chrono::Utc::now().with_timezone(&offset).date_naive();
    let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
    let at = |n: i64, hm: &str| format!("{}T{hm}", day(n));
    // (unit, item, progress reports as (days from today, physical %, budget %))
    type DemoItem<'a> = (&'a str, ContentInput, Vec<(i64, &'a str, &'a str)>);
    let items: Vec<DemoItem> = vec![
        ("DPUPR", ContentInput {
            kind: "berita".into(),
            title: "Jalan Raya Kerobokan diperbaiki mulai pekan ini (demo)".into(),
            summary: "Dinas PUPR memperbaiki 2 km jalan berlubang di Kerobokan.".into(),
            body: "Pekerjaan **pengaspalan** berlangsung malam hari agar lalu lintas tidak terganggu.\n\n- Ruas: Jl. Raya Kerobokan\n- Lama pekerjaan: dua minggu".into(),
            tags: "jalan, infrastruktur".into(),
            kecamatan: "51.03.02".into(),
            ..Default::default()
        }, vec![]),
        ("DLHK", ContentInput {
            kind: "pengumuman".into(),
            title: "Jadwal pengangkutan sampah selama Galungan (demo)".into(),
            summary: "Pengangkutan sampah tetap berjalan dengan jadwal khusus.".into(),
            body: "Truk sampah beroperasi pukul 05.00 sampai 10.00 WITA selama hari raya.".into(),
            tags: "sampah, lingkungan".into(),
            ..Default::default()
        }, vec![]),
        ("DISKOMINFO", ContentInput {
            kind: "agenda".into(),
            title: "Bimbingan teknis kotapintar untuk perangkat daerah (demo)".into(),
            summary: "Pelatihan penggunaan platform untuk admin dan petugas unit.".into(),
            starts_at: at(7, "09:00"),
            ends_at: at(7, "15:00"),
            place: "Ruang Kertha Gosana, Puspem Badung".into(),
            audience: "Admin dan petugas perangkat daerah".into(),
            ..Default::default()
        }, vec![]),
        ("DPUPR", ContentInput {
            kind: "proyek".into(),
            title: "Pelebaran Jalan Raya Canggu (demo)".into(),
            summary: "Pelebaran jalan menjadi 12 meter dengan trotoar dan drainase.".into(),
            sector: "Jalan dan jembatan".into(),
            fund_source: "apbd".into(),
            budget_ceiling: "12500000000".into(),
            contract_value: "11900000000".into(),
            contractor: "PT Karya Bali (demo)".into(),
            planned_start: day(-200),
            planned_end: day(100),
            project_status: "running".into(),
            kecamatan: "51.03.02".into(),
            ..Default::default()
        }, vec![(-90, "22", "18"), (-30, "38", "31")]),
        ("DPUPR", ContentInput {
            kind: "proyek".into(),
            title: "Rehabilitasi Pasar Mengwi (demo)".into(),
            summary: "Perbaikan atap, lantai dan saluran air pasar tradisional.".into(),
            sector: "Pasar".into(),
            fund_source: "dak".into(),
            budget_ceiling: "3000000000".into(),
            planned_start: day(-120),
            planned_end: day(60),
            project_status: "running".into(),
            kecamatan: "51.03.03".into(),
            ..Default::default()
        }, vec![(-60, "30", "25"), (-10, "60", "52")]),
    ];
    let mut n = 0;
    for (unit_code, input, progress) in items {
        let Some(unit) = units::find_by_code(&store.reader, unit_code).await? else {
            continue;
        };
        let draft = input
            .parse(unit.id, offset)
            .map_err(|e| anyhow::anyhow!("demo content: {e}"))?;
        let item = content::create(store, system, 0, draft, None).await?;
        content::step(store, system, item.id, EditorialStep::Publish).await?;
        for (d, physical, budget) in progress {
            let input = ProgressInput {
                reported_on: day(d),
                physical_pct: physical.into(),
                budget_pct: budget.into(),
                note: "Laporan kemajuan (demo)".into(),
            };
            content::add_progress(store, system, 0, item.id, &input, today, None).await?;
        }
        n += 1;
    }
    println!("demo: published {n} portal items (news, an announcement, agenda, projects)");
    Ok(())
}

/// The demo market table: invented figures (labelled so), to show an uploaded CSV.
const DEMO_MARKETS_CSV: &str = "kecamatan,tahun,pasar_tradisional,pedagang\n\
Kuta Selatan,2025,4,812\n\
Kuta,2025,3,640\n\
Kuta Utara,2025,5,1033\n\
Mengwi,2025,9,1420\n\
Abiansemal,2025,6,705\n\
Petang,2025,2,198\n\
Kuta Selatan,2024,4,790\n\
Kuta,2024,3,655\n\
Kuta Utara,2024,4,980\n\
Mengwi,2024,9,1391\n\
Abiansemal,2024,6,688\n\
Petang,2024,2,201\n";

/// Demo open data: published datasets with live tables (projects, service performance, the
/// unit and service lists) and one uploaded CSV, plus one dataset waiting for the walidata.
async fn load_opendata(
    store: &Store,
    settings: &Settings,
    system: &AuditActor,
) -> anyhow::Result<()> {
    use kotapintar_domain::content::EditorialStep;
    use kotapintar_domain::opendata::table::Table;
    use kotapintar_domain::opendata::{DatasetInput, LiveSource, ResourceFormat};
    use kotapintar_storage::opendata::{self, NewResource, Source};
    if !opendata::list_for_staff(store, None).await?.is_empty() {
        return Ok(());
    }
    let uploads = settings.data_dir.join("uploads");
    // (unit, name, title, description, tags, topic, frequency, resources, publish)
    type Res = (&'static str, Option<LiveSource>);
    type Spec = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        Vec<Res>,
        bool,
    );
    let specs: Vec<Spec> = vec![
        ("DPUPR", "proyek-pembangunan", "Proyek pembangunan: anggaran dan progres",
         "Proyek pembangunan yang diumumkan perangkat daerah di portal: pagu, nilai kontrak, rencana waktu dan progres fisik terakhir. Diperbarui otomatis setiap ada laporan kemajuan.",
         "proyek, APBD, infrastruktur", "infrastruktur", "continuous",
         vec![("Daftar proyek dan progres", Some(LiveSource::Projects))], true),
        ("DISKOMINFO", "kinerja-pengaduan", "Kinerja penanganan laporan masyarakat",
         "Jumlah laporan yang diterima dan diselesaikan setiap perangkat daerah per bulan, waktu penyelesaian (hari kerja) dan Indeks Kepuasan Masyarakat. Dihitung dari data kotapintar, tanpa data pribadi.",
         "pengaduan, kinerja, IKM", "pemerintahan", "continuous",
         vec![("Laporan per unit per bulan", Some(LiveSource::RequestsMonthly)),
              ("Waktu penyelesaian per unit", Some(LiveSource::ResolutionTimes)),
              ("IKM per unit", Some(LiveSource::Ikm))], true),
        ("DISKOMINFO", "perangkat-daerah-dan-layanan", "Perangkat daerah dan layanan publik",
         "Daftar perangkat daerah beserta kontak kantornya, dan katalog layanan dengan batas waktu penyelesaian.",
         "perangkat daerah, layanan publik", "pemerintahan", "continuous",
         vec![("Perangkat daerah", Some(LiveSource::Units)), ("Layanan", Some(LiveSource::Services))], true),
        ("BAPPEDA", "pasar-tradisional-per-kecamatan", "Pasar tradisional per kecamatan (demo)",
         "Jumlah pasar tradisional dan pedagang per kecamatan. **Angka contoh untuk demo**, bukan data resmi.",
         "pasar, perdagangan", "ekonomi", "annual",
         vec![("Pasar tradisional 2024-2025", None)], true),
        ("BAPPEDA", "rencana-kerja-2027", "Rencana kerja perangkat daerah 2027 (demo)",
         "Draf yang menunggu persetujuan walidata.",
         "perencanaan", "pemerintahan", "annual",
         vec![("Rencana kerja", None)], false),
    ];
    let mut published = 0;
    for (unit, name, title, notes, tags, topic, frequency, resources, publish) in specs {
        let Some(u) = units::find_by_code(&store.reader, unit).await? else {
            continue;
        };
        let input = DatasetInput {
            name: name.into(),
            title: title.into(),
            notes: notes.into(),
            tags: tags.into(),
            topic: topic.into(),
            licence: "cc-by".into(),
            frequency: frequency.into(),
            temporal_start: "2024-01-01".into(),
            spatial: "Kabupaten Badung".into(),
            contact_name: format!("Bidang data, {}", u.name),
            contact_email: u
                .email
                .clone()
                .unwrap_or_else(|| "data@demo.badungkab.go.id".into()),
            ..Default::default()
        };
        let draft = input
            .parse(u.id)
            .map_err(|e| anyhow::anyhow!("demo dataset {name}: {e:?}"))?;
        let d = opendata::create(store, system, 0, draft).await?;
        for (label, live) in resources {
            let r = match live {
                Some(source) => NewResource {
                    name: label.into(),
                    description: String::new(),
                    format: ResourceFormat::Csv,
                    source: Source::Live(source),
                    file_name: format!("{}.csv", source.as_str().replace('_', "-")),
                    columns: Vec::new(),
                    row_count: 0,
                },
                None => {
                    let bytes = DEMO_MARKETS_CSV.as_bytes();
                    let table = Table::from_csv(bytes)
                        .map_err(|e| anyhow::anyhow!("demo CSV: {}", e.code))?;
                    NewResource {
                        name: label.into(),
                        description: "Sumber: contoh untuk demo.".into(),
                        format: ResourceFormat::Csv,
                        source: opendata::save_file(store, &uploads, bytes, ResourceFormat::Csv)?,
                        file_name: format!("{name}.csv"),
                        columns: table.columns,
                        row_count: table.rows.len() as i64,
                    }
                }
            };
            opendata::add_resource(store, system, d.id, r).await?;
        }
        opendata::step(store, system, d.id, EditorialStep::Submit).await?;
        if publish {
            opendata::step(store, system, d.id, EditorialStep::Publish).await?;
            published += 1;
        }
    }
    println!("demo: loaded open data ({published} published datasets, 1 waiting for the walidata)");
    Ok(())
}
