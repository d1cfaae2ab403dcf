//! The smart-city masterplan (dimensions, programmes, indicators, progress, readiness) and
//! bimtek (training events, registrations, check-in, evaluations, certificates). Kominfo's
//! six dimensions are seeded as data: admins edit them like any other row.

use kotapintar_domain::masterplan::KOMINFO_DIMENSIONS;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

fn id() -> ColumnDef {
    ColumnDef::new(a("id"))
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn big(name: &str) -> ColumnDef {
    ColumnDef::new(a(name)).big_integer().not_null().to_owned()
}

fn big_null(name: &str) -> ColumnDef {
    ColumnDef::new(a(name)).big_integer().to_owned()
}

fn int(name: &str) -> ColumnDef {
    ColumnDef::new(a(name)).integer().not_null().to_owned()
}

fn text(name: &str, len: u32) -> ColumnDef {
    ColumnDef::new(a(name))
        .string_len(len)
        .not_null()
        .to_owned()
}

fn text_null(name: &str, len: u32) -> ColumnDef {
    ColumnDef::new(a(name)).string_len(len).to_owned()
}

fn long(name: &str) -> ColumnDef {
    ColumnDef::new(a(name)).text().not_null().to_owned()
}

fn long_null(name: &str) -> ColumnDef {
    ColumnDef::new(a(name)).text().to_owned()
}

fn time(name: &str) -> ColumnDef {
    ColumnDef::new(a(name))
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn time_null(name: &str) -> ColumnDef {
    ColumnDef::new(a(name))
        .timestamp_with_time_zone()
        .to_owned()
}

fn fk(table: &str, col: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{col}"))
        .from(a(table), a(col))
        .to(a(to), a("id"))
        .to_owned()
}

async fn table(
    m: &SchemaManager<'_>,
    name: &str,
    cols: Vec<ColumnDef>,
    fks: &[(&str, &str)],
) -> Result<(), DbErr> {
    let mut t = Table::create();
    t.table(a(name)).col(id());
    for mut c in cols {
        t.col(&mut c);
    }
    for (col, to) in fks {
        t.foreign_key(&mut fk(name, col, to));
    }
    m.create_table(t.to_owned()).await
}

async fn index(
    m: &SchemaManager<'_>,
    table: &str,
    cols: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(format!("idx_{table}_{}", cols.join("_")))
        .table(a(table));
    for c in cols {
        i.col(a(c));
    }
    if unique {
        i.unique();
    }
    m.create_index(i.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // --- the taxonomy: dimensions and their elements --------------------------------
        table(
            m,
            "sc_dimensions",
            vec![
                text("code", 40),
                text("name", 200),
                text("name_en", 200),
                int("position"),
            ],
            &[],
        )
        .await?;
        index(m, "sc_dimensions", &["code"], true).await?;
        table(
            m,
            "sc_elements",
            vec![
                big("dimension_id"),
                text("code", 40),
                text("name", 200),
                text("name_en", 200),
                int("position"),
            ],
            &[("dimension_id", "sc_dimensions")],
        )
        .await?;
        index(m, "sc_elements", &["dimension_id", "code"], true).await?;

        // --- programmes ----------------------------------------------------------------
        table(
            m,
            "mp_programmes",
            vec![
                text("name", 200),
                long_null("description"),
                big("element_id"),
                // quick_win, short_term, medium_term
                text("horizon", 20),
                big("owner_unit_id"),
                text_null("rpjmd_code", 40),
                int("start_year"),
                int("end_year"),
                // planned, running, delayed, completed, cancelled
                text("status", 20),
                time("created_at"),
                time("updated_at"),
            ],
            &[("element_id", "sc_elements"), ("owner_unit_id", "units")],
        )
        .await?;
        table(
            m,
            "mp_partners",
            vec![big("programme_id"), big("unit_id")],
            &[("programme_id", "mp_programmes"), ("unit_id", "units")],
        )
        .await?;
        index(m, "mp_partners", &["programme_id", "unit_id"], true).await?;
        table(
            m,
            "mp_budgets",
            vec![big("programme_id"), int("year"), big("amount")],
            &[("programme_id", "mp_programmes")],
        )
        .await?;
        index(m, "mp_budgets", &["programme_id", "year"], true).await?;
        table(
            m,
            "mp_applications",
            vec![big("programme_id"), big("application_id")],
            &[
                ("programme_id", "mp_programmes"),
                ("application_id", "applications"),
            ],
        )
        .await?;
        index(
            m,
            "mp_applications",
            &["programme_id", "application_id"],
            true,
        )
        .await?;

        // --- indicators: values in hundredths (exact on both databases) ------------------
        table(
            m,
            "mp_indicators",
            vec![
                big("programme_id"),
                text("name", 300),
                // count, percent, number, yes_no
                text("kind", 20),
                text("unit", 40),
                // increase, decrease
                text("direction", 20),
                big("baseline"),
                int("baseline_year"),
                time("created_at"),
            ],
            &[("programme_id", "mp_programmes")],
        )
        .await?;
        index(m, "mp_indicators", &["programme_id"], false).await?;
        table(
            m,
            "mp_indicator_values",
            vec![
                big("indicator_id"),
                int("year"),
                big_null("target"),
                big_null("actual"),
                time("updated_at"),
            ],
            &[("indicator_id", "mp_indicators")],
        )
        .await?;
        // one row per indicator and year: a second entry for the year updates the first
        index(m, "mp_indicator_values", &["indicator_id", "year"], true).await?;

        // --- progress updates and their evidence ----------------------------------------
        table(
            m,
            "mp_updates",
            vec![
                big("programme_id"),
                // YYYY-MM-DD: text sorts and compares the same on both databases
                text("reported_on", 10),
                long("summary"),
                text_null("status", 20),
                text("author", 200),
                time("created_at"),
            ],
            &[("programme_id", "mp_programmes")],
        )
        .await?;
        index(m, "mp_updates", &["programme_id", "reported_on"], false).await?;
        table(
            m,
            "mp_evidence",
            vec![
                big("update_id"),
                // link or file
                text("kind", 10),
                text_null("url", 500),
                text_null("file_name", 200),
                text_null("stored_name", 100),
                text_null("content_type", 100),
                big_null("size"),
            ],
            &[("update_id", "mp_updates")],
        )
        .await?;
        index(m, "mp_evidence", &["update_id"], false).await?;

        // --- readiness self-assessment -------------------------------------------------
        table(
            m,
            "readiness_assessments",
            vec![
                text("assessed_on", 10),
                long_null("notes"),
                // aspect and overall means on the 1-5 scale, in hundredths
                big("structure"),
                big("infrastructure"),
                big("superstructure"),
                big("overall"),
                text("author", 200),
                time("created_at"),
            ],
            &[],
        )
        .await?;
        table(
            m,
            "readiness_scores",
            vec![big("assessment_id"), text("item", 60), int("score")],
            &[("assessment_id", "readiness_assessments")],
        )
        .await?;
        index(m, "readiness_scores", &["assessment_id", "item"], true).await?;

        // --- bimtek ----------------------------------------------------------------------
        table(
            m,
            "training_events",
            vec![
                text("title", 200),
                long_null("topic"),
                big_null("application_id"),
                time("starts_at"),
                time("ends_at"),
                text("place", 300),
                text("trainers", 500),
                int("capacity"),
                time("created_at"),
                time("updated_at"),
            ],
            &[("application_id", "applications")],
        )
        .await?;
        table(
            m,
            "training_invitations",
            vec![big("event_id"), big("unit_id"), time("created_at")],
            &[("event_id", "training_events"), ("unit_id", "units")],
        )
        .await?;
        index(m, "training_invitations", &["event_id", "unit_id"], true).await?;
        table(
            m,
            "training_registrations",
            vec![
                big("event_id"),
                big("user_id"),
                big("unit_id"),
                // the name as printed on the certificate
                text("participant_name", 200),
                text("checkin_code", 20),
                text("registered_by", 200),
                time("registered_at"),
                time_null("checked_in_at"),
                text_null("certificate_code", 30),
                time_null("certified_at"),
            ],
            &[
                ("event_id", "training_events"),
                ("user_id", "users"),
                ("unit_id", "units"),
            ],
        )
        .await?;
        // nobody registered twice for one event; codes unique across all events
        index(m, "training_registrations", &["event_id", "user_id"], true).await?;
        index(m, "training_registrations", &["checkin_code"], true).await?;
        index(m, "training_registrations", &["certificate_code"], true).await?;
        index(m, "training_registrations", &["unit_id"], false).await?;
        table(
            m,
            "training_materials",
            vec![
                big("event_id"),
                text("title", 200),
                text("url", 500),
                time("created_at"),
            ],
            &[("event_id", "training_events")],
        )
        .await?;
        table(
            m,
            "training_evaluations",
            vec![
                big("registration_id"),
                int("content"),
                int("trainer"),
                int("usefulness"),
                long_null("comment"),
                time("submitted_at"),
            ],
            &[("registration_id", "training_registrations")],
        )
        .await?;
        index(m, "training_evaluations", &["registration_id"], true).await?;

        // --- seed: Kominfo's six dimensions and their elements --------------------------
        for (i, (code, name, name_en, elements)) in KOMINFO_DIMENSIONS.iter().enumerate() {
            let dim_id = i as i64 + 1;
            m.exec_stmt(
                Query::insert()
                    .into_table(a("sc_dimensions"))
                    .columns([a("id"), a("code"), a("name"), a("name_en"), a("position")])
                    .values([
                        dim_id.into(),
                        (*code).into(),
                        (*name).into(),
                        (*name_en).into(),
                        (i as i32).into(),
                    ])
                    .map_err(|e| DbErr::Migration(e.to_string()))?
                    .to_owned(),
            )
            .await?;
            for (j, (ecode, ename, ename_en)) in elements.iter().enumerate() {
                m.exec_stmt(
                    Query::insert()
                        .into_table(a("sc_elements"))
                        .columns([
                            a("dimension_id"),
                            a("code"),
                            a("name"),
                            a("name_en"),
                            a("position"),
                        ])
                        .values([
                            dim_id.into(),
                            (*ecode).into(),
                            (*ename).into(),
                            (*ename_en).into(),
                            (j as i32).into(),
                        ])
                        .map_err(|e| DbErr::Migration(e.to_string()))?
                        .to_owned(),
                )
                .await?;
            }
        }
        // PostgreSQL's sequence must continue after the ids given explicitly above
        if m.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            m.get_connection()
                .execute_unprepared(
                    "SELECT setval(pg_get_serial_sequence('sc_dimensions', 'id'), (SELECT MAX(id) FROM sc_dimensions))",
                )
                .await?;
        }
        Ok(())
    }
}
