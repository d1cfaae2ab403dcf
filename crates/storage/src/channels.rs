//! Requests by chat: the updates providers deliver, and each sender's conversation.
//!
//! A webhook only counts the update against the limits, stores it and queues its processing
//! (one transaction, shared by the webhooks that arrive together, so either all of that
//! happens or the provider is told to deliver again); the worker takes it into the
//! conversation and saves the new state, its replies and the mark that it was processed
//! together. A provider delivering the same update again finds its id taken and nothing new
//! is queued.

use crate::entity::{channel_conversation, channel_update};
use crate::{jobs, limits, Result, StorageError, Store};
use chrono::{DateTime, Utc};
use kotapintar_domain::conversation::Channel;
use kotapintar_domain::ids::RequestId;
use kotapintar_domain::job::{ChannelUpdate, Job};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryTrait, Set, TransactionTrait,
};

/// What became of a delivered update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Stored, its processing queued.
    New(i64),
    /// Seen before: nothing done.
    Repeated,
    /// Past the sender's or the channel's limit: counted, not stored.
    Limited,
}

/// One message a webhook delivered, as the provider sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub channel: Channel,
    /// The provider's id of the message: the replay key.
    pub provider_id: String,
    pub payload: String,
    /// The sender's rate counter: a keyed hash of the channel and chat id (the counter table
    /// holds no chat ids). `None`: not counted against any limit (an update with no chat).
    pub sender: Option<String>,
}

/// How many messages are taken (see `web::channels::ChannelIntake`); 0: no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChatLimits {
    pub per_sender_per_minute: u32,
    pub daily_cap: u32,
}

/// The messages of one webhook, waiting to be written with the others that arrived with it.
pub(crate) struct Webhook {
    deliveries: Vec<Delivery>,
    limits: ChatLimits,
}

/// The queue of webhooks (see [`crate::group_commit`]).
pub(crate) type UpdateQueue = crate::group_commit::GroupCommit<Webhook, Vec<Received>>;

/// At most this many webhooks in one transaction.
const UPDATE_BATCH: usize = 128;

/// A store's queue of webhooks.
pub(crate) fn update_queue() -> std::sync::Arc<UpdateQueue> {
    std::sync::Arc::new(UpdateQueue::new(UPDATE_BATCH))
}

/// Counts a webhook's messages against the limits, stores each new one and queues its
/// processing, and answers once that is committed: what is answered is durable. Webhooks
/// that arrive together share one transaction (a handful of statements for the whole batch,
/// whatever its size), so a burst of deliveries costs a commit, not three per message. The
/// answers are in the order of `deliveries`.
pub async fn receive(
    store: &Store,
    deliveries: Vec<Delivery>,
    limits: ChatLimits,
) -> Result<Vec<Received>> {
    if deliveries.is_empty() {
        return Ok(Vec::new());
    }
    let webhook = Webhook { deliveries, limits };
    // Spawned, so that a provider that hangs up does not cancel a write other webhooks share:
    // once queued, a webhook is written.
    let (queue, writer) = (store.updates.clone(), store.writer.clone());
    tokio::spawn(async move {
        queue
            .write(webhook, |batch: &[Webhook]| {
                let writer = writer.clone();
                Box::pin(async move { write_webhooks(&writer, batch).await })
            })
            .await
    })
    .await
    .map_err(|e| StorageError::Other(format!("channel update writer failed: {e}")))?
}

/// The provider id as stored (the column's length).
fn stored_id(provider_id: &str) -> String {
    provider_id.chars().take(200).collect()
}

/// Writes a batch of webhooks in one transaction: Ok only once it committed.
async fn write_webhooks(
    writer: &sea_orm::DatabaseConnection,
    batch: &[Webhook],
) -> Result<Vec<Vec<Received>>> {
    let now = Utc::now();
    let tx = writer.begin().await?;
    let all: Vec<(&Delivery, ChatLimits)> = batch
        .iter()
        .flat_map(|w| w.deliveries.iter().map(|d| (d, w.limits)))
        .collect();
    let allowed = within_limits(&tx, &all, now).await?;
    // Insert-or-ignore on (channel, provider_id): an id seen before (or twice in this batch)
    // inserts nothing, and only what was inserted is queued.
    let mut rows = Vec::new();
    let mut keys = std::collections::HashSet::new();
    for ((d, _), ok) in all.iter().zip(&allowed) {
        if *ok && keys.insert((d.channel.as_str(), stored_id(&d.provider_id))) {
            rows.push(channel_update::ActiveModel {
                channel: Set(d.channel.as_str().into()),
                provider_id: Set(stored_id(&d.provider_id)),
                payload: Set(d.payload.clone()),
                received_at: Set(now),
                processed_at: Set(None),
                ..Default::default()
            });
        }
    }
    let mut inserted = std::collections::HashMap::new();
    if !rows.is_empty() {
        let mut insert = channel_update::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    channel_update::Column::Channel,
                    channel_update::Column::ProviderId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .into_query();
        insert.returning(Query::returning().columns([
            channel_update::Column::Id,
            channel_update::Column::Channel,
            channel_update::Column::ProviderId,
        ]));
        let backend = tx.get_database_backend();
        for row in tx.query_all(backend.build(&insert)).await? {
            inserted.insert(
                (
                    row.try_get::<String>("", "channel")?,
                    row.try_get::<String>("", "provider_id")?,
                ),
                row.try_get::<i64>("", "id")?,
            );
        }
    }
    let mut jobs = Vec::with_capacity(inserted.len());
    let mut answers = Vec::with_capacity(batch.len());
    let mut flat = all.iter().zip(&allowed);
    for w in batch {
        let mut answer = Vec::with_capacity(w.deliveries.len());
        for ((d, _), ok) in flat.by_ref().take(w.deliveries.len()) {
            let key = (d.channel.as_str().to_string(), stored_id(&d.provider_id));
            answer.push(match (ok, inserted.remove(&key)) {
                (false, _) => Received::Limited,
                (true, Some(id)) => {
                    jobs.push(Job::ChannelUpdate(ChannelUpdate { update_id: id }));
                    Received::New(id)
                }
                (true, None) => Received::Repeated,
            });
        }
        answers.push(answer);
    }
    jobs::enqueue_many(&tx, &jobs, now).await?;
    tx.commit().await?;
    Ok(answers)
}

