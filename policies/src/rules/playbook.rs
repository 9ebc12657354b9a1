//! Playbooks: what to do about a flag — steps, suggested intervention types, who is responsible,
//! how often to check progress, the goal's length, the playbook it follows, and the plain-language
//! description families see (families never see tiers or risk scores).

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::report::{slug, Report};
use super::schema::PlaybookRaw;
use super::scope::PilotScope;
use super::suggest;

/// A playbook's id, e.g. `small-group-reteach`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PlaybookId(pub(crate) String);

impl PlaybookId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PlaybookId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            pub fn from_name(name: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.name() == name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

named_enum! {
    /// The kinds of intervention a playbook can suggest; interventions logged on the node use these.
    InterventionType {
        /// Re-teaching a standard to a small group of students.
        SmallGroupReteach = "small_group_reteach",
        IndividualTutoring = "individual_tutoring",
        PeerTutoring = "peer_tutoring",
        /// Extra instruction time (before/after school, intervention block).
        ExtendedLearningTime = "extended_learning_time",
        /// A short conversation with the student about attendance.
        AttendanceCheckIn = "attendance_check_in",
        /// A written attendance improvement plan agreed with the family.
        AttendancePlan = "attendance_plan",
        /// A short conversation between teacher and student.
        TeacherCheckIn = "teacher_check_in",
        /// Daily check-in/check-out with a mentor (CICO).
        CheckInCheckOut = "check_in_check_out",
        Mentoring = "mentoring",
        Counseling = "counseling",
        FamilyContact = "family_contact",
        FamilyMeeting = "family_meeting",
        HomeVisit = "home_visit",
        /// Referral to the student support team for an individual plan.
        SupportTeamReferral = "support_team_referral",
    }
}

named_enum! {
    /// Who carries a playbook out.
    ResponsibleRole {
        Teacher = "teacher",
        MtssCoordinator = "mtss_coordinator",
        Counselor = "counselor",
        SchoolAdmin = "school_admin",
    }
}

/// What to do about a flag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Playbook {
    pub id: PlaybookId,
    pub title: String,
    pub steps: Vec<String>,
    pub interventions: Vec<InterventionType>,
    pub responsible: ResponsibleRole,
    /// Days between progress checks.
    pub check_in_days: u32,
    /// Length of the intervention goal, in weeks (default 6).
    pub goal_weeks: u32,
    /// The playbook this one follows when that one's goal is not met.
    pub follows: Option<PlaybookId>,
    /// What families read: plain language, no tiers, no risk scores.
    pub family_description: String,
    pub scope: PilotScope,
}

/// Default intervention goal length: six weeks, a common tier 2 cycle.
pub const DEFAULT_GOAL_WEEKS: u32 = 6;

/// Words families must never see on a playbook.
const WORDS_FAMILIES_NEVER_SEE: [&str; 2] = ["tier", "risk"];

/// A validated playbook and where its id and `follows` were written.
pub(crate) struct Located {
    pub playbook: Playbook,
    pub id_span: Range<usize>,
    pub follows_span: Option<Range<usize>>,
}

pub(crate) fn playbook(
    report: &mut Report<'_>,
    raw: &Spanned<PlaybookRaw>,
    scope: Option<PilotScope>,
) -> Option<Located> {
    let table = raw.span();
    let r = raw.get_ref();
    let owner = match &r.id {
        Some(id) => format!("playbook \"{}\"", id.get_ref()),
        None => "[[playbooks]]".to_string(),
    };
    let id = report.required(&r.id, &table, &owner, "id", "e.g. \"small-group-reteach\"").and_then(|id| {
        slug(id.get_ref()).map_err(|e| report.at(id.span(), format!("playbook id \"{}\": {e}", id.get_ref()))).ok()?;
        Some((PlaybookId(id.get_ref().clone()), id.span()))
    });
    let title =
        report.required(&r.title, &table, &owner, "title", "a short name").and_then(|t| report.text(t, "title"));
    let steps = report
        .required(&r.steps, &table, &owner, "steps", "a list of what to do")
        .and_then(|s| texts(report, s, "steps"));
    let interventions = report
        .required(&r.interventions, &table, &owner, "interventions", "a list of intervention types")
        .and_then(|list| interventions(report, list));
    let responsible = report
        .required(&r.responsible, &table, &owner, "responsible", "who carries it out")
        .and_then(|v| named(report, v, "responsible role", ResponsibleRole::from_name, ResponsibleRole::ALL));
    let check_in_days = report
        .required(&r.check_in_days, &table, &owner, "check_in_days", "days between progress checks")
        .and_then(|v| report.whole_in(v, "check_in_days", 1, 90, ""));
    let goal_weeks = match &r.goal_weeks {
        Some(v) => report.whole_in(v, "goal_weeks", 1, 52, ""),
        None => Some(DEFAULT_GOAL_WEEKS),
    };
    if let (Some(days), Some(weeks), Some(v)) = (check_in_days, goal_weeks, &r.check_in_days) {
        if days > weeks * 7 {
            report.at(
                v.span(),
                format!(
                    "check_in_days = {days} is longer than the goal ({weeks} weeks = {} days): progress would never be checked before the goal ends",
                    weeks * 7
                ),
            );
        }
    }
    let family = report
        .required(&r.family_description, &table, &owner, "family_description", "what families read, in plain language")
        .and_then(|d| family_description(report, d));
    let follows = r.follows.as_ref().map(|f| (PlaybookId(f.get_ref().clone()), f.span()));
    let (id, id_span) = id?;
    Some(Located {
        playbook: Playbook {
            id,
            title: title?,
            steps: steps?,
            interventions: interventions?,
            responsible: responsible?,
            check_in_days: check_in_days.filter(|&d| d <= goal_weeks.unwrap_or(0) * 7)?,
            goal_weeks: goal_weeks?,
            follows: follows.as_ref().map(|(id, _)| id.clone()),
            family_description: family?,
            scope: scope?,
        },
        id_span,
        follows_span: follows.map(|(_, span)| span),
    })
}

