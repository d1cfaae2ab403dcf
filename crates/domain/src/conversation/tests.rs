use super::*;
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 2, 0, 0).unwrap()
}

fn catalogue() -> Catalogue {
    Catalogue {
        services: vec![
            ServiceChoice {
                code: "jalan-rusak".into(),
                name: "Jalan rusak".into(),
                kind: RequestKind::Pengaduan,
            },
            ServiceChoice {
                code: "sampah".into(),
                name: "Sampah".into(),
                kind: RequestKind::Pengaduan,
            },
            ServiceChoice {
                code: "kk".into(),
                name: "Kartu keluarga".into(),
                kind: RequestKind::Permohonan,
            },
        ],
        districts: vec![
            DistrictChoice {
                code: "51.03.01".into(),
                name: "Kuta Selatan".into(),
                villages: vec![
                    ("51.03.01.1001".into(), "Pecatu".into()),
                    ("51.03.01.1002".into(), "Ungasan".into()),
                ],
            },
            DistrictChoice {
                code: "51.03.02".into(),
                name: "Kuta".into(),
                villages: vec![("51.03.02.1001".into(), "Kedonganan".into())],
            },
        ],
        bounds: Some(BoundingBox::BADUNG),
    }
}

/// Sends the messages in order, returning the final state and every effect.
fn talk(
    state: Option<Conversation>,
    msgs: Vec<Inbound>,
) -> (Option<Conversation>, Vec<Vec<Effect>>) {
    let cat = catalogue();
    let mut state = state;
    let mut all = Vec::new();
    for m in msgs {
        let turn = advance(state, m, &cat, now());
        state = turn.state;
        all.push(turn.effects);
    }
    (state, all)
}

fn t(s: &str) -> Inbound {
    Inbound::Text(s.into())
}

fn last_reply(effects: &[Effect]) -> &Reply {
    effects
        .iter()
        .rev()
        .find_map(|e| match e {
            Effect::Reply(r) => Some(r),
            _ => None,
        })
        .expect("a reply")
}

fn filed(effects: &[Effect]) -> (&NewRequest, &Vec<String>, Lang) {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::File {
                request,
                photos,
                lang,
            } => Some((request.as_ref(), photos, *lang)),
            _ => None,
        })
        .expect("filed")
}

const DESCRIPTION: &str = "Jalan berlubang besar di depan pasar, sudah dua minggu, motor jatuh";

#[test]
fn a_simple_complaint_takes_six_messages_from_greeting_to_code() {
    let msgs = vec![
        t("halo"),
        t("1"),
        t("1 Jalan rusak"),
        t(DESCRIPTION),
        Inbound::Location {
            lat: -8.72,
            lon: 115.17,
        },
        t("1"),
    ];
    let (state, effects) = talk(None, msgs);
    assert_eq!(effects.len(), 6);
    assert!(state.is_none(), "the conversation ends when it is filed");
    let (req, photos, lang) = filed(&effects[5]);
    assert_eq!(lang, Lang::Id);
    assert!(photos.is_empty());
    assert_eq!(req.kind, RequestKind::Pengaduan);
    assert_eq!(req.service_code.as_deref(), Some("jalan-rusak"));
    assert_eq!(req.title, "Jalan rusak");
    assert_eq!(req.description, DESCRIPTION);
    assert_eq!((req.latitude, req.longitude), (Some(-8.72), Some(115.17)));
    assert!(!req.anonymous && !req.confidential);
    // the greeting is in Indonesian and offers the kinds as buttons
    let greeting = last_reply(&effects[0]);
    assert!(greeting.text.starts_with("Halo!"), "{}", greeting.text);
    assert_eq!(greeting.choices.len(), 4);
    // the summary names everything before the resident confirms
    let summary = last_reply(&effects[4]);
    assert!(summary.text.contains("Ringkasan"));
    assert!(summary.text.contains(DESCRIPTION));
    assert!(summary.text.contains("-8.72000, 115.17000"));
    assert_eq!(summary.choices.len(), 3);
}

#[test]
fn photos_are_kept_at_any_step_up_to_five() {
    let mut msgs = vec![t("halo"), t("1"), t("0")];
    for i in 0..6 {
        msgs.push(Inbound::Photo(format!("p{i}")));
    }
    msgs.extend([t(DESCRIPTION), t("Jl. Raya Uluwatu no. 5"), t("3")]);
    let (state, effects) = talk(None, msgs);
    assert!(state.is_none());
    // the sixth photo is refused, explained, and given back for removal
    let sixth = &effects[8];
    assert!(sixth.contains(&Effect::Discard(vec!["p5".into()])));
    assert!(last_reply(sixth).text.contains("Sudah 5 foto"));
    assert!(last_reply(&effects[3]).text.contains("Foto 1 dari"));
    let (req, photos, _) = filed(effects.last().unwrap());
    assert_eq!(photos.len(), MAX_PHOTOS);
    assert_eq!(photos[0], "p0");
    assert_eq!(req.service_code, None, "0 is tidak tahu");
    assert_eq!(
        req.location_address.as_deref(),
        Some("Jl. Raya Uluwatu no. 5")
    );
    assert!(req.confidential && !req.anonymous);
    // without a service, the title is the description's start
    assert_eq!(req.title, DESCRIPTION);
}

