use super::*;
use crate::ids::UserId;
use crate::policy::{Actor, Permission};
use crate::user::Role;
use crate::user::{RoleAssignment, Username};

fn wita() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn actor(role: Role, unit: Option<i64>) -> Actor {
    Actor {
        user_id: UserId(1),
        username: Username::parse("tester").unwrap(),
        full_name: "T".into(),
        roles: vec![RoleAssignment {
            role,
            unit_id: unit.map(UnitId),
        }],
    }
}

#[test]
fn editors_draft_admins_publish() {
    let editor = actor(Role::Editor, Some(3));
    let unit_admin = actor(Role::UnitAdmin, Some(3));
    let other_admin = actor(Role::UnitAdmin, Some(4));
    let officer = actor(Role::Officer, Some(3));
    assert!(editor.can(Permission::EditContent { unit: UnitId(3) }));
    assert!(!editor.can(Permission::EditContent { unit: UnitId(4) }));
    assert!(!officer.can(Permission::EditContent { unit: UnitId(3) }));
    assert!(editor.can(Permission::ContentStep {
        unit: UnitId(3),
        step: EditorialStep::Submit
    }));
    assert!(!editor.can(Permission::ContentStep {
        unit: UnitId(3),
        step: EditorialStep::Publish
    }));
    assert!(unit_admin.can(Permission::ContentStep {
        unit: UnitId(3),
        step: EditorialStep::Publish
    }));
    assert!(!other_admin.can(Permission::ContentStep {
        unit: UnitId(3),
        step: EditorialStep::Publish
    }));
    assert!(actor(Role::Admin, None).can(Permission::ContentStep {
        unit: UnitId(3),
        step: EditorialStep::Unpublish
    }));
}

#[test]
fn slugs_from_titles() {
    assert_eq!(
        Slug::from_title("Perbaikan Jalan di Kuta: Tahap 2!").as_str(),
        "perbaikan-jalan-di-kuta-tahap-2"
    );
    assert_eq!(Slug::from_title("Café Ubud").as_str(), "cafe-ubud");
    assert_eq!(Slug::from_title("!!!").as_str(), "item");
    let long = "kata ".repeat(40);
    let s = Slug::from_title(&long);
    assert!(s.as_str().len() <= SLUG_MAX);
    assert!(!s.as_str().ends_with('-'));
    assert_eq!(
        Slug::from_title("jalan rusak").numbered(2).as_str(),
        "jalan-rusak-2"
    );
    assert!(Slug::parse("Jalan Rusak").is_err());
    assert!(Slug::parse("jalan--rusak").is_err());
    assert!(Slug::parse("-jalan").is_err());
    assert!(Slug::parse("jalan-rusak-2").is_ok());
}

fn agenda_input() -> ContentInput {
    ContentInput {
        kind: "agenda".into(),
        title: "Musrenbang Kecamatan Kuta".into(),
        starts_at: "2026-12-01T09:00".into(),
        ends_at: "2026-12-01T12:30".into(),
        place: "Kantor Camat Kuta".into(),
        ..Default::default()
    }
}

#[test]
fn agenda_times_are_local_wita() {
    let draft = agenda_input().parse(UnitId(1), wita()).unwrap();
    let ContentDetails::Agenda(a) = draft.details else {
        panic!("agenda")
    };
    // 09:00 WITA is 01:00 UTC
    assert_eq!(a.starts_at.to_rfc3339(), "2026-12-01T01:00:00+00:00");
    assert_eq!(a.ends_at.to_rfc3339(), "2026-12-01T04:30:00+00:00");
    assert!(!a.internal);
}

#[test]
fn agenda_ending_before_it_starts_is_refused() {
    let mut i = agenda_input();
    i.ends_at = "2026-12-01T08:00".into();
    let e = i.parse(UnitId(1), wita()).unwrap_err();
    assert_eq!(e.for_field("ends_at"), Some("ends_before_start"));
    let mut i = agenda_input();
    i.starts_at = "kemarin".into();
    i.place = " ".into();
    let e = i.parse(UnitId(1), wita()).unwrap_err();
    assert_eq!(e.for_field("starts_at"), Some("invalid_datetime"));
    assert_eq!(e.for_field("place"), Some("required"));
}

fn project_input() -> ContentInput {
    ContentInput {
        kind: "proyek".into(),
        title: "Pelebaran Jalan Raya Kerobokan".into(),
        sector: "Jalan dan jembatan".into(),
        fund_source: "apbd".into(),
        budget_ceiling: "Rp 12.500.000.000".into(),
        contract_value: "11.900.000.000".into(),
        contractor: "PT Karya Bali".into(),
        planned_start: "2026-03-01".into(),
        planned_end: "2026-12-31".into(),
        project_status: "running".into(),
        ..Default::default()
    }
}

