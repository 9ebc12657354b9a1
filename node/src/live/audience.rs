//! Who a subscription is for, and which live events it may see: MTSS the whole school, a teacher
//! only events of their own classes, a student or guardian only events about their own student(s).

use std::collections::BTreeSet;

use super::LiveEvent;
use crate::auth::scope::{ClassScope, StudentScope};

/// The events a subscriber may receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Every event (MTSS).
    School,
    /// Events that name one of these classes (teachers). Events about a student in another
    /// teacher's class are not shown, even for a student the teacher also teaches.
    Classes(BTreeSet<String>),
    /// Events about these students only (students, guardians); class totals are never shown.
    Students(BTreeSet<String>),
}

impl Audience {
    /// The audience of a principal from its scopes (see `auth::scope`).
    pub fn from_scopes(role: crate::auth::Role, classes: ClassScope, students: StudentScope) -> Audience {
        use crate::auth::Role;
        match (role, classes, students) {
            (Role::Mtss, _, _) => Audience::School,
            (Role::Teacher, ClassScope::Classes(c), _) => Audience::Classes(c),
            (Role::Student | Role::Guardian, _, StudentScope::Students(s)) => Audience::Students(s),
            _ => Audience::Students(BTreeSet::new()),
        }
    }

    pub fn sees(&self, e: &LiveEvent) -> bool {
        match self {
            Audience::School => true,
            Audience::Classes(c) => e.class_id().is_some_and(|id| c.contains(id)),
            // Students and guardians never receive alerts (tiers and risk are for staff); their
            // supports are shown in plain language elsewhere.
            Audience::Students(_) if matches!(e, LiveEvent::AlertChanged { .. }) => false,
            Audience::Students(s) => e.student_key().is_some_and(|k| s.contains(k)),
        }
    }

    /// Restricts to one class (a page watching one class); `None` keeps everything visible.
    pub fn narrowed_to_class(self, class: Option<&str>) -> Audience {
        match (self, class) {
            (a, None) => a,
            (Audience::School, Some(id)) => Audience::Classes(BTreeSet::from([id.to_owned()])),
            (Audience::Classes(c), Some(id)) => Audience::Classes(c.into_iter().filter(|own| own == id).collect()),
            (a @ Audience::Students(_), Some(_)) => a,
        }
    }
}

#[cfg(test)]
mod alert_visibility_tests {
    use super::*;

    #[test]
    fn alerts_reach_staff_but_never_students_or_guardians() {
        let e = LiveEvent::AlertChanged {
            class_id: Some("c1".into()),
            student_key: "p_1".into(),
            alert: serde_json::json!({"tier": 2}),
        };
        assert!(Audience::School.sees(&e));
        assert!(Audience::Classes(BTreeSet::from(["c1".to_string()])).sees(&e));
        assert!(!Audience::Students(BTreeSet::from(["p_1".to_string()])).sees(&e));
    }
}
