//! Area alerts by email (`domain::alerts`): subscriptions with double opt-in, and the
//! fan-out of a new public request to the confirmed subscribers of its desa and kecamatan.
//! Every email is queued as a job in the transaction that decides it; only the request's
//! public text (`requests::public_by_code`, i.e. `privacy::PublicRequest`) goes out.

use crate::entity::{area_alert_sent, area_subscription, request};
use crate::{notices, regions, requests, Result, StorageError, Store};
use chrono::{Duration, Utc};
use kotapintar_domain::alerts::{self, NewSubscription};
use kotapintar_domain::region::RegionCode;
use kotapintar_domain::request::RequestRules;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use std::collections::HashMap;

/// A pending subscription's confirmation is sent again at most this often, so the form
/// cannot be used to flood someone's mailbox.
const RESEND_AFTER: Duration = Duration::hours(1);

/// A subscription as its owner's link shows it (the address is not shown back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub area_code: String,
    pub area_name: String,
    pub confirmed: bool,
}

/// The page where the owner of a subscription confirms or ends it.
pub fn manage_link(rules: &RequestRules, token: &str) -> String {
    format!(
        "{}/langganan/{token}",
        rules.public_url.trim_end_matches('/')
    )
}

/// Records a subscription request and queues its confirmation email. An address already
/// confirmed for the area, or asked for within the hour, gets nothing new: the form answers
/// the same either way, so it tells nobody who subscribed. An address that already follows
/// `alerts::MAX_SUBSCRIPTIONS_PER_EMAIL` areas gets no new one, and is told so by email, not
/// on the form: the form's answer would tell anyone typing that address what it follows.
pub async fn subscribe(store: &Store, rules: &RequestRules, s: &NewSubscription) -> Result<()> {
    let area = regions::get(store, &s.area).await.map_err(|e| match e {
        StorageError::NotFound => StorageError::field("area", "unknown_region"),
        e => e,
    })?;
    let now = Utc::now();
    let tx = store.writer.begin().await?;
    let existing = area_subscription::Entity::find()
        .filter(area_subscription::Column::Email.eq(s.email.as_str()))
        .filter(area_subscription::Column::AreaCode.eq(s.area.as_str()))
        .one(&tx)
        .await?;
    let token = match existing {
        Some(m) if m.confirmed_at.is_some() || now - m.created_at < RESEND_AFTER => return Ok(()),
        Some(m) => {
            let token = m.token.clone();
            let mut m: area_subscription::ActiveModel = m.into();
            m.created_at = Set(now);
            m.update(&tx).await?;
            token
        }
        None => {
            let following = area_subscription::Entity::find()
                .filter(area_subscription::Column::Email.eq(s.email.as_str()))
                .count(&tx)
                .await?;
            if alerts::may_follow_another(following).is_err() {
                let (subject, body) = alerts::limit_text(&area.name);
                notices::email(&tx, &s.email, &subject, &body).await?;
                tx.commit().await?;
                return Ok(());
            }
            let token = crate::sessions::new_token();
            area_subscription::ActiveModel {
                email: Set(s.email.clone()),
                area_code: Set(s.area.as_str().into()),
                token: Set(token.clone()),
                created_at: Set(now),
                confirmed_at: Set(None),
                ..Default::default()
            }
            .insert(&tx)
            .await?;
            token
        }
    };
    let (subject, body) = alerts::confirm_text(&area.name, &manage_link(rules, &token));
    notices::email(&tx, &s.email, &subject, &body).await?;
    tx.commit().await?;
    Ok(())
}

async fn by_token_row(store: &Store, token: &str) -> Result<area_subscription::Model> {
    if token.len() != 64 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(StorageError::NotFound);
    }
    area_subscription::Entity::find()
        .filter(area_subscription::Column::Token.eq(token))
        .one(&store.writer)
        .await?
        .ok_or(StorageError::NotFound)
}

async fn view(store: &Store, m: &area_subscription::Model) -> Result<Subscription> {
    let name = match RegionCode::parse(&m.area_code) {
        Ok(c) => regions::get(store, &c).await.map(|a| a.name).ok(),
        Err(_) => None,
    };
    Ok(Subscription {
        area_code: m.area_code.clone(),
        area_name: name.unwrap_or_else(|| m.area_code.clone()),
        confirmed: m.confirmed_at.is_some(),
    })
}

