//! The documents kotapintar writes itself: the masterplan progress report (PDF and XLSX) and
//! bimtek certificates (PDF). The numbers come from storage; the wording from the catalogues.

use crate::i18n::{t, Lang};
use crate::pdf::{Bar, Doc, Font};
use crate::WebError;
use kotapintar_domain::masterplan::{format_rupiah, Attainment};
use kotapintar_storage::masterplan::{Indicator, Programme, Report, ReportProgramme};
use kotapintar_storage::training::Certificate;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

fn tk(lang: Lang, prefix: &str, key: &str) -> &'static str {
    t(lang, &format!("{prefix}.{key}"))
}

pub fn date(d: chrono::NaiveDate) -> String {
    d.format("%d-%m-%Y").to_string()
}

fn local_date(t: chrono::DateTime<chrono::Utc>, offset: chrono::FixedOffset) -> String {
    t.with_timezone(&offset).format("%d-%m-%Y").to_string()
}

/// A value with its unit, or a dash.
pub fn shown(
    ind: &Indicator,
    v: Option<kotapintar_domain::masterplan::Centi>,
    lang: Lang,
) -> String {
    v.map(|v| {
        ind.measure
            .show(v, t(lang, "masterplan.yes"), t(lang, "masterplan.no"))
    })
    .unwrap_or_else(|| "-".into())
}

fn attainment_text(a: Attainment, lang: Lang) -> &'static str {
    tk(lang, "masterplan", &format!("att_{}", a.as_str()))
}

