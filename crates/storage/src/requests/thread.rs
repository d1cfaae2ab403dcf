//! The request's thread: staff write to the reporter (queued to the chat, the email or the
//! phone in the transaction that stores the message), and the reporter answers by chat or
//! through the private link. Staff only: nothing here is read by a public page, feed, API or
//! export.

use super::*;
use crate::audit::{self, AuditActor, Change};
use crate::entity::{request_message, request_message_photo};
use crate::{notices, Result, StorageError, Store};
use chrono::{DateTime, Duration, Utc};
use kotapintar_domain::conversation::ChatContact;
use kotapintar_domain::ids::RequestId;
use kotapintar_domain::request::thread::{self, Direction, Reach, ReplyRefusal, Via, Written};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use std::path::Path;

/// What the reporter's side is called on the thread.
pub const REPORTER: &str = "pelapor";

/// One message of a request's thread.
#[derive(Debug, Clone)]
pub struct ThreadMessage {
    pub id: i64,
    pub direction: Direction,
    pub via: Option<Via>,
    /// The staff member's username, or [`REPORTER`].
    pub author: String,
    pub body: String,
    pub at: DateTime<Utc>,
    /// Ids of the photos sent with it (served to staff by `thread_photo`).
    pub photos: Vec<i64>,
}

impl ThreadMessage {
    pub fn to_reporter(&self) -> bool {
        self.direction == Direction::ToReporter
    }
}

/// A request's thread as staff see it, and where a new message would go.
pub struct Thread {
    pub messages: Vec<ThreadMessage>,
    /// `None`: the reporter left no contact (or it was erased).
    pub route: Option<Via>,
}

fn reach_of(row: &request::Model) -> Reach {
    Reach {
        chat: notices::chat_of(row).map(|c| c.channel),
        email: row.reporter_email.is_some(),
        phone: row.reporter_phone.is_some(),
    }
}

fn refused(r: ReplyRefusal) -> StorageError {
    match r {
        ReplyRefusal::Forbidden => StorageError::Forbidden,
        ReplyRefusal::Hidden => StorageError::NotFound,
        ReplyRefusal::Field { field, code } => StorageError::field(field, code),
    }
}

