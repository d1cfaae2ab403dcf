//! Validated closure (issue 21): a service's settings, kept by Kominfo on the service's
//! catalogue page, and the facts the workflow needs to decide a resolution or a validation.

use crate::audit::{self, AuditActor, Change};
use crate::entity::{request, request_event, service_closure};
use crate::{Result, Store};
use chrono::Utc;
use kotapintar_domain::request::workflow::ClosureFacts;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde::Serialize;

/// A service's validated-closure settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ServiceClosure {
    /// A resolution waits for the central desk before the reporter is asked to confirm.
    pub validate: bool,
    /// Photos of the result are required (complaints about physical things).
    pub photos_required: bool,
}

/// The settings of a service (neither required when never set).
pub async fn of_service(db: &impl ConnectionTrait, service_id: i64) -> Result<ServiceClosure> {
    Ok(service_closure::Entity::find_by_id(service_id)
        .one(db)
        .await?
        .map(|m| ServiceClosure {
            validate: m.validate,
            photos_required: m.photos_required,
        })
        .unwrap_or_default())
}

/// Sets a service's settings, audited. The caller has checked the permission and that the
/// service exists.
pub async fn set(
    store: &Store,
    actor: &AuditActor,
    service_id: i64,
    to: ServiceClosure,
) -> Result<()> {
    let tx = store.writer.begin().await?;
    let before = of_service(&tx, service_id).await?;
    let existing = service_closure::Entity::find_by_id(service_id)
        .one(&tx)
        .await?;
    let m = service_closure::ActiveModel {
        service_id: Set(service_id),
        validate: Set(to.validate),
        photos_required: Set(to.photos_required),
        updated_at: Set(Utc::now()),
    };
    if existing.is_some() {
        m.update(&tx).await?;
    } else {
        m.insert(&tx).await?;
    }
    audit::append(
        &tx,
        actor,
        Change::new("service.closure", "service", service_id)
            .before(&before)
            .after(&to),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What the workflow needs to decide a resolution or a validation of this request: its
/// service's settings, and the photos the handling unit added (`attach` entries) since the
/// follow-up was last returned, so photos of the rejected attempt do not count again.
pub async fn facts(db: &impl ConnectionTrait, row: &request::Model) -> Result<ClosureFacts> {
    let Some(service) = row.service_id else {
        return Ok(ClosureFacts::default());
    };
    let settings = of_service(db, service).await?;
    if !settings.validate && !settings.photos_required {
        return Ok(ClosureFacts::default());
    }
    let last_return = request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(row.id))
        .filter(request_event::Column::Step.eq("return_follow_up"))
        .order_by_desc(request_event::Column::Id)
        .one(db)
        .await?
        .map(|e| e.id)
        .unwrap_or(0);
    let photos = request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(row.id))
        .filter(request_event::Column::Step.eq("attach"))
        .filter(request_event::Column::Id.gt(last_return))
        .count(db)
        .await?;
    Ok(ClosureFacts {
        validate: settings.validate,
        photos_required: settings.photos_required,
        result_photos: u32::try_from(photos).unwrap_or(u32::MAX),
    })
}
