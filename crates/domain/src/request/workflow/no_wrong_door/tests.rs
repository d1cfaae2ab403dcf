//! Bukan wewenang and ditunda: who may take the steps, from which status, what they check and
//! what they change, without a database. (Every status × action is in `workflow/tests.rs`.)

use super::super::*;
use crate::agency::AgencyContact;
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
    // Monday 2 March 2026, 10:00 in Bali
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
            stage_due_at: Some(now() - chrono::Duration::days(1)),
            resolve_due_at: Some(Utc.with_ymd_and_hms(2026, 3, 6, 8, 0, 0).unwrap()),
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

    fn staff(&self, status: Status, who: &Actor, a: &StaffAction) -> Result<Outcome, Refusal> {
        decide(
            &self.current(status),
            Taken::Staff(who, a),
            &facts(),
            &self.ctx(),
        )
    }
}

fn pln() -> AgencyContact {
    AgencyContact {
        id: 5,
        name: "PLN UP3 Bali Selatan".into(),
        email: Some("up3balisel@pln.co.id".into()),
        phone: Some("0361 123456".into()),
        website: None,
    }
}

fn facts() -> Facts {
    Facts {
        agency: Some(pln()),
        service_days: Some(10),
        ..Facts::default()
    }
}

fn refer(reason: &str) -> StaffAction {
    StaffAction::Refer {
        agency: 5,
        reason: reason.into(),
    }
}

fn defer(until: &str) -> StaffAction {
    StaffAction::Defer {
        until: until.into(),
        reason: "menunggu anggaran perubahan".into(),
    }
}

#[test]
fn the_desk_refers_to_an_agency_with_a_public_reason_and_the_reporter_hears() {
    let w = World::new();
    let o = w
        .staff(
            Status::Diverifikasi,
            &desk(),
            &refer("Tiang listrik milik PLN, dilaporkan Made Wirawan"),
        )
        .unwrap();
    assert_eq!(o.to, Status::Dialihkan);
    assert_eq!(o.step, RequestStep::Refer);
    assert_eq!(o.changes.referred_to, Some(Some(5)));
    let reason = o.changes.status_reason.clone().flatten().unwrap();
    assert!(
        !reason.contains("Wirawan"),
        "the reporter's name is masked: {reason}"
    );
    assert_eq!(o.changes.closed_at, Some(Some(now())));
    assert_eq!(o.changes.stage_due_at, Some(None));
    // the public timeline says where and why, without the contact (it would show masked)
    let note = o.entry.note.clone().unwrap();
    assert!(note.contains("PLN UP3 Bali Selatan") && !note.contains("up3balisel@pln.co.id"));
    assert!(o.entry.public);
    // the reporter's notice carries where it went and how to reach it
    let Notice::ReporterEmail { note: Some(told) } = &o.notices[0] else {
        panic!("the reporter is told: {:?}", o.notices);
    };
    assert!(
        told.starts_with(&note) && told.contains("up3balisel@pln.co.id"),
        "{told}"
    );
    assert_eq!(o.notices[1], Notice::ReporterMessage);
    assert!(o.refresh_figures, "it counts apart in the figures");
}

#[test]
fn a_referral_names_an_active_agency_and_a_reason() {
    let w = World::new();
    let unknown = StaffAction::Refer {
        agency: 99,
        reason: "bukan wewenang kabupaten".into(),
    };
    assert_eq!(
        w.staff(Status::Diterima, &desk(), &unknown),
        Err(field("agency", "unknown_agency"))
    );
    // an inactive agency is not among the facts: the same answer
    let none = decide(
        &w.current(Status::Diterima),
        Taken::Staff(&desk(), &refer("bukan wewenang kabupaten")),
        &Facts::default(),
        &w.ctx(),
    );
    assert_eq!(none, Err(field("agency", "unknown_agency")));
    assert_eq!(
        w.staff(Status::Diterima, &desk(), &refer("  ")),
        Err(field("reason", "required"))
    );
    let long = "x".repeat(1001);
    assert_eq!(
        w.staff(Status::Diterima, &desk(), &refer(&long)),
        Err(field("reason", "too_long"))
    );
}

#[test]
fn the_unit_refers_back_out_only_before_it_starts_work() {
    let w = World::new();
    let a = refer("jalan nasional, wewenang balai");
    let o = w.staff(Status::Didisposisikan, &officer(), &a).unwrap();
    assert_eq!(o.to, Status::Dialihkan);
    assert_eq!(o.entry.unit, Some(ROADS));
    assert_eq!(
        w.staff(Status::Ditindaklanjuti, &officer(), &a),
        Err(Refusal::Forbidden)
    );
    // before dispatch it is the desk's, not a unit's
    assert_eq!(
        w.staff(Status::Diterima, &officer(), &a),
        Err(Refusal::Forbidden)
    );
    // the desk may refer a dispatched request too, not one in work
    assert!(w.staff(Status::Didisposisikan, &desk(), &a).is_ok());
    for s in [
        Status::Ditunda,
        Status::Selesai,
        Status::Ditolak,
        Status::Dialihkan,
    ] {
        assert!(w.staff(s, &desk(), &a).is_err(), "{s:?}");
    }
}

