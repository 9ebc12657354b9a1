//! Reading users.csv (1.2 columns, or 1.1 columns with `role` and `orgSourcedIds`) and roles.csv,
//! keeping only what Lantern uses: names, contact, grades, orgs, agents. Passwords and other
//! identifiers are never kept.

use super::{read_rows, Change, FileRows, Row, RECORD_COLUMNS};
use crate::import::csv_file::{dropped, optional, required, ColumnSpec, Reported, RowRef, Table};
use crate::import::error::Problems;
use crate::import::fields;
use crate::import::report::FileMode;
use crate::store::roster::records::{Identity, Role, RoleType, User, UserRole};

use super::manifest::OneRosterVersion;

const PASSWORD: &str = "passwords are never stored";
const OTHER_IDS: &str = "identifiers in other systems are not used by Lantern";
const NOT_USED: &str = "personal data Lantern does not use";

const USER_COLUMNS_1_2: [ColumnSpec; 23] = [
    RECORD_COLUMNS[0],
    RECORD_COLUMNS[1],
    RECORD_COLUMNS[2],
    required("enabledUser"),
    required("username"),
    dropped("userIds", OTHER_IDS),
    required("givenName"),
    required("familyName"),
    optional("middleName"),
    optional("identifier"),
    optional("email"),
    dropped("sms", NOT_USED),
    optional("phone"),
    optional("agentSourcedIds"),
    optional("grades"),
    dropped("password", PASSWORD),
    dropped("userMasterIdentifier", OTHER_IDS),
    dropped("resourceSourcedIds", "resources are not imported"),
    optional("preferredGivenName"),
    optional("preferredMiddleName"),
    optional("preferredFamilyName"),
    optional("primaryOrgSourcedId"),
    dropped("pronouns", NOT_USED),
];

const USER_COLUMNS_1_1: [ColumnSpec; 18] = [
    RECORD_COLUMNS[0],
    RECORD_COLUMNS[1],
    RECORD_COLUMNS[2],
    required("enabledUser"),
    required("orgSourcedIds"),
    required("role"),
    required("username"),
    dropped("userIds", OTHER_IDS),
    required("givenName"),
    required("familyName"),
    optional("middleName"),
    optional("identifier"),
    optional("email"),
    dropped("sms", NOT_USED),
    optional("phone"),
    optional("agentSourcedIds"),
    optional("grades"),
    dropped("password", PASSWORD),
];

pub(super) fn user_columns(version: OneRosterVersion) -> &'static [ColumnSpec] {
    match version {
        OneRosterVersion::V1_1 => &USER_COLUMNS_1_1,
        OneRosterVersion::V1_2 => &USER_COLUMNS_1_2,
    }
}

fn user_role(text: &str) -> Result<UserRole, String> {
    UserRole::from_spelling(text).ok_or_else(|| format!("unknown role \"{text}\" (expected {})", UserRole::spellings()))
}

/// What a 1.1 users.csv row says about roles: one role at each of its orgs.
struct RolesOfUser {
    role: UserRole,
    org_sourced_ids: Vec<String>,
}

/// Reads users.csv; for 1.1 also returns the roles derived from its `role` column.
pub(super) fn read_users(
    table: &Table,
    mode: FileMode,
    version: OneRosterVersion,
    problems: &mut Problems,
) -> (FileRows<User>, Option<FileRows<Role>>) {
    let rows = read_rows(table, mode, ("users.csv", "user"), problems, |row, problems| {
        let user = read_user(row, version, problems);
        let roles = match version {
            OneRosterVersion::V1_1 => read_roles_of_user(row, problems).map(Some),
            OneRosterVersion::V1_2 => Ok(None),
        };
        Ok((user?, roles?))
    });
    let mut users = FileRows {
        file: rows.file,
        report_name: rows.report_name,
        kind: rows.kind,
        mode: rows.mode,
        rows: Vec::with_capacity(rows.rows.len()),
    };
    let mut derived = (version == OneRosterVersion::V1_1).then(|| FileRows {
        file: "users.csv",
        report_name: "users.csv (roles)",
        kind: "role",
        mode: rows.mode,
        rows: Vec::new(),
    });
    for row in rows.rows {
        let change = match row.change {
            Change::Delete => Change::Delete,
            Change::Upsert((user, roles)) => {
                if let (Some(derived), Some(roles)) = (derived.as_mut(), roles) {
                    derive_roles(&row.sourced_id, row.line, row.date_last_modified, roles, derived);
                }
                Change::Upsert(user)
            }
        };
        users.rows.push(Row {
            sourced_id: row.sourced_id,
            line: row.line,
            date_last_modified: row.date_last_modified,
            change,
        });
    }
    (users, derived)
}