#[test]
fn project_fields_checked() {
    let p = project_input().parse(UnitId(2), wita()).unwrap();
    let ContentDetails::Project(p) = p.details else {
        panic!("project")
    };
    assert_eq!(p.budget_ceiling, 12_500_000_000);
    assert_eq!(p.contract_value, Some(11_900_000_000));
    let mut i = project_input();
    i.contract_value = "13.000.000.000".into();
    i.fund_source = "hibah".into();
    i.lat = "-8.65".into();
    let e = i.parse(UnitId(2), wita()).unwrap_err();
    assert_eq!(e.for_field("fund_source"), Some("invalid_choice"));
    assert_eq!(e.for_field("lon"), Some("coordinate_pair"));
    let mut i = project_input();
    i.contract_value = "13.000.000.000".into();
    let e = i.parse(UnitId(2), wita()).unwrap_err();
    assert_eq!(e.for_field("contract_value"), Some("contract_over_ceiling"));
    assert_eq!(parse_rupiah("12,5 juta"), Err("invalid_amount"));
}

#[test]
fn attachments_are_pdfs_by_content() {
    assert_eq!(
        check_attachment("C:\\Dokumen\\SK Bupati.pdf", b"%PDF-1.7 ..."),
        Ok("SK Bupati.pdf".into())
    );
    assert_eq!(
        check_attachment("virus.pdf", b"MZ\x90\x00"),
        Err("attachment_not_pdf")
    );
    assert_eq!(check_attachment("x.pdf", b""), Err("photo_empty"));
    let big = vec![b'%'; ATTACHMENT_MAX_BYTES + 1];
    assert_eq!(check_attachment("x.pdf", &big), Err("attachment_too_large"));
    assert_eq!(
        check_attachment("<img>\"a.pdf", b"%PDF-1.4"),
        Ok("imga.pdf".into())
    );
}

#[test]
fn planned_progress_is_linear_between_start_and_end() {
    let (s, e) = (d("2026-01-01"), d("2026-01-11"));
    assert_eq!(planned_progress(s, e, d("2025-12-01")), 0.0);
    assert_eq!(planned_progress(s, e, d("2026-01-06")), 50.0);
    assert_eq!(planned_progress(s, e, d("2026-02-01")), 100.0);
}

#[test]
fn behind_schedule_flag() {
    let ContentDetails::Project(mut p) = project_input().parse(UnitId(2), wita()).unwrap().details
    else {
        panic!("project")
    };
    // 2026-03-01 .. 2026-12-31 is 305 days; on 2026-08-01 (153 days) the plan is 50.16 %.
    let today = d("2026-08-01");
    assert!((planned_progress(p.planned_start, p.planned_end, today) - 50.16).abs() < 0.01);
    assert!(!behind_schedule(&p, Some(45.0), today)); // 5.2 points behind: within tolerance
    assert!(behind_schedule(&p, Some(38.0), today)); // 12.2 points behind
    assert!(behind_schedule(&p, None, today));
    assert!(behind_schedule(&p, Some(99.0), d("2027-01-05"))); // late and unfinished
    assert!(!behind_schedule(&p, Some(100.0), d("2027-01-05")));
    p.status = ProjectStatus::Stopped;
    assert!(!behind_schedule(&p, Some(10.0), today));
}

#[test]
fn progress_reports_do_not_go_backwards() {
    let today = d("2026-08-01");
    let first = ProgressInput {
        reported_on: "2026-06-30".into(),
        physical_pct: "35,5".into(),
        budget_pct: "30".into(),
        note: "Pengaspalan ruas utara".into(),
    }
    .parse(None, today)
    .unwrap();
    assert_eq!(first.physical_pct, 35.5);
    let e = ProgressInput {
        reported_on: "2026-06-01".into(),
        physical_pct: "20".into(),
        budget_pct: "120".into(),
        note: String::new(),
    }
    .parse(Some(&first), today)
    .unwrap_err();
    assert_eq!(e.for_field("reported_on"), Some("before_previous_report"));
    assert_eq!(e.for_field("physical_pct"), Some("progress_backwards"));
    assert_eq!(e.for_field("budget_pct"), Some("invalid_percent"));
    let e = ProgressInput {
        reported_on: "2026-09-01".into(),
        physical_pct: "50".into(),
        budget_pct: "40".into(),
        note: String::new(),
    }
    .parse(Some(&first), today)
    .unwrap_err();
    assert_eq!(e.for_field("reported_on"), Some("date_in_future"));
}
