//! Who gets which summary, and its text. Each teacher account gets the summary of its classes,
//! each MTSS account the school-wide summary, each guardian one family summary per linked child;
//! the address is the account's rostered person's `email`. The texts are the Markdown of
//! `summaries/render.rs` (families' never names a tier), sent as plain text.

use lantern_policies::rules::RulesPolicy;
use lettre::message::Mailbox;
use rusqlite::Connection;

use super::week::MailWeek;
use crate::alerts::summaries::{self, family_markdown, mtss_markdown, teacher_markdown};
use crate::alerts::AlertError;
use crate::auth::scope::{class_scope, student_scope, ClassScope, StudentScope};
use crate::auth::{Principal, Role, SessionKind};
use crate::store::alerts::summary_mail::{mail_accounts, MailAccount, MailKey};

/// One message to send.
#[derive(Clone)]
pub struct Planned {
    pub key: MailKey,
    pub username: String,
    pub role: Role,
    person_key: Option<String>,
    pub to: Mailbox,
}

impl std::fmt::Debug for Planned {
    // The address is contact data: never in debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Planned").field("key", &self.key).field("role", &self.role).finish_non_exhaustive()
    }
}

/// Everyone to write to this week, and whom we cannot.
#[derive(Debug, Default)]
pub struct Plan {
    pub messages: Vec<Planned>,
    /// Accounts whose rostered person has no (usable) e-mail address, or no rostered person.
    pub without_address: usize,
    /// Teacher accounts with no class, guardians with no linked child: nothing to summarise.
    pub nothing_to_summarise: usize,
}

/// The account as the scoping functions see a signed-in person. Never a session: it only answers
/// "what would this account see", so a summary holds exactly what its reader may read.
fn principal_for(a: &MailAccount, role: Role) -> Principal {
    Principal {
        account_id: a.account_id,
        username: a.username.clone(),
        role,
        person_key: a.person_key.clone(),
        session_id: 0,
        csrf_token: String::new(),
        via: SessionKind::Api,
        must_change_password: false,
    }
}

fn address(a: &MailAccount) -> Option<Mailbox> {
    a.email.as_deref().map(str::trim).filter(|e| !e.is_empty()).and_then(|e| e.parse().ok())
}

/// Reads the recipients of the week.
pub fn plan(c: &Connection) -> Result<Plan, AlertError> {
    let mut plan = Plan::default();
    for a in mail_accounts(c)? {
        let role: Role =
            a.role.parse().map_err(|e| crate::alerts::corrupt(format!("account {}: {e}", a.account_id)))?;
        let Some(to) = address(&a) else {
            plan.without_address += 1;
            continue;
        };
        let p = principal_for(&a, role);
        let message = |kind: &'static str, student_key: Option<String>| Planned {
            key: MailKey { account_id: a.account_id, kind, student_key },
            username: a.username.clone(),
            role,
            person_key: a.person_key.clone(),
            to: to.clone(),
        };
        match role {
            Role::Teacher => match class_scope(c, &p)? {
                ClassScope::Classes(set) if set.is_empty() => plan.nothing_to_summarise += 1,
                _ => plan.messages.push(message("teacher", None)),
            },
            Role::Mtss => plan.messages.push(message("mtss", None)),
            Role::Guardian => match student_scope(c, &p)? {
                StudentScope::Students(children) if !children.is_empty() => {
                    plan.messages.extend(children.into_iter().map(|k| message("family", Some(k))));
                }
                _ => plan.nothing_to_summarise += 1,
            },
            Role::Student | Role::Admin | Role::PrivacyOfficer => {}
        }
    }
    Ok(plan)
}

/// A summary's text, and the students whose records it carries (for the access log).
#[derive(Debug)]
pub struct Composed {
    pub subject: String,
    pub body: String,
    pub students: Vec<String>,
}

/// Builds one message from the data as of the end of the week.
pub fn compose(
    c: &Connection,
    policy: &RulesPolicy,
    school: &str,
    m: &Planned,
    week: &MailWeek,
) -> Result<Composed, AlertError> {
    let now = week.ends_at;
    let p = principal_for(
        &MailAccount {
            account_id: m.key.account_id,
            username: m.username.clone(),
            role: m.role.as_str().to_string(),
            person_key: m.person_key.clone(),
            email: None,
        },
        m.role,
    );
    let span = format!("{} to {}", week.first_day(), week.send_date);
    let (subject, text, students) = match (m.key.kind, &m.key.student_key) {
        ("family", Some(child)) => {
            let s = summaries::family(c, policy, &p, child, now)?;
            (format!("Your child's week at {school}, {span}"), family_markdown(&s), vec![child.clone()])
        }
        ("mtss", _) => {
            let s = summaries::mtss(c, now)?;
            let students = s.overdue_checks.iter().map(|o| o.student_key.clone()).collect();
            (format!("Weekly early-warning summary, {school}, {span}"), mtss_markdown(&s), students)
        }
        _ => {
            let facts = |c: &Connection, key: &str| Ok(crate::indicators::student_facts(c, policy, key, now)?);
            let s = summaries::teacher(c, policy, &p, None, now, facts)?;
            let students = s.classes.iter().flat_map(|k| k.new_flags.iter().map(|f| f.student_key.clone())).collect();
            (format!("Weekly class summary, {school}, {span}"), teacher_markdown(&s), students)
        }
    };
    let body = format!(
        "{text}\n--\nSent by Lantern at {school} to the e-mail address on the school's roster. \
         The same summary is on your Lantern page.\n"
    );
    Ok(Composed { subject, body, students })
}
