//! The learned routing suggestions: the trained models (the newest is the one every node
//! uses; a few older ones are kept to compare), and the desk's choice on each request a
//! suggestion was shown for (which units were suggested, which was chosen, by whom).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(a(name))
}

fn id() -> ColumnDef {
    col("id")
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(a("routing_models"))
                .col(id())
                .col(col("trained_at").timestamp_with_time_zone().not_null())
                .col(col("examples").big_integer().not_null())
                .col(col("units").integer().not_null())
                // the history it learned from: requests received in this window
                .col(col("history_from").timestamp_with_time_zone())
                .col(col("history_to").timestamp_with_time_zone())
                .col(col("took_ms").big_integer().not_null())
                // who asked: "nightly", or the admin's username
                .col(col("requested_by").string_len(100).not_null())
                // `domain::routing::StoredModel` as JSON
                .col(col("model").text().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(a("routing_choices"))
                .col(id())
                .col(col("request_id").big_integer().not_null())
                .col(col("model_id").big_integer().not_null())
                // the suggestions shown: `[{unit, confidence}]`, best first
                .col(col("shown").text().not_null())
                .col(col("chosen_unit_id").big_integer().not_null())
                // where the chosen unit stood among the suggestions (1..3); null: overridden
                .col(col("rank").integer())
                .col(col("decided_by").big_integer().not_null())
                .col(col("decided_at").timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_routing_choices_request")
                        .from(a("routing_choices"), a("request_id"))
                        .to(a("requests"), a("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_routing_choices_unit")
                        .from(a("routing_choices"), a("chosen_unit_id"))
                        .to(a("units"), a("id")),
                )
                .to_owned(),
        )
        .await?;
        // the accuracy over the last 90 days reads a window of decisions
        m.create_index(
            Index::create()
                .name("idx_routing_choices_decided_at")
                .table(a("routing_choices"))
                .col(a("decided_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_routing_choices_request")
                .table(a("routing_choices"))
                .col(a("request_id"))
                .to_owned(),
        )
        .await
    }
}
