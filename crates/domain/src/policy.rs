//! Who may do what: the one place authorisation is decided.
//!
//! Handlers name the permission they need (`actor.require(Permission::ManageUnits)?`); the rule
//! behind it lives here, so it can be read and tested in one file.

use crate::editorial::EditorialStep;
use crate::ids::{UnitId, UserId};
use crate::user::{Role, RoleAssignment, Username};
use serde::Serialize;

/// A signed-in staff member, as the rules see them.
#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    pub user_id: UserId,
    pub username: Username,
    pub full_name: String,
    pub roles: Vec<RoleAssignment>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Enter the staff area at all.
    StaffArea,
    /// Create and edit units (perangkat daerah).
    ManageUnits,
    /// See the list of staff accounts (all of them, or those of one's own units).
    ListUsers,
    /// Create, edit, disable or reset the password of a user whose role is given.
    ManageUser { role: Role, unit: Option<UnitId> },
    /// Read the audit log.
    ViewAudit,
    /// Run the platform: holidays, integration clients, the application registry.
    ManagePlatform,
    /// See the satisfaction index (IKM) of the units.
    ViewSatisfaction,
    /// See the application registry and its integration health.
    ViewRegistry,
    /// Keep the smart-city masterplan: dimensions, programmes, readiness (Kominfo).
    ManageMasterplan,
    /// Report on a programme (progress updates, actual values): Kominfo, or the staff of the
    /// programme's owner unit.
    ReportProgramme { owner: UnitId },
    /// Run bimtek: events, invitations, check-in, materials (Kominfo).
    ManageTraining,
    /// Register a unit's staff for a bimtek: Kominfo, or that unit's admins.
    RegisterTrainees { unit: UnitId },
    /// See who was trained and who still needs training.
    ViewTraining,
    /// See the leadership dashboard: overdue and escalated requests with who holds them,
    /// hot spots, the weekly summary.
    ViewLeadership,
    /// Edit a unit's service catalogue: the unit's admins and Kominfo.
    ManageServices { unit: UnitId },
    /// Write and edit a unit's portal content: its editors and admins, and Kominfo.
    EditContent { unit: UnitId },
    /// Publish a unit's content: its admins and Kominfo, not the editor who wrote it.
    PublishContent { unit: UnitId },
    /// A step of the editorial workflow on a unit's content: submitting and returning need
    /// editing rights, publishing and unpublishing publishing rights.
    ContentStep { unit: UnitId, step: EditorialStep },
    /// Produce a unit's open data (datasets, resources): its editors and admins, and Kominfo.
    ProduceData { unit: UnitId },
    /// The walidata: Kominfo's admins, who alone publish, return and withdraw datasets.
    Walidata,
    /// A step of a dataset's workflow: producers submit, the walidata decides.
    DatasetStep { unit: UnitId, step: EditorialStep },
    /// See the routing model and how often its suggestions were taken: the desk, the
    /// leadership and Kominfo (never the public: the model is learned from the desk's work).
    ViewRouting,
    /// Retrain the routing model, keep the routing rules (Kominfo).
    ManageRouting,
    /// Keep the list of outside agencies "bukan wewenang" requests are referred to (Kominfo).
    ManageAgencies,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not permitted")]
pub struct Forbidden;

impl Actor {
    /// An integration client acting for its unit, with an officer's powers there. Its user id
    /// is 0, which no account has (ids start at 1); its name says which client it is.
    pub fn for_client(client: &crate::client::ApiClient) -> Self {
        Self {
            user_id: UserId(0),
            username: Username::from_stored(format!("client-{}", client.id)),
            full_name: client.name.clone(),
            roles: vec![RoleAssignment {
                role: Role::Officer,
                unit_id: Some(client.unit_id),
            }],
        }
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.iter().any(|r| r.role == role)
    }

    pub fn is_admin(&self) -> bool {
        self.has_role(Role::Admin)
    }

