//! Accounts of the web application, their roles and what each role may do.
//!
//! Department data is visible only to its own department; supervisors (the
//! Justice Bureau), the system administrator and the credit office read every
//! department. [`Account::may`] and [`Account::sees_department`] are the only
//! places these rules are written; every page and API route asks them.

use serde::{Deserialize, Serialize};

use super::field::InvalidField;

/// A role, stored by its ASCII code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员: accounts, directories, rounds for the whole city.
    SystemAdmin,
    /// 部门管理员: a department's plans (approval) and its accounts' data.
    DepartmentAdmin,
    /// 部门工作人员: a department's plans, results and directories.
    DepartmentStaff,
    /// 执法检查人员: enters the results of the visits of their department.
    Inspector,
    /// 司法局监督人员: reads everything, issues rectification notices.
    Supervisor,
    /// 信用办: credit supervision; reads every department.
    CreditOffice,
    /// 12345 热线话务员: hotline work orders.
    HotlineOperator,
}

/// Something a role may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read every department's data, not only one's own.
    ReadAllDepartments,
    /// Create, disable and reset accounts.
    ManageAccounts,
    /// Import the directories (entities, inspectors, items).
    ImportDirectories,
    /// Create, edit, deactivate and delete departments on the page (the system administrator).
    ManageDepartments,
    /// See entities' risk classes (never public).
    SeeRiskClasses,
    /// Create, change and file plans of one's department.
    EditPlans,
    /// Approve and publish plans of one's department.
    ApprovePlans,
    /// Commit, draw and publish rounds (the city's 双随机 office).
    RunRounds,
    /// Enter results of one's department's visits.
    EnterResults,
    /// Publish and correct results of one's department.
    PublishResults,
    /// Register out-of-plan inspections of one's department.
    RegisterOutOfPlan,
    /// Browse and verify the audit ledger.
    AuditLedger,
    /// Download the reports.
    DownloadReports,
    /// Issue rectification notices (司法局).
    Rectify,
    /// Check applicants' credit for a matter (信用核查) and read the lists of enterprises.
    CheckCredit,
    /// Import credit lists and the matters catalogue; run the risk classification.
    ManageCredit,
    /// See persons' credit data (unmasked) and personal credit scores; every access is logged.
    SeePersonalCredit,
    /// Review credit repair requests (信用修复).
    ReviewCreditRepair,
    /// The 12345 centre's steps on work orders (受理、派单、延期审批、督办、回访、办结、重办); reads every order.
    DispatchWorkOrders,
    /// A department's steps on the work orders dispatched to it (签收、办理、答复、退单、延期申请).
    HandleWorkOrders,
}

impl Role {
    /// Every role, in the order pages list them.
    pub const ALL: &'static [Self] = &[
        Self::SystemAdmin,
        Self::DepartmentAdmin,
        Self::DepartmentStaff,
        Self::Inspector,
        Self::Supervisor,
        Self::CreditOffice,
        Self::HotlineOperator,
    ];

    /// The ASCII code, as stored and in the API.
    pub fn code(self) -> &'static str {
        match self {
            Self::SystemAdmin => "system_admin",
            Self::DepartmentAdmin => "department_admin",
            Self::DepartmentStaff => "department_staff",
            Self::Inspector => "inspector",
            Self::Supervisor => "supervisor",
            Self::CreditOffice => "credit_office",
            Self::HotlineOperator => "hotline_operator",
        }
    }

    /// The Chinese name pages show.
    pub fn label(self) -> &'static str {
        match self {
            Self::SystemAdmin => "系统管理员",
            Self::DepartmentAdmin => "部门管理员",
            Self::DepartmentStaff => "部门工作人员",
            Self::Inspector => "执法检查人员",
            Self::Supervisor => "司法局监督人员",
            Self::CreditOffice => "信用办",
            Self::HotlineOperator => "12345热线话务员",
        }
    }

    /// Parses the code or the Chinese name.
    pub fn parse(text: &str) -> Result<Self, InvalidField> {
        let text = text.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|role| role.code() == text || role.label() == text)
            .ok_or_else(|| {
                InvalidField::new(
                    "role",
                    text,
                    "system_admin, department_admin, department_staff, inspector, supervisor, credit_office or hotline_operator",
                )
            })
    }

    /// Whether the role belongs to one department (and so needs one).
    pub fn is_departmental(self) -> bool {
        matches!(
            self,
            Self::DepartmentAdmin | Self::DepartmentStaff | Self::Inspector
        )
    }

    /// Whether the role may do `permission` (within its department, for the
    /// departmental roles).
    pub fn may(self, permission: Permission) -> bool {
        use Permission as P;
        match self {
            Self::SystemAdmin => !matches!(
                permission,
                P::Rectify
                    | P::EnterResults
                    | P::SeePersonalCredit
                    | P::ReviewCreditRepair
                    | P::HandleWorkOrders
            ),
            Self::DepartmentAdmin => matches!(
                permission,
                P::HandleWorkOrders
                    | P::SeeRiskClasses
                    | P::EditPlans
                    | P::ApprovePlans
                    | P::EnterResults
                    | P::PublishResults
                    | P::RegisterOutOfPlan
                    | P::DownloadReports
                    | P::CheckCredit
            ),
            Self::DepartmentStaff => matches!(
                permission,
                P::HandleWorkOrders
                    | P::SeeRiskClasses
                    | P::EditPlans
                    | P::EnterResults
                    | P::PublishResults
                    | P::RegisterOutOfPlan
                    | P::DownloadReports
                    | P::CheckCredit
            ),
            Self::Inspector => matches!(permission, P::EnterResults),
            Self::Supervisor => matches!(
                permission,
                P::ReadAllDepartments
                    | P::SeeRiskClasses
                    | P::AuditLedger
                    | P::DownloadReports
                    | P::Rectify
            ),
            Self::CreditOffice => matches!(
                permission,
                P::ReadAllDepartments
                    | P::SeeRiskClasses
                    | P::DownloadReports
                    | P::CheckCredit
                    | P::ManageCredit
                    | P::SeePersonalCredit
                    | P::ReviewCreditRepair
            ),
            Self::HotlineOperator => matches!(permission, P::DispatchWorkOrders),
        }
    }
}

