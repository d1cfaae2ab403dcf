//! The words of notifications, and queueing them. Messages go out through the job queue,
//! enqueued in the transaction of the change they report, so a change is never announced
//! unless it happened, and a mail server that is down only delays the message.

use crate::jobs;
use crate::Result;
use chrono::Utc;
use kotapintar_domain::conversation::{Channel, ChatContact};
use kotapintar_domain::job::{ChatMessage, Email, Job, Message};
use kotapintar_domain::request::Status;
use sea_orm::ConnectionTrait;

pub use kotapintar_domain::job::{SEND_EMAIL, SEND_MESSAGE};

/// Queues one email (in the caller's transaction).
pub async fn email(db: &impl ConnectionTrait, to: &str, subject: &str, body: &str) -> Result<()> {
    let job = Job::SendEmail(Email {
        to: to.into(),
        subject: subject.into(),
        body_text: body.into(),
    });
    jobs::enqueue(db, &job, Utc::now()).await?;
    Ok(())
}

/// Queues one WhatsApp/SMS message (in the caller's transaction).
pub async fn message(db: &impl ConnectionTrait, to: &str, body: &str) -> Result<()> {
    let job = Job::SendMessage(Message {
        to: to.into(),
        body_text: body.into(),
    });
    jobs::enqueue(db, &job, Utc::now()).await?;
    Ok(())
}

/// Queues one message to a resident's chat (in the caller's transaction).
pub async fn chat(db: &impl ConnectionTrait, contact: ChatContact, text: &str) -> Result<()> {
    let job = Job::SendChat(ChatMessage {
        contact,
        text: text.into(),
        choices: Vec::new(),
    });
    jobs::enqueue(db, &job, Utc::now()).await?;
    Ok(())
}

/// The chat a request was filed from, if it still has one (erased with the contact).
pub fn chat_of(row: &crate::entity::request::Model) -> Option<ChatContact> {
    let channel = Channel::parse(row.reporter_chat_channel.as_deref()?)?;
    Some(ChatContact {
        channel,
        id: row.reporter_chat_id.clone()?,
    })
}

pub fn status_label_id(s: Status) -> &'static str {
    match s {
        Status::Diterima => "diterima",
        Status::Diverifikasi => "diverifikasi",
        Status::Ditolak => "ditolak",
        Status::Didisposisikan => "diteruskan ke perangkat daerah",
        Status::Ditindaklanjuti => "sedang ditindaklanjuti",
        Status::Selesai => "selesai",
        Status::Ditutup => "ditutup",
        Status::MenungguValidasi => "selesai ditindaklanjuti, menunggu validasi",
        Status::Dialihkan => "dialihkan ke instansi lain (bukan wewenang)",
        Status::Ditunda => "ditunda",
    }
}

pub fn status_label_en(s: Status) -> &'static str {
    match s {
        Status::Diterima => "received",
        Status::Diverifikasi => "verified",
        Status::Ditolak => "rejected",
        Status::Didisposisikan => "sent to the responsible unit",
        Status::Ditindaklanjuti => "in progress",
        Status::Selesai => "resolved",
        Status::Ditutup => "closed",
        Status::MenungguValidasi => "follow-up done, awaiting validation",
        Status::Dialihkan => "referred to another agency (not our authority)",
        Status::Ditunda => "deferred",
    }
}

/// To the reporter, after submitting: the code and the private follow-up link.
pub fn received(code: &str, follow_link: &str) -> (String, String) {
    (
        format!("Laporan {code} diterima / Request {code} received"),
        format!(
            "Terima kasih. Laporan Anda sudah kami terima dengan kode {code}.\n\
             Ikuti perkembangannya, tanggapi penyelesaiannya, dan kelola data pribadi Anda di tautan ini \
             (jangan dibagikan):\n{follow_link}\n\n\
             Thank you. Your request was received with the code {code}.\n\
             Follow it, respond to its resolution and manage your personal data at this private link:\n{follow_link}\n"
        ),
    )
}

/// To the reporter, at each public status change.
pub fn status_changed(
    code: &str,
    status: Status,
    note: Option<&str>,
    public_link: &str,
) -> (String, String) {
    let note_id = note
        .map(|n| format!("\nCatatan: {n}\n"))
        .unwrap_or_default();
    let note_en = note.map(|n| format!("\nNote: {n}\n")).unwrap_or_default();
    (
        format!(
            "Laporan {code}: {} / {}",
            status_label_id(status),
            status_label_en(status)
        ),
        format!(
            "Status laporan {code} sekarang: {}.{note_id}\nLihat: {public_link}\n\n\
             The status of request {code} is now: {}.{note_en}\nSee: {public_link}\n",
            status_label_id(status),
            status_label_en(status)
        ),
    )
}

/// To a unit, when a request is dispatched or forwarded to it, or escalated.
pub fn to_unit(
    code: &str,
    what_id: &str,
    what_en: &str,
    title: &str,
    staff_link: &str,
) -> (String, String) {
    (
        format!("[kotapintar] {code}: {what_id}"),
        format!("{what_id}: {code} \"{title}\"\n{staff_link}\n\n{what_en}: {code} \"{title}\"\n"),
    )
}
