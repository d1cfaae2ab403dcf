//! The data generator: a regency's units and services, requests with their timelines,
//! dispositions, performance facts and counters, and published news, announcements, agenda
//! and projects, written in bulk (as an import would), deterministic for a given size.

use chrono::{DateTime, Duration, Utc};
use kotapintar::config::Settings;
use kotapintar_domain::performance::{Facts, History};
use kotapintar_storage::entity::{content_item, request, request_event, request_unit, service};
use kotapintar_storage::Store;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use std::collections::HashMap;
use std::time::Instant;

pub const UNITS: usize = 27;
const SERVICES_PER_UNIT: usize = 3;

/// What the phases need from the generated data.
pub struct Seeded {
    /// Tracking codes of public (not `rahasia`) requests.
    pub codes: Vec<String>,
    /// The units' slugs (for `/kinerja/{unit}`) and codes (for API clients).
    pub unit_slugs: Vec<String>,
    pub unit_codes: Vec<String>,
    /// How many requests and content items the database holds (before the phases).
    pub requests: u64,
    pub content: u64,
    /// Seconds spent generating requests, and content items.
    pub request_seconds: f64,
    pub content_seconds: f64,
}

/// What an earlier run generated in this database (`--reuse`), or `None` if it holds none.
pub async fn existing(store: &Store) -> anyhow::Result<Option<Seeded>> {
    use kotapintar_storage::entity::unit;
    use sea_orm::{PaginatorTrait, QueryOrder, QuerySelect};
    let units = unit::Entity::find()
        .filter(unit::Column::Code.starts_with("UNIT"))
        .order_by_asc(unit::Column::Id)
        .all(&store.reader)
        .await?;
    if units.len() != UNITS {
        return Ok(None);
    }
    let codes: Vec<String> = request::Entity::find()
        .select_only()
        .column(request::Column::TrackingCode)
        .filter(request::Column::Confidential.eq(false))
        .order_by_asc(request::Column::Id)
        .into_tuple()
        .all(&store.reader)
        .await?;
    if codes.is_empty() {
        return Ok(None);
    }
    Ok(Some(Seeded {
        requests: request::Entity::find().count(&store.reader).await?,
        content: content_item::Entity::find().count(&store.reader).await?,
        codes,
        unit_slugs: units.iter().map(|u| u.slug.clone()).collect(),
        unit_codes: units.into_iter().map(|u| u.code).collect(),
        request_seconds: 0.0,
        content_seconds: 0.0,
    }))
}

/// A small deterministic generator (no dependency on a random source).
pub fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// A valid tracking code for the i-th request: i written in the code alphabet.
pub fn bench_code(i: u64) -> String {
    let mut digits = [0u8; 5];
    let mut n = i;
    for d in digits.iter_mut().rev() {
        *d = (n % 30) as u8;
        n /= 30;
    }
    kotapintar_domain::request::tracking_code("BDG", 2025, digits)
}

const PROBLEMS: [(&str, &str); 8] = [
    (
        "Jalan berlubang",
        "Lubang di badan jalan membahayakan pengendara, mohon segera diperbaiki.",
    ),
    (
        "Lampu penerangan jalan mati",
        "Lampu jalan mati sejak seminggu, jalan gelap dan rawan kecelakaan.",
    ),
    (
        "Sampah menumpuk",
        "Sampah rumah tangga belum diangkut tiga hari di pinggir jalan.",
    ),
    (
        "Saluran air tersumbat",
        "Got tersumbat sehingga air meluap ke jalan saat hujan.",
    ),
    (
        "Pohon tumbang",
        "Pohon besar tumbang menutup sebagian jalan desa.",
    ),
    (
        "Pelayanan KTP lambat",
        "Pengurusan KTP elektronik sudah sebulan belum selesai.",
    ),
    (
        "Trotoar rusak",
        "Paving trotoar lepas dan membahayakan pejalan kaki.",
    ),
    (
        "Usulan taman bermain",
        "Mohon dibangun taman bermain anak di lahan kosong milik desa.",
    ),
];

