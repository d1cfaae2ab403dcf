//! Open data (Satu Data): datasets described by units and approved by the walidata, and their
//! resources (uploaded files, or live tables computed from kotapintar's own records).

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
        table(
            m,
            "datasets",
            vec![
                text("uuid", 36),
                big("unit_id"),
                text("name", 100),
                text("title", 200),
                long("notes"),
                long("tags"),
                text("topic", 40),
                text("licence", 40),
                text("frequency", 20),
                text_null("temporal_start", 10),
                text_null("temporal_end", 10),
                text("spatial", 200),
                text("contact_name", 200),
                text("contact_email", 200),
                text("status", 20),
                int("revision"),
                big("created_by"),
                time("created_at"),
                time("updated_at"),
                time_null("published_at"),
            ],
            &[("unit_id", "units")],
        )
        .await?;
        index(m, "datasets", &["name"], true).await?;
        index(m, "datasets", &["uuid"], true).await?;
        index(m, "datasets", &["unit_id"], false).await?;
        index(m, "datasets", &["status"], false).await?;
        table(
            m,
            "dataset_resources",
            vec![
                text("uuid", 36),
                big("dataset_id"),
                int("position"),
                text("name", 200),
                long("description"),
                text("format", 10),
                text_null("live_source", 40),
                text_null("file", 80),
                text("file_name", 120),
                big_null("bytes"),
                text_null("sha256", 64),
                long("columns"),
                big("row_count"),
                time("created_at"),
                time("updated_at"),
            ],
            &[("dataset_id", "datasets")],
        )
        .await?;
        index(m, "dataset_resources", &["uuid"], true).await?;
        index(m, "dataset_resources", &["dataset_id", "position"], false).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("dataset_resources")).to_owned())
            .await?;
        m.drop_table(Table::drop().table(a("datasets")).to_owned())
            .await
    }
}
