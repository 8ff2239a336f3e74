//! Who is acting: roles, the permission table, region-scoped grants and the checks
//! every use-case starts with. Missing scope fails closed.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::{OrgId, UserId};
use crate::regions::RegionCode;

/// A staff role, granted per region (and optionally per organisation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    CivilAffairs,
    CommitteeStaff,
    SocialWorker,
    Supervisor,
    HotlineOperator,
    Counselor,
    Volunteer,
    CharityStaff,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::CivilAffairs,
        Role::CommitteeStaff,
        Role::SocialWorker,
        Role::Supervisor,
        Role::HotlineOperator,
        Role::Counselor,
        Role::Volunteer,
        Role::CharityStaff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::CivilAffairs => "civil_affairs",
            Role::CommitteeStaff => "committee_staff",
            Role::SocialWorker => "social_worker",
            Role::Supervisor => "supervisor",
            Role::HotlineOperator => "hotline_operator",
            Role::Counselor => "counselor",
            Role::Volunteer => "volunteer",
            Role::CharityStaff => "charity_staff",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The Chinese name shown in the UI.
    pub fn zh(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::CivilAffairs => "民政管理员",
            Role::CommitteeStaff => "社区工作者",
            Role::SocialWorker => "社工",
            Role::Supervisor => "社工督导",
            Role::HotlineOperator => "热线接线员",
            Role::Counselor => "心理咨询师",
            Role::Volunteer => "志愿者",
            Role::CharityStaff => "慈善组织工作人员",
        }
    }

    /// The English name shown in the UI.
    pub fn en(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::CivilAffairs => "Civil affairs",
            Role::CommitteeStaff => "Committee staff",
            Role::SocialWorker => "Social worker",
            Role::Supervisor => "Supervisor",
            Role::HotlineOperator => "Hotline operator",
            Role::Counselor => "Counselor",
            Role::Volunteer => "Volunteer",
            Role::CharityStaff => "Charity staff",
        }
    }

    /// What this role may do, within the region of its grant. The one permission table.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Admin => &[
                ViewPlaces,
                ManagePlaces,
                ImportRegions,
                ViewOrgs,
                ManageOrgs,
                ViewUsers,
                ManageUsers,
                ViewAudit,
                RevealSensitive,
                ViewNeeds,
                HandleNeeds,
                EnterNeeds,
                ManageVolunteers,
                ServeShifts,
                ServeTasks,
                ViewPeople,
                ManagePeople,
                RecordChecks,
                ViewPeopleCounts,
                ManageNotifications,
                ImportPeople,
                ExportFull,
            ],
            Role::CivilAffairs => &[
                ViewPlaces,
                ManagePlaces,
                ViewOrgs,
                ManageOrgs,
                ViewUsers,
                ViewAudit,
                ViewNeeds,
                ViewPeopleCounts,
            ],
            Role::CommitteeStaff | Role::Supervisor => &[
                ViewPlaces,
                ManagePlaces,
                ViewOrgs,
                ManageOrgs,
                ViewUsers,
                RevealSensitive,
                ViewNeeds,
                HandleNeeds,
                EnterNeeds,
                ManageVolunteers,
                ViewPeople,
                ManagePeople,
                RecordChecks,
                ViewPeopleCounts,
                ImportPeople,
                ExportFull,
            ],
            Role::SocialWorker => &[
                ViewPlaces,
                ManagePlaces,
                ViewOrgs,
                ManageOrgs,
                ViewUsers,
                RevealSensitive,
                ViewNeeds,
                HandleNeeds,
                EnterNeeds,
                ManageVolunteers,
                ViewPeople,
                ManagePeople,
                RecordChecks,
                ViewPeopleCounts,
            ],
            Role::HotlineOperator => {
                &[ViewPlaces, ViewOrgs, RevealSensitive, ViewNeeds, EnterNeeds]
            }
            Role::Counselor => &[
                ViewPlaces,
                ViewOrgs,
                RevealSensitive,
                ViewNeeds,
                HandleNeeds,
            ],
            Role::CharityStaff => &[ViewPlaces, ViewOrgs],
            Role::Volunteer => &[ViewPlaces, ServeShifts, ServeTasks],
        }
    }
}

