//! Routing rules kept by Kominfo (service or kind, plus an optional kecamatan or desa, to a
//! unit), and which request each rule routed, so the rules page can say how often each one
//! was used.

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
                .table(a("routing_rules"))
                .col(id())
                .col(col("position").integer().not_null())
                // exactly one of the two (checked by `domain::routing::rules`)
                .col(col("service_id").big_integer())
                .col(col("kind").string_len(40))
                // a kecamatan or desa code; null: the whole regency
                .col(col("area_code").string_len(20))
                .col(col("unit_id").big_integer().not_null())
                .col(col("note").string_len(200))
                .col(col("active").boolean().not_null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("updated_at").timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_routing_rules_service")
                        .from(a("routing_rules"), a("service_id"))
                        .to(a("services"), a("id")),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_routing_rules_unit")
                        .from(a("routing_rules"), a("unit_id"))
                        .to(a("units"), a("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(a("routing_rule_uses"))
                .col(id())
                .col(col("rule_id").big_integer().not_null())
                .col(col("request_id").big_integer().not_null())
                .col(col("routed_at").timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_routing_rule_uses_rule")
                        .from(a("routing_rule_uses"), a("rule_id"))
                        .to(a("routing_rules"), a("id")),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_routing_rule_uses_request")
                        .from(a("routing_rule_uses"), a("request_id"))
                        .to(a("requests"), a("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // the rules page counts each rule's uses over a window
        m.create_index(
            Index::create()
                .name("idx_routing_rule_uses_rule_at")
                .table(a("routing_rule_uses"))
                .col(a("rule_id"))
                .col(a("routed_at"))
                .to_owned(),
        )
        .await
    }
}
