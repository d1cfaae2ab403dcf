//! Routing rules kept by Kominfo: listed with how many requests each routed in a window,
//! created and edited with an audit entry, and asked "which unit would get this?". The rules
//! themselves (matching, order, the form's checks) are `domain::routing::rules`; intake
//! applies them in `requests::by_rule`.

use crate::audit::{self, AuditActor, Change};
use crate::entity::{region, routing_rule, routing_rule_use, service, unit};
use crate::{Result, StorageError, Store};
use chrono::{DateTime, Utc};
use kotapintar_domain::ids::UnitId;
use kotapintar_domain::region::RegionCode;
use kotapintar_domain::request::RequestKind;
use kotapintar_domain::routing::rules::{
    first_match, Matches, Rule, RuleDraft, Subject, MAX_RULES,
};
use kotapintar_domain::FieldErrors;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use std::collections::HashMap;

fn rule_of(m: routing_rule::Model) -> Result<Rule> {
    let matches = match (m.service_id, m.kind.as_deref()) {
        (Some(s), None) => Matches::Service(s),
        (None, Some(k)) => Matches::Kind(
            RequestKind::parse(k).map_err(|_| StorageError::corrupt("routing_rules.kind", k))?,
        ),
        _ => return Err(StorageError::corrupt("routing_rules", m.id)),
    };
    let area = match m.area_code.as_deref() {
        None => None,
        Some(c) => {
            Some(RegionCode::parse(c).map_err(|_| StorageError::corrupt("routing_rules.area", c))?)
        }
    };
    Ok(Rule {
        id: m.id,
        position: m.position,
        matches,
        area,
        unit: UnitId(m.unit_id),
        note: m.note,
        active: m.active,
    })
}

/// Every rule, in the order they are tried.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<Rule>> {
    routing_rule::Entity::find()
        .order_by_asc(routing_rule::Column::Position)
        .order_by_asc(routing_rule::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(rule_of)
        .collect()
}

/// One rule.
pub async fn get(store: &Store, id: i64) -> Result<Rule> {
    rule_of(crate::rows::by_id::<routing_rule::Entity>(&store.reader, id).await?)
}

/// A rule as the rules page lists it: with the names of what it names, and how many requests
/// it routed since the window's start.
#[derive(Debug, Clone)]
pub struct Listed {
    pub rule: Rule,
    pub service_name: Option<String>,
    pub area_name: Option<String>,
    pub unit_name: String,
    pub routed: u64,
}

/// The names the rules page shows for services, areas and units, looked up in three queries.
#[derive(Debug, Default)]
struct Names {
    services: HashMap<i64, String>,
    areas: HashMap<String, String>,
    units: HashMap<i64, String>,
}

async fn names(db: &impl ConnectionTrait, rules: &[Rule]) -> Result<Names> {
    let service_ids: Vec<i64> = rules
        .iter()
        .filter_map(|r| match r.matches {
            Matches::Service(s) => Some(s),
            Matches::Kind(_) => None,
        })
        .collect();
    let areas: Vec<String> = rules
        .iter()
        .filter_map(|r| r.area.as_ref().map(|a| a.to_string()))
        .collect();
    let units: Vec<i64> = rules.iter().map(|r| r.unit.0).collect();
    let mut n = Names::default();
    if !service_ids.is_empty() {
        for s in service::Entity::find()
            .filter(service::Column::Id.is_in(service_ids))
            .all(db)
            .await?
        {
            n.services.insert(s.id, s.name);
        }
    }
    if !areas.is_empty() {
        for a in region::Entity::find()
            .filter(region::Column::Code.is_in(areas))
            .all(db)
            .await?
        {
            n.areas.insert(a.code, a.name);
        }
    }
    if !units.is_empty() {
        for u in unit::Entity::find()
            .filter(unit::Column::Id.is_in(units))
            .all(db)
            .await?
        {
            n.units.insert(u.id, u.name);
        }
    }
    Ok(n)
}

/// The rules in order, each with how many requests it routed since `since`.
pub async fn list(store: &Store, since: DateTime<Utc>) -> Result<Vec<Listed>> {
    let db = &store.reader;
    let rules = all(db).await?;
    let counts: HashMap<i64, i64> = routing_rule_use::Entity::find()
        .select_only()
        .column(routing_rule_use::Column::RuleId)
        .column_as(routing_rule_use::Column::Id.count(), "n")
        .filter(routing_rule_use::Column::RoutedAt.gte(since))
        .group_by(routing_rule_use::Column::RuleId)
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let n = names(db, &rules).await?;
    Ok(rules
        .into_iter()
        .map(|rule| Listed {
            service_name: match rule.matches {
                Matches::Service(s) => n.services.get(&s).cloned(),
                Matches::Kind(_) => None,
            },
            area_name: rule
                .area
                .as_ref()
                .and_then(|a| n.areas.get(a.as_str()).cloned()),
            unit_name: n.units.get(&rule.unit.0).cloned().unwrap_or_default(),
            routed: counts
                .get(&rule.id)
                .map_or(0, |c| u64::try_from(*c).unwrap_or(0)),
            rule,
        })
        .collect())
}

