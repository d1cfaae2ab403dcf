use super::*;
use proptest::prelude::*;

const M: &str = MASK;

/// One row of the table: the text, the names, and the exact output.
struct Case {
    text: String,
    names: Vec<String>,
    want: String,
}

fn case(text: impl Into<String>, names: &[&str], want: impl Into<String>) -> Case {
    Case {
        text: text.into(),
        names: names.iter().map(|n| n.to_string()).collect(),
        want: want.into(),
    }
}

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            ' ' => '\u{3000}',
            _ => c,
        })
        .collect()
}

fn phone_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    // mobile numbers: every prefix x every separator x every grouping
    let prefixes = [
        "0", "+62", "+62 ", "62", "62-", "(+62)", "(+62) ", "+62-", "+62.",
    ];
    let separators = [
        " ",
        ".",
        "-",
        "/",
        " - ",
        " . ",
        " / ",
        "  ",
        "\u{2013}",
        " \u{2013} ",
        "\t",
        "",
    ];
    let groupings = [
        ["812", "3456", "7890"],
        ["812", "345", "6789"],
        ["8123", "4567", "89"],
    ];
    for prefix in prefixes {
        for sep in separators {
            for [a, b, c] in groupings {
                let phone = format!("{prefix}{a}{sep}{b}{sep}{c}");
                cases.push(case(
                    format!("Hubungi saya di {phone} ya"),
                    &[],
                    format!("Hubungi saya di {M} ya"),
                ));
                cases.push(case(phone.clone(), &[], M));
            }
        }
    }
    // landlines: area codes in every spelling
    let areas = ["021", "0361", "022", "031", "0274", "0711"];
    let subscribers = ["712345", "5551234", "71234567"];
    for area in areas {
        let short = &area[1..];
        for number in subscribers {
            for phone in [
                format!("({area}) {number}"),
                format!("({area}){number}"),
                format!("( {area} ) {number}"),
                format!("{area}-{number}"),
                format!("{area} {number}"),
                format!("{area}.{number}"),
                format!("{area}/{number}"),
                format!("{area} - {number}"),
                format!("+62 {short} {number}"),
                format!("+62 ({short}) {number}"),
                format!("+62({short}){number}"),
                format!("(+62 {short}) {number}"),
                format!("62-{short}-{number}"),
                format!("{area}{number}"),
            ] {
                let want = if phone.starts_with("( ") {
                    // the opening parenthesis stands apart from the number
                    format!("Telp. ( {M} ya")
                } else {
                    format!("Telp. {M} ya")
                };
                cases.push(case(format!("Telp. {phone} ya"), &[], want));
            }
        }
    }
    // full-width digits and separators
    for phone in [
        "0812-3456-7890",
        "(0361) 712345",
        "+62 812 3456 7890",
        "0812/9999/0005",
        "5103011204850001",
    ] {
        cases.push(case(
            format!("nomor {} aktif", full_width(phone)),
            &[],
            format!("nomor {M} aktif"),
        ));
        cases.push(case(
            format!("nomor {phone} aktif"),
            &[],
            format!("nomor {M} aktif"),
        ));
    }
    // other scripts' digits count as digits
    cases.push(case(
        "no \u{0660}\u{0668}\u{0661}\u{0662}\u{0663}\u{0664}\u{0665}\u{0666}\u{0667} ok",
        &[],
        format!("no {M} ok"),
    ));
    cases.push(case(
        "no \u{0966}\u{096E}\u{0967}\u{0968}-\u{0969}\u{096A}\u{096B}\u{096C} ok",
        &[],
        format!("no {M} ok"),
    ));
    // NIK and account numbers, grouped or not
    for nik in [
        "5103011204850001",
        "5103 0112 0485 0001",
        "5103.0112.0485.0001",
        "5103-0112-0485-0001",
        "510301 120485 0001",
        "51.03.01.120485.0001",
        "51 03 01 12 04 85 0001",
    ] {
        cases.push(case(format!("NIK {nik}."), &[], format!("NIK {M}.")));
        cases.push(case(
            format!("NIK: {nik}, KK: {nik}"),
            &[],
            format!("NIK: {M}, KK: {M}"),
        ));
    }
    for account in [
        "1234567890",
        "123-456-7890",
        "0012 3456 78",
        "1234 5678",
        "12345678",
        "900-00-1234567-8",
        "1.234.567.890",
        "Rp1234567890",
    ] {
        let want = if account.starts_with("Rp") {
            format!("transfer ke rek Rp{M} a.n. saya")
        } else {
            format!("transfer ke rek {M} a.n. saya")
        };
        cases.push(case(
            format!("transfer ke rek {account} a.n. saya"),
            &[],
            want,
        ));
    }
    // short numbers after a word that announces them
    for (text, want) in [
        ("telp 712345", format!("telp {M}")),
        ("Telp. (0361) 7123", format!("Telp. {M}")),
        ("Telp. 7123", "Telp. 7123".to_string()),
        ("telp (12345)", format!("telp ({M})")),
        ("HP: 7123456", format!("HP: {M}")),
        ("WA 71234", format!("WA {M}")),
        ("NIK 123456", format!("NIK {M}")),
        ("no. rek: 1234567", format!("no. rek: {M}")),
        ("hubungi 712-345", format!("hubungi {M}")),
        ("PIN=123456", format!("PIN={M}")),
    ] {
        cases.push(case(text, &[], want));
    }
    cases
}

