//! Erasing a reporter's personal data reaches everything kept about them, not only the
//! request's contact fields: their messages on the thread (text and photos), the staff
//! messages written to them (their name and any number or address in it), and the raw chat
//! updates the request was filed from. Staff-only data is personal data too (UU PDP): the
//! erasure is the reporter's right whoever may read it.

use crate::entity::{channel_update, request_message, request_message_photo};
use crate::Result;
use kotapintar_domain::privacy;
use kotapintar_domain::request::thread::Direction;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};
use std::path::Path;

/// The stored chat update that stands for one whose content is erased: the provider's id
/// stays, so a late replay of the same delivery is still recognised and processed once.
pub const ERASED_PAYLOAD: &str = "{}";

/// Photo files whose rows an erasure deleted, removed from disk after its commit (a rolled
/// back erasure must find its files where they were). Paths relative to the uploads
/// directory.
#[derive(Debug, Default, PartialEq, Eq)]
#[must_use = "the files are only removed by `remove`"]
pub struct ErasedPhotos(Vec<String>);

impl ErasedPhotos {
    pub fn add(&mut self, other: ErasedPhotos) {
        self.0.extend(other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Removes the files; one already gone is not an error. Returns how many were removed.
    pub fn remove(self, uploads: &Path) -> usize {
        let mut removed = 0;
        for rel in self.0 {
            // only names this module read from the database, made by `write_photo_files`
            if rel.split('/').any(|part| part == ".." || part.is_empty()) {
                continue;
            }
            match std::fs::remove_file(uploads.join(&rel)) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(error = %e, file = %rel, "an erased photo was not removed")
                }
            }
        }
        removed
    }
}

/// In the erasure's transaction, while the reporter's `names` are still known: the reporter's
/// messages lose their text and photos, staff messages have the names and contact details
/// masked, and the chat updates the request was filed from keep only their provider id.
pub(super) async fn erase_reporter_traces(
    tx: &DatabaseTransaction,
    request_id: i64,
    names: &[&str],
) -> Result<ErasedPhotos> {
    let mut photos = ErasedPhotos::default();
    let messages = request_message::Entity::find()
        .filter(request_message::Column::RequestId.eq(request_id))
        .all(tx)
        .await?;
    for m in messages {
        let from_reporter = m.direction == Direction::FromReporter.as_str();
        let body = if from_reporter {
            String::new()
        } else {
            privacy::mask_names(&m.body, names)
        };
        if body != m.body {
            let mut am: request_message::ActiveModel = m.clone().into();
            am.body = Set(body);
            am.update(tx).await?;
        }
        if from_reporter {
            for p in request_message_photo::Entity::find()
                .filter(request_message_photo::Column::MessageId.eq(m.id))
                .all(tx)
                .await?
            {
                photos.0.push(p.file_name);
                photos.0.push(p.thumb_name);
            }
            request_message_photo::Entity::delete_many()
                .filter(request_message_photo::Column::MessageId.eq(m.id))
                .exec(tx)
                .await?;
        }
    }
    channel_update::Entity::update_many()
        .col_expr(
            channel_update::Column::Payload,
            sea_orm::sea_query::Expr::value(ERASED_PAYLOAD),
        )
        .filter(channel_update::Column::FiledRequestId.eq(request_id))
        .exec(tx)
        .await?;
    Ok(photos)
}
