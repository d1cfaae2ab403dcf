use super::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn wita() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

/// A local WITA time as UTC.
fn at(s: &str) -> DateTime<Utc> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .unwrap()
        .and_local_timezone(wita())
        .unwrap()
        .with_timezone(&Utc)
}

/// August 2026: Independence Day, Monday 17th, is a holiday.
fn calendar() -> Calendar {
    Calendar::new([d("2026-08-17")])
}

fn history() -> History {
    History {
        received_at: at("2026-08-14 16:30"), // a Friday
        verified_at: None,
        rejected_at: None,
        resolved_at: None,
        resolve_due_at: None,
        units: vec![],
        service_id: Some(4),
        district_code: Some("51.03.05".into()),
        village_code: Some("51.03.05.1001".into()),
        returned_at: vec![],
        referred_at: None,
    }
}

#[test]
fn durations_skip_weekends_and_holidays() {
    // Received Friday 14 Aug; verified Tuesday 18th: Sat, Sun and the holiday Monday
    // are skipped, so one working day (the 18th).
    let mut h = history();
    h.verified_at = Some(at("2026-08-18 09:00"));
    // Resolved Friday 28th: working days 18..21 (4) and 24..28 (5) = 9.
    h.resolved_at = Some(at("2026-08-28 10:00"));
    let f = Facts::from_history(&h, &calendar(), wita());
    assert_eq!(f.received_on, d("2026-08-14"));
    assert_eq!(f.verify_days, Some(1));
    assert_eq!(f.resolve_days, Some(9));
    // Same day: 0 days.
    h.verified_at = Some(at("2026-08-14 23:59"));
    let f = Facts::from_history(&h, &calendar(), wita());
    assert_eq!(f.verify_days, Some(0));
    // Without the holiday the Monday counts: verified Tuesday = 2 days.
    h.verified_at = Some(at("2026-08-18 09:00"));
    let f = Facts::from_history(&h, &Calendar::default(), wita());
    assert_eq!(f.verify_days, Some(2));
}

#[test]
fn local_dates_are_wita_not_utc() {
    // 23:30 UTC on Sunday 16 Aug is 07:30 Monday 17th in Bali (the holiday); the day of
    // receipt is the 17th, and a verification on Tuesday 18th is one working day.
    let mut h = history();
    h.received_at = "2026-08-16T23:30:00Z".parse().unwrap();
    h.verified_at = Some(at("2026-08-18 08:00"));
    let f = Facts::from_history(&h, &calendar(), wita());
    assert_eq!(f.received_on, d("2026-08-17"));
    assert_eq!(f.verify_days, Some(1));
}

#[test]
fn on_time_is_judged_against_the_service_limit() {
    let mut h = history();
    h.resolve_due_at = Some(at("2026-08-27 23:59"));
    h.resolved_at = Some(at("2026-08-27 23:59"));
    assert_eq!(
        Facts::from_history(&h, &calendar(), wita()).on_time,
        Some(true)
    );
    h.resolved_at = Some(at("2026-08-28 08:00"));
    assert_eq!(
        Facts::from_history(&h, &calendar(), wita()).on_time,
        Some(false)
    );
    h.resolve_due_at = None;
    assert_eq!(Facts::from_history(&h, &calendar(), wita()).on_time, None);
}

fn count(deltas: &Deltas, scope: i64, dim: Dim, metric: Metric) -> i64 {
    deltas
        .iter()
        .filter(|(k, _)| k.scope == scope && k.dim == dim && k.metric == metric)
        .map(|(_, n)| n)
        .sum()
}

#[test]
fn a_request_counts_for_the_regency_once_and_for_each_unit_holding_it() {
    let mut h = history();
    h.units = vec![7, 3, 7];
    let f = Facts::from_history(&h, &calendar(), wita());
    assert_eq!(f.units, vec![3, 7]);
    let c = f.contributions();
    for scope in [REGENCY, 3, 7] {
        assert_eq!(count(&c, scope, Dim::All, Metric::Received), 1);
        assert_eq!(count(&c, scope, Dim::Service, Metric::Received), 1);
        assert_eq!(count(&c, scope, Dim::District, Metric::Received), 1);
    }
    assert_eq!(count(&c, 5, Dim::All, Metric::Received), 0);
    let svc = c
        .keys()
        .find(|k| k.dim == Dim::Service && k.scope == REGENCY)
        .unwrap();
    assert_eq!(svc.key, "4");
    assert_eq!(svc.day, d("2026-08-14"));
}

