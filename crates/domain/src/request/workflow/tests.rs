//! `decide` for every status × action, by every kind of person, without a database.

use super::*;
use crate::user::{Role, RoleAssignment, Username};
use chrono::TimeZone;

const DESK_UNIT: UnitId = UnitId(1);
const ROADS: UnitId = UnitId(2);
const WATER: UnitId = UnitId(3);

fn person(name: &str, roles: &[(Role, Option<UnitId>)]) -> Actor {
    Actor {
        user_id: UserId(7),
        username: Username::parse(name).unwrap(),
        full_name: name.into(),
        roles: roles
            .iter()
            .map(|(role, unit_id)| RoleAssignment {
                role: *role,
                unit_id: *unit_id,
            })
            .collect(),
    }
}

fn admin() -> Actor {
    person("admin", &[(Role::Admin, None)])
}

fn desk() -> Actor {
    person("meja", &[(Role::Verifier, Some(DESK_UNIT))])
}

fn roads_officer() -> Actor {
    person("pupr", &[(Role::Officer, Some(ROADS))])
}

fn now() -> DateTime<Utc> {
    // a Monday, 10:00 in Bali
    Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap()
}

struct World {
    rules: RequestRules,
    calendar: Calendar,
    handling: Vec<UnitId>,
}

impl World {
    fn new(handling: &[UnitId]) -> Self {
        Self {
            rules: RequestRules::lapor_defaults(),
            calendar: Calendar::new([]),
            handling: handling.to_vec(),
        }
    }

    fn current(&self, status: Status) -> Current<'_> {
        Current {
            id: RequestId(10),
            status,
            confidential: false,
            handling: &self.handling,
            stage_due_at: Some(now() + chrono::Duration::days(3)),
            resolve_due_at: None,
            escalation_level: 0,
            reporter_name: Some("Made Wirawan"),
            deferred_from: None,
        }
    }

    fn ctx(&self) -> Context<'_> {
        Context {
            now: now(),
            rules: &self.rules,
            calendar: &self.calendar,
        }
    }
}

fn facts() -> Facts {
    Facts {
        units: vec![(ROADS, "Dinas PUPR".into()), (WATER, "PDAM".into())],
        duplicate: Some(RequestId(3)),
        service_days: Some(7),
        officer_units: vec![ROADS],
        officer_name: Some("I Made Sutama".into()),
        closure: ClosureFacts::default(),
        agency: Some(crate::agency::AgencyContact {
            id: 5,
            name: "PLN UP3 Bali Selatan".into(),
            email: Some("up3balisel@pln.co.id".into()),
            phone: Some("123".into()),
            website: None,
        }),
    }
}

/// One well-formed action of every kind; forward goes to a unit not yet handling it.
fn staff_actions() -> Vec<StaffAction> {
    vec![
        StaffAction::Verify {
            note: Some("lengkap".into()),
        },
        StaffAction::Reject {
            reason: RejectReason::Duplicate,
            note: "sudah dilaporkan".into(),
            duplicate_of: Some("BDG-26-22222".into()),
        },
        StaffAction::Dispatch {
            units: vec![ROADS],
            note: None,
        },
        StaffAction::Forward {
            to: WATER,
            reason: "pipa air".into(),
        },
        StaffAction::StartWork { note: None },
        StaffAction::Resolve {
            response: "Jalan sudah ditambal, Made Wirawan.".into(),
        },
        StaffAction::Comment {
            note: "sedang dicek".into(),
            public: true,
        },
        StaffAction::Assign { officer: UserId(9) },
        StaffAction::AcceptFollowUp { note: None },
        StaffAction::ReturnFollowUp {
            reason: "foto hasil kurang jelas".into(),
        },
        StaffAction::Refer {
            agency: 5,
            reason: "jaringan listrik adalah wewenang PLN".into(),
        },
        StaffAction::Defer {
            until: "2026-03-20".into(),
            reason: "menunggu anggaran perubahan".into(),
        },
        StaffAction::Resume { note: None },
    ]
}