fn email_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let ats = [
        "@", " @ ", "@ ", " @", "[at]", " [at] ", "(at)", " (at) ", "{at}", "<at>", " at ", " AT ",
        " At ", "\u{FF20}", " (@) ", "[ at ]", "\u{FE6B}",
    ];
    let dots = [
        ".", " . ", "[dot]", " [dot] ", "(dot)", " (dot) ", " dot ", " DOT ", " titik ", "[.]",
        "(.)", "\u{FF0E}",
    ];
    let locals = ["nama", "nama.lengkap", "wayan_s99", "Budi-Santoso"];
    let domains: [&[&str]; 3] = [
        &["contoh", "id"],
        &["contoh", "co", "id"],
        &["gmail", "com"],
    ];
    for at in ats {
        for dot in dots {
            for local in locals {
                for domain in domains {
                    let address = format!("{local}{at}{}", domain.join(dot));
                    cases.push(case(
                        format!("Kirim ke {address} ya, terima kasih."),
                        &[],
                        format!("Kirim ke {M} ya, terima kasih."),
                    ));
                }
            }
        }
    }
    for (text, want) in [
        ("surel: wayan@contoh.id.", format!("surel: {M}.")),
        ("<wayan@contoh.id>", format!("<{M}>")),
        ("mailto:wayan@contoh.id", format!("mailto:{M}")),
        ("ikuti @wayan_s di medsos", format!("ikuti {M} di medsos")),
        ("(@budi)", format!("({M})")),
        ("x@y", M.to_string()),
        ("0812345678@gmail.com", M.to_string()),
        ("nama@contoh.id,nama2@contoh.id", format!("{M},{M}")),
        ("nama @ contoh . id", M.to_string()),
        ("NAMA AT CONTOH DOT ORG", M.to_string()),
    ] {
        cases.push(case(text, &[], want));
    }
    cases
}

fn name_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let names: [(&str, &str, &str); 4] = [
        ("Made Sudarma", "Made", "Sudarma"),
        ("Wayan Sudira", "Wayan", "Sudira"),
        ("Siti Nurhaliza", "Siti", "Nurhaliza"),
        ("Agus Salim", "Agus", "Salim"),
    ];
    for (full, first, last) in names {
        let variants = [
            full.to_string(),
            full.to_uppercase(),
            full.to_lowercase(),
            format!("{last} {first}"),
            format!("{first}  {last}"),
            format!("{first}\n{last}"),
            format!("{first}\r\n{last}"),
            format!("{first}\t{last}"),
            format!("{first}\u{A0}{last}"),
            format!("{first} \n {last}"),
            first.to_string(),
            last.to_string(),
            last.to_lowercase(),
            first.to_uppercase(),
            full_width(full),
            format!("{first} {}\u{200B}{}", &last[..2], &last[2..]),
            format!("{}\u{AD}{}", &first[..2], &first[2..]),
            format!("{first}{last}").replace(first, &format!("{first} ")),
        ];
        for v in variants {
            cases.push(case(
                format!("Laporan {v} tentang jalan"),
                &[full],
                format!("Laporan {M} tentang jalan"),
            ));
            cases.push(case(
                format!("{v}: jalan rusak"),
                &[full],
                format!("{M}: jalan rusak"),
            ));
        }
        // inside another word it is not the name
        cases.push(case(
            format!("{first}nya dan pra{}", last.to_lowercase()),
            &[full],
            format!("{first}nya dan pra{}", last.to_lowercase()),
        ));
    }
    for (text, names, want) in [
        ("Sudarma, Made", &["Made Sudarma"][..], format!("{M}, {M}")),
        (
            "Ni Luh Putu Ayu melapor",
            &["Ni Luh Putu Ayu"],
            format!("Ni {M} melapor"),
        ),
        (
            "I Gusti Ngurah Rai",
            &["I Gusti Ngurah Rai"],
            format!("I {M}"),
        ),
        ("ok", &["Al"], "ok".to_string()),
        (
            "Pak Wayan dan Bu Siti",
            &["Wayan", "Siti"],
            format!("Pak {M} dan Bu {M}"),
        ),
        ("O'Brien datang", &["O'Brien"], format!("O'{M} datang")),
        (
            "Abdul-Rahman datang",
            &["Abdul-Rahman"],
            format!("{M}-{M} datang"),
        ),
        ("wayan123 datang", &["Wayan"], format!("{M}123 datang")),
        (
            "WAYAN SUDIRA\n\nParagraf baru.",
            &["Wayan Sudira"],
            format!("{M}\n\nParagraf baru."),
        ),
        ("[disembunyikan] Wayan", &["Wayan"], M.to_string()),
        ("Disembunyikan", &["Disembunyikan"], M.to_string()),
    ] {
        cases.push(case(text, names, want));
    }
    cases
}

