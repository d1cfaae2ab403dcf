//! The search benchmark (issue 10): 1,000,000 public documents of realistic Indonesian text,
//! indexed with the portal's own analysis, then queried by 2 concurrent searchers for a fixed
//! time with a mix of what people type (common and rare words, inflected forms, typos,
//! several words, facet filters). Prints throughput and latency percentiles.
//!
//!   cargo run --release -p kotapintar-search --example search-bench -- [--docs N] [--seconds S]
//!       [--threads T] [--dir DIR]
//!
//! With `--dir`, an index already built there (by an earlier run) is reused.

use chrono::{Duration, TimeZone, Utc};
use kotapintar_search::{DocKind, SearchDoc, SearchIndex, SearchQuery};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

const SUBJECTS: &[&str] = &[
    "Perbaikan jalan",
    "Pembangunan jembatan",
    "Pemeliharaan saluran",
    "Penerangan jalan umum",
    "Pengelolaan sampah",
    "Penataan pasar",
    "Rehabilitasi sekolah",
    "Pelayanan puskesmas",
    "Pengaspalan ruas",
    "Normalisasi sungai",
    "Penanaman pohon",
    "Pembersihan pantai",
    "Perizinan usaha",
    "Pendataan penduduk",
    "Vaksinasi anak",
    "Pelatihan UMKM",
    "Festival budaya",
    "Musrenbang desa",
    "Bantuan sosial",
    "Air bersih",
];
const PLACES: &[&str] = &[
    "Kuta",
    "Kuta Selatan",
    "Kuta Utara",
    "Mengwi",
    "Abiansemal",
    "Petang",
    "Kerobokan",
    "Canggu",
    "Jimbaran",
    "Nusa Dua",
    "Seminyak",
    "Legian",
    "Tuban",
    "Sempidi",
    "Blahkiuh",
    "Sangeh",
    "Pelaga",
    "Dalung",
    "Tibubeneng",
    "Ungasan",
];
const WORDS: &[&str] = &[
    "warga",
    "melaporkan",
    "diperbaiki",
    "memperbaiki",
    "kerusakan",
    "berlubang",
    "tergenang",
    "banjir",
    "sampah",
    "menumpuk",
    "lampu",
    "mati",
    "gelap",
    "malam",
    "jalan",
    "licin",
    "kendaraan",
    "macet",
    "petugas",
    "dinas",
    "segera",
    "ditindaklanjuti",
    "pembangunan",
    "dibangun",
    "pelaksanaan",
    "kegiatan",
    "anggaran",
    "pengerjaan",
    "selesai",
    "minggu",
    "bulan",
    "masyarakat",
    "pelayanan",
    "dilayani",
    "permohonan",
    "persyaratan",
    "dokumen",
    "kantor",
    "desa",
    "kecamatan",
    "kabupaten",
    "pemerintah",
    "perbaikan",
    "saluran",
    "air",
    "bersih",
    "sekolah",
    "anak",
    "kesehatan",
    "pasar",
    "pedagang",
    "parkir",
    "trotoar",
    "jembatan",
    "sungai",
    "pantai",
    "wisata",
    "upacara",
    "pura",
    "banjar",
    "subak",
    "sawah",
    "irigasi",
    "pohon",
    "tumbang",
    "angin",
    "kencang",
    "kabel",
    "listrik",
    "pipa",
    "bocor",
    "penerangan",
    "keamanan",
    "ketertiban",
    "kebersihan",
    "lingkungan",
    "pengawasan",
];
const KINDS: [DocKind; 5] = [
    DocKind::Laporan,
    DocKind::Laporan,
    DocKind::Berita,
    DocKind::Agenda,
    DocKind::Proyek,
];

/// A small deterministic generator, so every run indexes the same text.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

fn doc(i: u64, rng: &mut Rng) -> SearchDoc {
    let place = rng.pick(PLACES);
    let title = format!("{} di {place}", rng.pick(SUBJECTS));
    let n = 25 + rng.next() % 40;
    let body: Vec<&str> = (0..n).map(|_| rng.pick(WORDS)).collect();
    let kind = KINDS[(i % KINDS.len() as u64) as usize];
    SearchDoc {
        key: format!("bench:{i}"),
        kind,
        title,
        body: format!("{} {place}.", body.join(" ")),
        url: format!("/laporan/BENCH-{i}"),
        unit_slugs: vec![format!("unit-{}", rng.next() % 27)],
        kecamatan: Some(format!("51.03.0{}", 1 + rng.next() % 6)),
        date: Utc
            .timestamp_opt(1_700_000_000, 0)
            .single()
            .unwrap_or_default()
            + Duration::minutes(i as i64),
    }
}