/// The rule, and its unit's name, that would route a request with these answers now.
pub async fn which(store: &Store, subject: &Subject<'_>) -> Result<Option<(Rule, String)>> {
    let rules = all(&store.reader).await?;
    let Some(rule) = first_match(&rules, subject).cloned() else {
        return Ok(None);
    };
    let name = crate::rows::by_id::<unit::Entity>(&store.reader, rule.unit.0)
        .await?
        .name;
    Ok(Some((rule, name)))
}

/// Checks what only the database knows: the service, the area (inside the regency) and the
/// unit (active) exist.
async fn check(db: &impl ConnectionTrait, regency: &RegionCode, draft: &RuleDraft) -> Result<()> {
    let mut e = FieldErrors::new();
    if let Matches::Service(s) = draft.matches {
        if service::Entity::find_by_id(s).one(db).await?.is_none() {
            e.add("service_id", "unknown_service");
        }
    }
    if let Some(area) = &draft.area {
        let known = area.is_within(regency)
            && region::Entity::find_by_id(area.as_str())
                .one(db)
                .await?
                .is_some();
        if !known {
            let field = match area.level() {
                kotapintar_domain::region::RegionLevel::Village => "village_code",
                _ => "district_code",
            };
            e.add(field, "unknown_region");
        }
    }
    match unit::Entity::find_by_id(draft.unit.0).one(db).await? {
        Some(u) if u.active => {}
        _ => e.add("unit_id", "unknown_unit"),
    }
    if e.is_empty() {
        Ok(())
    } else {
        Err(StorageError::Invalid(e))
    }
}

fn snapshot(d: &RuleDraft) -> serde_json::Value {
    let (service, kind) = match d.matches {
        Matches::Service(s) => (Some(s), None),
        Matches::Kind(k) => (None, Some(k.as_str())),
    };
    json!({
        "position": d.position,
        "service_id": service,
        "kind": kind,
        "area": d.area.as_ref().map(|a| a.as_str()),
        "unit_id": d.unit.0,
        "note": d.note,
        "active": d.active,
    })
}

fn draft_of(r: &Rule) -> RuleDraft {
    RuleDraft {
        position: r.position,
        matches: r.matches.clone(),
        area: r.area.clone(),
        unit: r.unit,
        note: r.note.clone(),
        active: r.active,
    }
}

fn set_fields(m: &mut routing_rule::ActiveModel, d: &RuleDraft, now: DateTime<Utc>) {
    let (service, kind) = match d.matches {
        Matches::Service(s) => (Some(s), None),
        Matches::Kind(k) => (None, Some(k.as_str().to_string())),
    };
    m.position = Set(d.position);
    m.service_id = Set(service);
    m.kind = Set(kind);
    m.area_code = Set(d.area.as_ref().map(|a| a.to_string()));
    m.unit_id = Set(d.unit.0);
    m.note = Set(d.note.clone());
    m.active = Set(d.active);
    m.updated_at = Set(now);
}

/// Adds a rule, audited.
pub async fn create(
    store: &Store,
    actor: &AuditActor,
    regency: &RegionCode,
    draft: RuleDraft,
) -> Result<Rule> {
    check(&store.reader, regency, &draft).await?;
    let tx = store.writer.begin().await?;
    if routing_rule::Entity::find().count(&tx).await? >= MAX_RULES {
        return Err(StorageError::field("position", "too_many_rules"));
    }
    let now = Utc::now();
    let mut m = routing_rule::ActiveModel {
        created_at: Set(now),
        ..Default::default()
    };
    set_fields(&mut m, &draft, now);
    let m = m.insert(&tx).await?;
    audit::append(
        &tx,
        actor,
        Change::new("routing_rule.create", "routing_rule", m.id).after(&snapshot(&draft)),
    )
    .await?;
    tx.commit().await?;
    rule_of(m)
}

/// Changes a rule (its order, what it matches, its unit, whether it is active), audited with
/// the rule before and after.
pub async fn update(
    store: &Store,
    actor: &AuditActor,
    regency: &RegionCode,
    id: i64,
    draft: RuleDraft,
) -> Result<Rule> {
    check(&store.reader, regency, &draft).await?;
    let tx = store.writer.begin().await?;
    let old = crate::rows::locked::<routing_rule::Entity>(&tx, id).await?;
    let before = snapshot(&draft_of(&rule_of(old.clone())?));
    let mut m: routing_rule::ActiveModel = old.into();
    set_fields(&mut m, &draft, Utc::now());
    let m = m.update(&tx).await?;
    audit::append(
        &tx,
        actor,
        Change::new("routing_rule.update", "routing_rule", id)
            .before(&before)
            .after(&snapshot(&draft)),
    )
    .await?;
    tx.commit().await?;
    rule_of(m)
}

/// Records that a rule routed a request (in the intake's transaction).
pub(crate) async fn record_use(
    db: &impl ConnectionTrait,
    rule: i64,
    request: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    routing_rule_use::ActiveModel {
        rule_id: Set(rule),
        request_id: Set(request),
        routed_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The rule that routed a request, if one did.
pub async fn routed_by(store: &Store, request: i64) -> Result<Option<i64>> {
    Ok(routing_rule_use::Entity::find()
        .filter(routing_rule_use::Column::RequestId.eq(request))
        .one(&store.reader)
        .await?
        .map(|u| u.rule_id))
}
