//! The conversation's words, in Indonesian and English. Chat replies are plain text (no
//! markup), so they read the same on every channel.

use super::{local, Catalogue, Conversation, Lang, Place, PublicStatus, Reply, Step};
use crate::request::{RequestKind, Status};
use chrono::FixedOffset;

/// Why an answer was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Why {
    /// A number from 1 (or 0) to this was expected.
    Number(usize),
    TooShort(usize),
    OutsideRegency,
    /// A location pin where a text answer was expected.
    NotNow,
    TooManyPhotos,
}

fn pick(lang: Lang, id: &str, en: &str) -> String {
    match lang {
        Lang::Id => id.to_string(),
        Lang::En => en.to_string(),
    }
}

fn kind_name(lang: Lang, k: RequestKind) -> &'static str {
    match (lang, k) {
        (Lang::Id, RequestKind::Pengaduan) => "Pengaduan (keluhan, masalah)",
        (Lang::Id, RequestKind::Aspirasi) => "Aspirasi (saran, usulan)",
        (Lang::Id, RequestKind::PermintaanInformasi) => "Permintaan informasi",
        (Lang::Id, RequestKind::Permohonan) => "Permohonan layanan",
        (Lang::En, RequestKind::Pengaduan) => "Complaint (a problem)",
        (Lang::En, RequestKind::Aspirasi) => "Suggestion",
        (Lang::En, RequestKind::PermintaanInformasi) => "Request for information",
        (Lang::En, RequestKind::Permohonan) => "Application for a service",
    }
}

fn numbered<'a>(items: impl Iterator<Item = &'a str>) -> (String, Vec<String>) {
    let choices: Vec<String> = items
        .enumerate()
        .map(|(i, s)| format!("{} {s}", i + 1))
        .collect();
    (choices.join("\n"), choices)
}

pub(super) fn greeting(lang: Lang) -> Reply {
    let hello = pick(
        lang,
        "Halo! Ini layanan pengaduan dan aspirasi Pemerintah Kabupaten. Balas \"batal\" untuk \
         membatalkan, \"ulang\" untuk mulai lagi, \"status KODE\" untuk melihat laporan. \
         For English, reply \"english\".",
        "Hello! This is the regency government's complaints and suggestions service. Reply \
         \"cancel\" to stop, \"restart\" to start again, \"status CODE\" to check a request. \
         Untuk bahasa Indonesia, balas \"indonesia\".",
    );
    let mut r = kind_menu(lang);
    r.text = format!("{hello}\n\n{}", r.text);
    r
}

fn kind_menu(lang: Lang) -> Reply {
    let (list, choices) = numbered(RequestKind::ALL.iter().map(|k| kind_name(lang, *k)));
    Reply {
        text: format!(
            "{}\n{list}",
            pick(
                lang,
                "Apa yang ingin Anda sampaikan?",
                "What would you like to send?"
            )
        ),
        choices,
    }
}

pub(super) fn prompt(c: &Conversation, cat: &Catalogue) -> Reply {
    let lang = c.lang;
    let plain = |text: String| Reply {
        text,
        choices: Vec::new(),
    };
    match &c.step {
        Step::Kind => kind_menu(lang),
        Step::Service => {
            let services = cat.services_of(c.kind.unwrap_or(RequestKind::Pengaduan));
            let (list, mut choices) = numbered(services.iter().map(|s| s.name.as_str()));
            let unknown = pick(lang, "0 Tidak tahu", "0 Don't know");
            choices.push(unknown.clone());
            Reply {
                text: format!(
                    "{}\n{list}\n{unknown}",
                    pick(lang, "Layanan mana?", "Which service?")
                ),
                choices,
            }
        }
        Step::Description => plain(pick(
            lang,
            "Ceritakan masalahnya: apa, sejak kapan, dan akibatnya (paling sedikit 10 huruf).",
            "Describe it: what, since when, and what it causes (at least 10 letters).",
        )),
        Step::Place => {
            let (list, _) = numbered(cat.districts.iter().map(|d| d.name.as_str()));
            plain(format!(
                "{}\n{list}",
                pick(
                    lang,
                    "Di mana? Kirim lokasi (📎 → Lokasi), atau ketik alamatnya, atau balas nomor kecamatan:",
                    "Where? Send a location pin (📎 → Location), or type the address, or reply with the number of the kecamatan:",
                )
            ))
        }
        Step::Village { district } => {
            let d = cat.district(district);
            let (list, _) = numbered(
                d.map(|d| d.villages.iter().map(|v| v.1.as_str()).collect::<Vec<_>>())
                    .unwrap_or_default()
                    .into_iter(),
            );
            let name = d.map_or("", |d| d.name.as_str());
            plain(format!(
                "{} {name}:\n{list}\n{}",
                pick(lang, "Desa/kelurahan di", "Desa/kelurahan in"),
                pick(lang, "0 Tidak tahu", "0 Don't know")
            ))
        }
        Step::Confirm => summary(c, cat),
    }
}