#[test]
fn a_forwarded_request_moves_to_the_new_unit() {
    let cal = calendar();
    let mut h = history();
    h.verified_at = Some(at("2026-08-18 09:00"));
    h.units = vec![3];
    let before = Facts::from_history(&h, &cal, wita());
    h.units = vec![9];
    let after = Facts::from_history(&h, &cal, wita());
    let delta = diff(Some(&before), Some(&after));
    // The unit that forwarded loses the request, the new one gains it; the regency
    // does not change.
    assert_eq!(count(&delta, 3, Dim::All, Metric::Received), -1);
    assert_eq!(count(&delta, 3, Dim::All, Metric::Verified), -1);
    assert_eq!(count(&delta, 9, Dim::All, Metric::Received), 1);
    assert_eq!(count(&delta, 9, Dim::All, Metric::VerifyDays), 1);
    assert!(delta.keys().all(|k| k.scope != REGENCY));
}

#[test]
fn reopened_and_resolved_again_counts_once_on_the_last_resolution() {
    let cal = calendar();
    let mut h = history();
    h.units = vec![3];
    h.verified_at = Some(at("2026-08-14 17:00"));
    h.resolve_due_at = Some(at("2026-08-21 23:59"));
    let mut counters = diff(None, Some(&Facts::from_history(&h, &cal, wita())));
    let step = |h: &History, counters: &mut Deltas, prev: &mut Option<Facts>| {
        let f = Facts::from_history(h, &cal, wita());
        merge(counters, diff(prev.as_ref(), Some(&f)));
        *prev = Some(f);
    };
    let mut prev = Some(Facts::from_history(&h, &cal, wita()));
    // First resolution Wed 19th (2 working days), on time.
    h.resolved_at = Some(at("2026-08-19 10:00"));
    step(&h, &mut counters, &mut prev);
    // Reopened: no longer resolved.
    h.resolved_at = None;
    step(&h, &mut counters, &mut prev);
    assert_eq!(count(&counters, 3, Dim::All, Metric::Resolved), 0);
    assert_eq!(count(&counters, 3, Dim::All, Metric::OnTime), 0);
    // Resolved again Mon 24th: 18, 19, 20, 21 and 24 = 5 working days; late.
    h.resolved_at = Some(at("2026-08-24 10:00"));
    step(&h, &mut counters, &mut prev);
    assert_eq!(count(&counters, 3, Dim::All, Metric::Resolved), 1);
    assert_eq!(count(&counters, REGENCY, Dim::All, Metric::Resolved), 1);
    assert_eq!(count(&counters, 3, Dim::All, Metric::Late), 1);
    assert_eq!(count(&counters, 3, Dim::All, Metric::OnTime), 0);
    let resolved: Vec<_> = counters
        .iter()
        .filter(|(k, _)| k.scope == 3 && k.metric == Metric::ResolveDays)
        .collect();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].0.bucket, 5);
    assert_eq!(resolved[0].0.day, d("2026-08-24"));
    // The counters equal those of the final facts alone: nothing left over.
    assert_eq!(counters, prev.unwrap().contributions());
}

#[test]
fn diff_of_equal_facts_is_empty() {
    let f = Facts::from_history(&history(), &calendar(), wita());
    assert!(diff(Some(&f), Some(&f)).is_empty());
    assert_eq!(diff(Some(&f), None), {
        let mut m = f.contributions();
        m.values_mut().for_each(|n| *n = -*n);
        m
    });
}

fn hist(values: &[i64]) -> Histogram {
    let mut h = Histogram::new();
    for v in values {
        *h.entry(*v).or_insert(0) += 1;
    }
    h
}

#[test]
fn medians_by_hand() {
    assert_eq!(median(&hist(&[])), None);
    assert_eq!(median(&hist(&[4])), Some(4.0));
    // 0 1 1 3 7: the third value
    assert_eq!(median(&hist(&[3, 1, 7, 0, 1])), Some(1.0));
    // 0 1 3 7: (1 + 3) / 2
    assert_eq!(median(&hist(&[3, 1, 7, 0])), Some(2.0));
    // 2 5: 3.5
    assert_eq!(median(&hist(&[5, 2])), Some(3.5));
}