fn queries() -> Vec<SearchQuery> {
    let q = |text: &str| SearchQuery {
        text: text.into(),
        limit: 10,
        ..Default::default()
    };
    let mut v = vec![
        q("perbaikan"),
        q("perbaikan jalan"),
        q("jalan berlubang kuta"),
        q("lampu mati"),
        q("pembangunan jembatan mengwi"),
        q("sampah menumpuk pantai"),
        q("diperbaiki"),
        q("penerangn"),
        q("kerobokkan"),
        q("banjir tergenang sawah irigasi"),
        q("vaksinasi anak"),
        q("pipa bocor air bersih"),
    ];
    v.push(SearchQuery {
        text: "saluran".into(),
        kind: Some(DocKind::Berita),
        limit: 10,
        ..Default::default()
    });
    v.push(SearchQuery {
        text: "jalan".into(),
        kecamatan: Some("51.03.02".into()),
        unit: Some("unit-4".into()),
        limit: 10,
        ..Default::default()
    });
    v.push(SearchQuery {
        text: "pasar".into(),
        offset: 30,
        limit: 10,
        ..Default::default()
    });
    v
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let docs: u64 = arg("--docs")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let seconds: u64 = arg("--seconds").and_then(|v| v.parse().ok()).unwrap_or(20);
    let threads: usize = arg("--threads").and_then(|v| v.parse().ok()).unwrap_or(2);
    let tmp;
    let dir = match arg("--dir") {
        Some(d) => std::path::PathBuf::from(d),
        None => {
            tmp = std::env::temp_dir().join(format!("kp-search-bench-{}", std::process::id()));
            tmp
        }
    };
    let index = Arc::new(SearchIndex::open(&dir)?);
    if index.num_docs() < docs {
        let started = Instant::now();
        index.clear()?;
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut batch = Vec::with_capacity(10_000);
        for i in 0..docs {
            batch.push(doc(i, &mut rng));
            if batch.len() == 10_000 {
                index.stage(&batch, &[])?;
                batch.clear();
                if i % 100_000 == 99_999 {
                    eprintln!(
                        "  {} documents staged ({:.0} s)",
                        i + 1,
                        started.elapsed().as_secs_f64()
                    );
                }
            }
        }
        index.stage(&batch, &[])?;
        index.commit(0)?;
        eprintln!(
            "indexed {docs} documents in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    eprintln!(
        "{} documents in the index at {}",
        index.num_docs(),
        dir.display()
    );

    let qs = Arc::new(queries());
    // warm-up, and each query alone: hits and mean time of 5 runs
    for q in qs.iter() {
        let r = index.search(q)?;
        let t = Instant::now();
        for _ in 0..5 {
            index.search(q)?;
        }
        eprintln!(
            "  {:>8} hits {:>7.1} ms  {:?} {:?}",
            r.total,
            t.elapsed().as_secs_f64() * 200.0,
            q.text,
            q.kind.map(|k| k.as_str())
        );
    }
    let stop = Arc::new(AtomicBool::new(false));
    let mut handles = Vec::new();
    for t in 0..threads {
        let (index, qs, stop) = (index.clone(), qs.clone(), stop.clone());
        handles.push(std::thread::spawn(move || {
            let mut lat = Vec::new();
            let mut i = t;
            while !stop.load(Ordering::Relaxed) {
                let q = &qs[i % qs.len()];
                let s = Instant::now();
                if index.search(q).is_ok() {
                    lat.push(s.elapsed().as_secs_f64() * 1000.0);
                }
                i += 1;
            }
            lat
        }));
    }
    std::thread::sleep(std::time::Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let mut all: Vec<f64> = Vec::new();
    for h in handles {
        all.extend(h.join().unwrap_or_default());
    }
    all.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "search over {} documents, {threads} threads, {seconds} s: {} queries, {:.0} /s, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        index.num_docs(),
        all.len(),
        all.len() as f64 / seconds as f64,
        pct(0.50),
        pct(0.95),
        pct(0.99),
        all.last().copied().unwrap_or(0.0)
    );
    Ok(())
}