fn summary(c: &Conversation, cat: &Catalogue) -> Reply {
    let lang = c.lang;
    let kind = c.kind.map_or("", |k| kind_name(lang, k));
    let service = c
        .service
        .as_ref()
        .and_then(|code| cat.services.iter().find(|s| &s.code == code))
        .map_or_else(
            || pick(lang, "tidak tahu", "don't know"),
            |s| s.name.clone(),
        );
    let place = match &c.place {
        Some(Place::Pin { lat, lon }) => format!("{lat:.5}, {lon:.5}"),
        Some(Place::Area { district, village }) => {
            let d = cat.district(district);
            let v = village.as_ref().and_then(|v| {
                d.and_then(|d| d.villages.iter().find(|(code, _)| code == v))
                    .map(|(_, n)| n.as_str())
            });
            let dn = d.map_or(district.as_str(), |d| d.name.as_str());
            v.map_or_else(|| dn.to_string(), |v| format!("{v}, {dn}"))
        }
        Some(Place::Address { text }) => text.clone(),
        None => "-".into(),
    };
    let description = c.description.as_deref().unwrap_or("");
    let choices = match lang {
        Lang::Id => ["1 Kirim", "2 Kirim tanpa nama (anonim)", "3 Kirim rahasia"],
        Lang::En => ["1 Send", "2 Send anonymously", "3 Send as confidential"],
    };
    let text = match lang {
        Lang::Id => format!(
            "Ringkasan:\nJenis: {kind}\nLayanan: {service}\nIsi: {description}\nLokasi: {place}\nFoto: {}\n\n\
             Kirim foto bila ada (paling banyak 5), lalu balas:\n{}\n{}\n{}\n\
             Anonim: nama Anda tidak terlihat oleh petugas. Rahasia: laporan tidak tampil di publik.",
            c.photos.len(),
            choices[0],
            choices[1],
            choices[2]
        ),
        Lang::En => format!(
            "Summary:\nKind: {kind}\nService: {service}\nText: {description}\nPlace: {place}\nPhotos: {}\n\n\
             Send photos if you have any (at most 5), then reply:\n{}\n{}\n{}\n\
             Anonymous: staff do not see who you are. Confidential: the request is never public.",
            c.photos.len(),
            choices[0],
            choices[1],
            choices[2]
        ),
    };
    Reply {
        text,
        choices: choices.iter().map(|s| s.to_string()).collect(),
    }
}

pub(super) fn why(lang: Lang, why: Why) -> String {
    match (lang, why) {
        (Lang::Id, Why::Number(0)) => "Maaf, tidak ada pilihan di sini.".into(),
        (Lang::En, Why::Number(0)) => "Sorry, there is nothing to choose here.".into(),
        (Lang::Id, Why::Number(n)) => format!("Maaf, balas dengan angka pilihan (sampai {n})."),
        (Lang::En, Why::Number(n)) => {
            format!("Sorry, reply with the number of a choice (up to {n}).")
        }
        (Lang::Id, Why::TooShort(n)) => format!("Terlalu singkat: tulis paling sedikit {n} huruf."),
        (Lang::En, Why::TooShort(n)) => format!("Too short: write at least {n} letters."),
        (Lang::Id, Why::OutsideRegency) => {
            "Lokasi itu di luar wilayah kabupaten. Kirim lokasi lain atau ketik alamatnya.".into()
        }
        (Lang::En, Why::OutsideRegency) => {
            "That place is outside the regency. Send another location or type the address.".into()
        }
        (Lang::Id, Why::NotNow) => "Lokasi belum diperlukan sekarang.".into(),
        (Lang::En, Why::NotNow) => "A location is not needed yet.".into(),
        (Lang::Id, Why::TooManyPhotos) => "Sudah 5 foto; foto ini tidak disimpan.".into(),
        (Lang::En, Why::TooManyPhotos) => {
            "There are 5 photos already; this one was not kept.".into()
        }
    }
}

pub(super) fn photo_kept(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Id => format!("Foto {n} dari paling banyak 5 diterima."),
        Lang::En => format!("Photo {n} of at most 5 received."),
    }
}

