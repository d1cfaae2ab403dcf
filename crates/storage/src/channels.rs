//! Requests by chat: the updates providers deliver, and each sender's conversation.
//!
//! A webhook only stores the update and queues its processing (one transaction, so either
//! both happen or the provider is told to deliver again); the worker takes it into the
//! conversation and saves the new state, its replies and the mark that it was processed
//! together. A provider delivering the same update again finds its id taken and nothing new
//! is queued.

use crate::entity::{channel_conversation, channel_update};
use crate::{jobs, Result, Store};
use chrono::{DateTime, Utc};
use kotapintar_domain::conversation::Channel;
use kotapintar_domain::ids::RequestId;
use kotapintar_domain::job::{ChannelUpdate, Job};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, Set, TransactionTrait,
};

/// What became of a delivered update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Stored, its processing queued.
    New(i64),
    /// Seen before: nothing done.
    Repeated,
}

/// Stores an update and queues its processing, unless this provider id was seen before.
pub async fn receive(
    store: &Store,
    channel: Channel,
    provider_id: &str,
    payload: &str,
    now: DateTime<Utc>,
) -> Result<Received> {
    let tx = store.writer.begin().await?;
    let row = channel_update::ActiveModel {
        channel: Set(channel.as_str().into()),
        provider_id: Set(provider_id.chars().take(200).collect()),
        payload: Set(payload.into()),
        received_at: Set(now),
        processed_at: Set(None),
        ..Default::default()
    };
    let inserted = channel_update::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                channel_update::Column::Channel,
                channel_update::Column::ProviderId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_with_returning(&tx)
        .await;
    let id = match inserted {
        Ok(m) => m.id,
        // what sea-orm answers when the RETURNING of a "do nothing" insert is empty
        Err(DbErr::RecordNotFound(_) | DbErr::RecordNotInserted) => {
            return Ok(Received::Repeated);
        }
        Err(e) => return Err(e.into()),
    };
    jobs::enqueue(
        &tx,
        &Job::ChannelUpdate(ChannelUpdate { update_id: id }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Received::New(id))
}

/// A stored update, as the worker reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUpdate {
    pub id: i64,
    pub channel: Option<Channel>,
    pub payload: String,
    pub processed: bool,
    /// The request this update already filed, when an earlier run stopped after filing it.
    pub filed: Option<RequestId>,
}

pub async fn update(store: &Store, id: i64) -> Result<Option<StoredUpdate>> {
    Ok(channel_update::Entity::find_by_id(id)
        .one(&store.writer)
        .await?
        .map(|m| StoredUpdate {
            id: m.id,
            channel: Channel::parse(&m.channel),
            payload: m.payload,
            processed: m.processed_at.is_some(),
            filed: m.filed_request_id.map(RequestId),
        }))
}

/// The sender's conversation as last saved (JSON of `domain::conversation::Conversation`).
pub async fn conversation(store: &Store, channel: Channel, sender: &str) -> Result<Option<String>> {
    Ok(channel_conversation::Entity::find()
        .filter(channel_conversation::Column::Channel.eq(channel.as_str()))
        .filter(channel_conversation::Column::Sender.eq(sender))
        .one(&store.writer)
        .await?
        .map(|m| m.state))
}

