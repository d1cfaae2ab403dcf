"""Hooks for scripts/api-schemathesis (loaded with SCHEMATHESIS_HOOKS).

The OpenAPI document states every rule of /api/v1 that JSON Schema can express. A few rules it
cannot: a value must name something that exists (a service, a region, a unit, an officer, a
project), depends on the deployment (the regency's extent), on the data already stored (one
progress report a day, never backwards) or relates two fields (an end before its start). The
server answers those with a documented 422 `invalid` problem naming the field and a stable code.

schemathesis.toml lets `positive_data_acceptance` take 422 for the POST operations; the check
below then makes that narrow again: a 422 to schema-valid data passes only when every error it
lists is one of those rules (by operation, field and code), or when it is the documented
`idempotency-key-mismatch` (schemathesis draws `Idempotency-Key` values and reuses them with
other bodies, which the IETF draft says must be refused). Anything else still fails the run.
"""

import re

import schemathesis

# Field codes the schema cannot express, per operation (method and path template).
UNEXPRESSIBLE = {
    "POST /api/v1/requests": {
        # the service must exist, be active and take this kind of request
        ("service_code", "unknown_service"),
        ("service_code", "service_kind_mismatch"),
        # the region must exist in the regency; the desa must lie in the kecamatan
        ("district_code", "unknown_region"),
        ("village_code", "unknown_region"),
        ("village_code", "village_not_in_district"),
        # the regency's extent is the deployment's setting, not the document's
        ("latitude", "outside_regency"),
    },
    "POST /api/v1/content": {
        # an end before its start (two fields)
        ("ends_at", "ends_before_start"),
        ("planned_end", "ends_before_start"),
        # the contract within the budget ceiling (two fields)
        ("contract_value", "contract_over_ceiling"),
        # the region must exist in the regency
        ("kecamatan", "unknown_region"),
        ("desa", "unknown_region"),
        # slugs are unique among the unit's items
        ("slug", "slug_taken"),
    },
    "POST /api/v1/content/{id}/progress": {
        # the id must name a project (another kind of item has no progress)
        ("reported_on", "not_a_project"),
        # today's date, the previous report and one report a day: stored state and the clock
        ("reported_on", "date_in_future"),
        ("reported_on", "before_previous_report"),
        ("reported_on", "progress_already_reported"),
        ("physical_pct", "progress_backwards"),
    },
    "POST /api/v1/requests/{code}/steps": {
        # the unit and the officer must exist
        ("to_unit", "unknown_unit"),
        ("officer", "unknown_user"),
    },
    "POST /api/v1/webhooks": {
        # what a host name resolves to (and the deployment's own addresses) is not in a schema
        ("url", "webhook_private_address"),
    },
}

# Any operation, any field: text holding U+0000, which neither database keeps (PostgreSQL
# refuses it in `text`), is refused up front as `invalid_characters`. JSON Schema could say
# it only with a pattern on every string and every free-form key, so the document does not.
ANY_FIELD = {"invalid_characters"}

IDEMPOTENCY_MISMATCH = "/api/v1/problems/idempotency-key-mismatch"
INVALID = "/api/v1/problems/invalid"


@schemathesis.check
def refusals_of_valid_data_name_only_unexpressible_rules(ctx, response, case):
    """A 422 to schema-valid data must list only rules the schema cannot state."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    label = f"{case.method.upper()} {case.operation.path}"
    if not label.startswith("POST /api/v1/"):
        label = f"{case.method.upper()} /api/v1{case.operation.path}"
    try:
        problem = response.json()
    except Exception as exc:  # noqa: BLE001 - any unreadable body is the failure
        raise AssertionError(f"422 without a JSON problem: {exc}") from None
    kind = problem.get("type")
    if kind == IDEMPOTENCY_MISMATCH:
        return None
    errors = problem.get("errors") or []
    if kind == INVALID and errors and all(e.get("code") in ANY_FIELD for e in errors):
        return None
    allowed = UNEXPRESSIBLE.get(label)
    if allowed is None:
        raise AssertionError(f"{label}: 422 to schema-valid data, and this operation has no such rules")
    errors = problem.get("errors") or []
    if kind != INVALID or not errors:
        raise AssertionError(f"{label}: 422 `{kind}` with no field errors for schema-valid data")
    expressible = [(e.get("field"), e.get("code")) for e in errors
                   if (e.get("field"), e.get("code")) not in allowed
                   and e.get("code") not in ANY_FIELD]
    if expressible:
        raise AssertionError(
            f"{label}: schema-valid data refused for rules the OpenAPI document should state: {expressible}"
        )
    return None


@schemathesis.hook
def before_call(context, case, kwargs):
    """Long polls of /events wait up to `wait` seconds when nothing is new; 30 s an example
    would make a run take an hour. A `wait` the schema allows (0..=30) is shortened to at most
    1 s, which the schema allows too: the answer's shape is the same. Values outside the schema
    (negative data) are sent as drawn, so their refusal is still checked."""
    if case.operation.path.endswith("/events") and isinstance(case.query, dict):
        wait = case.query.get("wait")
        if isinstance(wait, int) and not isinstance(wait, bool) and 1 < wait <= 30:
            case.query["wait"] = 1