/// Texts that must stay exactly as they are.
const KEPT: &[&str] = &[
    "Jl. Raya Kuta No. 12",
    "RT 05 RW 12, tahun 2026",
    "RT 03/RW 05",
    "RT.003/RW.005 Kel. Kuta",
    "No. 12-14",
    "Blok C/12 No. 7A",
    "Km 12.5 arah Gilimanuk",
    "tahun 2026",
    "sejak 2019",
    "periode 2019-2024",
    "periode 2019 - 2024",
    "2025/2026",
    "tanggal 12/03/2026",
    "tanggal 12-03-2026",
    "tanggal 12.03.2026",
    "tanggal 1/3/2026",
    "tanggal 2026-03-12",
    "12/03/2026 10.30",
    "dari 12/03/2026 sampai 15/03/2026",
    "12/03/2026 - 15/03/2026",
    "jam 08.00-17.00",
    "jam 08.00 - 17.00 WITA",
    "pukul 10:30",
    "Rp 15.000.000",
    "Rp15.000.000,-",
    "Rp. 150.000.000",
    "IDR 1.500.000.000",
    "Rp 1.500.000",
    "biaya 250.000 rupiah",
    "kode pos 80361",
    "150 meter, lebar 3 m",
    "2 x 3 m, 4 titik lampu",
    "lampu mati di 3 tiang",
    "nomor 12345",
    "BDG-26-7K3Q9",
    "pada 2024, 2025 dan 2026",
    "@ Rp 5.000 per kg",
    "harga @Rp5.000",
    "3 @ 5",
    "rapat at 10.30",
    "email saya hilang",
    "a . b",
    "titik dot",
    "Laporan jalan rusak (berlubang) [foto]",
    "",
    "   ",
    "Satu\n\nDua",
    "Pak Made",
    "emoji 👨‍👩‍👧 keluarga",
];

fn table() -> Vec<Case> {
    let mut cases = phone_cases();
    cases.extend(email_cases());
    cases.extend(name_cases());
    for text in KEPT {
        cases.push(case(*text, &["Wayan Sudira"], *text));
    }
    // realistic mixes
    cases.push(case(
        "Hubungi saya, Wayan Sudira, di 0812-3456-7890 atau wayan@contoh.id. NIK 5103011204850001.",
        &["Wayan Sudira"],
        format!("Hubungi saya, {M}, di {M} atau {M}. NIK {M}."),
    ));
    cases.push(case(
        "Sudira Wayan (0361) 712345 / wayan [at] contoh [dot] id",
        &["Wayan Sudira"],
        format!("{M} / {M}"),
    ));
    cases.push(case(
        "Lampu mati sejak 12/03/2026, tiang No. 12 di RT 03. Info: Made (0812 - 3456 - 7890).",
        &["Made Sudarma"],
        format!("Lampu mati sejak 12/03/2026, tiang No. 12 di RT 03. Info: {M}."),
    ));
    cases
}

