use crate::session::{Staff, StaffPage};
use crate::view::{render, Page};
use crate::WebError;
use askama::Template;
use axum::response::Html;
use chrono::{DateTime, Utc};
use kotapintar_domain::policy::Permission;
use kotapintar_storage::audit;

#[derive(Template)]
#[template(path = "staff/dashboard.html")]
struct DashboardTemplate {
    page: Page,
    roles: Vec<String>,
}

pub async fn dashboard(Staff(actor): Staff, page: Page) -> Result<Html<String>, WebError> {
    let roles = actor
        .roles
        .iter()
        .map(|r| format!("role.{}", r.role.as_str()))
        .collect();
    render(&DashboardTemplate { page, roles })
}

pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
}

#[derive(Template)]
#[template(path = "staff/audit.html")]
struct AuditTemplate {
    page: Page,
    rows: Vec<AuditRow>,
}

pub async fn audit_log(
    StaffPage { state, actor, page }: StaffPage,
) -> Result<Html<String>, WebError> {
    actor.require(Permission::ViewAudit)?;
    let rows = audit::recent(&state.store, None, 200)
        .await?
        .into_iter()
        .map(|e| AuditRow {
            seq: e.seq,
            at: DateTime::<Utc>::from_timestamp_micros(e.at_micros)
                .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_default(),
            actor: e.actor,
            action: e.action,
            entity: format!("{} {}", e.entity_type, e.entity_id),
        })
        .collect();
    render(&AuditTemplate { page, rows })
}