#[test]
fn every_status_and_staff_action_follows_the_state_machine() {
    let w = World::new(&[ROADS]);
    let admin = admin();
    let mut allowed = 0;
    for status in Status::ALL {
        for action in staff_actions() {
            let got = decide(
                &w.current(status),
                Taken::Staff(&admin, &action),
                &facts(),
                &w.ctx(),
            );
            match next_status(status, action.step()) {
                Ok(to) => {
                    let o = got.unwrap_or_else(|r| panic!("{status:?} {action:?}: {r}"));
                    assert_eq!((o.from, o.to), (status, to), "{action:?}");
                    assert_eq!(o.step, action.recorded_as());
                    allowed += 1;
                }
                Err(e) => assert_eq!(got, Err(Refusal::Transition(e)), "{status:?} {action:?}"),
            }
        }
    }
    // the table in `next_status`, counted by hand: verify 1, reject 2, dispatch 2, forward 2,
    // start 1, resolve 2, comment and assign 9 each, accept and return a follow-up 1 each,
    // refer 3, defer 2, resume 1
    assert_eq!(allowed, 36);
}

#[test]
fn every_status_and_reporter_action_follows_the_state_machine() {
    let w = World::new(&[ROADS]);
    for status in Status::ALL {
        for action in [
            ReporterAction::Confirm,
            ReporterAction::Reopen {
                reason: "belum diperbaiki".into(),
            },
        ] {
            let step = match action {
                ReporterAction::Confirm => Step::Confirm,
                ReporterAction::Reopen { .. } => Step::Reopen,
            };
            let got = decide(
                &w.current(status),
                Taken::Reporter(&action),
                &facts(),
                &w.ctx(),
            );
            match next_status(status, step) {
                Ok(to) => {
                    let o = got.unwrap();
                    assert_eq!(o.to, to);
                    assert_eq!(o.by, By::Reporter);
                }
                Err(e) => assert_eq!(got, Err(Refusal::Transition(e))),
            }
        }
    }
}

#[test]
fn every_status_and_sweep_action() {
    let w = World::new(&[ROADS]);
    for status in Status::ALL {
        let closed = decide(
            &w.current(status),
            Taken::Sweep(SweepAction::AutoClose),
            &facts(),
            &w.ctx(),
        );
        assert_eq!(closed.is_ok(), status == Status::Selesai, "{status:?}");
        let escalated = decide(
            &w.current(status),
            Taken::Sweep(SweepAction::Escalate {
                level: 1,
                late_working_days: 1,
            }),
            &facts(),
            &w.ctx(),
        );
        // a deferred request is open, but its clock is suspended: never escalated
        assert_eq!(escalated.is_ok(), status.can_be_late(), "{status:?}");
        if let Ok(o) = escalated {
            assert_eq!(o.to, status);
            assert!(
                !o.changes.touched,
                "an escalation leaves the status and updated_at"
            );
            assert_eq!(o.changes.escalation_level, Some(1));
        }
    }
}

#[test]
fn the_desk_triages_and_the_units_work() {
    let w = World::new(&[ROADS]);
    let desk = desk();
    let officer = roads_officer();
    let water = person("pdam", &[(Role::Officer, Some(WATER))]);
    let editor = person("redaksi", &[(Role::Editor, Some(ROADS))]);
    let leader = person("bupati", &[(Role::Leader, None)]);
    for status in Status::ALL {
        for action in staff_actions() {
            let triage = matches!(
                action,
                StaffAction::Verify { .. }
                    | StaffAction::Reject { .. }
                    | StaffAction::Dispatch { .. }
                    | StaffAction::AcceptFollowUp { .. }
                    | StaffAction::ReturnFollowUp { .. }
            );
            let comment = matches!(action, StaffAction::Comment { .. });
            // bukan wewenang: the desk, or the unit before it starts work
            let refer = matches!(action, StaffAction::Refer { .. });
            let possible = next_status(status, action.step()).is_ok();
            let run = |who: &Actor| {
                decide(
                    &w.current(status),
                    Taken::Staff(who, &action),
                    &facts(),
                    &w.ctx(),
                )
            };
            let by_desk = run(&desk);
            assert_eq!(
                by_desk.is_ok(),
                possible && (triage || comment || refer),
                "desk {status:?} {action:?}"
            );
            if !(triage || comment || refer) {
                assert_eq!(by_desk, Err(Refusal::Forbidden));
            }
            let by_officer = run(&officer);
            assert_eq!(
                by_officer.is_ok(),
                possible && !triage && (!refer || status == Status::Didisposisikan),
                "officer {status:?} {action:?}"
            );
            // other units, editors and leaders take no step on it
            for outsider in [&water, &editor, &leader] {
                assert_eq!(run(outsider), Err(Refusal::Forbidden), "{action:?}");
            }
        }
    }
}