#[test]
fn table_of_cases() {
    let cases = table();
    assert!(cases.len() >= 1000, "{} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let names: Vec<&str> = c.names.iter().map(String::as_str).collect();
        let got = mask(&c.text, &names);
        if got != c.want {
            failures.push(format!(
                "{:?} names {:?}\n   got  {got:?}\n   want {:?}",
                c.text, c.names, c.want
            ));
        }
        let again = mask(&got, &names);
        if again != got {
            failures.push(format!(
                "not idempotent: {:?} -> {got:?} -> {again:?}",
                c.text
            ));
        }
        if let Some(v) = violation(&names, &got) {
            failures.push(v);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn long_inputs_take_linear_time() {
    // hostile shapes, 100 KB each: many candidate `@`/`at`, long labels, long numbers
    let inputs = [
        "a@".repeat(50_000),
        "x at ".repeat(20_000),
        "a . at . ".repeat(10_000) + &"b".repeat(10_000),
        "1 ".repeat(50_000),
        "(at)".repeat(25_000),
        "Wayan ".repeat(20_000),
        "9".repeat(100_000),
        "12/03/2026 ".repeat(10_000),
        "[disembunyikan] ".repeat(6_000),
    ];
    let started = std::time::Instant::now();
    for input in &inputs {
        let out = mask(input, &["Wayan Sudira"]);
        assert_eq!(mask(&out, &["Wayan Sudira"]), out);
    }
    // unoptimised test build on a shared machine: generous, but a quadratic pass
    // would take minutes
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

/// Pieces that make the rules meet: names, digits, separators, email spellings, masks.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Wayan".to_string()),
        Just("sudira".to_string()),
        Just("MADE".to_string()),
        Just(" ".to_string()),
        Just("\n".to_string()),
        Just(" at ".to_string()),
        Just(" dot ".to_string()),
        Just("@".to_string()),
        Just("(at)".to_string()),
        Just("[dot]".to_string()),
        Just(".".to_string()),
        Just("-".to_string()),
        Just("/".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("+".to_string()),
        Just("Rp".to_string()),
        Just("telp ".to_string()),
        Just(MASK.to_string()),
        Just("\u{200B}".to_string()),
        "[0-9]{1,5}",
        "[\u{FF10}-\u{FF19}]{1,4}",
        "[a-z]{1,6}",
        "(19|20)[0-9]{2}",
        "[0-3][0-9]/[01][0-9]/20[0-9]{2}",
        any::<char>().prop_map(String::from),
    ]
}

fn mixed_text() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..40).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_text_is_masked_stably(text in "\\PC{0,80}", name in "\\PC{0,20}") {
        let out = mask(&text, &[&name]);
        prop_assert_eq!(mask(&out, &[&name]), out.clone());
        prop_assert_eq!(violation(&[&name], &out), None);
    }

    #[test]
    fn mixed_text_is_masked_stably(text in mixed_text()) {
        let names = ["Wayan Sudira", "Made"];
        let out = mask(&text, &names);
        prop_assert_eq!(mask(&out, &names), out.clone());
        prop_assert_eq!(violation(&names, &out), None);
    }

    #[test]
    fn no_name_part_survives(
        parts in prop::collection::vec("[A-Za-z]{3,8}", 1..4),
        filler in prop::collection::vec(
            prop_oneof![
                "[a-z]{1,2}",
                "[0-9]{1,3}",
                prop::sample::select(&[" ", "  ", "\n", "\t", ", ", "\u{A0}"][..]).prop_map(String::from),
            ],
            0..12,
        ),
        order in prop::collection::vec(any::<prop::sample::Index>(), 1..8),
        upper in any::<bool>(),
    ) {
        let name = parts.join(" ");
        let mut text = String::new();
        for (i, pick) in order.iter().enumerate() {
            let part = pick.get(&parts);
            text.push_str(&if upper { part.to_uppercase() } else { part.to_lowercase() });
            text.push_str(filler.get(i).map_or(" ", String::as_str));
        }
        let out = mask(&text, &[&name]);
        prop_assert_eq!(violation(&[&name], &out), None);
        prop_assert_eq!(mask(&out, &[&name]), out.clone());
    }

    #[test]
    fn no_long_number_survives(
        groups in prop::collection::vec("[0-9]{1,5}", 2..8),
        seps in prop::collection::vec(
            prop::sample::select(&[" ", ".", "-", "/", " - ", "(", ") ", "  ", "\u{2013}", "\u{3000}"][..]),
            8,
        ),
        before in prop::sample::select(&["", "Telp ", "+", "(", "Rp ", "NIK: "][..]),
    ) {
        let mut text = before.to_string();
        for (i, g) in groups.iter().enumerate() {
            if i > 0 {
                text.push_str(seps[i % seps.len()]);
            }
            text.push_str(g);
        }
        let out = mask(&text, &[]);
        prop_assert_eq!(violation(&[], &out), None);
        prop_assert_eq!(mask(&out, &[]), out.clone());
    }

    #[test]
    fn plain_text_is_unchanged(
        words in prop::collection::vec(
            prop_oneof![
                "(jalan|rusak|lampu|mati|saya|melapor|sudah|belum|warga|banjir|di|ke|dan)",
                "[A-Za-z]{1,10}",
            ],
            0..30,
        ),
        seps in prop::collection::vec(
            prop::sample::select(
                &[" ", ", ", ". ", "\n", "\n\n", " (", ") ", " - ", "! ", "? ", ": ", "[", "]"][..],
            ),
            30,
        ),
    ) {
        let mut text = String::new();
        for (i, w) in words.iter().enumerate() {
            // `at`, `dot` and `titik` can spell an address; a plain text has none
            let w = if ["at", "dot", "titik"].contains(&w.to_lowercase().as_str()) { "kata" } else { w };
            text.push_str(w);
            text.push_str(seps[i]);
        }
        prop_assert_eq!(mask(&text, &["Qqqxx Zzzqq"]), text);
    }
}