#[test]
fn percentiles_by_hand_nearest_rank() {
    assert_eq!(percentile(&hist(&[]), 90), None);
    // 10 values 1..10: rank ⌈9⌉ = 9 → 9
    assert_eq!(
        percentile(&hist(&(1..=10).collect::<Vec<_>>()), 90),
        Some(9)
    );
    // 11 values 0..10: rank ⌈9.9⌉ = 10 → 9
    assert_eq!(
        percentile(&hist(&(0..=10).collect::<Vec<_>>()), 90),
        Some(9)
    );
    // 4 values 0 1 3 7: rank ⌈3.6⌉ = 4 → 7
    assert_eq!(percentile(&hist(&[3, 1, 7, 0]), 90), Some(7));
    // one value
    assert_eq!(percentile(&hist(&[2]), 90), Some(2));
    // 20 values: nineteen 1s and one 30 → rank 18 → 1
    let mut v = vec![1; 19];
    v.push(30);
    assert_eq!(percentile(&hist(&v), 90), Some(1));
    assert_eq!(percentile(&hist(&v), 100), Some(30));
}

#[test]
fn figures_from_counters() {
    let mut f = Figures::default();
    f.add(Metric::Received, 0, 5);
    f.add(Metric::OnTime, 0, 2);
    f.add(Metric::Late, 0, 1);
    for b in [0, 1, 1, 3] {
        f.add(Metric::ResolveDays, b, 1);
    }
    assert_eq!(f.received, 5);
    assert_eq!(f.on_time_share(), Some(66.7));
    assert_eq!(f.resolve_median(), Some(1.0));
    assert_eq!(f.resolve_p90(), Some(3));
    // Taking back what was added leaves no empty bucket behind.
    f.add(Metric::ResolveDays, 3, -1);
    assert_eq!(f.resolve_days, hist(&[0, 1, 1]));
    assert_eq!(Figures::default().on_time_share(), None);
}

#[test]
fn ikm_from_counters_equals_ikm_from_responses() {
    // Two respondents: one answers 4 to everything, the other 3 to everything but U4
    // (no answer). NRR: U4 = 4, others 3.5; index = (8 × 3.5 + 4) / 9 = 3.5556;
    // IKM = 88.89, grade A.
    let mut counters = Deltas::new();
    let all4: BTreeMap<Unsur, u8> = Unsur::ALL.iter().map(|u| (*u, 4)).collect();
    let mut some3: BTreeMap<Unsur, u8> = Unsur::ALL.iter().map(|u| (*u, 3)).collect();
    some3.remove(&Unsur::Cost);
    merge(
        &mut counters,
        survey_contributions(d("2026-08-20"), Some(3), &all4),
    );
    merge(
        &mut counters,
        survey_contributions(d("2026-08-21"), Some(3), &some3),
    );
    let mut f = Figures::default();
    for (k, n) in &counters {
        if k.scope == 3 {
            f.add(k.metric, k.bucket, *n);
        }
    }
    let ikm = f.ikm().unwrap();
    assert_eq!(ikm.respondents, 2);
    assert_eq!(ikm.converted.to_string(), "88.89");
    assert_eq!(ikm.mutu.letter(), "A");
    assert!(survey_contributions(d("2026-08-20"), None, &BTreeMap::new()).is_empty());
}

#[test]
fn periods_weeks_and_months() {
    let p = Period::parse("2026-08-14", "2026-09-02").unwrap();
    assert_eq!(p.days(), 20);
    assert_eq!(
        p.weeks(),
        vec![
            d("2026-08-10"),
            d("2026-08-17"),
            d("2026-08-24"),
            d("2026-08-31")
        ]
    );
    assert_eq!(p.months(), vec![d("2026-08-01"), d("2026-09-01")]);
    assert!(Period::parse("2026-09-02", "2026-08-14").is_none());
    assert!(Period::parse("2024-01-01", "2026-08-14").is_none());
    assert!(Period::parse("kemarin", "2026-08-14").is_none());
    let l = Period::last_days(d("2026-08-31"), 30);
    assert_eq!(l.from, d("2026-08-02"));
    let dec = Period::parse("2026-12-20", "2027-01-05").unwrap();
    assert_eq!(dec.months(), vec![d("2026-12-01"), d("2027-01-01")]);
    // Monday's summary covers Monday to Sunday of the week before.
    let w = previous_week(d("2026-08-24"));
    assert_eq!((w.from, w.to), (d("2026-08-17"), d("2026-08-23")));
    let w = previous_week(d("2026-08-26"));
    assert_eq!((w.from, w.to), (d("2026-08-17"), d("2026-08-23")));
}

