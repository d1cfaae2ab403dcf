//! Generated request histories for measuring the suggestions (tests, `kotapintar-bench`,
//! demo data). They are made to be hard in the ways real ones are: units share words ("lampu"
//! is the street lights' and the traffic lights'; "air" the water company's and the flood
//! desk's; "jalan" half the regency's), residents misspell, some texts are too vague for
//! anyone to route, the kecamatan offices only hear from their own kecamatan, one unit gets
//! far more than the others, and a few old requests (6 %) went to the wrong unit.

use super::Example;
use crate::ids::UnitId;
use chrono::{DateTime, Duration, Utc};

/// One unit of the generated regency: its code, name, share of requests, the words its
/// requests use, and the kecamatan it serves (a kecamatan office) or none (regency-wide).
pub struct GenUnit {
    pub code: &'static str,
    pub name: &'static str,
    pub share: u32,
    pub words: &'static [&'static str],
    pub district: Option<&'static str>,
}

/// Badung's six kecamatan (Kemendagri codes).
pub const DISTRICTS: [&str; 6] = [
    "51.03.01", "51.03.02", "51.03.03", "51.03.04", "51.03.05", "51.03.06",
];

pub const UNITS: [GenUnit; 13] = [
    GenUnit {
        code: "PUPR",
        name: "Dinas Pekerjaan Umum dan Penataan Ruang",
        share: 24,
        words: &[
            "jalan",
            "berlubang",
            "aspal",
            "jembatan",
            "retak",
            "gorong",
            "trotoar",
            "drainase",
            "saluran",
            "tambal",
            "rusak",
            "genangan",
        ],
        district: None,
    },
    GenUnit {
        code: "PERKIM",
        name: "Dinas Perumahan dan Kawasan Permukiman",
        share: 9,
        words: &[
            "lampu",
            "penerangan",
            "pju",
            "padam",
            "tiang",
            "gelap",
            "jalan",
            "mati",
            "kabel",
        ],
        district: None,
    },
    GenUnit {
        code: "DLH",
        name: "Dinas Lingkungan Hidup dan Kebersihan",
        share: 12,
        words: &[
            "sampah", "bau", "tps", "limbah", "menumpuk", "angkut", "truk", "sungai", "kotor",
            "pohon",
        ],
        district: None,
    },
    GenUnit {
        code: "DISHUB",
        name: "Dinas Perhubungan",
        share: 8,
        words: &[
            "parkir", "liar", "lampu", "lalu", "lintas", "rambu", "macet", "angkutan", "jalan",
            "traffic", "zebra",
        ],
        district: None,
    },
    GenUnit {
        code: "SATPOL",
        name: "Satuan Polisi Pamong Praja",
        share: 6,
        words: &[
            "pedagang",
            "kaki",
            "lima",
            "bangunan",
            "liar",
            "reklame",
            "izin",
            "ketertiban",
            "trotoar",
            "baliho",
        ],
        district: None,
    },
    GenUnit {
        code: "DINKES",
        name: "Dinas Kesehatan",
        share: 7,
        words: &[
            "puskesmas",
            "dokter",
            "obat",
            "antre",
            "demam",
            "berdarah",
            "nyamuk",
            "fogging",
            "pasien",
            "bpjs",
        ],
        district: None,
    },
    GenUnit {
        code: "CAPIL",
        name: "Dinas Kependudukan dan Pencatatan Sipil",
        share: 8,
        words: &[
            "ktp",
            "kartu",
            "keluarga",
            "akta",
            "kelahiran",
            "blanko",
            "rekam",
            "nik",
            "pindah",
            "domisili",
        ],
        district: None,
    },
    GenUnit {
        code: "DISDIK",
        name: "Dinas Pendidikan",
        share: 5,
        words: &[
            "sekolah", "guru", "zonasi", "ppdb", "seragam", "murid", "kelas", "pungutan", "ijazah",
        ],
        district: None,
    },
    GenUnit {
        code: "AIR",
        name: "Perumda Air Minum Tirta Mangutama",
        share: 7,
        words: &[
            "air", "pdam", "bocor", "pipa", "keruh", "mati", "meteran", "tagihan", "mengalir",
        ],
        district: None,
    },
    GenUnit {
        code: "BPBD",
        name: "Badan Penanggulangan Bencana Daerah",
        share: 5,
        words: &[
            "banjir", "longsor", "pohon", "tumbang", "air", "genangan", "abrasi", "bencana",
            "evakuasi", "bantuan",
        ],
        district: None,
    },
    GenUnit {
        code: "DINSOS",
        name: "Dinas Sosial",
        share: 5,
        words: &[
            "bansos",
            "pkh",
            "bantuan",
            "miskin",
            "dtks",
            "lansia",
            "disabilitas",
            "terlantar",
            "sembako",
        ],
        district: None,
    },
    GenUnit {
        code: "KEC-KUTA",
        name: "Kecamatan Kuta",
        share: 2,
        words: &[
            "surat",
            "keterangan",
            "camat",
            "pelayanan",
            "izin",
            "kantor",
            "desa",
            "lurah",
        ],
        district: Some("51.03.02"),
    },
    GenUnit {
        code: "KEC-MENGWI",
        name: "Kecamatan Mengwi",
        share: 2,
        words: &[
            "surat",
            "keterangan",
            "camat",
            "pelayanan",
            "izin",
            "kantor",
            "desa",
            "lurah",
        ],
        district: Some("51.03.04"),
    },
];

