//! `kotapintar intake email`: one message on standard input, as Postfix (`pipe`) or Exim
//! (`pipe` transport) deliver mail to a program. A first message files a request (its
//! notice with the code and the private link goes out by SMTP through the job queue, like the
//! web form's); a reply to a notice lands on its request's thread. Why email is filed
//! directly rather than through the chat conversation: `domain::mail`.
//!
//! The exit status is what the MTA acts on (sysexits.h): 0 the message is taken (or was
//! before, or is an auto-reply that must not be answered); 65 it can never be taken (the MTA
//! returns it to the sender with our reason); 75 not now (storage, configuration): the MTA
//! keeps it and delivers it again later, so nothing is lost.

use crate::config::Settings;
use kotapintar_domain::job::{Email, Job};
use kotapintar_domain::mail::{self, MailError};
use kotapintar_domain::request::thread::Via;
use kotapintar_storage::requests::{self, ChatAnswer, PhotoFile};
use kotapintar_storage::{channels, media, StorageError, Store};
use std::io::Read;
use std::process::ExitCode;

/// sysexits.h `EX_DATAERR`: the message is wrong; the MTA bounces it.
pub const EX_DATAERR: u8 = 65;
/// sysexits.h `EX_TEMPFAIL`: try again later; the MTA keeps the message.
pub const EX_TEMPFAIL: u8 = 75;

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// A new request with this code.
    Filed(String),
    /// Added to the thread of the request with this code.
    OnThread(String),
    /// Delivered before (same `Message-ID`): nothing done again.
    Repeated,
    /// An auto-reply, a bounce or a list message: dropped unanswered.
    Automatic,
}

/// Why a message was not taken.
#[derive(Debug, thiserror::Error)]
pub enum NotTaken {
    /// It never will be: returned to the sender with this reason.
    #[error("{0}")]
    Refused(String),
    /// Not now: the MTA tries again.
    #[error("cannot take the message now: {0}")]
    NotNow(String),
}

impl NotTaken {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Refused(_) => EX_DATAERR,
            Self::NotNow(_) => EX_TEMPFAIL,
        }
    }
}

impl From<MailError> for NotTaken {
    fn from(e: MailError) -> Self {
        Self::Refused(e.to_string())
    }
}

impl From<StorageError> for NotTaken {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Invalid(errors) => Self::Refused(format!(
                "the request was not accepted: {}",
                errors
                    .0
                    .iter()
                    .map(|f| format!("{}: {}", f.field, super::describe_field(f.code)))
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            e => Self::NotNow(e.to_string()),
        }
    }
}

/// The command: settings, database, standard input; every failure becomes an exit status.
pub async fn run(settings: anyhow::Result<Settings>) -> ExitCode {
    let outcome = async {
        let settings = settings.map_err(|e| NotTaken::NotNow(format!("settings: {e:#}")))?;
        let raw = tokio::task::spawn_blocking(|| {
            let mut raw = Vec::new();
            std::io::stdin()
                .take(mail::MAX_MESSAGE_BYTES as u64 + 1)
                .read_to_end(&mut raw)
                .map(|_| raw)
        })
        .await
        .map_err(|e| NotTaken::NotNow(e.to_string()))?
        .map_err(|e| NotTaken::NotNow(format!("reading standard input: {e}")))?;
        let store = super::open(&settings)
            .await
            .map_err(|e| NotTaken::NotNow(format!("{e:#}")))?;
        let taken = email(&store, &settings, &raw).await;
        store.close().await;
        taken
    }
    .await;
    match outcome {
        Ok(t) => {
            match t {
                Taken::Filed(code) => println!("filed as request {code}"),
                Taken::OnThread(code) => println!("added to the thread of request {code}"),
                Taken::Repeated => println!("delivered before: nothing done again"),
                Taken::Automatic => println!("an automatic message: dropped"),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            // the MTA puts this into the bounce (65) or its log (75)
            eprintln!("kotapintar: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Takes one raw message (what the command does after opening the database).
pub async fn email(store: &Store, settings: &Settings, raw: &[u8]) -> Result<Taken, NotTaken> {
    let m = mail::parse(raw)?;
    if m.automatic {
        return Ok(Taken::Automatic);
    }
    let seen = channels::email_received(store, &m.message_id, chrono::Utc::now()).await?;
    if seen.processed {
        return Ok(Taken::Repeated);
    }
    if seen.filed.is_some() {
        // an earlier run filed it (and queued its notice) and stopped before marking it
        channels::skip(store, seen.id).await?;
        return Ok(Taken::Repeated);
    }
    let photos = clean(m.images.clone()).await?;
    let uploads = settings.data_dir.join("uploads");
    let rules = &settings.rules;
    if let Some(request) = requests::answered_by_email(store, &m.codes, &m.from).await? {
        let text = mail::thread_text(&m);
        let answer = ChatAnswer {
            request,
            via: Via::Email,
            text: &text,
            photos: &photos,
        };
        let to = m.from.clone();
        let acknowledge = |code: &str| {
            let (subject, body_text) = mail::passed_on(code);
            Job::SendEmail(Email {
                to,
                subject,
                body_text,
            })
        };
        let saved =
            channels::finish_on_thread(store, rules, &uploads, seen.id, &answer, acknowledge)
                .await?;
        return Ok(saved.map_or(Taken::Repeated, Taken::OnThread));
    }
    let req = mail::new_request(&m)?;
    let calendar = kotapintar_storage::holidays::calendar(store).await?;
    let done =
        requests::submit_from_chat(store, rules, &calendar, &uploads, req, photos, seen.id).await?;
    channels::skip(store, seen.id).await?;
    Ok(Taken::Filed(done.code))
}

/// Checks and cleans image attachments like the web form's uploads; one that is not a photo
/// we take (type, damage) is left out, the others go on.
async fn clean(images: Vec<Vec<u8>>) -> Result<Vec<PhotoFile>, NotTaken> {
    tokio::task::spawn_blocking(move || {
        images
            .iter()
            .filter(|b| b.len() <= media::MAX_PHOTO_BYTES)
            .filter_map(|b| media::clean_photo(b).ok())
            .map(PhotoFile::from)
            .collect()
    })
    .await
    .map_err(|e| NotTaken::NotNow(format!("photo check: {e}")))
}