#[test]
fn a_period_is_read_from_whole_months_and_the_days_around_them() {
    let p = |a: &str, b: &str| Period {
        from: d(a),
        to: d(b),
    };
    assert_eq!(
        p("2026-01-15", "2026-11-28").spans(),
        vec![
            (Span::Day, d("2026-01-15"), d("2026-01-31")),
            (Span::Month, d("2026-02-01"), d("2026-10-01")),
            (Span::Day, d("2026-11-01"), d("2026-11-28")),
        ]
    );
    assert_eq!(
        p("2026-02-01", "2026-02-28").spans(),
        vec![(Span::Month, d("2026-02-01"), d("2026-02-01"))]
    );
    assert_eq!(
        p("2025-12-01", "2026-01-31").spans(),
        vec![(Span::Month, d("2025-12-01"), d("2026-01-01"))]
    );
    // no whole month inside: days only
    assert_eq!(
        p("2026-03-02", "2026-04-30").spans(),
        vec![
            (Span::Day, d("2026-03-02"), d("2026-03-31")),
            (Span::Month, d("2026-04-01"), d("2026-04-01")),
        ]
    );
    assert_eq!(
        p("2026-03-02", "2026-04-29").spans(),
        vec![(Span::Day, d("2026-03-02"), d("2026-04-29"))]
    );
    assert_eq!(
        p("2024-02-29", "2024-02-29").spans(),
        vec![(Span::Day, d("2024-02-29"), d("2024-02-29"))]
    );
}

#[test]
fn the_spans_of_any_period_cover_each_of_its_days_once() {
    let start = d("2023-11-20");
    for offset in 0..500 {
        for days in [1, 2, 27, 28, 31, 45, 62, 90, 300, 365, 366, MAX_PERIOD_DAYS] {
            let from = start + Duration::days(offset);
            let period = Period {
                from,
                to: from + Duration::days(days - 1),
            };
            let mut covered = Vec::new();
            for (span, first, last) in period.spans() {
                let last_day = match span {
                    Span::Day => last,
                    Span::Month => {
                        assert_eq!((first.day(), last.day()), (1, 1), "{period:?}");
                        next_month(last) - Duration::days(1)
                    }
                };
                let mut day = first;
                while day <= last_day {
                    covered.push(day);
                    day += Duration::days(1);
                }
            }
            let expected: Vec<NaiveDate> = (0..days).map(|i| from + Duration::days(i)).collect();
            assert_eq!(covered, expected, "{period:?}");
        }
    }
}

#[test]
fn month_rows_sum_the_days_of_their_month() {
    let key = |day: &str, metric| CounterKey {
        day: d(day),
        scope: 3,
        dim: Dim::All,
        key: String::new(),
        metric,
        bucket: 0,
    };
    let deltas = Deltas::from([
        (key("2026-08-01", Metric::Received), 2),
        (key("2026-08-31", Metric::Received), 3),
        (key("2026-09-01", Metric::Received), 1),
        (key("2026-08-14", Metric::Resolved), 1),
        (key("2026-08-20", Metric::Resolved), -1),
    ]);
    assert_eq!(
        by_month(&deltas),
        Deltas::from([
            (key("2026-08-01", Metric::Received), 5),
            (key("2026-09-01", Metric::Received), 1),
        ])
    );
}

#[test]
fn a_referral_counts_apart_never_as_resolved_nor_late() {
    let mut h = history();
    h.units = vec![3];
    h.referred_at = Some(at("2026-08-18 09:00"));
    let f = Facts::from_history(&h, &calendar(), wita());
    assert_eq!(f.referred_on, Some(d("2026-08-18")));
    let c = f.contributions();
    let count = |scope: i64, metric: Metric| {
        c.iter()
            .filter(|(k, _)| k.scope == scope && k.dim == Dim::All && k.metric == metric)
            .map(|(_, n)| *n)
            .sum::<i64>()
    };
    // for the regency and the unit that referred it back out
    assert_eq!(count(REGENCY, Metric::Referred), 1);
    assert_eq!(count(3, Metric::Referred), 1);
    for m in [Metric::Resolved, Metric::Late, Metric::OnTime] {
        assert_eq!(count(REGENCY, m), 0, "{m:?}");
    }
    // facts stored before referrals existed read without it
    let mut old = serde_json::to_value(&f).unwrap();
    old.as_object_mut().unwrap().remove("referred_on");
    let back: Facts = serde_json::from_value(old).unwrap();
    assert_eq!(back.referred_on, None);
}