fn read_user(row: RowRef<'_>, version: OneRosterVersion, problems: &mut Problems) -> Result<User, Reported> {
    let enabled = row.parse("enabledUser", problems, fields::boolean);
    let username = row.required("username", problems);
    let given_name = row.required("givenName", problems);
    let family_name = row.required("familyName", problems);
    let sourced_id = row.get("sourcedId");
    let agent_sourced_ids = fields::list(row.get("agentSourcedIds"));
    if agent_sourced_ids.iter().any(|agent| agent == sourced_id) {
        problems.push(row.problem("agentSourcedIds", "a user cannot be their own agent"));
    }
    let primary_org_sourced_id = match version {
        OneRosterVersion::V1_2 => row.optional("primaryOrgSourcedId"),
        OneRosterVersion::V1_1 => fields::list(row.get("orgSourcedIds")).into_iter().next(),
    };
    Ok(User {
        identity: Identity {
            username: username?.to_owned(),
            given_name: given_name?.to_owned(),
            family_name: family_name?.to_owned(),
            middle_name: row.optional("middleName"),
            preferred_given_name: row.optional("preferredGivenName"),
            preferred_middle_name: row.optional("preferredMiddleName"),
            preferred_family_name: row.optional("preferredFamilyName"),
            identifier: row.optional("identifier"),
            email: row.optional("email"),
            phone: row.optional("phone"),
        },
        enabled: enabled?,
        grades: fields::list(row.get("grades")),
        primary_org_sourced_id,
        agent_sourced_ids,
    })
}

fn read_roles_of_user(row: RowRef<'_>, problems: &mut Problems) -> Result<RolesOfUser, Reported> {
    let role = row.parse("role", problems, user_role);
    let org_sourced_ids = row.parse("orgSourcedIds", problems, |text| {
        let orgs = fields::list(text);
        if orgs.is_empty() {
            Err("required value missing".to_owned())
        } else {
            Ok(orgs)
        }
    });
    Ok(RolesOfUser { role: role?, org_sourced_ids: org_sourced_ids? })
}

/// 1.1 roles: one per (user, org), primary at the first org. Their record ids are made up from
/// the user, role and org; they never leave the identity side of the database.
fn derive_roles(
    user: &str,
    line: u64,
    date_last_modified: Option<chrono::DateTime<chrono::Utc>>,
    roles: RolesOfUser,
    into: &mut FileRows<Role>,
) {
    for (position, org) in roles.org_sourced_ids.into_iter().enumerate() {
        into.rows.push(Row {
            sourced_id: derived_role_id(user, roles.role, &org),
            line,
            date_last_modified,
            change: Change::Upsert(Role {
                user_sourced_id: user.to_owned(),
                role: roles.role,
                role_type: if position == 0 { RoleType::Primary } else { RoleType::Secondary },
                org_sourced_id: org,
                begin_date: None,
                end_date: None,
            }),
        });
    }
}

/// The made-up record id of a 1.1 role.
pub(super) fn derived_role_id(user: &str, role: UserRole, org: &str) -> String {
    format!("{user}#{role}@{org}")
}

pub(super) const ROLE_COLUMNS: [ColumnSpec; 10] = [
    RECORD_COLUMNS[0],
    RECORD_COLUMNS[1],
    RECORD_COLUMNS[2],
    required("userSourcedId"),
    required("roleType"),
    required("role"),
    optional("beginDate"),
    optional("endDate"),
    required("orgSourcedId"),
    dropped("userProfileSourcedId", "user profiles are not imported"),
];

pub(super) fn read_roles(table: &Table, mode: FileMode, problems: &mut Problems) -> FileRows<Role> {
    read_rows(table, mode, ("roles.csv", "role"), problems, |row, problems| {
        let user = row.required("userSourcedId", problems);
        let role_type = row.parse("roleType", problems, |text| {
            RoleType::from_spelling(text)
                .ok_or_else(|| format!("unknown role type \"{text}\" (expected {})", RoleType::spellings()))
        });
        let role = row.parse("role", problems, user_role);
        let org = row.required("orgSourcedId", problems);
        let begin_date = row.parse_optional("beginDate", problems, fields::date);
        let end_date = row.parse_optional("endDate", problems, fields::date);
        Ok(Role {
            user_sourced_id: user?.to_owned(),
            role: role?,
            role_type: role_type?,
            org_sourced_id: org?.to_owned(),
            begin_date: begin_date?,
            end_date: end_date?,
        })
    })
}
