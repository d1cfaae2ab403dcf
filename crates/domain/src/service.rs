//! A unit's public services (layanan) with their service standard (UU 25/2009: requirements,
//! procedure, time limit, cost, product, complaint handling) and the extra questions a
//! request for the service asks, typed as Open311 attributes.

use crate::request::RequestKind;
use crate::validation::{optional_text, required_text};
use crate::FieldErrors;
use serde::{Deserialize, Serialize};

/// The six Open311 attribute datatypes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Datatype {
    String,
    Number,
    Datetime,
    Text,
    Singlevaluelist,
    Multivaluelist,
}

impl Datatype {
    pub const ALL: [Datatype; 6] = [
        Self::String,
        Self::Number,
        Self::Datetime,
        Self::Text,
        Self::Singlevaluelist,
        Self::Multivaluelist,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Datetime => "datetime",
            Self::Text => "text",
            Self::Singlevaluelist => "singlevaluelist",
            Self::Multivaluelist => "multivaluelist",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == s.trim().to_lowercase())
    }

    pub fn is_list(self) -> bool {
        matches!(self, Self::Singlevaluelist | Self::Multivaluelist)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// Stable key, e.g. `jenis_kerusakan`; answers are stored under it.
    pub code: String,
    pub label: String,
    pub datatype: Datatype,
    pub required: bool,
    /// For list types: the allowed values.
    pub options: Vec<String>,
}

impl Question {
    /// The form field that carries the answer.
    pub fn field_name(&self) -> String {
        format!("q_{}", self.code)
    }
}

/// Questions are edited as text, one per line, so the form works without JavaScript:
/// `code | label | datatype | required or optional | option; option; ...`
pub fn parse_questions(text: &str) -> Result<Vec<Question>, String> {
    let mut out: Vec<Question> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        if parts.len() < 4 {
            return Err(format!(
                "line {n}: expected 'code | label | datatype | required | options'"
            ));
        }
        let code = parts[0].to_lowercase();
        if code.is_empty()
            || code.len() > 40
            || !code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(format!(
                "line {n}: code '{}' must be lower-case letters, digits or _",
                parts[0]
            ));
        }
        if out.iter().any(|q| q.code == code) {
            return Err(format!("line {n}: code '{code}' is used twice"));
        }
        if parts[1].is_empty() {
            return Err(format!("line {n}: the label is empty"));
        }
        let datatype = Datatype::parse(parts[2]).ok_or_else(|| {
            format!("line {n}: datatype '{}' is not one of string, number, datetime, text, singlevaluelist, multivaluelist", parts[2])
        })?;
        let required = match parts[3].to_lowercase().as_str() {
            "required" | "wajib" | "ya" | "yes" | "true" => true,
            "optional" | "opsional" | "tidak" | "no" | "false" | "" => false,
            other => {
                return Err(format!(
                    "line {n}: '{other}' should be 'required' or 'optional'"
                ))
            }
        };
        let options: Vec<String> = parts
            .get(4)
            .map(|o| {
                o.split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        if datatype.is_list() && options.is_empty() {
            return Err(format!(
                "line {n}: a {} needs options separated by ';'",
                datatype.as_str()
            ));
        }
        out.push(Question {
            code,
            label: parts[1].to_string(),
            datatype,
            required,
            options,
        });
    }
    Ok(out)
}