fn programme_lines(doc: &mut Doc, p: &Programme, lang: Lang) {
    let l = |k: &str| t(lang, &format!("masterplan.{k}"));
    doc.para_at(
        &format!(
            "{}: {} · {}: {} · {}: {}-{}{}",
            l("status"),
            tk(lang, "masterplan", &format!("status_{}", p.status.as_str())),
            l("horizon"),
            tk(
                lang,
                "masterplan",
                &format!("horizon_{}", p.horizon.as_str())
            ),
            l("years"),
            p.start_year,
            p.end_year,
            if p.late {
                format!(" · {}", l("late"))
            } else {
                String::new()
            }
        ),
        Font::Regular,
        9.0,
        50.0,
    );
    let mut who = format!("{}: {}", l("owner"), p.owner.name);
    if !p.partners.is_empty() {
        who.push_str(&format!(
            " · {}: {}",
            l("partners"),
            p.partners
                .iter()
                .map(|u| u.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(c) = &p.rpjmd_code {
        who.push_str(&format!(" · RPJMD {c}"));
    }
    doc.para_at(&who, Font::Regular, 9.0, 50.0);
    if !p.budgets.is_empty() {
        let b: Vec<String> = p
            .budgets
            .iter()
            .map(|(y, a)| format!("{y}: {}", format_rupiah(*a)))
            .collect();
        doc.para_at(
            &format!("{}: {}", l("budget"), b.join("; ")),
            Font::Regular,
            9.0,
            50.0,
        );
    }
    if !p.applications.is_empty() {
        let a: Vec<&str> = p.applications.iter().map(|(_, n)| n.as_str()).collect();
        doc.para_at(
            &format!("{}: {}", l("applications"), a.join(", ")),
            Font::Regular,
            9.0,
            50.0,
        );
    }
}

/// The progress report as a PDF: a summary, then per dimension each programme with its
/// indicators (a table and a chart), what changed in the period, and what is late.
pub fn report_pdf(r: &Report, lang: Lang, regency: &str) -> Vec<u8> {
    let l = |k: &str| t(lang, &format!("masterplan.{k}"));
    let title = format!("{} {}", l("report_title"), regency);
    let mut doc = Doc::new(&title, &format!("kotapintar · {}", l("report_title")));
    doc.heading(&title, 18.0);
    doc.para(
        &format!("{}: {} - {}", l("period"), date(r.from), date(r.to)),
        10.0,
    );
    doc.para(
        &format!(
            "{}: {} · {}: {}",
            l("programmes"),
            r.programme_count(),
            l("late_count"),
            r.late().len()
        ),
        10.0,
    );
    if let Some(a) = &r.latest_readiness {
        doc.para(
            &format!(
                "{} ({}): {} {} · {} {} · {} {} · {} {}",
                l("readiness"),
                date(a.assessed_on),
                l("aspect_structure"),
                a.structure,
                l("aspect_infrastructure"),
                a.infrastructure,
                l("aspect_superstructure"),
                a.superstructure,
                l("overall"),
                a.overall
            ),
            10.0,
        );
    }
    let late = r.late();
    if !late.is_empty() {
        doc.heading(l("late_title"), 12.0);
        for p in late {
            doc.para(&format!("• {} ({})", p.name, p.owner.name), 9.5);
        }
    }
    for s in &r.sections {
        doc.rule();
        let dim_name = if lang == Lang::En {
            &s.dimension.name_en
        } else {
            &s.dimension.name
        };
        doc.heading(dim_name, 15.0);
        if s.programmes.is_empty() {
            doc.para(l("no_programmes"), 9.5);
            continue;
        }
        for rp in &s.programmes {
            let p = &rp.programme;
            let el = if lang == Lang::En {
                &p.element.name_en
            } else {
                &p.element.name
            };
            doc.heading(&format!("{} ({el})", p.name), 11.5);
            programme_lines(&mut doc, p, lang);
            for ind in &p.indicators {
                indicator_lines(&mut doc, ind, lang);
            }
            change_lines(&mut doc, rp, lang);
            doc.space(6.0);
        }
    }
    doc.finish(t(lang, "masterplan.page"), t(lang, "masterplan.of"))
}

/// An indicator: its baseline, a table of its years, and a chart when it has figures.
fn indicator_lines(doc: &mut Doc, ind: &Indicator, lang: Lang) {
    let l = |k: &str| t(lang, &format!("masterplan.{k}"));
    doc.space(4.0);
    doc.para_at(
        &format!(
            "{}: {} ({} {}: {})",
            l("indicator"),
            ind.name,
            l("baseline"),
            ind.baseline_year,
            shown(ind, Some(ind.baseline), lang)
        ),
        Font::Bold,
        9.5,
        50.0,
    );
    let rows: Vec<Vec<String>> = ind
        .values
        .iter()
        .map(|v| {
            vec![
                v.year.to_string(),
                shown(ind, v.target, lang),
                shown(ind, v.actual, lang),
                attainment_text(v.attainment, lang).to_string(),
            ]
        })
        .collect();
    doc.table(
        &[
            l("year").to_string(),
            l("target").to_string(),
            l("actual").to_string(),
            l("attainment").to_string(),
        ],
        &rows,
        &[0.15, 0.25, 0.25, 0.35],
    );
    let bars: Vec<Bar> = ind
        .values
        .iter()
        .map(|v| Bar {
            label: v.year.to_string(),
            target: v.target.map(|c| c.as_f64()),
            actual: v.actual.map(|c| c.as_f64()),
        })
        .collect();
    if ind
        .values
        .iter()
        .any(|v| v.target.is_some() || v.actual.is_some())
    {
        doc.chart(&bars, (l("target"), l("actual")));
    }
}

/// What changed in the period: the programme's updates with their evidence.
fn change_lines(doc: &mut Doc, rp: &ReportProgramme, lang: Lang) {
    let l = |k: &str| t(lang, &format!("masterplan.{k}"));
    doc.space(4.0);
    doc.para_at(l("changes"), Font::Bold, 9.5, 50.0);
    if rp.changes.is_empty() {
        doc.para_at(l("no_changes"), Font::Regular, 9.0, 60.0);
    }
    for u in &rp.changes {
        let status = u
            .status
            .map(|s| {
                format!(
                    " [{}]",
                    tk(lang, "masterplan", &format!("status_{}", s.as_str()))
                )
            })
            .unwrap_or_default();
        doc.para_at(
            &format!("{}{status}: {}", date(u.reported_on), u.summary),
            Font::Regular,
            9.0,
            60.0,
        );
        for e in &u.evidence {
            let what = e
                .url
                .clone()
                .or_else(|| e.file_name.clone())
                .unwrap_or_default();
            doc.para_at(
                &format!("{}: {what}", l("evidence")),
                Font::Regular,
                8.0,
                70.0,
            );
        }
    }
}

/// The indicators as a spreadsheet: one row per indicator and year, numbers as numbers.
pub fn report_xlsx(r: &Report, lang: Lang) -> Result<Vec<u8>, WebError> {
    build_xlsx(r, lang).map_err(|e| WebError::Internal(format!("xlsx: {e}")))
}

fn build_xlsx(r: &Report, lang: Lang) -> Result<Vec<u8>, XlsxError> {
    let l = |k: &str| t(lang, &format!("masterplan.{k}"));
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(l("sheet_indicators"))?;
    let head = [
        l("dimension"),
        l("element"),
        l("programme"),
        l("owner"),
        l("indicator"),
        l("measure"),
        l("baseline"),
        l("baseline_year"),
        l("year"),
        l("target"),
        l("actual"),
        l("attainment"),
    ];
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
        ws.set_column_width(c as u16, if c < 5 { 28 } else { 12 })?;
    }
    let mut row = 1u32;
    for s in &r.sections {
        for rp in &s.programmes {
            let p = &rp.programme;
            for ind in &p.indicators {
                for v in &ind.values {
                    ws.write_string(row, 0, &s.dimension.name)?;
                    ws.write_string(row, 1, &p.element.name)?;
                    ws.write_string(row, 2, &p.name)?;
                    ws.write_string(row, 3, &p.owner.name)?;
                    ws.write_string(row, 4, &ind.name)?;
                    let measure = match ind.measure.kind {
                        kotapintar_domain::masterplan::ValueKind::Percent => "%".to_string(),
                        kotapintar_domain::masterplan::ValueKind::YesNo => {
                            l("kind_yes_no").to_string()
                        }
                        _ => ind.measure.unit.clone(),
                    };
                    ws.write_string(row, 5, measure)?;
                    ws.write_number(row, 6, ind.baseline.as_f64())?;
                    ws.write_number(row, 7, ind.baseline_year)?;
                    ws.write_number(row, 8, v.year)?;
                    if let Some(tg) = v.target {
                        ws.write_number(row, 9, tg.as_f64())?;
                    }
                    if let Some(a) = v.actual {
                        ws.write_number(row, 10, a.as_f64())?;
                    }
                    ws.write_string(row, 11, attainment_text(v.attainment, lang))?;
                    row += 1;
                }
            }
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name(l("sheet_programmes"))?;
    let head = [
        l("dimension"),
        l("programme"),
        l("horizon"),
        l("status"),
        l("owner"),
        "RPJMD",
        l("years"),
        l("budget"),
        l("late"),
        l("changes"),
    ];
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
        ws.set_column_width(c as u16, if c < 2 { 30 } else { 14 })?;
    }
    let mut row = 1u32;
    for s in &r.sections {
        for rp in &s.programmes {
            let p = &rp.programme;
            ws.write_string(row, 0, &s.dimension.name)?;
            ws.write_string(row, 1, &p.name)?;
            ws.write_string(
                row,
                2,
                tk(
                    lang,
                    "masterplan",
                    &format!("horizon_{}", p.horizon.as_str()),
                ),
            )?;
            ws.write_string(
                row,
                3,
                tk(lang, "masterplan", &format!("status_{}", p.status.as_str())),
            )?;
            ws.write_string(row, 4, &p.owner.name)?;
            ws.write_string(row, 5, p.rpjmd_code.clone().unwrap_or_default())?;
            ws.write_string(row, 6, format!("{}-{}", p.start_year, p.end_year))?;
            ws.write_number(row, 7, p.total_budget() as f64)?;
            ws.write_string(row, 8, if p.late { l("yes") } else { l("no") })?;
            ws.write_number(row, 9, rp.changes.len() as f64)?;
            row += 1;
        }
    }
    wb.save_to_buffer()
}

/// A one-page certificate with its verification code and where to check it.
pub fn certificate_pdf(
    c: &Certificate,
    lang: Lang,
    offset: chrono::FixedOffset,
    verify_url: &str,
    regency: &str,
) -> Vec<u8> {
    let l = |k: &str| t(lang, &format!("bimtek.{k}"));
    let mut doc = Doc::new(l("certificate"), &format!("kotapintar · {}", c.code));
    doc.frame();
    doc.space(60.0);
    doc.centred(regency, Font::Bold, 14.0);
    doc.space(30.0);
    doc.centred(l("certificate").to_uppercase().as_str(), Font::Bold, 28.0);
    doc.space(24.0);
    doc.centred(l("certificate_given_to"), Font::Regular, 12.0);
    doc.space(8.0);
    doc.centred(&c.participant_name, Font::Bold, 22.0);
    doc.centred(&c.unit_name, Font::Regular, 12.0);
    doc.space(20.0);
    doc.centred(l("certificate_for"), Font::Regular, 12.0);
    doc.centred(&c.event_title, Font::Bold, 15.0);
    if let Some(a) = &c.application_name {
        doc.centred(&format!("{}: {a}", l("application")), Font::Regular, 11.0);
    }
    doc.centred(
        &format!(
            "{} - {} · {}",
            local_date(c.starts_at, offset),
            local_date(c.ends_at, offset),
            c.place
        ),
        Font::Regular,
        11.0,
    );
    doc.centred(
        &format!("{}: {}", l("trainers"), c.trainers),
        Font::Regular,
        11.0,
    );
    doc.space(60.0);
    doc.centred(
        &format!("{}: {}", l("verification_code"), c.code),
        Font::Bold,
        12.0,
    );
    doc.centred(
        &format!("{} {verify_url}", l("verify_at")),
        Font::Regular,
        10.0,
    );
    doc.finish(t(lang, "masterplan.page"), t(lang, "masterplan.of"))
}