/// Everything, in order; `requests` and `content` may be 0.
pub async fn all(
    store: &Store,
    settings: &Settings,
    requests: u64,
    content: u64,
) -> anyhow::Result<Seeded> {
    let actor = kotapintar_storage::audit::AuditActor::System("bench".into());
    let now = Utc::now();
    let mut units = Vec::new();
    for u in 0..UNITS {
        let draft = kotapintar_domain::unit::UnitInput {
            code: format!("UNIT{u:02}"),
            name: format!("Perangkat daerah {u:02}"),
            kind: "dinas".into(),
            active: Some("on".into()),
            ..Default::default()
        }
        .parse()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        units.push(kotapintar_storage::units::create(store, &actor, draft).await?);
    }
    let mut services = Vec::new();
    for (i, u) in units.iter().enumerate() {
        for s in 0..SERVICES_PER_UNIT {
            let m = service::Entity::insert(service::ActiveModel {
                unit_id: Set(u.id.0),
                code: Set(format!("layanan-{i:02}-{s}")),
                name: Set(format!("Layanan {s} perangkat daerah {i:02}")),
                kind: Set("pengaduan".into()),
                time_limit_days: Set(5 + (s as i32) * 5),
                questions_json: Set("[]".into()),
                active: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .exec(&store.writer)
            .await?;
            services.push((m.last_insert_id, u.id.0, 5 + (s as i64) * 5));
        }
    }
    let districts: Vec<(String, String)> =
        kotapintar_storage::regions::children(store, &settings.regency)
            .await?
            .into_iter()
            .map(|d| (d.code, d.name))
            .collect();
    let unit_ids: Vec<i64> = units.iter().map(|u| u.id.0).collect();
    let t = Instant::now();
    let codes =
        requests_in_bulk(store, settings, requests, &services, &unit_ids, &districts).await?;
    let request_seconds = t.elapsed().as_secs_f64();
    let t = Instant::now();
    content_in_bulk(store, content, &unit_ids, &districts).await?;
    let content_seconds = t.elapsed().as_secs_f64();
    Ok(Seeded {
        requests,
        content,
        codes,
        unit_slugs: units.iter().map(|u| u.slug.clone()).collect(),
        unit_codes: units.iter().map(|u| u.code.as_str().to_string()).collect(),
        request_seconds,
        content_seconds,
    })
}

/// What happened to one generated request.
struct Plan {
    status: &'static str,
    holder: i64,
    received: DateTime<Utc>,
    verified: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    due: DateTime<Utc>,
    service_id: i64,
    district: String,
}

/// `n` requests spread over the last 365 days across the units, services and kecamatan,
/// with realistic steps (verified after 0-4 days, most resolved, 5 % rejected, a tenth
/// forwarded, the open ones recent, 2 % rahasia), each with its timeline (received,
/// dispatched, resolved or rejected), its disposition, and its performance facts and
/// counters derived by the workflow's own code. Returns the public tracking codes.
async fn requests_in_bulk(
    store: &Store,
    settings: &Settings,
    n: u64,
    services: &[(i64, i64, i64)],
    units: &[i64],
    districts: &[(String, String)],
) -> anyhow::Result<Vec<String>> {
    let t = Instant::now();
    let now = Utc::now();
    let calendar = kotapintar_storage::holidays::calendar(store).await?;
    let offset = settings.rules.utc_offset;
    let mut codes = Vec::with_capacity(n as usize);
    let mut done = 0u64;
    while done < n {
        let batch: Vec<u64> = (done..(done + 1000).min(n)).collect();
        let tx = store.writer.begin().await?;
        let mut plans = Vec::with_capacity(batch.len());
        let rows: Vec<request::ActiveModel> = batch
            .iter()
            .map(|&i| {
                let (plan, row) = plan_row(i, now, services, units, districts);
                plans.push(plan);
                row
            })
            .collect();
        // 500 rows a statement: a request row has some 45 columns, and SQLite takes at most
        // 32,766 values in one statement
        for chunk in rows.chunks(500) {
            request::Entity::insert_many(chunk.to_vec())
                .exec(&tx)
                .await?;
        }
        let batch_codes: Vec<String> = batch.iter().map(|i| bench_code(*i)).collect();
        let ids: HashMap<String, i64> = request::Entity::find()
            .filter(request::Column::TrackingCode.is_in(batch_codes.clone()))
            .all(&tx)
            .await?
            .into_iter()
            .map(|r| (r.tracking_code, r.id))
            .collect();
        let mut dispositions = Vec::new();
        let mut events = Vec::new();
        let mut facts = Vec::new();
        for (code, p) in batch_codes.iter().zip(plans) {
            let id = *ids
                .get(code)
                .ok_or_else(|| anyhow::anyhow!("request {code} was not stored"))?;
            let (mut timeline, disposition, fact) = timeline(id, p, &calendar, offset);
            events.append(&mut timeline);
            dispositions.extend(disposition);
            facts.push((id, fact));
        }
        for chunk in dispositions.chunks(1000) {
            request_unit::Entity::insert_many(chunk.to_vec())
                .exec(&tx)
                .await?;
        }
        for chunk in events.chunks(1000) {
            request_event::Entity::insert_many(chunk.to_vec())
                .exec(&tx)
                .await?;
        }
        tx.commit().await?;
        kotapintar_storage::performance::load_facts(store, &facts).await?;
        codes.extend(
            batch
                .iter()
                .zip(batch_codes)
                .filter(|(i, _)| *i % 50 != 0)
                .map(|(_, c)| c),
        );
        done += batch.len() as u64;
        if done.is_multiple_of(50_000) {
            eprintln!("  {done} requests ({:.0} s)", t.elapsed().as_secs_f64());
        }
    }
    eprintln!(
        "generated {n} requests with timelines, facts and counters in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    Ok(codes)
}

/// The i-th generated request: what happens to it, and its row.
fn plan_row(
    i: u64,
    now: DateTime<Utc>,
    services: &[(i64, i64, i64)],
    units: &[i64],
    districts: &[(String, String)],
) -> (Plan, request::ActiveModel) {
    let r = mix(i);
    let (service_id, unit_id, limit) = services[(r % services.len() as u64) as usize];
    let received = now - Duration::minutes(((r >> 8) % (365 * 24 * 60)) as i64);
    let outcome = (r >> 40) % 100;
    let verified = received + Duration::hours(((r >> 20) % 96) as i64);
    let resolved = verified + Duration::hours(((r >> 28) % (24 * 21)) as i64);
    let due = received + Duration::days(limit * 7 / 5);
    // Requests still open are recent ones (the last 30 days), as in a regency
    // that works its queue; a few of them are overdue.
    let recent = now - received < Duration::days(30);
    let (status, resolved_at, closed_at) = if outcome < 5 {
        ("ditolak", None, Some(verified))
    } else if (outcome < 70 || !recent) && resolved < now {
        ("ditutup", Some(resolved), Some(resolved))
    } else if verified < now {
        ("ditindaklanjuti", None, None)
    } else {
        ("diterima", None, None)
    };
    let (district, district_name) =
        &districts[((r >> 50) % districts.len().max(1) as u64) as usize];
    // a tenth of the requests were forwarded once, to another unit
    let holder = if (r >> 12).is_multiple_of(10) {
        units[((r >> 16) % units.len() as u64) as usize]
    } else {
        unit_id
    };
    let plan = Plan {
        status,
        holder,
        received,
        verified,
        resolved_at,
        closed_at,
        due,
        service_id,
        district: district.clone(),
    };
    let open = matches!(status, "ditindaklanjuti" | "diterima");
    let (title, description) = PROBLEMS[((r >> 44) % PROBLEMS.len() as u64) as usize];
    let row = request::ActiveModel {
        tracking_code: Set(bench_code(i)),
        kind: Set(if title.starts_with("Usulan") {
            "aspirasi"
        } else {
            "pengaduan"
        }
        .into()),
        service_id: Set(Some(service_id)),
        title: Set(format!("{title} di {district_name}")),
        description: Set(description.into()),
        status: Set(status.into()),
        location_address: Set(Some(format!("Jl. Raya {district_name} No. {}", r % 200))),
        latitude: Set(Some(-8.72 + (r % 100) as f64 * 0.002)),
        longitude: Set(Some(115.17 + ((r >> 4) % 50) as f64 * 0.001)),
        district_code: Set(Some(district.clone())),
        village_code: Set(None),
        district_name: Set(Some(district_name.clone())),
        village_name: Set(None),
        anonymous: Set(false),
        confidential: Set(i.is_multiple_of(50)),
        reporter_name: Set(Some("Warga".into())),
        reporter_email: Set(None),
        reporter_phone: Set(None),
        reporter_token_hash: Set("0".repeat(64)),
        answers_json: Set("[]".into()),
        received_at: Set(received),
        stage_due_at: Set(open.then_some(due)),
        resolve_due_at: Set(Some(due)),
        resolved_at: Set(resolved_at),
        closed_at: Set(closed_at),
        response: Set(resolved_at.map(|_| "Sudah ditangani oleh petugas.".to_string())),
        reject_reason: Set((status == "ditolak").then(|| "spam".to_string())),
        duplicate_of: Set(None),
        support_count: Set(0),
        escalation_level: Set(0),
        personal_data_erased_at: Set(None),
        updated_at: Set(closed_at.unwrap_or(verified.min(now))),
        // the generated text holds no personal data: its public copy is itself
        public_title: Set(format!("{title} di {district_name}")),
        public_description: Set(description.into()),
        public_location_address: Set(Some(format!("Jl. Raya {district_name} No. {}", r % 200))),
        public_response: Set(resolved_at.map(|_| "Sudah ditangani oleh petugas.".to_string())),
        ..Default::default()
    };
    (plan, row)
}

/// One generated request's timeline events, its disposition (if it was dispatched) and its
/// performance facts.
fn timeline(
    id: i64,
    p: Plan,
    calendar: &kotapintar_domain::working_days::Calendar,
    offset: chrono::FixedOffset,
) -> (
    Vec<request_event::ActiveModel>,
    Option<request_unit::ActiveModel>,
    Facts,
) {
    let mut events = Vec::new();
    let mut disposition = None;
    let event = |at, step: &str, from: Option<&str>, to: &str, note: Option<&str>, unit| {
        request_event::ActiveModel {
            request_id: Set(id),
            at: Set(at),
            actor: Set("bench".into()),
            actor_user_id: Set(None),
            step: Set(step.into()),
            from_status: Set(from.map(String::from)),
            to_status: Set(to.into()),
            note: Set(note.map(String::from)),
            note_public: Set(true),
            unit_id: Set(unit),
            public_note: Set(note.map(String::from)),
            ..Default::default()
        }
    };
    events.push(event(p.received, "submit", None, "diterima", None, None));
    let dispatched = p.status != "ditolak" && p.status != "diterima";
    if p.status == "ditolak" {
        events.push(event(
            p.verified,
            "reject",
            Some("diterima"),
            "ditolak",
            Some("Laporan tidak dapat diproses."),
            None,
        ));
    }
    if dispatched {
        events.push(event(
            p.verified,
            "dispatch",
            Some("diterima"),
            "didisposisikan",
            Some("Diteruskan ke perangkat daerah."),
            Some(p.holder),
        ));
        disposition = Some(request_unit::ActiveModel {
            request_id: Set(id),
            unit_id: Set(p.holder),
            officer_id: Set(None),
            active: Set(true),
            dispatched_at: Set(p.verified),
            ..Default::default()
        });
    }
    if let Some(at) = p.resolved_at {
        events.push(event(
            at,
            "resolve",
            Some("ditindaklanjuti"),
            "ditutup",
            Some("Sudah ditangani oleh petugas."),
            Some(p.holder),
        ));
    }
    let h = History {
        received_at: p.received,
        verified_at: dispatched.then_some(p.verified),
        rejected_at: if p.status == "ditolak" {
            p.closed_at
        } else {
            None
        },
        resolved_at: p.resolved_at,
        resolve_due_at: Some(p.due),
        units: if dispatched { vec![p.holder] } else { vec![] },
        service_id: Some(p.service_id),
        district_code: Some(p.district),
        village_code: None,
        returned_at: vec![],
        referred_at: None,
    };
    (
        events,
        disposition,
        Facts::from_history(&h, calendar, offset),
    )
}

/// `n` published items, a quarter each of news, announcements, agenda and projects, over the
/// last three years, each with a Markdown body of a few paragraphs.
async fn content_in_bulk(
    store: &Store,
    n: u64,
    units: &[i64],
    districts: &[(String, String)],
) -> anyhow::Result<()> {
    if n == 0 {
        return Ok(());
    }
    let t = Instant::now();
    let now = Utc::now();
    const TOPICS: [&str; 6] = [
        "Perbaikan jalan",
        "Pembangunan jembatan",
        "Posyandu keliling",
        "Pelatihan UMKM",
        "Penataan pasar",
        "Gotong royong kebersihan",
    ];
    let mut done = 0u64;
    while done < n {
        let rows: Vec<content_item::ActiveModel> = (done..(done + 500).min(n))
            .map(|i| {
                let r = mix(i ^ 0x00c0_ffee);
                let kind = ["berita", "pengumuman", "agenda", "proyek"][(i % 4) as usize];
                let section = if kind == "pengumuman" { "berita" } else { kind };
                let (district, district_name) =
                    &districts[(r % districts.len().max(1) as u64) as usize];
                let topic = TOPICS[((r >> 8) % TOPICS.len() as u64) as usize];
                let title = format!("{topic} di {district_name} ({i})");
                let md = format!(
                    "{topic} di Kecamatan {district_name} dimulai pekan ini.\n\n\
                     Pemerintah kabupaten bersama warga **{district_name}** menyiapkan kegiatan \
                     ini sejak awal tahun. Informasi lebih lanjut di kantor kecamatan.\n\n\
                     - lokasi: {district_name}\n- penanggung jawab: perangkat daerah {:02}\n",
                    i % 27
                );
                let published = now - Duration::minutes(((r >> 16) % (3 * 365 * 24 * 60)) as i64);
                let starts =
                    now + Duration::hours(((r >> 24) % (24 * 120)) as i64) - Duration::days(60);
                let agenda = kind == "agenda";
                let project = kind == "proyek";
                content_item::ActiveModel {
                    kind: Set(kind.into()),
                    section: Set(section.into()),
                    unit_id: Set(units[(i % units.len() as u64) as usize]),
                    slug: Set(format!("{}-{i}", topic.to_lowercase().replace(' ', "-"))),
                    title: Set(title),
                    summary: Set(format!("{topic} untuk warga {district_name}.")),
                    body_html: Set(kotapintar_domain::markdown::render(&md)),
                    body_md: Set(md),
                    tags: Set(topic.split(' ').next().unwrap_or("").to_lowercase()),
                    kecamatan: Set(Some(district.clone())),
                    desa: Set(None),
                    cover_photo: Set(None),
                    attachments: Set("[]".into()),
                    status: Set("published".into()),
                    publish_at: Set(None),
                    published_at: Set(Some(published)),
                    revision: Set(1),
                    created_by: Set(0),
                    created_at: Set(published),
                    updated_at: Set(published),
                    starts_at: Set(agenda.then_some(starts)),
                    ends_at: Set(agenda.then(|| starts + Duration::hours(3))),
                    place: Set(agenda.then(|| format!("Balai desa {district_name}"))),
                    audience: Set(None),
                    internal: Set(false),
                    sector: Set(project.then(|| "pekerjaan umum".to_string())),
                    fund_source: Set(project.then(|| "apbd".to_string())),
                    budget_ceiling: Set(
                        project.then_some(500_000_000 + (r % 100) as i64 * 10_000_000)
                    ),
                    contract_value: Set(None),
                    contractor: Set(project.then(|| "CV Karya Bali".to_string())),
                    planned_start: Set(project.then(|| "2026-01-05".to_string())),
                    planned_end: Set(project.then(|| "2026-12-20".to_string())),
                    project_status: Set(project.then(|| "running".to_string())),
                    lat: Set(project.then_some(-8.65 + (r % 50) as f64 * 0.002)),
                    lon: Set(project.then_some(115.18 + ((r >> 4) % 50) as f64 * 0.002)),
                    physical_pct: Set(project.then_some((r % 90) as f64)),
                    budget_pct: Set(project.then_some((r % 80) as f64)),
                    progress_on: Set(project.then(|| "2026-11-01".to_string())),
                    ..Default::default()
                }
            })
            .collect();
        let count = rows.len() as u64;
        content_item::Entity::insert_many(rows)
            .exec(&store.writer)
            .await?;
        done += count;
        if done.is_multiple_of(20_000) {
            eprintln!(
                "  {done} content items ({:.0} s)",
                t.elapsed().as_secs_f64()
            );
        }
    }
    eprintln!(
        "generated {n} content items in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