/// The subscription a link's secret opens (`NotFound` for any other string).
pub async fn by_token(store: &Store, token: &str) -> Result<Subscription> {
    let m = by_token_row(store, token).await?;
    view(store, &m).await
}

/// Confirms a subscription (again is harmless).
pub async fn confirm(store: &Store, token: &str) -> Result<Subscription> {
    let m = by_token_row(store, token).await?;
    if m.confirmed_at.is_none() {
        area_subscription::Entity::update_many()
            .col_expr(
                area_subscription::Column::ConfirmedAt,
                sea_orm::sea_query::Expr::value(Utc::now()),
            )
            .filter(area_subscription::Column::Id.eq(m.id))
            .exec(&store.writer)
            .await?;
    }
    let mut s = view(store, &m).await?;
    s.confirmed = true;
    Ok(s)
}

/// Ends a subscription: the row, with the address, is deleted.
pub async fn unsubscribe(store: &Store, token: &str) -> Result<()> {
    let m = by_token_row(store, token).await?;
    area_subscription::Entity::delete_by_id(m.id)
        .exec(&store.writer)
        .await?;
    Ok(())
}

/// Whether a confirmed subscription follows the area of this new request (so intake queues
/// the fan-out only when it has someone to tell).
pub(crate) async fn anyone_follows(
    db: &impl sea_orm::ConnectionTrait,
    r: &request::Model,
) -> Result<bool> {
    let areas = alerts::areas_of(r.district_code.as_deref(), r.village_code.as_deref());
    if areas.is_empty() {
        return Ok(false);
    }
    Ok(area_subscription::Entity::find()
        .filter(area_subscription::Column::AreaCode.is_in(areas.iter().map(String::as_str)))
        .filter(area_subscription::Column::ConfirmedAt.is_not_null())
        .one(db)
        .await?
        .is_some())
}

/// Queues one alert per confirmed subscriber of a new request's desa or kecamatan (one per
/// address when both); nothing for a `rahasia` request, and nothing when this request's
/// alerts were queued before (the job run again). The number of alerts queued.
pub async fn fan_out(store: &Store, rules: &RequestRules, request_id: i64) -> Result<usize> {
    let Some(row) = request::Entity::find_by_id(request_id)
        .one(&store.reader)
        .await?
    else {
        return Ok(0);
    };
    if row.confidential {
        return Ok(0);
    }
    let Some(public) = requests::public_by_code(store, &row.tracking_code).await? else {
        return Ok(0);
    };
    let areas = alerts::areas_of(row.district_code.as_deref(), row.village_code.as_deref());
    if areas.is_empty() {
        return Ok(0);
    }
    let mut subs = area_subscription::Entity::find()
        .filter(area_subscription::Column::AreaCode.is_in(areas.iter().map(String::as_str)))
        .filter(area_subscription::Column::ConfirmedAt.is_not_null())
        .all(&store.reader)
        .await?;
    let mut names: HashMap<String, String> = HashMap::new();
    for a in &areas {
        if let Ok(c) = RegionCode::parse(a) {
            if let Ok(r) = regions::get(store, &c).await {
                names.insert(a.clone(), r.name);
            }
        }
    }
    let link = requests::public_link(rules, &public.tracking_code);
    let mut sent: Vec<&str> = Vec::new();
    let tx = store.writer.begin().await?;
    // The mark goes in with the emails: a job run again after this committed (its worker
    // stopped before marking the job done) finds it and queues nothing twice.
    let marked = area_alert_sent::Entity::insert(area_alert_sent::ActiveModel {
        request_id: Set(request_id),
        sent_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(area_alert_sent::Column::RequestId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&tx)
    .await?;
    if marked == 0 {
        return Ok(0);
    }
    // the desa's subscription first (the longer code): its name is the closer one
    subs.sort_by_key(|s| std::cmp::Reverse(s.area_code.len()));
    for s in &subs {
        if sent.contains(&s.email.as_str()) {
            continue;
        }
        let area = names.get(&s.area_code).unwrap_or(&s.area_code);
        let (subject, body) =
            alerts::alert_text(area, &public, &link, &manage_link(rules, &s.token));
        notices::email(&tx, &s.email, &subject, &body).await?;
        sent.push(&s.email);
    }
    tx.commit().await?;
    Ok(sent.len())
}
