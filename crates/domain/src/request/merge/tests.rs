//! Merge and unmerge for every status of either side, by every kind of person, without a
//! database.

use super::*;
use crate::ids::UserId;
use crate::user::{Role, RoleAssignment, Username};

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

fn desk() -> Actor {
    person("meja", &[(Role::Verifier, None)])
}

fn side(id: i64, status: Status, handling: &[UnitId]) -> Side<'_> {
    Side {
        id: RequestId(id),
        code: if id == 1 {
            "BDG-26-AAAAA"
        } else {
            "BDG-26-BBBBB"
        },
        status,
        confidential: false,
        merged_into: None,
        duplicates: 0,
        handling,
    }
}

#[test]
fn every_status_of_the_duplicate_and_the_primary() {
    for d in Status::ALL {
        for p in Status::ALL {
            let r = merge(&desk(), &side(1, d, &[]), &side(2, p, &[]));
            assert_eq!(
                r.is_ok(),
                d.is_open() && p.is_open(),
                "duplicate {d:?} into primary {p:?}: {r:?}"
            );
            if !d.is_open() {
                assert!(matches!(r, Err(Refusal::Conflict(_))), "{d:?} {p:?}");
            } else if !p.is_open() {
                assert_eq!(r, Err(field("primary", "merge_primary_closed")));
            }
        }
    }
}

#[test]
fn unmerge_from_every_status_gives_the_request_back() {
    // the duplicate's own status is kept while merged, whatever it is, and any may be unmerged
    for d in Status::ALL {
        for p in Status::ALL {
            let mut dup = side(1, d, &[]);
            dup.merged_into = Some(RequestId(2));
            let r = unmerge(&desk(), &dup, &side(2, p, &[])).unwrap();
            assert_eq!(r.on_duplicate, "dipisahkan kembali dari BDG-26-BBBBB");
        }
    }
    // a request that is not merged (or merged elsewhere) is not unmerged
    let dup = side(1, Status::Diterima, &[]);
    assert!(matches!(
        unmerge(&desk(), &dup, &side(2, Status::Diterima, &[])),
        Err(Refusal::Conflict(_))
    ));
    let mut elsewhere = side(1, Status::Diterima, &[]);
    elsewhere.merged_into = Some(RequestId(9));
    assert!(unmerge(&desk(), &elsewhere, &side(2, Status::Diterima, &[])).is_err());
}

#[test]
fn the_entries_name_codes_only() {
    let e = merge(
        &desk(),
        &side(1, Status::Diterima, &[]),
        &side(2, Status::Didisposisikan, &[ROADS]),
    )
    .unwrap();
    assert_eq!(e.on_duplicate, "digabung ke BDG-26-BBBBB");
    assert_eq!(e.on_primary, "BDG-26-AAAAA digabung ke laporan ini");
}

#[test]
fn no_self_no_chain_no_merging_a_primary() {
    let open = Status::Didisposisikan;
    assert_eq!(
        merge(&desk(), &side(1, open, &[]), &side(1, open, &[])),
        Err(field("primary", "merge_self"))
    );
    let mut merged_primary = side(2, open, &[]);
    merged_primary.merged_into = Some(RequestId(5));
    assert_eq!(
        merge(&desk(), &side(1, open, &[]), &merged_primary),
        Err(field("primary", "merge_chain"))
    );
    let mut already = side(1, open, &[]);
    already.merged_into = Some(RequestId(5));
    assert!(matches!(
        merge(&desk(), &already, &side(2, open, &[])),
        Err(Refusal::Conflict(_))
    ));
    let mut has_dups = side(1, open, &[]);
    has_dups.duplicates = 2;
    assert_eq!(
        merge(&desk(), &has_dups, &side(2, open, &[])),
        Err(field("primary", "merge_has_duplicates"))
    );
}

#[test]
fn never_across_the_rahasia_boundary() {
    let open = Status::Diterima;
    for (d, p) in [(true, false), (false, true)] {
        let mut dup = side(1, open, &[]);
        dup.confidential = d;
        let mut primary = side(2, open, &[]);
        primary.confidential = p;
        assert_eq!(
            merge(&desk(), &dup, &primary),
            Err(field("primary", "merge_confidential"))
        );
    }
    let mut dup = side(1, open, &[]);
    dup.confidential = true;
    let mut primary = side(2, open, &[]);
    primary.confidential = true;
    assert!(merge(&desk(), &dup, &primary).is_ok());
}

#[test]
fn who_may_merge() {
    let open = Status::Ditindaklanjuti;
    let roads = person("pupr", &[(Role::Officer, Some(ROADS))]);
    let water = person("pdam", &[(Role::Officer, Some(WATER))]);
    let leader = person("bupati", &[(Role::Leader, None)]);
    // a unit handling both
    assert!(merge(&roads, &side(1, open, &[ROADS]), &side(2, open, &[ROADS])).is_ok());
    // not a duplicate of another unit's, nor its own into another unit's; a rahasia one it
    // may not see is answered as unknown
    assert_eq!(
        merge(&roads, &side(1, open, &[WATER]), &side(2, open, &[ROADS])),
        Err(Refusal::Forbidden)
    );
    assert_eq!(
        merge(&roads, &side(1, open, &[ROADS]), &side(2, open, &[WATER])),
        Err(Refusal::Forbidden)
    );
    assert!(may_start(&roads, &side(1, open, &[ROADS])).is_ok());
    assert_eq!(
        may_start(&roads, &side(1, open, &[])),
        Err(Refusal::Forbidden)
    );
    let mut secret = side(1, open, &[WATER]);
    secret.confidential = true;
    let mut secret_primary = side(2, open, &[ROADS]);
    secret_primary.confidential = true;
    assert_eq!(
        merge(&roads, &secret, &secret_primary),
        Err(Refusal::Hidden)
    );
    // another unit, or the leadership, may not
    for who in [&water, &leader] {
        assert_eq!(
            merge(who, &side(1, open, &[ROADS]), &side(2, open, &[ROADS])),
            Err(Refusal::Forbidden)
        );
        let mut dup = side(1, open, &[ROADS]);
        dup.merged_into = Some(RequestId(2));
        assert_eq!(
            unmerge(who, &dup, &side(2, open, &[ROADS])),
            Err(Refusal::Forbidden)
        );
    }
}

#[test]
fn a_merged_request_takes_no_step() {
    assert!(refuse_if_merged(None).is_ok());
    assert!(matches!(
        refuse_if_merged(Some(RequestId(2))),
        Err(Refusal::Conflict(_))
    ));
}
