//! Requests by email: one RFC 5322 message, as Postfix or Exim pipe it to
//! `kotapintar intake email`, read into what intake needs, without I/O.
//!
//! Email does not go through the chat conversation (`conversation`): a message arrives whole,
//! with a subject, a body and attachments, and asking for the kind, the place and a
//! confirmation one message at a time would turn one email into six round trips that many
//! residents never finish. A first message is filed directly (subject as title, body as
//! description, images as photos); the reporter corrects or adds through the private link and
//! the thread. A reply to a notice (its `In-Reply-To`/`References` carry the request's code in
//! our `Message-ID`, or its subject names the code) goes onto that request's thread instead.

use crate::intake::NewRequest;
use crate::privacy::ReporterContact;
use crate::request::RequestKind;
use crate::validation::optional_email;
use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

/// The largest message read; MTAs bound it too (Postfix `message_size_limit`, 10 MB by
/// default), this keeps a misconfigured one from filling memory.
pub const MAX_MESSAGE_BYTES: usize = 40 * 1024 * 1024;
/// Images taken from one message, as on the web form.
pub const MAX_IMAGES: usize = crate::conversation::MAX_PHOTOS;
/// The largest image taken (the web form's photo limit).
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
const MAX_TITLE: usize = 150;
const MAX_DESCRIPTION: usize = 5000;
const MIN_DESCRIPTION: usize = 10;
/// Message ids are stored as provider ids (200 characters).
const MAX_MESSAGE_ID: usize = 200;

/// Why a message cannot be taken; the MTA returns it to the sender with this text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    #[error("the message is larger than {} MB", MAX_MESSAGE_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("this is not an email message (RFC 5322)")]
    NotAMessage,
    #[error("the message has no valid sender address (From)")]
    NoSender,
    #[error(
        "the message says too little to be a request: write at least {MIN_DESCRIPTION} characters \
         about what happened and where / tulis paling sedikit {MIN_DESCRIPTION} karakter"
    )]
    TooShort,
}

/// A message as intake reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// `Message-ID` without brackets, or a hash of the message when it has none, so the same
    /// message delivered twice is recognised either way.
    pub message_id: String,
    /// The sender's address, normalised (lower case).
    pub from: String,
    pub from_name: Option<String>,
    pub subject: String,
    /// The new text of the body: quoted earlier messages and the signature cut off.
    pub text: String,
    /// Image attachments within the limits, in order, as sent (checked and cleaned later).
    pub images: Vec<Vec<u8>>,
    /// Attachments left out: not images, too large, or past [`MAX_IMAGES`].
    pub left_out: usize,
    /// Tracking codes the message refers to: `In-Reply-To` and `References` first, then the
    /// subject.
    pub codes: Vec<String>,
    /// An auto-reply, a bounce or a list message (RFC 3834): never answered, never filed, so
    /// two robots cannot write to each other for ever.
    pub automatic: bool,
}

/// Reads a raw message.
pub fn parse(raw: &[u8]) -> Result<Inbound, MailError> {
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(MailError::TooLarge);
    }
    let msg = MessageParser::default()
        .parse(raw)
        .filter(|m| m.headers().iter().any(|h| h.name() == "From"))
        .ok_or(MailError::NotAMessage)?;
    let from = msg.from().and_then(|a| a.first());
    let address = from
        .and_then(|a| a.address())
        .and_then(|a| optional_email(a).ok().flatten())
        .ok_or(MailError::NoSender)?;
    let from_name = from
        .and_then(|a| a.name())
        .map(|n| one_line(n).chars().take(100).collect::<String>())
        .filter(|n| !n.is_empty());
    let message_id = match msg.message_id().map(str::trim).filter(|m| !m.is_empty()) {
        Some(id) => id.chars().take(MAX_MESSAGE_ID).collect(),
        None => format!("sha256:{}", hex::encode(Sha256::digest(raw))),
    };
    let subject = one_line(msg.subject().unwrap_or_default());
    let mut referred: Vec<&str> = Vec::new();
    for h in [msg.in_reply_to(), msg.references()] {
        referred.extend(h.as_text_list().unwrap_or_default().iter().map(|s| &**s));
    }
    let mut codes: Vec<String> = referred
        .iter()
        .filter_map(|id| code_in_message_id(id))
        .collect();
    codes.extend(crate::request::thread::code_in(&subject));
    codes.dedup();
    let body = msg.body_text(0).map(|b| b.into_owned()).unwrap_or_default();
    let text = new_text(&body);
    let mut images = Vec::new();
    let mut left_out = 0;
    for part in msg.attachments() {
        let is_image = part
            .content_type()
            .is_some_and(|c| c.ctype().eq_ignore_ascii_case("image"));
        let bytes = part.contents();
        if is_image && images.len() < MAX_IMAGES && bytes.len() <= MAX_IMAGE_BYTES {
            images.push(bytes.to_vec());
        } else {
            left_out += 1;
        }
    }
    let header = |name: &str| {
        msg.header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default()
    };
    let auto = header("Auto-Submitted");
    let automatic = (!auto.is_empty() && auto != "no")
        || matches!(header("Precedence").as_str(), "bulk" | "junk" | "list")
        || !header("List-Id").is_empty()
        || address.starts_with("mailer-daemon@")
        || address.starts_with("postmaster@");
    Ok(Inbound {
        message_id,
        from: address,
        from_name,
        subject,
        text,
        images,
        left_out,
        codes,
        automatic,
    })
}