pub fn questions_to_text(qs: &[Question]) -> String {
    qs.iter()
        .map(|q| {
            format!(
                "{} | {} | {} | {}{}",
                q.code,
                q.label,
                q.datatype.as_str(),
                if q.required { "required" } else { "optional" },
                if q.options.is_empty() {
                    String::new()
                } else {
                    format!(" | {}", q.options.join("; "))
                }
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Checks answers (`q_<code>` form fields; several values for a multivaluelist) against the
/// questions. Returns the answers to store, keyed by code, multi-values joined by `;`.
pub fn check_answers(
    questions: &[Question],
    raw: &[(String, String)],
) -> Result<Vec<(String, String)>, FieldErrors> {
    let mut e = FieldErrors::new();
    let mut out = Vec::new();
    for q in questions {
        let field = format!("q_{}", q.code);
        let values: Vec<&str> = raw
            .iter()
            .filter(|(k, _)| *k == field)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            if q.required {
                e.add(field, "required");
            }
            continue;
        }
        let ok = match q.datatype {
            Datatype::String => values.len() == 1 && values[0].chars().count() <= 200,
            Datatype::Text => values.len() == 1 && values[0].chars().count() <= 4000,
            Datatype::Number => {
                values.len() == 1
                    && values[0]
                        .replace(',', ".")
                        .parse::<f64>()
                        .is_ok_and(f64::is_finite)
            }
            Datatype::Datetime => {
                values.len() == 1
                    && (chrono::NaiveDate::parse_from_str(values[0], "%Y-%m-%d").is_ok()
                        || chrono::NaiveDateTime::parse_from_str(values[0], "%Y-%m-%dT%H:%M")
                            .is_ok()
                        || chrono::DateTime::parse_from_rfc3339(values[0]).is_ok())
            }
            Datatype::Singlevaluelist => {
                values.len() == 1 && q.options.iter().any(|o| o == values[0])
            }
            Datatype::Multivaluelist => values.iter().all(|v| q.options.iter().any(|o| o == v)),
        };
        if !ok {
            e.add(
                field,
                if q.datatype.is_list() {
                    "invalid_choice"
                } else {
                    "invalid_answer"
                },
            );
            continue;
        }
        out.push((q.code.clone(), values.join(";")));
    }
    e.into_result(|| out)
}

/// What the service form submits, before checking.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ServiceInput {
    pub unit_code: String,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub group_name: String,
    pub keywords: String,
    pub description: String,
    pub requirements: String,
    pub procedure: String,
    pub time_limit_days: String,
    pub cost: String,
    pub product: String,
    pub complaint_handling: String,
    pub legal_basis: String,
    pub questions: String,
    pub active: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceDraft {
    pub unit_code: String,
    pub code: String,
    pub name: String,
    pub kind: RequestKind,
    pub group_name: Option<String>,
    pub keywords: Option<String>,
    pub description: Option<String>,
    pub requirements: Option<String>,
    pub procedure: Option<String>,
    /// The service's own limit to resolve a request, in working days.
    pub time_limit_days: i32,
    pub cost: Option<String>,
    pub product: Option<String>,
    pub complaint_handling: Option<String>,
    pub legal_basis: Option<String>,
    pub questions: Vec<Question>,
    pub active: bool,
}

impl ServiceInput {
    pub fn parse(&self) -> Result<ServiceDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let unit_code = self.unit_code.trim().to_uppercase();
        if unit_code.is_empty() {
            e.add("unit_code", "required");
        }
        let code = self.code.trim().to_lowercase();
        let code_ok = !code.is_empty()
            && code.len() <= 40
            && code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if code.is_empty() {
            e.add("code", "required");
        } else if !code_ok {
            e.add("code", "invalid_service_code");
        }
        let name = e.check("name", required_text(&self.name, 200));
        let kind = e.check(
            "kind",
            crate::validation::required(&self.kind, RequestKind::parse),
        );
        let limit = match self.time_limit_days.trim() {
            "" => Err("required"),
            t => t
                .parse::<i32>()
                .ok()
                .filter(|d| (0..=365).contains(d))
                .ok_or("invalid_days"),
        };
        let time_limit_days = e.check("time_limit_days", limit);
        let questions = match parse_questions(&self.questions) {
            Ok(q) => Some(q),
            Err(_) => {
                e.add("questions", "invalid_questions");
                None
            }
        };
        let opt = |e: &mut FieldErrors, f: &str, v: &str, max| {
            e.check(f, optional_text(v, max)).flatten()
        };
        let group_name = opt(&mut e, "group_name", &self.group_name, 100);
        let keywords = opt(&mut e, "keywords", &self.keywords, 500);
        let description = opt(&mut e, "description", &self.description, 4000);
        let requirements = opt(&mut e, "requirements", &self.requirements, 4000);
        let procedure = opt(&mut e, "procedure", &self.procedure, 4000);
        let cost = opt(&mut e, "cost", &self.cost, 500);
        let product = opt(&mut e, "product", &self.product, 500);
        let complaint_handling = opt(&mut e, "complaint_handling", &self.complaint_handling, 2000);
        let legal_basis = opt(&mut e, "legal_basis", &self.legal_basis, 2000);
        match (name, kind, time_limit_days, questions) {
            (Some(name), Some(kind), Some(time_limit_days), Some(questions)) if e.is_empty() => {
                Ok(ServiceDraft {
                    unit_code,
                    code,
                    name,
                    kind,
                    group_name,
                    keywords,
                    description,
                    requirements,
                    procedure,
                    time_limit_days,
                    cost,
                    product,
                    complaint_handling,
                    legal_basis,
                    questions,
                    active: matches!(self.active.as_deref(), Some("on" | "true" | "1")),
                })
            }
            _ => Err(e),
        }
    }
}

/// A stored service.
#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub draft: ServiceDraft,
}

#[cfg(test)]
mod tests {
    use super::*;

    const QS: &str =
        "jenis | Jenis kerusakan | singlevaluelist | required | Berlubang; Retak; Ambles\n\
                      panjang | Perkiraan panjang (m) | number | optional\n\
                      sejak | Sejak kapan | datetime | optional\n\
                      catatan | Catatan | text | optional\n\
                      dampak | Dampak | multivaluelist | optional | Macet; Kecelakaan; Banjir";

    #[test]
    fn questions_round_trip() {
        let qs = parse_questions(QS).unwrap();
        assert_eq!(qs.len(), 5);
        assert_eq!(qs[0].options, ["Berlubang", "Retak", "Ambles"]);
        assert!(qs[0].required && !qs[1].required);
        assert_eq!(parse_questions(&questions_to_text(&qs)).unwrap(), qs);
    }

    #[test]
    fn question_lines_say_what_is_wrong() {
        assert_eq!(parse_questions("a | A | boolean | required").unwrap_err(),
            "line 1: datatype 'boolean' is not one of string, number, datetime, text, singlevaluelist, multivaluelist");
        assert!(parse_questions("a | A | singlevaluelist | required")
            .unwrap_err()
            .contains("needs options"));
        assert!(
            parse_questions("a | A | text | required\na | B | text | optional")
                .unwrap_err()
                .contains("used twice")
        );
    }

    #[test]
    fn answers_are_checked_by_type() {
        let qs = parse_questions(QS).unwrap();
        let raw = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        };
        let ok = check_answers(
            &qs,
            &raw(&[
                ("q_jenis", "Retak"),
                ("q_panjang", "2,5"),
                ("q_dampak", "Macet"),
                ("q_dampak", "Banjir"),
            ]),
        )
        .unwrap();
        assert_eq!(
            ok,
            vec![
                ("jenis".into(), "Retak".into()),
                ("panjang".into(), "2,5".into()),
                ("dampak".into(), "Macet;Banjir".into())
            ]
        );
        let e = check_answers(
            &qs,
            &raw(&[
                ("q_panjang", "dua"),
                ("q_sejak", "kemarin"),
                ("q_dampak", "Gempa"),
            ]),
        )
        .unwrap_err();
        assert_eq!(e.for_field("q_jenis"), Some("required"));
        assert_eq!(e.for_field("q_panjang"), Some("invalid_answer"));
        assert_eq!(e.for_field("q_sejak"), Some("invalid_answer"));
        assert_eq!(e.for_field("q_dampak"), Some("invalid_choice"));
    }
}
