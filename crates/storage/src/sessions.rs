//! Server-side sessions, stored in the database so every node of a deployment shares them.
//! The cookie carries a random token; the table keeps only its SHA-256.

use crate::audit::{self, Change};
use crate::entity::{session, user};
use crate::users::actor_of;
use crate::{Result, Store};
use chrono::{Duration, Utc};
use kotapintar_domain::policy::Actor;
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set, TransactionTrait,
};
use sha2::{Digest, Sha256};

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Starts a session and returns the token for the cookie.
pub async fn create(store: &Store, actor: &Actor, ttl: Duration) -> Result<String> {
    let token = new_token();
    let now = Utc::now();
    let tx = store.writer.begin().await?;
    session::ActiveModel {
        id: Set(token_hash(&token)),
        user_id: Set(actor.user_id.0),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        last_seen_at: Set(now),
    }
    .insert(&tx)
    .await?;
    audit::append(
        &tx,
        &actor.into(),
        Change::new("session.login", "user", actor.user_id),
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// The signed-in staff member behind a cookie token, if the session is live and the account
/// still active. Sliding expiry: a session in use is extended, at most once a minute.
pub async fn lookup(store: &Store, token: &str, ttl: Duration) -> Result<Option<Actor>> {
    let now = Utc::now();
    let Some(s) = session::Entity::find_by_id(token_hash(token))
        .one(&store.reader)
        .await?
    else {
        return Ok(None);
    };
    if s.expires_at <= now {
        return Ok(None);
    }
    let Some(u) = user::Entity::find_by_id(s.user_id)
        .one(&store.reader)
        .await?
    else {
        return Ok(None);
    };
    if !u.active {
        return Ok(None);
    }
    if now - s.last_seen_at > Duration::minutes(1) {
        let mut m = s.into_active_model();
        m.last_seen_at = Set(now);
        m.expires_at = Set(now + ttl);
        m.update(&store.writer).await?;
    }
    Ok(Some(actor_of(&store.reader, u).await?))
}

pub async fn delete(store: &Store, actor: &Actor, token: &str) -> Result<()> {
    let tx = store.writer.begin().await?;
    session::Entity::delete_by_id(token_hash(token))
        .exec(&tx)
        .await?;
    audit::append(
        &tx,
        &actor.into(),
        Change::new("session.logout", "user", actor.user_id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends the session a browser held before it logged in again: a login always starts a new
/// session, and the old token must not live on beside it.
pub async fn discard(store: &Store, token: &str) -> Result<()> {
    session::Entity::delete_by_id(token_hash(token))
        .exec(&store.writer)
        .await?;
    Ok(())
}

pub async fn purge_expired(store: &Store) -> Result<u64> {
    Ok(session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lte(Utc::now()))
        .exec(&store.writer)
        .await?
        .rows_affected)
}
