//! Routing rules at intake: the first active rule matching a new request verifies it and
//! dispatches it to the rule's unit, in the intake's own transaction, as two workflow steps
//! that name the rule (timeline `system:rule:<id>`, audit `rule_id`).

use super::*;
use crate::entity::{request, service, unit};
use kotapintar_domain::request::workflow::RuleAction;
use kotapintar_domain::request::RequestKind;
use kotapintar_domain::routing::rules::{first_match, Subject};
use kotapintar_domain::working_days::Calendar;
use sea_orm::DatabaseTransaction;

/// Routes a request just written, if a rule matches; the rule's id. A rule whose unit was
/// deactivated since routes nothing: the request waits for the desk as any other, and intake
/// never fails because of a rule.
pub(super) async fn route(
    tx: &DatabaseTransaction,
    row: &request::Model,
    rules: &RequestRules,
    calendar: &Calendar,
) -> Result<Option<i64>> {
    let all = crate::routing_rules::all(tx).await?;
    if all.is_empty() {
        return Ok(None);
    }
    let Ok(kind) = RequestKind::parse(&row.kind) else {
        return Ok(None);
    };
    let subject = Subject {
        service: row.service_id,
        kind,
        district: row.district_code.as_deref(),
        village: row.village_code.as_deref(),
    };
    let Some(rule) = first_match(&all, &subject) else {
        return Ok(None);
    };
    let mut facts = Facts::default();
    match unit::Entity::find_by_id(rule.unit.0).one(tx).await? {
        Some(u) if u.active => facts.units.push((UnitId(u.id), u.name)),
        _ => {
            tracing::warn!(rule = rule.id, "a routing rule names an inactive unit");
            return Ok(None);
        }
    }
    if let Some(s) = row.service_id {
        facts.service_days = service::Entity::find_by_id(s)
            .one(tx)
            .await?
            .map(|s| s.time_limit_days.max(0) as u32);
    }
    let ctx = Context {
        now: chrono::Utc::now(),
        rules,
        calendar,
    };
    let steps = [
        RuleAction::Verify { rule: rule.id },
        RuleAction::Dispatch {
            rule: rule.id,
            unit: rule.unit,
        },
    ];
    for step in steps {
        // each step reads the request as the previous one left it
        let row = crate::rows::by_id::<request::Entity>(tx, row.id).await?;
        let handling = handling_units(tx, row.id).await?;
        let outcome = decide(
            &current_of(&row, &handling)?,
            Taken::Rule(step),
            &facts,
            &ctx,
        )
        .map_err(refused)?;
        save(tx, &row, &outcome, &ctx).await?;
    }
    crate::routing_rules::record_use(tx, rule.id, row.id, ctx.now).await?;
    Ok(Some(rule.id))
}
