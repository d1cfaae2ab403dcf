//! The public text of requests, stored: each request keeps its masked title, description,
//! address and response beside the raw text, and each timeline entry its masked public note
//! (`kotapintar_domain::privacy::PublicText`). Before, the public list filtered on the raw
//! text and showed the masked result, so counting results for `q=NIK 5`, `NIK 51`, ...
//! recovered a masked NIK in about 60 requests.
//!
//! The public copies of what is already stored are made here, masked with the reporter's
//! name as it is now: first copied as they are in one statement each, then rewritten only
//! where masking changes something (most text has no personal data), in batches.

use kotapintar_domain::privacy::{public_note, PublicText};
use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Requests {
    Table,
    Id,
    PublicTitle,
    PublicDescription,
    PublicLocationAddress,
    PublicResponse,
}

#[derive(DeriveIden)]
enum RequestEvents {
    Table,
    Id,
    PublicNote,
}

const BATCH: u64 = 500;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // one column per statement: SQLite alters a table one change at a time
        for (col, required) in [
            (Requests::PublicTitle, true),
            (Requests::PublicDescription, true),
            (Requests::PublicLocationAddress, false),
            (Requests::PublicResponse, false),
        ] {
            let mut def = ColumnDef::new(col);
            def.text();
            if required {
                def.not_null().default("");
            } else {
                def.null();
            }
            m.alter_table(
                Table::alter()
                    .table(Requests::Table)
                    .add_column(&mut def)
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(RequestEvents::Table)
                .add_column(ColumnDef::new(RequestEvents::PublicNote).text().null())
                .to_owned(),
        )
        .await?;

        let db = m.get_connection();
        db.execute_unprepared(
            "UPDATE requests SET public_title = title, public_description = description, \
             public_location_address = location_address, public_response = response",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE request_events SET public_note = note WHERE note_public AND note IS NOT NULL",
        )
        .await?;
        mask_requests(m).await?;
        mask_notes(m).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            Requests::PublicTitle,
            Requests::PublicDescription,
            Requests::PublicLocationAddress,
            Requests::PublicResponse,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Requests::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(RequestEvents::Table)
                .drop_column(RequestEvents::PublicNote)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

async fn mask_requests(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = m.get_connection();
    let backend = m.get_database_backend();
    let mut after = 0i64;
    loop {
        let rows = db
            .query_all(Statement::from_string(
                backend,
                format!(
                    "SELECT id, title, description, location_address, response, reporter_name \
                     FROM requests WHERE id > {after} ORDER BY id LIMIT {BATCH}"
                ),
            ))
            .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.try_get_by_index(0)?;
        for row in rows {
            let id: i64 = row.try_get_by_index(0)?;
            let title: String = row.try_get_by_index(1)?;
            let description: String = row.try_get_by_index(2)?;
            let address: Option<String> = row.try_get_by_index(3)?;
            let response: Option<String> = row.try_get_by_index(4)?;
            let name: Option<String> = row.try_get_by_index(5)?;
            let names: Vec<&str> = name.as_deref().into_iter().collect();
            let public = PublicText::of(
                &title,
                &description,
                address.as_deref(),
                response.as_deref(),
                &names,
            );
            let unchanged = public.title == title
                && public.description == description
                && public.location_address == address
                && public.response == response;
            if unchanged {
                continue;
            }
            let update = Query::update()
                .table(Requests::Table)
                .value(Requests::PublicTitle, public.title)
                .value(Requests::PublicDescription, public.description)
                .value(Requests::PublicLocationAddress, public.location_address)
                .value(Requests::PublicResponse, public.response)
                .and_where(Expr::col(Requests::Id).eq(id))
                .to_owned();
            db.execute(backend.build(&update)).await?;
        }
    }
}

async fn mask_notes(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = m.get_connection();
    let backend = m.get_database_backend();
    let mut after = 0i64;
    loop {
        let rows = db
            .query_all(Statement::from_string(
                backend,
                format!(
                    "SELECT e.id, e.note, r.reporter_name FROM request_events e \
                     JOIN requests r ON r.id = e.request_id \
                     WHERE e.id > {after} AND e.note_public AND e.note IS NOT NULL \
                     ORDER BY e.id LIMIT {BATCH}"
                ),
            ))
            .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.try_get_by_index(0)?;
        for row in rows {
            let id: i64 = row.try_get_by_index(0)?;
            let note: Option<String> = row.try_get_by_index(1)?;
            let name: Option<String> = row.try_get_by_index(2)?;
            let names: Vec<&str> = name.as_deref().into_iter().collect();
            let public = public_note(note.as_deref(), true, &names);
            if public == note {
                continue;
            }
            let update = Query::update()
                .table(RequestEvents::Table)
                .value(RequestEvents::PublicNote, public)
                .and_where(Expr::col(RequestEvents::Id).eq(id))
                .to_owned();
            db.execute(backend.build(&update)).await?;
        }
    }
}
