use super::*;

fn hundredths(terms: &[(u64, u64)], mode: WeightMode) -> String {
    ConvertedScore(converted_hundredths(terms, mode)).to_string()
}

/// `n` complete responses with every answer `score`.
fn uniform(n: usize, score: u8) -> Vec<SurveyResponse> {
    let answers: BTreeMap<_, _> = Unsur::ALL.into_iter().map(|u| (u, Score(score))).collect();
    vec![SurveyResponse { answers }; n]
}

/// `respondents` complete responses whose 9 × `respondents` answers are `fours` 4s and the
/// rest `rest`, handed out in order. Only the total matters when all counts are equal.
fn with_total(respondents: usize, fours: usize, rest: u8) -> Vec<SurveyResponse> {
    let mut k = 0;
    (0..respondents)
        .map(|_| {
            let answers = Unsur::ALL
                .into_iter()
                .map(|u| {
                    let score = if k < fours { 4 } else { rest };
                    k += 1;
                    (u, Score(score))
                })
                .collect();
            SurveyResponse { answers }
        })
        .collect()
}

fn response(pairs: &[(&str, &str)]) -> SurveyResponse {
    SurveyResponse::parse(pairs.iter().copied()).unwrap()
}

#[test]
fn unsur_codes_are_stable_and_round_trip() {
    let codes: Vec<_> = Unsur::ALL.iter().map(|u| u.code()).collect();
    assert_eq!(
        codes,
        ["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9"]
    );
    for u in Unsur::ALL {
        assert_eq!(Unsur::parse(u.code()), Ok(u));
    }
    assert_eq!(Unsur::parse(" u4 "), Ok(Unsur::Cost));
    assert_eq!(Unsur::parse("U10"), Err("invalid_unsur"));
    assert_eq!(Unsur::parse("4"), Err("invalid_unsur"));
    assert_eq!(
        Unsur::ComplaintHandling.name_id(),
        "Penanganan Pengaduan, Saran dan Masukan"
    );
    assert_eq!(Unsur::Facilities.name_id(), "Sarana dan Prasarana");
    assert_eq!(serde_json::to_string(&Unsur::Cost).unwrap(), r#""U4""#);
    assert_eq!(
        serde_json::from_str::<Unsur>(r#""U9""#).unwrap(),
        Unsur::Facilities
    );
    assert!(serde_json::from_str::<Unsur>(r#""U0""#).is_err());
}

#[test]
fn answer_labels_follow_the_unsur_not_the_position() {
    assert_eq!(
        Unsur::Cost.answer_labels_id(),
        ["Sangat mahal", "Cukup mahal", "Murah", "Gratis"]
    );
    assert_eq!(Unsur::Cost.answer_label_en(Score(4)), "Free");
    // U8 is complaints handling and U9 facilities, whatever order a paper form used.
    assert_eq!(
        Unsur::ComplaintHandling.answer_label_id(Score(1)),
        "Tidak ada"
    );
    assert_eq!(
        Unsur::ComplaintHandling.answer_label_id(Score(4)),
        "Dikelola dengan baik"
    );
    assert_eq!(Unsur::Facilities.answer_label_id(Score(1)), "Buruk");
    assert_eq!(
        Unsur::StaffBehaviour.answer_label_id(Score(3)),
        "Sopan dan ramah"
    );
    for u in Unsur::ALL {
        assert!(u.question_id().starts_with("Bagaimana"));
        assert!(u.question_en().ends_with('?'));
        assert!(u.answer_labels_id().iter().all(|l| !l.is_empty()));
        assert!(u.answer_labels_en().iter().all(|l| !l.is_empty()));
    }
}

#[test]
fn scores_are_one_to_four() {
    assert_eq!(Score::parse("1").map(Score::value), Ok(1));
    assert_eq!(Score::parse(" 4 ").map(Score::value), Ok(4));
    assert_eq!(Score::parse(""), Err("required"));
    assert_eq!(Score::parse("  "), Err("required"));
    for bad in ["0", "5", "-1", "+4", "4.0", "04", "empat", "1 2"] {
        assert_eq!(Score::parse(bad), Err("invalid_score"), "{bad}");
    }
    assert_eq!(Score::from_int(3).map(Score::value), Ok(3));
    for bad in [0, 5, -4, 260, i64::MAX] {
        assert_eq!(Score::from_int(bad), Err("invalid_score"), "{bad}");
    }
    assert_eq!(serde_json::from_str::<Score>("2").unwrap(), Score(2));
    assert!(serde_json::from_str::<Score>("7").is_err());
}

#[test]
fn a_complete_form_parses() {
    let pairs: Vec<(String, String)> = Unsur::ALL
        .iter()
        .map(|u| (u.code().to_owned(), "3".to_owned()))
        .collect();
    let r = SurveyResponse::parse_complete(pairs).unwrap();
    assert!(r.is_complete());
    assert_eq!(r.get(Unsur::Cost), Some(Score(3)));
    assert_eq!(
        serde_json::to_string(&response(&[("U4", "4"), ("U1", "2")])).unwrap(),
        r#"{"answers":{"U1":2,"U4":4}}"#
    );
    let back: SurveyResponse = serde_json::from_str(r#"{"answers":{"U4":4,"U1":2}}"#).unwrap();
    assert_eq!(back, response(&[("U1", "2"), ("U4", "4")]));
    assert!(serde_json::from_str::<SurveyResponse>(r#"{"answers":{"U1":5}}"#).is_err());
}

#[test]
fn form_errors_are_per_unsur() {
    let errors = SurveyResponse::parse_complete([
        ("U1", "4"),
        ("U2", "5"),
        ("U3", ""),
        ("U4", "3"),
        ("U5", "3"),
        ("U6", "3"),
        ("U7", "3"),
        ("U9", "abc"),
        ("U10", "3"),
        ("U4", "2"),
    ])
    .unwrap_err();
    let got: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
    assert_eq!(
        got,
        [
            ("U2", "invalid_score"),
            ("U3", "required"),
            ("U4", "duplicate_answer"),
            ("U8", "required"),
            ("U9", "invalid_score"),
            ("U10", "invalid_unsur"),
        ]
    );
    let none: [(&str, &str); 0] = [];
    let errors = SurveyResponse::parse_complete(none).unwrap_err();
    assert_eq!(errors.len(), 9);
    assert!(errors.iter().all(|e| e.code == "required"));
    assert_eq!(errors[0].field, "U1");
}

#[test]
fn partial_responses_skip_blank_answers() {
    let r = SurveyResponse::parse([("U1", "4"), ("U4", " "), ("u9", "2")]).unwrap();
    assert_eq!(r.answers.len(), 2);
    assert_eq!(r.get(Unsur::Cost), None);
    assert_eq!(r.get(Unsur::Facilities), Some(Score(2)));
    assert!(!r.is_complete());
    let errors = SurveyResponse::parse([("U1", "4"), ("u1", "3")]).unwrap_err();
    assert_eq!(errors[0].code, "duplicate_answer");
}

#[test]
fn the_reference_worked_check() {
    // Σ NRR = 32.9311 (nine unsur): exact 32.9311 / 9 × 25 = 91.47527… → 91.48;
    // with 0.11: 32.9311 × 0.11 × 25 = 90.560525 → 90.56. As terms: eight NRRs of
    // 366/100 = 3.66 (29.28) and 36511/10000 = 3.6511.
    let mut terms = vec![(366, 100); 8];
    terms.push((36511, 10000));
    assert_eq!(hundredths(&terms, WeightMode::Exact), "91.48");
    assert_eq!(hundredths(&terms, WeightMode::Literal011), "90.56");
}

#[test]
fn the_reference_worked_check_from_29_respondents() {
    // The source had 29 complete responses; 32.9311 is their Σ NRR rounded. With equal
    // counts Σ NRR = (total of all answers) / 29, and 955 / 29 = 32.93103…, so: 261
    // answers, 172 of them 4 and 89 of them 3 (688 + 267 = 955).
    // Exact: 955 / 29 / 9 × 25 = 91.47509… → 91.48, A. Literal: × 2.75 = 90.56034… → 90.56.
    let responses = with_total(29, 172, 3);
    let exact = compute(&responses, WeightMode::Exact).unwrap();
    assert_eq!(exact.respondents, 29);
    assert_eq!(exact.per_unsur.len(), 9);
    assert!(exact.per_unsur.iter().all(|u| u.count == 29));
    assert_eq!(exact.per_unsur.iter().map(|u| u.sum).sum::<u64>(), 955);
    assert!((exact.per_unsur.iter().map(|u| u.nrr).sum::<f64>() - 32.9310).abs() < 0.0001);
    assert_eq!(exact.converted.to_string(), "91.48");
    assert_eq!(exact.mutu, Mutu::A);
    let literal = compute(&responses, WeightMode::Literal011).unwrap();
    assert_eq!(literal.converted.to_string(), "90.56");
    assert_eq!(literal.mutu, Mutu::A);
}

#[test]
fn all_fours_and_all_ones() {
    let best = compute(&uniform(10, 4), WeightMode::Exact).unwrap();
    assert_eq!(best.converted.to_string(), "100.00");
    assert_eq!(best.converted.hundredths(), 10000);
    assert_eq!(best.index_1_4, 4.0);
    assert_eq!(best.mutu, Mutu::A);
    // The printed 0.11 cannot reach 100: 4 × 9 × 0.11 × 25 = 99.
    let literal = compute(&uniform(10, 4), WeightMode::Literal011).unwrap();
    assert_eq!(literal.converted.to_string(), "99.00");
    assert_eq!(literal.mutu, Mutu::A);

    let worst = compute(&uniform(3, 1), WeightMode::Exact).unwrap();
    assert_eq!(worst.converted.to_string(), "25.00");
    assert_eq!(worst.mutu, Mutu::D);
    let literal = compute(&uniform(3, 1), WeightMode::Literal011).unwrap();
    assert_eq!(literal.converted.to_string(), "24.75");
}

#[test]
fn three_respondents_with_unanswered_unsur() {
    //        U1 U2 U3 U4 U5 U6 U7 U8 U9
    // R1      4  3  3  4  3  4  4  -  3
    // R2      3  3  2  -  3  3  4  -  3   (no fee: BPJS patient)
    // R3      4  4  3  4  4  4  4  -  2
    // NRR: U1 11/3, U2 10/3, U3 8/3, U4 8/2 = 4, U5 10/3, U6 11/3, U7 12/3 = 4, U9 8/3;
    // U8 has no answer and is left out, so 8 unsur count.
    // Σ NRR = (11 + 10 + 8 + 10 + 11 + 12 + 8) / 3 + 4 = 70/3 + 4 = 82/3 = 27.3333…
    // index = 82/3 / 8 = 41/12 = 3.41666…; × 25 = 1025/12 = 85.41666… → 85.42, B.
    // Literal 0.11: 85.41666… × 0.99 = 84.5625 → 84.56, B.
    let responses = [
        response(&[
            ("U1", "4"),
            ("U2", "3"),
            ("U3", "3"),
            ("U4", "4"),
            ("U5", "3"),
            ("U6", "4"),
            ("U7", "4"),
            ("U9", "3"),
        ]),
        response(&[
            ("U1", "3"),
            ("U2", "3"),
            ("U3", "2"),
            ("U4", ""),
            ("U5", "3"),
            ("U6", "3"),
            ("U7", "4"),
            ("U9", "3"),
        ]),
        response(&[
            ("U1", "4"),
            ("U2", "4"),
            ("U3", "3"),
            ("U4", "4"),
            ("U5", "4"),
            ("U6", "4"),
            ("U7", "4"),
            ("U9", "2"),
        ]),
    ];
    let r = compute(&responses, WeightMode::Exact).unwrap();
    assert_eq!(r.respondents, 3);
    let table: Vec<_> = r
        .per_unsur
        .iter()
        .map(|u| (u.unsur.code(), u.sum, u.count))
        .collect();
    assert_eq!(
        table,
        [
            ("U1", 11, 3),
            ("U2", 10, 3),
            ("U3", 8, 3),
            ("U4", 8, 2),
            ("U5", 10, 3),
            ("U6", 11, 3),
            ("U7", 12, 3),
            ("U9", 8, 3),
        ]
    );
    assert_eq!(r.per_unsur[3].nrr, 4.0);
    assert!((r.index_1_4 - 41.0 / 12.0).abs() < 1e-12);
    assert_eq!(r.converted.to_string(), "85.42");
    assert_eq!(r.mutu, Mutu::B);
    let literal = compute(&responses, WeightMode::Literal011).unwrap();
    assert_eq!(literal.converted.to_string(), "84.56");
    assert_eq!(literal.mutu, Mutu::B);
}

#[test]
fn ties_round_half_up_where_floats_go_wrong() {
    // 40 respondents, 9 answers of 2 and 351 of 1: total 369, Σ NRR = 369/40 = 9.225,
    // × 1/9 × 25 = 25.625 exactly → 25.63. In f64, 369/40/9*25*100 is 2562.4999…
    // and would round to 25.62.
    let naive = 369.0_f64 / 40.0 / 9.0 * 25.0 * 100.0;
    assert_eq!(naive.round(), 2562.0);
    let r = compute(&with_total(40, 0, 1), WeightMode::Exact).unwrap();
    assert_eq!(r.converted.to_string(), "25.00");
    let mut responses = with_total(40, 0, 1);
    for answer in responses
        .iter_mut()
        .take(1)
        .flat_map(|r| r.answers.values_mut())
    {
        *answer = Score(2);
    }
    let r = compute(&responses, WeightMode::Exact).unwrap();
    assert_eq!(r.per_unsur.iter().map(|u| u.sum).sum::<u64>(), 369);
    assert_eq!(r.converted.to_string(), "25.63");

    // 8 respondents, total 81: Σ NRR = 10.125, / 9 × 25 = 28.125 → 28.13 (not 28.12).
    // As terms: each unsur has 8 answers summing to 9.
    assert_eq!(hundredths(&[(9, 8); 9], WeightMode::Exact), "28.13");
    // Literal: 4 respondents, total 74: Σ NRR = 18.5, × 0.11 × 25 = 50.875 → 50.88.
    let mut terms = vec![(10, 4)];
    terms.extend([(8, 4); 8]);
    assert_eq!(hundredths(&terms, WeightMode::Literal011), "50.88");
}

#[test]
fn a_tie_on_a_grade_boundary_goes_up() {
    // Σ NRR = 158949/5000 = 31.7898; / 9 × 25 = 88.305 exactly → 88.31, A (not 88.30, B).
    // As terms: eight NRRs of 7/2 = 3.5 (28) and 18949/5000 = 3.7898.
    let mut terms = vec![(7, 2); 8];
    terms.push((18949, 5000));
    let c = ConvertedScore(converted_hundredths(&terms, WeightMode::Exact));
    assert_eq!(c.to_string(), "88.31");
    assert_eq!(c.mutu(), Mutu::A);
}

#[test]
fn mutu_boundaries() {
    let grade = |h| Mutu::from_converted(ConvertedScore::from_hundredths(h));
    assert_eq!(grade(2500), Mutu::D);
    assert_eq!(grade(6499), Mutu::D);
    assert_eq!(grade(6500), Mutu::C);
    assert_eq!(grade(7660), Mutu::C);
    assert_eq!(grade(7661), Mutu::B);
    assert_eq!(grade(8830), Mutu::B);
    assert_eq!(grade(8831), Mutu::A);
    assert_eq!(grade(10000), Mutu::A);
    assert_eq!(Mutu::A.label_id(), "Sangat baik");
    assert_eq!(Mutu::B.label_id(), "Baik");
    assert_eq!(Mutu::C.label_id(), "Kurang baik");
    assert_eq!(Mutu::D.label_id(), "Tidak baik");
    assert_eq!(Mutu::C.label_en(), "Less than good");
    assert_eq!(ConvertedScore::from_hundredths(6500).to_string(), "65.00");
    assert_eq!(ConvertedScore::from_hundredths(7661).to_string(), "76.61");
    assert_eq!(ConvertedScore::from_hundredths(8830).to_string(), "88.30");
    assert_eq!(ConvertedScore::from_hundredths(6499).to_string(), "64.99");
    assert_eq!(ConvertedScore::from_hundredths(2505).to_string(), "25.05");
}

#[test]
fn nothing_to_compute() {
    let none: [SurveyResponse; 0] = [];
    assert_eq!(compute(&none, WeightMode::Exact), None);
    assert_eq!(
        compute(&[SurveyResponse::default()], WeightMode::Exact),
        None
    );
    // Empty responses do not count as respondents.
    let mut responses = uniform(2, 3);
    responses.push(SurveyResponse::default());
    assert_eq!(
        compute(&responses, WeightMode::Exact).unwrap().respondents,
        2
    );
}

#[test]
fn one_unsur_alone_is_its_own_index() {
    // Only U4 answered, by two people (3 and 4): NRR 3.5, index 3.5, × 25 = 87.50, B.
    let responses = [response(&[("U4", "3")]), response(&[("U4", "4")])];
    let r = compute(&responses, WeightMode::Exact).unwrap();
    assert_eq!(r.converted.to_string(), "87.50");
    assert_eq!(r.mutu, Mutu::B);
}

#[test]
fn exact_rounding_matches_plain_fractions() {
    // Against a straightforward i128 computation, on random small cases where its common
    // denominator cannot overflow: floor((2N + D) / 2D) with N/D = F·Σ(s/c)/m.
    let mut seed: u64 = 0x2017_0014;
    let mut next = |bound: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % bound
    };
    for _ in 0..20_000 {
        let m = 1 + next(9) as usize;
        let terms: Vec<(u64, u64)> = (0..m)
            .map(|_| {
                let count = 1 + next(40);
                (count + next(3 * count + 1), count)
            })
            .collect();
        for (mode, factor) in [
            (WeightMode::Exact, 2500i128),
            (WeightMode::Literal011, 2475),
        ] {
            let denominator: i128 = terms.iter().map(|&(_, c)| i128::from(c)).product();
            let sum: i128 = terms
                .iter()
                .map(|&(s, c)| i128::from(s) * (denominator / i128::from(c)))
                .sum();
            let n = factor * sum;
            let d = m as i128 * denominator;
            let expected = (2 * n + d).div_euclid(2 * d);
            assert_eq!(
                i128::from(converted_hundredths(&terms, mode)),
                expected,
                "{terms:?} {mode:?}"
            );
        }
    }
}

#[test]
fn huge_distinct_counts_do_not_overflow() {
    // Nine different prime counts near 10^9: the common denominator is about 10^81.
    let primes = [
        999_999_937u64,
        999_999_929,
        999_999_893,
        999_999_883,
        999_999_797,
        999_999_761,
        999_999_757,
        999_999_751,
        999_999_739,
    ];
    let terms: Vec<_> = primes.iter().map(|&c| (3 * c + 7, c)).collect();
    let approx: f64 = terms.iter().map(|&(s, c)| s as f64 / c as f64).sum::<f64>() / 9.0 * 2500.0;
    let got = converted_hundredths(&terms, WeightMode::Exact);
    assert_eq!(got, 7500);
    assert!((f64::from(got) - approx).abs() <= 0.5);
}

#[test]
fn big_integer_helpers() {
    let a = Big::from_u128(u128::MAX);
    let b = Big::from_u128(u128::MAX);
    // (2^128 − 1)² = 2^256 − 2^129 + 1: limbs 1, 0, 0, 0, 0xffff_fffe, then 0xffff_ffff ×3.
    let p = a.mul(&b);
    assert_eq!(
        p.0,
        [
            1,
            0,
            0,
            0,
            0xffff_fffe,
            0xffff_ffff,
            0xffff_ffff,
            0xffff_ffff
        ]
    );
    assert_eq!(
        Big::from_u128(u128::MAX).add(&Big::from_u128(1)).0,
        [0, 0, 0, 0, 1]
    );
    assert_eq!(Big::from_u128(5).cmp(&Big::from_u128(7)), Ordering::Less);
    assert_eq!(p.cmp(&a), Ordering::Greater);
    assert_eq!(
        Big::from_u128(0).mul(&a).cmp(&Big::from_u128(0)),
        Ordering::Equal
    );
}

#[test]
fn results_serialise_for_templates_and_json() {
    let r = compute(&uniform(1, 4), WeightMode::Literal011).unwrap();
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["converted"], serde_json::json!(99.0));
    assert_eq!(json["mutu"], "A");
    assert_eq!(json["mode"], "literal_0_11");
    assert_eq!(json["per_unsur"][0]["unsur"], "U1");
    let r = compute(&with_total(29, 172, 3), WeightMode::Exact).unwrap();
    assert_eq!(serde_json::to_string(&r.converted).unwrap(), "91.48");
}