/// The code our own `Message-ID`s carry (`<BDG-26-7K3Q9.…@domain>`, see [`message_id_local`]).
fn code_in_message_id(id: &str) -> Option<String> {
    let id = id.trim().trim_start_matches('<');
    let local = id.split('@').next()?;
    crate::request::normalise_tracking_code(local.split('.').next()?)
}

/// The start of the local part of an outgoing `Message-ID` for a message whose subject names a
/// request: its code, so that a reply's `In-Reply-To` finds the request even when the subject
/// was changed. `None` when the subject names no request.
pub fn message_id_local(subject: &str) -> Option<String> {
    crate::request::thread::code_in(subject)
}

/// The new part of a reply: quoted lines (`>`) and everything from the usual "On … wrote:"
/// line, a forwarded or original message, or the signature separator on, are cut off.
pub fn new_text(body: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for line in body.lines() {
        let t = line.trim();
        let lower = t.to_lowercase();
        let starts_quote = (lower.starts_with("on ") && lower.ends_with("wrote:"))
            || (lower.starts_with("pada ") && lower.ends_with("menulis:"))
            || lower.starts_with("-----original message")
            || lower.starts_with("---------- forwarded message")
            || lower.starts_with("-----pesan asli");
        if starts_quote || line == "-- " || t == "--" {
            break;
        }
        if t.starts_with('>') {
            continue;
        }
        kept.push(line.trim_end());
    }
    let text = kept.join("\n");
    let text = text.trim();
    // blank lines collapsed to one: HTML turned into text leaves many
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_end().to_string()
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A subject without the `Re:`/`Fwd:`/`Bls:` prefixes mail programs add.
fn bare_subject(subject: &str) -> &str {
    let mut s = subject.trim();
    loop {
        let lower = s.to_ascii_lowercase();
        let Some(p) = ["re:", "fwd:", "fw:", "aw:", "bls:", "balas:", "tr:"]
            .iter()
            .find(|p| lower.starts_with(*p))
        else {
            return s;
        };
        s = s[p.len()..].trim_start();
    }
}

/// The kind a subject asks for with a leading word (`Aspirasi: …`, `Informasi: …`,
/// `Permohonan: …`); a complaint otherwise, and the subject without that word.
fn kind_of(subject: &str) -> (RequestKind, &str) {
    let lower = subject.to_lowercase();
    for (word, kind) in [
        ("aspirasi:", RequestKind::Aspirasi),
        ("informasi:", RequestKind::PermintaanInformasi),
        ("permohonan:", RequestKind::Permohonan),
        ("pengaduan:", RequestKind::Pengaduan),
    ] {
        if lower.starts_with(word) && subject.is_char_boundary(word.len()) {
            return (kind, subject[word.len()..].trim());
        }
    }
    (RequestKind::Pengaduan, subject)
}

/// The request a first message files: the subject as its title (else the description's first
/// line), the body as its description (the subject's words too when the body is short), the
/// sender as the contact. No place: the desk or the reporter adds it.
pub fn new_request(m: &Inbound) -> Result<NewRequest, MailError> {
    let (kind, subject) = kind_of(bare_subject(&m.subject));
    let mut description: String = m.text.trim().chars().take(MAX_DESCRIPTION).collect();
    if description.chars().count() < MIN_DESCRIPTION && !subject.is_empty() {
        // a subject has no length limit of its own: the description's bound holds
        description = format!("{subject}\n\n{description}")
            .trim()
            .chars()
            .take(MAX_DESCRIPTION)
            .collect();
    }
    if description.chars().count() < MIN_DESCRIPTION {
        return Err(MailError::TooShort);
    }
    let title = if subject.is_empty() {
        crate::conversation::title_from(&description)
    } else {
        subject.chars().take(MAX_TITLE).collect()
    };
    Ok(NewRequest {
        kind,
        service_code: None,
        title,
        description,
        latitude: None,
        longitude: None,
        location_address: None,
        district_code: None,
        village_code: None,
        contact: ReporterContact {
            name: m.from_name.clone(),
            email: Some(m.from.clone()),
            phone: None,
        },
        chat: None,
        anonymous: false,
        confidential: false,
        answers: Vec::new(),
    })
}

/// The reply's text for the thread, with the subject when the body is empty, bounded.
pub fn thread_text(m: &Inbound) -> String {
    let text = if m.text.trim().is_empty() {
        bare_subject(&m.subject).to_string()
    } else {
        m.text.clone()
    };
    text.trim()
        .chars()
        .take(crate::request::thread::MAX_MESSAGE_CHARS)
        .collect()
}

/// The answer once a reporter's email is on the thread: subject and body.
pub fn passed_on(code: &str) -> (String, String) {
    (
        format!("Laporan {code}: pesan diteruskan / message passed on"),
        format!(
            "Pesan Anda sudah kami teruskan ke petugas laporan {code}. Untuk laporan baru, \
             kirim email baru (bukan balasan).\n\nYour message was passed on to the officer of \
             request {code}. To file a new request, send a new email (not a reply).\n"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: &str = "From: Ni Luh Sari <Luh.Sari@Contoh.id>\r\n\
To: lapor@badungkab.go.id\r\n\
Subject: Lampu jalan mati di Jl. Raya Kuta\r\n\
Message-ID: <abc123@contoh.id>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Sudah tiga malam lampu jalan di depan pura mati, jalan gelap sekali.\r\n\
\r\n\
-- \r\n\
Luh Sari, 0812 3456 7890\r\n\
--b1\r\n\
Content-Type: image/png; name=\"lampu.png\"\r\n\
Content-Disposition: attachment; filename=\"lampu.png\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
iVBORw0KGgo=\r\n\
--b1\r\n\
Content-Type: application/pdf; name=\"surat.pdf\"\r\n\
Content-Disposition: attachment; filename=\"surat.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0=\r\n\
--b1--\r\n";

    #[test]
    fn a_first_message_becomes_a_request_with_its_image() {
        let m = parse(FIRST.as_bytes()).unwrap();
        assert_eq!(m.message_id, "abc123@contoh.id");
        assert_eq!(m.from, "luh.sari@contoh.id");
        assert_eq!(m.from_name.as_deref(), Some("Ni Luh Sari"));
        assert_eq!(
            m.text,
            "Sudah tiga malam lampu jalan di depan pura mati, jalan gelap sekali."
        );
        assert_eq!(m.images, vec![b"\x89PNG\r\n\x1a\n".to_vec()]);
        assert_eq!(m.left_out, 1, "the PDF");
        assert!(m.codes.is_empty() && !m.automatic);
        let r = new_request(&m).unwrap();
        assert_eq!(r.kind, RequestKind::Pengaduan);
        assert_eq!(r.title, "Lampu jalan mati di Jl. Raya Kuta");
        assert!(!r.description.contains("0812"), "the signature is cut");
        assert_eq!(r.contact.email.as_deref(), Some("luh.sari@contoh.id"));
        assert!(!r.anonymous && !r.confidential && r.chat.is_none());
    }

    #[test]
    fn a_reply_names_its_request_by_message_id_or_subject() {
        let reply = "From: luh.sari@contoh.id\r\nSubject: Re: kabar\r\n\
In-Reply-To: <BDG-26-7K3Q9.17a.0.ff@badungkab.go.id>\r\n\
References: <x@y> <BDG-26-7K3Q9.17a.0.ff@badungkab.go.id>\r\n\r\n\
Masih mati sampai malam ini.\r\n\r\nOn Mon, 7 Dec 2026, kotapintar wrote:\r\n> Pesan petugas\r\n";
        let m = parse(reply.as_bytes()).unwrap();
        assert_eq!(m.codes, vec!["BDG-26-7K3Q9".to_string()]);
        assert_eq!(m.text, "Masih mati sampai malam ini.");
        assert_eq!(thread_text(&m), "Masih mati sampai malam ini.");
        let by_subject =
            "From: a@contoh.id\r\nSubject: Re: Laporan bdg-26-7k3q9: pesan petugas\r\n\r\nya\r\n";
        let m = parse(by_subject.as_bytes()).unwrap();
        assert_eq!(m.codes, vec!["BDG-26-7K3Q9".to_string()]);
        assert_eq!(
            message_id_local("Laporan BDG-26-7K3Q9 diterima").as_deref(),
            Some("BDG-26-7K3Q9")
        );
        assert_eq!(message_id_local("Ringkasan mingguan"), None);
    }

    #[test]
    fn robots_bad_senders_and_empty_messages_are_told_apart() {
        let bounce = "From: MAILER-DAEMON@contoh.id\r\nSubject: Undelivered\r\n\r\nx\r\n";
        assert!(parse(bounce.as_bytes()).unwrap().automatic);
        let vacation =
            "From: a@contoh.id\r\nAuto-Submitted: auto-replied\r\nSubject: Cuti\r\n\r\nx\r\n";
        assert!(parse(vacation.as_bytes()).unwrap().automatic);
        let person = "From: a@contoh.id\r\nAuto-Submitted: no\r\nSubject: Halo\r\n\r\nx\r\n";
        assert!(!parse(person.as_bytes()).unwrap().automatic);
        assert_eq!(parse(b"just some bytes"), Err(MailError::NotAMessage));
        assert_eq!(
            parse(b"From: nobody\r\nSubject: x\r\n\r\nx\r\n"),
            Err(MailError::NoSender)
        );
        let short = parse(b"From: a@contoh.id\r\nSubject: Re: \r\n\r\nok\r\n").unwrap();
        assert_eq!(new_request(&short), Err(MailError::TooShort));
        let big = vec![b'a'; MAX_MESSAGE_BYTES + 1];
        assert_eq!(parse(&big), Err(MailError::TooLarge));
    }

    #[test]
    fn without_a_message_id_the_same_bytes_are_the_same_message() {
        let raw = b"From: a@contoh.id\r\nSubject: Jalan rusak parah\r\n\r\nBerlubang besar di depan pasar.\r\n";
        let (a, b) = (parse(raw).unwrap(), parse(raw).unwrap());
        assert!(a.message_id.starts_with("sha256:"));
        assert_eq!(a.message_id, b.message_id);
    }

    #[test]
    fn the_subject_chooses_the_kind_and_a_short_body_borrows_the_subject() {
        let raw =
            b"From: a@contoh.id\r\nSubject: Fwd: Aspirasi: taman bermain di Kuta\r\n\r\nMohon.\r\n";
        let r = new_request(&parse(raw).unwrap()).unwrap();
        assert_eq!(r.kind, RequestKind::Aspirasi);
        assert_eq!(r.title, "taman bermain di Kuta");
        assert_eq!(r.description, "taman bermain di Kuta\n\nMohon.");
        let long = format!(
            "From: a@contoh.id\r\nSubject: {}\r\n\r\nok\r\n",
            "kata ".repeat(3000)
        );
        let r = new_request(&parse(long.as_bytes()).unwrap()).unwrap();
        assert_eq!(r.description.chars().count(), MAX_DESCRIPTION);
        assert_eq!(r.title.chars().count(), MAX_TITLE);
        let html = b"From: a@contoh.id\r\nSubject: \r\nContent-Type: text/html\r\n\r\n<p>Got besar di <b>Jl. Sunset Road</b> dekat lampu merah</p>\r\n";
        let r = new_request(&parse(html).unwrap()).unwrap();
        assert!(
            r.title.starts_with("Got besar di Jl. Sunset Road"),
            "{}",
            r.title
        );
    }
}
