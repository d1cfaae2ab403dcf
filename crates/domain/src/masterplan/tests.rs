use super::*;

fn m(kind: ValueKind, unit: &str) -> Measure {
    Measure {
        kind,
        unit: unit.into(),
    }
}

#[test]
fn centi_reads_and_prints() {
    assert_eq!(Centi::parse("12"), Ok(Centi(1200)));
    assert_eq!(Centi::parse("12,5"), Ok(Centi(1250)));
    assert_eq!(Centi::parse("-0.25"), Ok(Centi(-25)));
    assert_eq!(Centi::parse("1.234"), Err("masterplan.too_many_decimals"));
    assert_eq!(Centi::parse("abc"), Err("masterplan.not_a_number"));
    assert_eq!(Centi(1250).to_string(), "12.5");
    assert_eq!(Centi(1205).to_string(), "12.05");
    assert_eq!(Centi(-300).to_string(), "-3");
}

#[test]
fn values_must_fit_the_indicator() {
    let apps = m(ValueKind::Count, "aplikasi");
    assert_eq!(apps.parse_value("12"), Ok(Some(Centi(1200))));
    assert_eq!(apps.parse_value("12 aplikasi"), Ok(Some(Centi(1200))));
    assert_eq!(apps.parse_value(""), Ok(None));
    assert_eq!(apps.parse_value("80%"), Err("masterplan.wrong_unit"));
    assert_eq!(apps.parse_value("12 desa"), Err("masterplan.wrong_unit"));
    assert_eq!(apps.parse_value("12.5"), Err("masterplan.count_not_whole"));
    assert_eq!(apps.parse_value("-1"), Err("masterplan.negative"));
    assert_eq!(apps.parse_value("banyak"), Err("masterplan.wrong_type"));
    let pct = m(ValueKind::Percent, "");
    assert_eq!(pct.parse_value("85,5%"), Ok(Some(Centi(8550))));
    assert_eq!(pct.parse_value("101"), Err("masterplan.percent_range"));
    assert_eq!(pct.parse_value("12 desa"), Err("masterplan.wrong_unit"));
    let yn = m(ValueKind::YesNo, "");
    assert_eq!(yn.parse_value("Ya"), Ok(Some(Centi(100))));
    assert_eq!(yn.parse_value("5"), Err("masterplan.wrong_type"));
    assert_eq!(pct.show(Centi(8550), "ya", "tidak"), "85.5%");
    assert_eq!(apps.show(Centi(1200), "ya", "tidak"), "12 aplikasi");
}

#[test]
fn a_year_needs_a_value_inside_the_programme() {
    let pct = m(ValueKind::Percent, "");
    let ok = ValueInput {
        year: "2026".into(),
        target: "60".into(),
        actual: "".into(),
    };
    assert_eq!(
        parse_values(&ok, &pct, (2025, 2027)),
        Ok((2026, Some(Centi(6000)), None))
    );
    let outside = ValueInput {
        year: "2030".into(),
        ..ok.clone()
    };
    let e = parse_values(&outside, &pct, (2025, 2027)).unwrap_err();
    assert_eq!(
        e.for_field("year"),
        Some("masterplan.year_outside_programme")
    );
    let empty = ValueInput {
        year: "2026".into(),
        ..Default::default()
    };
    let e = parse_values(&empty, &pct, (2025, 2027)).unwrap_err();
    assert_eq!(e.for_field("target"), Some("masterplan.value_required"));
}