pub(super) fn cancelled(lang: Lang) -> Reply {
    Reply {
        text: pick(
            lang,
            "Dibatalkan. Tidak ada yang dikirim. Kirim pesan apa saja untuk mulai lagi.",
            "Cancelled. Nothing was sent. Send any message to start again.",
        ),
        choices: Vec::new(),
    }
}

pub(super) fn expired(lang: Lang) -> Reply {
    Reply {
        text: pick(
            lang,
            "Percakapan sebelumnya berakhir karena tidak ada balasan selama sehari; tidak ada yang dikirim.",
            "The previous conversation ended after a day without an answer; nothing was sent.",
        ),
        choices: Vec::new(),
    }
}

/// After filing: the code and the private link.
pub fn filed(lang: Lang, code: &str, follow_link: &str) -> Reply {
    let text = match lang {
        Lang::Id => format!(
            "Terima kasih. Laporan Anda diterima dengan kode {code}.\n\
             Setiap perkembangan akan dikirim ke percakapan ini. Tautan pribadi Anda (jangan \
             dibagikan): {follow_link}\nKetik \"status {code}\" kapan saja."
        ),
        Lang::En => format!(
            "Thank you. Your request was received with the code {code}.\n\
             Every step will be sent to this chat. Your private link (do not share it): \
             {follow_link}\nType \"status {code}\" at any time."
        ),
    };
    Reply {
        text,
        choices: Vec::new(),
    }
}

/// Filing was refused for a reason the resident cannot fix in this conversation.
pub fn not_filed(lang: Lang) -> Reply {
    Reply {
        text: pick(
            lang,
            "Maaf, laporan ini belum dapat diterima. Kirim pesan apa saja untuk mulai lagi, atau gunakan formulir di situs web.",
            "Sorry, this request could not be accepted. Send any message to start again, or use the form on the website.",
        ),
        choices: Vec::new(),
    }
}

fn status_name(lang: Lang, s: Status) -> &'static str {
    match (lang, s) {
        (Lang::Id, Status::Diterima) => "diterima, menunggu verifikasi",
        (Lang::Id, Status::Diverifikasi) => "diverifikasi",
        (Lang::Id, Status::Ditolak) => "ditolak",
        (Lang::Id, Status::Didisposisikan) => "diteruskan ke perangkat daerah",
        (Lang::Id, Status::Ditindaklanjuti) => "sedang ditindaklanjuti",
        (Lang::Id, Status::Selesai) => "selesai",
        (Lang::Id, Status::Ditutup) => "ditutup",
        (Lang::En, Status::Diterima) => "received, awaiting verification",
        (Lang::En, Status::Diverifikasi) => "verified",
        (Lang::En, Status::Ditolak) => "rejected",
        (Lang::En, Status::Didisposisikan) => "sent to the responsible unit",
        (Lang::En, Status::Ditindaklanjuti) => "in progress",
        (Lang::En, Status::Selesai) => "resolved",
        (Lang::En, Status::Ditutup) => "closed",
        (Lang::Id, Status::MenungguValidasi) => "selesai ditindaklanjuti, menunggu validasi",
        (Lang::En, Status::MenungguValidasi) => "follow-up done, awaiting validation",
        (Lang::Id, Status::Dialihkan) => "dialihkan ke instansi lain (bukan wewenang)",
        (Lang::En, Status::Dialihkan) => "referred to another agency (not our authority)",
        (Lang::Id, Status::Ditunda) => "ditunda",
        (Lang::En, Status::Ditunda) => "deferred",
    }
}

/// The answer to "status CODE": the public status only (`None`: unknown, or not public, which
/// reads the same).
pub fn status_reply(
    lang: Lang,
    code: &str,
    found: Option<&PublicStatus>,
    offset: FixedOffset,
) -> Reply {
    let text = match (lang, found) {
        (Lang::Id, None) => format!("Laporan {code} tidak ditemukan."),
        (Lang::En, None) => format!("No request {code} was found."),
        (lang, Some(p)) => {
            let step = status_name(lang, p.status);
            let due = p.due_at.map(|d| local(d, offset));
            match (lang, due) {
                (Lang::Id, Some(d)) => {
                    format!("Laporan {code}: {step}. Batas waktu tahap ini: {d}.")
                }
                (Lang::Id, None) => format!("Laporan {code}: {step}."),
                (Lang::En, Some(d)) => {
                    format!("Request {code}: {step}. This step is due by {d}.")
                }
                (Lang::En, None) => format!("Request {code}: {step}."),
            }
        }
    };
    Reply {
        text,
        choices: Vec::new(),
    }
}