/// Saves what processing an update decided, together: the sender's conversation (`None`:
/// ended), the messages to send, and the mark that the update was processed. An update
/// already marked (a job run twice) changes nothing and returns `false`.
pub async fn finish(
    store: &Store,
    update_id: i64,
    channel: Channel,
    sender: &str,
    state: Option<String>,
    outgoing: &[Job],
) -> Result<bool> {
    let now = Utc::now();
    let tx = store.writer.begin().await?;
    let marked = channel_update::Entity::update_many()
        .col_expr(
            channel_update::Column::ProcessedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(channel_update::Column::Id.eq(update_id))
        .filter(channel_update::Column::ProcessedAt.is_null())
        .exec(&tx)
        .await?;
    if marked.rows_affected == 0 {
        return Ok(false);
    }
    let existing = channel_conversation::Entity::find()
        .filter(channel_conversation::Column::Channel.eq(channel.as_str()))
        .filter(channel_conversation::Column::Sender.eq(sender))
        .one(&tx)
        .await?;
    match (existing, state) {
        (Some(m), Some(state)) => {
            let mut m: channel_conversation::ActiveModel = m.into();
            m.state = Set(state);
            m.updated_at = Set(now);
            m.update(&tx).await?;
        }
        (None, Some(state)) => {
            channel_conversation::ActiveModel {
                channel: Set(channel.as_str().into()),
                sender: Set(sender.chars().take(100).collect()),
                state: Set(state),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&tx)
            .await?;
        }
        (Some(m), None) => {
            channel_conversation::Entity::delete_by_id(m.id)
                .exec(&tx)
                .await?;
        }
        (None, None) => {}
    }
    for job in outgoing {
        jobs::enqueue(&tx, job, now).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Marks an update processed with nothing else to do (not a conversation message).
pub async fn skip(store: &Store, update_id: i64) -> Result<()> {
    channel_update::Entity::update_many()
        .col_expr(
            channel_update::Column::ProcessedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(channel_update::Column::Id.eq(update_id))
        .exec(&store.writer)
        .await?;
    Ok(())
}

/// Saves a reporter's chat message that answers a request (`request::thread::answers`), with
/// its photos, the chat's acknowledgement and the update's processed mark, together. `None`
/// when the update was already processed (a job run twice); else the request's code.
pub async fn finish_on_thread(
    store: &Store,
    rules: &kotapintar_domain::request::RequestRules,
    uploads: &std::path::Path,
    update_id: i64,
    answer: &crate::requests::ChatAnswer<'_>,
    acknowledge: impl FnOnce(&str) -> Job,
) -> Result<Option<String>> {
    let tx = store.writer.begin().await?;
    let marked = channel_update::Entity::update_many()
        .col_expr(
            channel_update::Column::ProcessedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(channel_update::Column::Id.eq(update_id))
        .filter(channel_update::Column::ProcessedAt.is_null())
        .exec(&tx)
        .await?;
    if marked.rows_affected == 0 {
        return Ok(None);
    }
    let mut pending = crate::requests::PendingThreadFiles::new();
    let code = crate::requests::add_from_chat(&tx, rules, uploads, answer, &mut pending).await?;
    jobs::enqueue(&tx, &acknowledge(&code), Utc::now()).await?;
    tx.commit().await?;
    pending.keep();
    Ok(Some(code))
}

/// Forgets what providers sent in updates processed before `cutoff` (the sender's number, the
/// text, media ids), keeping each row's provider id so a very late redelivery is still
/// recognised. Returns how many were forgotten.
pub async fn forget_payloads(store: &Store, cutoff: DateTime<Utc>) -> Result<u64> {
    let r = channel_update::Entity::update_many()
        .col_expr(
            channel_update::Column::Payload,
            sea_orm::sea_query::Expr::value(crate::requests::ERASED_PAYLOAD),
        )
        .filter(channel_update::Column::ProcessedAt.lt(cutoff))
        .filter(channel_update::Column::Payload.ne(crate::requests::ERASED_PAYLOAD))
        .exec(&store.writer)
        .await?;
    Ok(r.rows_affected)
}

/// The name email intake stores in `channel_updates.channel` (not a chat `Channel`: the worker
/// skips such rows, `kotapintar intake email` does the work itself).
pub const EMAIL: &str = "email";

/// A piped email, as `channel_updates` remembers it by its `Message-ID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSeen {
    pub id: i64,
    /// Done before: nothing more to do (the MTA delivered it again).
    pub processed: bool,
    /// The request an earlier, interrupted run filed from it (its notice was queued then).
    pub filed: Option<RequestId>,
}

/// Records a piped email by its `Message-ID` (no job: the command processes it at once), or
/// finds the record of an earlier delivery. The message itself is not kept: what it says goes
/// into the request or the thread, and an interrupted run gets it again from the MTA.
pub async fn email_received(
    store: &Store,
    message_id: &str,
    now: DateTime<Utc>,
) -> Result<EmailSeen> {
    let provider_id: String = message_id.chars().take(200).collect();
    let row = channel_update::ActiveModel {
        channel: Set(EMAIL.into()),
        provider_id: Set(provider_id.clone()),
        payload: Set(String::new()),
        received_at: Set(now),
        processed_at: Set(None),
        ..Default::default()
    };
    channel_update::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                channel_update::Column::Channel,
                channel_update::Column::ProviderId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&store.writer)
        .await?;
    let m = channel_update::Entity::find()
        .filter(channel_update::Column::Channel.eq(EMAIL))
        .filter(channel_update::Column::ProviderId.eq(provider_id))
        .one(&store.writer)
        .await?
        .ok_or(crate::StorageError::NotFound)?;
    Ok(EmailSeen {
        id: m.id,
        processed: m.processed_at.is_some(),
        filed: m.filed_request_id.map(RequestId),
    })
}