    /// Units this person administers (as `unit_admin`).
    pub fn administered_units(&self) -> impl Iterator<Item = UnitId> + '_ {
        self.roles
            .iter()
            .filter(|r| r.role == Role::UnitAdmin)
            .filter_map(|r| r.unit_id)
    }

    pub fn can(&self, p: Permission) -> bool {
        match p {
            Permission::StaffArea => !self.roles.is_empty(),
            Permission::ManageUnits => self.is_admin(),
            Permission::ListUsers => self.is_admin() || self.administered_units().next().is_some(),
            Permission::ManageUser { role, unit } => {
                if self.is_admin() {
                    return true;
                }
                // A unit admin staffs their own unit, but never hands out system-wide powers.
                role.needs_unit() && unit.is_some_and(|u| self.administered_units().any(|a| a == u))
            }
            Permission::ViewAudit => self.is_admin() || self.has_role(Role::Leader),
            Permission::ManagePlatform => self.is_admin(),
            Permission::ViewSatisfaction => {
                self.can_triage()
                    || self.has_role(Role::Leader)
                    || self.administered_units().next().is_some()
            }
            Permission::ViewRegistry => self.is_admin() || self.has_role(Role::Leader),
            Permission::ManageMasterplan | Permission::ManageTraining => self.is_admin(),
            Permission::ReportProgramme { owner } => {
                self.is_admin()
                    || self.roles.iter().any(|r| {
                        matches!(r.role, Role::UnitAdmin | Role::Officer)
                            && r.unit_id == Some(owner)
                    })
            }
            Permission::RegisterTrainees { unit } => {
                self.is_admin() || self.administered_units().any(|u| u == unit)
            }
            Permission::ViewTraining => {
                self.is_admin()
                    || self.has_role(Role::Leader)
                    || self.administered_units().next().is_some()
            }
            Permission::ViewLeadership => self.is_admin() || self.has_role(Role::Leader),
            Permission::ManageServices { unit } | Permission::PublishContent { unit } => {
                self.is_admin() || self.administered_units().any(|u| u == unit)
            }
            Permission::EditContent { unit } | Permission::ProduceData { unit } => {
                self.is_admin()
                    || self.roles.iter().any(|r| {
                        matches!(r.role, Role::Editor | Role::UnitAdmin) && r.unit_id == Some(unit)
                    })
            }
            Permission::ContentStep { unit, step } => match step {
                EditorialStep::Submit => self.can(Permission::EditContent { unit }),
                EditorialStep::Publish | EditorialStep::Return | EditorialStep::Unpublish => {
                    self.can(Permission::PublishContent { unit })
                }
            },
            Permission::Walidata | Permission::ManageRouting | Permission::ManageAgencies => {
                self.is_admin()
            }
            Permission::ViewRouting => self.can_triage() || self.has_role(Role::Leader),
            Permission::DatasetStep { unit, step } => match step {
                EditorialStep::Submit => self.can(Permission::ProduceData { unit }),
                EditorialStep::Publish | EditorialStep::Return | EditorialStep::Unpublish => {
                    self.can(Permission::Walidata)
                }
            },
        }
    }

    /// Units this person works in (any unit-scoped role).
    pub fn units(&self) -> impl Iterator<Item = UnitId> + '_ {
        self.roles.iter().filter_map(|r| r.unit_id)
    }

    /// The central intake desk: verify, reject and dispatch incoming requests.
    pub fn can_triage(&self) -> bool {
        self.is_admin() || self.has_role(Role::Verifier)
    }

    /// Works on a request handled by `handling` units: follow up, resolve, forward, assign.
    pub fn can_work_on(&self, handling: &[UnitId]) -> bool {
        self.is_admin()
            || self.roles.iter().any(|r| {
                matches!(r.role, Role::Officer | Role::UnitAdmin)
                    && r.unit_id.is_some_and(|u| handling.contains(&u))
            })
    }

    /// Sees a request (in the inbox, with internal notes): the desk, leaders, and the staff of
    /// the units handling it.
    pub fn can_view_request(&self, handling: &[UnitId]) -> bool {
        self.can_triage()
            || self.has_role(Role::Leader)
            || self.request_units().any(|u| handling.contains(&u))
    }

    /// Sees every request in the inbox (not only their units'): the desk and the leadership.
    pub fn sees_every_request(&self) -> bool {
        self.can_triage() || self.has_role(Role::Leader)
    }

    /// Units whose requests this person handles: officers and unit admins. An editor works
    /// for a unit's portal, not on its residents' requests, so sees neither the requests nor
    /// the reporters' contact data (data minimisation, UU 27/2022).
    pub fn request_units(&self) -> impl Iterator<Item = UnitId> + '_ {
        self.roles
            .iter()
            .filter(|r| matches!(r.role, Role::Officer | Role::UnitAdmin))
            .filter_map(|r| r.unit_id)
    }

    /// Sees the reporter's contact details. Staff of the handling units always may (they must
    /// be able to call back); the desk only when the reporter did not ask to be anonymous.
    pub fn can_see_contact(&self, handling: &[UnitId], anonymous: bool) -> bool {
        self.request_units().any(|u| handling.contains(&u)) || (!anonymous && self.can_triage())
    }

    /// Edits the service catalogue of some unit (the menu shows the catalogue).
    pub fn manages_some_services(&self) -> bool {
        self.is_admin() || self.administered_units().next().is_some()
    }

    /// Works on a unit's portal content or open data (for some unit): editors, unit admins
    /// and Kominfo.
    pub fn works_on_content(&self) -> bool {
        self.is_admin()
            || self
                .roles
                .iter()
                .any(|r| matches!(r.role, Role::Editor | Role::UnitAdmin))
    }

    /// The units whose training records this person sees: all (`None`) for Kominfo and the
    /// leadership, else the units they administer.
    pub fn training_units(&self) -> Option<Vec<UnitId>> {
        if self.is_admin() || self.has_role(Role::Leader) {
            None
        } else {
            Some(self.administered_units().collect())
        }
    }

    pub fn require(&self, p: Permission) -> Result<(), Forbidden> {
        if self.can(p) {
            Ok(())
        } else {
            Err(Forbidden)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(roles: &[(Role, Option<i64>)]) -> Actor {
        Actor {
            user_id: UserId(1),
            username: Username::parse("tester").unwrap(),
            full_name: "Tester".into(),
            roles: roles
                .iter()
                .map(|(role, unit)| RoleAssignment {
                    role: *role,
                    unit_id: unit.map(UnitId),
                })
                .collect(),
        }
    }

    #[test]
    fn admin_may_do_everything() {
        let a = actor(&[(Role::Admin, None)]);
        assert!(a.can(Permission::ManageUnits));
        assert!(a.can(Permission::ManageUser {
            role: Role::Admin,
            unit: None
        }));
        assert!(a.can(Permission::ViewAudit));
        assert!(a.can(Permission::ManagePlatform));
    }

    #[test]
    fn unit_admin_staffs_only_their_unit() {
        let a = actor(&[(Role::UnitAdmin, Some(7))]);
        assert!(a.can(Permission::ListUsers));
        assert!(a.can(Permission::ManageUser {
            role: Role::Officer,
            unit: Some(UnitId(7))
        }));
        assert!(!a.can(Permission::ManageUser {
            role: Role::Officer,
            unit: Some(UnitId(8))
        }));
        assert!(!a.can(Permission::ManageUser {
            role: Role::Verifier,
            unit: Some(UnitId(7))
        }));
        assert!(!a.can(Permission::ManageUser {
            role: Role::Admin,
            unit: None
        }));
        assert!(!a.can(Permission::ManageUnits));
    }

    #[test]
    fn leader_reads_but_does_not_manage() {
        let a = actor(&[(Role::Leader, None)]);
        assert!(a.can(Permission::StaffArea));
        assert!(a.can(Permission::ViewAudit));
        assert!(!a.can(Permission::ManageUnits));
        assert!(!a.can(Permission::ListUsers));
        assert!(a.can(Permission::ViewLeadership));
    }

    #[test]
    fn menus_and_scopes_by_role() {
        let admin = actor(&[(Role::Admin, None)]);
        let leader = actor(&[(Role::Leader, None)]);
        let unit_admin = actor(&[(Role::UnitAdmin, Some(4))]);
        let editor = actor(&[(Role::Editor, Some(4))]);
        let officer = actor(&[(Role::Officer, Some(4))]);
        assert!(admin.manages_some_services() && unit_admin.manages_some_services());
        assert!(!editor.manages_some_services() && !leader.manages_some_services());
        assert!(
            admin.works_on_content() && editor.works_on_content() && unit_admin.works_on_content()
        );
        assert!(!officer.works_on_content() && !leader.works_on_content());
        assert_eq!(admin.training_units(), None);
        assert_eq!(leader.training_units(), None);
        assert_eq!(unit_admin.training_units(), Some(vec![UnitId(4)]));
        assert_eq!(officer.training_units(), Some(vec![]));
    }

    #[test]
    fn only_leaders_and_admins_see_the_leadership_dashboard() {
        assert!(actor(&[(Role::Admin, None)]).can(Permission::ViewLeadership));
        for role in [Role::Verifier, Role::Officer, Role::UnitAdmin, Role::Editor] {
            assert!(!actor(&[(role, Some(3))]).can(Permission::ViewLeadership));
        }
    }

    #[test]
    fn routing_is_seen_by_the_desk_and_the_leadership_and_kept_by_kominfo() {
        let admin = actor(&[(Role::Admin, None)]);
        assert!(admin.can(Permission::ViewRouting) && admin.can(Permission::ManageRouting));
        for role in [Role::Verifier, Role::Leader] {
            let a = actor(&[(role, None)]);
            assert!(a.can(Permission::ViewRouting) && !a.can(Permission::ManageRouting));
        }
        for role in [Role::Officer, Role::UnitAdmin, Role::Editor] {
            let a = actor(&[(role, Some(3))]);
            assert!(!a.can(Permission::ViewRouting) && !a.can(Permission::ManageRouting));
        }
    }

    #[test]
    fn officer_cannot_manage_users() {
        let a = actor(&[(Role::Officer, Some(3))]);
        assert!(a.can(Permission::StaffArea));
        assert!(!a.can(Permission::ListUsers));
        assert!(!a.can(Permission::ManageUser {
            role: Role::Officer,
            unit: Some(UnitId(3))
        }));
        assert!(a.require(Permission::ManageUnits).is_err());
    }

    #[test]
    fn request_rules() {
        let desk = actor(&[(Role::Verifier, Some(1))]);
        let officer = actor(&[(Role::Officer, Some(3))]);
        let leader = actor(&[(Role::Leader, None)]);
        let handling = [UnitId(3)];
        assert!(desk.can_triage() && !officer.can_triage());
        assert!(officer.can_work_on(&handling) && !officer.can_work_on(&[UnitId(4)]));
        assert!(!desk.can_work_on(&handling) && !leader.can_work_on(&handling));
        assert!(leader.can_view_request(&handling) && desk.can_view_request(&[]));
        assert!(!officer.can_view_request(&[UnitId(4)]));
        // anonim: only the handling unit sees who reported
        assert!(officer.can_see_contact(&handling, true));
        assert!(!desk.can_see_contact(&handling, true));
        assert!(desk.can_see_contact(&handling, false));
        assert!(!leader.can_see_contact(&handling, false));
    }

    #[test]
    fn masterplan_and_training_rules() {
        let admin = actor(&[(Role::Admin, None)]);
        let unit_admin = actor(&[(Role::UnitAdmin, Some(7))]);
        let officer = actor(&[(Role::Officer, Some(7))]);
        let leader = actor(&[(Role::Leader, None)]);
        assert!(admin.can(Permission::ManageMasterplan) && admin.can(Permission::ManageTraining));
        assert!(!unit_admin.can(Permission::ManageMasterplan));
        assert!(!leader.can(Permission::ManageTraining));
        let own = Permission::ReportProgramme { owner: UnitId(7) };
        let other = Permission::ReportProgramme { owner: UnitId(8) };
        assert!(officer.can(own) && unit_admin.can(own) && !officer.can(other));
        assert!(!leader.can(own));
        assert!(unit_admin.can(Permission::RegisterTrainees { unit: UnitId(7) }));
        assert!(!unit_admin.can(Permission::RegisterTrainees { unit: UnitId(8) }));
        assert!(!officer.can(Permission::RegisterTrainees { unit: UnitId(7) }));
        assert!(leader.can(Permission::ViewTraining) && !officer.can(Permission::ViewTraining));
    }

    #[test]
    fn no_roles_no_entry() {
        assert!(!actor(&[]).can(Permission::StaffArea));
    }
}