/// Something an actor may do. Granted only through [`Role::permissions`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Browse the place tree.
    ViewPlaces,
    /// Add grids and buildings below a community.
    ManagePlaces,
    /// Import division codes.
    ImportRegions,
    /// Read the organisation directory (everywhere: it holds only public contacts).
    ViewOrgs,
    /// Create and edit organisations in scope.
    ManageOrgs,
    /// See staff accounts in scope.
    ViewUsers,
    /// Create staff accounts and grant roles in scope.
    ManageUsers,
    /// Read the audit log entries filed under regions in scope.
    ViewAudit,
    /// See a full ID number, phone or other sealed value (with a reason; every view audited).
    /// Held by the roles that contact or identify residents themselves: committee staff
    /// (door-to-door verification, registration help), social workers, supervisors, hotline
    /// operators and counselors (call-backs). Admins hold it because a grant may only pass on
    /// permissions its giver holds. Not civil affairs (district oversight works on figures),
    /// volunteers (tasks show only what they need) or charity staff.
    RevealSensitive,
    /// See the green channel's queue and needs in scope (civil affairs: oversight).
    ViewNeeds,
    /// Act on needs in scope: triage, assign, refer, message, resolve…
    HandleNeeds,
    /// Enter a need for someone who phoned or came in (hotline operators, community staff).
    EnterNeeds,
    /// Publish call-ups, decide sign-ups, run posts and shifts (assign, check in, mark
    /// no-shows) and export hours, in scope.
    ManageVolunteers,
    /// Book one's own shifts under the grant's region, check in and out, see one's own
    /// hours. Volunteers hold it; admins too, because a grant may only pass on permissions
    /// its giver holds.
    ServeShifts,
    /// Take volunteer tasks from needs under the grant's region: answer offers, claim from
    /// the pool, see a task's address and phone while it is accepted (each view audited),
    /// complete it. Volunteers hold it; admins too (a grant passes on only what its giver holds).
    ServeTasks,
    /// See registry people (masked) and their checks in scope.
    ViewPeople,
    /// Register, edit, close, export and anonymise registry people in scope.
    ManagePeople,
    /// Record welfare checks of registry people in scope.
    RecordChecks,
    /// See due and overdue counts of welfare checks (figures only, never a person).
    ViewPeopleCounts,
    /// Register webhook destinations, read the outbox (dead letters, deliveries, the demo
    /// text outbox) and send failed messages again, in scope.
    ManageNotifications,
    /// Load many registry people at once from a spreadsheet, in scope (committee staff and
    /// supervisors, who keep the community's lists; admins). Social workers register people
    /// one by one.
    ImportPeople,
    /// Export lists (registry, needs, checks) with full values instead of masked ones, with a
    /// reason, audited. Held by those who may import (a full export re-imports) and admins.
    ExportFull,
}

/// One role held over one region, optionally for one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub region: RegionCode,
    pub org: Option<OrgId>,
}

/// The authenticated staff member behind a request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: UserId,
    pub username: String,
    pub display_name: String,
    /// The account's home region: audit entries about the actor's own conduct (logins,
    /// denials) are filed under it, so the admins of that region see them.
    pub region: RegionCode,
    /// The id of the HTTP request being served, copied into audit entries. The actor is the
    /// one value every use-case already receives, so carrying it here reaches every audit
    /// event without a context parameter on each use-case. `None` outside HTTP.
    pub request_id: Option<String>,
    pub grants: Vec<Grant>,
}

impl Actor {
    /// Does any grant carry this permission?
    pub fn can(&self, p: Permission) -> bool {
        self.grants
            .iter()
            .any(|g| g.role.permissions().contains(&p))
    }

    /// The region prefixes under which the actor holds `p`. Empty means nowhere.
    pub fn scope(&self, p: Permission) -> Vec<RegionCode> {
        let mut codes: Vec<RegionCode> = self
            .grants
            .iter()
            .filter(|g| g.role.permissions().contains(&p))
            .map(|g| g.region.clone())
            .collect();
        codes.sort();
        codes.dedup();
        // Drop codes already covered by a wider one, so queries stay short.
        let all = codes.clone();
        codes.retain(|c| !all.iter().any(|o| o != c && o.covers(c)));
        codes
    }

    /// Does the actor hold `p` over `region`?
    pub fn can_at(&self, p: Permission, region: &RegionCode) -> bool {
        self.grants
            .iter()
            .any(|g| g.role.permissions().contains(&p) && g.region.covers(region))
    }