#[test]
fn a_rahasia_request_is_hidden_from_whoever_may_not_see_it() {
    let w = World::new(&[ROADS]);
    let mut current = w.current(Status::Didisposisikan);
    current.confidential = true;
    let water = person("pdam", &[(Role::Officer, Some(WATER))]);
    let action = StaffAction::StartWork { note: None };
    let got = decide(&current, Taken::Staff(&water, &action), &facts(), &w.ctx());
    assert_eq!(got, Err(Refusal::Hidden));
    // the desk may see it, so it is told plainly that it may not act
    let got = decide(&current, Taken::Staff(&desk(), &action), &facts(), &w.ctx());
    assert_eq!(got, Err(Refusal::Forbidden));
}

#[test]
fn input_is_checked_after_the_permission_and_the_status() {
    let w = World::new(&[ROADS]);
    let admin = admin();
    let cases: Vec<(Status, StaffAction, Facts, Refusal)> = vec![
        (
            Status::Diterima,
            StaffAction::Reject {
                reason: RejectReason::Incomplete,
                note: "  ".into(),
                duplicate_of: None,
            },
            facts(),
            field("note", "required"),
        ),
        (
            Status::Diterima,
            StaffAction::Reject {
                reason: RejectReason::Duplicate,
                note: "sama".into(),
                duplicate_of: Some("BDG-26-XXXXX".into()),
            },
            Facts {
                duplicate: None,
                ..facts()
            },
            field("duplicate_of", "unknown_request"),
        ),
        (
            Status::Diterima,
            StaffAction::Reject {
                reason: RejectReason::Duplicate,
                note: "sama".into(),
                duplicate_of: Some("itself".into()),
            },
            Facts {
                duplicate: Some(RequestId(10)),
                ..facts()
            },
            field("duplicate_of", "unknown_request"),
        ),
        (
            Status::Diterima,
            StaffAction::Dispatch {
                units: vec![],
                note: None,
            },
            facts(),
            field("units", "required"),
        ),
        (
            Status::Diterima,
            StaffAction::Dispatch {
                units: vec![UnitId(99)],
                note: None,
            },
            facts(),
            field("units", "unknown_unit"),
        ),
        (
            Status::Didisposisikan,
            StaffAction::Forward {
                to: ROADS,
                reason: "x".into(),
            },
            facts(),
            field("to_unit", "already_handling"),
        ),
        (
            Status::Didisposisikan,
            StaffAction::Forward {
                to: WATER,
                reason: "".into(),
            },
            facts(),
            field("reason", "required"),
        ),
        (
            Status::Didisposisikan,
            StaffAction::Resolve {
                response: " selesai ".into(),
            },
            facts(),
            field("response", "response_too_short"),
        ),
        (
            Status::Didisposisikan,
            StaffAction::Comment {
                note: "".into(),
                public: false,
            },
            facts(),
            field("note", "required"),
        ),
        (
            Status::Didisposisikan,
            StaffAction::Assign { officer: UserId(9) },
            Facts {
                officer_units: vec![WATER],
                ..facts()
            },
            field("officer", "officer_not_in_unit"),
        ),
    ];
    for (status, action, facts, refusal) in cases {
        let got = decide(
            &w.current(status),
            Taken::Staff(&admin, &action),
            &facts,
            &w.ctx(),
        );
        assert_eq!(got, Err(refusal), "{action:?}");
    }
    // an officer of another unit hears "forbidden" before any field error
    let water = person("pdam", &[(Role::Officer, Some(WATER))]);
    let action = StaffAction::Resolve {
        response: "x".into(),
    };
    let got = decide(
        &w.current(Status::Didisposisikan),
        Taken::Staff(&water, &action),
        &facts(),
        &w.ctx(),
    );
    assert_eq!(got, Err(Refusal::Forbidden));
}

#[test]
fn dispatch_sets_the_deadlines_in_working_days_and_notifies_each_unit() {
    let w = World::new(&[]);
    let action = StaffAction::Dispatch {
        units: vec![ROADS, WATER],
        note: Some("segera".into()),
    };
    let o = decide(
        &w.current(Status::Diterima),
        Taken::Staff(&desk(), &action),
        &facts(),
        &w.ctx(),
    )
    .unwrap();
    assert_eq!(o.to, Status::Didisposisikan);
    assert_eq!(o.units, UnitChange::Dispatch(vec![ROADS, WATER]));
    // Monday + 5 working days (follow-up) = next Monday; + 7 (the service) = Wednesday after
    let local = |d: DateTime<Utc>| {
        d.with_timezone(&w.rules.utc_offset)
            .date_naive()
            .to_string()
    };
    assert_eq!(
        local(o.changes.stage_due_at.flatten().unwrap()),
        "2026-03-09"
    );
    assert_eq!(local(o.changes.resolve_due_at.unwrap()), "2026-03-11");
    assert_eq!(o.changes.escalation_level, Some(0));
    assert_eq!(o.entry.unit, Some(ROADS));
    assert!(o.refresh_figures);
    let units: Vec<_> = o
        .notices
        .iter()
        .filter_map(|n| match n {
            Notice::Unit { unit, .. } => Some(*unit),
            _ => None,
        })
        .collect();
    assert_eq!(units, vec![ROADS, WATER]);
    assert!(o.notices.contains(&Notice::ReporterMessage));
    assert!(o.notices.contains(&Notice::ReporterEmail {
        note: Some("segera".into())
    }));
}