#[test]
fn a_place_by_kecamatan_then_desa_number() {
    let msgs = vec![t("halo"), t("2"), t(DESCRIPTION), t("1"), t("2"), t("2")];
    let (_, effects) = talk(None, msgs);
    // aspirasi has no services in the catalogue: no service question
    assert!(last_reply(&effects[1]).text.starts_with("Ceritakan"));
    assert!(last_reply(&effects[3]).text.contains("Ungasan"));
    let (req, _, _) = filed(&effects[5]);
    assert_eq!(req.kind, RequestKind::Aspirasi);
    assert_eq!(req.district_code.as_ref().unwrap().as_str(), "51.03.01");
    assert_eq!(req.village_code.as_ref().unwrap().as_str(), "51.03.01.1002");
    assert!(req.anonymous);
    let long = "a".repeat(200);
    let (_, effects) = talk(
        None,
        vec![t("halo"), t("2"), t(&long), t("2"), t("0"), t("1")],
    );
    let (req, _, _) = filed(&effects[5]);
    assert_eq!(req.village_code, None, "0: the desa is not known");
    assert!(req.title.chars().count() <= TITLE_CHARS + 1);
}

#[test]
fn wrong_answers_are_explained_and_asked_again() {
    let (state, effects) = talk(None, vec![t("halo"), t("9")]);
    let r = last_reply(&effects[1]);
    assert!(r.text.starts_with("Maaf, balas dengan angka"), "{}", r.text);
    assert!(r.text.contains("Apa yang ingin"), "the question again");
    assert_eq!(state.as_ref().unwrap().step, Step::Kind);
    let (state, effects) = talk(state, vec![t("1"), t("1"), t("rusak")]);
    assert!(last_reply(&effects[2]).text.starts_with("Terlalu singkat"));
    assert_eq!(state.as_ref().unwrap().step, Step::Description);
    // a location pin out of place, and one outside the regency
    let (state, effects) = talk(
        state,
        vec![
            Inbound::Location {
                lat: -8.7,
                lon: 115.2,
            },
            t(DESCRIPTION),
            Inbound::Location {
                lat: -6.2,
                lon: 106.8,
            },
        ],
    );
    assert!(last_reply(&effects[0]).text.starts_with("Lokasi belum"));
    assert!(last_reply(&effects[2]).text.contains("di luar wilayah"));
    assert_eq!(state.as_ref().unwrap().step, Step::Place);
    let (state, effects) = talk(state, vec![t("7"), t("abc")]);
    assert!(last_reply(&effects[0]).text.contains("sampai 2"));
    assert!(last_reply(&effects[1]).text.starts_with("Terlalu singkat"));
    let (state, effects) = talk(state, vec![t("Jalan Kartika Plaza"), t("ya")]);
    assert!(last_reply(&effects[1]).text.contains("sampai 3"));
    assert_eq!(state.unwrap().step, Step::Confirm);
}

#[test]
fn batal_cancels_and_ulang_restarts_giving_photos_back() {
    let (state, effects) = talk(
        None,
        vec![t("halo"), Inbound::Photo("p0".into()), t("BATAL")],
    );
    assert!(state.is_none());
    assert!(effects[2].contains(&Effect::Discard(vec!["p0".into()])));
    assert!(last_reply(&effects[2]).text.starts_with("Dibatalkan"));
    let (state, effects) = talk(
        None,
        vec![t("halo"), t("1"), Inbound::Photo("p1".into()), t("ulang")],
    );
    let c = state.unwrap();
    assert_eq!((c.step, c.kind, c.photos.len()), (Step::Kind, None, 0));
    assert!(effects[3].contains(&Effect::Discard(vec!["p1".into()])));
    assert!(last_reply(&effects[3]).text.starts_with("Halo!"));
}