#[test]
fn attainment_and_lateness() {
    use Attainment::*;
    let t = Some(Centi(6000));
    assert_eq!(
        attainment(Direction::Increase, t, Some(Centi(6500))),
        Achieved
    );
    assert_eq!(
        attainment(Direction::Increase, t, Some(Centi(5500))),
        Behind
    );
    assert_eq!(
        attainment(Direction::Decrease, t, Some(Centi(5500))),
        Achieved
    );
    assert_eq!(attainment(Direction::Increase, t, None), NotReported);
    assert_eq!(attainment(Direction::Increase, None, None), NoTarget);
    assert_eq!(progress_percent(Centi(0), Centi(1000), Centi(500)), 50);
    assert_eq!(progress_percent(Centi(1000), Centi(0), Centi(250)), 75);
    assert_eq!(progress_percent(Centi(0), Centi(1000), Centi(2000)), 100);
    assert!(is_late(ProgrammeStatus::Running, 2025, 2026, &[]));
    assert!(is_late(ProgrammeStatus::Running, 2027, 2026, &[Behind]));
    assert!(!is_late(ProgrammeStatus::Running, 2027, 2026, &[Achieved]));
    assert!(!is_late(ProgrammeStatus::Completed, 2025, 2026, &[Behind]));
    assert!(is_late(ProgrammeStatus::Delayed, 2030, 2026, &[]));
}

#[test]
fn programme_rules() {
    let good = ProgrammeInput {
        name: "Badung Smart Service".into(),
        element_id: "1".into(),
        horizon: "quick_win".into(),
        owner_code: "diskominfo".into(),
        partner_codes: "BAPPEDA, dpmptsp".into(),
        rpjmd_code: "2.16.03".into(),
        start_year: "2026".into(),
        end_year: "2027".into(),
        budgets: "2026: 250.000.000\n2027: Rp 300.000.000".into(),
        application_ids: "3, 4".into(),
        ..Default::default()
    };
    let d = good.parse().unwrap();
    assert_eq!(d.owner_code, "DISKOMINFO");
    assert_eq!(d.partner_codes, vec!["BAPPEDA", "DPMPTSP"]);
    assert_eq!(d.budgets, vec![(2026, 250_000_000), (2027, 300_000_000)]);
    assert_eq!(d.status, ProgrammeStatus::Planned);
    let bad = ProgrammeInput {
        partner_codes: "DISKOMINFO".into(),
        end_year: "2025".into(),
        budgets: "2026: banyak".into(),
        ..good.clone()
    };
    let e = bad.parse().unwrap_err();
    assert_eq!(
        e.for_field("partner_codes"),
        Some("masterplan.owner_is_partner")
    );
    assert_eq!(e.for_field("end_year"), Some("masterplan.end_before_start"));
    assert_eq!(e.for_field("budgets"), Some("masterplan.invalid_budget"));
    let outside = ProgrammeInput {
        budgets: "2030: 1".into(),
        ..good
    };
    assert_eq!(
        outside.parse().unwrap_err().for_field("budgets"),
        Some("masterplan.budget_outside_years")
    );
    assert_eq!(format_rupiah(1_500_000), "Rp 1.500.000");
    assert_eq!(format_rupiah(999), "Rp 999");
}

#[test]
fn readiness_is_scored_per_aspect() {
    let mut form = std::collections::HashMap::new();
    for (i, item) in readiness_items().enumerate() {
        form.insert(item, ((i % 5) + 1).to_string());
    }
    let items = parse_readiness(&form).unwrap();
    assert_eq!(items.len(), 9);
    let s = readiness_score(&items);
    // structure 1,2,3 -> 2; infrastructure 4,5,1 -> 3.33; superstructure 2,3,4 -> 3
    assert_eq!(
        s.aspects,
        vec![
            ("structure", Centi(200)),
            ("infrastructure", Centi(333)),
            ("superstructure", Centi(300))
        ]
    );
    assert_eq!(s.overall, Centi(278));
    assert_eq!(readiness_level(s.overall), 3);
    form.insert("structure.people".into(), "9".into());
    form.remove("superstructure.policy");
    let e = parse_readiness(&form).unwrap_err();
    assert_eq!(
        e.for_field("structure.people"),
        Some("masterplan.invalid_score")
    );
    assert_eq!(e.for_field("superstructure.policy"), Some("required"));
}

#[test]
fn the_kominfo_wheel_has_six_dimensions_of_three() {
    assert_eq!(KOMINFO_DIMENSIONS.len(), 6);
    for (code, ..) in KOMINFO_DIMENSIONS {
        assert!(parse_code(code).is_ok());
    }
    assert_eq!(parse_code("Smart Gov"), Err("masterplan.invalid_code"));
}