#[test]
fn resolving_masks_the_reporters_name_in_the_public_response() {
    let w = World::new(&[ROADS]);
    let action = StaffAction::Resolve {
        response: "Jalan sudah ditambal, Made Wirawan.".into(),
    };
    let o = decide(
        &w.current(Status::Ditindaklanjuti),
        Taken::Staff(&roads_officer(), &action),
        &facts(),
        &w.ctx(),
    )
    .unwrap();
    let (raw, public) = o.changes.response.unwrap();
    assert!(raw.contains("Made Wirawan"));
    assert!(!public.contains("Made"), "{public}");
    assert_eq!(o.changes.resolved_at, Some(Some(now())));
}

#[test]
fn internal_notes_and_assignments_never_reach_the_reporter() {
    let w = World::new(&[ROADS]);
    for action in [
        StaffAction::Comment {
            note: "catatan internal".into(),
            public: false,
        },
        StaffAction::Assign { officer: UserId(9) },
    ] {
        let o = decide(
            &w.current(Status::Ditindaklanjuti),
            Taken::Staff(&roads_officer(), &action),
            &facts(),
            &w.ctx(),
        )
        .unwrap();
        assert!(!o.entry.public);
        assert!(o.notices.is_empty(), "{:?}", o.notices);
        if matches!(action, StaffAction::Assign { .. }) {
            assert_eq!(
                o.entry.note.as_deref(),
                Some("ditugaskan kepada I Made Sutama")
            );
        }
    }
    // a verification moves the status: the reporter hears of it, without the internal note
    let action = StaffAction::Verify {
        note: Some("KTP terlampir".into()),
    };
    let o = decide(
        &w.current(Status::Diterima),
        Taken::Staff(&desk(), &action),
        &facts(),
        &w.ctx(),
    )
    .unwrap();
    assert_eq!(o.notices[0], Notice::ReporterEmail { note: None });
}

#[test]
fn the_reporter_may_object_only_within_the_window_and_with_a_reason() {
    let w = World::new(&[ROADS, WATER]);
    let mut current = w.current(Status::Selesai);
    let short = ReporterAction::Reopen {
        reason: "no".into(),
    };
    assert_eq!(
        decide(&current, Taken::Reporter(&short), &facts(), &w.ctx()),
        Err(field("reason", "required"))
    );
    let reopen = ReporterAction::Reopen {
        reason: "masih berlubang".into(),
    };
    let o = decide(&current, Taken::Reporter(&reopen), &facts(), &w.ctx()).unwrap();
    assert_eq!(o.to, Status::Ditindaklanjuti);
    assert_eq!(o.notices.len(), 2, "both handling units hear of it");
    assert_eq!(o.changes.resolved_at, Some(None));
    current.stage_due_at = Some(now() - chrono::Duration::hours(1));
    assert_eq!(
        decide(&current, Taken::Reporter(&reopen), &facts(), &w.ctx()),
        Err(Refusal::Conflict("the time to object has passed"))
    );
    // confirming is possible after the window too
    let o = decide(
        &current,
        Taken::Reporter(&ReporterAction::Confirm),
        &facts(),
        &w.ctx(),
    )
    .unwrap();
    assert_eq!(o.to, Status::Ditutup);
    assert_eq!(o.changes.closed_at, Some(Some(now())));
}