#[test]
fn english_on_request_keeps_the_answers() {
    let (state, effects) = talk(None, vec![t("halo"), t("1"), t("english")]);
    let c = state.unwrap();
    assert_eq!((c.lang, c.step.clone()), (Lang::En, Step::Service));
    assert!(last_reply(&effects[2]).text.starts_with("Which service?"));
    let (_, effects) = talk(
        Some(c),
        vec![t("2"), t(DESCRIPTION), t("Jalan Raya Kuta 1"), t("1")],
    );
    assert!(last_reply(&effects[2]).text.starts_with("Summary:"));
    assert_eq!(filed(&effects[3]).2, Lang::En);
    let (state, effects) = talk(None, vec![t("english")]);
    assert_eq!(state.unwrap().lang, Lang::En);
    assert!(last_reply(&effects[0]).text.starts_with("Hello!"));
}

#[test]
fn a_silent_conversation_expires_after_a_day() {
    let (state, _) = talk(None, vec![t("halo"), t("1"), Inbound::Photo("p".into())]);
    let mut c = state.unwrap();
    c.last_at = now() - Duration::hours(23);
    let turn = advance(Some(c.clone()), t("1"), &catalogue(), now());
    assert_eq!(turn.state.unwrap().step, Step::Description, "still alive");
    c.last_at = now() - EXPIRES_AFTER - Duration::minutes(1);
    let turn = advance(Some(c), t("1"), &catalogue(), now());
    assert!(turn.effects.contains(&Effect::Discard(vec!["p".into()])));
    let first = match &turn.effects[1] {
        Effect::Reply(r) => r.text.clone(),
        e => panic!("{e:?}"),
    };
    assert!(first.starts_with("Percakapan sebelumnya berakhir"));
    assert!(last_reply(&turn.effects).text.starts_with("Halo!"));
    assert_eq!(turn.state.unwrap().step, Step::Kind);
}

#[test]
fn status_is_answered_at_any_step_without_changing_it() {
    let (state, effects) = talk(None, vec![t("status bdg 26 7k3q9")]);
    assert!(state.is_none(), "a status question starts no conversation");
    assert_eq!(
        effects[0],
        vec![Effect::Status {
            code: "BDG-26-7K3Q9".into(),
            lang: Lang::Id
        }]
    );
    let (state, _) = talk(None, vec![t("halo"), t("1")]);
    let before = state.clone().unwrap().step;
    let (state, effects) = talk(state, vec![t("Status BDG-26-7K3Q9")]);
    assert_eq!(state.unwrap().step, before);
    assert!(matches!(effects[0][0], Effect::Status { .. }));
    // a text that only looks like it stays an answer
    assert_eq!(status_code("status saya"), None);
}

#[test]
fn the_status_reply_names_the_step_and_its_deadline_in_local_time() {
    let wita = FixedOffset::east_opt(8 * 3600).unwrap();
    let p = PublicStatus {
        status: Status::Didisposisikan,
        due_at: Some(Utc.with_ymd_and_hms(2026, 12, 10, 9, 0, 0).unwrap()),
    };
    let r = status_reply(Lang::Id, "BDG-26-7K3Q9", Some(&p), wita);
    assert_eq!(
        r.text,
        "Laporan BDG-26-7K3Q9: diteruskan ke perangkat daerah. Batas waktu tahap ini: 10-12-2026 17:00."
    );
    let r = status_reply(Lang::En, "BDG-26-7K3Q9", None, wita);
    assert_eq!(r.text, "No request BDG-26-7K3Q9 was found.");
}

#[test]
fn the_filed_reply_carries_the_code_and_the_private_link() {
    let r = filed_reply_text();
    assert!(r.contains("BDG-26-7K3Q9") && r.contains("https://x/ikuti/abc"));
}

fn filed_reply_text() -> String {
    super::filed(Lang::Id, "BDG-26-7K3Q9", "https://x/ikuti/abc").text
}

#[test]
fn state_round_trips_through_json() {
    let (state, _) = talk(
        None,
        vec![t("halo"), t("1"), t("1"), t(DESCRIPTION), t("1")],
    );
    let c = state.unwrap();
    assert!(matches!(c.step, Step::Village { .. }));
    let back: Conversation = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
    assert_eq!(back, c);
    assert_eq!(Channel::parse("telegram"), Some(Channel::Telegram));
    assert_eq!(Channel::parse("sms"), Some(Channel::Sms));
    assert_eq!(Channel::parse("email"), None);
}

#[test]
fn the_conversation_words_are_known_so_a_thread_answer_never_takes_them() {
    for w in [
        "status BDG-26-7K3Q9",
        "Lapor",
        "ulang",
        "/start",
        "batal",
        "english",
        "baru",
    ] {
        assert!(super::is_command(w), "{w}");
    }
    for t in [
        "Sudah saya kirim fotonya",
        "1",
        "laporan saya belum ditangani",
        "",
    ] {
        assert!(!super::is_command(t), "{t}");
    }
}