fn texts(report: &mut Report<'_>, list: &Spanned<Vec<Spanned<String>>>, key: &str) -> Option<Vec<String>> {
    if list.get_ref().is_empty() {
        report.at(list.span(), format!("{key} is empty: list at least one"));
        return None;
    }
    let all: Vec<Option<String>> = list.get_ref().iter().map(|s| report.text(s, key)).collect();
    all.into_iter().collect()
}

fn interventions(report: &mut Report<'_>, list: &Spanned<Vec<Spanned<String>>>) -> Option<Vec<InterventionType>> {
    if list.get_ref().is_empty() {
        report.at(list.span(), "interventions is empty: list at least one intervention type");
        return None;
    }
    let all: Vec<Option<InterventionType>> = list
        .get_ref()
        .iter()
        .map(|v| named(report, v, "intervention type", InterventionType::from_name, InterventionType::ALL))
        .collect();
    all.into_iter().collect()
}

/// Parses one name of a closed vocabulary, reporting the choices (and a close match) when unknown.
fn named<T: Copy + fmt::Display>(
    report: &mut Report<'_>,
    value: &Spanned<String>,
    what: &str,
    parse: fn(&str) -> Option<T>,
    all: &[T],
) -> Option<T> {
    let name = value.get_ref();
    if let Some(v) = parse(name) {
        return Some(v);
    }
    let names: Vec<String> = all.iter().map(|v| v.to_string()).collect();
    let hint = suggest::hint(name, names.iter().map(String::as_str));
    report.at(value.span(), format!("unknown {what} \"{name}\"{hint}; expected one of: {}", names.join(", ")));
    None
}

fn family_description(report: &mut Report<'_>, value: &Spanned<String>) -> Option<String> {
    let text = report.text(value, "family_description")?;
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).collect();
    for banned in WORDS_FAMILIES_NEVER_SEE {
        if words.iter().any(|w| w.strip_suffix('s').unwrap_or(w) == banned) {
            report.at(
                value.span(),
                format!("family_description mentions \"{banned}\": families never see tiers or risk ratings; describe the support instead"),
            );
            return None;
        }
    }
    Some(text)
}

/// Checks `follows` references: each names a playbook, and following them never comes back round.
pub(crate) fn check_follows(report: &mut Report<'_>, playbooks: &[Located], declared: &[&str]) {
    let index: BTreeMap<&PlaybookId, usize> = playbooks.iter().enumerate().map(|(i, p)| (&p.playbook.id, i)).collect();
    let names: Vec<&str> = playbooks.iter().map(|p| p.playbook.id.as_str()).collect();
    let mut next: Vec<Option<usize>> = Vec::with_capacity(playbooks.len());
    for p in playbooks {
        let target = match (&p.playbook.follows, &p.follows_span) {
            (Some(f), Some(span)) => match index.get(f) {
                Some(&i) => Some(i),
                None if declared.contains(&f.as_str()) => None,
                None => {
                    let hint = suggest::hint(f.as_str(), names.iter().copied());
                    report.at(span.clone(), format!("follows = \"{f}\": no playbook has this id{hint}"));
                    None
                }
            },
            _ => None,
        };
        next.push(target);
    }
    // Each playbook follows at most one other, so walking `next` from each start either ends or
    // enters a cycle; report each cycle once, at its first member in file order.
    let mut reported = vec![false; playbooks.len()];
    for start in 0..playbooks.len() {
        let mut path = vec![start];
        let mut at = start;
        while let Some(n) = next[at] {
            if let Some(pos) = path.iter().position(|&p| p == n) {
                let cycle = &path[pos..];
                let first = cycle.iter().copied().min().unwrap_or(n);
                if !reported[first] {
                    cycle.iter().for_each(|&c| reported[c] = true);
                    let rotation = cycle.iter().position(|&c| c == first).unwrap_or(0);
                    let mut names: Vec<&str> = cycle[rotation..]
                        .iter()
                        .chain(&cycle[..rotation])
                        .map(|&c| playbooks[c].playbook.id.as_str())
                        .collect();
                    names.push(playbooks[first].playbook.id.as_str());
                    let span = playbooks[first].follows_span.clone().unwrap_or(playbooks[first].id_span.clone());
                    report.at(span, format!("playbooks follow each other in a cycle: {}", names.join(" → ")));
                }
                break;
            }
            path.push(n);
            at = n;
        }
    }
}