/// The role of an actor written by [`Account::actor`] (`username (role code)`);
/// `None` for other actors (the CLI's free-text names).
pub fn actor_role(actor: &str) -> Option<Role> {
    let code = actor.trim().strip_suffix(')')?.rsplit_once(" (")?.1;
    Role::ALL.iter().copied().find(|role| role.code() == code)
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// An account. The password hash (Argon2id, PHC string) is never shown by
/// `Debug` and never leaves the server.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Account {
    /// Login name (ASCII letters, digits, `.`, `_`, `-`).
    pub username: String,
    /// The name pages show.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Department code, for the departmental roles.
    pub department: Option<String>,
    /// Certificate number, for an inspector account: the visits it may enter.
    #[serde(default)]
    pub certificate: Option<String>,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// The password was set by someone else and must be changed at next login.
    pub must_change_password: bool,
    /// A disabled account cannot log in.
    pub disabled: bool,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("department", &self.department)
            .field("password_hash", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl Account {
    /// How the ledger names this account as an actor: `username (role code)`.
    pub fn actor(&self) -> String {
        format!("{} ({})", self.username, self.role.code())
    }

    /// Checks the username and the role's department.
    pub fn validate(&self) -> Result<(), InvalidField> {
        let name = &self.username;
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(InvalidField::new(
                "username",
                name,
                "1 to 64 ASCII letters, digits, '.', '_' or '-'",
            ));
        }
        if self.role.is_departmental() != self.department.is_some() {
            return Err(InvalidField::new(
                "department",
                self.department.as_deref().unwrap_or(""),
                "a department for department administrators, staff and inspectors; none for the other roles",
            ));
        }
        Ok(())
    }

    /// Whether the account may do `permission` at all.
    pub fn may(&self, permission: Permission) -> bool {
        !self.disabled && self.role.may(permission)
    }

    /// Whether the account reads all departments' data.
    pub fn reads_all(&self) -> bool {
        self.may(Permission::ReadAllDepartments)
    }

    /// Whether the account may see department `code`'s data.
    pub fn sees_department(&self, code: &str) -> bool {
        self.reads_all() || self.department.as_deref() == Some(code)
    }

    /// Whether the account may do `permission` on department `code`'s data:
    /// the system administrator anywhere, the departmental roles in their own.
    pub fn may_in(&self, permission: Permission, code: &str) -> bool {
        self.may(permission)
            && (self.role == Role::SystemAdmin || self.department.as_deref() == Some(code))
    }
}

/// An API token: only its SHA-256 is stored; the token is shown once.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApiToken {
    /// Hex SHA-256 of the token.
    pub digest: String,
    /// The account it acts as.
    pub username: String,
    /// What it is for.
    pub label: String,
    /// Revoked tokens are refused.
    pub revoked: bool,
    /// When it was issued (RFC 3339); absent on tokens issued before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<String>,
}

impl ApiToken {
    /// Characters of the digest that name a token in lists and commands.
    pub const FINGERPRINT_LEN: usize = 12;

    /// The first [`Self::FINGERPRINT_LEN`] hex digits of the digest: names the
    /// token without revealing it.
    pub fn fingerprint(&self) -> &str {
        self.digest
            .get(..Self::FINGERPRINT_LEN)
            .unwrap_or(&self.digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(role: Role, department: Option<&str>) -> Account {
        Account {
            username: "u".into(),
            display_name: "U".into(),
            role,
            department: department.map(str::to_owned),
            certificate: None,
            password_hash: "$argon2id$secret".into(),
            must_change_password: false,
            disabled: false,
        }
    }

    #[test]
    fn departmental_roles_see_only_their_department() {
        let staff = account(Role::DepartmentStaff, Some("SJ"));
        assert!(staff.sees_department("SJ"));
        assert!(!staff.sees_department("GA"));
        assert!(staff.may_in(Permission::EditPlans, "SJ"));
        assert!(!staff.may_in(Permission::EditPlans, "GA"));
        let supervisor = account(Role::Supervisor, None);
        assert!(supervisor.sees_department("GA"));
        assert!(!supervisor.may_in(Permission::EditPlans, "GA"));
        let mut disabled = account(Role::SystemAdmin, None);
        disabled.disabled = true;
        assert!(!disabled.may(Permission::RunRounds));
    }

    #[test]
    fn a_department_is_required_exactly_for_departmental_roles() {
        assert!(account(Role::Inspector, None).validate().is_err());
        assert!(account(Role::Supervisor, Some("SJ")).validate().is_err());
        assert!(account(Role::Supervisor, None).validate().is_ok());
        let mut bad = account(Role::Supervisor, None);
        bad.username = "a b".into();
        assert!(bad.validate().is_err());
    }

    #[test]
    fn debug_hides_the_password_hash() {
        let text = format!("{:?}", account(Role::SystemAdmin, None));
        assert!(!text.contains("secret"), "{text}");
    }

    #[test]
    fn roles_parse_by_code_and_by_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()).ok(), Some(*role));
            assert_eq!(Role::parse(role.label()).ok(), Some(*role));
        }
        assert!(Role::parse("root").is_err());
    }
}