    /// Fail unless the actor holds `p` anywhere.
    pub fn require(&self, p: Permission) -> Result<()> {
        if self.can(p) {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    /// Fail unless the actor holds `p` over `region`. A record outside every scope the actor
    /// can see is reported as not found, so its existence does not leak.
    pub fn require_at(
        &self,
        p: Permission,
        seen_with: Permission,
        region: &RegionCode,
    ) -> Result<()> {
        if self.can_at(p, region) {
            Ok(())
        } else if self.can_at(seen_with, region) {
            Err(Error::Forbidden)
        } else {
            Err(Error::NotFound)
        }
    }

    /// Roles held anywhere, deduplicated.
    pub fn roles(&self) -> Vec<Role> {
        let mut r: Vec<Role> = self.grants.iter().map(|g| g.role).collect();
        r.sort();
        r.dedup();
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_staff_who_follow_people_see_registry_people_and_civil_affairs_sees_counts() {
        let with = |p: Permission| -> Vec<Role> {
            Role::ALL
                .into_iter()
                .filter(|r| r.permissions().contains(&p))
                .collect()
        };
        let staff = vec![
            Role::Admin,
            Role::CommitteeStaff,
            Role::SocialWorker,
            Role::Supervisor,
        ];
        assert_eq!(with(Permission::ViewPeople), staff);
        assert_eq!(with(Permission::ManagePeople), staff);
        assert_eq!(with(Permission::RecordChecks), staff);
        assert_eq!(
            with(Permission::ViewPeopleCounts),
            vec![
                Role::Admin,
                Role::CivilAffairs,
                Role::CommitteeStaff,
                Role::SocialWorker,
                Role::Supervisor,
            ]
        );
    }

    fn actor(grants: &[(Role, &str)]) -> Actor {
        Actor {
            user_id: UserId::new(),
            username: "t".into(),
            display_name: "t".into(),
            region: RegionCode("31".into()),
            request_id: None,
            grants: grants
                .iter()
                .map(|(role, code)| Grant {
                    role: *role,
                    region: RegionCode::parse(code).expect("code"),
                    org: None,
                })
                .collect(),
        }
    }

    #[test]
    fn a_street_grant_covers_its_communities_but_not_a_sibling_street() {
        let a = actor(&[(Role::SocialWorker, "310101020")]);
        assert!(a.can_at(
            Permission::ManageOrgs,
            &RegionCode::parse("310101020001").expect("code")
        ));
        assert!(!a.can_at(
            Permission::ManageOrgs,
            &RegionCode::parse("310101021001").expect("code")
        ));
        assert!(!a.can_at(
            Permission::ManageOrgs,
            &RegionCode::parse("310101").expect("code")
        ));
    }

    #[test]
    fn no_grant_means_no_scope() {
        let a = actor(&[]);
        assert!(a.scope(Permission::ViewUsers).is_empty());
        assert!(a.require(Permission::ViewOrgs).is_err());
    }

    #[test]
    fn scope_drops_codes_covered_by_a_wider_grant() {
        let a = actor(&[
            (Role::Admin, "310101"),
            (Role::SocialWorker, "310101020"),
            (Role::Supervisor, "310104"),
        ]);
        let s: Vec<String> = a
            .scope(Permission::ViewUsers)
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(s, vec!["310101".to_string(), "310104".to_string()]);
    }

    #[test]
    fn volunteers_cannot_read_the_staff_list() {
        let a = actor(&[(Role::Volunteer, "310101020001")]);
        assert!(!a.can(Permission::ViewUsers));
    }

    #[test]
    fn import_and_full_export_are_their_own_permissions() {
        for p in [Permission::ImportPeople, Permission::ExportFull] {
            let holders: Vec<Role> = Role::ALL
                .into_iter()
                .filter(|r| r.permissions().contains(&p))
                .collect();
            assert_eq!(
                holders,
                vec![Role::Admin, Role::CommitteeStaff, Role::Supervisor],
                "{p:?}"
            );
        }
    }

    #[test]
    fn only_admins_and_civil_affairs_read_the_audit_log() {
        let readers: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.permissions().contains(&Permission::ViewAudit))
            .collect();
        assert_eq!(readers, vec![Role::Admin, Role::CivilAffairs]);
    }

    #[test]
    fn only_roles_that_contact_residents_and_admins_may_reveal_full_values() {
        let can: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.permissions().contains(&Permission::RevealSensitive))
            .collect();
        assert_eq!(
            can,
            vec![
                Role::Admin,
                Role::CommitteeStaff,
                Role::SocialWorker,
                Role::Supervisor,
                Role::HotlineOperator,
                Role::Counselor
            ]
        );
    }

    #[test]
    fn every_role_name_round_trips() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
