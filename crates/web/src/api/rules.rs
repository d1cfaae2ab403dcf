//! The body rules the domain enforces, stated in the OpenAPI document where JSON Schema can
//! state them exactly: text that must not be blank once trimmed, formats (region codes,
//! slugs, e-mail, phone), what each kind of portal item requires (`if`/`then`), and
//! coordinates given in pairs. utoipa's attributes cannot say `if`/`then` or patterns over a
//! whole object, so the generated document is completed here, as JSON.
//!
//! A schema that is stricter than the server is as wrong as a looser one: outside clients and
//! schemathesis' negative data expect every value the schema refuses to be refused. So each
//! pattern mirrors the domain's parser (crates/domain: `validation`, `region`, `content`),
//! whitespace included: the domain trims with Rust's `char::is_whitespace`, and `WS` below is
//! that set (written out, since `\s` differs between regex engines). What JSON Schema cannot
//! state (a code that must exist, the regency's extent, stored state, an end before its start)
//! is answered 422 `invalid` naming the field, as the operations document.

use serde_json::{json, Value};

/// The characters `str::trim` removes (Unicode White_Space), as a regex character class body.
const WS: &str = r"\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

fn ws() -> String {
    format!("[{WS}]")
}

/// A character `trim` keeps.
fn non_ws() -> String {
    format!("[^{WS}]")
}

/// Text that is not blank once trimmed (the domain's `required_text`).
fn not_blank(max: usize) -> Value {
    json!({ "type": "string", "maxLength": max, "pattern": non_ws() })
}

/// Text whose trimmed form has at least `min` characters.
fn at_least(min: usize, max: usize) -> Value {
    let n = non_ws();
    json!({ "type": "string", "maxLength": max, "pattern": format!("{n}[\\s\\S]{{{}}}{n}", min - 2) })
}

/// Blank, or `inner` surrounded by whitespace (the domain trims before it parses).
fn blank_or(inner: &str) -> String {
    let w = ws();
    format!("^{w}*(?:{inner})?{w}*$")
}

/// A Kemendagri code: province `51`, regency `51.03`, district `51.03.01`, village
/// `51.03.01.2001` (`RegionCode::parse`).
const REGION: &str = r"[0-9]{2}(?:\.[0-9]{2}(?:\.[0-9]{2}(?:\.[0-9]{4})?)?)?";

/// `validation::optional_email`: one `@`, a dot inside the domain, no whitespace.
fn email() -> String {
    let c = format!("[^@{WS}]");
    let d = format!("[^@.{WS}]");
    blank_or(&format!("{c}+@{d}{c}*\\.{c}*{d}"))
}

/// `validation::optional_phone`: an optional leading `+`, digits (6 to 15), spaces, dashes.
fn phone() -> String {
    blank_or(r"\+?[ -]*(?:[0-9][ -]*){6,15}")
}

/// Both of two coordinates or neither (`null` counts as not given).
fn pair(a: &str, b: &str) -> Vec<Value> {
    let given = |f: &str| json!({ "required": [f], "properties": { f: { "type": "number" } } });
    vec![
        json!({ "if": given(a), "then": given(b) }),
        json!({ "if": given(b), "then": given(a) }),
    ]
}

/// Merges `extra` into the property `name` of an object schema (keeps its description).
fn tighten(schema: &mut Value, name: &str, extra: Value) {
    if let (Some(p), Value::Object(extra)) = (schema["properties"].get_mut(name), extra) {
        if let Some(p) = p.as_object_mut() {
            for (k, v) in extra {
                p.insert(k, v);
            }
        }
    }
}

fn new_request(s: &mut Value) {
    tighten(s, "title", not_blank(150));
    tighten(s, "description", at_least(10, 5000));
    for f in ["district_code", "village_code"] {
        tighten(
            s,
            f,
            json!({ "maxLength": 200, "pattern": blank_or(REGION) }),
        );
    }
    s["allOf"] = Value::Array(pair("latitude", "longitude"));
}