/// Staff write to the reporter: the message is stored, queued to where the request came from
/// and audited, together.
pub async fn reply(
    store: &Store,
    rules: &RequestRules,
    actor: &Actor,
    id: RequestId,
    text: &str,
) -> Result<Via> {
    let tx = store.writer.begin().await?;
    let row = request::Entity::find_by_id(id.0)
        .one(&tx)
        .await?
        .ok_or(StorageError::NotFound)?;
    let handling = handling_units(&tx, row.id).await?;
    let (text, via) = thread::staff_reply(actor, &handling, row.confidential, reach_of(&row), text)
        .map_err(refused)?;
    let now = Utc::now();
    let message = request_message::ActiveModel {
        request_id: Set(row.id),
        direction: Set(Direction::ToReporter.as_str().into()),
        via: Set(via.as_str().into()),
        author_user_id: Set((actor.user_id.0 > 0).then_some(actor.user_id.0)),
        author_name: Set(actor.username.as_str().chars().take(100).collect()),
        body: Set(text.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let code = &row.tracking_code;
    match via {
        Via::Chat(_) => {
            if let Some(contact) = notices::chat_of(&row) {
                notices::chat(&tx, contact, &thread::chat_text(code, &text)).await?;
            }
        }
        Via::Email => {
            if let Some(email) = &row.reporter_email {
                // a rahasia request has no public page to point to
                let link = if row.confidential {
                    String::new()
                } else {
                    public_link(rules, code)
                };
                let (subject, body) = thread::email_text(code, &text, &link);
                notices::email(&tx, email, &subject, &body).await?;
            }
        }
        Via::Phone => {
            if let Some(phone) = &row.reporter_phone {
                notices::message(&tx, phone, &thread::phone_text(code, &text)).await?;
            }
        }
        Via::Web => {}
    }
    // the words stay on the thread; the audit log records that and how it was sent
    audit::append(
        &tx,
        &actor.into(),
        Change::new("request.reply", "request", row.id).after(&serde_json::json!({
            "message": message.id,
            "via": via.as_str(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(via)
}

async fn messages_of(db: &impl ConnectionTrait, request_id: i64) -> Result<Vec<ThreadMessage>> {
    let rows = request_message::Entity::find()
        .filter(request_message::Column::RequestId.eq(request_id))
        .order_by_asc(request_message::Column::CreatedAt)
        .order_by_asc(request_message::Column::Id)
        .all(db)
        .await?;
    let photos = request_message_photo::Entity::find()
        .filter(request_message_photo::Column::RequestId.eq(request_id))
        .order_by_asc(request_message_photo::Column::Position)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|m| {
            Ok(ThreadMessage {
                id: m.id,
                direction: Direction::parse(&m.direction).ok_or_else(|| {
                    StorageError::Other(format!("corrupt direction of message {}", m.id))
                })?,
                via: Via::parse(&m.via),
                author: m.author_name,
                body: m.body,
                at: m.created_at,
                photos: photos
                    .iter()
                    .filter(|p| p.message_id == m.id)
                    .map(|p| p.id)
                    .collect(),
            })
        })
        .collect()
}

/// The units that handle a request now or handled it once (they still read it).
async fn ever_handled(db: &impl ConnectionTrait, id: i64) -> Result<Vec<UnitId>> {
    Ok(request_unit::Entity::find()
        .filter(request_unit::Column::RequestId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|d| UnitId(d.unit_id))
        .collect())
}

/// A request's thread for a staff member who may see the request (as `staff_view`).
pub async fn thread(store: &Store, actor: &Actor, id: RequestId) -> Result<Thread> {
    let row = request::Entity::find_by_id(id.0)
        .one(&store.reader)
        .await?
        .ok_or(StorageError::NotFound)?;
    let ever = ever_handled(&store.reader, row.id).await?;
    if !actor.can_view_request(&ever) {
        return Err(refusal(
            &row,
            actor,
            &handling_units(&store.reader, row.id).await?,
        ));
    }
    Ok(Thread {
        messages: messages_of(&store.reader, row.id).await?,
        route: reach_of(&row).route(),
    })
}

/// A thread photo's file (its thumbnail with `thumb`), for a staff member who may see the
/// request; the public never reaches it.
pub async fn thread_photo(
    store: &Store,
    actor: &Actor,
    id: RequestId,
    photo: i64,
    thumb: bool,
) -> Result<(String, String)> {
    let p = request_message_photo::Entity::find_by_id(photo)
        .filter(request_message_photo::Column::RequestId.eq(id.0))
        .one(&store.reader)
        .await?
        .ok_or(StorageError::NotFound)?;
    let ever = ever_handled(&store.reader, id.0).await?;
    if !actor.can_view_request(&ever) {
        return Err(StorageError::NotFound);
    }
    Ok(if thumb {
        ("image/jpeg".into(), p.thumb_name)
    } else {
        (p.mime, p.file_name)
    })
}

/// The thread as the reporter reads it on their private link.
pub async fn reporter_thread(store: &Store, code: &str, token: &str) -> Result<Vec<ThreadMessage>> {
    let row = reporter::by_token(&store.reader, code, token).await?;
    messages_of(&store.reader, row.id).await
}

/// The reporter answers through their private link.
pub async fn reporter_reply(
    store: &Store,
    rules: &RequestRules,
    code: &str,
    token: &str,
    text: &str,
) -> Result<()> {
    let text = thread::checked_text(text).map_err(|c| StorageError::field("message", c))?;
    let tx = store.writer.begin().await?;
    let row = reporter::by_token(&tx, code, token).await?;
    let now = Utc::now();
    let today = request_message::Entity::find()
        .filter(request_message::Column::RequestId.eq(row.id))
        .filter(request_message::Column::Direction.eq(Direction::FromReporter.as_str()))
        .filter(request_message::Column::CreatedAt.gt(now - Duration::days(1)))
        .count(&tx)
        .await?;
    if today >= thread::MAX_WEB_REPLIES_PER_DAY {
        return Err(StorageError::field("message", "too_many_messages"));
    }
    add_from_reporter(&tx, rules, &row, Via::Web, &text, Vec::new(), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Stores a reporter's message (and its photos' records), tells the handling units, and
/// audits it, in the caller's transaction.
async fn add_from_reporter(
    tx: &DatabaseTransaction,
    rules: &RequestRules,
    row: &request::Model,
    via: Via,
    text: &str,
    photos: Vec<request_photo_row::Row>,
    now: DateTime<Utc>,
) -> Result<i64> {
    let message = request_message::ActiveModel {
        request_id: Set(row.id),
        direction: Set(Direction::FromReporter.as_str().into()),
        via: Set(via.as_str().into()),
        author_user_id: Set(None),
        author_name: Set(REPORTER.into()),
        body: Set(text.into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    for p in photos {
        let mut p = p.into_message_photo();
        p.message_id = Set(message.id);
        p.request_id = Set(row.id);
        p.insert(tx).await?;
    }
    for u in handling_units(tx, row.id).await? {
        if let Some(email) = unit_row(tx, u).await?.email {
            let (subject, body) = notices::to_unit(
                &row.tracking_code,
                "Pelapor menjawab",
                "The reporter answered",
                &row.title,
                &staff_link(rules, row.id),
            );
            notices::email(tx, &email, &subject, &body).await?;
        }
    }
    audit::append(
        tx,
        &AuditActor::System("reporter".into()),
        Change::new("request.reporter_message", "request", row.id).after(&serde_json::json!({
            "message": message.id,
            "via": via.as_str(),
        })),
    )
    .await?;
    Ok(message.id)
}

/// The requests that came from a chat, with when staff last wrote to it about each (the
/// facts of `thread::answers`).
pub async fn written_to_chat(store: &Store, contact: &ChatContact) -> Result<Vec<Written>> {
    let rows = request::Entity::find()
        .filter(request::Column::ReporterChatChannel.eq(contact.channel.as_str()))
        .filter(request::Column::ReporterChatId.eq(contact.id.as_str()))
        .all(&store.writer)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let sent = request_message::Entity::find()
        .filter(request_message::Column::RequestId.is_in(rows.iter().map(|r| r.id)))
        .filter(request_message::Column::Direction.eq(Direction::ToReporter.as_str()))
        .filter(request_message::Column::Via.eq(contact.channel.as_str()))
        .all(&store.writer)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Written {
            request: RequestId(r.id),
            last_at: sent
                .iter()
                .filter(|m| m.request_id == r.id)
                .map(|m| m.created_at)
                .max(),
            code: r.tracking_code,
        })
        .collect())
}

/// The request a reporter's email answers: the first of the codes it refers to
/// (`domain::mail::Inbound::codes`) whose reporter gave this sender's address. A code from a
/// stranger's address answers nothing (anyone can read a public code): that message is filed
/// as a request of its own instead.
pub async fn answered_by_email(
    store: &Store,
    codes: &[String],
    from: &str,
) -> Result<Option<RequestId>> {
    if codes.is_empty() {
        return Ok(None);
    }
    let rows = request::Entity::find()
        .filter(request::Column::TrackingCode.is_in(codes.iter().map(String::as_str)))
        .all(&store.writer)
        .await?;
    Ok(codes.iter().find_map(|c| {
        rows.iter()
            .find(|r| &r.tracking_code == c)
            .filter(|r| {
                r.reporter_email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(from))
            })
            .map(|r| RequestId(r.id))
    }))
}

/// A reporter's chat message (or email) that answers a request, with its photos (cleaned
/// already).
pub struct ChatAnswer<'a> {
    pub request: RequestId,
    /// The chat or `Via::Email`.
    pub via: Via,
    pub text: &'a str,
    pub photos: &'a [PhotoFile],
}

/// Puts a reporter's chat message on its request's thread, in the caller's transaction;
/// photo files are written first and removed again unless `pending` is kept after the
/// caller's commit. The request's code.
pub(crate) async fn add_from_chat(
    tx: &DatabaseTransaction,
    rules: &RequestRules,
    uploads: &Path,
    a: &ChatAnswer<'_>,
    pending: &mut PendingThreadFiles,
) -> Result<String> {
    let row = request::Entity::find_by_id(a.request.0)
        .one(tx)
        .await?
        .ok_or(StorageError::NotFound)?;
    let now = Utc::now();
    let rows = write_photo_files(uploads, now, a.photos, 0, &mut pending.0)?
        .into_iter()
        .map(request_photo_row::Row)
        .collect();
    let text: String = a
        .text
        .trim()
        .chars()
        .take(thread::MAX_MESSAGE_CHARS)
        .collect();
    add_from_reporter(tx, rules, &row, a.via, &text, rows, now).await?;
    Ok(row.tracking_code)
}

/// Photo files written for a thread message that is not yet committed.
pub struct PendingThreadFiles(PendingFiles);

impl PendingThreadFiles {
    pub(crate) fn new() -> Self {
        Self(PendingFiles(Vec::new()))
    }

    pub(crate) fn keep(self) {
        self.0.keep();
    }
}

/// A photo record written by `write_photo_files`, moved to the thread's table.
mod request_photo_row {
    use crate::entity::{request_message_photo, request_photo};
    use sea_orm::ActiveValue;

    pub struct Row(pub request_photo::ActiveModel);

    fn take<T: Into<sea_orm::Value> + Clone>(v: &ActiveValue<T>) -> ActiveValue<T> {
        match v {
            ActiveValue::Set(x) | ActiveValue::Unchanged(x) => ActiveValue::Set(x.clone()),
            ActiveValue::NotSet => ActiveValue::NotSet,
        }
    }

    impl Row {
        pub fn into_message_photo(self) -> request_message_photo::ActiveModel {
            let p = self.0;
            request_message_photo::ActiveModel {
                position: take(&p.position),
                mime: take(&p.mime),
                file_name: take(&p.file_name),
                thumb_name: take(&p.thumb_name),
                width: take(&p.width),
                height: take(&p.height),
                bytes: take(&p.bytes),
                ..Default::default()
            }
        }
    }
}
