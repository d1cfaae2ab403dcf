//! Validated closure: every status × the desk's two steps, who may take them, the resolution
//! that waits for the desk, the photos of the result, the deadlines in working days.

use super::super::*;
use crate::user::{Role, RoleAssignment, Username};
use chrono::TimeZone;

const ROADS: UnitId = UnitId(2);

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

fn desk() -> Actor {
    person("meja", &[(Role::Verifier, Some(UnitId(1)))])
}

fn officer() -> Actor {
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
    fn new() -> Self {
        Self {
            rules: RequestRules::lapor_defaults(),
            calendar: Calendar::new([]),
            handling: vec![ROADS],
        }
    }

    fn current(&self, status: Status) -> Current<'_> {
        Current {
            id: RequestId(10),
            status,
            confidential: false,
            handling: &self.handling,
            stage_due_at: Some(now() + chrono::Duration::days(3)),
            // the service's limit: Friday of the second week
            resolve_due_at: Some(Utc.with_ymd_and_hms(2026, 3, 13, 8, 0, 0).unwrap()),
            escalation_level: 1,
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

    fn run(
        &self,
        status: Status,
        who: &Actor,
        action: &StaffAction,
        closure: ClosureFacts,
    ) -> Result<Outcome, Refusal> {
        let facts = Facts {
            closure,
            ..Facts::default()
        };
        decide(
            &self.current(status),
            Taken::Staff(who, action),
            &facts,
            &self.ctx(),
        )
    }
}

fn validated() -> ClosureFacts {
    ClosureFacts {
        validate: true,
        photos_required: false,
        result_photos: 0,
    }
}

fn local(w: &World, d: DateTime<Utc>) -> String {
    d.with_timezone(&w.rules.utc_offset)
        .date_naive()
        .to_string()
}

fn resolve() -> StaffAction {
    StaffAction::Resolve {
        response: "Lubang sudah ditambal dengan aspal.".into(),
    }
}

fn accept() -> StaffAction {
    StaffAction::AcceptFollowUp { note: None }
}

fn give_back() -> StaffAction {
    StaffAction::ReturnFollowUp {
        reason: "foto hasil tidak menunjukkan jalan".into(),
    }
}

#[test]
fn only_a_request_waiting_for_validation_is_validated_or_returned() {
    let w = World::new();
    for status in Status::ALL {
        for (action, to) in [
            (accept(), Status::Selesai),
            (give_back(), Status::Ditindaklanjuti),
        ] {
            let got = w.run(status, &desk(), &action, validated());
            if status == Status::MenungguValidasi {
                let o = got.unwrap_or_else(|r| panic!("{action:?}: {r}"));
                assert_eq!((o.from, o.to), (status, to));
                assert!(o.refresh_figures);
            } else {
                assert!(
                    matches!(got, Err(Refusal::Transition(_))),
                    "{status:?} {action:?}: {got:?}"
                );
            }
        }
    }
}

#[test]
fn the_desk_validates_and_the_unit_may_not_validate_its_own_work() {
    let w = World::new();
    let leader = person("bupati", &[(Role::Leader, None)]);
    let admin = person("admin", &[(Role::Admin, None)]);
    for action in [accept(), give_back()] {
        let s = Status::MenungguValidasi;
        assert!(w.run(s, &desk(), &action, validated()).is_ok());
        assert!(w.run(s, &admin, &action, validated()).is_ok());
        for who in [officer(), leader.clone()] {
            assert_eq!(
                w.run(s, &who, &action, validated()),
                Err(Refusal::Forbidden),
                "{action:?}"
            );
        }
    }
    // the unit comments while it waits, but cannot resolve again
    let comment = StaffAction::Comment {
        note: "menunggu validasi".into(),
        public: false,
    };
    assert!(w
        .run(Status::MenungguValidasi, &officer(), &comment, validated())
        .is_ok());
    assert!(matches!(
        w.run(
            Status::MenungguValidasi,
            &officer(),
            &resolve(),
            validated()
        ),
        Err(Refusal::Transition(_))
    ));
}

#[test]
fn a_resolution_waits_for_the_desk_only_where_the_service_requires_it() {
    let w = World::new();
    let plain = w
        .run(
            Status::Ditindaklanjuti,
            &officer(),
            &resolve(),
            ClosureFacts::default(),
        )
        .unwrap();
    assert_eq!(plain.to, Status::Selesai);
    let o = w
        .run(Status::Ditindaklanjuti, &officer(), &resolve(), validated())
        .unwrap();
    assert_eq!(o.to, Status::MenungguValidasi);
    assert_eq!(o.step, RequestStep::Resolve);
    // the unit's resolution time stands; the desk has 3 working days: Monday → Thursday
    assert_eq!(o.changes.resolved_at, Some(Some(now())));
    assert_eq!(
        local(&w, o.changes.stage_due_at.flatten().unwrap()),
        "2026-03-05"
    );
    assert_eq!(o.changes.escalation_level, Some(0));
    assert!(o.refresh_figures);
    // the reporter is told it waits, not asked to confirm yet (the status says which)
    assert!(o.notices.contains(&Notice::ReporterMessage));
}

#[test]
fn photos_of_the_result_are_required_where_the_service_says_so() {
    let w = World::new();
    let no_photos = ClosureFacts {
        validate: true,
        photos_required: true,
        result_photos: 0,
    };
    let photo_error = Err(field("photo", "result_photo_required"));
    assert_eq!(
        w.run(Status::Ditindaklanjuti, &officer(), &resolve(), no_photos),
        photo_error
    );
    assert_eq!(
        w.run(Status::MenungguValidasi, &desk(), &accept(), no_photos),
        photo_error
    );
    // returning for want of photos is exactly what the desk may do
    assert!(w
        .run(Status::MenungguValidasi, &desk(), &give_back(), no_photos)
        .is_ok());
    let with_photos = ClosureFacts {
        result_photos: 2,
        ..no_photos
    };
    assert!(w
        .run(Status::Ditindaklanjuti, &officer(), &resolve(), with_photos)
        .is_ok());
    assert!(w
        .run(Status::MenungguValidasi, &desk(), &accept(), with_photos)
        .is_ok());
}

#[test]
fn accepting_starts_the_objection_window_and_tells_the_reporter_and_the_unit() {
    let w = World::new();
    let o = w
        .run(Status::MenungguValidasi, &desk(), &accept(), validated())
        .unwrap();
    assert_eq!(o.step, RequestStep::Validate);
    // 10 working days from Monday 2 March: Monday 16 March
    assert_eq!(
        local(&w, o.changes.stage_due_at.flatten().unwrap()),
        "2026-03-16"
    );
    assert_eq!(
        o.changes.resolved_at, None,
        "the unit's resolution time stands"
    );
    assert!(o.entry.public);
    assert!(matches!(o.notices[0], Notice::ReporterEmail { .. }));
    assert!(o.notices.iter().any(|n| matches!(
        n,
        Notice::Unit { unit, what_id, .. } if *unit == ROADS && what_id == "Tindak lanjut divalidasi"
    )));
}

#[test]
fn returning_needs_a_reason_and_gives_the_unit_its_time_again() {
    let w = World::new();
    let short = StaffAction::ReturnFollowUp {
        reason: " no ".into(),
    };
    assert_eq!(
        w.run(Status::MenungguValidasi, &desk(), &short, validated()),
        Err(field("reason", "required"))
    );
    let o = w
        .run(Status::MenungguValidasi, &desk(), &give_back(), validated())
        .unwrap();
    assert_eq!(o.step, RequestStep::ReturnFollowUp);
    assert_eq!(o.to, Status::Ditindaklanjuti);
    assert_eq!(o.changes.resolved_at, Some(None));
    // the service's limit is still ahead, so it is the deadline again
    assert_eq!(
        o.changes.stage_due_at.flatten(),
        w.current(Status::MenungguValidasi).resolve_due_at
    );
    assert_eq!(o.changes.escalation_level, Some(0));
    // the reason is the desk's word to the unit: internal, never in the reporter's notice
    assert!(!o.entry.public);
    assert_eq!(
        o.entry.note.as_deref(),
        Some("tindak lanjut ditolak: foto hasil tidak menunjukkan jalan")
    );
    assert!(o.notices.contains(&Notice::ReporterEmail { note: None }));
    assert!(o.notices.iter().any(|n| matches!(
        n,
        Notice::Unit { unit, what_id, .. }
            if *unit == ROADS && what_id.contains("foto hasil tidak menunjukkan jalan")
    )));
}

#[test]
fn a_waiting_request_is_open_and_escalates_when_the_desk_is_late() {
    let w = World::new();
    assert!(Status::MenungguValidasi.is_open());
    assert_eq!(
        Status::MenungguValidasi.stage(),
        Some(crate::request::Stage::Validate)
    );
    assert_eq!(
        Status::parse("menunggu_validasi"),
        Ok(Status::MenungguValidasi)
    );
    let mut current = w.current(Status::MenungguValidasi);
    current.stage_due_at = Some(now() - chrono::Duration::days(7));
    current.escalation_level = 0;
    assert!(SweepAction::escalation(&current, &w.ctx()).is_some());
}