fn contact(s: &mut Value) {
    tighten(s, "name", json!({ "maxLength": 100 }));
    tighten(s, "email", json!({ "maxLength": 254, "pattern": email() }));
    tighten(s, "phone", json!({ "maxLength": 32, "pattern": phone() }));
}

/// `content::ContentInput::parse`: what every item needs, then what an agenda and a project
/// need besides.
fn content(s: &mut Value) {
    tighten(s, "title", not_blank(kotapintar_domain::content::TITLE_MAX));
    tighten(
        s,
        "slug",
        json!({ "maxLength": 80, "pattern": blank_or("[a-z0-9]+(?:-[a-z0-9]+)*") }),
    );
    tighten(s, "summary", json!({ "maxLength": 500 }));
    tighten(s, "body", json!({ "maxLength": 100_000 }));
    tighten(
        s,
        "tags",
        json!({ "maxItems": 12, "items": { "type": "string", "maxLength": 40, "pattern": "^[^,]*$" } }),
    );
    for f in ["kecamatan", "desa"] {
        tighten(
            s,
            f,
            json!({ "maxLength": 200, "pattern": blank_or(REGION) }),
        );
    }
    tighten(
        s,
        "publish_at",
        json!({ "anyOf": [{ "pattern": format!("^{}*$", ws()) }, { "format": "date-time" }] }),
    );
    // A field only a project reads (an article ignores it, whatever its value) is only typed
    // here; its rules are in the project's branch below, or the schema would refuse what the
    // server accepts.
    for f in ["budget_ceiling", "contract_value", "lat", "lon"] {
        if let Some(p) = s["properties"][f].as_object_mut() {
            p.remove("minimum");
            p.remove("maximum");
        }
    }
    s["properties"]["fund_source"] =
        json!({ "type": "string", "description": "Projects: apbd, apbn, dak or lainnya." });
    s["properties"]["project_status"] = json!({
        "type": "string",
        "description": "Projects: planned, tender, running, done or stopped."
    });
    let kind = |k: &str| json!({ "required": ["kind"], "properties": { "kind": { "const": k } } });
    let rupiah = json!({ "type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_i64 });
    let mut project = json!({
        "required": ["sector", "fund_source", "budget_ceiling", "planned_start", "planned_end", "project_status"],
        "properties": {
            "sector": not_blank(100),
            "fund_source": { "enum": ["apbd", "apbn", "dak", "lainnya"] },
            "budget_ceiling": rupiah,
            "contract_value": { "minimum": 0, "maximum": 999_999_999_999_999_i64 },
            "lat": { "minimum": -90, "maximum": 90 },
            "lon": { "minimum": -180, "maximum": 180 },
            "contractor": { "maxLength": 200 },
            "planned_start": { "type": "string", "format": "date" },
            "planned_end": { "type": "string", "format": "date" },
            "project_status": { "enum": ["planned", "tender", "running", "done", "stopped"] }
        }
    });
    project["allOf"] = Value::Array(pair("lat", "lon"));
    s["allOf"] = json!([
        {
            "if": kind("agenda"),
            "then": {
                "required": ["starts_at", "ends_at", "place"],
                "properties": {
                    "starts_at": { "type": "string", "format": "date-time" },
                    "ends_at": { "type": "string", "format": "date-time" },
                    "place": not_blank(200),
                    "audience": { "maxLength": 200 }
                }
            }
        },
        { "if": kind("proyek"), "then": project }
    ]);
}

/// `webhook::check_url` and the event kinds `webhooks::subscribe` takes.
fn webhook(s: &mut Value) {
    let (w, n) = (ws(), non_ws());
    tighten(
        s,
        "url",
        json!({ "maxLength": 1000, "pattern": format!("^{w}*https?://[^/?#{WS}]{n}*{w}*$") }),
    );
    let mut kinds = vec!["*"];
    kinds.extend_from_slice(kotapintar_domain::event::SUBSCRIBABLE_REQUEST_EVENTS);
    tighten(
        s,
        "event_types",
        json!({ "items": { "type": "string", "enum": kinds } }),
    );
}

/// Whole bodies that the demo data (`kotapintar demo`) accepts: for readers of the document,
/// and for schemathesis' examples phase, which sends them (the generated values rarely name a
/// service or region that exists).
fn examples(schemas: &mut Value) {
    schemas["NewRequestBody"]["examples"] = json!([{
        "kind": "pengaduan",
        "service_code": "sampah",
        "title": "Sampah tidak terangkut",
        "description": "Sampah di depan pasar belum diangkut tiga hari.",
        "latitude": -8.7,
        "longitude": 115.17,
        "district_code": "51.03.01",
        "contact": { "name": "Made", "phone": "081234567890" }
    }]);
    schemas["ContentBody"]["examples"] = json!([
        {
            "kind": "agenda",
            "title": "Musrenbang kecamatan",
            "starts_at": "2026-12-01T09:00:00+08:00",
            "ends_at": "2026-12-01T12:00:00+08:00",
            "place": "Kantor Camat Kuta",
            "tags": ["musrenbang"]
        },
        {
            "kind": "proyek",
            "title": "Perbaikan jalan Desa Pecatu",
            "sector": "Jalan",
            "fund_source": "apbd",
            "budget_ceiling": 1_250_000_000,
            "contract_value": 1_100_000_000,
            "planned_start": "2026-03-01",
            "planned_end": "2026-10-31",
            "project_status": "running",
            "lat": -8.8,
            "lon": 115.12
        }
    ]);
    schemas["WebhookBody"]["examples"] = json!([{
        "url": "https://dinas.example.org/kotapintar/webhook",
        "event_types": ["request.dispatch"]
    }]);
}

/// Completes the generated document (see the module's comment).
pub fn refine(doc: &mut Value) {
    let schemas = &mut doc["components"]["schemas"];
    new_request(&mut schemas["NewRequestBody"]);
    contact(&mut schemas["ContactBody"]);
    content(&mut schemas["ContentBody"]);
    webhook(&mut schemas["WebhookBody"]);
    examples(schemas);
    // only `photo` parts: another part is refused (422 `unknown_field`), not ignored
    schemas["PhotoUpload"]["additionalProperties"] = Value::Bool(false);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, s: &str) -> bool {
        regex::Regex::new(pattern).unwrap().is_match(s)
    }

    /// The patterns accept exactly what the domain's parsers accept, on the edge cases.
    #[test]
    fn patterns_mirror_the_domain() {
        use kotapintar_domain::validation::{optional_email, optional_phone};
        let e = email();
        for s in [
            "",
            "  ",
            "a@b.c",
            " a@b.c\t",
            "a@b",
            "a@.b",
            "a@b.",
            "a@@b.c",
            "a b@c.d",
            "@b.c",
            "a@b..c",
            "a@b.c@d",
            "x@\u{a0}b.c",
        ] {
            assert_eq!(matches(&e, s), optional_email(s).is_ok(), "email {s:?}");
        }
        let p = phone();
        for s in [
            "",
            "081234567",
            "+62 812-3456",
            " +6281234\n",
            "12345",
            "1234567890123456",
            "-+123456",
            "12 34 56",
            "08123x567",
            "+",
            "++123456",
        ] {
            assert_eq!(matches(&p, s), optional_phone(s).is_ok(), "phone {s:?}");
        }
        let r = blank_or(REGION);
        for s in [
            "",
            "51",
            "51.03",
            "51.03.01",
            " 51.03.01.2001 ",
            "51.3",
            "51.03.01.200",
            "5a",
            "51.03.01.2001.1",
        ] {
            let ok = s.trim().is_empty() || kotapintar_domain::region::RegionCode::parse(s).is_ok();
            assert_eq!(matches(&r, s), ok, "region {s:?}");
        }
        let d = at_least(10, 5000);
        let d = d["pattern"].as_str().unwrap();
        for s in [
            "0123456789",
            " 012345678 ",
            "\u{3000}012345678 9",
            "         x",
        ] {
            assert_eq!(matches(d, s), s.trim().chars().count() >= 10, "{s:?}");
        }
        assert!(!matches(&non_ws(), " \t\u{85}\u{3000}"));
        assert!(
            matches(&non_ws(), "\u{1c}"),
            "not whitespace to Rust's trim"
        );
    }
}