/// Words anyone writes, whatever the complaint.
const FILLER: [&str; 24] = [
    "mohon",
    "tolong",
    "segera",
    "warga",
    "sudah",
    "lama",
    "tidak",
    "ada",
    "di",
    "dekat",
    "rumah",
    "kami",
    "pak",
    "bu",
    "ditindaklanjuti",
    "terima",
    "kasih",
    "bagaimana",
    "ini",
    "sejak",
    "minggu",
    "lalu",
    "banyak",
    "masalah",
];

/// A small, fast, seeded generator (SplitMix64): the same seed gives the same history.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
    pub fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

/// One generated request: the unit's index in [`UNITS`], title, description and kecamatan.
pub struct GenRequest {
    pub unit: usize,
    pub title: String,
    pub description: String,
    pub district: String,
}

/// A unit drawn by share.
fn draw_unit(rng: &mut Rng) -> usize {
    let all: u32 = UNITS.iter().map(|u| u.share).sum();
    let mut n = rng.below(all as usize) as u32;
    for (i, u) in UNITS.iter().enumerate() {
        if n < u.share {
            return i;
        }
        n -= u.share;
    }
    0
}

/// A word as a hurried resident types it, one time in `typo_percent`: a letter dropped,
/// doubled or swapped with the next.
fn typed(rng: &mut Rng, word: &str, typo_percent: u64) -> String {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < 4 || !rng.chance(typo_percent) {
        return word.to_string();
    }
    let i = 1 + rng.below(chars.len() - 2);
    let mut out = chars.clone();
    match rng.below(3) {
        0 => {
            out.remove(i);
        }
        1 => out.insert(i, chars[i]),
        _ => out.swap(i, i + 1),
    }
    out.into_iter().collect()
}

/// One request of the generated regency.
pub fn request(rng: &mut Rng) -> GenRequest {
    let unit = draw_unit(rng);
    let u = &UNITS[unit];
    let district = match u.district {
        Some(d) => d.to_string(),
        None => rng.pick(&DISTRICTS).to_string(),
    };
    // a vague text: one of the unit's words at most, the rest anyone's
    let vague = rng.chance(15);
    let topical = if vague {
        rng.below(2)
    } else {
        1 + rng.below(3)
    };
    let mut words: Vec<String> = Vec::new();
    for _ in 0..topical {
        let w = rng_pick(rng, u.words);
        words.push(typed(rng, w, 15));
    }
    for _ in 0..(3 + rng.below(6)) {
        let at = rng.below(words.len() + 1);
        words.insert(at, rng.pick(&FILLER).to_string());
    }
    let title_len = 2.min(words.len());
    let title = words[..title_len].join(" ");
    let description = words.join(" ");
    // a few old requests went to the wrong unit and stayed there
    let unit = if rng.chance(6) {
        rng.below(UNITS.len())
    } else {
        unit
    };
    GenRequest {
        unit,
        title,
        description,
        district,
    }
}

fn rng_pick(rng: &mut Rng, from: &'static [&'static str]) -> &'static str {
    from[rng.below(from.len())]
}

/// A history of `n` requests, one every `every` from `start`, for units with the given ids
/// (one per entry of [`UNITS`], in order).
pub fn history(
    n: usize,
    seed: u64,
    start: DateTime<Utc>,
    every: Duration,
    units: &[UnitId],
) -> Vec<Example> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let r = request(&mut rng);
            Example {
                title: r.title,
                description: r.description,
                district: Some(r.district),
                kind: "pengaduan".into(),
                unit: units
                    .get(r.unit)
                    .copied()
                    .unwrap_or(UnitId(r.unit as i64 + 1)),
                at: start + every * i as i32,
            }
        })
        .collect()
}