/// Counts each delivery against its channel's daily cap, then (when still under it) against
/// its sender's minute, as one upsert per counter bucket for the whole batch; `true` for each
/// delivery within both. The counts are those of delivering them one after the other in
/// order: the k-th of n hits on a counter that stands at `c` after the upsert saw `c - n + k`.
async fn within_limits(
    tx: &DatabaseTransaction,
    all: &[(&Delivery, ChatLimits)],
    now: DateTime<Utc>,
) -> Result<Vec<bool>> {
    let mut allowed = vec![true; all.len()];
    let capped = |(d, l): &(&Delivery, ChatLimits)| d.sender.is_some() && l.daily_cap > 0;
    let day = sequential_counts(tx, "chat-day", 86_400, now, all, |i| {
        capped(&all[i]).then(|| all[i].0.channel.as_str().to_string())
    })
    .await?;
    for (i, count) in day {
        if count > i64::from(all[i].1.daily_cap) {
            tracing::warn!(
                channel = all[i].0.channel.as_str(),
                "the channel's daily cap is reached"
            );
            allowed[i] = false;
        }
    }
    let minute = {
        let allowed = &allowed;
        sequential_counts(tx, "chat", 60, now, all, |i| {
            let (d, l) = &all[i];
            if !allowed[i] || l.per_sender_per_minute == 0 {
                return None;
            }
            d.sender.clone()
        })
        .await?
    };
    for (i, count) in minute {
        if count > i64::from(all[i].1.per_sender_per_minute) {
            allowed[i] = false;
        }
    }
    Ok(allowed)
}

/// Counts one hit for each delivery `subject` names, in one statement, and returns each
/// counted delivery's index with the count it saw.
async fn sequential_counts(
    tx: &DatabaseTransaction,
    bucket: &str,
    window_secs: i64,
    now: DateTime<Utc>,
    all: &[(&Delivery, ChatLimits)],
    subject: impl Fn(usize) -> Option<String>,
) -> Result<Vec<(usize, i64)>> {
    let counted: Vec<(usize, String)> = (0..all.len())
        .filter_map(|i| subject(i).map(|s| (i, s)))
        .collect();
    let mut hits: Vec<(String, i64)> = Vec::new();
    for (_, s) in &counted {
        match hits.iter_mut().find(|(h, _)| h == s) {
            Some((_, n)) => *n += 1,
            None => hits.push((s.clone(), 1)),
        }
    }
    let after = limits::hit_many(tx, bucket, &hits, window_secs, now).await?;
    Ok(one_after_another(&counted, &hits, &after))
}

/// The count each of `counted` saw: a counter's count before the batch (its count `after`
/// less the batch's `hits` on it), then one more for each delivery, in order.
fn one_after_another(
    counted: &[(usize, String)],
    hits: &[(String, i64)],
    after: &std::collections::HashMap<String, i64>,
) -> Vec<(usize, i64)> {
    let mut running: std::collections::HashMap<&str, i64> = hits
        .iter()
        .map(|(s, n)| (s.as_str(), after.get(s).copied().unwrap_or(*n) - n))
        .collect();
    counted
        .iter()
        .map(|(i, s)| {
            let c = running.entry(s.as_str()).or_insert(0);
            *c += 1;
            (*i, *c)
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::one_after_another;

    #[test]
    fn a_batch_counts_as_if_its_deliveries_came_one_after_another() {
        // counter "a" stood at 2 before the batch (5 after 3 hits), "b" was new
        let counted = [
            (0, "a".to_string()),
            (2, "b".to_string()),
            (3, "a".to_string()),
            (5, "a".to_string()),
        ];
        let hits = [("a".to_string(), 3), ("b".to_string(), 1)];
        let after = [("a".to_string(), 5), ("b".to_string(), 1)].into();
        assert_eq!(
            one_after_another(&counted, &hits, &after),
            [(0, 3), (2, 1), (3, 4), (5, 5)]
        );
    }
}