#[test]
fn the_deferral_date_is_in_the_future_and_within_a_year() {
    let w = World::new();
    let cases = [
        ("", "required"),
        ("besok", "invalid_date"),
        ("2026-02-30", "invalid_date"),
        ("2026-03-01", "date_not_in_future"),
        // today (local) is not in the future
        ("2026-03-02", "date_not_in_future"),
        ("2027-03-03", "date_too_far"),
    ];
    for (raw, code) in cases {
        assert_eq!(
            w.staff(Status::Ditindaklanjuti, &officer(), &defer(raw)),
            Err(field("until", code)),
            "{raw}"
        );
    }
    assert!(w
        .staff(Status::Ditindaklanjuti, &officer(), &defer("2027-03-02"))
        .is_ok());
    let no_reason = StaffAction::Defer {
        until: "2026-03-10".into(),
        reason: "".into(),
    };
    assert_eq!(
        w.staff(Status::Ditindaklanjuti, &officer(), &no_reason),
        Err(field("reason", "required"))
    );
}

#[test]
fn a_deferred_request_has_its_own_deadline_and_is_never_late() {
    let w = World::new();
    let o = w
        .staff(Status::Didisposisikan, &officer(), &defer("2026-03-20"))
        .unwrap();
    assert_eq!(o.to, Status::Ditunda);
    // the start of 20 March in Bali (UTC+8)
    let at = Utc.with_ymd_and_hms(2026, 3, 19, 16, 0, 0).unwrap();
    assert_eq!(o.changes.deferred, Some(Some((Status::Didisposisikan, at))));
    assert_eq!(o.changes.stage_due_at, Some(Some(at)));
    assert_eq!(o.changes.escalation_level, Some(0));
    assert_eq!(
        o.entry.note.as_deref(),
        Some("Ditunda sampai 20-03-2026: menunggu anggaran perubahan")
    );
    assert!(matches!(
        o.notices[0],
        Notice::ReporterEmail { note: Some(_) }
    ));
    // the desk does not defer the unit's work
    assert_eq!(
        w.staff(Status::Didisposisikan, &desk(), &defer("2026-03-20")),
        Err(Refusal::Forbidden)
    );
    // even past its stored deadline a deferred request is not escalated
    let mut c = w.current(Status::Ditunda);
    c.escalation_level = 0;
    assert!(SweepAction::escalation(&c, &w.ctx()).is_none());
    assert!(Status::Ditunda.is_open() && !Status::Ditunda.can_be_late());
    assert!(!Status::Dialihkan.is_open());
    let escalate = SweepAction::Escalate {
        level: 1,
        late_working_days: 3,
    };
    assert!(decide(&c, Taken::Sweep(escalate), &facts(), &w.ctx()).is_err());
}

#[test]
fn the_sweep_resumes_to_the_status_it_had_with_fresh_deadlines() {
    let w = World::new();
    let mut c = w.current(Status::Ditunda);
    c.deferred_from = Some(Status::Didisposisikan);
    let o = decide(&c, Taken::Sweep(SweepAction::Resume), &facts(), &w.ctx()).unwrap();
    assert_eq!((o.from, o.to), (Status::Ditunda, Status::Didisposisikan));
    assert_eq!(o.by, By::Sweep);
    assert_eq!(o.changes.deferred, Some(None));
    assert_eq!(o.changes.status_reason, Some(None));
    // five working days from Monday 2 March: Monday 9 March, end of day
    let follow_up = w.calendar.due_at(now(), 5, w.rules.utc_offset);
    assert_eq!(o.changes.stage_due_at, Some(Some(follow_up)));
    // the service's limit starts again: ten working days, later than the old one
    let resolve = w.calendar.due_at(now(), 10, w.rules.utc_offset);
    assert_eq!(o.changes.resolve_due_at, Some(resolve));
    assert!(matches!(o.notices[0], Notice::ReporterEmail { .. }));
    // in work before: back to work, its deadline the service's
    c.deferred_from = Some(Status::Ditindaklanjuti);
    let o = decide(&c, Taken::Sweep(SweepAction::Resume), &facts(), &w.ctx()).unwrap();
    assert_eq!(o.to, Status::Ditindaklanjuti);
    assert_eq!(o.changes.stage_due_at, Some(Some(resolve)));
    // nothing else resumes
    for s in Status::ALL.into_iter().filter(|s| *s != Status::Ditunda) {
        let got = decide(
            &w.current(s),
            Taken::Sweep(SweepAction::Resume),
            &facts(),
            &w.ctx(),
        );
        assert!(got.is_err(), "{s:?}");
    }
}

#[test]
fn staff_resume_early_and_the_reporter_hears() {
    let w = World::new();
    let mut c = w.current(Status::Ditunda);
    c.deferred_from = Some(Status::Didisposisikan);
    let a = StaffAction::Resume {
        note: Some("anggaran sudah tersedia".into()),
    };
    let o = decide(&c, Taken::Staff(&officer(), &a), &facts(), &w.ctx()).unwrap();
    assert_eq!(o.to, Status::Didisposisikan);
    assert_eq!(o.entry.note.as_deref(), Some("anggaran sudah tersedia"));
    assert!(matches!(o.notices[0], Notice::ReporterEmail { .. }));
    assert_eq!(
        decide(&c, Taken::Staff(&desk(), &a), &facts(), &w.ctx()),
        Err(Refusal::Forbidden)
    );
}
