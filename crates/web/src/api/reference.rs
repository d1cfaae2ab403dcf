//! Reference lists any valid client may read: units, areas, services.

use super::problem::Problem;
use super::Client;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use kotapintar_storage::StorageError;
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct UnitView {
    id: i64,
    code: String,
    slug: String,
    name: String,
    kind: String,
    parent_id: Option<i64>,
    active: bool,
}

/// The regency's units (perangkat daerah). Any valid client may read them.
#[utoipa::path(get, path = "/api/v1/units", tag = "reference", security(("bearer" = [])),
    responses((status = 200, body = Vec<UnitView>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn list_units(
    State(state): State<AppState>,
    Client(_): Client,
) -> Result<Json<Vec<UnitView>>, Problem> {
    Ok(Json(
        kotapintar_storage::units::list(&state.store)
            .await?
            .into_iter()
            .map(|u| UnitView {
                id: u.id.0,
                code: u.code.to_string(),
                slug: u.slug,
                name: u.name,
                kind: u.kind.as_str().into(),
                parent_id: u.parent_id.map(|p| p.0),
                active: u.active,
            })
            .collect(),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RegionView {
    /// Kemendagri code, e.g. `51.03.05`.
    code: String,
    name: String,
    /// The kecamatan's desa/kelurahan.
    villages: Vec<VillageView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VillageView {
    code: String,
    name: String,
}

/// The regency's kecamatan with their desa/kelurahan (Kemendagri codes; idn-area-data, ODbL).
#[utoipa::path(get, path = "/api/v1/regions", tag = "reference", security(("bearer" = [])),
    responses((status = 200, body = Vec<RegionView>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn list_regions(
    State(state): State<AppState>,
    Client(_): Client,
) -> Result<Json<Vec<RegionView>>, Problem> {
    let mut out = Vec::new();
    for d in kotapintar_storage::regions::children(&state.store, &state.config.regency).await? {
        let code = kotapintar_domain::region::RegionCode::parse(&d.code)
            .map_err(|_| Problem::from(StorageError::NotFound))?;
        let villages = kotapintar_storage::regions::children(&state.store, &code)
            .await?
            .into_iter()
            .map(|v| VillageView {
                code: v.code,
                name: v.name,
            })
            .collect();
        out.push(RegionView {
            code: d.code,
            name: d.name,
            villages,
        });
    }
    Ok(Json(out))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ServiceView {
    code: String,
    name: String,
    unit_code: String,
    /// pengaduan, aspirasi, permintaan_informasi or permohonan
    kind: String,
    group: Option<String>,
    /// The service's own limit to resolve, in working days.
    time_limit_days: i32,
    requirements: Option<String>,
    /// The extra questions, as Open311 attributes (code, label, datatype, required, options).
    #[schema(value_type = Vec<Object>)]
    questions: Vec<kotapintar_domain::service::Question>,
}

/// The active services of every unit, with their questions.
#[utoipa::path(get, path = "/api/v1/services", tag = "reference", security(("bearer" = [])),
    responses((status = 200, body = Vec<ServiceView>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn list_services(
    State(state): State<AppState>,
    Client(_): Client,
) -> Result<Json<Vec<ServiceView>>, Problem> {
    Ok(Json(
        kotapintar_storage::services::list(&state.store, true)
            .await?
            .into_iter()
            .map(|s| ServiceView {
                code: s.draft.code,
                name: s.draft.name,
                unit_code: s.draft.unit_code,
                kind: s.draft.kind.as_str().into(),
                group: s.draft.group_name,
                time_limit_days: s.draft.time_limit_days,
                requirements: s.draft.requirements,
                questions: s.draft.questions,
            })
            .collect(),
    ))
}