#[test]
fn escalation_goes_to_the_units_then_to_the_desk() {
    let w = World::new(&[ROADS]);
    let ctx = w.ctx();
    let mut current = w.current(Status::Didisposisikan);
    // not yet due
    assert!(SweepAction::escalation(&current, &ctx).is_none());
    // due last Friday evening: 1 working day late (Monday)
    current.stage_due_at = Some(Utc.with_ymd_and_hms(2026, 2, 27, 15, 0, 0).unwrap());
    let Some(SweepAction::Escalate { level, .. }) = SweepAction::escalation(&current, &ctx) else {
        panic!("due an escalation");
    };
    assert_eq!(level, 1);
    current.escalation_level = 1;
    assert!(SweepAction::escalation(&current, &ctx).is_none());
    // a week late: the desk
    current.stage_due_at = Some(Utc.with_ymd_and_hms(2026, 2, 20, 15, 0, 0).unwrap());
    let Some(SweepAction::Escalate { level, .. }) = SweepAction::escalation(&current, &ctx) else {
        panic!("due an escalation");
    };
    assert_eq!(level, 2);
    current.status = Status::Selesai;
    assert!(SweepAction::escalation(&current, &ctx).is_none());
}

// --- routing rules ------------------------------------------------------------------------

#[test]
fn a_rule_verifies_a_received_request_and_nothing_else() {
    let w = World::new(&[]);
    let verify = RuleAction::Verify { rule: 4 };
    for status in Status::ALL {
        let got = decide(&w.current(status), Taken::Rule(verify), &facts(), &w.ctx());
        if status == Status::Diterima {
            let o = got.unwrap();
            assert_eq!(o.to, Status::Diverifikasi);
            assert_eq!(o.by.timeline_name(), "system:rule:4");
            assert_eq!(o.by.user_id(), None);
            assert_eq!(o.audit_after["rule_id"], 4);
            assert!(!o.entry.public);
            assert!(o.notices.is_empty(), "the reporter hears once, at dispatch");
        } else {
            assert!(
                matches!(got, Err(Refusal::Transition(_))),
                "{status:?}: {got:?}"
            );
        }
    }
}

#[test]
fn a_rule_dispatches_a_verified_request_to_its_unit_only() {
    let w = World::new(&[]);
    let dispatch = RuleAction::Dispatch {
        rule: 4,
        unit: ROADS,
    };
    for status in Status::ALL {
        let got = decide(
            &w.current(status),
            Taken::Rule(dispatch),
            &facts(),
            &w.ctx(),
        );
        match status {
            Status::Diterima | Status::Diverifikasi => {
                let o = got.unwrap();
                assert_eq!(o.to, Status::Didisposisikan);
                assert_eq!(o.units, UnitChange::Dispatch(vec![ROADS]));
                assert_eq!(o.entry.unit, Some(ROADS));
                assert!(o.changes.resolve_due_at.is_some());
                assert_eq!(o.notices[0], Notice::ReporterEmail { note: None });
                assert_eq!(o.notices[1], Notice::ReporterMessage);
                assert!(matches!(o.notices[2], Notice::Unit { unit: ROADS, .. }));
                assert_eq!(o.audit_after["rule_id"], 4);
                assert!(o.refresh_figures);
            }
            _ => assert!(
                matches!(got, Err(Refusal::Transition(_))),
                "{status:?}: {got:?}"
            ),
        }
    }
    // a unit that no longer exists is refused, and the desk keeps the request
    let gone = RuleAction::Dispatch {
        rule: 4,
        unit: UnitId(99),
    };
    assert_eq!(
        decide(
            &w.current(Status::Diverifikasi),
            Taken::Rule(gone),
            &facts(),
            &w.ctx()
        ),
        Err(field("units", "unknown_unit"))
    );
}

// --- requests no unit has taken -------------------------------------------------------------

#[test]
fn a_request_no_unit_took_goes_to_the_leadership_once_per_status_it_waits_in() {
    let w = World::new(&[ROADS]);
    let ctx = w.ctx();
    let long_ago = now() - chrono::Duration::hours(25);
    let just_now = now() - chrono::Duration::hours(23);
    for status in Status::ALL {
        let waiting = matches!(
            status,
            Status::Diterima | Status::Diverifikasi | Status::Didisposisikan
        );
        assert_eq!(is_untaken(status, long_ago, &ctx), waiting, "{status:?}");
        assert!(!is_untaken(status, just_now, &ctx), "{status:?}");
        let got = decide(
            &w.current(status),
            Taken::Sweep(SweepAction::Untaken { hours: 24 }),
            &facts(),
            &ctx,
        );
        if waiting {
            let o = got.unwrap();
            assert_eq!((o.from, o.to), (status, status));
            assert!(!o.changes.touched, "the status and deadlines stay");
            assert!(!o.entry.public);
            assert_eq!(o.notices, vec![Notice::Untaken { hours: 24 }]);
            assert_eq!(o.audit_after["untaken_hours"], 24);
        } else {
            assert_eq!(got, Err(Refusal::Conflict("a unit has taken the request")));
        }
    }
}
